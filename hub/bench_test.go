package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/tablee/tablee/board"
)

// openAuth lets every key open every board as a participant: the
// benchmarks measure the hub, not the directory.
type openAuth struct{}

func (openAuth) Authorize(ctx context.Context, boardID, key string) (board.Role, error) {
	return board.RoleParticipant, nil
}

// benchHub runs a hub on the local broker behind a loopback HTTP server.
func benchHub(b *testing.B) (*Hub, string) { return benchHubT(b) }

func benchHubT(b testing.TB) (*Hub, string) {
	br, err := OpenLocalBroker(filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	h := New(Options{Broker: br, Auth: openAuth{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		CheckOrigin: func(*http.Request) bool { return true }, SubmitsPerSecond: 1e6})
	ts := httptest.NewServer(http.HandlerFunc(h.ServeWS))
	b.Cleanup(func() {
		h.Shutdown(context.Background())
		ts.Close()
		br.Close()
	})
	return h, "ws" + strings.TrimPrefix(ts.URL, "http")
}

// dialHello opens a connection that has said hello to a board (as a
// participant: openAuth) and got its welcome; it is closed at cleanup.
func dialHello(tb testing.TB, url, boardID string) *websocket.Conn {
	tb.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	hello, _ := json.Marshal(map[string]any{"type": "hello", "board": boardID, "client": uuid.NewString(), "name": "t", "key": "k"})
	c.WriteMessage(websocket.TextMessage, hello)
	if _, msg, err := c.ReadMessage(); err != nil || !strings.Contains(string(msg), `"welcome"`) {
		tb.Fatalf("hello: %s %v", msg, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// newBoard creates a group board on h and returns its id.
func newBoard(tb testing.TB, h *Hub) string {
	tb.Helper()
	id := uuid.NewString()
	if err := h.CreateBoard(context.Background(), id, "w", "g"); err != nil {
		tb.Fatal(err)
	}
	return id
}

func keystroke(boardID string, seq, base uint64) []byte {
	return []byte(fmt.Sprintf(`{"type":"submit","board":%q,"seq":%d,"base":%d,"changes":[{"kind":"text","section":"enjeux","op":[%d,"é"]}]}`,
		boardID, seq, base, base))
}

// BenchmarkRoomCommit is one keystroke's round trip through the room with
// durable storage: submit, transform, apply, fsync'd commit, ack.
func BenchmarkRoomCommit(b *testing.B) {
	h, url := benchHub(b)
	id := newBoard(b, h)
	c := dialHello(b, url, id)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.WriteMessage(websocket.TextMessage, keystroke(id, uint64(i+1), uint64(i)))
		if _, msg, err := c.ReadMessage(); err != nil || !strings.Contains(string(msg), `"ack"`) {
			b.Fatalf("want an ack: %s %v", msg, err)
		}
	}
}

// BenchmarkFanout is one change delivered to every follower of a board.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("followers=%d", n), func(b *testing.B) {
			h, url := benchHub(b)
			id := newBoard(b, h)
			writer := dialHello(b, url, id)
			readers := make([]*websocket.Conn, n)
			for i := range readers {
				readers[i] = dialHello(b, url, id)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				writer.WriteMessage(websocket.TextMessage, keystroke(id, uint64(i+1), uint64(i)))
				var wg sync.WaitGroup
				for _, r := range readers {
					wg.Add(1)
					go func(r *websocket.Conn) {
						defer wg.Done()
						for {
							_, msg, err := r.ReadMessage()
							if err != nil || strings.Contains(string(msg), `"op"`) {
								return
							}
						}
					}(r)
				}
				if _, msg, err := writer.ReadMessage(); err != nil || !strings.Contains(string(msg), `"ack"`) {
					b.Fatalf("want an ack: %s %v", msg, err)
				}
				wg.Wait()
			}
		})
	}
}

