package hub

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// LocalBroker is the embedded default: boards live in one bbolt file on local
// disk and commits fan out to subscribers inside this process.
//
// bbolt was chosen over an append-only file of our own because it gives
// crash-safe, fsynced transactions, ordered keys per board (the log is a range
// scan) and snapshots in the same atomic write, in pure Go with no cgo; it is
// the store etcd relies on.
//
// Durability without one fsync per keystroke: every write goes through one
// writer goroutine that takes all the requests queued while the previous
// transaction was syncing and commits them in a single transaction (group
// commit). Under load a batch holds many rooms' commits; alone, a commit waits
// for one fsync and no timer.
type LocalBroker struct {
	db *bolt.DB

	// writes feeds the group-commit writer; buffered so rooms rarely block.
	writes chan *writeReq
	// done is closed by Close to stop the writer once writes are drained.
	done   chan struct{}
	closed chan struct{}
	once   sync.Once
	// closing guards the send on writes against Close, so that no request
	// is queued after the writer has drained and left (it would wait forever).
	closing  sync.RWMutex
	isClosed bool

	mu   sync.RWMutex
	subs map[string]map[*localSub]struct{} // board → subscribers
}

var _ Broker = (*LocalBroker)(nil)

type localSub struct{ h Handler }

// writeReq is one write for the group-commit writer. fn runs inside the
// shared transaction; an error from fn discards only that request's writes
// (fn checks before it writes, so a failing fn has written nothing).
type writeReq struct {
	fn   func(tx *bolt.Tx) error
	err  error
	done chan struct{}
}

// maxBatch bounds one group-commit transaction so that a burst cannot make a
// single transaction (and the latency of its first request) grow unbounded.
const maxBatch = 512

var (
	bktBoards = []byte("boards")
	bktLog    = []byte("log")
	keyHead   = []byte("head")
	keyEpoch  = []byte("epoch")
	keySnap   = []byte("snap")
	keySnapV  = []byte("snapv")
	keyFirst  = []byte("first") // oldest version still in the log
)

// OpenLocalBroker opens (or creates) the bbolt file at path.
func OpenLocalBroker(path string) (*LocalBroker, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        2 * time.Second, // another process holds the file: fail, don't hang
		NoFreelistSync: true,            // faster commits; the freelist is rebuilt on open
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bktBoards)
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	b := &LocalBroker{
		db:     db,
		writes: make(chan *writeReq, 1024),
		done:   make(chan struct{}),
		closed: make(chan struct{}),
		subs:   make(map[string]map[*localSub]struct{}),
	}
	go b.writer()
	return b, nil
}

// DB exposes the bbolt handle so that the server keeps its workshop
// directory in the same file (one fsync covers both).
func (b *LocalBroker) DB() *bolt.DB { return b.db }

// Update runs fn in the group-commit writer, durably. It is how other stores
// sharing this file write without a second writer contending for the lock.
func (b *LocalBroker) Update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	r := &writeReq{fn: fn, done: make(chan struct{})}
	b.closing.RLock()
	if b.isClosed {
		b.closing.RUnlock()
		return ErrUnavailable
	}
	select {
	case b.writes <- r:
	case <-ctx.Done():
		b.closing.RUnlock()
		return ctx.Err()
	}
	b.closing.RUnlock()
	// Once queued the write will happen; wait for it even if ctx ends, so
	// the caller never reports failure for something that was committed.
	<-r.done
	return r.err
}

