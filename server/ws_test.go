package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tablee/tablee/board"
)

func TestHelloRoles(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL)
	other := createWorkshop(t, ts.URL)
	b := w.Groups[0].Board

	tests := []struct {
		name     string
		board    string
		key      string
		extra    map[string]any
		wantType string
		want     string // role or error code
	}{
		{"code opens as participant", b, w.Code, nil, "welcome", "participant"},
		{"code typed with a dash and lower case", b, strings.ToLower(w.Code[:4] + "-" + w.Code[4:]), nil, "welcome", "participant"},
		{"facilitator key", b, w.FacilitatorKey, nil, "welcome", "facilitator"},
		{"viewer", b, w.Code, map[string]any{"as": "viewer"}, "welcome", "viewer"},
		{"facilitator as viewer", b, w.FacilitatorKey, map[string]any{"as": "viewer"}, "welcome", "viewer"},
		{"another workshop's code", b, other.Code, nil, "error", "forbidden"},
		{"another workshop's key", b, other.FacilitatorKey, nil, "error", "forbidden"},
		{"wrong key", b, "ZZZZZZZZ", nil, "error", "forbidden"},
		{"unknown board", "00000000-0000-0000-0000-000000000000", w.Code, nil, "error", "not_found"},
		{"bad as", b, w.Code, map[string]any{"as": "admin"}, "error", "bad_message"},
		{"client not a uuid", b, w.Code, map[string]any{"client": "me"}, "error", "bad_message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, ts)
			m := c.hello(tt.board, tt.key, tt.extra)
			if m.Type != tt.wantType {
				t.Fatalf("got %s (%s), want %s", m.Type, m.raw, tt.wantType)
			}
			got := m.Role
			if m.Type == "error" {
				got = m.Code
			}
			if got != tt.want {
				t.Fatalf("got %q (%s), want %q", got, m.raw, tt.want)
			}
			if m.Type == "welcome" {
				if m.Snapshot == nil || len(m.Snapshot.Sections) != 7 || m.V != 0 || m.Epoch == "" || m.LastSeq != 0 {
					t.Fatalf("welcome lacks its snapshot: %s", m.raw)
				}
			}
		})
	}
}

func TestSubmitAckOpAndCatchUp(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL)
	b := w.Groups[0].Board
	alice, bob := dial(t, ts), dial(t, ts)
	wa := alice.hello(b, w.Code)
	bob.hello(b, w.Code)

	alice.submit(b, 1, 0, textChange("enjeux", "Nécessité 🌱"))
	if ack := alice.next("ack", "reject"); ack.Type != "ack" || ack.V != 1 || ack.Seq != 1 {
		t.Fatalf("want ack v1 seq1, got %s", ack.raw)
	}
	op := bob.next("op")
	if op.V != 1 || op.Client != alice.id || op.Seq != 1 || len(op.Changes) != 1 {
		t.Fatalf("bad op %s", op.raw)
	}
	// The submitter gets the ack, not the op.
	alice.quiet(100*time.Millisecond, "op")

	// Concurrent edit on the old base: transformed, both survive.
	bob.submit(b, 1, 0, textChange("enjeux", "Plaisir. "))
	ack := bob.next("ack", "reject")
	if ack.Type != "ack" || ack.V != 2 {
		t.Fatalf("want ack v2, got %s", ack.raw)
	}
	op = alice.next("op")
	// Bob's insert at 0 was committed after Alice's insert at 0: it lands
	// after hers? No: hers is in the text already; his insert at position 0
	// of the old text stays at 0 (ties only matter for inserts at the same
	// place in the same base).
	_, snap := getSnapshot(t, ts.URL, b, w.Code)
	if got := sectionText(t, snap, "enjeux"); got != "Nécessité 🌱Plaisir. " && got != "Plaisir. Nécessité 🌱" {
		t.Fatalf("text %q", got)
	}

	// Catch-up with since: a third client that saw v1 gets op v2 only.
	carol := dial(t, ts)
	m := carol.hello(b, w.Code, map[string]any{"since": map[string]any{"v": 1, "epoch": wa.Epoch}})
	if m.Type != "welcome" || m.V != 2 || m.Snapshot != nil || len(m.Ops) != 1 {
		t.Fatalf("want welcome v2 with one op, got %s", m.raw)
	}
	// A wrong epoch gets the snapshot.
	m = carol.hello(b, w.Code, map[string]any{"since": map[string]any{"v": 1, "epoch": "nope"}})
	if m.Snapshot == nil || m.Ops != nil {
		t.Fatalf("want a snapshot for a foreign epoch, got %s", m.raw)
	}
	// Up to date: ops is an empty array, not absent.
	m = carol.hello(b, w.Code, map[string]any{"since": map[string]any{"v": 2, "epoch": wa.Epoch}})
	if m.Snapshot != nil || !strings.Contains(string(m.raw), `"ops":[]`) {
		t.Fatalf("want empty ops, got %s", m.raw)
	}
	// ping with a board answers its version.
	carol.send(map[string]any{"type": "ping", "board": b})
	if p := carol.next("pong"); p.V != 2 || p.Board != b {
		t.Fatalf("pong %s", p.raw)
	}
	_ = op
}

