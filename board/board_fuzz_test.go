package board

import (
	"errors"
	"reflect"
	"sync"
	"testing"
)

var (
	bdFuzzOnce         sync.Once
	bdFuzzState        []byte // the test board with comments
	bdFuzzControlState []byte // the test control board
)

func bdFuzzInit(t testing.TB) {
	bdFuzzOnce.Do(func() {
		state, err := bdCommentBoard(t).MarshalState()
		if err != nil {
			panic(err)
		}
		bdFuzzState = state
		if state, err = bdControlBoard(t).MarshalState(); err != nil {
			panic(err)
		}
		bdFuzzControlState = state
	})
}

// bdFuzzBase returns a fresh copy of the test board with comments, loaded
// from its state (cheaper than rebuilding it, and it exercises
// UnmarshalState).
func bdFuzzBase(t testing.TB) *Board {
	bdFuzzInit(t)
	b, err := UnmarshalState(bdFuzzState)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bdFuzzControl returns a fresh copy of the test control board.
func bdFuzzControl(t testing.TB) *Board {
	bdFuzzInit(t)
	b, err := UnmarshalState(bdFuzzControlState)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzApply feeds arbitrary bytes as a submit's changes to a board with
// content and to a control board, under every role, as client alice. It
// must never panic; a refused submit leaves the board exactly as it was;
// an accepted one leaves a board that holds its invariants and reloads to
// itself, whose new elements are alice's, and where a participant changed
// nobody else's comment and nothing on the control board.
func FuzzApply(f *testing.F) {
	for _, seed := range []string{
		`[]`,
		`[{"kind":"text","section":"etat_des_lieux","op":[9,"x"]}]`,
		`[{"kind":"text","section":"etat_des_lieux","op":[10,"x"]}]`,
		`[{"kind":"text","section":"etat_des_lieux","op":[9,{"d":2},"🌻"]}]`,
		`[{"kind":"text","section":"enjeux","op":[13]}]`,
		`[{"kind":"text","section":"enjeux","op":[14]}]`,
		`[{"kind":"text","section":"enjeux","op":["\ud83c\udf31",{"d":13}]},{"kind":"text","section":"enjeux","op":[1,"x"]}]`,
		`[{"kind":"text","section":"niveau","op":["\ud83c"]}]`,
		`[{"kind":"create","id":"a9","elem":"actor","props":{"name":"Région","kind":"financeur","ring":"territoire","x":-1.5,"y":1e5,"note":""}}]`,
		`[{"kind":"create","id":"a9","elem":"actor","props":{"name":"x"}},{"kind":"create","id":"l9","elem":"link","props":{"from":"a9","to":"a1","niveau":"faire_corps"}},{"kind":"delete","id":"a9"}]`,
		`[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"d1"}},{"kind":"set","id":"l9","props":{"label":"x"}}]`,
		`[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"l1"}}]`,
		`[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"a1"}}]`,
		`[{"kind":"create","id":"d1","elem":"actor","props":{"name":"x"}}]`,
		`[{"kind":"set","id":"l1","props":{"kind":"tension","label":"non"}},{"kind":"delete","id":"a1"},{"kind":"set","id":"l1","props":{"label":"?"}}]`,
		`[{"kind":"set","id":"dl2","props":{"ring":"coeur"}}]`,
		`[{"kind":"set","id":"a1","props":{"from":"a2"}}]`,
		`[{"kind":"set","id":"a1","props":{"name":""}}]`,
		`[{"kind":"delete","id":"a2"},{"kind":"create","id":"l5","elem":"link","props":{"from":"a1","to":"a2"}}]`,
		`[{"kind":"meta","props":{"locked":true,"title":"T","niveau":"faire_avec","done":true}}]`,
		`[{"kind":"meta","props":{"niveau":null}}]`,
		`[{"kind":"frob"}]`,
		`{"kind":"meta"}`,
		`[{"kind":"create","id":"a/","elem":"actor","props":{"name":"x"}}]`,
		`[{"k\u0069nd":"delete","id":"a3","kind":"set"}]`,
		"[{\"kind\":\"set\",\"id\":\"a1\",\"props\":{\"note\":\"\xff\"}}]",
		// Comments (ca is alice's, cb bob's, cf the facilitator's, cd deleted).
		`[{"kind":"create","id":"c9","elem":"comment","props":{"text":"Et la Région ?","author":"Alice","kind":"piste","section":"carte"}}]`,
		`[{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}},{"kind":"set","id":"c9","props":{"text":"y","section":"enjeux"}},{"kind":"delete","id":"c9"}]`,
		`[{"kind":"set","id":"ca","props":{"text":"y","kind":"commentaire","author":"","section":""}}]`,
		`[{"kind":"set","id":"cb","props":{"text":"y"}}]`,
		`[{"kind":"delete","id":"cf"}]`,
		`[{"kind":"delete","id":"ca"},{"kind":"set","id":"cd","props":{"section":"carte"}}]`,
		`[{"kind":"set","id":"ca","props":{"ring":"coeur"}}]`,
		`[{"kind":"set","id":"a1","props":{"kind":"piste"}}]`,
		`[{"kind":"create","id":"c9","elem":"comment","props":{"text":""}}]`,
		`[{"kind":"create","id":"c9","elem":"comment","props":{"text":"x","section":"commentaires"}}]`,
		`[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"ca"}}]`,
		// Locking and closing.
		`[{"kind":"meta","props":{"locked":true}},{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}}]`,
		`[{"kind":"meta","props":{"closed":true,"locked":false}},{"kind":"text","section":"enjeux","op":["x"]}]`,
		`[{"kind":"meta","props":{"closed":1}}]`,
		// The control board (as1 assigns alice to g1, as0 is deleted).
		`[{"kind":"meta","props":{"timerLabel":"Restitution","timerDuration":600000,"timerRunning":true,"timerEndsAt":1760000600000,"timerRemaining":600000}}]`,
		`[{"kind":"meta","props":{"focusBoard":"b1","focusSection":"commentaires","focusAt":1760000000000}},{"kind":"meta","props":{"focusBoard":"","focusSection":""}}]`,
		`[{"kind":"meta","props":{"timerDuration":1e3,"timerEndsAt":1.5,"timerRemaining":-1}}]`,
		`[{"kind":"meta","props":{"niveau":"faire_avec","done":true}}]`,
		`[{"kind":"create","id":"as2","elem":"assign","props":{"client":"bob","group":"g2","name":"Bob"}},{"kind":"set","id":"as1","props":{"group":"g2","name":"Alice"}}]`,
		`[{"kind":"set","id":"as1","props":{"client":"bob"}}]`,
		`[{"kind":"delete","id":"as1"},{"kind":"create","id":"as0","elem":"assign","props":{"client":"bob","group":"g2"}}]`,
		`[{"kind":"create","id":"a9","elem":"actor","props":{"name":"x"}},{"kind":"create","id":"as9","elem":"assign","props":{"client":"c","group":"g"}}]`,
	} {
		f.Add([]byte(seed))
	}
	// A concurrent version committed on the same base, to transform against.
	committed := bdDecode(f, `[{"kind":"text","section":"etat_des_lieux","op":[3,{"d":4},"🌼"]},{"kind":"text","section":"enjeux","op":["« ",13," »"]},{"kind":"delete","id":"a2"}]`)

	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := DecodeChanges(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
				t.Fatalf("decode error %v is not a proper *Error", err)
			}
			return
		}
		// The wire form decodes to itself.
		wire := bdWire(t, cs)
		if again := bdWire(t, bdDecode(t, wire)); again != wire {
			t.Fatalf("wire form not stable:\n%s\n%s", wire, again)
		}

		for _, base := range []func(testing.TB) *Board{bdFuzzBase, bdFuzzControl} {
			for _, role := range []Role{RoleViewer, RoleParticipant, RoleFacilitator} {
				b, orig := base(t), base(t)
				state, _ := orig.MarshalState()
				err := b.ApplyAs(cs, role, "alice")
				if err != nil {
					var e *Error
					if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
						t.Fatalf("%s: error %v is not a proper *Error", role, err)
					}
					after, _ := b.MarshalState()
					if string(after) != string(state) {
						t.Fatalf("%s: refused (%v) but changed the board", role, err)
					}
					if !reflect.DeepEqual(b, orig) {
						t.Fatalf("%s: refused (%v) but changed the board's internals", role, err)
					}
					continue
				}
				if role == RoleViewer {
					t.Fatal("a viewer wrote")
				}
				if role == RoleParticipant && b.IsControl() {
					t.Fatal("a participant wrote on the control board")
				}
				if err := b.Validate(); err != nil {
					t.Fatalf("%s: invariant broken: %v", role, err)
				}
				if c := bdClone(t, b); !reflect.DeepEqual(c, b) {
					t.Fatalf("%s: board does not reload to itself", role)
				}
				for id, e := range b.Elements {
					if old, ok := orig.Elements[id]; !ok && e.By != "alice" {
						t.Fatalf("%s: new element %s by %q", role, id, e.By)
					} else if ok && old.By != e.By {
						t.Fatalf("%s: element %s changed hands", role, id)
					}
				}
				if role == RoleParticipant {
					for id, e := range orig.Elements {
						if e.Elem == ElemComment && e.By != "alice" && !reflect.DeepEqual(b.Elements[id], e) {
							t.Fatalf("alice changed %s's comment %s", e.By, id)
						}
					}
				}
			}
		}

		// Text that applied on the base still applies once moved past a
		// concurrent version.
		text := bdTextOnly(cs)
		b := bdFuzzBase(t)
		if b.Apply(text, RoleFacilitator) != nil {
			return
		}
		moved := TransformChanges(text, committed)
		if bdWire(t, text) != bdWire(t, bdTextOnly(cs)) {
			t.Fatal("TransformChanges modified its input")
		}
		b = bdFuzzBase(t)
		if err := b.Apply(committed, RoleFacilitator); err != nil {
			t.Fatal(err)
		}
		if err := b.Apply(moved, RoleFacilitator); err != nil {
			// Only the length limit may refuse a moved op.
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeTooLarge {
				t.Fatalf("moved text refused: %v\n%s", err, bdWire(t, moved))
			}
		}
	})
}
