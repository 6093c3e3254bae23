package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"testing"

	"github.com/tablee/tablee/board"
)

func TestRandomOffsetNeverSplitsAPair(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	doc := ""
	for range 2000 {
		op := board.TextOp{{Retain: randomOffset(doc, rnd)}, {Insert: randomChar(rnd)}}.Normalize()
		next, err := op.Apply(doc)
		if err != nil {
			t.Fatalf("keystroke on %q: %v", doc, err)
		}
		doc = next
	}
	if board.UTF16Len(doc) < 2000 {
		t.Fatalf("2000 keystrokes gave %d units", board.UTF16Len(doc))
	}
}

func TestSubmitFrameDecodes(t *testing.T) {
	op := board.TextOp{{Retain: 3}, {Insert: "é🌱\"x"}}
	frame := submitFrame("b-1", 7, 42, "enjeux", op)
	var m struct {
		Type    string          `json:"type"`
		Board   string          `json:"board"`
		Seq     uint64          `json:"seq"`
		Base    uint64          `json:"base"`
		Changes json.RawMessage `json:"changes"`
	}
	if err := json.Unmarshal(frame, &m); err != nil {
		t.Fatalf("%s: %v", frame, err)
	}
	if m.Type != "submit" || m.Board != "b-1" || m.Seq != 7 || m.Base != 42 {
		t.Fatalf("%s decoded as %+v", frame, m)
	}
	cs, err := board.DecodeChanges(m.Changes)
	if err != nil || len(cs) != 1 || cs[0].Section != "enjeux" || len(cs[0].Op) != 2 || cs[0].Op[1].Insert != "é🌱\"x" {
		t.Fatalf("changes %s: %+v %v", m.Changes, cs, err)
	}
}

// TestPlanSpreadsOverURLs checks that a board's connections go round the
// instances, and the followers count awaited by each stamp.
func TestPlanSpreadsOverURLs(t *testing.T) {
	cfg := &Config{}
	for _, raw := range []string{"http://127.0.0.1:1", "http://127.0.0.2:2"} {
		u, _ := url.Parse(raw)
		cfg.URLs = append(cfg.URLs, u)
	}
	f := newFleet(context.Background(), cfg, nil)
	t.Cleanup(f.closeAll)
	ws := &workshop{code: "C"}
	var boards []*boardInfo
	for i := range 3 {
		b := &boardInfo{id: "b", idx: i, ws: ws}
		ws.boards = append(ws.boards, b)
		boards = append(boards, b)
	}
	specs := f.plan(boards, layout{editors: 3, viewers: 1, wall: true})
	if len(specs) != 3*4+1 {
		t.Fatalf("%d specs", len(specs))
	}
	per := map[string]int{}
	for _, s := range specs[:4] { // the first board
		per[s.base]++
	}
	if per["ws://127.0.0.1:1/ws"] != 2 || per["ws://127.0.0.2:2/ws"] != 2 {
		t.Fatalf("first board spread %v, want 2 and 2", per)
	}
	if specs[0].section == specs[1].section {
		t.Fatal("editors of a board must type in different sections")
	}
	if w := specs[len(specs)-1]; w.kind != kindWall || len(w.boards) != 3 {
		t.Fatalf("the wall follows %d boards", len(w.boards))
	}
	for _, b := range boards {
		if b.followers != 5 {
			t.Fatalf("board followers %d, want 3 editors + 1 viewer + the wall", b.followers)
		}
	}
}
