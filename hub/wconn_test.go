package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// recConn records each Write it gets.
type recConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (c *recConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, bytes.Clone(p))
	c.mu.Unlock()
	return len(p), nil
}

func (c *recConn) SetWriteDeadline(time.Time) error { return nil }

func TestFrameHeader(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		if got := appendHeader(nil, websocket.TextMessage, tt.n); !bytes.Equal(got, tt.want) {
			t.Errorf("header of %d: % x, want % x", tt.n, got, tt.want)
		}
	}
}

func TestFrameWriterGathers(t *testing.T) {
	rc := &recConn{}
	w := &frameWriter{Conn: rc}
	deadline := time.Now().Add(time.Minute)

	// Outside begin/flush, frames go straight out.
	w.control(websocket.PingMessage, nil, deadline)
	if len(rc.writes) != 1 || !bytes.Equal(rc.writes[0], []byte{0x89, 0}) {
		t.Fatalf("ping: % x", rc.writes)
	}

	w.begin(deadline)
	w.text([]byte("a"))
	w.text([]byte("bb"))
	w.control(websocket.PongMessage, []byte("p"), deadline) // the read pump's, meanwhile
	if len(rc.writes) != 1 {
		t.Fatal("frames written before the flush")
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	want := []byte{0x81, 1, 'a', 0x81, 2, 'b', 'b', 0x8a, 1, 'p'}
	if len(rc.writes) != 2 || !bytes.Equal(rc.writes[1], want) {
		t.Fatalf("writes % x, want one of % x", rc.writes, want)
	}
	if w.buf != nil {
		t.Fatal("the buffer is held after the flush")
	}

	// Over the bound: what was gathered goes first, then a large frame as
	// is (header and payload); order is kept.
	rc.writes = nil
	big := bytes.Repeat([]byte("x"), coalesceSize)
	w.begin(deadline)
	w.text([]byte("1"))
	w.text(big)
	w.text([]byte("2"))
	w.text(big[:coalesceSize-8]) // fits, with "2"
	w.text([]byte("3"))          // does not
	w.flush()
	var got bytes.Buffer
	for _, p := range rc.writes {
		got.Write(p)
	}
	var all []byte
	for _, p := range [][]byte{[]byte("1"), big, []byte("2"), big[:coalesceSize-8], []byte("3")} {
		all = append(appendHeader(all, websocket.TextMessage, len(p)), p...)
	}
	if !bytes.Equal(got.Bytes(), all) {
		t.Fatal("frames garbled or out of order")
	}
	if len(rc.writes) != 5 { // "1"; big's header and payload; "2"+part; "3"
		t.Fatalf("%d writes, want 5", len(rc.writes))
	}

	// An empty batch writes nothing.
	rc.writes = nil
	w.begin(deadline)
	w.flush()
	if len(rc.writes) != 0 {
		t.Fatal("an empty flush wrote")
	}
}

// TestFrameWriterClose: a close frame goes out at once, after what was
// gathered (the read pump closes the socket right after its reply), and
// nothing follows it, whoever wrote it.
func TestFrameWriterClose(t *testing.T) {
	rc := &recConn{}
	w := &frameWriter{Conn: rc}
	w.begin(time.Now().Add(time.Minute))
	w.text([]byte("last"))
	if err := w.control(websocket.CloseMessage, websocket.FormatCloseMessage(4008, "slow"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(rc.writes) != 2 || !bytes.Equal(rc.writes[0], []byte("\x81\x04last")) || rc.writes[1][0] != 0x88 {
		t.Fatalf("writes % x", rc.writes)
	}
	if err := w.text([]byte("after")); err != errCloseSent {
		t.Fatalf("a frame after the close: %v", err)
	}
	if err := w.control(websocket.PongMessage, nil, time.Now().Add(time.Second)); err != errCloseSent {
		t.Fatalf("a pong after the close: %v", err)
	}
	if err := w.flush(); err != errCloseSent {
		t.Fatalf("flush after the close: %v", err)
	}
	if len(rc.writes) != 2 {
		t.Fatalf("%d writes after the close", len(rc.writes)-2)
	}

	// gorilla's own close frame (a protocol error) ends it too, after what
	// was gathered.
	rc.writes = nil
	w = &frameWriter{Conn: rc}
	w.begin(time.Now().Add(time.Minute))
	w.text([]byte("x"))
	w.Write([]byte{0x88, 2, 0x03, 0xea})
	if err := w.text([]byte("after")); err != errCloseSent {
		t.Fatalf("a frame after gorilla's close: %v", err)
	}
	if len(rc.writes) != 2 || rc.writes[1][0] != 0x88 {
		t.Fatalf("writes % x", rc.writes)
	}
}

// TestFrameWriterDeadline: a peer that does not read fails the flush at
// the write deadline, and the connection stays failed.
func TestFrameWriterDeadline(t *testing.T) {
	a, b := net.Pipe() // synchronous: nobody reads b
	defer a.Close()
	defer b.Close()
	w := &frameWriter{Conn: a}
	w.begin(time.Now().Add(50 * time.Millisecond))
	w.text([]byte("frame"))
	start := time.Now()
	err := w.flush()
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("flush: %v, want the deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("flush took %v", d)
	}
	w.begin(time.Now().Add(time.Hour))
	if err := w.text([]byte("more")); err == nil {
		if err = w.flush(); err == nil {
			t.Fatal("a write after a failed one succeeded")
		}
	}
	if err := w.control(websocket.PingMessage, nil, time.Now().Add(time.Hour)); err == nil {
		t.Fatal("a ping after a failed write succeeded")
	}
}

// TestWSFrames: through a hub, bursts written in one socket write still
// reach a client as separate messages, of every length form; a client's
// ping (answered by the read pump while the write pump writes) gets its
// pong; a client's close gets its close back; an evicted client gets its
// close code.
func TestWSFrames(t *testing.T) {
	h, url := benchHubT(t)
	id := newBoard(t, h)
	writer := dialHello(t, url, id)
	reader := dialHello(t, url, id)
	pong := make(chan string, 1)
	reader.SetPongHandler(func(s string) error {
		pong <- s
		return nil
	})
	// Inserts whose ops are under 126 bytes, up to 64 KiB, and over.
	inserts := []string{"é", strings.Repeat("a", 200), strings.Repeat("é", 35000) /* 70 kB, 35,000 units */, "z"}
	for i := 0; i < 50; i++ {
		inserts = append(inserts, strconv.Itoa(i))
	}
	for i, ins := range inserts {
		msg, _ := json.Marshal(map[string]any{"type": "submit", "board": id, "seq": i + 1, "base": i,
			"changes": []any{map[string]any{"kind": "text", "section": "enjeux", "op": []any{ins}}}})
		writer.WriteMessage(websocket.TextMessage, msg)
	}
	if err := reader.WriteControl(websocket.PingMessage, []byte("p1"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	reader.SetReadDeadline(time.Now().Add(10 * time.Second))
	for v := 1; v <= len(inserts); {
		_, msg, err := reader.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var op struct {
			Type    string
			V       int
			Changes []struct{ Op []any }
		}
		if json.Unmarshal(msg, &op); op.Type != "op" {
			continue
		}
		if op.V != v || len(op.Changes) != 1 || len(op.Changes[0].Op) != 1 || op.Changes[0].Op[0] != inserts[v-1] {
			t.Fatalf("op %d: %.100s", v, msg)
		}
		v++
	}
	// The pong is seen by a read; it may come after the ops.
	go reader.ReadMessage()
	select {
	case s := <-pong:
		if s != "p1" {
			t.Fatalf("pong %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pong")
	}

	// A client's close is answered with its code.
	closer := dialHello(t, url, id)
	closer.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	closer.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := closer.ReadMessage()
		if err == nil {
			continue // a presence, say
		}
		if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
			t.Fatalf("closing: %v, want the close frame back", err)
		}
		break
	}

	// Evicted: the close frame carries the code.
	h.Evict(id, CloseDeleted, "deleted")
	writer.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := writer.ReadMessage()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, CloseDeleted) {
			t.Fatalf("evicted: %v, want close %d", err, CloseDeleted)
		}
		break
	}
}