// BenchmarkDecodeSubmit is a client message read from the wire: envelope
// and changes.
func BenchmarkDecodeSubmit(b *testing.B) {
	msg := keystroke("0b5e4a5e-6a7c-4a3e-9a0c-2f1d8e7c6b5a", 12, 11)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s, ok := decodeSubmit(msg)
		if !ok {
			b.Fatal("not a plain submit")
		}
		if _, err := board.DecodeChanges(s.changes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeOp is a committed entry encoded once, as stored and as the
// op and ack messages.
func BenchmarkEncodeOp(b *testing.B) {
	changes, _ := board.DecodeChanges([]byte(`[{"kind":"text","section":"enjeux","op":[120,"é"]}]`))
	e := board.Entry{V: 121, Client: "0b5e4a5e-6a7c-4a3e-9a0c-2f1d8e7c6b5a", Seq: 40, Changes: changes}
	var scratch []byte // the room's
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		data, err := encodeEntry(&scratch, e)
		if err != nil {
			b.Fatal(err)
		}
		_ = encodeOp("0b5e4a5e-6a7c-4a3e-9a0c-2f1d8e7c6b5a", data)
		_ = encodeAck("0b5e4a5e-6a7c-4a3e-9a0c-2f1d8e7c6b5a", 40, 121)
	}
}

// countingListener counts the Write calls made on the connections it
// accepts: the socket writes (syscalls) the server makes.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, writes: l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// overtype is a keystroke that replaces the section's one character, so
// that the cost of applying it does not grow with b.N.
func overtype(boardID string, seq, base uint64) []byte {
	op := `["é"]`
	if base > 0 {
		op = `[{"d":1},"é"]`
	}
	return []byte(fmt.Sprintf(`{"type":"submit","board":%q,"seq":%d,"base":%d,"changes":[{"kind":"text","section":"enjeux","op":%s}]}`,
		boardID, seq, base, op))
}

// BenchmarkBurstFanout is a burst of 8 keystrokes (pipelined submits, as
// from 8 typists) delivered to 100 followers: one op is one burst, and
// ns/delivery and writes/delivery count what each op frame costs the
// server, writes being the Write calls on the accepted sockets.
func BenchmarkBurstFanout(b *testing.B) {
	const burst, followers = 8, 100
	br, err := OpenLocalBroker(filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	h := New(Options{Broker: br, Auth: openAuth{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		CheckOrigin: func(*http.Request) bool { return true }, SubmitsPerSecond: 1e6})
	var writes atomic.Int64
	ts := httptest.NewUnstartedServer(http.HandlerFunc(h.ServeWS))
	ts.Listener = countingListener{Listener: ts.Listener, writes: &writes}
	ts.Start()
	b.Cleanup(func() {
		h.Shutdown(context.Background())
		ts.Close()
		br.Close()
	})
	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	id := newBoard(b, h)
	writer := dialHello(b, url, id)
	readers := make([]*websocket.Conn, followers)
	for i := range readers {
		readers[i] = dialHello(b, url, id)
	}
	// Followers read in their own goroutines for the whole run; each burst
	// ends when every follower has had its burst of ops.
	var got sync.WaitGroup
	for _, r := range readers {
		go func(r *websocket.Conn) {
			n := 0
			for {
				_, msg, err := r.ReadMessage()
				if err != nil {
					return
				}
				if bytes.Contains(msg, []byte(`"op"`)) {
					if n++; n == burst {
						n = 0
						got.Done()
					}
				}
			}
		}(r)
	}
	frames := make([][]byte, burst)
	b.ReportAllocs()
	b.ResetTimer()
	writes.Store(0)
	cpu0 := cpuTime()
	var v uint64
	for i := 0; i < b.N; i++ {
		got.Add(followers)
		for k := range frames {
			frames[k] = overtype(id, v+uint64(k)+1, v+uint64(k))
		}
		for _, f := range frames {
			writer.WriteMessage(websocket.TextMessage, f)
		}
		for k := 0; k < burst; k++ {
			if _, msg, err := writer.ReadMessage(); err != nil || !bytes.Contains(msg, []byte(`"ack"`)) {
				b.Fatalf("want an ack: %s %v", msg, err)
			}
		}
		got.Wait()
		v += burst
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	deliveries := float64(b.N) * burst * (followers + 1) // ops, and acks to the writer
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/deliveries, "ns/delivery")
	// The clients run in this process too: their reads are in this count.
	b.ReportMetric(float64(cpu.Nanoseconds())/deliveries, "cpu-ns/delivery")
	b.ReportMetric(float64(writes.Load())/deliveries, "writes/delivery")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoopbackWrite is the floor under every delivery: one write(2) of
// an op-sized frame to a loopback TCP socket, round robin over 100 sockets
// whose readers drain them. On loopback the kernel does the receiving side's
// TCP work in the writer's call too, so this is what one delivery costs the
// server at the least when frames cannot be coalesced (a follower gets a
// few ops a second: nothing to gather).
func BenchmarkLoopbackWrite(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	const conns = 100
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(io.Discard, c)
		}()
	}
	var out []net.Conn
	for i := 0; i < conns; i++ {
		c, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, c)
	}
	frame := make([]byte, 160) // an op frame's size
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := out[i%conns].Write(frame); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	for _, c := range out {
		c.Close()
	}
	wg.Wait()
}
