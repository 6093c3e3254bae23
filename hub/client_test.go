package hub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// The write pump pings on its timer; a connection that answers stays open
// however long it is quiet, one that does not is closed after PongWait.
func TestPingsKeepAnsweringConnectionsAndDropSilentOnes(t *testing.T) {
	br, err := OpenLocalBroker(filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	const pongWait = 300 * time.Millisecond
	h := New(Options{Broker: br, Auth: openAuth{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		CheckOrigin: func(*http.Request) bool { return true }, PongWait: pongWait})
	ts := httptest.NewServer(http.HandlerFunc(h.ServeWS))
	t.Cleanup(func() {
		h.Shutdown(context.Background())
		ts.Close()
		br.Close()
	})
	url := "ws" + strings.TrimPrefix(ts.URL, "http")

	answering, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer answering.Close()
	var pings atomic.Int32
	answering.SetPingHandler(func(data string) error {
		pings.Add(1)
		return answering.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	silent, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	silent.SetPingHandler(func(string) error { return nil }) // never a pong

	answers := make(chan string, 16)
	go func() {
		for {
			_, msg, err := answering.ReadMessage()
			if err != nil {
				close(answers)
				return
			}
			answers <- string(msg)
		}
	}()
	silentEnded := make(chan error, 1)
	go func() {
		for {
			if _, _, err := silent.ReadMessage(); err != nil {
				silentEnded <- err
				return
			}
		}
	}()

	select {
	case <-silentEnded:
	case <-time.After(10 * pongWait):
		t.Fatal("a connection that never answers pings is still open")
	}
	time.Sleep(5 * pongWait) // several ping periods
	if n := pings.Load(); n < 3 {
		t.Fatalf("%d pings in %v, want one every %v", n, 5*pongWait, pongWait*9/10)
	}
	// Still open, and served.
	if err := answering.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case msg, ok := <-answers:
		if !ok || !strings.Contains(msg, `"pong"`) {
			t.Fatalf("answering connection: %q (open %v), want a pong", msg, ok)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer on a connection that answers pings")
	}
}

// TestIdleConnectionsKeepSmallStacks: after its hello, an idle connection
// holds one goroutine (its read pump) whose stack stayed small: the hello
// is handled on a goroutine of its own, and no write pump waits.
func TestIdleConnectionsKeepSmallStacks(t *testing.T) {
	h, url := benchHubT(t)
	id := newBoard(t, h)
	const n = 200
	stacks := func() (uint64, int) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.StackInuse, runtime.NumGoroutine()
	}
	before, g0 := stacks()
	for i := 0; i < n; i++ {
		dialHello(t, url, id)
	}
	// Write pumps stop once their queue is empty.
	var after uint64
	var g1 int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		after, g1 = stacks()
		if g1 <= g0+n+2 || time.Now().After(deadline) { // a read pump each, the room
			break
		}
	}
	if g1 > g0+n+2 {
		t.Fatalf("%d goroutines for %d idle connections, want one each", g1-g0, n)
	}
	if per := (after - before) / n; per > 6<<10 {
		t.Fatalf("%d bytes of stack per idle connection, want at most 6 KiB", per)
	}
}

// TestWritePumpsEndWithTheirConnections: connections that leave, are
// evicted while a burst is being written to them, or stop reading, leave
// no goroutine behind, and the ones that stay get every op.
func TestWritePumpsEndWithTheirConnections(t *testing.T) {
	h, url := benchHubT(t)
	ctx := context.Background()
	evicted, stays := uuid.NewString(), uuid.NewString()
	for _, id := range []string{evicted, stays} {
		if err := h.CreateBoard(ctx, id, "w", "g"); err != nil {
			t.Fatal(err)
		}
	}
	base := runtime.NumGoroutine()
	const n = 20
	var leaving, kept []*websocket.Conn
	for i := 0; i < n; i++ {
		leaving = append(leaving, dialHello(t, url, evicted))
		kept = append(kept, dialHello(t, url, stays))
	}
	writer := dialHello(t, url, stays)
	busy := dialHello(t, url, evicted)
	const ops = 50
	for seq := 1; seq <= ops; seq++ {
		busy.WriteMessage(websocket.TextMessage, keystroke(evicted, uint64(seq), uint64(seq-1)))
		writer.WriteMessage(websocket.TextMessage, keystroke(stays, uint64(seq), uint64(seq-1)))
		readUntil(t, writer, `"ack"`)
		if seq == ops/2 {
			h.Evict(evicted, CloseDeleted, "test") // mid-burst
			for _, c := range leaving[:n/2] {
				c.Close() // and some leave on their own
			}
		}
	}
	for i, c := range kept {
		for seq := 1; seq <= ops; seq++ {
			msg := readUntil(t, c, `"type":"op"`)
			if !strings.Contains(msg, fmt.Sprintf(`"v":%d`, seq)) {
				t.Fatalf("follower %d: op %d is %s", i, seq, msg)
			}
		}
		c.Close()
	}
	writer.Close()
	busy.Close()
	for _, c := range leaving[n/2:] {
		c.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > base+2 {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left after every connection ended (%d before):\n%s", g, base, buf[:runtime.Stack(buf, true)])
	}
}
