package board

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func bdMustApply(t testing.TB, b *Board, changes string, role Role) {
	t.Helper()
	bdMustApplyChanges(t, b, bdDecode(t, changes), role)
}

func bdMustApplyChanges(t testing.TB, b *Board, cs []Change, role Role) {
	t.Helper()
	if err := b.Apply(cs, role); err != nil {
		t.Fatalf("Apply(%s): %v", bdWire(t, cs), err)
	}
	if err := b.Validate(); err != nil {
		t.Fatalf("after Apply(%s): %v", bdWire(t, cs), err)
	}
}

// bdClone copies b through its stored form.
func bdClone(t testing.TB, b *Board) *Board {
	t.Helper()
	data, err := b.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	c, err := UnmarshalState(data)
	if err != nil {
		t.Fatalf("UnmarshalState: %v\n%s", err, data)
	}
	return c
}

// bdTestBoard has texts with emoji, three live actors, a live link, a
// deleted actor (with the link that went with it) and a deleted link.
func bdTestBoard(t testing.TB) *Board {
	t.Helper()
	b := New("b1", "w1", "g1", "ep1")
	bdMustApply(t, b, `[
		{"kind":"text","section":"etat_des_lieux","op":["Quartier 🌱 nord"]},
		{"kind":"text","section":"enjeux","op":["Créer du lien"]},
		{"kind":"create","id":"a1","elem":"actor","props":{"name":"Mairie","kind":"collectivite","ring":"coeur","x":10,"y":-5}},
		{"kind":"create","id":"a2","elem":"actor","props":{"name":"Asso 🌻"}},
		{"kind":"create","id":"a3","elem":"actor","props":{"name":"Café"}},
		{"kind":"create","id":"d1","elem":"actor","props":{"name":"Parti"}},
		{"kind":"create","id":"l1","elem":"link","props":{"from":"a1","to":"a2","kind":"financement"}},
		{"kind":"create","id":"dl1","elem":"link","props":{"from":"a1","to":"d1"}},
		{"kind":"create","id":"dl2","elem":"link","props":{"from":"a2","to":"a3"}},
		{"kind":"meta","props":{"title":"Tiers-lieu"}}
	]`, RoleFacilitator)
	bdMustApply(t, b, `[{"kind":"delete","id":"d1"},{"kind":"delete","id":"dl2"}]`, RoleFacilitator)
	return b
}

func bdLive(t *testing.T, b *Board, id string) *Element {
	t.Helper()
	e := b.Elements[id]
	if e == nil {
		t.Fatalf("%s is not live", id)
	}
	return e
}

func bdDead(t *testing.T, b *Board, id, elem string) {
	t.Helper()
	if _, ok := b.Elements[id]; ok {
		t.Fatalf("%s is still live", id)
	}
	if got := b.Deleted[id]; got != elem {
		t.Fatalf("tombstone of %s is %q, want %q", id, got, elem)
	}
}

func TestTestBoard(t *testing.T) {
	b := bdTestBoard(t)
	if len(b.Elements) != 4 || len(b.Deleted) != 3 {
		t.Fatalf("%d live, %d deleted", len(b.Elements), len(b.Deleted))
	}
	bdDead(t, b, "d1", ElemActor)
	bdDead(t, b, "dl1", ElemLink)
	bdDead(t, b, "dl2", ElemLink)
	a2 := bdLive(t, b, "a2")
	if a2.Props.Kind != "autre" || a2.Props.Ring != "proche" || a2.Props.Has(PropX) || a2.Props.Has(PropY) {
		t.Fatalf("defaults of a2: %+v", a2.Props)
	}
	if l1 := bdLive(t, b, "l1"); l1.Props.Kind != "financement" {
		t.Fatalf("l1 %+v", l1.Props)
	}
}

