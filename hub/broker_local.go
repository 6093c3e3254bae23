package hub

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// LocalBroker is the embedded default: boards live on local disk and commits
// fan out to subscribers inside this process.
//
// A commit is made durable by the commit log (wal.go): one writer goroutine
// takes every commit queued while the previous write was syncing, appends
// them with one write and one fdatasync (group commit), and only then
// answers. The log is a run of segments preallocated with zeros (segSize);
// the records stay in memory until a checkpoint, every checkpointEvery,
// moves them into bbolt in one transaction and deletes the segments filled
// before it. On start the log is replayed over bbolt: a record
// bbolt already has is skipped, so a crash anywhere in a checkpoint loses
// nothing and applies nothing twice.
//
// bbolt keeps what is read more than written: board metadata, snapshots, the
// log behind the checkpoint (a range scan per catch-up), and the server's
// workshop directory. It gives crash-safe transactions and ordered keys in
// pure Go; it is the store etcd relies on. Its writes go through a second
// group-commit writer (Update).
type LocalBroker struct {
	db *bolt.DB
	// log is owned by the commit writer goroutine.
	log *wal

	// writes feeds the bbolt writer; buffered so callers rarely block.
	writes chan *writeReq
	// commits feeds the commit writer.
	commits chan *commitReq
	// handovers asks the commit writer for what a checkpoint stores (see
	// checkpointer).
	handovers chan chan handoverMsg
	// kick asks for an early checkpoint when much is held in memory.
	kick chan struct{}

	// stop is closed by Close; the writers drain what was queued and leave.
	stop       chan struct{}
	boltDone   chan struct{}
	commitDone chan struct{}
	ckptDone   chan struct{}
	once       sync.Once
	// closing guards the sends on writes and commits against Close, so
	// that nothing is queued after a writer has drained and left.
	closing  sync.RWMutex
	isClosed bool

	// mu guards boards, held and sealed. Only the commit writer adds or
	// removes entries of boards; the checkpoint shortens pending.
	mu     sync.Mutex
	boards map[string]*boardLog
	// held counts the bytes of pending records, to checkpoint early and to
	// refuse commits if checkpoints keep failing.
	held int

	subMu sync.RWMutex
	subs  map[string]map[*localSub]struct{} // board → subscribers
}

var _ Broker = (*LocalBroker)(nil)

// boardLog is what the broker holds in memory of a board that committed
// lately: its head, and the records that are in the commit log but not yet
// in bbolt.
type boardLog struct {
	epoch string
	// head is the latest committed version; stored is the head in bbolt;
	// first is the oldest version History may return (the log is trimmed
	// behind snapshots).
	head, stored, first uint64
	// pending holds versions stored+1 … head, in order. The slice is only
	// appended to or cut from the front, so a copy of it stays valid.
	pending []Record
	// used: committed since the last handover (idle entries are dropped).
	used bool
}

type localSub struct{ h Handler }

// writeReq is one write for the bbolt writer. fn runs inside the shared
// transaction; an error from fn discards only that request's writes (fn
// checks before it writes, so a failing fn has written nothing).
type writeReq struct {
	fn   func(tx *bolt.Tx) error
	err  error
	done chan struct{}
}

// commitReq is one Commit (records != nil) or Delete for the commit writer.
// Deletes go through it so that no commit can slip in after one.
type commitReq struct {
	board   string
	records []Record
	del     bool
	err     error
	done    chan struct{}
}

// accepted is a commit that passed its version check, waiting for the write.
type accepted struct {
	r  *commitReq
	st *boardLog
}

// handoverMsg is what the commit writer hands the checkpoint: the segments
// filled since the last one and, per board, the records not yet in bbolt.
type handoverMsg struct {
	sealed  []uint64
	pending map[string]boardLog
}

