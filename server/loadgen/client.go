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
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tablee/tablee/board"
)

const (
	// writeWait bounds one frame write; the server reads continuously, so a
	// write that takes this long means the connection is dead.
	writeWait = 10 * time.Second
	// closeWait bounds the close frame at the end of a run.
	closeWait = time.Second
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
	conn  *wsConn

	// mu guards what follows, and orders the frames written: they are
	// written in place, by the typist (a submit) or the reader (the next
	// submit, released by an ack). A write never waits for the server:
	// the protocol keeps at most one submit in flight per board, so what
	// this client has written and the server not yet read is a few
	// hundred bytes, far below the socket's buffer, and the reader is
	// never held up as a browser's would not be (WebSocket.send does not
	// block). A writer goroutine would cost two context switches per
	// submit for nothing.
	mu      sync.Mutex
	follows map[string]*follow
	typing  []*follow // the follows with a section to type in
	rnd     *rand.Rand
	closing bool   // we are closing: a read error now is not a failure
	wbuf    []byte // the frame being written, reused

	// Reader's own, reused from frame to frame: the changes of an op and
	// their components.
	changes []textChange
	comps   []board.Comp

	// stamps holds, by seq, the send time of this client's submits until
	// every peer has received them; peers' readers take them out.
	stampMu sync.Mutex
	stamps  map[uint64]stamp

	readerDone chan struct{}
}

// inMsg is every server message this client reads, as encoding/json
// decodes it: all but the ops and acks of the fast path (frame.go). Fields
// a type does not use stay empty.
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
	// gorilla does the opening handshake; the frames are the client's
	// own (wsconn.go).
	wc, _, err := f.dialer.DialContext(ctx, spec.base, nil)
	if err != nil {
		return nil, err
	}
	c := newClient(f, spec, uuid.NewString(), n)
	c.conn = newWSConn(wc.UnderlyingConn())
	go c.readLoop()

	c.mu.Lock()
	for _, b := range spec.boards {
		if err = c.send(helloFrame(b, c.id, spec), time.Now()); err != nil {
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
	f.register(c) // before it types: its peers look its stamps up by id
	return c, nil
}

// newClient makes a client, not yet connected.
func newClient(f *Fleet, spec connSpec, id string, n int) *Client {
	c := &Client{
		fleet: f, spec: spec, id: id, n: n,
		follows:    make(map[string]*follow, len(spec.boards)),
		rnd:        rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano()))),
		stamps:     make(map[uint64]stamp),
		readerDone: make(chan struct{}),
	}
	for _, b := range spec.boards {
		fl := &follow{b: b, ready: make(chan struct{}), section: -1}
		if spec.kind == kindEditor {
			fl.section = spec.section
			c.typing = append(c.typing, fl)
		}
		c.follows[b.id] = fl
	}
	return c
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

// send writes one frame; the caller holds c.mu (see Client.mu: it never
// waits for the server). A failed write ends the connection: the reader
// sees it end and counts it.
func (c *Client) send(data []byte, now time.Time) error {
	if c.closing {
		return errors.New("connection closing")
	}
	if err := c.conn.write(opText, data, now); err != nil {
		c.fleet.noteErr("connection %d: write: %v", c.n, err)
		c.conn.Close()
		return err
	}
	return nil
}

// onMessage, onPing and onClose make the Client the wsHandler of its
// connection, called by the reader.
func (c *Client) onMessage(data []byte, now time.Time) { c.onFrame(data, now) }

// onPing answers the server's ping. A failed write is not reported here:
// the reader sees the connection end.
func (c *Client) onPing(payload []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closing {
		c.conn.write(opPong, payload, time.Now())
	}
}

// onClose answers the server's close frame with its code; the read then
// ends with a *closeError.
func (c *Client) onClose(code int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn.writeClose(code, "", closeWait)
}

// close ends the connection with a normal close frame and waits for its
// reader.
func (c *Client) close() {
	c.mu.Lock()
	c.closeLocked()
	c.mu.Unlock()
	// Closing the socket waits for the reader to leave its read callback,
	// which may be handling a frame and wait for c.mu: so never with c.mu
	// held (that deadlocked a run now and then).
	c.conn.Close()
	<-c.readerDone
}

