package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf16"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/tablee/tablee/board"
)

const (
	// writeWait bounds one frame write: a peer that does not read for this
	// long is gone, and its writer must not hold resources.
	writeWait = 10 * time.Second
	// closeWaitSlow bounds the close frame to a peer too slow to read.
	closeWaitSlow = time.Second
	// defaultPongWait is how long we wait for the pong to our ping before
	// we give up on a connection (phones on a flaky Wi-Fi need some slack;
	// see Options.PongWait).
	defaultPongWait = 45 * time.Second
	// MaxFrame is the read limit, checked by gorilla before it buffers a
	// frame. The protocol asks for at least 64 KiB and refusal from 1 MiB;
	// 768 KiB takes a pasted 50,000-unit section even with every character
	// escaped. Compression is off, so the limit counts real bytes.
	MaxFrame = 768 << 10
	// maxFailedKeys is how many hellos with a wrong key one connection may
	// send before it is closed: a code cannot be guessed through one socket.
	maxFailedKeys = 10
	// maxFollow bounds the boards one connection follows (a wall follows
	// every board of a workshop).
	maxFollow = 200
	// maxName is the display name's bound, in UTF-16 units.
	maxName = 80
	// authTimeout bounds the key check (a store lookup).
	authTimeout = 5 * time.Second
	// maxRounds bounds the takes of the queue written before one flush, so
	// that a steady stream still reaches the socket and a kick is seen.
	maxRounds = 4
)

// Rates per connection. The protocol asks for at least 100 submits/s during
// 10 s; a person typing fast sends 10–20.
var (
	defaultSubmitRate = rate{perSec: 200, burst: 400}
	msgRate           = rate{perSec: 1000, burst: 2000}
	// presenceRate: above it presence is dropped quietly; it is ephemeral.
	presenceRate = rate{perSec: 40, burst: 80}
)

// Client is one websocket connection. Its read pump owns follows; its write
// pump writes the messages, through the frameWriter under conn (where the
// read pump writes its pongs and close replies too).
type Client struct {
	hub  *Hub
	conn *websocket.Conn

	// send is what waits to be written; rooms never wait for a connection:
	// when it is full the connection is closed with CloseSlow. It starts
	// the write pump when there is something to write (see outQueue).
	send *outQueue
	// ping is due every pingPeriod while the connection lives (pingDue,
	// then a signal to the write pump).
	pingTimer *time.Timer
	pingDue   atomic.Bool
	// kicked is closed (once) to make the write pump send a close frame
	// with kickCode and end the connection.
	kicked     chan struct{}
	kickOnce   sync.Once
	kickCode   int
	kickReason string
	// done is closed when the read pump ends, to stop the write pump.
	done chan struct{}

	// remote is the peer's address, for the key-guessing limits.
	remote string

	// Owned by the read pump.
	follows    map[string]*Room
	failedKeys int
	submits    bucket
	msgs       bucket
	presences  bucket
}

func newClient(h *Hub, conn *websocket.Conn) *Client {
	now := time.Now()
	c := &Client{
		hub:       h,
		conn:      conn,
		kicked:    make(chan struct{}),
		done:      make(chan struct{}),
		follows:   make(map[string]*Room),
		submits:   newBucket(h.submitRate, now),
		msgs:      newBucket(h.msgRate, now),
		presences: newBucket(presenceRate, now),
	}
	c.send = newOutQueue(func() { go c.writePump() })
	c.pingTimer = time.AfterFunc(h.pingPeriod, func() {
		c.pingDue.Store(true)
		c.send.signal()
	})
	return c
}

// trySend queues a message without blocking. A connection that cannot keep
// up is closed: it reconnects with `since` and misses nothing, whereas
// waiting for it would slow every other follower of the board.
func (c *Client) trySend(data []byte) {
	if !c.send.push(outMsg{data: data, size: len(data)}) {
		c.kick(CloseSlow, "too slow: reconnect and catch up")
	}
}