func TestResendIsAppliedOnce(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL)
	b := w.Groups[0].Board
	c := dial(t, ts)
	welcome := c.hello(b, w.Code)
	c.submit(b, 1, 0, textChange("calendrier", "Septembre : lancement"))
	ack := c.next("ack")
	// The connection drops before the client saw the ack; it reconnects as
	// the same client and resends.
	c.c.Close()
	again := dialAs(t, ts, c.id)
	m := again.hello(b, w.Code, map[string]any{"since": map[string]any{"v": 0, "epoch": welcome.Epoch}})
	if m.LastSeq != 1 || m.V != 1 {
		t.Fatalf("welcome should say seq 1 is committed at v1: %s", m.raw)
	}
	again.submit(b, 1, 0, textChange("calendrier", "Septembre : lancement"))
	re := again.next("ack", "reject")
	if re.Type != "ack" || re.V != ack.V {
		t.Fatalf("resend: want the original ack v%d, got %s", ack.V, re.raw)
	}
	_, snap := getSnapshot(t, ts.URL, b, w.Code)
	if got := sectionText(t, snap, "calendrier"); got != "Septembre : lancement" {
		t.Fatalf("applied twice? %q", got)
	}
	// A seq below the last that was never committed is refused.
	again.submit(b, 2, 1, textChange("calendrier", 3, "!"))
	if m := again.next("ack"); m.V != 2 {
		t.Fatalf("seq 2: %s", m.raw)
	}
}

