package hub

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// readUntil reads c until a message contains want, and returns it.
func readUntil(t *testing.T, c *websocket.Conn, want string) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", want, err)
		}
		if strings.Contains(string(msg), want) {
			return string(msg)
		}
	}
}

// TestLateSubmitBeyondDecodedEntries: a submit whose base is further behind
// than the entries a room keeps decoded is transformed against entries
// decoded again from their bytes, and lands where it should (at the start,
// before text typed at the end: base 1 keeps the two from tying).
func TestLateSubmitBeyondDecodedEntries(t *testing.T) {
	h, url := benchHubT(t)
	id := newBoard(t, h)
	typist := dialHello(t, url, id)
	late := dialHello(t, url, id)
	n := recentDecoded + 40
	for seq := 1; seq <= n; seq++ {
		typist.WriteMessage(websocket.TextMessage, keystroke(id, uint64(seq), uint64(seq-1)))
		readUntil(t, typist, `"ack"`)
	}
	late.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(
		`{"type":"submit","board":%q,"seq":1,"base":1,"changes":[{"kind":"text","section":"enjeux","op":["X"]}]}`, id)))
	if ack := readUntil(t, late, `"type":"ack"`); !strings.Contains(ack, fmt.Sprintf(`"v":%d`, n+1)) {
		t.Fatalf("late submit: %s, want its ack at v%d", ack, n+1)
	}
	// A newcomer's welcome holds the board: X before every é typed.
	fresh, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	fresh.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(
		`{"type":"hello","board":%q,"client":%q,"key":"k"}`, id, uuid.NewString())))
	welcome := readUntil(t, fresh, `"welcome"`)
	if want := `"X` + strings.Repeat("é", n) + `"`; !strings.Contains(welcome, want) {
		t.Fatalf("welcome lacks %s:\n%.600s", want, welcome)
	}
}