// kick asks the write pump to close the connection with code.
func (c *Client) kick(code int, reason string) {
	c.kickOnce.Do(func() {
		c.kickCode, c.kickReason = code, reason
		close(c.kicked)
		c.send.signal()
	})
}

// batchPool lends the write pumps their batch slices: a pump runs only
// while there is something to write, and an idle connection holds none.
var batchPool = sync.Pool{New: func() any {
	b := make([]outMsg, 0, 16)
	return &b
}}

// writePump writes what is queued, and answers the signals (the end of the
// read pump, a kick, a ping due), until the queue is empty: then it stops,
// and the next push or signal starts another (outQueue). It ends the
// connection after a kick, a failed write or the end of the read pump.
func (c *Client) writePump() {
	// out is the socket under conn (see ServeWS), which writes the frames:
	// the pump gathers a batch's frames in it and writes them at once.
	out := c.conn.NetConn().(*frameWriter)
	bp := batchPool.Get().(*[]outMsg)
	batch := *bp
	defer func() {
		clear(batch)
		if cap(batch) <= queueKeepCap {
			*bp = batch[:0]
			batchPool.Put(bp)
		}
	}()
	for {
		var ok bool
		if batch, ok = c.send.next(batch); !ok {
			return
		}
		select {
		case <-c.done:
			c.endWrites(out)
			return
		default:
		}
		select {
		case <-c.kicked:
			c.closeKicked(out, batch)
			c.endWrites(out)
			return
		default:
		}
		if c.pingDue.Swap(false) {
			if err := out.control(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.endWrites(out)
				return
			}
			c.pingTimer.Reset(c.hub.pingPeriod)
		}
		if len(batch) == 0 {
			continue
		}
		// Everything queued so far, and what comes while it is written,
		// each take under one deadline, in as few socket writes as the
		// buffer allows.
		out.begin(time.Now().Add(writeWait))
		for round := 0; round < maxRounds && len(batch) > 0; round++ {
			if round > 0 {
				out.setDeadline(time.Now().Add(writeWait))
			}
			for i := range batch {
				if err := out.text(batch[i].data); err != nil {
					c.endWrites(out)
					return
				}
				batch[i] = outMsg{}
			}
			if round+1 < maxRounds {
				batch = c.send.take(batch)
			}
		}
		if err := out.flush(); err != nil {
			c.endWrites(out)
			return
		}
	}
}

// endWrites ends the connection from the write side: no pump starts again.
func (c *Client) endWrites(out *frameWriter) {
	c.send.close()
	c.pingTimer.Stop()
	c.conn.Close()
	out.release()
}

// closeKicked ends a kicked connection: what was queued before the kick
// (taken, then the rest; an error explaining it, say) unless the kick is for
// slowness (then the queue is full), and the close frame.
func (c *Client) closeKicked(out *frameWriter, taken []outMsg) {
	c.send.close()
	if c.kickCode != CloseSlow {
		out.begin(time.Now().Add(writeWait))
		for _, m := range append(taken, c.send.take(nil)...) {
			if out.text(m.data) != nil {
				break
			}
		}
		out.flush()
	}
	// A slow peer's socket is likely full: the close frame gets a short
	// try, then the connection is dropped all the same.
	wait := writeWait
	if c.kickCode == CloseSlow {
		wait = closeWaitSlow
	}
	msg := websocket.FormatCloseMessage(c.kickCode, c.kickReason)
	out.control(websocket.CloseMessage, msg, time.Now().Add(wait))
}

