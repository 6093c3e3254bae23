package board

import (
	"errors"
	"reflect"
	"sync"
	"testing"
)

var (
	bdFuzzOnce  sync.Once
	bdFuzzState []byte
)

// bdFuzzBase returns a fresh copy of the test board, loaded from its state
// (cheaper than rebuilding it, and it exercises UnmarshalState).
func bdFuzzBase(t testing.TB) *Board {
	bdFuzzOnce.Do(func() {
		state, err := bdTestBoard(t).MarshalState()
		if err != nil {
			panic(err)
		}
		bdFuzzState = state
	})
	b, err := UnmarshalState(bdFuzzState)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzApply feeds arbitrary bytes as a submit's changes to a board with
// content, under every role. It must never panic; a refused submit leaves
// the board exactly as it was; an accepted one leaves a board that holds
// its invariants and reloads to itself.
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

		for _, role := range []Role{RoleViewer, RoleParticipant, RoleFacilitator} {
			b := bdFuzzBase(t)
			err := b.Apply(cs, role)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
					t.Fatalf("%s: error %v is not a proper *Error", role, err)
				}
				after, _ := b.MarshalState()
				if string(after) != string(bdFuzzState) {
					t.Fatalf("%s: refused (%v) but changed the board", role, err)
				}
				if !reflect.DeepEqual(b, bdFuzzBase(t)) {
					t.Fatalf("%s: refused (%v) but changed the board's internals", role, err)
				}
				continue
			}
			if role == RoleViewer {
				t.Fatal("a viewer wrote")
			}
			if err := b.Validate(); err != nil {
				t.Fatalf("%s: invariant broken: %v", role, err)
			}
			if c := bdClone(t, b); !reflect.DeepEqual(c, b) {
				t.Fatalf("%s: board does not reload to itself", role)
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