// closeLocked sends the close frame once; the caller closes the socket
// after releasing c.mu.
func (c *Client) closeLocked() {
	if c.closing {
		return
	}
	c.closing = true
	// Every write holds c.mu, as the caller does: no frame is half
	// written, and none waits long (see Client.mu).
	c.conn.writeClose(1000, "load test over", closeWait) // normal closure
}

// readLoop reads and handles every message until the connection ends. The
// receive time is taken as soon as the frame is read, before decoding.
func (c *Client) readLoop() {
	defer close(c.readerDone)
	err := c.conn.readAll(c)
	c.mu.Lock()
	closing := c.closing
	c.closeLocked()
	c.mu.Unlock()
	c.conn.Close()
	if !closing {
		// The protocol never closes an honest client: count it.
		c.fleet.stats().closed.Add(1)
		c.fleet.noteErr("connection %d closed: %v", c.n, err)
	}
}

// onFrame handles one message received at now. Ops and acks in the
// server's plain form take the fast path (frame.go); everything else, and
// any frame the fast path declines, is decoded by encoding/json.
func (c *Client) onFrame(data []byte, now time.Time) {
	var fr opFrame
	if scanFrame(data, &fr) {
		c.mu.Lock()
		c.onOpOrAck(&fr, now)
		c.mu.Unlock()
		return
	}
	var m inMsg
	if err := json.Unmarshal(data, &m); err != nil {
		c.fleet.stats().errors.Add(1)
		c.fleet.noteErr("bad JSON from the server: %v", err)
		return
	}
	c.mu.Lock()
	c.handle(&m, now)
	c.mu.Unlock()
}

// onOpOrAck takes an op or ack; the caller holds c.mu.
func (c *Client) onOpOrAck(fr *opFrame, now time.Time) {
	st := c.fleet.stats()
	fl := c.follows[string(fr.board)] // no allocation: a map index
	switch {
	case fl == nil:
		st.errors.Add(1)
		c.fleet.noteErr("unexpected %q for board %q", fr.kind, fr.board)
	case fr.kind == frameOp:
		c.onOp(fl, fr, now, st)
	default:
		c.onAck(fl, fr, now, st)
	}
}