func (c *Client) readPump() {
	defer func() {
		for id, r := range c.follows {
			r.send(leaveMsg{c: c})
			c.hub.release(r)
			delete(c.follows, id)
		}
		close(c.done)
		c.send.signal()
		c.conn.Close()
		c.hub.unregister(c)
	}()
	// Pongs and close replies go through the frame writer, as every frame
	// (gorilla's own would write behind its back); they are written at
	// once, or with the batch the write pump is gathering.
	out := c.conn.NetConn().(*frameWriter)
	c.conn.SetPingHandler(func(data string) error {
		err := out.control(websocket.PongMessage, []byte(data), time.Now().Add(writeWait))
		if err == errCloseSent {
			return nil
		}
		return err
	})
	c.conn.SetCloseHandler(func(code int, _ string) error {
		// As gorilla's default: the peer's code back, within a second.
		out.control(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
		return nil
	})
	c.conn.SetReadLimit(MaxFrame)
	c.conn.SetReadDeadline(time.Now().Add(c.hub.pongWait))
	c.conn.SetPongHandler(func(string) error {
		c.conn.SetReadDeadline(time.Now().Add(c.hub.pongWait))
		return nil
	})
	for {
		mt, data, err := c.conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.hub.log.Info("frame over the read limit", "limit", MaxFrame)
			}
			return
		}
		if mt != websocket.TextMessage {
			c.trySend(encodeError("", CodeBadMessage, "frames must be text (JSON)"))
			continue
		}
		c.handle(data)
	}
}

func (c *Client) handle(data []byte) {
	if !c.msgs.take(time.Now()) {
		c.trySend(encodeError("", CodeRateLimited, "too many messages; slow down"))
		return
	}
	if s, ok := decodeSubmit(data); ok {
		c.submit(s)
		return
	}
	// Everything else (hello above all) runs on a goroutine of its own, and
	// the read pump waits for it: decoding through reflection and checking a
	// key take a deep stack, and the read pump, which lives as long as the
	// connection, would keep it at 8 KiB where 2–4 KiB serve submits. An
	// idle connection so costs 13 KiB instead of 18.
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.handleMessage(data)
	}()
	<-done
}

// handleMessage answers a frame that is not a plain submit. It runs while
// the read pump waits, so it owns what the read pump owns.
func (c *Client) handleMessage(data []byte) {
	var m inMsg
	if err := json.Unmarshal(data, &m); err != nil {
		c.badMessage(data, err)
		return
	}
	switch m.Type {
	case "hello":
		c.hello(&m)
	case "submit":
		c.submit(m.submitIn())
	case "presence":
		c.presence(&m)
	case "bye":
		c.bye(&m)
	case "ping":
		c.ping(&m)
	case "":
		c.trySend(encodeError(m.Board, CodeBadMessage, `a message needs a "type"`))
	default:
		c.trySend(encodeError(m.Board, CodeUnknownType, "unknown message type "+quoteShort(m.Type)))
	}
}

// badMessage answers a frame that did not decode: a reject when it is
// recognisably a submit (so the client's in-flight submit is answered), else
// an error.
func (c *Client) badMessage(data []byte, err error) {
	if !json.Valid(data) {
		c.trySend(encodeError("", CodeBadJSON, "the frame is not valid JSON"))
		return
	}
	var loose struct {
		Type  any `json:"type"`
		Board any `json:"board"`
		Seq   any `json:"seq"`
	}
	if json.Unmarshal(data, &loose) != nil {
		c.trySend(encodeError("", CodeBadMessage, "a message must be a JSON object"))
		return
	}
	boardID, _ := loose.Board.(string)
	if len(boardID) > 64 {
		boardID = ""
	}
	msg := "a field has the wrong type"
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		msg = "field " + quoteShort(te.Field) + " has the wrong type"
	}
	if t, _ := loose.Type.(string); t == "submit" {
		if seq, ok := loose.Seq.(float64); ok && seq >= 1 && seq == float64(uint64(seq)) && boardID != "" {
			c.trySend(encodeReject(boardID, uint64(seq), CodeBadMessage, msg))
			return
		}
	}
	c.trySend(encodeError(boardID, CodeBadMessage, msg))
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func validBoardID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
}

