package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/tablee/tablee/board"
)

const (
	// writeWait bounds one frame write; the server reads continuously, so a
	// write that takes this long means the connection is dead.
	writeWait = 10 * time.Second
	// closeWait bounds the close frame at the end of a run.
	closeWait = time.Second
	// outSlack is room in a connection's send buffer beyond one frame per
	// board it follows: the protocol allows one hello, then one submit in
	// flight, per board, so the buffer can never fill.
	outSlack = 8
	// welcomeWait is how long a connection waits for the welcomes of its
	// hellos: a loaded server may take a few seconds to load a board.
	welcomeWait = 30 * time.Second
)

// connKind is what a connection does in a workload.
type connKind int

const (
	kindEditor connKind = iota // a participant who types
	kindViewer                 // a projector: follows read-only (as "viewer")
	kindWall                   // the facilitator's wall: every board of a workshop, with the key
	kindIdle                   // a participant who stays quiet (idle and scale's first phase)
)

// connSpec says how to open one connection.
type connSpec struct {
	kind    connKind
	base    string       // websocket URL
	boards  []*boardInfo // followed; one except for a wall
	section int          // editor: the section it types in
	name    string
}

// follow is a connection's state for one board it follows: what a real
// client keeps.
type follow struct {
	b     *boardInfo
	v     uint64 // the last version applied (op or own ack)
	epoch string
	ready chan struct{} // closed at the welcome (or the hello's error)
	ok    bool          // welcomed
	docs  [board.NumSections]string
	// broken is set when the docs can no longer be trusted (a version was
	// missed, a submit was rejected, an op did not apply): the follow keeps
	// counting versions but stops typing and is left out of the text check.
	broken bool

	// Editing, for an editor's board: one submit in flight, what is typed
	// meanwhile composed into pending, exactly as the web app does.
	section      int // -1: not typing here
	seq          uint64
	inflight     board.TextOp // nil: nothing in flight
	inflightSeq  uint64
	inflightSent time.Time
	inflightTyp  time.Time // the oldest keystroke in inflight
	pending      board.TextOp
	pendingTyp   time.Time
}

// Client is one websocket connection, a full protocol client.
type Client struct {
	fleet *Fleet
	spec  connSpec
	id    string // protocol client id
	n     int    // connection number: picks a histogram shard
	conn  *websocket.Conn

	mu      sync.Mutex // guards what follows
	follows map[string]*follow
	rnd     *rand.Rand
	closing bool // we are closing: a read error now is not a failure

	// out feeds the writer goroutine. Sending never blocks the reader,
	// as a browser's WebSocket.send does not: a client whose reads waited
	// on a stalled write would stop reading and be dropped as too slow.
	out        chan []byte
	quit       chan struct{} // closed by close: the writer stops
	readerDone chan struct{}
	writerDone chan struct{}
}

// inMsg is every server message this client reads; fields a type does not
// use stay empty.
type inMsg struct {
	Type     string          `json:"type"`
	Board    string          `json:"board"`
	V        uint64          `json:"v"`
	Epoch    string          `json:"epoch"`
	Seq      uint64          `json:"seq"`
	Client   string          `json:"client"`
	Code     string          `json:"code"`
	Message  string          `json:"message"`
	Storage  string          `json:"storage"`
	Changes  json.RawMessage `json:"changes"`
	Snapshot *struct {
		Sections map[string]struct {
			Text string `json:"text"`
		} `json:"sections"`
	} `json:"snapshot"`
}

// open dials, says hello to every board of spec and waits for the welcomes.
func (f *Fleet) open(ctx context.Context, spec connSpec, n int) (*Client, error) {
	conn, _, err := f.dialer.DialContext(ctx, spec.base, nil)
	if err != nil {
		return nil, err
	}
	c := &Client{
		fleet: f, spec: spec, id: uuid.NewString(), n: n, conn: conn,
		follows:    make(map[string]*follow, len(spec.boards)),
		rnd:        rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano()))),
		out:        make(chan []byte, len(spec.boards)+outSlack),
		quit:       make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	c.mu.Lock()
	for _, b := range spec.boards {
		fl := &follow{b: b, ready: make(chan struct{}), section: -1}
		if spec.kind == kindEditor {
			fl.section = spec.section
		}
		c.follows[b.id] = fl
	}
	c.mu.Unlock()
	go c.readLoop()
	go c.writeLoop()

	c.mu.Lock()
	for _, b := range spec.boards {
		if err = c.send(helloFrame(b, c.id, spec)); err != nil {
			break
		}
	}
	c.mu.Unlock()
	if err != nil {
		c.close()
		return nil, err
	}
	timeout := time.NewTimer(welcomeWait)
	defer timeout.Stop()
	for _, b := range spec.boards {
		select {
		case <-c.follows[b.id].ready: // the map is not written after open
		case <-c.readerDone:
			c.close()
			return nil, errors.New("connection closed before the welcome")
		case <-timeout.C:
			c.close()
			return nil, fmt.Errorf("no welcome within %v", welcomeWait)
		case <-ctx.Done():
			c.close()
			return nil, ctx.Err()
		}
	}
	c.mu.Lock()
	refused := false
	for _, fl := range c.follows {
		refused = refused || !fl.ok
	}
	c.mu.Unlock()
	if refused {
		c.close()
		return nil, errors.New("hello refused")
	}
	return c, nil
}