func TestBadInputLeavesBoardUnchanged(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL)
	b := w.Groups[0].Board
	other := createWorkshop(t, ts.URL)
	c := dial(t, ts)
	c.hello(b, w.Code)
	c.submit(b, 1, 0, textChange("animation", "Réunion mensuelle"))
	c.next("ack")
	_, before := getSnapshot(t, ts.URL, b, w.Code)

	errCases := []struct {
		name string
		raw  string
		code string
	}{
		{"not JSON", `{"type":`, "bad_json"},
		{"not an object", `[1,2]`, "bad_message"},
		{"no type", `{"board":"x"}`, "bad_message"},
		{"unknown type", `{"type":"launch"}`, "unknown_type"},
		{"wrong field type", `{"type":"hello","board":5}`, "bad_message"},
		{"ping a board not followed", `{"type":"ping","board":"` + other.Groups[0].Board + `"}`, "not_following"},
		{"hello to another workshop", `{"type":"hello","board":"` + other.Groups[0].Board + `","client":"` + c.id + `","key":"` + w.Code + `","name":"x"}`, "forbidden"},
	}
	for _, tt := range errCases {
		t.Run(tt.name, func(t *testing.T) {
			c.sendRaw([]byte(tt.raw))
			m := c.next("error")
			if m.Code != tt.code {
				t.Fatalf("got %s, want code %s", m.raw, tt.code)
			}
		})
	}

	seq := uint64(1)
	rejectCases := []struct {
		name    string
		changes string
		base    uint64
		code    string
	}{
		{"op past the end", `[{"kind":"text","section":"animation","op":[500,"x"]}]`, 1, "bad_op"},
		{"delete past the end", `[{"kind":"text","section":"animation","op":[{"d":500}]}]`, 1, "bad_op"},
		{"negative retain", `[{"kind":"text","section":"animation","op":[-1]}]`, 1, "bad_op"},
		{"unknown section", `[{"kind":"text","section":"budget","op":["x"]}]`, 1, "bad_section"},
		{"unknown kind", `[{"kind":"paint"}]`, 1, "bad_change"},
		{"bad meta", `[{"kind":"meta","props":{"niveau":"faire_tout"}}]`, 1, "bad_props"},
		{"actor without a name", `[{"kind":"create","id":"a1","elem":"actor","props":{}}]`, 1, "bad_props"},
		{"actor x not finite", `[{"kind":"create","id":"a1","elem":"actor","props":{"name":"Mairie","x":1e999}}]`, 1, "bad_props"},
		{"unknown element", `[{"kind":"set","id":"nope","props":{"name":"x"}}]`, 1, "no_element"},
		{"one bad change spoils the submit", `[{"kind":"text","section":"animation","op":["ok "]},{"kind":"text","section":"animation","op":[999,"x"]}]`, 1, "bad_op"},
		{"base ahead", `[{"kind":"text","section":"animation","op":["x"]}]`, 9, "bad_base"},
		{"participant locks", `[{"kind":"meta","props":{"locked":true}}]`, 1, "forbidden"},
		{"changes not an array", `{"kind":"text"}`, 1, "bad_message"},
	}
	for _, tt := range rejectCases {
		t.Run(tt.name, func(t *testing.T) {
			seq++
			c.sendRaw([]byte(fmt.Sprintf(`{"type":"submit","board":"%s","seq":%d,"base":%d,"changes":%s}`, b, seq, tt.base, tt.changes)))
			m := c.next("reject", "ack")
			if m.Type != "reject" || m.Code != tt.code || m.Seq != seq || m.Message == "" {
				t.Fatalf("got %s, want reject %s", m.raw, tt.code)
			}
		})
	}
	// Malformed submit envelopes: answered as encoding/json always answered
	// them, whether or not the fast decoder takes the frame.
	sub := func(fields string) string { return `{"type":"submit","board":"` + b + `",` + fields + `}` }
	envCases := []struct {
		name, raw string
		typ, code string
		seq       uint64
	}{
		{"trailing garbage", sub(`"seq":90,"base":1,"changes":[]`) + `x`, "error", "bad_json", 0},
		{"two objects", sub(`"seq":90,"base":1,"changes":[]`) + `{}`, "error", "bad_json", 0},
		{"negative seq", sub(`"seq":-1,"base":1,"changes":[]`), "error", "bad_message", 0},
		{"seq over 2^64", sub(`"seq":18446744073709551616,"base":1,"changes":[]`), "error", "bad_message", 0},
		{"seq a string", sub(`"seq":"91","base":1,"changes":[]`), "error", "bad_message", 0},
		{"seq 0", sub(`"seq":0,"base":1,"changes":[]`), "error", "bad_message", 0},
		{"no seq", sub(`"base":1,"changes":[]`), "error", "bad_message", 0},
		{"board a number", `{"type":"submit","board":7,"seq":92,"base":1,"changes":[]}`, "error", "bad_message", 0},
		{"negative base", sub(`"seq":93,"base":-1,"changes":[]`), "reject", "bad_message", 93},
		{"fractional base", sub(`"seq":94,"base":1.5,"changes":[]`), "reject", "bad_message", 94},
		{"huge base", sub(`"seq":95,"base":1e400,"changes":[]`), "reject", "bad_message", 95},
		{"no base", sub(`"seq":96,"changes":[]`), "reject", "bad_message", 96},
		{"no changes", sub(`"seq":97,"base":1`), "reject", "bad_message", 97},
		{"changes null", sub(`"seq":98,"base":1,"changes":null`), "reject", "bad_message", 98},
		{"duplicate base: the last counts", sub(`"seq":99,"base":1,"base":9,"changes":[]`), "reject", "bad_base", 99},
	}
	for _, tt := range envCases {
		t.Run(tt.name, func(t *testing.T) {
			c.sendRaw([]byte(tt.raw))
			m := c.next("reject", "error", "ack")
			if m.Type != tt.typ || m.Code != tt.code || m.Seq != tt.seq || m.Message == "" {
				t.Fatalf("got %s, want %s %s", m.raw, tt.typ, tt.code)
			}
		})
	}

	_, after := getSnapshot(t, ts.URL, b, w.Code)
	bj, _ := json.Marshal(before)
	aj, _ := json.Marshal(after)
	if string(bj) != string(aj) {
		t.Fatalf("board changed:\nbefore %s\nafter  %s", bj, aj)
	}

	// A viewer cannot write.
	v := dial(t, ts)
	v.hello(b, w.Code, map[string]any{"as": "viewer"})
	v.submit(b, 1, 1, textChange("animation", "x"))
	if m := v.next("reject"); m.Code != "forbidden" {
		t.Fatalf("viewer: %s", m.raw)
	}
	// Submitting to a board not followed.
	v.submit(other.Groups[0].Board, 2, 0, textChange("animation", "x"))
	if m := v.next("reject"); m.Code != "not_following" {
		t.Fatalf("not following: %s", m.raw)
	}
}

