package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tablee/tablee/board"
)

const (
	// recentKeep is how many committed entries a room keeps decoded in memory
	// to transform late submits and answer `since` without reading storage.
	recentKeep = 512
	// snapshotEvery is how many versions pass between two stored snapshots,
	// so that loading a board replays at most this many entries.
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
	// commitQueue buffers entries between the room and its committer.
	commitQueue = 1024
	// commitTimeout bounds one storage write; past it the room fails and
	// its clients reconnect, rather than wait forever on a dead disk.
	commitTimeout = 10 * time.Second
)

// follower is one connection following the room's board.
type follower struct {
	client   string     // the protocol client id (uuid), stable across reconnects
	name     string     // display name, for presence
	role     board.Role // what this connection may do on this board
	from     uint64     // the version its welcome carries: it gets ops above it
	welcomed bool       // its welcome was sent; presence waits for it
	presence []byte     // its last presence message, replayed to newcomers
}

// delivery is something to send once version v is durable.
type delivery struct {
	v    uint64
	kind int // deliverAck, deliverOp, deliverWelcome
	to   *Client
	msg  []byte
}

const (
	deliverAck = iota
	deliverOp
	deliverWelcome
)

// recentEntry is a committed entry kept decoded (for transforms) and encoded
// (for catch-up).
type recentEntry struct {
	entry board.Entry
	data  []byte
}

// Room serialises the commits of one board. Only its goroutine touches the
// board and the followers; everything else talks to it through inbox.
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
	outbox    []delivery
	snapV     uint64 // version of the last snapshot handed to the committer
	idleSince time.Time
	failed    bool

	// Between the room and its committer.
	commits   chan commitItem
	durable   atomic.Uint64 // highest version known durable
	commitErr atomic.Pointer[error]
	notify    chan struct{} // a non-blocking "durable moved or failed" signal
	committed sync.WaitGroup
}

// commitItem is an entry to commit, or a snapshot to save after the entries
// before it.
type commitItem struct {
	rec   Record
	snapV uint64
	state []byte
}

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
	}
	presenceIn struct {
		c   *Client
		msg *inMsg
	}
	pingMsg struct {
		c *Client
	}
	// remoteMsg carries records another instance committed (Redis).
	remoteMsg struct {
		recs []Record
	}
	stopMsg struct {
		done chan struct{}
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
		commits:   make(chan commitItem, commitQueue),
		notify:    make(chan struct{}, 1),
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
	r.committed.Add(1)
	go r.committer()
	defer r.stopCommitter()

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	r.idleSince = time.Now()
	for {
		select {
		case m := <-r.inbox:
			if stop, ok := m.(stopMsg); ok {
				r.shutdown()
				close(stop.done)
				return
			}
			r.handle(m)
		case <-r.notify:
			r.flush()
		case now := <-tick.C:
			if len(r.followers) == 0 && len(r.outbox) == 0 && now.Sub(r.idleSince) > idleTimeout {
				if r.hub.removeIfIdle(r) {
					r.shutdown()
					return
				}
			}
		}
		if r.failed {
			// Out of the hub's map at once, so the next hello loads a fresh
			// room from what is durable.
			r.hub.remove(r)
			r.stopCommitter()
			r.drainAfterFailure()
			return
		}
	}
}

// load reads the board: its snapshot, then the log after it.
func (r *Room) load() error {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
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
	r.durable.Store(b.V)
	return nil
}