const (
	// maxBatch bounds one group commit so that a burst cannot make a single
	// write (and the latency of its first request) grow unbounded.
	maxBatch = 512
	// checkpointEvery is how often the log's records move into bbolt: the
	// longer, the fewer bbolt transactions; the shorter, the less replay
	// on start and memory held.
	checkpointEvery = time.Second
	// kickHeld triggers a checkpoint before its time.
	kickHeld = 16 << 20
	// maxHeld refuses commits (unavailable) when checkpoints keep failing,
	// rather than fill memory.
	maxHeld = 512 << 20
)

var (
	bktBoards = []byte("boards")
	bktLog    = []byte("log")
	keyHead   = []byte("head")
	keyEpoch  = []byte("epoch")
	keySnap   = []byte("snap")
	keySnapV  = []byte("snapv")
	keyFirst  = []byte("first") // oldest version still in the log
)

// OpenLocalBroker opens (or creates) the bbolt file at path and its commit
// log in the directory path+".wal", replaying the log.
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
	log, err := openWAL(path + ".wal")
	if err != nil {
		db.Close()
		return nil, err
	}
	b := &LocalBroker{
		db:         db,
		log:        log,
		writes:     make(chan *writeReq, 1024),
		commits:    make(chan *commitReq, 1024),
		handovers:  make(chan chan handoverMsg),
		kick:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		boltDone:   make(chan struct{}),
		commitDone: make(chan struct{}),
		ckptDone:   make(chan struct{}),
		boards:     make(map[string]*boardLog),
		subs:       make(map[string]map[*localSub]struct{}),
	}
	go b.boltWriter()
	if err := b.replay(); err != nil {
		b.closing.Lock()
		b.isClosed = true
		b.closing.Unlock()
		close(b.stop)
		<-b.boltDone
		db.Close()
		return nil, err
	}
	go b.commitWriter()
	go b.checkpointer()
	return b, nil
}

// replay puts the commit log's records that bbolt lacks into bbolt, then
// starts a fresh segment.
func (b *LocalBroker) replay() error {
	segs, err := readSegments(b.log.dir, func(fr walFrame) error {
		st, err := b.boardLog(fr.board)
		if err != nil {
			return err
		}
		if st == nil || fr.rec.V <= st.head {
			return nil // deleted board, or already in bbolt
		}
		if fr.rec.V != st.head+1 {
			return fmt.Errorf("hub: commit log skips from v%d to v%d of board %s", st.head, fr.rec.V, fr.board)
		}
		st.head = fr.rec.V
		st.pending = append(st.pending, Record{V: fr.rec.V, Data: fr.rec.Data})
		return nil
	})
	if err != nil {
		return fmt.Errorf("replay %s: %w", b.log.dir, err)
	}
	if _, err := b.store(b.copyPending()); err != nil {
		return fmt.Errorf("replay %s: %w", b.log.dir, err)
	}
	b.boards = make(map[string]*boardLog)
	if err := removeSegments(b.log.dir, segs); err != nil {
		return err
	}
	next := uint64(1)
	if len(segs) > 0 {
		next = segs[len(segs)-1] + 1
	}
	return b.log.openSegment(next)
}

// boardLog returns the board's entry, reading it from bbolt the first time;
// nil if the board does not exist. Called by the commit writer (and replay)
// only, which alone adds entries.
func (b *LocalBroker) boardLog(board string) (*boardLog, error) {
	b.mu.Lock()
	st := b.boards[board]
	b.mu.Unlock()
	if st != nil {
		return st, nil
	}
	var head, first uint64
	var epoch string
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := boardBucket(tx, board)
		if bk == nil {
			return ErrNoBoard
		}
		head, first = getU64(bk, keyHead), getU64(bk, keyFirst)
		epoch = string(bk.Get(keyEpoch))
		return nil
	})
	if errors.Is(err, ErrNoBoard) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	st = &boardLog{epoch: epoch, head: head, stored: head, first: first}
	b.mu.Lock()
	b.boards[board] = st
	b.mu.Unlock()
	return st, nil
}