func (b *LocalBroker) writer() {
	defer close(b.closed)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		var first *writeReq
		select {
		case first = <-b.writes:
		case <-b.done:
			// Drain what was queued before Close.
			for {
				select {
				case r := <-b.writes:
					b.commit([]*writeReq{r})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-b.writes:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		b.commit(batch)
	}
}

// commit runs a batch in one transaction. A request whose fn fails is rolled
// back alone through a nested savepoint-like pattern: fn must check before it
// writes, so a failing fn has changed nothing.
func (b *LocalBroker) commit(batch []*writeReq) {
	err := b.db.Update(func(tx *bolt.Tx) error {
		for _, r := range batch {
			r.err = r.fn(tx)
		}
		return nil
	})
	for _, r := range batch {
		if err != nil {
			r.err = fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		close(r.done)
	}
}

func u64(v uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], v)
	return k[:]
}

func getU64(bk *bolt.Bucket, key []byte) uint64 {
	if v := bk.Get(key); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func boardBucket(tx *bolt.Tx, board string) *bolt.Bucket {
	return tx.Bucket(bktBoards).Bucket([]byte(board))
}

// Create implements Broker.
func (b *LocalBroker) Create(ctx context.Context, board, epoch string, state []byte) error {
	return b.Update(ctx, func(tx *bolt.Tx) error {
		root := tx.Bucket(bktBoards)
		if root.Bucket([]byte(board)) != nil {
			return nil
		}
		bk, err := root.CreateBucket([]byte(board))
		if err != nil {
			return err
		}
		if _, err := bk.CreateBucket(bktLog); err != nil {
			return err
		}
		for _, kv := range [][2][]byte{
			{keyHead, u64(0)}, {keySnapV, u64(0)}, {keyFirst, u64(1)},
			{keyEpoch, []byte(epoch)}, {keySnap, state},
		} {
			if err := bk.Put(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Load implements Broker.
func (b *LocalBroker) Load(ctx context.Context, board string) (state []byte, v uint64, epoch string, err error) {
	err = b.db.View(func(tx *bolt.Tx) error {
		bk := boardBucket(tx, board)
		if bk == nil {
			return ErrNoBoard
		}
		state = append([]byte(nil), bk.Get(keySnap)...)
		v = getU64(bk, keySnapV)
		epoch = string(bk.Get(keyEpoch))
		return nil
	})
	return
}

// Commit implements Broker.
func (b *LocalBroker) Commit(ctx context.Context, board string, records []Record) error {
	if len(records) == 0 {
		return nil
	}
	err := b.Update(ctx, func(tx *bolt.Tx) error {
		bk := boardBucket(tx, board)
		if bk == nil {
			return ErrNoBoard
		}
		head := getU64(bk, keyHead)
		if records[0].V != head+1 {
			return ErrConflict
		}
		for i, r := range records {
			if r.V != head+1+uint64(i) {
				return fmt.Errorf("hub: records not consecutive at v%d", r.V)
			}
		}
		lg := bk.Bucket(bktLog)
		for _, r := range records {
			if err := lg.Put(u64(r.V), r.Data); err != nil {
				return err
			}
		}
		return bk.Put(keyHead, u64(records[len(records)-1].V))
	})
	if err != nil {
		return err
	}
	b.mu.RLock()
	for s := range b.subs[board] {
		if s.h.Records != nil {
			s.h.Records(records)
		}
	}
	b.mu.RUnlock()
	return nil
}

// History implements Broker.
func (b *LocalBroker) History(ctx context.Context, board string, since uint64, limit int) ([]Record, error) {
	var out []Record
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := boardBucket(tx, board)
		if bk == nil {
			return ErrNoBoard
		}
		head := getU64(bk, keyHead)
		if since >= head {
			return nil
		}
		if since+1 < getU64(bk, keyFirst) {
			return ErrTrimmed
		}
		c := bk.Bucket(bktLog).Cursor()
		for k, v := c.Seek(u64(since + 1)); k != nil; k, v = c.Next() {
			out = append(out, Record{V: binary.BigEndian.Uint64(k), Data: append([]byte(nil), v...)})
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// Head implements Broker.
func (b *LocalBroker) Head(ctx context.Context, board string) (v uint64, epoch string, err error) {
	err = b.db.View(func(tx *bolt.Tx) error {
		bk := boardBucket(tx, board)
		if bk == nil {
			return ErrNoBoard
		}
		v = getU64(bk, keyHead)
		epoch = string(bk.Get(keyEpoch))
		return nil
	})
	return
}

// SaveSnapshot implements Broker.
func (b *LocalBroker) SaveSnapshot(ctx context.Context, board string, v uint64, state []byte, keep uint64) error {
	return b.Update(ctx, func(tx *bolt.Tx) error {
		bk := boardBucket(tx, board)
		if bk == nil {
			return ErrNoBoard
		}
		if getU64(bk, keySnapV) >= v && v != 0 {
			return nil // only forward
		}
		if v > getU64(bk, keyHead) {
			return fmt.Errorf("hub: snapshot v%d ahead of the log", v)
		}
		if err := bk.Put(keySnap, state); err != nil {
			return err
		}
		if err := bk.Put(keySnapV, u64(v)); err != nil {
			return err
		}
		// Trim the log behind the snapshot, keeping `keep` versions for
		// clients that reconnect with an older `since`.
		if v > keep {
			first := getU64(bk, keyFirst)
			cut := v - keep // versions < cut+1 go
			if cut >= first {
				lg := bk.Bucket(bktLog)
				c := lg.Cursor()
				for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= cut; k, _ = c.Next() {
					if err := c.Delete(); err != nil {
						return err
					}
				}
				return bk.Put(keyFirst, u64(cut+1))
			}
		}
		return nil
	})
}

// Subscribe implements Broker. In one process the room that commits already
// holds the records, so subscribers matter only to rooms that did not commit
// (there are none in a single instance); it is kept for the contract.
func (b *LocalBroker) Subscribe(board string, h Handler) (func(), error) {
	s := &localSub{h: h}
	b.mu.Lock()
	m := b.subs[board]
	if m == nil {
		m = make(map[*localSub]struct{})
		b.subs[board] = m
	}
	m[s] = struct{}{}
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.subs[board], s)
		if len(b.subs[board]) == 0 {
			delete(b.subs, board)
		}
		b.mu.Unlock()
	}, nil
}

// PublishPresence implements Broker: there is no other instance.
func (b *LocalBroker) PublishPresence(ctx context.Context, board string, msg []byte) error {
	return nil
}

// Delete implements Broker.
func (b *LocalBroker) Delete(ctx context.Context, board string) error {
	return b.Update(ctx, func(tx *bolt.Tx) error {
		err := tx.Bucket(bktBoards).DeleteBucket([]byte(board))
		if errors.Is(err, bolterrors.ErrBucketNotFound) {
			return nil
		}
		return err
	})
}

// Close implements Broker: it lets queued writes finish, then closes the file.
func (b *LocalBroker) Close() error {
	var err error
	b.once.Do(func() {
		b.closing.Lock()
		b.isClosed = true
		b.closing.Unlock()
		close(b.done)
		<-b.closed
		err = b.db.Close()
	})
	return err
}