func (c *Client) hello(m *inMsg) {
	switch {
	case !validBoardID(m.Board):
		c.trySend(encodeError(m.Board, CodeBadMessage, `hello needs a "board" id`))
		return
	case m.Client == "":
		c.trySend(encodeError(m.Board, CodeBadMessage, `hello needs a "client" id (a uuid)`))
		return
	case m.Key == "":
		c.trySend(encodeError(m.Board, CodeBadMessage, `hello needs a "key" (the workshop code or the facilitator key)`))
		return
	case m.As != "" && m.As != "viewer":
		c.trySend(encodeError(m.Board, CodeBadMessage, `"as" can only be "viewer"`))
		return
	}
	// The 36-character form only: ids travel in ops and element props,
	// where the other forms uuid.Parse takes ({…}, urn:uuid:…) are not ids.
	if _, err := uuid.Parse(m.Client); err != nil || len(m.Client) != 36 {
		c.trySend(encodeError(m.Board, CodeBadMessage, `"client" must be a uuid`))
		return
	}
	name := ""
	if m.Name != nil {
		name = cleanName(*m.Name)
	}
	if _, ok := c.follows[m.Board]; !ok && len(c.follows) >= maxFollow {
		c.trySend(encodeError(m.Board, CodeTooLarge, "this connection follows too many boards"))
		return
	}
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), remoteKey{}, c.remote), authTimeout)
	role, err := c.hub.auth.Authorize(ctx, m.Board, m.Key)
	cancel()
	if err != nil {
		var be *board.Error
		if errors.As(err, &be) && be.Code != CodeRateLimited && be.Code != CodeUnavailable {
			c.failedKeys++
		}
		c.trySend(encodeError(m.Board, errCode(err), errMessage(err)))
		if c.failedKeys >= maxFailedKeys {
			c.kick(CloseTooMany, "too many refused keys")
		}
		return
	}
	if m.As == "viewer" {
		role = board.RoleViewer
	}
	jm := joinMsg{c: c, client: m.Client, name: name, role: role, since: m.Since}
	// Two tries: the room found may be ending (idle or failed) just now.
	for try := 0; try < 2; try++ {
		r := c.follows[m.Board]
		if r == nil {
			r = c.hub.acquire(m.Board)
			c.follows[m.Board] = r
		}
		if r.send(jm) {
			return
		}
		delete(c.follows, m.Board)
		c.hub.release(r)
	}
	c.trySend(encodeError(m.Board, CodeUnavailable, "the board cannot be served now; retry"))
}

// remoteKey carries the peer's address to the Authorizer.
type remoteKey struct{}

// RemoteAddr returns the address of the connection an Authorize call is for
// ("" outside the hub).
func RemoteAddr(ctx context.Context) string {
	s, _ := ctx.Value(remoteKey{}).(string)
	return s
}

func errCode(err error) string {
	var be *board.Error
	if errors.As(err, &be) {
		return be.Code
	}
	if errors.Is(err, ErrNoBoard) {
		return CodeNotFound
	}
	return CodeUnavailable
}

func errMessage(err error) string {
	var be *board.Error
	if errors.As(err, &be) {
		return be.Message
	}
	if errors.Is(err, ErrNoBoard) {
		return "no such board"
	}
	return "the service cannot answer now; retry"
}

// cleanName trims a display name, drops control characters and bounds it.
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if units := utf16.Encode([]rune(s)); len(units) > maxName {
		s = string(utf16.Decode(units[:maxName]))
		s = strings.ToValidUTF8(s, "")
	}
	return s
}

