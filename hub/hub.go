package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tablee/tablee/board"
)

// Authorizer tells what a key may do on a board. The server implements it
// with its workshop directory: the workshop code opens the workshop's boards
// as a participant, the facilitator key as facilitator, nothing opens another
// workshop's boards.
type Authorizer interface {
	// Authorize returns the role key gives on boardID, or an error: a
	// *board.Error with code forbidden (the key does not open it), not_found
	// (no such board) or rate_limited (too many refused keys lately).
	Authorize(ctx context.Context, boardID, key string) (board.Role, error)
}

// Options configure a Hub.
type Options struct {
	Broker Broker
	Auth   Authorizer
	Log    *slog.Logger
	// CheckOrigin decides whether a browser page from another origin may
	// open a websocket. Required: there is no permissive default.
	CheckOrigin func(r *http.Request) bool
	// SubmitsPerSecond is the sustained submit rate of one connection
	// (bursts of twice as many); 0 means 200. Benchmarks raise it.
	SubmitsPerSecond float64
	// PongWait is how long a connection may stay silent, pongs included,
	// before it is closed; pings go out at 9/10 of it. 0 means 45 s. Tests
	// shorten it.
	PongWait time.Duration
}

// Hub keeps the rooms of the boards being edited and the connections.
type Hub struct {
	broker   Broker
	auth     Authorizer
	log      *slog.Logger
	upgrader websocket.Upgrader

	// shared: other instances commit to the same boards (Redis), so a
	// commit can lose a race and rooms keep a copy to go back to.
	shared bool

	// submitRate is the per-connection submit budget.
	submitRate rate
	// msgRate is the per-connection budget of all messages; never below
	// the submit budget's room (submits are messages too).
	msgRate rate
	// pongWait and pingPeriod: see Options.PongWait.
	pongWait, pingPeriod time.Duration

	mu      sync.Mutex
	rooms   map[string]*Room
	clients map[*Client]struct{}
	closing bool
}

// New makes a hub.
func New(o Options) *Hub {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.CheckOrigin == nil {
		panic("hub: Options.CheckOrigin is required")
	}
	_, local := o.Broker.(*LocalBroker)
	sr := defaultSubmitRate
	if o.SubmitsPerSecond > 0 {
		sr = rate{perSec: o.SubmitsPerSecond, burst: 2 * o.SubmitsPerSecond}
	}
	pw := defaultPongWait
	if o.PongWait > 0 {
		pw = o.PongWait
	}
	return &Hub{
		pongWait:   pw,
		pingPeriod: pw * 9 / 10, // shorter than pongWait, so a pong can arrive in time
		submitRate: sr,
		msgRate:    rate{perSec: max(msgRate.perSec, 5*sr.perSec), burst: max(msgRate.burst, 5*sr.burst)},
		shared:     !local,
		broker:     o.Broker,
		auth:       o.Auth,
		log:        o.Log,
		upgrader: websocket.Upgrader{
			// A small read buffer (frames larger than it are read in
			// several calls). Frames are written by the frameWriter, with
			// a buffer lent only while writing; gorilla's write buffer is
			// pooled too, should it ever write: an idle connection holds
			// 1 KiB of buffers, not 8.
			ReadBufferSize:  1024,
			WriteBufferSize: 4096,
			WriteBufferPool: &sync.Pool{},
			CheckOrigin:     o.CheckOrigin,
			// Compression stays off: the read limit then counts real bytes
			// (CVE-2020-27813), and small JSON frames gain little from it.
			EnableCompression: false,
		},
		rooms:   make(map[string]*Room),
		clients: make(map[*Client]struct{}),
	}
}

// ServeWS upgrades a request to a websocket connection and runs it.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	closing := h.closing
	h.mu.Unlock()
	if closing {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	// The socket is wrapped: frames are written, and coalesced, by hub code.
	conn, err := h.upgrader.Upgrade(hijacker{w}, r, nil)
	if err != nil {
		return // the upgrader has answered with the HTTP error
	}
	c := newClient(h, conn)
	c.remote = r.RemoteAddr
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		conn.Close()
		return
	}
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	go c.readPump()
}

func (h *Hub) unregister(c *Client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

// acquire returns the room of a board, starting it if needed, and counts one
// more follower.
func (h *Hub) acquire(id string) *Room {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[id]
	if r == nil {
		r = newRoom(h, id)
		h.rooms[id] = r
		go r.run()
	}
	r.refs++
	return r
}

func (h *Hub) release(r *Room) {
	h.mu.Lock()
	r.refs--
	h.mu.Unlock()
}

// removeIfIdle takes the room out of the map if nobody holds it.
func (h *Hub) removeIfIdle(r *Room) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rooms[r.id] != r || r.refs > 0 {
		return false
	}
	delete(h.rooms, r.id)
	return true
}

