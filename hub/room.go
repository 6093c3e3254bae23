package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tablee/tablee/board"
)

const (
	// recentKeep is how many committed entries a room keeps in memory to
	// transform late submits and answer `since` without reading storage.
	recentKeep = 512
	// recentDecoded is how many of them, the newest, stay decoded too: a
	// late submit is rarely further behind, and a decoded entry is many small
	// objects the garbage collector scans at every cycle, where the encoded
	// one is one array it does not look into (at 210 busy boards, decoded
	// entries made GC cycles of 100 ms of CPU every 1.5 s).
	recentDecoded = 64
	// snapshotEvery is how many versions pass between two stored snapshots,
	// so that loading a board replays at most about this many entries.
	snapshotEvery = 500
	// logKeep is how many versions the stored log keeps behind a snapshot,
	// so that clients reconnecting after a long pause still get `ops`.
	logKeep = 5000
	// idleTimeout is how long a room with no follower stays loaded, so that a
	// page reload or a flaky phone does not reload the board from storage.
	idleTimeout = 30 * time.Second
	// inboxSize buffers messages to a room; when full, read pumps wait
	// (backpressure onto the sockets of the busiest clients).
	inboxSize = 256
	// storageTimeout bounds one storage call; past it the room fails and
	// its clients reconnect, rather than wait forever on a dead disk.
	storageTimeout = 10 * time.Second
	// maxConflicts bounds the retries of one batch that lost the race to
	// another instance; each retry first takes the winner's entries.
	maxConflicts = 16
)

// follower is one connection following the room's board.
type follower struct {
	client   string     // the protocol client id (uuid), stable across reconnects
	name     string     // display name, for presence
	role     board.Role // what this connection may do on this board
	presence []byte     // its last presence message, replayed to newcomers
}

// recentEntry is a committed entry kept encoded (for catch-up) and, while it
// is among the newest recentDecoded, decoded (for transforms); past that its
// Changes are nil and it is decoded again if a transform needs it.
type recentEntry struct {
	entry board.Entry
	data  []byte
}

// Room serialises the commits of one board. Only its goroutine touches the
// board and the followers; everything else talks to it through inbox.
//
// The board only ever holds durable versions: a batch of submits is applied,
// committed through the Broker, and only then acknowledged and broadcast. A
// batch that fails to commit is undone by reloading the board from storage,
// which also takes in what another instance committed first.
type Room struct {
	id  string
	hub *Hub
	log *slog.Logger

	inbox chan any
	// dead is closed when the room's goroutine has ended; senders select on
	// it so that a read pump never blocks on a room that is gone.
	dead chan struct{}
	// refs counts connections following this room; guarded by hub.mu.
	refs int

	// Owned by the room goroutine.
	board     *board.Board
	followers map[*Client]*follower
	recent    []recentEntry
	snapV     uint64 // version of the last snapshot stored or being stored
	idleSince time.Time
	batch     []submitMsg // reused between batches
	scratch   []byte      // reused to encode entries
	unsub     func()
	// degraded: storage cannot be written. stalled is the batch whose
	// commit failed, unanswered until storage says whether it landed;
	// stallStart is the durable version before it.
	degraded   bool
	stalled    []pending
	stallStart uint64

	// saving is set while a snapshot is being written in the background, so
	// that at most one is in flight.
	saving atomic.Bool
	// known is the highest version this room holds or is committing: a
	// broker notification at or below it is the room's own commit.
	known atomic.Uint64
	// remote is signalled when another instance committed to this board.
	remote chan struct{}
	// incoming holds the records other instances published, handed over by
	// the broker's reader and applied by the room (catchUp) without asking
	// storage again; inLost says some were dropped (too many waiting), and
	// the room then reads the log. Guarded by inMu.
	inMu     sync.Mutex
	incoming []Record
	inLost   bool
}

// maxIncoming bounds the published records waiting for a room; past it they
// are dropped and read back from the log.
const maxIncoming = 4096

// Messages to a room.
type (
	joinMsg struct {
		c      *Client
		client string
		name   string
		role   board.Role
		since  *sinceField
	}
	leaveMsg struct {
		c *Client
	}
	submitMsg struct {
		c       *Client
		seq     uint64
		base    uint64
		changes []board.Change
		// as is set for a submit made by the server itself (closing a
		// workshop, say): it writes as this follower, on the current
		// version, with the next seq of its client.
		as *follower
	}
	// evictMsg disconnects every follower of the board (it was deleted).
	evictMsg struct {
		code   int
		reason string
	}
	presenceIn struct {
		c   *Client
		msg *inMsg
	}
	pingMsg struct {
		c *Client
	}
	stopMsg struct {
		done chan struct{}
	}
	// remotePresence is a presence message from another instance.
	remotePresence struct {
		msg []byte
	}
)