// DB exposes the bbolt handle so that the server keeps its workshop
// directory in the same file.
func (b *LocalBroker) DB() *bolt.DB { return b.db }

// Update runs fn in the bbolt writer, durably. It is how other stores
// sharing this file write without a second writer contending for the lock.
func (b *LocalBroker) Update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	r := &writeReq{fn: fn, done: make(chan struct{})}
	if err := enqueue(b, ctx, b.writes, r); err != nil {
		return err
	}
	// Once queued the write will happen; wait for it even if ctx ends, so
	// the caller never reports failure for something that was committed.
	<-r.done
	return r.err
}

// update is Update for the broker's own writes once Close has begun (the
// final checkpoint): it runs the transaction directly.
func (b *LocalBroker) update(fn func(tx *bolt.Tx) error) error {
	return b.db.Update(fn)
}

// enqueue sends r to a writer unless the broker is closed or ctx ends
// first. The closing lock keeps a send from landing after the writer has
// drained its queue and left (the request would wait forever).
func enqueue[T any](b *LocalBroker, ctx context.Context, ch chan<- T, r T) error {
	b.closing.RLock()
	defer b.closing.RUnlock()
	if b.isClosed {
		return ErrUnavailable
	}
	select {
	case ch <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// gather appends to batch, after first, what is queued on in, up to
// maxBatch: the requests a group commit takes together.
func gather[T any](batch []T, first T, in <-chan T) []T {
	batch = append(batch[:0], first)
	for len(batch) < maxBatch {
		select {
		case r := <-in:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// drain hands what is still queued on in to commit, one by one, once the
// broker is closing: what was queued before Close is done, not dropped.
func drain[T any](in <-chan T, commit func([]T)) {
	for {
		select {
		case r := <-in:
			commit([]T{r})
		default:
			return
		}
	}
}

func (b *LocalBroker) boltWriter() {
	defer close(b.boltDone)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case first := <-b.writes:
			batch = gather(batch, first, b.writes)
			b.boltCommit(batch)
		case <-b.stop:
			drain(b.writes, b.boltCommit)
			return
		}
	}
}

// boltCommit runs a batch in one transaction. fn must check before it
// writes, so a failing fn has changed nothing.
func (b *LocalBroker) boltCommit(batch []*writeReq) {
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

func (b *LocalBroker) commitWriter() {
	defer close(b.commitDone)
	batch := make([]*commitReq, 0, maxBatch)
	for {
		select {
		case first := <-b.commits:
			batch = gather(batch, first, b.commits)
			b.commitBatch(batch)
		case reply := <-b.handovers:
			reply <- b.handover()
		case <-b.stop:
			drain(b.commits, b.commitBatch)
			return
		}
	}
}

// commitBatch checks each commit's version, appends the good ones to the
// log with one write and one sync, and only then makes them visible.
func (b *LocalBroker) commitBatch(batch []*commitReq) {
	ok := make([]accepted, 0, len(batch))
	// next is each board's head as the batch goes (a board may appear
	// twice in one batch).
	next := make(map[*boardLog]uint64)
	buf := b.log.buf[:0]
	b.mu.Lock()
	held := b.held
	b.mu.Unlock()
	for _, r := range batch {
		if r.del {
			// Whatever was accepted before the delete is written first.
			b.flush(buf, ok)
			buf, ok = b.log.buf[:0], ok[:0]
			clear(next)
			r.err = b.deleteBoard(r.board)
			close(r.done)
			continue
		}
		st, err := b.boardLog(r.board)
		switch {
		case err != nil:
			r.err = err
		case st == nil:
			r.err = ErrNoBoard
		case held > maxHeld:
			r.err = fmt.Errorf("%w: %d MiB of commits wait for a checkpoint", ErrUnavailable, held>>20)
		default:
			head, seen := next[st]
			if !seen {
				head = st.head
			}
			if r.records[0].V != head+1 {
				r.err = ErrConflict
				break
			}
			for _, rec := range r.records {
				buf = appendFrame(buf, r.board, rec)
			}
			next[st] = r.records[len(r.records)-1].V
			ok = append(ok, accepted{r, st})
			continue
		}
		close(r.done)
	}
	b.flush(buf, ok)
	b.log.buf = buf[:0]
}

// flush writes and syncs buf, then records and answers the commits in ok.
func (b *LocalBroker) flush(buf []byte, ok []accepted) {
	if len(ok) == 0 {
		return
	}
	err := b.log.append(buf)
	if err != nil {
		err = fmt.Errorf("%w: %v", ErrUnavailable, err)
	} else {
		b.mu.Lock()
		for _, a := range ok {
			a.st.pending = append(a.st.pending, a.r.records...)
			a.st.head = a.r.records[len(a.r.records)-1].V
			a.st.used = true
			for _, rec := range a.r.records {
				b.held += len(rec.Data)
			}
		}
		kick := b.held > kickHeld
		b.mu.Unlock()
		if kick {
			select {
			case b.kick <- struct{}{}:
			default:
			}
		}
	}
	for _, a := range ok {
		a.r.err = err
		close(a.r.done)
	}
}

// deleteBoard forgets the board's records and removes it from bbolt. Its
// records still in the log are skipped on replay (no bucket).
func (b *LocalBroker) deleteBoard(board string) error {
	b.mu.Lock()
	if st := b.boards[board]; st != nil {
		for _, rec := range st.pending {
			b.held -= len(rec.Data)
		}
		delete(b.boards, board)
	}
	b.mu.Unlock()
	return b.Update(context.Background(), func(tx *bolt.Tx) error {
		err := tx.Bucket(bktBoards).DeleteBucket([]byte(board))
		if errors.Is(err, bolterrors.ErrBucketNotFound) {
			return nil
		}
		return err
	})
}

// handover (commit writer) gives the checkpoint the segments filled since
// the last handover and, per board, the records not yet in bbolt: every
// record of those segments is among them, or in bbolt already. Entries
// idle since the previous handover go.
func (b *LocalBroker) handover() handoverMsg {
	rot := handoverMsg{sealed: b.log.takeSealed(), pending: b.copyPending()}
	b.mu.Lock()
	for id, st := range b.boards {
		if !st.used && len(st.pending) == 0 {
			delete(b.boards, id)
		}
		st.used = false
	}
	b.mu.Unlock()
	return rot
}

// copyPending copies, per board, the entry with its records not yet in
// bbolt.
func (b *LocalBroker) copyPending() map[string]boardLog {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]boardLog)
	for id, st := range b.boards {
		if len(st.pending) > 0 {
			out[id] = *st
		}
	}
	return out
}

// checkpointer moves the log's records into bbolt every checkpointEvery
// (or sooner when much is held) and deletes the segments that are then in
// bbolt. A failed checkpoint keeps its segments and is tried again.
func (b *LocalBroker) checkpointer() {
	defer close(b.ckptDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	var sealed []uint64
	for {
		select {
		case <-t.C:
		case <-b.kick:
		case <-b.stop:
			return
		}
		reply := make(chan handoverMsg, 1)
		select {
		case b.handovers <- reply:
		case <-b.stop:
			return
		}
		rot := <-reply
		sealed = append(sealed, rot.sealed...)
		if err := b.checkpoint(rot.pending, b.Update); err != nil {
			slog.Error("commit log: checkpoint into bbolt failed; will retry", "err", err)
			continue
		}
		if err := removeSegments(b.log.dir, sealed); err != nil {
			slog.Warn("commit log: cannot remove a checkpointed segment", "err", err)
		}
		sealed = sealed[:0]
	}
}

// checkpoint stores pending in bbolt and then drops it from memory.
func (b *LocalBroker) checkpoint(pending map[string]boardLog, update func(context.Context, func(*bolt.Tx) error) error) error {
	if len(pending) == 0 {
		return nil
	}
	stored, err := b.storeWith(pending, update)
	if err != nil {
		return err
	}
	b.mu.Lock()
	for id, v := range stored {
		st := b.boards[id]
		if st == nil || st.epoch != pending[id].epoch {
			continue
		}
		for len(st.pending) > 0 && st.pending[0].V <= v {
			b.held -= len(st.pending[0].Data)
			st.pending = st.pending[1:]
		}
		if v > st.stored {
			st.stored = v
		}
	}
	b.mu.Unlock()
	return nil
}

// store writes pending into bbolt directly (replay and Close, when the
// bbolt writer is not there to ask).
func (b *LocalBroker) store(pending map[string]boardLog) (map[string]uint64, error) {
	return b.storeWith(pending, func(_ context.Context, fn func(*bolt.Tx) error) error { return b.update(fn) })
}

// storeWith puts each board's pending records after its bbolt head, in one
// transaction, and returns the heads written. A board that is gone, or was
// made again under another epoch, is skipped.
func (b *LocalBroker) storeWith(pending map[string]boardLog, update func(context.Context, func(*bolt.Tx) error) error) (map[string]uint64, error) {
	stored := make(map[string]uint64, len(pending))
	err := update(context.Background(), func(tx *bolt.Tx) error {
		clear(stored)
		for id, st := range pending {
			bk := boardBucket(tx, id)
			if bk == nil || string(bk.Get(keyEpoch)) != st.epoch {
				continue
			}
			head := getU64(bk, keyHead)
			lg := bk.Bucket(bktLog)
			for _, rec := range st.pending {
				if rec.V != head+1 {
					continue // already there
				}
				if err := lg.Put(u64(rec.V), rec.Data); err != nil {
					return err
				}
				head = rec.V
			}
			if err := bk.Put(keyHead, u64(head)); err != nil {
				return err
			}
			stored[id] = head
		}
		return nil
	})
	return stored, err
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

// Commit implements Broker. It returns once the records are synced to the
// commit log.
func (b *LocalBroker) Commit(ctx context.Context, board string, records []Record) error {
	if len(records) == 0 {
		return nil
	}
	for i, r := range records[1:] {
		if r.V != records[0].V+uint64(i+1) {
			return fmt.Errorf("hub: records not consecutive at v%d", r.V)
		}
	}
	if err := b.queueCommit(ctx, &commitReq{board: board, records: records, done: make(chan struct{})}); err != nil {
		return err
	}
	b.subMu.RLock()
	for s := range b.subs[board] {
		if s.h.Records != nil {
			s.h.Records(records)
		}
	}
	b.subMu.RUnlock()
	return nil
}

// queueCommit hands r to the commit writer and waits for its answer.
func (b *LocalBroker) queueCommit(ctx context.Context, r *commitReq) error {
	if err := enqueue(b, ctx, b.commits, r); err != nil {
		return err
	}
	// Once queued it will be written or refused; wait for which, so that a
	// commit is never reported failed when it landed.
	<-r.done
	return r.err
}

// held returns a copy of the board's entry (zero if none).
func (b *LocalBroker) entry(board string) (boardLog, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.boards[board]
	if st == nil {
		return boardLog{}, false
	}
	return *st, true
}

// History implements Broker. The newest records come from memory, the older
// ones from bbolt. The memory part is copied first: a checkpoint that runs
// meanwhile only moves records into bbolt, where the read that follows
// finds them.
func (b *LocalBroker) History(ctx context.Context, board string, since uint64, limit int) ([]Record, error) {
	st, inMem := b.entry(board)
	if inMem && since >= st.stored {
		if since >= st.head {
			return nil, nil
		}
		if since+1 < st.first {
			return nil, ErrTrimmed
		}
		return clip(st.pending[since-st.stored:], limit), nil
	}
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
	if err != nil || !inMem {
		return out, err
	}
	last := since
	if len(out) > 0 {
		last = out[len(out)-1].V
	}
	for _, rec := range st.pending {
		if limit > 0 && len(out) >= limit {
			break
		}
		if rec.V > last {
			out = append(out, rec)
		}
	}
	return out, nil
}

// clip returns a copy of at most limit (<= 0: all) of recs.
func clip(recs []Record, limit int) []Record {
	if limit > 0 && len(recs) > limit {
		recs = recs[:limit]
	}
	return append([]Record(nil), recs...)
}

// Head implements Broker.
func (b *LocalBroker) Head(ctx context.Context, board string) (v uint64, epoch string, err error) {
	if st, ok := b.entry(board); ok {
		return st.head, st.epoch, nil
	}
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
	// The head may be ahead of bbolt's (records still in the log only).
	head, _, err := b.Head(ctx, board)
	if err != nil {
		return err
	}
	first := uint64(0)
	err = b.Update(ctx, func(tx *bolt.Tx) error {
		bk := boardBucket(tx, board)
		if bk == nil {
			return ErrNoBoard
		}
		if getU64(bk, keySnapV) >= v && v != 0 {
			return nil // only forward
		}
		if v > max(head, getU64(bk, keyHead)) {
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
			cut := v - keep // versions < cut+1 go
			if cut >= getU64(bk, keyFirst) {
				lg := bk.Bucket(bktLog)
				c := lg.Cursor()
				for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= cut; k, _ = c.Next() {
					if err := c.Delete(); err != nil {
						return err
					}
				}
				first = cut + 1
				return bk.Put(keyFirst, u64(first))
			}
		}
		return nil
	})
	if err == nil && first > 0 {
		b.mu.Lock()
		if st := b.boards[board]; st != nil && st.first < first {
			st.first = first
		}
		b.mu.Unlock()
	}
	return err
}

// Subscribe implements Broker. In one process the room that commits already
// holds the records, so subscribers matter only to rooms that did not commit
// (there are none in a single instance); it is kept for the contract.
func (b *LocalBroker) Subscribe(board string, h Handler) (func(), error) {
	s := &localSub{h: h}
	b.subMu.Lock()
	m := b.subs[board]
	if m == nil {
		m = make(map[*localSub]struct{})
		b.subs[board] = m
	}
	m[s] = struct{}{}
	b.subMu.Unlock()
	return func() {
		b.subMu.Lock()
		delete(b.subs[board], s)
		if len(b.subs[board]) == 0 {
			delete(b.subs, board)
		}
		b.subMu.Unlock()
	}, nil
}

// PublishPresence implements Broker: there is no other instance.
func (b *LocalBroker) PublishPresence(ctx context.Context, board string, msg []byte) error {
	return nil
}

// Delete implements Broker. It goes through the commit writer, after the
// commits queued before it.
func (b *LocalBroker) Delete(ctx context.Context, board string) error {
	return b.queueCommit(ctx, &commitReq{board: board, del: true, done: make(chan struct{})})
}

// stopWriters refuses new requests, lets the queued ones finish and stops
// the writers and the checkpoints.
func (b *LocalBroker) stopWriters() {
	b.closing.Lock()
	b.isClosed = true
	b.closing.Unlock()
	close(b.stop)
	<-b.ckptDone
	<-b.commitDone
	<-b.boltDone
}

// Close implements Broker: it lets queued commits finish, moves what the log
// holds into bbolt, and closes the files.
func (b *LocalBroker) Close() error {
	var err error
	b.once.Do(func() {
		b.stopWriters()
		// The final checkpoint: on the next start nothing is to replay.
		// If it fails, the log is kept and replayed then.
		if _, cerr := b.store(b.copyPending()); cerr == nil {
			if segs, lerr := listSegments(b.log.dir); lerr == nil {
				b.log.close()
				cerr = removeSegments(b.log.dir, segs)
			}
			err = cerr
		} else {
			err = cerr
		}
		b.log.close()
		err = errors.Join(err, b.db.Close())
	})
	return err
}
