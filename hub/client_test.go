package hub

import (
	"context"
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
	id := uuid.NewString()
	if err := h.CreateBoard(context.Background(), id, "w", "g"); err != nil {
		t.Fatal(err)
	}
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