func newRoom(h *Hub, id string) *Room {
	return &Room{
		id:        id,
		hub:       h,
		log:       h.log.With("board", id),
		inbox:     make(chan any, inboxSize),
		dead:      make(chan struct{}),
		followers: make(map[*Client]*follower),
		remote:    make(chan struct{}, 1),
	}
}

// send hands m to the room, or reports false if the room is gone.
func (r *Room) send(m any) bool {
	select {
	case r.inbox <- m:
		return true
	case <-r.dead:
		return false
	}
}

// run is the room's goroutine.
func (r *Room) run() {
	defer close(r.dead)
	if err := r.load(); err != nil {
		r.failAll(err)
		return
	}
	// Another instance's commits wake the room; in one process the room that
	// commits is the only one, and this never fires.
	r.known.Store(r.board.V)
	unsub, err := r.hub.broker.Subscribe(r.id, Handler{
		Records: func(recs []Record) {
			if len(recs) == 0 || recs[len(recs)-1].V <= r.known.Load() {
				return
			}
			r.inMu.Lock()
			if len(r.incoming)+len(recs) > maxIncoming {
				r.inLost = true
			} else {
				r.incoming = append(r.incoming, recs...)
			}
			r.inMu.Unlock()
			select {
			case r.remote <- struct{}{}:
			default:
			}
		},
		Presence: func(msg []byte) {
			select {
			case r.inbox <- remotePresence{msg: msg}:
			default: // ephemeral: dropped rather than block the broker
			}
		},
	})
	if err != nil {
		r.failAll(err)
		return
	}
	r.unsub = unsub
	defer r.unsub()

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	r.idleSince = time.Now()
	for {
		select {
		case m := <-r.inbox:
			switch m := m.(type) {
			case stopMsg:
				r.shutdown()
				close(m.done)
				return
			case submitMsg:
				if r.degraded {
					m.c.trySend(encodeReject(r.id, m.seq, CodeUnavailable,
						"storage is unavailable: not saving now; resend later"))
					continue
				}
				if !r.submitBatch(m) {
					return
				}
			default:
				r.handle(m)
			}
		case <-r.remote:
			if !r.degraded && !r.catchUp(0) {
				return
			}
		case now := <-tick.C:
			if len(r.followers) == 0 && now.Sub(r.idleSince) > idleTimeout && r.hub.removeIfIdle(r) {
				r.shutdown()
				return
			}
			if r.degraded {
				if !r.recover() {
					r.failed(nil)
					return
				}
				continue
			}
			// Notifications can be lost (Redis pub/sub is at most once): the
			// stored head tells whether another instance committed since.
			// Alone, nobody else commits: nothing to check.
			if r.hub.shared && !r.checkHead() {
				return
			}
		}
	}
}

// load reads the board: its snapshot, then the log after it.
func (r *Room) load() error {
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	defer cancel()
	state, v, _, err := r.hub.broker.Load(ctx, r.id)
	if err != nil {
		return err
	}
	b, err := board.UnmarshalState(state)
	if err != nil {
		return fmt.Errorf("board %s: bad snapshot: %w", r.id, err)
	}
	if b.V != v {
		return fmt.Errorf("board %s: snapshot says v%d, store says v%d", r.id, b.V, v)
	}
	recs, err := r.hub.broker.History(ctx, r.id, v, 0)
	if err != nil {
		return err
	}
	r.recent = r.recent[:0]
	for _, rec := range recs {
		e, err := decodeEntry(rec.Data)
		if err != nil {
			return fmt.Errorf("board %s v%d: %w", r.id, rec.V, err)
		}
		// Replay as facilitator: what was committed was allowed then.
		if err := b.ApplyEntry(e, board.RoleFacilitator); err != nil {
			return fmt.Errorf("board %s: replay v%d: %w", r.id, rec.V, err)
		}
		r.remember(e, rec.Data)
	}
	r.board = b
	r.snapV = v
	return nil
}

// encodeEntry writes an entry as the protocol's {"v","client","seq","changes"}
// without reflection; the client id is a validated uuid. It is encoded in
// scratch (reused), then copied to a slice of its exact size: the entry is
// kept (in recent, in the log), and a guessed capacity would either be
// outgrown (a keystroke is just over 128 bytes) or hold unused memory.
func encodeEntry(scratch *[]byte, e board.Entry) ([]byte, error) {
	b, err := appendEntry((*scratch)[:0], e)
	if err != nil {
		return nil, err
	}
	if cap(b) <= maxScratch {
		*scratch = b
	}
	return bytes.Clone(b), nil
}

// maxScratch is the largest scratch buffer a room keeps between entries.
const maxScratch = 64 << 10