// remove takes the room out of the map whoever holds it (it failed).
func (h *Hub) remove(r *Room) {
	h.mu.Lock()
	if h.rooms[r.id] == r {
		delete(h.rooms, r.id)
	}
	h.mu.Unlock()
}

// NewEpoch returns a fresh opaque epoch.
func NewEpoch() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// CreateBoard stores a new, empty board.
func (h *Hub) CreateBoard(ctx context.Context, id, workshop, group string) error {
	b := board.New(id, workshop, group, NewEpoch())
	state, err := b.MarshalState()
	if err != nil {
		return err
	}
	return h.broker.Create(ctx, id, b.Epoch, state)
}

// CreateControlBoard stores a workshop's new control board (timer, "look
// here", placements), written by the facilitator only.
func (h *Hub) CreateControlBoard(ctx context.Context, id, workshop string) error {
	b := board.NewControl(id, workshop, NewEpoch())
	state, err := b.MarshalState()
	if err != nil {
		return err
	}
	return h.broker.Create(ctx, id, b.Epoch, state)
}

// DeleteBoard removes a board's data. Followers keep what they have until
// they reconnect; the room, if loaded, is dropped.
func (h *Hub) DeleteBoard(ctx context.Context, id string) error {
	return h.broker.Delete(ctx, id)
}

// Snapshot returns the board's durable state: what every acknowledged edit
// has made it, read from storage.
func (h *Hub) Snapshot(ctx context.Context, id string) (board.Snapshot, error) {
	state, v, _, err := h.broker.Load(ctx, id)
	if err != nil {
		return board.Snapshot{}, err
	}
	b, err := board.UnmarshalState(state)
	if err != nil {
		return board.Snapshot{}, err
	}
	if b.V != v {
		return board.Snapshot{}, errors.New("hub: snapshot version mismatch")
	}
	recs, err := h.broker.History(ctx, id, v, 0)
	if err != nil {
		return board.Snapshot{}, err
	}
	for _, rec := range recs {
		e, err := decodeEntry(rec.Data)
		if err != nil {
			return board.Snapshot{}, err
		}
		if err := b.ApplyEntry(e, board.RoleFacilitator); err != nil {
			return board.Snapshot{}, err
		}
	}
	return b.Snapshot(), nil
}

// ServerClient is the client id under which the server writes itself
// (closing a workshop locks its boards, say); it shows in the ops.
const ServerClient = "00000000-0000-4000-8000-000000007ab1"

// Submit commits changes to a board as the facilitator, from the server
// itself, on the board's current version. It returns once they are durable
// and broadcast, or with the reject's *board.Error.
func (h *Hub) Submit(ctx context.Context, boardID string, changes []board.Change) error {
	// A connection-less client: the room answers into its queue.
	ready := make(chan struct{}, 1)
	c := &Client{hub: h, kicked: make(chan struct{}), done: make(chan struct{})}
	c.send = newOutQueue(func() { // no pump: the first answer is the one awaited
		select {
		case ready <- struct{}{}:
		default:
		}
	})
	as := &follower{client: ServerClient, name: "Tablée", role: board.RoleFacilitator}
	for try := 0; try < 2; try++ {
		r := h.acquire(boardID)
		ok := r.send(submitMsg{c: c, changes: changes, as: as})
		if !ok {
			h.release(r)
			continue
		}
		var m outMsg
		select {
		case <-ready:
			m = c.send.take(nil)[0]
		case <-r.dead:
			h.release(r)
			continue
		case <-ctx.Done():
			h.release(r)
			return ctx.Err()
		}
		h.release(r)
		var reply struct {
			Type, Code, Message string
		}
		json.Unmarshal(m.data, &reply)
		switch reply.Type {
		case "ack":
			return nil
		case "reject", "error":
			return &board.Error{Code: reply.Code, Message: reply.Message}
		}
		return fmt.Errorf("hub: unexpected answer %q", reply.Type)
	}
	return &board.Error{Code: CodeUnavailable, Message: "the board cannot be served now; retry"}
}

// Evict disconnects every follower of a board on this instance with code
// (CloseDeleted when its workshop was deleted).
func (h *Hub) Evict(boardID string, code int, reason string) {
	h.mu.Lock()
	r := h.rooms[boardID]
	h.mu.Unlock()
	if r != nil {
		r.send(evictMsg{code: code, reason: reason})
	}
}

// Shutdown closes every connection (clients reconnect elsewhere or later),
// then stops every room after its pending commits and a last snapshot.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	clients := make([]*Client, 0, len(h.clients))
	for c := range h.clients {
		clients = append(clients, c)
	}
	rooms := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	for _, c := range clients {
		c.kick(CloseShutdown, "server restarting")
	}
	for _, r := range rooms {
		done := make(chan struct{})
		if !r.send(stopMsg{done: done}) {
			continue
		}
		select {
		case <-done:
		case <-r.dead:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
