package main

// The ecosystem map's element changes over real websockets, as the web app
// relies on them: last writer wins prop by prop in version order, deleting
// an actor deletes its links (and the op says just "delete"), a change of
// an element already deleted is a no-op that is still acknowledged, and
// every bad prop is refused with its documented code, leaving the board as
// it was.

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// mapBoard is one board followed by two participants.
type mapBoard struct {
	t      *testing.T
	ts     *httptest.Server
	base   string
	board  string
	code   string
	a, b   *wsConn
	seqA   uint64
	seqB   uint64
	v      uint64 // the last version both have seen
	lastOp msg
}

func newMapBoard(t *testing.T) *mapBoard {
	t.Helper()
	ts := startTestServer(t)
	w := createWorkshop(t, ts.URL)
	m := &mapBoard{t: t, ts: ts, base: ts.URL, board: w.Groups[0].Board, code: w.Code, a: dial(t, ts), b: dial(t, ts)}
	if r := m.a.hello(m.board, w.Code); r.Type != "welcome" {
		t.Fatalf("hello a: %s", r.raw)
	}
	if r := m.b.hello(m.board, w.Code); r.Type != "welcome" {
		t.Fatalf("hello b: %s", r.raw)
	}
	return m
}

// commitA submits changes from a on the latest version and waits until b
// has the op. It returns the op b got.
func (m *mapBoard) commitA(changes ...any) msg {
	m.t.Helper()
	m.seqA++
	m.a.submit(m.board, m.seqA, m.v, changes...)
	ack := m.a.next("ack", "reject")
	if ack.Type != "ack" {
		m.t.Fatalf("submit %v: %s", changes, ack.raw)
	}
	op := m.b.next("op")
	if op.V != ack.V {
		m.t.Fatalf("b got op v%d, a's ack was v%d", op.V, ack.V)
	}
	m.v = ack.V
	m.lastOp = op
	return op
}

// rejectA submits changes from a and wants a reject with code.
func (m *mapBoard) rejectA(code string, changes string) {
	m.t.Helper()
	m.seqA++
	m.a.sendRaw([]byte(fmt.Sprintf(`{"type":"submit","board":%q,"seq":%d,"base":%d,"changes":%s}`, m.board, m.seqA, m.v, changes)))
	r := m.a.next("reject", "ack")
	if r.Type != "reject" || r.Code != code || r.Seq != m.seqA || r.Message == "" {
		m.t.Fatalf("%s\n  got %s, want reject %s", changes, r.raw, code)
	}
}

func (m *mapBoard) snapshot() map[string]any {
	m.t.Helper()
	status, snap := getSnapshot(m.t, m.base, m.board, m.code)
	if status != 200 {
		m.t.Fatalf("snapshot: status %d", status)
	}
	return snap
}

func (m *mapBoard) elements() map[string]map[string]any {
	m.t.Helper()
	out := map[string]map[string]any{}
	els, _ := m.snapshot()["elements"].(map[string]any)
	for id, e := range els {
		em := e.(map[string]any)
		props, _ := em["props"].(map[string]any)
		out[id] = map[string]any{"elem": em["elem"], "props": props}
	}
	return out
}

func propsOf(els map[string]map[string]any, id string) map[string]any {
	e, ok := els[id]
	if !ok {
		return nil
	}
	p, _ := e["props"].(map[string]any)
	return p
}

func actor(id, name string, props ...any) map[string]any {
	p := map[string]any{"name": name}
	for i := 0; i+1 < len(props); i += 2 {
		p[props[i].(string)] = props[i+1]
	}
	return map[string]any{"kind": "create", "id": id, "elem": "actor", "props": p}
}

func link(id, from, to string, props ...any) map[string]any {
	p := map[string]any{"from": from, "to": to}
	for i := 0; i+1 < len(props); i += 2 {
		p[props[i].(string)] = props[i+1]
	}
	return map[string]any{"kind": "create", "id": id, "elem": "link", "props": p}
}