func TestOversizedFrameIsRefused(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL)
	b := w.Groups[0].Board
	c := dial(t, ts)
	c.hello(b, w.Code)
	// 64 KiB frames are taken.
	big := strings.Repeat("é", 20000)
	c.submit(b, 1, 0, textChange("etat_des_lieux", big))
	if m := c.next("ack", "reject"); m.Type != "ack" {
		t.Fatalf("a 20,000-unit section must be taken: %s", m.raw[:min(200, len(m.raw))])
	}
	// 1 MiB is refused with close 1009.
	huge := fmt.Sprintf(`{"type":"submit","board":"%s","seq":2,"base":1,"changes":[{"kind":"text","section":"enjeux","op":["%s"]}]}`, b, strings.Repeat("x", 1<<20))
	c.c.WriteMessage(websocket.TextMessage, []byte(huge))
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("connection not closed after a 1 MiB frame")
	}
	if c.closeCode != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want 1009", c.closeCode)
	}
	_, snap := getSnapshot(t, ts.URL, b, w.Code)
	if sectionText(t, snap, "enjeux") != "" {
		t.Fatal("the refused frame changed the board")
	}
}

func TestLockedBoard(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL)
	b := w.Groups[0].Board
	f, p := dial(t, ts), dial(t, ts)
	f.hello(b, w.FacilitatorKey)
	p.hello(b, w.Code)
	f.submit(b, 1, 0, map[string]any{"kind": "meta", "props": map[string]any{"locked": true}})
	if m := f.next("ack", "reject"); m.Type != "ack" {
		t.Fatalf("facilitator lock: %s", m.raw)
	}
	p.next("op")
	p.submit(b, 1, 1, textChange("enjeux", "x"))
	if m := p.next("reject", "ack"); m.Code != "locked" {
		t.Fatalf("want locked, got %s", m.raw)
	}
	f.submit(b, 2, 1, textChange("enjeux", "Synthèse"))
	if m := f.next("ack", "reject"); m.Type != "ack" {
		t.Fatalf("facilitator writes on a locked board: %s", m.raw)
	}
}