// encodeEntry writes an entry as the protocol's {"v","client","seq","changes"}
// without reflection; the client id is a validated uuid.
func encodeEntry(e board.Entry) ([]byte, error) {
	b := make([]byte, 0, 128)
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

func decodeEntry(data []byte) (board.Entry, error) {
	var e board.Entry
	err := json.Unmarshal(data, &e)
	return e, err
}

func (r *Room) remember(e board.Entry, data []byte) {
	if len(r.recent) >= recentKeep {
		// Shift in place; the slice stays one allocation.
		n := copy(r.recent, r.recent[len(r.recent)-recentKeep+1:])
		for i := n; i < len(r.recent); i++ {
			r.recent[i] = recentEntry{}
		}
		r.recent = r.recent[:n]
	}
	r.recent = append(r.recent, recentEntry{entry: e, data: data})
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
	for {
		select {
		case m := <-r.inbox:
			switch m := m.(type) {
			case joinMsg:
				m.c.trySend(encodeError(r.id, code, msg))
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
	case submitMsg:
		r.submit(m)
	case presenceIn:
		r.presence(m)
	case pingMsg:
		if _, ok := r.followers[m.c]; ok {
			m.c.trySend(encodePong(r.id, r.durable.Load(), true))
		} else {
			m.c.trySend(encodeError(r.id, CodeNotFollowing, "ping names a board this connection does not follow"))
		}
	case remoteMsg:
		r.applyRemote(m.recs)
	}
}

func (r *Room) join(m joinMsg) {
	if r.failed {
		m.c.trySend(encodeError(r.id, CodeUnavailable, "the board cannot be served now; retry"))
		return
	}
	b := r.board
	f := r.followers[m.c]
	if f == nil {
		f = &follower{}
		r.followers[m.c] = f
	}
	f.client, f.name, f.role = m.client, m.name, m.role
	f.from = b.V
	f.welcomed = false

	w := welcomeMsg{
		Type: "welcome", Board: r.id, V: b.V, Epoch: b.Epoch,
		Role: m.role.String(), LastSeq: b.Clients[m.client].Seq,
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
	r.queue(delivery{v: b.V, kind: deliverWelcome, to: m.c, msg: data})
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
	// Older than memory: read the durable log, then what memory adds.
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	recs, err := r.hub.broker.History(ctx, r.id, since.V, 0)
	if err != nil {
		return nil, false
	}
	last := since.V
	for _, rec := range recs {
		ops = append(ops, rec.Data)
		last = rec.V
	}
	for _, e := range r.recent {
		if e.entry.V > last {
			ops = append(ops, e.data)
			last = e.entry.V
		}
	}
	if last != b.V {
		return nil, false
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
	if f.welcomed {
		msg, _ := json.Marshal(presenceMsg{Type: "presence", Board: r.id, Client: f.client, Name: f.name, Gone: true})
		r.broadcastPresence(c, msg)
	}
}

func (r *Room) reject(c *Client, seq uint64, err error) {
	var be *board.Error
	if errors.As(err, &be) {
		c.trySend(encodeReject(r.id, seq, be.Code, be.Message))
		return
	}
	c.trySend(encodeReject(r.id, seq, CodeUnavailable, err.Error()))
}

func (r *Room) submit(m submitMsg) {
	f := r.followers[m.c]
	if f == nil {
		m.c.trySend(encodeReject(r.id, m.seq, CodeNotFollowing, "say hello to this board before submitting"))
		return
	}
	if r.failed {
		m.c.trySend(encodeReject(r.id, m.seq, CodeUnavailable, "the board cannot take changes now; retry"))
		return
	}
	if f.role == board.RoleViewer {
		m.c.trySend(encodeReject(r.id, m.seq, CodeForbidden, "a viewer cannot write"))
		return
	}
	b := r.board
	// A resend of a committed seq gets its original ack, never a second commit.
	if last := b.Clients[f.client]; m.seq <= last.Seq {
		if v, ok := r.committedAt(f.client, m.seq); ok {
			r.queue(delivery{v: v, kind: deliverAck, to: m.c, msg: encodeAck(r.id, m.seq, v)})
			return
		}
		m.c.trySend(encodeReject(r.id, m.seq, CodeBadSeq,
			fmt.Sprintf("seq %d is not above the last committed seq %d", m.seq, last.Seq)))
		return
	}
	if m.base > b.V {
		m.c.trySend(encodeReject(r.id, m.seq, CodeBadBase,
			fmt.Sprintf("base %d is ahead of the board's version %d", m.base, b.V)))
		return
	}
	changes := m.changes
	if m.base < b.V {
		missed, ok := r.entriesSince(m.base)
		if !ok {
			m.c.trySend(encodeReject(r.id, m.seq, CodeStaleBase,
				fmt.Sprintf("base %d is older than the log reaches; resync with hello", m.base)))
			return
		}
		for _, e := range missed {
			changes = board.TransformChanges(changes, e.Changes)
		}
	}
	e := board.Entry{V: b.V + 1, Client: f.client, Seq: m.seq, Changes: changes}
	if err := b.ApplyEntry(e, f.role); err != nil {
		r.reject(m.c, m.seq, err)
		return
	}
	data, err := encodeEntry(e)
	if err != nil {
		// The board moved but the entry cannot be stored: fail the room so
		// that it reloads from what is durable.
		r.log.Error("encode entry", "err", err)
		r.fail(err)
		return
	}
	r.remember(e, data)
	r.commits <- commitItem{rec: Record{V: e.V, Data: data}}
	r.queue(delivery{v: e.V, kind: deliverAck, to: m.c, msg: encodeAck(r.id, m.seq, e.V)})
	r.queue(delivery{v: e.V, kind: deliverOp, to: m.c, msg: encodeOp(r.id, data)})
	if e.V-r.snapV >= snapshotEvery {
		r.snapshot()
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

// entriesSince returns the entries after v, decoded, from memory or storage.
func (r *Room) entriesSince(v uint64) ([]board.Entry, bool) {
	if len(r.recent) > 0 && r.recent[0].entry.V <= v+1 {
		out := make([]board.Entry, 0, r.board.V-v)
		for _, e := range r.recent {
			if e.entry.V > v {
				out = append(out, e.entry)
			}
		}
		return out, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	recs, err := r.hub.broker.History(ctx, r.id, v, 0)
	if err != nil {
		return nil, false
	}
	out := make([]board.Entry, 0, len(recs))
	last := v
	for _, rec := range recs {
		e, err := decodeEntry(rec.Data)
		if err != nil {
			return nil, false
		}
		out = append(out, e)
		last = e.V
	}
	for _, e := range r.recent {
		if e.entry.V > last {
			out = append(out, e.entry)
			last = e.entry.V
		}
	}
	return out, last == r.board.V
}

// snapshot hands the committer the board's state, to store after the
// entries already queued.
func (r *Room) snapshot() {
	if r.board.V == r.snapV {
		return
	}
	state, err := r.board.MarshalState()
	if err != nil {
		r.log.Error("encode snapshot", "err", err)
		return
	}
	r.snapV = r.board.V
	r.commits <- commitItem{snapV: r.board.V, state: state}
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
}

func (r *Room) broadcastPresence(from *Client, msg []byte) {
	if len(r.followers) == 0 {
		return
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, msg)
	if err != nil {
		return
	}
	for c, f := range r.followers {
		if c != from && f.welcomed {
			c.trySendPrepared(pm)
		}
	}
}

// queue adds a delivery and sends what is already durable.
func (r *Room) queue(d delivery) {
	r.outbox = append(r.outbox, d)
	r.flush()
}

// flush sends every queued delivery whose version is durable, in order.
func (r *Room) flush() {
	if errp := r.commitErr.Load(); errp != nil && !r.failed {
		r.fail(*errp)
		return
	}
	durable := r.durable.Load()
	n := 0
	for ; n < len(r.outbox); n++ {
		d := r.outbox[n]
		if d.v > durable {
			break
		}
		switch d.kind {
		case deliverAck:
			d.to.trySend(d.msg)
		case deliverWelcome:
			f := r.followers[d.to]
			if f == nil {
				continue // left before its welcome was durable
			}
			d.to.trySend(d.msg)
			f.welcomed = true
			for c, o := range r.followers {
				if c != d.to && o.welcomed && o.presence != nil {
					d.to.trySend(o.presence)
				}
			}
		case deliverOp:
			r.broadcastOp(d)
		}
	}
	if n > 0 {
		copy(r.outbox, r.outbox[n:])
		for i := len(r.outbox) - n; i < len(r.outbox); i++ {
			r.outbox[i] = delivery{}
		}
		r.outbox = r.outbox[:len(r.outbox)-n]
	}
}

func (r *Room) broadcastOp(d delivery) {
	var pm *websocket.PreparedMessage
	for c, f := range r.followers {
		if c == d.to || f.from >= d.v {
			continue
		}
		if pm == nil {
			var err error
			if pm, err = websocket.NewPreparedMessage(websocket.TextMessage, d.msg); err != nil {
				r.log.Error("prepare op", "err", err)
				return
			}
		}
		c.trySendPrepared(pm)
	}
}

// applyRemote takes records committed by another instance (Redis broker).
// Records at or below our version are duplicates; a gap is filled from the
// log before anything is applied, so versions apply strictly in order.
func (r *Room) applyRemote(recs []Record) {
	for _, rec := range recs {
		if rec.V <= r.board.V {
			continue
		}
		if rec.V > r.board.V+1 {
			r.catchUp()
			if rec.V <= r.board.V {
				continue
			}
			if rec.V > r.board.V+1 {
				return
			}
		}
		r.applyRecord(rec)
	}
}

func (r *Room) catchUp() {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	recs, err := r.hub.broker.History(ctx, r.id, r.board.V, 0)
	if err != nil {
		r.log.Warn("catch up", "err", err)
		return
	}
	for _, rec := range recs {
		if rec.V == r.board.V+1 {
			r.applyRecord(rec)
		}
	}
}

func (r *Room) applyRecord(rec Record) {
	e, err := decodeEntry(rec.Data)
	if err == nil {
		err = r.board.ApplyEntry(e, board.RoleFacilitator)
	}
	if err != nil {
		r.log.Error("apply remote entry", "v", rec.V, "err", err)
		r.fail(err)
		return
	}
	r.remember(e, rec.Data)
	if r.durable.Load() < e.V {
		r.durable.Store(e.V)
	}
	r.queue(delivery{v: e.V, kind: deliverOp, msg: encodeOp(r.id, rec.Data)})
}

// fail marks the room broken after a storage error: what is not durable may
// be lost, so every follower is told and disconnected; they reconnect to a
// fresh room loaded from storage and resend what was not acknowledged.
func (r *Room) fail(err error) {
	if r.failed {
		return
	}
	r.failed = true
	r.log.Error("room failed; clients will reconnect", "err", err)
	msg := encodeError(r.id, CodeUnavailable, "storage failed; reconnecting")
	for c := range r.followers {
		c.trySend(msg)
		c.kick(CloseFailed, "storage failed")
	}
	r.outbox = nil
}

// drainAfterFailure answers what is still queued after the room was removed.
func (r *Room) drainAfterFailure() {
	for {
		select {
		case m := <-r.inbox:
			switch m := m.(type) {
			case joinMsg:
				m.c.trySend(encodeError(r.id, CodeUnavailable, "the board cannot be served now; retry"))
				m.c.kick(CloseFailed, "storage failed")
			case submitMsg:
				m.c.trySend(encodeReject(r.id, m.seq, CodeUnavailable, "the board cannot take changes now; retry"))
			case stopMsg:
				close(m.done)
			}
		default:
			return
		}
	}
}

// shutdown stores a last snapshot and waits for the committer, so that the
// next load replays nothing.
func (r *Room) shutdown() {
	if !r.failed {
		r.snapshot()
	}
	r.stopCommitter()
	r.flush()
	r.drainAfterFailure()
}

// stopCommitter lets the committer finish what is queued and waits for it.
func (r *Room) stopCommitter() {
	if r.commits == nil {
		return
	}
	close(r.commits)
	r.committed.Wait()
	r.commits = nil
}

// committer writes entries and snapshots in order. It batches what queued up
// during the previous write into one Commit: one fsync for many keystrokes.
func (r *Room) committer() {
	defer r.committed.Done()
	var recs []Record
	for it := range r.commits {
		if r.commitErr.Load() != nil {
			continue // failed: the room is reloading; drop the rest
		}
		recs = append(recs[:0], it.rec)
		var snaps []commitItem
		if it.state != nil {
			recs = recs[:0]
			snaps = append(snaps, it)
		}
	fill:
		for len(recs) < maxBatch {
			select {
			case more, ok := <-r.commits:
				if !ok {
					break fill
				}
				if more.state != nil {
					snaps = append(snaps, more)
					continue
				}
				recs = append(recs, more.rec)
			default:
				break fill
			}
		}
		if err := r.commitRecords(recs); err != nil {
			r.commitErr.Store(&err)
			r.signal()
			continue
		}
		for _, s := range snaps {
			ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
			if err := r.hub.broker.SaveSnapshot(ctx, r.id, s.snapV, s.state, logKeep); err != nil {
				r.log.Warn("save snapshot", "v", s.snapV, "err", err)
			}
			cancel()
		}
	}
}

func (r *Room) commitRecords(recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	if err := r.hub.broker.Commit(ctx, r.id, recs); err != nil {
		return err
	}
	r.durable.Store(recs[len(recs)-1].V)
	r.signal()
	return nil
}

func (r *Room) signal() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}