func set(id string, props map[string]any) map[string]any {
	return map[string]any{"kind": "set", "id": id, "props": props}
}

func del(id string) map[string]any { return map[string]any{"kind": "delete", "id": id} }

// concurrent sends one submit from each client on the same base version
// and returns the versions they were committed as (a's, b's), after both
// clients have seen both.
func (m *mapBoard) concurrent(fromA, fromB any) (uint64, uint64) {
	m.t.Helper()
	m.seqA++
	m.seqB++
	m.a.submit(m.board, m.seqA, m.v, fromA)
	m.b.submit(m.board, m.seqB, m.v, fromB)
	ackA, opB := ackAndOp(m.t, m.a) // opB: b's commit, seen by a
	ackB, opA := ackAndOp(m.t, m.b)
	if opA.V != ackA.V || opB.V != ackB.V {
		m.t.Fatalf("ops and acks disagree: a v%d/%d, b v%d/%d", ackA.V, opA.V, ackB.V, opB.V)
	}
	m.v = max(ackA.V, ackB.V)
	return ackA.V, ackB.V
}

// checkLatecomer: a new connection's welcome snapshot has the elements the
// HTTP snapshot has.
func (m *mapBoard) checkLatecomer() {
	m.t.Helper()
	c := dial(m.t, m.ts)
	w := c.hello(m.board, m.code)
	if w.Type != "welcome" || w.Snapshot == nil || w.V != m.v {
		m.t.Fatalf("latecomer: %s", w.raw)
	}
	got := map[string]any{}
	for id, raw := range w.Snapshot.Elements {
		var e map[string]any
		if err := json.Unmarshal(raw, &e); err != nil {
			m.t.Fatal(err)
		}
		got[id] = map[string]any{"elem": e["elem"], "props": e["props"]}
	}
	want := map[string]any{}
	for id, e := range m.elements() {
		want[id] = map[string]any{"elem": e["elem"], "props": e["props"]}
	}
	if !reflect.DeepEqual(got, want) {
		m.t.Fatalf("latecomer's snapshot differs:\n got %v\nwant %v", got, want)
	}
}

// ackAndOp reads, in whatever order they come, a client's ack and the op of
// the other client's concurrent commit.
func ackAndOp(t *testing.T, c *wsConn) (ack, op msg) {
	t.Helper()
	for ack.Type == "" || op.Type == "" {
		m := c.next("ack", "reject", "op")
		switch m.Type {
		case "reject":
			t.Fatalf("concurrent submit refused: %s", m.raw)
		case "ack":
			ack = m
		case "op":
			op = m
		}
	}
	return ack, op
}

func TestMapLastWriterWinsPerProp(t *testing.T) {
	m := newMapBoard(t)
	m.commitA(actor("a1", "Mairie", "x", 0, "y", 0, "ring", "coeur"))

	// Two people drag the same actor at once: both end where the later
	// commit put it.
	va, vb := m.concurrent(set("a1", map[string]any{"x": 10.5, "y": -3}), set("a1", map[string]any{"x": 20, "y": 7.25}))
	p := propsOf(m.elements(), "a1")
	wantX, wantY := 20.0, 7.25
	if va > vb {
		wantX, wantY = 10.5, -3
	}
	if p["x"] != wantX || p["y"] != wantY {
		t.Fatalf("after concurrent moves (a v%d, b v%d): x=%v y=%v, want %v %v", va, vb, p["x"], p["y"], wantX, wantY)
	}

	// One renames it while the other moves it: both changes stay.
	m.concurrent(set("a1", map[string]any{"name": "Ville de Boutaric"}), set("a1", map[string]any{"x": 300, "y": 40, "ring": "proche"}))
	p = propsOf(m.elements(), "a1")
	if p["name"] != "Ville de Boutaric" || p["x"] != 300.0 || p["y"] != 40.0 || p["ring"] != "proche" {
		t.Fatalf("rename + move: %v", p)
	}

	// Prop by prop: a sets x and y, b sets y only. x is a's whatever the
	// order; y is the later one's.
	va, vb = m.concurrent(set("a1", map[string]any{"x": 1, "y": 1}), set("a1", map[string]any{"y": 2, "note": "élu référent"}))
	p = propsOf(m.elements(), "a1")
	wantY = 2.0
	if va > vb {
		wantY = 1
	}
	if p["x"] != 1.0 || p["y"] != wantY || p["note"] != "élu référent" || p["kind"] != "autre" {
		t.Fatalf("prop by prop (a v%d, b v%d): %v", va, vb, p)
	}

	// A latecomer gets the same board in its welcome.
	m.checkLatecomer()
}