func TestPresence(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL)
	b := w.Groups[0].Board
	a, c := dial(t, ts), dial(t, ts)
	a.hello(b, w.Code)
	c.hello(b, w.Code)
	a.send(map[string]any{"type": "presence", "board": b, "focus": "enjeux", "cursor": 3})
	m := c.next("presence")
	if m.Client != a.id || m.Focus != "enjeux" || m.Name != "Testeur" {
		t.Fatalf("presence %s", m.raw)
	}
	a.send(map[string]any{"type": "bye", "board": b})
	if m := c.next("presence"); !m.Gone || m.Client != a.id {
		t.Fatalf("want gone, got %s", m.raw)
	}
}

// otClient is a protocol client with the OT of a real one: one submit in
// flight, the rest composed into a pending op, remote ops transformed.
type otClient struct {
	*wsConn
	board    string
	v        uint64
	doc      string
	seq      uint64
	inflight board.TextOp
	flying   bool
	pending  board.TextOp
	typed    int
}

func (o *otClient) sendInflight() {
	o.seq++
	o.flying = true
	o.resend()
}

// resend sends the in-flight op under its seq. A write on a connection the
// server closed fails quietly: the reader sees the close and the client
// reconnects and resends.
func (o *otClient) resend() {
	data, _ := json.Marshal(map[string]any{"type": "submit", "board": o.board, "seq": o.seq, "base": o.v,
		"changes": []any{map[string]any{"kind": "text", "section": "enjeux", "op": o.inflight}}})
	o.c.WriteMessage(websocket.TextMessage, data)
}

// typeChar inserts s at a random position (never inside a surrogate pair).
func (o *otClient) typeChar(rng *rand.Rand, s string) {
	runes := []rune(o.doc)
	at := rng.Intn(len(runes) + 1)
	pos := board.UTF16Len(string(runes[:at]))
	op := board.TextOp{{Retain: pos}, {Insert: s}}.Normalize()
	doc, err := op.Apply(o.doc)
	if err != nil {
		panic(err)
	}
	o.doc = doc
	o.typed++
	if !o.flying {
		o.inflight = op
		o.sendInflight()
		return
	}
	o.pending = board.Compose(o.pending, op)
}

func (o *otClient) handle(t *testing.T, m msg) {
	switch m.Type {
	case "ack":
		if !o.flying || m.Seq != o.seq {
			t.Errorf("ack of seq %d, in flight: %v seq %d", m.Seq, o.flying, o.seq)
			return
		}
		if m.V != o.v+1 {
			t.Errorf("ack v%d after v%d", m.V, o.v)
		}
		o.v = m.V
		o.flying = false
		if len(o.pending) > 0 {
			o.inflight, o.pending = o.pending, nil
			o.sendInflight()
		}
	case "op":
		if m.V != o.v+1 {
			t.Errorf("op v%d after v%d", m.V, o.v)
		}
		o.v = m.V
		op := m.Changes[0].Op
		if o.flying {
			op, o.inflight = board.Transform(op, o.inflight, board.Left), board.Transform(o.inflight, op, board.Right)
		}
		if len(o.pending) > 0 {
			op, o.pending = board.Transform(op, o.pending, board.Left), board.Transform(o.pending, op, board.Right)
		}
		doc, err := op.Apply(o.doc)
		if err != nil {
			t.Errorf("remote op does not fit: %v", err)
			return
		}
		o.doc = doc
	case "reject":
		t.Errorf("reject: %s", m.raw)
	}
}