func helloFrame(b *boardInfo, client string, spec connSpec) []byte {
	h := map[string]any{"type": "hello", "board": b.id, "client": client, "name": spec.name, "key": b.ws.code}
	switch spec.kind {
	case kindViewer:
		h["as"] = "viewer"
	case kindWall:
		h["key"] = b.ws.facilitatorKey
	}
	data, _ := json.Marshal(h)
	return data
}

// send queues one frame for the writer; the caller holds c.mu. It never
// blocks: the buffer holds a frame per board and more, and the protocol
// client never has more than one waiting per board.
func (c *Client) send(data []byte) error {
	select {
	case c.out <- data:
		return nil
	default:
		return errors.New("send buffer full: more than one submit waiting for a board")
	}
}

// writeLoop is the only writer of data frames (gorilla takes one).
func (c *Client) writeLoop() {
	defer close(c.writerDone)
	for {
		select {
		case <-c.quit:
			return
		case data := <-c.out:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, data); err != nil {
				select {
				case <-c.quit: // closing: expected
				default:
					// The reader sees the connection end and counts it.
					c.fleet.noteErr("connection %d: write: %v", c.n, err)
					c.conn.Close()
				}
				return
			}
		}
	}
}

// close ends the connection with a normal close frame and waits for its
// goroutines.
func (c *Client) close() {
	c.mu.Lock()
	c.closeLocked()
	c.mu.Unlock()
	<-c.readerDone
	<-c.writerDone
}

func (c *Client) closeLocked() {
	if c.closing {
		return
	}
	c.closing = true
	close(c.quit)
	// WriteControl may run beside the writer's WriteMessage (gorilla
	// allows it), so the close frame does not wait for a stalled write.
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "load test over")
	c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait))
	c.conn.Close()
}

// readLoop reads and handles every message until the connection ends. The
// receive time is taken as soon as the frame is read, before decoding.
func (c *Client) readLoop() {
	defer close(c.readerDone)
	for {
		_, data, err := c.conn.ReadMessage()
		now := time.Now()
		if err != nil {
			c.mu.Lock()
			closing := c.closing
			c.closeLocked() // stops the writer too
			c.mu.Unlock()
			if !closing {
				// The protocol never closes an honest client: count it.
				c.fleet.stats().closed.Add(1)
				c.fleet.noteErr("connection %d closed: %v", c.n, err)
			}
			return
		}
		var m inMsg
		if err := json.Unmarshal(data, &m); err != nil {
			c.fleet.stats().errors.Add(1)
			c.fleet.noteErr("bad JSON from the server: %v", err)
			continue
		}
		c.mu.Lock()
		c.handle(&m, now)
		c.mu.Unlock()
	}
}

// handle takes one message; the caller holds c.mu.
func (c *Client) handle(m *inMsg, now time.Time) {
	st := c.fleet.stats()
	fl := c.follows[m.Board]
	switch m.Type {
	case "op":
		if fl != nil {
			c.onOp(fl, m, now, st)
			return
		}
	case "ack":
		if fl != nil {
			c.onAck(fl, m, now, st)
			return
		}
	case "welcome":
		if fl != nil {
			c.onWelcome(fl, m)
			return
		}
	case "reject":
		st.rejects.Add(1)
		c.fleet.noteErr("reject %s seq %d: %s %s", m.Board, m.Seq, m.Code, m.Message)
		if fl != nil && fl.inflight != nil && m.Seq == fl.inflightSeq {
			// The board did not take it but our text has it: stop here.
			fl.inflight, fl.pending, fl.broken = nil, nil, true
		}
		return
	case "error":
		st.errors.Add(1)
		c.fleet.noteErr("error %s: %s %s", m.Board, m.Code, m.Message)
		if fl != nil && !fl.ok {
			fl.markReady() // the hello was refused; open reports it
		}
		return
	case "status":
		// Storage trouble (Redis unreachable): submits are refused until
		// "ok". Under load that is a finding, so it is counted.
		if m.Storage != "ok" {
			st.errors.Add(1)
			c.fleet.noteErr("board %s: storage %s", m.Board, m.Storage)
		}
		return
	case "presence", "pong":
		return // nobody here sends presence or pings; others' are ignored
	}
	st.errors.Add(1)
	c.fleet.noteErr("unexpected %q for board %q", m.Type, m.Board)
}