func TestMapDeleteActorDeletesItsLinks(t *testing.T) {
	m := newMapBoard(t)
	m.commitA(
		actor("a1", "Mairie", "kind", "collectivite"),
		actor("a2", "Centre social", "kind", "association"),
		actor("a3", "Fondation", "kind", "financeur"),
		link("l1", "a1", "a2", "kind", "partenariat"),
		link("l2", "a3", "a1", "kind", "financement", "niveau", "faire_avec", "label", "Subvention"),
		link("l3", "a2", "a3"),
	)
	els := m.elements()
	if len(els) != 6 || propsOf(els, "l3")["kind"] != "autre" || propsOf(els, "a1")["ring"] != "proche" {
		t.Fatalf("defaults: %v", els)
	}

	op := m.commitA(del("a1"))
	if len(op.Changes) != 1 {
		t.Fatalf("the op of the delete carries %d changes: %s", len(op.Changes), op.raw)
	}
	var changes []map[string]any
	var raw struct {
		Changes json.RawMessage `json:"changes"`
	}
	if err := json.Unmarshal(op.raw, &raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw.Changes, &changes); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(changes, []map[string]any{{"kind": "delete", "id": "a1"}}) {
		t.Fatalf("the op of the delete: %s", raw.Changes)
	}
	els = m.elements()
	for _, id := range []string{"a1", "l1", "l2"} {
		if _, ok := els[id]; ok {
			t.Fatalf("%s is still on the board: %v", id, els)
		}
	}
	if len(els) != 3 || els["l3"] == nil || els["a2"] == nil || els["a3"] == nil {
		t.Fatalf("what stays: %v", els)
	}
	// The deleted ids stay used: creating them again is refused.
	m.rejectA("exists", `[{"kind":"create","id":"a1","elem":"actor","props":{"name":"Mairie"}}]`)
	m.rejectA("exists", `[{"kind":"create","id":"l1","elem":"link","props":{"from":"a2","to":"a3"}}]`)
	m.checkLatecomer()
}

func TestMapChangesOfDeletedElementsAreNoOps(t *testing.T) {
	m := newMapBoard(t)
	m.commitA(actor("a1", "Mairie"), actor("a2", "Asso"), link("l1", "a1", "a2"))
	m.commitA(del("a1"))
	before := m.snapshot()
	beforeV := m.v

	// Someone who had not seen the delete yet: a move, a rename, a delete
	// again, a link to the deleted actor. Each is acknowledged with a new
	// version, the op carries it as it was sent, and nothing changes.
	for i, c := range []map[string]any{
		set("a1", map[string]any{"x": 120, "y": -40, "ring": "proche"}),
		set("l1", map[string]any{"label": "convention"}),
		del("a1"),
		del("l1"),
		link("l9", "a2", "a1", "kind", "tension"),
	} {
		op := m.commitA(c)
		if op.V != beforeV+uint64(i)+1 || len(op.Changes) != 1 {
			t.Fatalf("no-op %d: %s", i, op.raw)
		}
		if got, _ := json.Marshal(op.Changes[0]); !strings.Contains(string(got), fmt.Sprint(c["id"])) {
			t.Fatalf("the op does not carry the change as sent: %s", got)
		}
	}
	after := m.snapshot()
	if !reflect.DeepEqual(before["elements"], after["elements"]) || !reflect.DeepEqual(before["sections"], after["sections"]) {
		t.Fatalf("a no-op changed the board:\nbefore %v\nafter  %v", before["elements"], after["elements"])
	}
	// The link born dead counts as deleted: its id is taken.
	m.rejectA("exists", `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a2","to":"a2"}}]`)
	// A bad set is still refused on a deleted element (props come first).
	m.rejectA("bad_props", `[{"kind":"set","id":"a1","props":{"kind":"martien"}}]`)
}

