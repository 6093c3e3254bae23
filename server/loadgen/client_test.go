package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/tablee/tablee/board"
)

func TestRandomOffsetNeverSplitsAPair(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	doc := ""
	for range 2000 {
		at, at16 := randomOffset(doc, rnd)
		ch := randomChar(rnd)
		op := board.TextOp{{Retain: at16}, {Insert: ch}}.Normalize()
		next, err := op.Apply(doc)
		if err != nil {
			t.Fatalf("keystroke on %q: %v", doc, err)
		}
		if mine := doc[:at] + ch + doc[at:]; mine != next {
			t.Fatalf("keystroke at %d (%d units) on %q: %q, Apply gives %q", at, at16, doc, mine, next)
		}
		doc = next
	}
	if board.UTF16Len(doc) < 2000 {
		t.Fatalf("2000 keystrokes gave %d units", board.UTF16Len(doc))
	}
}

func TestSubmitFrameDecodes(t *testing.T) {
	op := board.TextOp{{Retain: 3}, {Insert: "é🌱\"x\\\n\r\t\x01"}, {Delete: 2}}
	frame := appendSubmit([]byte("stale"), "b-1", 7, 42, "enjeux", op)[len("stale"):]
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
	if err != nil || len(cs) != 1 || cs[0].Section != "enjeux" || !reflect.DeepEqual(cs[0].Op, op) {
		t.Fatalf("changes %s: %+v %v", m.Changes, cs, err)
	}
	// The op is written as the board writes it.
	want, _ := op.MarshalJSON()
	if got := appendOp(nil, op); string(got) != string(want) {
		t.Fatalf("op written %s, board writes %s", got, want)
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

// TestTypeAll checks the typing loop: every typist strikes at the rate,
// and it stops with its context.
func TestTypeAll(t *testing.T) {
	f := testFleet(t)
	bi := &boardInfo{id: "b", followers: 2}
	var typists []*Client
	for i := range 4 {
		c := newClient(f, connSpec{kind: kindEditor, boards: []*boardInfo{bi}, section: i}, fmt.Sprint("c", i), i)
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		go io.Copy(io.Discard, b) // the server, reading
		c.conn = newWSConn(a)
		c.follows["b"].ok = true
		typists = append(typists, c)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	start := time.Now()
	go func() { typeAll(ctx, typists, 50); close(done) }()
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-done
	elapsed := time.Since(start)
	want := 4 * 50 * elapsed.Seconds()
	if got := float64(f.stats().keystrokes.Load()); got < want*0.7 || got > want*1.1 {
		t.Errorf("%.0f keystrokes in %v, want about %.0f", got, elapsed, want)
	}
	for _, c := range typists {
		fl := c.follows["b"]
		// Nothing is acked here: one submit in flight, the rest composed.
		if fl.seq != 1 || fl.inflight == nil || board.UTF16Len(fl.docs[fl.section]) < 10 {
			t.Errorf("%s: seq %d, in flight %v, text %q", c.id, fl.seq, fl.inflight, fl.docs[fl.section])
		}
	}
}