// handle takes one message decoded by encoding/json; the caller holds c.mu.
func (c *Client) handle(m *inMsg, now time.Time) {
	st := c.fleet.stats()
	fl := c.follows[m.Board]
	switch m.Type {
	case "op", "ack":
		// One the fast path declined: an escape in a string, say. Valid
		// all the same, so handled as usual.
		c.fleet.slowFrames.Add(1)
		fr := opFrame{kind: frameOp, board: []byte(m.Board), client: []byte(m.Client), v: m.V, seq: m.Seq, changes: m.Changes}
		if m.Type == "ack" {
			fr.kind = frameAck
		}
		c.onOpOrAck(&fr, now)
		return
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

func (c *Client) onOp(fl *follow, fr *opFrame, now time.Time, st *Stats) {
	if !fl.version(fr.v, st) {
		return
	}
	st.deliveries.Add(1)
	c.fleet.observe(fr.client, fr.seq, now, st, c.n)
	if fl.broken {
		return
	}
	var ok bool
	c.changes, c.comps, ok = scanTextChanges(fr.changes, c.changes, c.comps)
	if !ok {
		// Not the plain typing the fast path reads: the board's decoder
		// decides, and refuses what is malformed.
		decoded, err := board.DecodeChanges(fr.changes)
		if err != nil {
			st.errors.Add(1)
			c.fleet.noteErr("op %s v%d: %v", fr.board, fr.v, err)
			fl.broken = true
			return
		}
		c.fleet.slowFrames.Add(1)
		c.changes = c.changes[:0]
		for i := range decoded {
			if decoded[i].Kind == board.KindText { // the workloads only type
				c.changes = append(c.changes, textChange{board.SectionIndex(decoded[i].Section), decoded[i].Op})
			}
		}
	}
	for _, ch := range c.changes {
		s, op := ch.section, ch.op
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
			c.fleet.noteErr("op %s v%d does not apply here: %v", fr.board, fr.v, err)
			fl.broken = true
			return
		}
		fl.docs[s] = doc
	}
}

func (c *Client) onAck(fl *follow, fr *opFrame, now time.Time, st *Stats) {
	if fl.inflight == nil || fr.seq != fl.inflightSeq {
		st.errors.Add(1)
		c.fleet.noteErr("ack of seq %d on %s, in flight %d", fr.seq, fr.board, fl.inflightSeq)
		return
	}
	if !fl.version(fr.v, st) {
		st.errors.Add(1)
		c.fleet.noteErr("ack v%d on %s at or below v%d", fr.v, fr.board, fl.v)
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
	for _, fl := range c.typing {
		if !fl.ok || fl.broken {
			continue
		}
		now := time.Now()
		doc := fl.docs[fl.section]
		at, at16 := randomOffset(doc, c.rnd)
		ch := randomChar(c.rnd)
		// The op in canonical form, as Normalize would leave it.
		op := board.TextOp{{Insert: ch}}
		if at16 > 0 {
			op = board.TextOp{{Retain: at16}, {Insert: ch}}
		}
		fl.docs[fl.section] = doc[:at] + ch + doc[at:] // what op.Apply gives: at is a character boundary
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
	c.wbuf = appendSubmit(c.wbuf[:0], fl.b.id, fl.seq, fl.v, board.Sections[fl.section].Key, fl.inflight)
	// The stamp is stored before the frame leaves, so no peer can get the
	// op first. Alone on the board, nobody would ever take it out.
	now := time.Now()
	fl.inflightSent = now
	stamped := fl.b.followers > 1
	if stamped {
		c.putStamp(fl.seq, stamp{sent: now, typed: fl.inflightTyp, left: int32(fl.b.followers - 1)})
	}
	if err := c.send(c.wbuf, now); err != nil {
		if stamped {
			c.dropStamp(fl.seq)
		}
		fl.broken = true // the connection is over; the reader counts it
	}
}

// putStamp records the send time of this client's submit seq.
func (c *Client) putStamp(seq uint64, s stamp) {
	c.stampMu.Lock()
	c.stamps[seq] = s
	c.stampMu.Unlock()
}

func (c *Client) dropStamp(seq uint64) {
	c.stampMu.Lock()
	delete(c.stamps, seq)
	c.stampMu.Unlock()
}

// takeStamp returns the stamp of submit seq for one peer that received it;
// the last peer removes it, so that the map stays as small as the
// deliveries in flight.
func (c *Client) takeStamp(seq uint64) (stamp, bool) {
	c.stampMu.Lock()
	defer c.stampMu.Unlock()
	s, ok := c.stamps[seq]
	if !ok {
		return s, false
	}
	if s.left--; s.left <= 0 {
		delete(c.stamps, seq)
	} else {
		c.stamps[seq] = s
	}
	return s, true
}

// appendSubmit appends a submit frame of one text change, built by hand:
// the hot path of every editor.
func appendSubmit(b []byte, boardID string, seq, base uint64, section string, op board.TextOp) []byte {
	b = append(b, `{"type":"submit","board":"`...)
	b = append(b, boardID...) // board ids are [A-Za-z0-9_-]
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"base":`...)
	b = strconv.AppendUint(b, base, 10)
	b = append(b, `,"changes":[{"kind":"text","section":"`...)
	b = append(b, section...) // section keys are [a-z_]
	b = append(b, `","op":`...)
	b = appendOp(b, op.Normalize()) // already canonical: Normalize returns it as is
	return append(b, "}]}"...)
}

// appendOp appends the wire form of op, canonical, as op.MarshalJSON
// writes it but without allocating.
func appendOp(b []byte, op board.TextOp) []byte {
	b = append(b, '[')
	for i, c := range op {
		if i > 0 {
			b = append(b, ',')
		}
		switch {
		case c.Insert != "":
			b = board.AppendJSONString(b, c.Insert)
		case c.Delete > 0:
			b = append(b, `{"d":`...)
			b = strconv.AppendInt(b, int64(c.Delete), 10)
			b = append(b, '}')
		default:
			b = strconv.AppendInt(b, int64(c.Retain), 10)
		}
	}
	return append(b, ']')
}

// randomOffset returns a random place of s between two characters, never
// inside a surrogate pair: as a byte offset and as the UTF-16 offset the
// protocol counts in.
func randomOffset(s string, rnd *rand.Rand) (at, at16 int) {
	k := rnd.IntN(utf8.RuneCountInString(s) + 1)
	for _, r := range s {
		if k == 0 {
			break
		}
		k--
		at += utf8.RuneLen(r)
		at16++
		if r > 0xFFFF {
			at16++
		}
	}
	return at, at16
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