func TestMapBadPropsAreRefused(t *testing.T) {
	m := newMapBoard(t)
	m.commitA(actor("a1", "Mairie", "x", 10, "y", 20), actor("a2", "Asso"), link("l1", "a1", "a2"), actor("gone", "Parti"))
	m.commitA(del("gone"))
	// The bounds themselves are fine.
	m.commitA(set("a1", map[string]any{"x": 100000, "y": -100000, "name": strings.Repeat("é", 200), "note": strings.Repeat("n", 2000)}),
		set("l1", map[string]any{"label": strings.Repeat("l", 200), "niveau": "faire_corps", "kind": "moyens"}))
	before := m.snapshot()

	long := func(n int) string { return strings.Repeat("a", n) }
	emoji := strings.Repeat("🌱", 101) // 202 UTF-16 units
	cases := []struct {
		name, changes, code string
	}{
		// actors
		{"name of the wrong type", `[{"kind":"set","id":"a1","props":{"name":5}}]`, "bad_props"},
		{"name true", `[{"kind":"set","id":"a1","props":{"name":true}}]`, "bad_props"},
		{"empty name on create", `[{"kind":"create","id":"a9","elem":"actor","props":{"name":""}}]`, "bad_props"},
		{"no name on create", `[{"kind":"create","id":"a9","elem":"actor","props":{"kind":"reseau"}}]`, "bad_props"},
		{"name emptied by a set", `[{"kind":"set","id":"a1","props":{"name":""}}]`, "bad_props"},
		{"name over 200", `[{"kind":"set","id":"a1","props":{"name":"` + long(201) + `"}}]`, "bad_props"},
		{"name over 200 UTF-16 units", `[{"kind":"set","id":"a1","props":{"name":"` + emoji + `"}}]`, "bad_props"},
		{"actor kind out of the list", `[{"kind":"create","id":"a9","elem":"actor","props":{"name":"X","kind":"martien"}}]`, "bad_props"},
		{"a link's kind on an actor", `[{"kind":"set","id":"a1","props":{"kind":"partenariat"}}]`, "bad_props"},
		{"ring out of the list", `[{"kind":"set","id":"a1","props":{"ring":"lointain"}}]`, "bad_props"},
		{"x as a string", `[{"kind":"set","id":"a1","props":{"x":"12"}}]`, "bad_props"},
		{"x over the bound", `[{"kind":"set","id":"a1","props":{"x":100000.5}}]`, "bad_props"},
		{"y under the bound", `[{"kind":"set","id":"a1","props":{"y":-100001}}]`, "bad_props"},
		{"x not finite", `[{"kind":"set","id":"a1","props":{"x":1e999}}]`, "bad_props"},
		{"y huge on create", `[{"kind":"create","id":"a9","elem":"actor","props":{"name":"X","y":1e308}}]`, "bad_props"},
		{"note over 2000", `[{"kind":"set","id":"a1","props":{"note":"` + long(2001) + `"}}]`, "bad_props"},
		{"unknown prop", `[{"kind":"set","id":"a1","props":{"color":"red"}}]`, "bad_props"},
		{"unknown prop on create", `[{"kind":"create","id":"a9","elem":"actor","props":{"name":"X","size":3}}]`, "bad_props"},
		{"null name", `[{"kind":"set","id":"a1","props":{"name":null}}]`, "bad_props"},
		{"null x", `[{"kind":"set","id":"a1","props":{"x":null}}]`, "bad_props"},
		{"props not an object", `[{"kind":"set","id":"a1","props":["x"]}]`, "bad_props"},
		{"a link's prop on an actor", `[{"kind":"set","id":"a1","props":{"label":"x"}}]`, "bad_props"},
		// links
		{"from in a set", `[{"kind":"set","id":"l1","props":{"from":"a2"}}]`, "bad_props"},
		{"to in a set", `[{"kind":"set","id":"l1","props":{"to":"a1"}}]`, "bad_props"},
		{"link kind out of the list", `[{"kind":"set","id":"l1","props":{"kind":"amitie"}}]`, "bad_props"},
		{"an actor's kind on a link", `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"a2","kind":"association"}}]`, "bad_props"},
		{"niveau out of the list", `[{"kind":"set","id":"l1","props":{"niveau":"faire_tout"}}]`, "bad_props"},
		{"label over 200", `[{"kind":"set","id":"l1","props":{"label":"` + long(201) + `"}}]`, "bad_props"},
		{"a ring on a link", `[{"kind":"set","id":"l1","props":{"ring":"coeur"}}]`, "bad_props"},
		{"null label", `[{"kind":"set","id":"l1","props":{"label":null}}]`, "bad_props"},
		{"link without to", `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1"}}]`, "bad_props"},
		{"link from as a number", `[{"kind":"create","id":"l9","elem":"link","props":{"from":1,"to":"a2"}}]`, "bad_props"},
		{"link to a missing actor", `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"nope"}}]`, "bad_link"},
		{"link from an actor to itself", `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"a1"}}]`, "bad_link"},
		{"link to a link", `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"l1"}}]`, "bad_link"},
		// elements
		{"unknown elem", `[{"kind":"create","id":"z9","elem":"zone","props":{"name":"X"}}]`, "bad_elem"},
		{"create of an id that exists", `[{"kind":"create","id":"a2","elem":"actor","props":{"name":"X"}}]`, "exists"},
		{"create of an id that existed", `[{"kind":"create","id":"gone","elem":"actor","props":{"name":"X"}}]`, "exists"},
		{"set of an id that never existed", `[{"kind":"set","id":"never","props":{"name":"X"}}]`, "no_element"},
		{"delete of an id that never existed", `[{"kind":"delete","id":"never"}]`, "no_element"},
		{"a bad id", `[{"kind":"create","id":"a b","elem":"actor","props":{"name":"X"}}]`, "bad_change"},
		// all or nothing
		{"a good create then a bad set", `[{"kind":"create","id":"a9","elem":"actor","props":{"name":"X"}},{"kind":"set","id":"a9","props":{"x":"far"}}]`, "bad_props"},
		{"a good move then a bad link", `[{"kind":"set","id":"a1","props":{"x":1}},{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"a1"}}]`, "bad_link"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m.t = t
			m.rejectA(tc.code, tc.changes)
		})
	}
	m.t = t
	after := m.snapshot()
	bj, _ := json.Marshal(before)
	aj, _ := json.Marshal(after)
	if string(bj) != string(aj) {
		t.Fatalf("a refused change changed the board:\nbefore %s\nafter  %s", bj, aj)
	}
	// b saw nothing of it.
	m.b.quiet(200*time.Millisecond, "op")
}

func TestMapElementLimit(t *testing.T) {
	m := newMapBoard(t)
	changes := make([]any, 0, 1000)
	for i := range 1000 {
		changes = append(changes, actor(fmt.Sprintf("a%d", i), fmt.Sprintf("Acteur %d", i), "x", float64(i), "y", 0))
	}
	m.commitA(changes...)
	m.rejectA("too_many", `[{"kind":"create","id":"one-more","elem":"actor","props":{"name":"X"}}]`)
	m.rejectA("too_many", `[{"kind":"create","id":"l-more","elem":"link","props":{"from":"a1","to":"a2"}}]`)
	// Deleting one makes room again.
	m.commitA(del("a0"))
	m.commitA(actor("one-more", "Enfin"))
	if n := len(m.elements()); n != 1000 {
		t.Fatalf("%d elements", n)
	}
}