func TestBoardApply(t *testing.T) {
	const locked = `[{"kind":"meta","props":{"locked":true}}]`
	for _, tc := range []struct {
		name    string
		setup   string // applied by the facilitator first
		role    Role
		changes string
		code    string
		check   func(t *testing.T, b *Board)
	}{
		// Roles.
		{name: "viewer writes", role: RoleViewer, changes: `[{"kind":"text","section":"enjeux","op":["x"]}]`, code: CodeForbidden},
		{name: "viewer empty submit", role: RoleViewer, changes: `[]`, code: CodeForbidden},
		{name: "unknown role", role: Role(9), changes: `[]`, code: CodeForbidden},
		{name: "participant locks", role: RoleParticipant, changes: `[{"kind":"meta","props":{"locked":true}}]`, code: CodeForbidden},
		{name: "participant unlocks", role: RoleParticipant, changes: `[{"kind":"meta","props":{"locked":false}}]`, code: CodeForbidden},
		{name: "participant locks after text", role: RoleParticipant, changes: `[{"kind":"text","section":"enjeux","op":["x"]},{"kind":"meta","props":{"done":true,"locked":false}}]`, code: CodeForbidden},
		{name: "participant done", role: RoleParticipant, changes: `[{"kind":"meta","props":{"done":true,"niveau":"faire_avec"}}]`,
			check: func(t *testing.T, b *Board) {
				if !b.Meta.Done || b.Meta.Niveau != "faire_avec" || b.Meta.Title != "Tiers-lieu" || b.Locked() {
					t.Fatalf("meta %+v", b.Meta)
				}
			}},
		{name: "facilitator locks", role: RoleFacilitator, changes: locked,
			check: func(t *testing.T, b *Board) {
				if !b.Locked() {
					t.Fatal("not locked")
				}
			}},
		{name: "locked: participant text", setup: locked, role: RoleParticipant, changes: `[{"kind":"text","section":"enjeux","op":["x"]}]`, code: CodeLocked},
		{name: "locked: participant empty", setup: locked, role: RoleParticipant, changes: `[]`, code: CodeLocked},
		{name: "locked: participant unlocks", setup: locked, role: RoleParticipant, changes: `[{"kind":"meta","props":{"locked":false}}]`, code: CodeForbidden},
		{name: "locked: viewer", setup: locked, role: RoleViewer, changes: `[]`, code: CodeForbidden},
		{name: "locked: facilitator writes", setup: locked, role: RoleFacilitator, changes: `[{"kind":"text","section":"enjeux","op":["x"]}]`},
		{name: "locked: facilitator unlocks", setup: locked, role: RoleFacilitator, changes: `[{"kind":"meta","props":{"locked":false}}]`,
			check: func(t *testing.T, b *Board) {
				if b.Locked() || !b.Meta.Has(PropLocked) {
					t.Fatalf("meta %+v", b.Meta)
				}
			}},
		{name: "unlocked: participant writes", setup: `[{"kind":"meta","props":{"locked":true}},{"kind":"meta","props":{"locked":false}}]`,
			role: RoleParticipant, changes: `[{"kind":"text","section":"enjeux","op":["x"]}]`},

		// Text.
		{name: "text insert", role: RoleParticipant, changes: `[{"kind":"text","section":"etat_des_lieux","op":[11,"!"]}]`,
			check: func(t *testing.T, b *Board) {
				if b.Texts[0] != "Quartier 🌱! nord" || b.TextLen(0) != 17 {
					t.Fatalf("%q %d", b.Texts[0], b.TextLen(0))
				}
			}},
		{name: "text in sequence", role: RoleParticipant, changes: `[{"kind":"text","section":"niveau","op":["a"]},{"kind":"text","section":"niveau","op":[1,"b"]},{"kind":"text","section":"niveau","op":[{"d":1}]}]`,
			check: func(t *testing.T, b *Board) {
				if b.Texts[2] != "b" {
					t.Fatalf("%q", b.Texts[2])
				}
			}},
		{name: "text splits emoji", role: RoleParticipant, changes: `[{"kind":"text","section":"etat_des_lieux","op":[10,"x"]}]`, code: CodeBadOp},
		{name: "text deletes half emoji", role: RoleParticipant, changes: `[{"kind":"text","section":"etat_des_lieux","op":[9,{"d":1}]}]`, code: CodeBadOp},
		{name: "text retain past end", role: RoleParticipant, changes: `[{"kind":"text","section":"enjeux","op":[14,"x"]}]`, code: CodeBadOp},
		{name: "text trailing retain past end", role: RoleParticipant, changes: `[{"kind":"text","section":"enjeux","op":[14]}]`, code: CodeBadOp},
		{name: "text trailing retain to end", role: RoleParticipant, changes: `[{"kind":"text","section":"enjeux","op":["x",13]}]`},
		{name: "text delete past end", role: RoleParticipant, changes: `[{"kind":"text","section":"enjeux","op":[{"d":14}]}]`, code: CodeBadOp},
		{name: "text second op does not fit", role: RoleParticipant, changes: `[{"kind":"text","section":"enjeux","op":[{"d":13}]},{"kind":"text","section":"enjeux","op":[1]}]`, code: CodeBadOp},
		{name: "text to the limit", role: RoleParticipant,
			changes: `[{"kind":"text","section":"niveau","op":["` + strings.Repeat("🌱", MaxSectionLen/2) + `"]}]`,
			check: func(t *testing.T, b *Board) {
				if b.TextLen(2) != MaxSectionLen {
					t.Fatalf("len %d", b.TextLen(2))
				}
			}},
		{name: "text over the limit", role: RoleParticipant,
			changes: `[{"kind":"text","section":"niveau","op":["` + strings.Repeat("🌱", MaxSectionLen/2) + `"]},{"kind":"text","section":"niveau","op":["x"]}]`,
			code:    CodeTooLarge},

		// Create.
		{name: "create actor", role: RoleParticipant, changes: `[{"kind":"create","id":"a9","elem":"actor","props":{"name":"Région"}}]`,
			check: func(t *testing.T, b *Board) {
				e := bdLive(t, b, "a9")
				want := Props{Set: PropName | PropKind | PropRing, Name: "Région", Kind: "autre", Ring: "proche"}
				if e.Elem != ElemActor || e.Props != want {
					t.Fatalf("%+v", e)
				}
			}},
		{name: "create live id", role: RoleParticipant, changes: `[{"kind":"create","id":"a1","elem":"actor","props":{"name":"X"}}]`, code: CodeExists},
		{name: "create deleted id", role: RoleParticipant, changes: `[{"kind":"create","id":"d1","elem":"actor","props":{"name":"X"}}]`, code: CodeExists},
		{name: "create deleted link id as actor", role: RoleParticipant, changes: `[{"kind":"create","id":"dl1","elem":"actor","props":{"name":"X"}}]`, code: CodeExists},
		{name: "create twice in a submit", role: RoleParticipant, changes: `[{"kind":"create","id":"a9","elem":"actor","props":{"name":"X"}},{"kind":"create","id":"a9","elem":"actor","props":{"name":"Y"}}]`, code: CodeExists},
		{name: "create link", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a3","to":"a1","label":"prête la salle"}}]`,
			check: func(t *testing.T, b *Board) {
				e := bdLive(t, b, "l9")
				want := Props{Set: PropFrom | PropTo | PropKind | PropLabel, From: "a3", To: "a1", Kind: "autre", Label: "prête la salle"}
				if e.Elem != ElemLink || e.Props != want {
					t.Fatalf("%+v", e)
				}
			}},
		{name: "link to itself", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"a1"}}]`, code: CodeBadLink},
		{name: "link to nothing", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"zz"}}]`, code: CodeBadLink},
		{name: "link from nothing", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"zz","to":"a1"}}]`, code: CodeBadLink},
		{name: "link to a link", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"l1"}}]`, code: CodeBadLink},
		{name: "link to a deleted link", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"dl2"}}]`, code: CodeBadLink},
		{name: "link to deleted actor and nothing", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"d1","to":"zz"}}]`, code: CodeBadLink},
		{name: "link to deleted actor and itself", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"d1","to":"d1"}}]`, code: CodeBadLink},
		{name: "link to a deleted actor", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"d1"}}]`,
			check: func(t *testing.T, b *Board) { bdDead(t, b, "l9", ElemLink) }},
		{name: "link to a deleted actor, then again", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"d1"}},{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"a2"}}]`, code: CodeExists},
		{name: "link to a deleted actor, then set", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"d1","to":"a2"}},{"kind":"set","id":"l9","props":{"label":"x"}}]`,
			check: func(t *testing.T, b *Board) { bdDead(t, b, "l9", ElemLink) }},
		{name: "create then set", role: RoleParticipant, changes: `[{"kind":"create","id":"a9","elem":"actor","props":{"name":"X","x":1}},{"kind":"set","id":"a9","props":{"name":"Y","ring":"territoire"}}]`,
			check: func(t *testing.T, b *Board) {
				if p := bdLive(t, b, "a9").Props; p.Name != "Y" || p.Ring != "territoire" || p.X != 1 || p.Kind != "autre" {
					t.Fatalf("%+v", p)
				}
			}},
		{name: "create actor then link to it", role: RoleParticipant, changes: `[{"kind":"create","id":"a9","elem":"actor","props":{"name":"X"}},{"kind":"create","id":"l9","elem":"link","props":{"from":"a9","to":"a1"}}]`,
			check: func(t *testing.T, b *Board) { bdLive(t, b, "l9") }},
		{name: "create link then delete its actor", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a3","to":"a1"}},{"kind":"create","id":"l8","elem":"link","props":{"from":"a2","to":"a3"}},{"kind":"delete","id":"a3"}]`,
			check: func(t *testing.T, b *Board) {
				bdDead(t, b, "a3", ElemActor)
				bdDead(t, b, "l9", ElemLink)
				bdDead(t, b, "l8", ElemLink)
				bdLive(t, b, "l1")
			}},
		{name: "create then delete", role: RoleParticipant, changes: `[{"kind":"create","id":"a9","elem":"actor","props":{"name":"X"}},{"kind":"delete","id":"a9"},{"kind":"set","id":"a9","props":{"name":"Y"}}]`,
			check: func(t *testing.T, b *Board) { bdDead(t, b, "a9", ElemActor) }},

		// Set.
		{name: "set nothing", role: RoleParticipant, changes: `[{"kind":"set","id":"zz","props":{"name":"X"}}]`, code: CodeNoElement},
		{name: "set deleted", role: RoleParticipant, changes: `[{"kind":"set","id":"d1","props":{"name":"X"}}]`},
		{name: "set deleted, empty props", role: RoleParticipant, changes: `[{"kind":"set","id":"dl1","props":{}}]`},
		{name: "set deleted link with actor prop", role: RoleParticipant, changes: `[{"kind":"set","id":"dl2","props":{"ring":"coeur"}}]`, code: CodeBadProps},
		{name: "set deleted actor with link kind", role: RoleParticipant, changes: `[{"kind":"set","id":"d1","props":{"kind":"tension"}}]`, code: CodeBadProps},
		{name: "set ring on link", role: RoleParticipant, changes: `[{"kind":"set","id":"l1","props":{"ring":"coeur"}}]`, code: CodeBadProps},
		{name: "set name on link", role: RoleParticipant, changes: `[{"kind":"set","id":"l1","props":{"name":"x"}}]`, code: CodeBadProps},
		{name: "set label on actor", role: RoleParticipant, changes: `[{"kind":"set","id":"a1","props":{"label":"x"}}]`, code: CodeBadProps},
		{name: "set niveau on actor", role: RoleParticipant, changes: `[{"kind":"set","id":"a1","props":{"niveau":"faire_avec"}}]`, code: CodeBadProps},
		{name: "set link kind on actor", role: RoleParticipant, changes: `[{"kind":"set","id":"a1","props":{"kind":"tension"}}]`, code: CodeBadProps},
		{name: "set actor kind on link", role: RoleParticipant, changes: `[{"kind":"set","id":"l1","props":{"kind":"habitants"}}]`, code: CodeBadProps},
		{name: "set link", role: RoleParticipant, changes: `[{"kind":"set","id":"l1","props":{"kind":"tension","niveau":"faire_corps","label":"bof"}}]`,
			check: func(t *testing.T, b *Board) {
				want := Props{Set: PropFrom | PropTo | PropKind | PropNiveau | PropLabel, From: "a1", To: "a2", Kind: "tension", Niveau: "faire_corps", Label: "bof"}
				if p := bdLive(t, b, "l1").Props; p != want {
					t.Fatalf("%+v", p)
				}
			}},
		{name: "set last writer wins", role: RoleParticipant, changes: `[{"kind":"set","id":"a2","props":{"x":1,"name":"A"}},{"kind":"set","id":"a2","props":{"x":2,"note":"n"}}]`,
			check: func(t *testing.T, b *Board) {
				want := Props{Set: ActorProps &^ PropY, Name: "A", Kind: "autre", Ring: "proche", X: 2, Note: "n"}
				if p := bdLive(t, b, "a2").Props; p != want {
					t.Fatalf("%+v", p)
				}
			}},

		// Delete.
		{name: "delete nothing", role: RoleParticipant, changes: `[{"kind":"delete","id":"zz"}]`, code: CodeNoElement},
		{name: "delete deleted", role: RoleParticipant, changes: `[{"kind":"delete","id":"d1"},{"kind":"delete","id":"dl1"}]`},
		{name: "delete twice", role: RoleParticipant, changes: `[{"kind":"delete","id":"a3"},{"kind":"delete","id":"a3"}]`,
			check: func(t *testing.T, b *Board) { bdDead(t, b, "a3", ElemActor) }},
		{name: "delete link", role: RoleParticipant, changes: `[{"kind":"delete","id":"l1"}]`,
			check: func(t *testing.T, b *Board) {
				bdDead(t, b, "l1", ElemLink)
				bdLive(t, b, "a1")
				bdLive(t, b, "a2")
			}},
		{name: "delete actor takes its links", role: RoleParticipant, changes: `[{"kind":"delete","id":"a2"}]`,
			check: func(t *testing.T, b *Board) {
				bdDead(t, b, "a2", ElemActor)
				bdDead(t, b, "l1", ElemLink)
				bdLive(t, b, "a1")
				if len(b.links) != 0 {
					t.Fatalf("index %v", b.links)
				}
			}},
		{name: "set link then delete its actor", role: RoleParticipant, changes: `[{"kind":"set","id":"l1","props":{"label":"x"}},{"kind":"delete","id":"a1"},{"kind":"set","id":"l1","props":{"label":"y"}}]`,
			check: func(t *testing.T, b *Board) { bdDead(t, b, "l1", ElemLink) }},

		// Meta.
		{name: "meta last writer wins", role: RoleParticipant, changes: `[{"kind":"meta","props":{"title":"A","niveau":"faire_corps"}},{"kind":"meta","props":{"title":"B"}}]`,
			check: func(t *testing.T, b *Board) {
				want := Props{Set: PropTitle | PropNiveau, Title: "B", Niveau: "faire_corps"}
				if b.Meta != want {
					t.Fatalf("%+v", b.Meta)
				}
			}},

		// All or nothing.
		{name: "bad last change", role: RoleParticipant, changes: `[
			{"kind":"text","section":"enjeux","op":["x"]},
			{"kind":"create","id":"a9","elem":"actor","props":{"name":"X"}},
			{"kind":"create","id":"l9","elem":"link","props":{"from":"a9","to":"a1"}},
			{"kind":"set","id":"a1","props":{"name":"Y"}},
			{"kind":"delete","id":"a2"},
			{"kind":"meta","props":{"title":"Z"}},
			{"kind":"set","id":"zz","props":{}}]`, code: CodeNoElement},
		{name: "empty submit", role: RoleParticipant, changes: `[]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bdTestBoard(t)
			if tc.setup != "" {
				bdMustApply(t, b, tc.setup, RoleFacilitator)
			}
			before := bdClone(t, b)
			if !reflect.DeepEqual(before, b) {
				t.Fatal("clone differs from the board")
			}
			err := b.Apply(bdDecode(t, tc.changes), tc.role)
			if got := bdCode(t, err); got != tc.code {
				t.Fatalf("code %q, want %q (%v)", got, tc.code, err)
			}
			bdCheckOutcome(t, before, b, err, tc.check)
		})
	}
}

// bdCheckOutcome checks what an Apply left: a refused submit leaves the
// board as it was; an accepted one leaves a valid board, passes check, and
// reloads to itself.
func bdCheckOutcome(t *testing.T, before, b *Board, err error, check func(*testing.T, *Board)) {
	t.Helper()
	if err != nil {
		if !reflect.DeepEqual(before, b) {
			t.Fatal("a refused submit changed the board")
		}
		return
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if check != nil {
		check(t, b)
	}
	if c := bdClone(t, b); !reflect.DeepEqual(c, b) {
		t.Fatal("reloaded board differs")
	}
}

// Changes built in code go through the same checks as decoded ones.
func TestBoardApplyChecksBuiltChanges(t *testing.T) {
	for _, tc := range []struct {
		c    Change
		code string
	}{
		{Change{Kind: "move"}, CodeBadChange},
		{Change{Kind: KindText, Section: "nope"}, CodeBadSection},
		{Change{Kind: KindText, Section: "enjeux", Op: TextOp{{Retain: -1}}}, CodeBadOp},
		{Change{Kind: KindText, Section: "enjeux", Op: TextOp{{Retain: 1, Insert: "x"}}}, CodeBadOp},
		{Change{Kind: KindText, Section: "enjeux", Op: TextOp{{Insert: "\xff"}}}, CodeBadOp},
		{Change{Kind: KindCreate, ID: "", Elem: ElemActor, Props: Props{Set: PropName, Name: "x"}}, CodeBadChange},
		{Change{Kind: KindCreate, ID: "x", Elem: "note", Props: Props{Set: PropName, Name: "x"}}, CodeBadElem},
		{Change{Kind: KindCreate, ID: "x", Elem: ElemActor}, CodeBadProps},
		{Change{Kind: KindCreate, ID: "x", Elem: ElemActor, Props: Props{Set: PropName, Name: "x\xff"}}, CodeBadProps},
		{Change{Kind: KindCreate, ID: "x", Elem: ElemLink, Props: Props{Set: PropFrom, From: "a1"}}, CodeBadProps},
		{Change{Kind: KindSet, ID: "a1", Props: Props{Set: PropRing, Ring: "loin"}}, CodeBadProps},
		{Change{Kind: KindSet, ID: "l1", Props: Props{Set: PropTo, To: "a3"}}, CodeBadProps},
		{Change{Kind: KindSet, ID: "a1", Props: Props{Set: PropX, X: 1e300}}, CodeBadProps},
		{Change{Kind: KindDelete, ID: "a b"}, CodeBadChange},
		{Change{Kind: KindMeta, Props: Props{Set: PropName, Name: "x"}}, CodeBadProps},
		{Change{Kind: KindMeta, Props: Props{Set: 1 << 15}}, CodeBadProps},
		{Change{Kind: KindSet, ID: "a1", Props: Props{Set: PropX, X: 3}}, ""},
	} {
		b := bdTestBoard(t)
		before := bdClone(t, b)
		err := b.Apply([]Change{tc.c}, RoleFacilitator)
		if got := bdCode(t, err); got != tc.code {
			t.Errorf("%+v: code %q, want %q (%v)", tc.c, got, tc.code, err)
		}
		if err != nil && !reflect.DeepEqual(before, b) {
			t.Errorf("%+v: refused but changed the board", tc.c)
		}
	}
}

func TestBoardLimits(t *testing.T) {
	create := func(prefix string, n int) string {
		var sb strings.Builder
		sb.WriteString("[")
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `{"kind":"create","id":"%s%d","elem":"actor","props":{"name":"x"}}`, prefix, i)
		}
		return sb.String() + "]"
	}
	del := func(prefix string, n int) string {
		var sb strings.Builder
		sb.WriteString("[")
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `{"kind":"delete","id":"%s%d"}`, prefix, i)
		}
		return sb.String() + "]"
	}

	// Live elements.
	b := New("b", "w", "g", "e")
	bdMustApply(t, b, create("a", MaxElements), RoleParticipant)
	before := bdClone(t, b)
	err := b.Apply(bdDecode(t, create("z", 1)), RoleParticipant)
	if got := bdCode(t, err); got != CodeTooMany {
		t.Fatalf("element %d: code %q", MaxElements+1, got)
	}
	if !reflect.DeepEqual(before, b) {
		t.Fatal("refused but changed")
	}
	// A delete earlier in the same submit frees a place.
	bdMustApply(t, b, `[{"kind":"delete","id":"a0"},{"kind":"create","id":"z0","elem":"actor","props":{"name":"x"}}]`, RoleParticipant)

	// Ids ever created.
	b = New("b", "w", "g", "e")
	for r := 0; r < MaxIDs/MaxElements; r++ {
		p := fmt.Sprintf("r%d_", r)
		bdMustApply(t, b, create(p, MaxElements), RoleParticipant)
		if r < MaxIDs/MaxElements-1 {
			bdMustApply(t, b, del(p, MaxElements), RoleParticipant)
		}
	}
	bdMustApply(t, b, `[{"kind":"delete","id":"r9_0"},{"kind":"delete","id":"r9_1"}]`, RoleParticipant)
	for _, c := range []string{
		create("z", 1),
		// A link born deleted takes an id too.
		`[{"kind":"create","id":"l","elem":"link","props":{"from":"r9_0","to":"r9_2"}}]`,
	} {
		err = b.Apply(bdDecode(t, c), RoleParticipant)
		if got := bdCode(t, err); got != CodeTooMany {
			t.Fatalf("id %d: code %q", MaxIDs+1, got)
		}
	}
}

func TestApplyEntry(t *testing.T) {
	b := bdTestBoard(t)
	b.V = 5
	cs := bdDecode(t, `[{"kind":"text","section":"enjeux","op":["x"]}]`)
	for _, e := range []Entry{{V: 5, Client: "c", Seq: 1, Changes: cs}, {V: 7, Client: "c", Seq: 1, Changes: cs}} {
		if got := bdCode(t, b.ApplyEntry(e, RoleParticipant)); got != CodeBadVersion {
			t.Fatalf("v%d on v5: code %q", e.V, got)
		}
	}
	if err := b.ApplyEntry(Entry{V: 6, Client: "c", Seq: 3, Changes: cs}, RoleParticipant); err != nil {
		t.Fatal(err)
	}
	if b.V != 6 || b.Clients["c"] != (ClientSeq{Seq: 3, V: 6}) || b.Texts[1] != "xCréer du lien" {
		t.Fatalf("v%d clients %v text %q", b.V, b.Clients, b.Texts[1])
	}
	if seq, v := b.LastSeq("c"); seq != 3 || v != 6 {
		t.Fatalf("LastSeq %d %d", seq, v)
	}
	// A resend is never applied twice.
	before := bdClone(t, b)
	for _, seq := range []uint64{3, 2} {
		if got := bdCode(t, b.ApplyEntry(Entry{V: 7, Client: "c", Seq: seq, Changes: cs}, RoleParticipant)); got != CodeBadVersion {
			t.Fatalf("seq %d again: code %q", seq, got)
		}
	}
	// A refused submit leaves version and clients alone.
	if got := bdCode(t, b.ApplyEntry(Entry{V: 7, Client: "c", Seq: 4, Changes: cs}, RoleViewer)); got != CodeForbidden {
		t.Fatalf("viewer: code %q", got)
	}
	if !reflect.DeepEqual(before, b) {
		t.Fatal("refused entry changed the board")
	}
	// Seqs of other clients are their own; a no-op submit still commits.
	if err := b.ApplyEntry(Entry{V: 7, Client: "d", Seq: 1, Changes: bdDecode(t, `[{"kind":"delete","id":"d1"}]`)}, RoleParticipant); err != nil {
		t.Fatal(err)
	}
	if b.V != 7 || b.Clients["d"] != (ClientSeq{1, 7}) || b.Clients["c"] != (ClientSeq{3, 6}) {
		t.Fatalf("v%d clients %v", b.V, b.Clients)
	}
}

func TestRole(t *testing.T) {
	for _, r := range []Role{RoleViewer, RoleParticipant, RoleFacilitator} {
		got, ok := ParseRole(r.String())
		if !ok || got != r {
			t.Errorf("ParseRole(%q) = %v, %v", r.String(), got, ok)
		}
	}
	if RoleParticipant.String() != "participant" || RoleFacilitator.String() != "facilitator" || RoleViewer.String() != "viewer" {
		t.Error("role names")
	}
	var zero Role
	if zero != RoleViewer {
		t.Error("the zero role must grant nothing")
	}
	if _, ok := ParseRole("admin"); ok {
		t.Error("ParseRole(admin)")
	}
}

func TestSections(t *testing.T) {
	want := []string{"etat_des_lieux", "enjeux", "niveau", "ecosysteme", "animation", "financement", "calendrier"}
	if len(Sections) != NumSections || len(want) != NumSections {
		t.Fatal("seven sections")
	}
	for i, s := range Sections {
		if s.Key != want[i] || SectionIndex(s.Key) != i || s.TitleFR == "" || s.TitleEN == "" {
			t.Errorf("section %d: %+v", i, s)
		}
	}
	if Sections[0].TitleFR != "État des lieux du territoire" || Sections[3].TitleFR != "Éco-système" {
		t.Error("French titles")
	}
	if SectionIndex("Enjeux") != -1 || SectionIndex("") != -1 {
		t.Error("SectionIndex of unknown keys")
	}
	b := New("b", "w", "g", "e")
	if _, ok := b.Text("budget"); ok {
		t.Error("Text of an unknown section")
	}
}

// A committed *Element is never modified: snapshots share them.
func TestSnapshotIsStable(t *testing.T) {
	b := bdTestBoard(t)
	s := b.Snapshot()
	before, _ := s.MarshalJSON()
	bdMustApply(t, b, `[{"kind":"set","id":"a1","props":{"name":"Autre"}},{"kind":"delete","id":"a2"},{"kind":"text","section":"enjeux","op":["x"]},{"kind":"meta","props":{"done":true}}]`, RoleParticipant)
	after, _ := s.MarshalJSON()
	if string(before) != string(after) {
		t.Fatalf("snapshot changed under it:\n%s\n%s", before, after)
	}
}

// One keystroke into the middle of a 5,000-unit section, as most submits are.
func BenchmarkApplyText(b *testing.B) {
	bd := New("b", "w", "g", "e")
	text := ""
	for UTF16Len(text) < 5000 {
		text += "Réunir les acteurs du quartier 🌱 "
	}
	if err := bd.Apply([]Change{{Kind: KindText, Section: "enjeux", Op: TextOp{{Insert: text}}}}, RoleParticipant); err != nil {
		b.Fatal(err)
	}
	ins := bdDecode(b, `[{"kind":"text","section":"enjeux","op":[2500,"x"]}]`)
	del := bdDecode(b, `[{"kind":"text","section":"enjeux","op":[2500,{"d":1}]}]`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		cs := ins
		if i&1 == 1 {
			cs = del
		}
		i++
		if err := bd.Apply(cs, RoleParticipant); err != nil {
			b.Fatal(err)
		}
	}
}

// Set one prop of one element of a board of realistic size: the overlay
// makes this independent of the board's size.
func BenchmarkApplySet(b *testing.B) {
	bd := bdBigBoard(b)
	cs := bdDecode(b, `[{"kind":"set","id":"actor-07-0b8f6c1e-4d7a-4c1b","props":{"x":12,"y":-3}}]`)
	b.ReportAllocs()
	for b.Loop() {
		if err := bd.Apply(cs, RoleParticipant); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCloneSharesNothingMutable(t *testing.T) {
	b := New("b", "w", "g", "e")
	must := func(raw string) {
		t.Helper()
		cs, err := DecodeChanges([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.ApplyEntry(Entry{V: b.V + 1, Client: "c", Seq: b.V + 1, Changes: cs}, RoleFacilitator); err != nil {
			t.Fatal(err)
		}
	}
	must(`[{"kind":"create","id":"a1","elem":"actor","props":{"name":"Mairie"}},{"kind":"create","id":"a2","elem":"actor","props":{"name":"Asso"}},{"kind":"create","id":"l1","elem":"link","props":{"from":"a1","to":"a2"}},{"kind":"text","section":"enjeux","op":["Nécessité"]}]`)
	before, _ := b.MarshalState()
	c := b.Clone()
	cs, _ := DecodeChanges([]byte(`[{"kind":"delete","id":"a1"},{"kind":"text","section":"enjeux","op":[{"d":3}]},{"kind":"create","id":"a3","elem":"actor","props":{"name":"Région"}}]`))
	if err := c.ApplyEntry(Entry{V: c.V + 1, Client: "d", Seq: 1, Changes: cs}, RoleFacilitator); err != nil {
		t.Fatal(err)
	}
	after, _ := b.MarshalState()
	if string(before) != string(after) {
		t.Fatalf("changing the clone changed the board:\n%s\n%s", before, after)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
