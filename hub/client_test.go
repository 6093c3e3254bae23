package hub

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