func appendEntry(b []byte, e board.Entry) ([]byte, error) {
	b = append(b, `{"v":`...)
	b = strconv.AppendUint(b, e.V, 10)
	b = append(b, `,"client":`...)
	b = appendJSONString(b, e.Client)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"changes":`...)
	b, err := board.AppendChanges(b, e.Changes)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// decodeEntry reads a committed entry (another instance's, or from the
// log). Entries are written by rooms (appendEntry): plain members "v",
// "client", "seq", "changes", read here without reflection; anything else
// goes through encoding/json.
func decodeEntry(data []byte) (board.Entry, error) {
	if e, ok := decodeEntryFast(data); ok {
		return e, nil
	}
	var e board.Entry
	err := json.Unmarshal(data, &e)
	return e, err
}

func decodeEntryFast(data []byte) (board.Entry, bool) {
	var e board.Entry
	i := board.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return e, false
	}
	i = board.SkipSpace(data, i+1)
	var seen [4]bool
	var changes []byte
	for {
		key, j, ok := board.PlainString(data, i, true)
		if !ok {
			return e, false
		}
		if i = board.SkipSpace(data, j); i >= len(data) || data[i] != ':' {
			return e, false
		}
		i = board.SkipSpace(data, i+1)
		k := -1
		switch string(key) {
		case "v":
			k = 0
			e.V, i, ok = board.PlainUint(data, i)
		case "client":
			k = 1
			var v []byte
			v, i, ok = board.PlainString(data, i, true)
			e.Client = string(v)
		case "seq":
			k = 2
			e.Seq, i, ok = board.PlainUint(data, i)
		case "changes":
			k = 3
			j, ok = board.SkipJSON(data, i)
			changes, i = data[i:j], j
		}
		if k < 0 || !ok || seen[k] {
			return e, false // another member, or one twice: encoding/json decides
		}
		seen[k] = true
		if i = board.SkipSpace(data, i); i >= len(data) {
			return e, false
		}
		if data[i] == '}' {
			break
		}
		if data[i] != ',' {
			return e, false
		}
		i = board.SkipSpace(data, i+1)
	}
	if board.SkipSpace(data, i+1) != len(data) || !seen[0] || !seen[3] || changes[0] != '[' {
		return e, false
	}
	cs, err := board.DecodeChanges(changes)
	if err != nil {
		return e, false
	}
	e.Changes = cs
	return e, true
}

func (r *Room) remember(e board.Entry, data []byte) {
	if len(r.recent) >= recentKeep+recentKeep/4 {
		// Keep the newest recentKeep, shifted in place: one copy every
		// recentKeep/4 commits (a shift per commit cost a 512-entry memmove
		// each), and the slice stays one allocation.
		n := copy(r.recent, r.recent[len(r.recent)-recentKeep:])
		clear(r.recent[n:])
		r.recent = r.recent[:n]
	}
	r.recent = append(r.recent, recentEntry{entry: e, data: data})
	if n := len(r.recent) - 1 - recentDecoded; n >= 0 {
		r.recent[n].entry.Changes = nil
	}
}

// failAll answers everyone waiting on a room that could not load.
func (r *Room) failAll(err error) {
	code, msg := CodeUnavailable, "the board cannot be loaded now"
	if errors.Is(err, ErrNoBoard) {
		code, msg = CodeNotFound, "no such board"
	} else {
		r.log.Error("room load failed", "err", err)
	}
	r.hub.remove(r)
	r.drain(code, msg, false)
}

// drain answers what is still queued for a room that is ending.
func (r *Room) drain(code, msg string, kick bool) {
	for {
		select {
		case m := <-r.inbox:
			switch m := m.(type) {
			case joinMsg:
				m.c.trySend(encodeError(r.id, code, msg))
				if kick {
					m.c.kick(CloseFailed, "storage failed")
				}
			case submitMsg:
				m.c.trySend(encodeReject(r.id, m.seq, code, msg))
			case stopMsg:
				close(m.done)
			}
		default:
			return
		}
	}
}

func (r *Room) handle(m any) {
	switch m := m.(type) {
	case joinMsg:
		r.join(m)
	case leaveMsg:
		r.leave(m.c)
	case presenceIn:
		r.presence(m)
	case remotePresence:
		r.broadcastPresence(nil, m.msg)
	case evictMsg:
		for c := range r.followers {
			c.kick(m.code, m.reason)
			delete(r.followers, c)
		}
		r.idleSince = time.Now()
	case pingMsg:
		if _, ok := r.followers[m.c]; ok {
			m.c.trySend(encodePong(r.id, r.board.V, true, time.Now().UnixMilli()))
		} else {
			m.c.trySend(encodeError(r.id, CodeNotFollowing, "ping names a board this connection does not follow"))
		}
	}
}

func (r *Room) join(m joinMsg) {
	if r.degraded {
		// The board in memory holds a batch not known to be saved.
		m.c.trySend(encodeError(r.id, CodeUnavailable, "storage is unavailable; retry in a moment"))
		return
	}
	b := r.board
	w := welcomeMsg{
		Type: "welcome", Board: r.id, V: b.V, Epoch: b.Epoch,
		Role: m.role.String(), LastSeq: b.Clients[m.client].Seq,
		Time: time.Now().UnixMilli(),
	}
	if ops, ok := r.opsSince(m.since); ok {
		w.Ops = &ops
	} else {
		snap := b.Snapshot()
		w.Snapshot = json.RawMessage(snap.AppendJSON(nil))
	}
	data, err := json.Marshal(w)
	if err != nil {
		r.log.Error("encode welcome", "err", err)
		m.c.trySend(encodeError(r.id, CodeUnavailable, "internal error"))
		return
	}
	f := r.followers[m.c]
	if f == nil {
		f = &follower{}
		r.followers[m.c] = f
	}
	f.client, f.name, f.role = m.client, m.name, m.role
	m.c.trySend(data)
	for c, o := range r.followers {
		if c != m.c && o.presence != nil {
			m.c.trySend(o.presence)
		}
	}
}

// opsSince returns the entries after since when they can all be had on the
// same epoch; false means: send the snapshot.
func (r *Room) opsSince(since *sinceField) ([]json.RawMessage, bool) {
	b := r.board
	if since == nil || since.Epoch != b.Epoch || since.V > b.V {
		return nil, false
	}
	ops := make([]json.RawMessage, 0, b.V-since.V)
	if since.V == b.V {
		return ops, true
	}
	if len(r.recent) > 0 && r.recent[0].entry.V <= since.V+1 {
		for _, e := range r.recent {
			if e.entry.V > since.V {
				ops = append(ops, e.data)
			}
		}
		return ops, true
	}
	// Older than memory: the stored log has it, unless trimmed.
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	defer cancel()
	recs, err := r.hub.broker.History(ctx, r.id, since.V, int(b.V-since.V))
	if err != nil || len(recs) != int(b.V-since.V) {
		return nil, false
	}
	for _, rec := range recs {
		ops = append(ops, rec.Data)
	}
	return ops, true
}

func (r *Room) leave(c *Client) {
	f := r.followers[c]
	if f == nil {
		return
	}
	delete(r.followers, c)
	if len(r.followers) == 0 {
		r.idleSince = time.Now()
	}
	msg, _ := json.Marshal(presenceMsg{Type: "presence", Board: r.id, Client: f.client, Name: f.name, Gone: true})
	r.broadcastPresence(c, msg)
	r.publishPresence(msg)
}

// publishPresence hands a presence message to the other instances (none on
// the embedded default). It never waits on the network: the broker queues.
func (r *Room) publishPresence(msg []byte) {
	if r.hub.shared {
		r.hub.broker.PublishPresence(context.Background(), r.id, msg)
	}
}

func (r *Room) presence(m presenceIn) {
	f := r.followers[m.c]
	if f == nil {
		m.c.trySend(encodeError(r.id, CodeNotFollowing, "presence names a board this connection does not follow"))
		return
	}
	if f.role == board.RoleViewer {
		return // a projector is not someone in the room
	}
	msg, _ := json.Marshal(presenceMsg{
		Type: "presence", Board: r.id, Client: f.client, Name: f.name, Role: f.role.String(),
		Focus: m.msg.Focus, Cursor: m.msg.Cursor, X: m.msg.X, Y: m.msg.Y,
	})
	f.presence = msg
	r.broadcastPresence(m.c, msg)
	r.publishPresence(msg)
}

func (r *Room) broadcastPresence(from *Client, msg []byte) {
	if len(r.followers) == 0 {
		return
	}
	for c := range r.followers {
		if c != from {
			c.trySend(msg)
		}
	}
}

// pending is a submit of the current batch and what it came to.
type pending struct {
	m    submitMsg
	kind int    // pendCommit, pendAck, pendDone
	v    uint64 // the version it was committed at (or its resend's original)
	data []byte // its entry, for the op broadcast
}

const (
	pendCommit = iota // applied, committed with the batch: ack + op
	pendAck           // a resend of a committed seq: ack it once the batch is durable
	pendDone          // answered already (refused)
)

// submitBatch takes first and every submit queued right behind it, applies
// them in order, commits them in one Broker call, then answers. Reports
// false when the room has failed and must end.
func (r *Room) submitBatch(first submitMsg) bool {
	r.batch = append(r.batch[:0], first)
	var next any
gather:
	for len(r.batch) < maxBatch {
		select {
		case m := <-r.inbox:
			if s, ok := m.(submitMsg); ok {
				r.batch = append(r.batch, s)
				continue
			}
			next = m // keep the order: handled right after the batch
			break gather
		default:
			break gather
		}
	}
	ok := r.commitBatch(r.batch)
	for i := range r.batch {
		r.batch[i] = submitMsg{}
	}
	if !ok {
		r.failed(next)
		return false
	}
	if next != nil {
		if stop, isStop := next.(stopMsg); isStop {
			r.shutdown()
			close(stop.done)
			return false
		}
		r.handle(next)
	}
	return true
}

// commitBatch applies, commits and answers a batch. On a conflict with
// another instance it reloads the board (taking the winner's entries) and
// tries again; each submit is transformed from its own base every time. A
// refusal is final: it was sent, the client has moved on. When storage
// cannot be written the room turns degraded and keeps the batch unanswered
// until storage tells whether it landed. Reports false if the room must end.
func (r *Room) commitBatch(batch []submitMsg) bool {
	work := make([]pending, len(batch))
	for i := range batch {
		work[i].m = batch[i]
	}
	return r.commitWork(work)
}

func (r *Room) commitWork(work []pending) bool {
	for try := 0; ; try++ {
		start := r.board.V
		// With instances sharing the board, a commit can lose a race: keep
		// the board as it was, to go back to it cheaply. Alone, a commit
		// only fails with storage, and the rare reload is fine.
		var pre *board.Board
		if r.hub.shared {
			pre = r.board.Clone()
		}
		recs := make([]Record, 0, len(work))
		for i := range work {
			if work[i].kind == pendDone {
				continue
			}
			if r.prepare(&work[i]) {
				recs = append(recs, Record{V: work[i].v, Data: work[i].data})
			}
		}
		if len(recs) == 0 {
			r.deliver(work)
			return true
		}
		r.known.Store(recs[len(recs)-1].V)
		ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
		err := r.hub.broker.Commit(ctx, r.id, recs)
		cancel()
		if err == nil {
			r.deliver(work)
			if r.board.V-r.snapV >= snapshotEvery {
				r.saveSnapshot()
			}
			return true
		}
		r.known.Store(start)
		switch {
		case errors.Is(err, ErrConflict) && try < maxConflicts:
			r.log.Debug("lost a commit race; taking the other instance's entries", "from", start+1)
			var ok bool
			if pre != nil {
				ok = r.rollback(pre, start, work)
			} else {
				ok = r.reconcile(start, work)
			}
			if !ok {
				r.degrade(start, work, err)
				return true
			}
		case errors.Is(err, ErrNoBoard):
			return r.recreate(start, work)
		default:
			// Unknown outcome (Redis may have run the script before the
			// connection broke) or a failed write: answer nothing yet.
			r.degrade(start, work, err)
			return true
		}
	}
}

// reconcile reloads the board from storage after a batch did not commit,
// sends followers what was committed since start — the ack to the
// connection whose submit it was, the op to the others — and marks those
// submits answered. The rest of work is ready to be prepared again. It
// reports false when storage cannot be read (the caller degrades).
func (r *Room) reconcile(start uint64, work []pending) bool {
	epoch := r.board.Epoch
	if err := r.load(); err != nil {
		r.log.Warn("reload", "err", err)
		return false
	}
	if r.board.Epoch != epoch {
		// History was reset (Redis lost its data): every follower must take
		// the snapshot of the new epoch.
		r.resetFollowers()
		for i := range work {
			work[i].kind = pendDone
		}
		return true
	}
	if r.board.V <= start {
		return true
	}
	// The loaded snapshot may be newer than start (another instance saved
	// one): the versions in between come from the log.
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	recs, err := r.hub.broker.History(ctx, r.id, start, int(r.board.V-start))
	cancel()
	if errors.Is(err, ErrTrimmed) {
		r.resetFollowers() // too far behind to replay: everyone resyncs
		return true
	}
	if err != nil {
		r.log.Warn("reload history", "err", err)
		return false
	}
	for _, rec := range recs {
		if rec.V > r.board.V {
			break
		}
		e, err := decodeEntry(rec.Data)
		if err != nil {
			r.log.Error("decode entry", "v", rec.V, "err", err)
			return false
		}
		r.answerOrBroadcast(e, rec.Data, work)
	}
	r.known.Store(r.board.V)
	return true
}

// rollback puts the board back as it was before a batch that lost a commit
// race, then takes the entries committed since from the log, in order.
func (r *Room) rollback(pre *board.Board, start uint64, work []pending) bool {
	r.board = pre
	for n := len(r.recent); n > 0 && r.recent[n-1].entry.V > start; n-- {
		r.recent[n-1] = recentEntry{}
		r.recent = r.recent[:n-1]
	}
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	recs, err := r.hub.broker.History(ctx, r.id, start, 0)
	cancel()
	if errors.Is(err, ErrTrimmed) {
		return r.reconcile(start, work)
	}
	if err != nil {
		r.log.Warn("history after a lost race", "err", err)
		return false
	}
	for _, rec := range recs {
		if rec.V != r.board.V+1 {
			break
		}
		e, err := decodeEntry(rec.Data)
		if err == nil {
			err = r.board.ApplyEntry(e, board.RoleFacilitator)
		}
		if err != nil {
			r.log.Error("apply entry of another instance", "v", rec.V, "err", err)
			return r.reconcile(start, work)
		}
		r.remember(e, rec.Data)
		r.answerOrBroadcast(e, rec.Data, work)
	}
	r.known.Store(r.board.V)
	return true
}

// answerOrBroadcast sends a committed entry found in storage: the ack to the
// connection of the batch whose submit it is (a commit whose answer was
// lost), the op to every other follower.
func (r *Room) answerOrBroadcast(e board.Entry, data []byte, work []pending) {
	var from *Client
	for i := range work {
		p := &work[i]
		if f := r.submitter(p.m); p.kind != pendDone && f != nil && f.client == e.Client && p.m.seq == e.Seq {
			p.m.c.trySend(encodeAck(r.id, p.m.seq, e.V))
			p.kind = pendDone
			from = p.m.c
			break
		}
	}
	r.broadcastOp(from, encodeOp(r.id, data))
}

// recreate puts back a board that storage lost (Redis restarted without
// persistence) from the room's state, under a new epoch; the batch is in
// that state, so it is acknowledged, then every follower resyncs. If another
// instance put the board back first, the room takes that one instead.
func (r *Room) recreate(start uint64, work []pending) bool {
	rc, ok := r.hub.broker.(interface {
		CreateAt(ctx context.Context, board, epoch string, state []byte, v uint64) (bool, error)
	})
	if !ok {
		r.log.Error("board vanished from storage")
		return false
	}
	// A board that storage lost and the directory no longer knows was
	// deleted (by another instance): it must not come back.
	if ex, ok := r.hub.auth.(interface {
		BoardExists(ctx context.Context, board string) (bool, error)
	}); ok {
		ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
		exists, err := ex.BoardExists(ctx, r.id)
		cancel()
		if err == nil && !exists {
			r.handle(evictMsg{code: CloseDeleted, reason: "this board was deleted"})
			return false
		}
	}
	old := r.board.Epoch
	r.board.Epoch = NewEpoch()
	state, err := r.board.MarshalState()
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	created, err := rc.CreateAt(ctx, r.id, r.board.Epoch, state, r.board.V)
	cancel()
	if err != nil {
		r.board.Epoch = old
		r.degrade(start, work, err)
		return true
	}
	if !created {
		r.board.Epoch = old // ours was never stored: reload theirs
		if !r.reconcile(start, work) {
			r.degrade(start, work, ErrUnavailable)
		}
		return true
	}
	r.log.Warn("board was lost by storage; put back under a new epoch", "v", r.board.V, "epoch", r.board.Epoch)
	r.snapV = r.board.V
	r.deliver(work)
	r.resetFollowers()
	return true
}

// resetFollowers disconnects every follower so that each says hello again
// and takes the board's state afresh.
func (r *Room) resetFollowers() {
	for c := range r.followers {
		c.kick(CloseFailed, "board history reset; reconnect")
		delete(r.followers, c)
	}
}

// degrade enters the degraded state: storage cannot be written. Followers
// are told (status "degraded"); new submits are refused with unavailable,
// which is safe because they are never sent; the stalled batch waits. A
// tick retries; see recover.
func (r *Room) degrade(start uint64, work []pending, err error) {
	if !r.degraded {
		r.log.Error("storage unavailable; not saving", "err", err)
		r.broadcastStatus("degraded")
	}
	r.degraded = true
	r.stallStart = start
	r.stalled = append(r.stalled[:0], work...)
}

// recover tries storage again: it reloads the board, answers the stalled
// submits that did land, commits the others, and leaves the degraded state.
func (r *Room) recover() bool {
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	_, _, err := r.hub.broker.Head(ctx, r.id)
	cancel()
	if err != nil && !errors.Is(err, ErrNoBoard) {
		return true // still down; try again at the next tick
	}
	work := append([]pending(nil), r.stalled...)
	r.stalled = r.stalled[:0]
	r.degraded = false
	if errors.Is(err, ErrNoBoard) {
		// Storage came back empty. The board in memory is the stalled
		// batch's speculative state: put it back, batch included.
		if !r.recreate(r.stallStart, work) {
			return false
		}
	} else if !r.reconcile(r.stallStart, work) {
		r.degraded = true
		r.stalled = append(r.stalled[:0], work...)
		return true
	}
	if !r.degraded {
		r.broadcastStatus("ok")
		r.log.Info("storage back")
	}
	return r.commitWork(work)
}

// broadcastStatus tells every follower whether the board is being saved.
func (r *Room) broadcastStatus(state string) {
	msg := encodeStatus(r.id, state)
	for c := range r.followers {
		c.trySend(msg)
	}
}

// submitter is who a submit writes as: its connection's follower, or the
// server's own identity.
func (r *Room) submitter(m submitMsg) *follower {
	if m.as != nil {
		return m.as
	}
	return r.followers[m.c]
}

// prepare checks and applies one submit on the board: it reports true with
// p.v and p.data set when there is an entry to commit. It sends refusals
// itself (p.kind = pendDone); a resend waits for the batch (pendAck).
func (r *Room) prepare(p *pending) bool {
	p.kind = pendDone
	f := r.submitter(p.m)
	if p.m.as != nil {
		// The server's own submit: made on the current version.
		p.m.seq = r.board.Clients[f.client].Seq + 1
		p.m.base = r.board.V
	}
	m := p.m
	reject := func(code, msg string) bool {
		m.c.trySend(encodeReject(r.id, m.seq, code, msg))
		return false
	}
	if f == nil {
		return reject(CodeNotFollowing, "say hello to this board before submitting")
	}
	if f.role == board.RoleViewer {
		return reject(CodeForbidden, "a viewer cannot write")
	}
	b := r.board
	// A resend of a committed seq gets its original ack, never a second
	// commit; the ack waits for the batch, whose commit may hold the original.
	if last := b.Clients[f.client]; m.seq <= last.Seq {
		if v, ok := r.committedAt(f.client, m.seq); ok {
			p.kind, p.v = pendAck, v
			return false
		}
		return reject(CodeBadSeq, fmt.Sprintf("seq %d is not above the last committed seq %d", m.seq, last.Seq))
	}
	if m.base > b.V {
		return reject(CodeBadBase, fmt.Sprintf("base %d is ahead of the board's version %d", m.base, b.V))
	}
	changes := m.changes
	if m.base < b.V {
		missed, ok := r.entriesSince(m.base)
		if !ok {
			return reject(CodeStaleBase, fmt.Sprintf("base %d is older than the log reaches; say hello again", m.base))
		}
		for _, e := range missed {
			changes = board.TransformChanges(changes, e.Changes)
		}
	}
	e := board.Entry{V: b.V + 1, Client: f.client, Seq: m.seq, Changes: changes}
	data, err := encodeEntry(&r.scratch, e)
	if err != nil {
		return reject(board.CodeBadChange, err.Error())
	}
	if err := b.ApplyEntry(e, f.role); err != nil {
		var be *board.Error
		if errors.As(err, &be) {
			return reject(be.Code, be.Message)
		}
		return reject(CodeUnavailable, err.Error())
	}
	r.remember(e, data)
	p.kind, p.v, p.data = pendCommit, e.V, data
	return true
}

// deliver answers a committed batch: the ack to each submitter, the op to
// every other follower, each encoded once.
func (r *Room) deliver(work []pending) {
	for i := range work {
		p := &work[i]
		switch p.kind {
		case pendAck:
			p.m.c.trySend(encodeAck(r.id, p.m.seq, p.v))
		case pendCommit:
			p.m.c.trySend(encodeAck(r.id, p.m.seq, p.v))
			r.broadcastOp(p.m.c, encodeOp(r.id, p.data))
		}
	}
	r.known.Store(r.board.V)
}

func (r *Room) broadcastOp(from *Client, msg []byte) {
	if len(r.followers) == 0 || (len(r.followers) == 1 && r.followers[from] != nil) {
		return
	}
	for c := range r.followers {
		if c != from {
			c.trySend(msg)
		}
	}
}

// committedAt finds the version at which client's seq was committed.
func (r *Room) committedAt(client string, seq uint64) (uint64, bool) {
	if last := r.board.Clients[client]; last.Seq == seq {
		return last.V, true
	}
	for i := len(r.recent) - 1; i >= 0; i-- {
		if e := r.recent[i].entry; e.Client == client && e.Seq == seq {
			return e.V, true
		}
	}
	return 0, false
}

// entriesSince returns the entries after v, decoded: from memory, with
// what memory lacks read from storage. During a batch the board (and memory)
// is ahead of storage, so storage is asked only for what precedes memory.
func (r *Room) entriesSince(v uint64) ([]board.Entry, bool) {
	want := int(r.board.V - v)
	out := make([]board.Entry, 0, want)
	upTo := r.board.V // last version storage must give
	if len(r.recent) > 0 {
		upTo = r.recent[0].entry.V - 1
	}
	if upTo > v {
		ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
		recs, err := r.hub.broker.History(ctx, r.id, v, int(upTo-v))
		cancel()
		if err != nil || len(recs) != int(upTo-v) {
			return nil, false
		}
		for _, rec := range recs {
			e, err := decodeEntry(rec.Data)
			if err != nil {
				return nil, false
			}
			out = append(out, e)
		}
	}
	// recent holds consecutive versions: start at v+1 rather than scan.
	from := 0
	if len(r.recent) > 0 && v+1 > r.recent[0].entry.V {
		from = int(v + 1 - r.recent[0].entry.V)
	}
	for _, e := range r.recent[min(from, len(r.recent)):] {
		if e.entry.Changes == nil {
			d, err := decodeEntry(e.data)
			if err != nil || d.V != e.entry.V {
				return nil, false
			}
			e.entry = d
		}
		out = append(out, e.entry)
	}
	return out, len(out) == want
}

// checkHead compares the stored head with the board and catches up.
func (r *Room) checkHead() bool {
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	v, _, err := r.hub.broker.Head(ctx, r.id)
	cancel()
	if errors.Is(err, ErrNoBoard) && len(r.followers) > 0 {
		// Deleted, or lost by Redis: recreate decides, with nothing to commit.
		return r.recreate(r.board.V, nil)
	}
	if err != nil || v <= r.board.V {
		return true
	}
	return r.catchUp(v)
}

// catchUp takes the entries another instance committed: those it published,
// then, if one is missing or the board is still below head (the stored
// head, 0 when unknown), the log's, in order. A lost or repeated
// notification is harmless.
func (r *Room) catchUp(head uint64) bool {
	// What was published comes first: in version order, it usually takes
	// the board to the head without a read of the log.
	r.inMu.Lock()
	recs, lost := r.incoming, r.inLost
	r.incoming, r.inLost = nil, false
	r.inMu.Unlock()
	gap := lost
	for _, rec := range recs {
		if rec.V <= r.board.V {
			continue // already here (our own, or a repeat)
		}
		if rec.V != r.board.V+1 {
			gap = true // a message was lost: the log has it
			break
		}
		if !r.applyRemote(rec) {
			return false
		}
	}
	if !gap && r.board.V >= head {
		r.known.Store(r.board.V)
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
	defer cancel()
	recs, err := r.hub.broker.History(ctx, r.id, r.board.V, 0)
	if errors.Is(err, ErrTrimmed) {
		// Too far behind to replay: reload from the snapshot.
		if !r.reconcile(r.board.V, nil) {
			r.log.Warn("catch up: storage unreadable; the head check retries")
		}
		return true
	}
	if err != nil {
		r.log.Warn("catch up", "err", err)
		return true // the periodic check retries
	}
	for _, rec := range recs {
		if rec.V != r.board.V+1 {
			continue
		}
		if !r.applyRemote(rec) {
			return false
		}
	}
	r.known.Store(r.board.V)
	return true
}

// applyRemote applies another instance's committed record and sends it to
// this instance's followers. False if it cannot apply: the room must end.
func (r *Room) applyRemote(rec Record) bool {
	e, err := decodeEntry(rec.Data)
	if err == nil {
		err = r.board.ApplyEntry(e, board.RoleFacilitator)
	}
	if err != nil {
		r.log.Error("apply remote entry", "v", rec.V, "err", err)
		r.failed(nil)
		return false
	}
	r.remember(e, rec.Data)
	r.broadcastOp(nil, encodeOp(r.id, rec.Data))
	return true
}

// saveSnapshot stores the board's state in the background; it is already
// durable through the log, so the snapshot only shortens the next load.
func (r *Room) saveSnapshot() {
	if r.board.V == r.snapV || !r.saving.CompareAndSwap(false, true) {
		return
	}
	state, err := r.board.MarshalState()
	if err != nil {
		r.saving.Store(false)
		r.log.Error("encode snapshot", "err", err)
		return
	}
	v := r.board.V
	r.snapV = v
	go func() {
		defer r.saving.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
		defer cancel()
		if err := r.hub.broker.SaveSnapshot(ctx, r.id, v, state, logKeep); err != nil {
			r.log.Warn("save snapshot", "v", v, "err", err)
		}
	}()
}

// failed ends a room whose storage failed: what it answered is durable,
// what it did not is not, so every follower is told and disconnected; they
// reconnect to a fresh room and resend what was not acknowledged.
func (r *Room) failed(next any) {
	r.hub.remove(r)
	r.log.Error("room failed; clients will reconnect")
	msg := encodeError(r.id, CodeUnavailable, "storage failed; reconnecting")
	for c := range r.followers {
		c.trySend(msg)
		c.kick(CloseFailed, "storage failed")
	}
	if next != nil {
		select {
		case r.inbox <- next:
		default:
		}
	}
	r.drain(CodeUnavailable, "the board cannot be served now; retry", true)
}

// shutdown stores a last snapshot so that the next load replays nothing.
func (r *Room) shutdown() {
	for r.saving.Load() {
		time.Sleep(time.Millisecond) // a background save is finishing
	}
	// A degraded room's board holds a batch not known to be saved: it must
	// never become a snapshot.
	if !r.degraded && r.board.V != r.snapV {
		state, err := r.board.MarshalState()
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), storageTimeout)
			err = r.hub.broker.SaveSnapshot(ctx, r.id, r.board.V, state, logKeep)
			cancel()
		}
		if err != nil {
			r.log.Warn("last snapshot", "err", err)
		}
	}
	r.drain(CodeUnavailable, "the board is closing; say hello again", false)
}