func TestConcurrentTypingConverges(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL)
	b := w.Groups[0].Board
	// Each writer types its own characters, so every keystroke can be
	// counted at the end: accents and emoji included.
	alphabets := []string{"a", "é", "🌱", "Z", "ç", "👩"}
	const keystrokes = 80
	clients := make([]*otClient, len(alphabets))
	for i := range clients {
		c := &otClient{wsConn: dial(t, ts), board: b}
		c.hello(b, w.Code)
		clients[i] = c
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func(i int, c *otClient) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(i) + 1))
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			deadline := time.After(30 * time.Second)
			for c.typed < keystrokes || c.flying {
				select {
				case m, ok := <-c.in:
					if !ok {
						t.Errorf("client %d: connection closed", i)
						return
					}
					c.handle(t, m)
				case <-tick.C:
					if c.typed < keystrokes && rng.Intn(3) == 0 {
						c.typeChar(rng, alphabets[i])
					}
				case <-deadline:
					t.Errorf("client %d: not done in time", i)
					return
				}
			}
		}(i, c)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Drain until every client has seen every version.
	total := uint64(0)
	for _, c := range clients {
		total += c.seq
	}
	for i, c := range clients {
		deadline := time.After(10 * time.Second)
		for c.v < total {
			select {
			case m := <-c.in:
				c.handle(t, m)
			case <-deadline:
				t.Fatalf("client %d stuck at v%d of %d", i, c.v, total)
			}
		}
	}
	_, snap := getSnapshot(t, ts.URL, b, w.Code)
	want := sectionText(t, snap, "enjeux")
	for i, c := range clients {
		if c.doc != want {
			t.Fatalf("client %d diverged:\n got %q\nwant %q", i, c.doc, want)
		}
	}
	for _, a := range alphabets {
		if n := strings.Count(want, a); n != keystrokes {
			t.Errorf("%q typed %d times, %d in the text", a, keystrokes, n)
		}
	}
}

func TestHTTPAPIErrors(t *testing.T) {
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL)
	cases := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/api/workshops/ABCDEFGH", "", 404, "not_found"},
		{"GET", "/api/workshops/x", "", 404, "not_found"},
		{"POST", "/api/workshops", `{`, 400, "bad_json"},
		{"POST", "/api/workshops", `{"title":"","groups":["A"]}`, 400, "bad_request"},
		{"POST", "/api/workshops", `{"title":"T","groups":[]}`, 400, "bad_request"},
		{"POST", "/api/workshops", `{"title":"T","groups":["A","a"]}`, 400, "bad_request"},
		{"GET", "/api/boards/" + w.Groups[0].Board + "?key=nope", "", 403, "forbidden"},
		{"GET", "/api/boards/" + w.Groups[0].Board, "", 403, "forbidden"},
		{"GET", "/api/boards/00000000-0000-0000-0000-000000000000?key=" + w.Code, "", 404, "not_found"},
		{"GET", "/api/nothing", "", 404, "not_found"},
	}
	for _, tt := range cases {
		t.Run(tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var e apiError
			json.NewDecoder(res.Body).Decode(&e)
			if res.StatusCode != tt.status || e.Error.Code != tt.code {
				t.Fatalf("got %d %q, want %d %q", res.StatusCode, e.Error.Code, tt.status, tt.code)
			}
		})
	}
	// The workshop read never shows the key; the facilitator key opens boards.
	res, _ := http.Get(ts.URL + "/api/workshops/" + w.Code)
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if _, leak := body["facilitatorKey"]; leak || body["title"] == nil {
		t.Fatalf("workshop read: %v", body)
	}
	if st, _ := getSnapshot(t, ts.URL, w.Groups[1].Board, w.FacilitatorKey); st != 200 {
		t.Fatalf("facilitator key: %d", st)
	}
	// Security headers on every response.
	res, _ = http.Get(ts.URL + "/")
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers: %v", res.Header)
	}
}

func TestWebsocketOriginCheck(t *testing.T) {
	ts := startTestServer(t)
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	h := http.Header{"Origin": {"https://evil.example"}}
	if _, res, err := websocket.DefaultDialer.Dial(url, h); err == nil || res == nil || res.StatusCode != 403 {
		t.Fatalf("a foreign origin must be refused: %v", err)
	}
	h = http.Header{"Origin": {ts.URL}}
	c, _, err := websocket.DefaultDialer.Dial(url, h)
	if err != nil {
		t.Fatalf("own origin refused: %v", err)
	}
	c.Close()
}