func (fl *follow) markReady() {
	select {
	case <-fl.ready:
	default:
		close(fl.ready)
	}
}

func (c *Client) onWelcome(fl *follow, m *inMsg) {
	if m.Snapshot == nil {
		// Only a hello with since gets ops; ours never has one.
		c.fleet.stats().errors.Add(1)
		c.fleet.noteErr("welcome without snapshot on %s", m.Board)
		fl.markReady()
		return
	}
	for i, s := range board.Sections {
		fl.docs[i] = m.Snapshot.Sections[s.Key].Text
	}
	fl.v, fl.epoch, fl.ok = m.V, m.Epoch, true
	fl.markReady()
}

// version applies the ordering rule to version v of a board (an op, or the
// ack of our own submit): it must be the follower's last + 1. It reports
// whether v is new.
func (fl *follow) version(v uint64, st *Stats) bool {
	switch {
	case v <= fl.v:
		st.dups.Add(1)
		return false
	case v > fl.v+1:
		// The server delivers every version or closes the connection, so
		// a gap is a lost delivery: count each missing version.
		st.lost.Add(int64(v - fl.v - 1))
		fl.broken = true
	}
	fl.v = v
	return true
}

func (c *Client) onOp(fl *follow, m *inMsg, now time.Time, st *Stats) {
	if !fl.version(m.V, st) {
		return
	}
	st.deliveries.Add(1)
	c.fleet.observe(stampKey{m.Client, m.Seq}, now, st, c.n)
	if fl.broken {
		return
	}
	changes, err := board.DecodeChanges(m.Changes)
	if err != nil {
		st.errors.Add(1)
		c.fleet.noteErr("op %s v%d: %v", m.Board, m.V, err)
		fl.broken = true
		return
	}
	for i := range changes {
		ch := &changes[i]
		if ch.Kind != board.KindText {
			continue // the workloads only type
		}
		s := board.SectionIndex(ch.Section)
		op := ch.Op
		if s == fl.section {
			// Someone else's op, committed before ours: it goes first at
			// equal places (Left) and ours after (Right), as the server
			// transforms our submit when it arrives.
			if fl.inflight != nil {
				op, fl.inflight = board.Transform(op, fl.inflight, board.Left), board.Transform(fl.inflight, op, board.Right)
			}
			if fl.pending != nil {
				op, fl.pending = board.Transform(op, fl.pending, board.Left), board.Transform(fl.pending, op, board.Right)
			}
		}
		doc, err := op.Apply(fl.docs[s])
		if err != nil {
			st.errors.Add(1)
			c.fleet.noteErr("op %s v%d does not apply here: %v", m.Board, m.V, err)
			fl.broken = true
			return
		}
		fl.docs[s] = doc
	}
}

func (c *Client) onAck(fl *follow, m *inMsg, now time.Time, st *Stats) {
	if fl.inflight == nil || m.Seq != fl.inflightSeq {
		st.errors.Add(1)
		c.fleet.noteErr("ack of seq %d on %s, in flight %d", m.Seq, m.Board, fl.inflightSeq)
		return
	}
	if !fl.version(m.V, st) {
		st.errors.Add(1)
		c.fleet.noteErr("ack v%d on %s at or below v%d", m.V, m.Board, fl.v)
	}
	st.changes.Add(1)
	st.ack.For(c.n).RecordDuration(now.Sub(fl.inflightSent))
	fl.inflight = nil
	c.flush(fl)
}