func (c *Client) submit(m submitIn) {
	if !validBoardID(m.board) || !m.hasSeq || m.seq == 0 || !m.hasBase {
		if m.hasSeq && m.seq > 0 && validBoardID(m.board) {
			c.trySend(encodeReject(m.board, m.seq, CodeBadMessage, `submit needs "board", "seq" (≥ 1), "base" and "changes"`))
			return
		}
		c.trySend(encodeError(m.board, CodeBadMessage, `submit needs "board", "seq" (≥ 1), "base" and "changes"`))
		return
	}
	seq := m.seq
	r := c.follows[m.board]
	if r == nil {
		c.trySend(encodeReject(m.board, seq, CodeNotFollowing, "say hello to this board before submitting"))
		return
	}
	if len(bytes.TrimSpace(m.changes)) == 0 || bytes.Equal(bytes.TrimSpace(m.changes), []byte("null")) {
		c.trySend(encodeReject(m.board, seq, CodeBadMessage, `submit needs "changes" (an array)`))
		return
	}
	if !c.submits.take(time.Now()) {
		c.trySend(encodeReject(m.board, seq, CodeRateLimited, "too many submits; slow down"))
		return
	}
	changes, err := board.DecodeChanges(m.changes)
	if err != nil {
		c.trySend(encodeReject(m.board, seq, errCode(err), errMessage(err)))
		return
	}
	if !r.send(submitMsg{c: c, seq: seq, base: m.base, changes: changes}) {
		c.dropDead(m.board, r)
		c.trySend(encodeReject(m.board, seq, CodeUnavailable, "the board cannot take changes now; say hello again"))
	}
}

// dropDead forgets a room that ended under us.
func (c *Client) dropDead(id string, r *Room) {
	if c.follows[id] == r {
		delete(c.follows, id)
		c.hub.release(r)
	}
}

func finiteIn(p *float64, max float64) bool {
	return p == nil || (*p == *p && *p >= -max && *p <= max)
}

func (c *Client) presence(m *inMsg) {
	r := c.follows[m.Board]
	if r == nil {
		c.trySend(encodeError(m.Board, CodeNotFollowing, "presence names a board this connection does not follow"))
		return
	}
	if (m.Focus != nil && len(*m.Focus) > 64) || !finiteIn(m.Cursor, 1<<30) || (m.Cursor != nil && *m.Cursor < 0) ||
		!finiteIn(m.X, 100000) || !finiteIn(m.Y, 100000) {
		c.trySend(encodeError(m.Board, CodeBadMessage, "presence: focus ≤ 64 bytes, cursor ≥ 0, |x|,|y| ≤ 100000"))
		return
	}
	if !c.presences.take(time.Now()) {
		return
	}
	if !r.send(presenceIn{c: c, msg: m}) {
		c.dropDead(m.Board, r)
	}
}

func (c *Client) bye(m *inMsg) {
	r := c.follows[m.Board]
	if r == nil {
		c.trySend(encodeError(m.Board, CodeNotFollowing, "bye names a board this connection does not follow"))
		return
	}
	delete(c.follows, m.Board)
	r.send(leaveMsg{c: c})
	c.hub.release(r)
}

func (c *Client) ping(m *inMsg) {
	if m.Board == "" {
		c.trySend(encodePong("", 0, false, time.Now().UnixMilli()))
		return
	}
	r := c.follows[m.Board]
	if r == nil {
		c.trySend(encodeError(m.Board, CodeNotFollowing, "ping names a board this connection does not follow"))
		return
	}
	if !r.send(pingMsg{c: c}) {
		c.dropDead(m.Board, r)
		c.trySend(encodeError(m.Board, CodeUnavailable, "the board cannot be served now; say hello again"))
	}
}

// rate is a token bucket's setting.
type rate struct {
	perSec float64
	burst  float64
}

// bucket is a token bucket owned by one goroutine (no locking).
type bucket struct {
	rate   rate
	tokens float64
	last   time.Time
}

func newBucket(r rate, now time.Time) bucket {
	return bucket{rate: r, tokens: r.burst, last: now}
}

func (b *bucket) take(now time.Time) bool {
	b.tokens += now.Sub(b.last).Seconds() * b.rate.perSec
	if b.tokens > b.rate.burst {
		b.tokens = b.rate.burst
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
