package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/tablee/tablee/board"
)

// testWorkshop is what POST /api/workshops answered.
type testWorkshop struct {
	ID             string `json:"id"`
	Code           string `json:"code"`
	FacilitatorKey string `json:"facilitatorKey"`
	Groups         []struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Board string `json:"board"`
	} `json:"groups"`
}

func createWorkshop(t testing.TB, base string, groups ...string) testWorkshop {
	t.Helper()
	if len(groups) == 0 {
		groups = []string{"Groupe A", "Groupe B"}
	}
	body, _ := json.Marshal(map[string]any{"title": "La coopération au service des projets territoriaux", "groups": groups})
	res, err := http.Post(base+"/api/workshops", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create workshop: status %d", res.StatusCode)
	}
	var w testWorkshop
	if err := json.NewDecoder(res.Body).Decode(&w); err != nil {
		t.Fatal(err)
	}
	return w
}

// msg is any server message, decoded loosely.
type msg struct {
	Type     string            `json:"type"`
	Board    string            `json:"board"`
	V        uint64            `json:"v"`
	Epoch    string            `json:"epoch"`
	Role     string            `json:"role"`
	LastSeq  uint64            `json:"lastSeq"`
	Seq      uint64            `json:"seq"`
	Client   string            `json:"client"`
	Name     string            `json:"name"`
	Code     string            `json:"code"`
	Message  string            `json:"message"`
	Changes  []board.Change    `json:"changes"`
	Ops      []json.RawMessage `json:"ops"`
	Snapshot *struct {
		V        uint64                           `json:"v"`
		Sections map[string]struct{ Text string } `json:"sections"`
		Meta     map[string]any                   `json:"meta"`
		Elements map[string]json.RawMessage       `json:"elements"`
	} `json:"snapshot"`
	Focus string `json:"focus"`
	Gone  bool   `json:"gone"`
	raw   []byte
}

// wsConn is a raw protocol connection for tests.
type wsConn struct {
	t    testing.TB
	c    *websocket.Conn
	id   string // protocol client id
	in   chan msg
	done chan struct{}
	// closeCode is the close code the server sent, once the reader ends.
	closeCode int
}

func dial(t testing.TB, ts *httptest.Server) *wsConn {
	t.Helper()
	return dialAs(t, ts, uuid.NewString())
}

func dialAs(t testing.TB, ts *httptest.Server, id string) *wsConn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &wsConn{t: t, c: c, id: id, in: make(chan msg, 4096), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer close(w.in)
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				if ce, ok := err.(*websocket.CloseError); ok {
					w.closeCode = ce.Code
				}
				return
			}
			var m msg
			if err := json.Unmarshal(data, &m); err != nil {
				t.Errorf("server sent bad JSON %q: %v", data, err)
				return
			}
			m.raw = data
			w.in <- m
		}
	}()
	t.Cleanup(func() { c.Close(); <-w.done })
	return w
}

func (w *wsConn) send(v any) {
	w.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	w.sendRaw(data)
}

func (w *wsConn) sendRaw(data []byte) {
	w.t.Helper()
	if err := w.c.WriteMessage(websocket.TextMessage, data); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// next returns the next message whose type is one of types, failing after
// a timeout; other messages (presence, say) are skipped.
func (w *wsConn) next(types ...string) msg {
	w.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-w.in:
			if !ok {
				w.t.Fatalf("connection closed (code %d) while waiting for %v", w.closeCode, types)
			}
			for _, ty := range types {
				if m.Type == ty {
					return m
				}
			}
		case <-deadline:
			w.t.Fatalf("no %v within 10s", types)
		}
	}
}

// quiet asserts that no message of the given types arrives for d.
func (w *wsConn) quiet(d time.Duration, types ...string) {
	w.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case m, ok := <-w.in:
			if !ok {
				return
			}
			for _, ty := range types {
				if m.Type == ty {
					w.t.Fatalf("unexpected %s: %s", m.Type, m.raw)
				}
			}
		case <-deadline:
			return
		}
	}
}

func (w *wsConn) hello(boardID, key string, extra ...map[string]any) msg {
	w.t.Helper()
	h := map[string]any{"type": "hello", "board": boardID, "client": w.id, "name": "Testeur", "key": key}
	for _, e := range extra {
		for k, v := range e {
			h[k] = v
		}
	}
	w.send(h)
	return w.next("welcome", "error")
}

func (w *wsConn) submit(boardID string, seq, base uint64, changes ...any) {
	w.t.Helper()
	w.send(map[string]any{"type": "submit", "board": boardID, "seq": seq, "base": base, "changes": changes})
}

func textChange(section string, op ...any) map[string]any {
	return map[string]any{"kind": "text", "section": section, "op": op}
}

func getSnapshot(t testing.TB, base, boardID, key string) (int, map[string]any) {
	t.Helper()
	var out map[string]any
	st := getBoardJSON(t, base, boardID, key, &out)
	return st, out
}

// mustBoardJSON reads GET /api/boards/{id} into v, failing on any status
// but 200.
func mustBoardJSON(t testing.TB, base, boardID, key string, v any) {
	t.Helper()
	if st := getBoardJSON(t, base, boardID, key, v); st != http.StatusOK {
		t.Fatalf("board %s: status %d", boardID, st)
	}
}

// getBoardJSON reads GET /api/boards/{id} into v and returns the status.
func getBoardJSON(t testing.TB, base, boardID, key string, v any) int {
	t.Helper()
	res, err := http.Get(fmt.Sprintf("%s/api/boards/%s?key=%s", base, boardID, key))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	json.NewDecoder(res.Body).Decode(v)
	return res.StatusCode
}

func sectionText(t testing.TB, snap map[string]any, key string) string {
	t.Helper()
	secs, _ := snap["sections"].(map[string]any)
	sec, _ := secs[key].(map[string]any)
	s, ok := sec["text"].(string)
	if !ok {
		t.Fatalf("snapshot has no text for %s: %v", key, snap)
	}
	return s
}