// keystroke types one character at a random place of the editor's section
// (in the mix of scripts a French workshop writes: mostly ASCII, accented
// letters, now and then an emoji of two UTF-16 units) and submits it, or
// composes it into pending while a submit is in flight.
func (c *Client) keystroke() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	for _, fl := range c.follows {
		if fl.section < 0 || !fl.ok || fl.broken {
			continue
		}
		now := time.Now()
		doc := fl.docs[fl.section]
		op := board.TextOp{{Retain: randomOffset(doc, c.rnd)}, {Insert: randomChar(c.rnd)}}.Normalize()
		next, err := op.Apply(doc)
		if err != nil { // cannot happen: the offset is on a character boundary
			c.fleet.stats().errors.Add(1)
			c.fleet.noteErr("own keystroke: %v", err)
			fl.broken = true
			continue
		}
		fl.docs[fl.section] = next
		c.fleet.stats().keystrokes.Add(1)
		if fl.pending == nil {
			fl.pending, fl.pendingTyp = op, now
		} else {
			fl.pending = board.Compose(fl.pending, op)
		}
		c.flush(fl)
	}
}

// flush sends pending as the next submit unless one is in flight: one
// submit in flight per board, as the protocol asks. The caller holds c.mu.
func (c *Client) flush(fl *follow) {
	if fl.inflight != nil || fl.pending == nil || fl.broken || c.closing {
		return
	}
	fl.seq++
	fl.inflight, fl.inflightSeq, fl.inflightTyp = fl.pending, fl.seq, fl.pendingTyp
	fl.pending = nil
	frame := submitFrame(fl.b.id, fl.seq, fl.v, board.Sections[fl.section].Key, fl.inflight)
	// The stamp is in the map before the frame leaves, so no peer can get
	// the op first.
	s := &stamp{typed: fl.inflightTyp}
	s.left.Store(int32(fl.b.followers - 1))
	key := stampKey{c.id, fl.seq}
	s.sent = time.Now()
	fl.inflightSent = s.sent
	if fl.b.followers > 1 { // alone on the board, nobody would ever take it out
		c.fleet.stamps.Store(key, s)
	}
	if err := c.send(frame); err != nil {
		c.fleet.stamps.Delete(key)
		c.fleet.stats().errors.Add(1)
		c.fleet.noteErr("submit: %v", err)
		fl.broken = true
	}
}

// submitFrame builds a submit by hand: the hot path of every editor.
func submitFrame(boardID string, seq, base uint64, section string, op board.TextOp) []byte {
	opJSON, _ := op.MarshalJSON()
	b := make([]byte, 0, 128+len(opJSON))
	b = append(b, `{"type":"submit","board":"`...)
	b = append(b, boardID...) // board ids are [A-Za-z0-9_-]
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"base":`...)
	b = strconv.AppendUint(b, base, 10)
	b = append(b, `,"changes":[{"kind":"text","section":"`...)
	b = append(b, section...)
	b = append(b, `","op":`...)
	b = append(b, opJSON...)
	return append(b, "}]}"...)
}

// randomOffset returns a random UTF-16 offset of s that falls between two
// characters, never inside a surrogate pair.
func randomOffset(s string, rnd *rand.Rand) int {
	runes := 0
	for range s {
		runes++
	}
	k := rnd.IntN(runes + 1)
	off := 0
	for _, r := range s {
		if k == 0 {
			break
		}
		k--
		off++
		if r > 0xFFFF {
			off++
		}
	}
	return off
}

// randomChar picks what a keystroke types: 85 % ASCII, 10 % é, 5 % an emoji.
func randomChar(rnd *rand.Rand) string {
	const ascii = "abcdefghijklmnopqrstuvwxyz   ,."
	switch x := rnd.IntN(100); {
	case x < 85:
		i := rnd.IntN(len(ascii))
		return ascii[i : i+1]
	case x < 95:
		return "é"
	default:
		return "🌱"
	}
}

// typeLoop types at rate keystrokes per second until ctx ends, starting at a
// random phase so that the editors of a board do not all strike at once.
// A typist who falls behind (an overloaded machine) does not catch up in a
// burst: people do not type faster because the screen froze.
func (c *Client) typeLoop(ctx context.Context, rate float64) {
	interval := time.Duration(float64(time.Second) / rate)
	c.mu.Lock()
	phase := time.Duration(c.rnd.Int64N(int64(interval)))
	c.mu.Unlock()
	next := time.Now().Add(phase)
	t := time.NewTimer(phase)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.keystroke()
		next = next.Add(interval)
		wait := time.Until(next)
		if wait < -interval {
			next, wait = time.Now().Add(interval), interval
		}
		t.Reset(max(wait, 0))
	}
}

// idle reports whether the client has nothing in flight nor pending.
func (c *Client) idle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, fl := range c.follows {
		if (fl.inflight != nil || fl.pending != nil) && !fl.broken && !c.closing {
			return false
		}
	}
	return true
}
