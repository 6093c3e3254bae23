package hub

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestOutQueueBounds(t *testing.T) {
	q := newOutQueue(func() {})
	for i := 0; i < queueMaxMsgs; i++ {
		if !q.push(outMsg{data: []byte("x"), size: 1}) {
			t.Fatalf("push %d refused below the bound", i)
		}
	}
	if q.push(outMsg{data: []byte("x"), size: 1}) {
		t.Fatal("push over the message bound taken")
	}
	got := q.take(nil)
	if len(got) != queueMaxMsgs {
		t.Fatalf("took %d", len(got))
	}
	if q.items != nil {
		t.Fatal("a drained queue keeps its large backing array")
	}
	if !q.push(outMsg{size: queueMaxBytes}) || q.push(outMsg{size: 1}) {
		t.Fatal("byte bound not applied")
	}
	q.take(nil)
	q.close()
	if q.push(outMsg{size: 1}) {
		t.Fatal("push after close taken")
	}
}

// TestSlowFollowerIsClosed: a follower that stops reading is disconnected
// once its queue is full (with 4008 when the close frame still fits in its
// socket, else the connection just drops), and the writer is not slowed.
func TestSlowFollowerIsClosed(t *testing.T) {
	h, url := benchHubT(t)
	id := newBoard(t, h)
	writer := dialHello(t, url, id)
	slow := dialHello(t, url, id) // never reads until the end
	text := strings.Repeat("é", 40000)
	prev := 0
	deadline := time.Now().Add(30 * time.Second)
	for seq := 1; seq <= 1000 && time.Now().Before(deadline); seq++ {
		op := []any{text}
		if prev > 0 {
			op = []any{map[string]int{"d": prev}, text}
		}
		msg, _ := json.Marshal(map[string]any{"type": "submit", "board": id, "seq": seq, "base": seq - 1,
			"changes": []any{map[string]any{"kind": "text", "section": "enjeux", "op": op}}})
		writer.WriteMessage(websocket.TextMessage, msg)
		gone := false
		for {
			_, got, err := writer.ReadMessage()
			if err != nil {
				t.Fatalf("writer: %v", err)
			}
			if strings.Contains(string(got), `"gone":true`) {
				gone = true // the slow one was closed
			}
			if strings.Contains(string(got), `"ack"`) {
				break
			}
		}
		prev = 40000
		if gone {
			break
		}
	}
	slow.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		if _, _, err := slow.ReadMessage(); err != nil {
			ce, ok := err.(*websocket.CloseError)
			if !ok || (ce.Code != CloseSlow && ce.Code != websocket.CloseAbnormalClosure) {
				t.Fatalf("slow follower ended with %v, want close %d or a dropped connection", err, CloseSlow)
			}
			return
		}
	}
}

// TestOutQueueStartsOnePump: a pump starts when there is something to do
// and none runs, looks again after a signal, stops when nothing is left,
// and none starts after close.
func TestOutQueueStartsOnePump(t *testing.T) {
	starts := 0
	q := newOutQueue(func() { starts++ })
	msg := outMsg{data: []byte("x"), size: 1}
	q.push(msg)
	q.push(msg)
	if starts != 1 {
		t.Fatalf("%d pumps started for two pushes, want 1", starts)
	}
	batch, ok := q.next(nil)
	if !ok || len(batch) != 2 {
		t.Fatalf("next: %d frames, %v", len(batch), ok)
	}
	q.signal() // a ping due while the pump writes
	if batch, ok = q.next(batch); !ok || len(batch) != 0 {
		t.Fatalf("after a signal the pump must look again: %d frames, %v", len(batch), ok)
	}
	if _, ok = q.next(batch); ok {
		t.Fatal("the pump goes on with nothing to do")
	}
	q.signal()
	if starts != 2 {
		t.Fatalf("a signal to a stopped queue started %d pumps in all, want 2", starts)
	}
	if _, ok = q.next(nil); !ok {
		t.Fatal("a pump started by a signal stops before looking at its flags")
	}
	q.next(nil)
	q.close()
	q.signal()
	if q.push(msg) || starts != 2 {
		t.Fatalf("after close: %d pumps started in all, want 2", starts)
	}
}
