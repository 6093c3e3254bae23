package board

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Comments, locking for the restitution, closing the workshop and the
// control board (issue 4).

// bdApplyAs applies changes as client, failing the test on a refusal.
func bdApplyAs(t testing.TB, b *Board, changes string, role Role, client string) {
	t.Helper()
	cs := bdDecode(t, changes)
	if err := b.ApplyAs(cs, role, client); err != nil {
		t.Fatalf("ApplyAs(%s, %s, %q): %v", bdWire(t, cs), role, client, err)
	}
	if err := b.Validate(); err != nil {
		t.Fatalf("after ApplyAs(%s): %v", bdWire(t, cs), err)
	}
}

// bdCommentBoard is the test board with comments: ca by alice (a piste on
// the funding), cb by bob, cf by the facilitator (on the map), and cd by
// alice, deleted.
func bdCommentBoard(t testing.TB) *Board {
	t.Helper()
	b := bdTestBoard(t)
	bdApplyAs(t, b, `[
		{"kind":"create","id":"ca","elem":"comment","props":{"text":"Et la Région ?","author":"Alice","kind":"piste","section":"financement"}},
		{"kind":"create","id":"cd","elem":"comment","props":{"text":"oups"}},
		{"kind":"delete","id":"cd"}]`, RoleParticipant, "alice")
	bdApplyAs(t, b, `[{"kind":"create","id":"cb","elem":"comment","props":{"text":"Bravo 🌱","author":"Bob"}}]`, RoleParticipant, "bob")
	bdApplyAs(t, b, `[{"kind":"create","id":"cf","elem":"comment","props":{"text":"Pensez aux habitants","section":"carte"}}]`, RoleFacilitator, "fac")
	return b
}

// bdControlBoard is a control board with a title, a timer, alice assigned
// to g1 (as1) and a deleted assign (as0).
func bdControlBoard(t testing.TB) *Board {
	t.Helper()
	b := NewControl("salle", "w1", "ep1")
	bdApplyAs(t, b, `[
		{"kind":"meta","props":{"title":"Atelier coopération","timerLabel":"Travail en sous-groupes","timerDuration":2700000,"timerRunning":false,"timerRemaining":2700000}},
		{"kind":"create","id":"as1","elem":"assign","props":{"client":"alice","group":"g1","name":"Alice"}},
		{"kind":"create","id":"as0","elem":"assign","props":{"client":"bob","group":"g1"}},
		{"kind":"delete","id":"as0"}]`, RoleFacilitator, "fac")
	return b
}

func TestCommentAndControlFixtures(t *testing.T) {
	b := bdCommentBoard(t)
	ca := bdLive(t, b, "ca")
	want := Props{Set: PropText | PropAuthor | PropKind | PropSection, Text: "Et la Région ?", Author: "Alice", Kind: "piste", Section: "financement"}
	if ca.Elem != ElemComment || ca.By != "alice" || ca.Props != want {
		t.Fatalf("ca %+v", ca)
	}
	// The default kind is filled in; no other default.
	if cb := bdLive(t, b, "cb"); cb.By != "bob" || cb.Props != (Props{Set: PropText | PropAuthor | PropKind, Text: "Bravo 🌱", Author: "Bob", Kind: "commentaire"}) {
		t.Fatalf("cb %+v", cb)
	}
	if cf := bdLive(t, b, "cf"); cf.By != "fac" || cf.Props.Section != SectionMap {
		t.Fatalf("cf %+v", cf)
	}
	bdDead(t, b, "cd", ElemComment)
	// Elements created with no client have no By.
	if a1 := bdLive(t, b, "a1"); a1.By != "" {
		t.Fatalf("a1 by %q", a1.By)
	}

	c := bdControlBoard(t)
	if !c.IsControl() || c.Kind != BoardControl || c.Group != "" || b.IsControl() || b.Kind != BoardGroup {
		t.Fatalf("kinds %q %q", c.Kind, b.Kind)
	}
	as1 := bdLive(t, c, "as1")
	if as1.Elem != ElemAssign || as1.By != "fac" || as1.Props != (Props{Set: AssignProps, Client: "alice", Group: "g1", Name: "Alice"}) {
		t.Fatalf("as1 %+v", as1)
	}
	bdDead(t, c, "as0", ElemAssign)
}

func TestApplyFacilitation(t *testing.T) {
	const (
		locked   = `[{"kind":"meta","props":{"locked":true}}]`
		closed   = `[{"kind":"meta","props":{"closed":true}}]`
		both     = `[{"kind":"meta","props":{"closed":true,"locked":true}}]`
		text     = `[{"kind":"text","section":"enjeux","op":["x"]}]`
		comment  = `[{"kind":"create","id":"c9","elem":"comment","props":{"text":"Et les habitants ?","author":"Alice"}}]`
		setMine  = `[{"kind":"set","id":"ca","props":{"text":"Et le Département ?","kind":"commentaire","section":""}}]`
		setBobs  = `[{"kind":"set","id":"cb","props":{"text":"Bof"}}]`
		delMine  = `[{"kind":"delete","id":"ca"}]`
		delBobs  = `[{"kind":"delete","id":"cb"}]`
		timer    = `[{"kind":"meta","props":{"timerLabel":"Restitution","timerDuration":600000,"timerRunning":true,"timerEndsAt":1760000600000,"timerRemaining":600000}}]`
		focus    = `[{"kind":"meta","props":{"focusBoard":"b1","focusSection":"commentaires","focusAt":1760000000000}}]`
		assign   = `[{"kind":"create","id":"as2","elem":"assign","props":{"client":"bob","group":"g2","name":"Bob"}}]`
		noClient = "-"
	)
	isComment := func(id string, by string, p Props) func(t *testing.T, b *Board) {
		return func(t *testing.T, b *Board) {
			t.Helper()
			e := bdLive(t, b, id)
			if e.Elem != ElemComment || e.By != by || e.Props != p {
				t.Fatalf("%s: %+v", id, e)
			}
		}
	}
	newComment := isComment("c9", "alice", Props{Set: PropText | PropAuthor | PropKind, Text: "Et les habitants ?", Author: "Alice", Kind: "commentaire"})
	for _, tc := range []struct {
		name    string
		control bool   // on bdControlBoard, else bdCommentBoard
		setup   string // applied by the facilitator first
		role    Role
		client  string // "" is alice, noClient is none
		changes string
		code    string
		check   func(t *testing.T, b *Board)
	}{
		// Comments on a group's board.
		{name: "participant comments", role: RoleParticipant, changes: comment, check: newComment},
		{name: "participant comments the map", role: RoleParticipant,
			changes: `[{"kind":"create","id":"c9","elem":"comment","props":{"text":"Il manque la CAF","kind":"piste","section":"carte"}}]`,
			check:   isComment("c9", "alice", Props{Set: PropText | PropKind | PropSection, Text: "Il manque la CAF", Kind: "piste", Section: "carte"})},
		{name: "facilitator comments", role: RoleFacilitator, client: "fac", changes: comment,
			check: isComment("c9", "fac", Props{Set: PropText | PropAuthor | PropKind, Text: "Et les habitants ?", Author: "Alice", Kind: "commentaire"})},
		{name: "viewer comments", role: RoleViewer, changes: comment, code: CodeForbidden},
		{name: "comment over a live id", role: RoleParticipant, changes: `[{"kind":"create","id":"cb","elem":"comment","props":{"text":"x"}}]`, code: CodeExists},
		{name: "comment over a deleted id", role: RoleParticipant, changes: `[{"kind":"create","id":"cd","elem":"comment","props":{"text":"x"}}]`, code: CodeExists},
		{name: "comment over an actor id", role: RoleParticipant, changes: `[{"kind":"create","id":"a1","elem":"comment","props":{"text":"x"}}]`, code: CodeExists},
		{name: "participant sets own comment", role: RoleParticipant, changes: setMine,
			check: isComment("ca", "alice", Props{Set: PropText | PropAuthor | PropKind | PropSection, Text: "Et le Département ?", Author: "Alice", Kind: "commentaire", Section: ""})},
		{name: "participant sets someone else's comment", role: RoleParticipant, changes: setBobs, code: CodeForbidden},
		{name: "participant sets the facilitator's comment", role: RoleParticipant, changes: `[{"kind":"set","id":"cf","props":{}}]`, code: CodeForbidden},
		{name: "participant deletes own comment", role: RoleParticipant, changes: delMine,
			check: func(t *testing.T, b *Board) { bdDead(t, b, "ca", ElemComment) }},
		{name: "participant deletes someone else's comment", role: RoleParticipant, changes: delBobs, code: CodeForbidden},
		{name: "someone else's comment after a good change", role: RoleParticipant, changes: `[{"kind":"text","section":"enjeux","op":["x"]},{"kind":"set","id":"ca","props":{"text":"y"}},{"kind":"delete","id":"cb"}]`, code: CodeForbidden},
		{name: "no client owns nothing", role: RoleParticipant, client: noClient, setup: `[{"kind":"create","id":"c0","elem":"comment","props":{"text":"anonyme"}}]`,
			changes: `[{"kind":"set","id":"c0","props":{"text":"x"}}]`, code: CodeForbidden},
		{name: "participant comments then edits it", role: RoleParticipant, changes: `[{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}},{"kind":"set","id":"c9","props":{"text":"Et les habitants ?","author":"Alice"}}]`,
			check: newComment},
		{name: "participant comments then deletes it", role: RoleParticipant, changes: `[{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}},{"kind":"delete","id":"c9"}]`,
			check: func(t *testing.T, b *Board) { bdDead(t, b, "c9", ElemComment) }},
		{name: "participant sets a deleted comment", role: RoleParticipant, client: "bob", changes: `[{"kind":"set","id":"cd","props":{"text":"x"}},{"kind":"delete","id":"cd"}]`},
		{name: "facilitator sets any comment", role: RoleFacilitator, client: "fac", changes: setBobs,
			check: isComment("cb", "bob", Props{Set: PropText | PropAuthor | PropKind, Text: "Bof", Author: "Bob", Kind: "commentaire"})},
		{name: "facilitator deletes any comment", role: RoleFacilitator, client: noClient, changes: delBobs,
			check: func(t *testing.T, b *Board) { bdDead(t, b, "cb", ElemComment) }},
		{name: "set a ring on a comment", role: RoleParticipant, changes: `[{"kind":"set","id":"ca","props":{"ring":"coeur"}}]`, code: CodeBadProps},
		{name: "set a link kind on a comment", role: RoleParticipant, changes: `[{"kind":"set","id":"ca","props":{"kind":"tension"}}]`, code: CodeBadProps},
		{name: "set a comment kind on an actor", role: RoleParticipant, changes: `[{"kind":"set","id":"a1","props":{"kind":"piste"}}]`, code: CodeBadProps},
		{name: "set a text on an actor", role: RoleParticipant, changes: `[{"kind":"set","id":"a1","props":{"text":"x"}}]`, code: CodeBadProps},
		{name: "set a section on a deleted comment", role: RoleParticipant, changes: `[{"kind":"set","id":"cd","props":{"section":"commentaires"}}]`, code: CodeBadProps},
		{name: "set a group on a comment", role: RoleFacilitator, changes: `[{"kind":"set","id":"ca","props":{"group":"g1"}}]`, code: CodeBadProps},
		{name: "set a name on a comment", role: RoleFacilitator, changes: `[{"kind":"set","id":"ca","props":{"name":"x"}}]`, code: CodeBadProps},
		{name: "deleting an actor leaves comments", role: RoleParticipant, changes: `[{"kind":"delete","id":"a1"}]`,
			check: func(t *testing.T, b *Board) { bdLive(t, b, "cf") }},
		{name: "link to a comment", role: RoleParticipant, changes: `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"ca"}}]`, code: CodeBadLink},

		// Locked: the room comments while a group presents.
		{name: "locked: participant comments", setup: locked, role: RoleParticipant, changes: comment, check: newComment},
		{name: "locked: participant sets own comment", setup: locked, role: RoleParticipant, changes: setMine},
		{name: "locked: participant deletes own comment", setup: locked, role: RoleParticipant, changes: delMine,
			check: func(t *testing.T, b *Board) { bdDead(t, b, "ca", ElemComment) }},
		{name: "locked: participant comments, edits and deletes", setup: locked, role: RoleParticipant,
			changes: `[{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}},{"kind":"set","id":"c9","props":{"text":"y"}},{"kind":"delete","id":"c9"},{"kind":"set","id":"cd","props":{}},{"kind":"set","id":"ca","props":{"kind":"commentaire"}}]`,
			check:   func(t *testing.T, b *Board) { bdDead(t, b, "c9", ElemComment) }},
		{name: "locked: participant sets someone else's comment", setup: locked, role: RoleParticipant, changes: setBobs, code: CodeForbidden},
		{name: "locked: participant deletes someone else's comment", setup: locked, role: RoleParticipant, changes: delBobs, code: CodeForbidden},
		{name: "locked: comment and text", setup: locked, role: RoleParticipant, changes: `[{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}},{"kind":"text","section":"enjeux","op":["x"]}]`, code: CodeLocked},
		{name: "locked: text and comment", setup: locked, role: RoleParticipant, changes: `[{"kind":"text","section":"enjeux","op":["x"]},{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}}]`, code: CodeLocked},
		{name: "locked: comment and actor", setup: locked, role: RoleParticipant, changes: `[{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}},{"kind":"create","id":"a9","elem":"actor","props":{"name":"x"}}]`, code: CodeLocked},
		{name: "locked: set an actor", setup: locked, role: RoleParticipant, changes: `[{"kind":"set","id":"a1","props":{"x":1}}]`, code: CodeLocked},
		{name: "locked: set a deleted actor", setup: locked, role: RoleParticipant, changes: `[{"kind":"set","id":"d1","props":{}}]`, code: CodeLocked},
		{name: "locked: delete a link", setup: locked, role: RoleParticipant, changes: `[{"kind":"delete","id":"l1"}]`, code: CodeLocked},
		{name: "locked: set an unknown id", setup: locked, role: RoleParticipant, changes: `[{"kind":"set","id":"zz","props":{}}]`, code: CodeLocked},
		{name: "locked: delete an actor created in the submit", setup: locked, role: RoleParticipant, changes: `[{"kind":"create","id":"a9","elem":"actor","props":{"name":"x"}},{"kind":"delete","id":"a9"}]`, code: CodeLocked},
		{name: "locked: meta done", setup: locked, role: RoleParticipant, changes: `[{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}},{"kind":"meta","props":{"done":true}}]`, code: CodeLocked},
		{name: "locked: bad comment still bad", setup: locked, role: RoleParticipant, changes: `[{"kind":"create","id":"cb","elem":"comment","props":{"text":"x"}}]`, code: CodeExists},
		{name: "locked: facilitator writes anything", setup: locked, role: RoleFacilitator, changes: `[{"kind":"text","section":"enjeux","op":["x"]},{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}},{"kind":"delete","id":"cb"}]`},

		// Closed: participants change nothing.
		{name: "participant closes", role: RoleParticipant, changes: closed, code: CodeForbidden},
		{name: "participant reopens", role: RoleParticipant, changes: `[{"kind":"meta","props":{"closed":false}}]`, code: CodeForbidden},
		{name: "participant closes after a comment", role: RoleParticipant, changes: `[{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}},{"kind":"meta","props":{"done":true,"closed":true}}]`, code: CodeForbidden},
		{name: "facilitator closes", role: RoleFacilitator, changes: closed,
			check: func(t *testing.T, b *Board) {
				if !b.Closed() || b.Locked() {
					t.Fatalf("meta %+v", b.Meta)
				}
			}},
		{name: "closed: participant comments", setup: closed, role: RoleParticipant, changes: comment, code: CodeClosed},
		{name: "closed: participant sets own comment", setup: closed, role: RoleParticipant, changes: setMine, code: CodeClosed},
		{name: "closed: participant deletes own comment", setup: closed, role: RoleParticipant, changes: delMine, code: CodeClosed},
		{name: "closed: participant text", setup: closed, role: RoleParticipant, changes: text, code: CodeClosed},
		{name: "closed: participant empty", setup: closed, role: RoleParticipant, changes: `[]`, code: CodeClosed},
		{name: "closed: participant reopens", setup: closed, role: RoleParticipant, changes: `[{"kind":"meta","props":{"closed":false}}]`, code: CodeForbidden},
		{name: "closed: viewer", setup: closed, role: RoleViewer, changes: `[]`, code: CodeForbidden},
		{name: "closed and locked: participant comments", setup: both, role: RoleParticipant, changes: comment, code: CodeClosed},
		{name: "closed: facilitator writes", setup: closed, role: RoleFacilitator, changes: `[{"kind":"text","section":"enjeux","op":["x"]},{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}},{"kind":"set","id":"cb","props":{"text":"y"}}]`},
		{name: "closed: facilitator reopens", setup: closed, role: RoleFacilitator, changes: `[{"kind":"meta","props":{"closed":false}}]`,
			check: func(t *testing.T, b *Board) {
				if b.Closed() || !b.Meta.Has(PropClosed) {
					t.Fatalf("meta %+v", b.Meta)
				}
			}},
		{name: "reopened: participant writes", setup: `[{"kind":"meta","props":{"closed":true}},{"kind":"meta","props":{"closed":false}}]`, role: RoleParticipant, changes: text},

		// The control board's meta and assigns are refused on a group's board.
		{name: "timer on a group board", role: RoleFacilitator, changes: timer, code: CodeBadProps},
		{name: "timer label on a group board", role: RoleFacilitator, changes: `[{"kind":"meta","props":{"timerLabel":"x"}}]`, code: CodeBadProps},
		{name: "timer running on a group board", role: RoleParticipant, changes: `[{"kind":"meta","props":{"timerRunning":true}}]`, code: CodeBadProps},
		{name: "focus on a group board", role: RoleFacilitator, changes: focus, code: CodeBadProps},
		{name: "focusAt on a group board", role: RoleFacilitator, changes: `[{"kind":"meta","props":{"title":"T","focusAt":0}}]`, code: CodeBadProps},
		{name: "assign on a group board", role: RoleFacilitator, changes: assign, code: CodeBadElem},
		{name: "assign on a group board, participant", role: RoleParticipant, changes: assign, code: CodeBadElem},

		// The control board.
		{name: "control: facilitator text", control: true, role: RoleFacilitator, changes: text, code: CodeBadSection},
		{name: "control: facilitator empty text op", control: true, role: RoleFacilitator, changes: `[{"kind":"text","section":"niveau","op":[]}]`, code: CodeBadSection},
		{name: "control: actor", control: true, role: RoleFacilitator, changes: `[{"kind":"create","id":"a1","elem":"actor","props":{"name":"Mairie"}}]`, code: CodeBadElem},
		{name: "control: link", control: true, role: RoleFacilitator, changes: `[{"kind":"create","id":"l1","elem":"link","props":{"from":"as1","to":"as2"}}]`, code: CodeBadElem},
		{name: "control: comment", control: true, role: RoleFacilitator, changes: comment, code: CodeBadElem},
		{name: "control: niveau", control: true, role: RoleFacilitator, changes: `[{"kind":"meta","props":{"niveau":"faire_avec"}}]`, code: CodeBadProps},
		{name: "control: done", control: true, role: RoleFacilitator, changes: `[{"kind":"meta","props":{"done":true}}]`, code: CodeBadProps},
		{name: "control: participant timer", control: true, role: RoleParticipant, changes: timer, code: CodeForbidden},
		{name: "control: participant assign", control: true, role: RoleParticipant, changes: assign, code: CodeForbidden},
		{name: "control: participant sets own assign", control: true, role: RoleParticipant, changes: `[{"kind":"set","id":"as1","props":{"group":"g2"}}]`, code: CodeForbidden},
		{name: "control: participant text", control: true, role: RoleParticipant, changes: text, code: CodeForbidden},
		{name: "control: participant empty", control: true, role: RoleParticipant, changes: `[]`, code: CodeForbidden},
		{name: "control: viewer", control: true, role: RoleViewer, changes: `[]`, code: CodeForbidden},
		{name: "control: facilitator timer", control: true, role: RoleFacilitator, client: "fac", changes: timer,
			check: func(t *testing.T, b *Board) {
				m := b.Meta
				if m.Title != "Atelier coopération" || m.TimerLabel != "Restitution" || m.TimerDuration != 600000 || !m.TimerRunning ||
					m.TimerEndsAt != 1760000600000 || m.TimerRemaining != 600000 || !m.Has(TimerProps|PropTitle) {
					t.Fatalf("meta %+v", m)
				}
			}},
		{name: "control: facilitator pauses the timer", control: true, role: RoleFacilitator,
			changes: `[{"kind":"meta","props":{"timerRunning":false,"timerEndsAt":0,"timerRemaining":123456}}]`,
			check: func(t *testing.T, b *Board) {
				if m := b.Meta; m.TimerRunning || m.TimerEndsAt != 0 || m.TimerRemaining != 123456 || m.TimerDuration != 2700000 {
					t.Fatalf("meta %+v", m)
				}
			}},
		{name: "control: facilitator focus", control: true, role: RoleFacilitator, changes: focus,
			check: func(t *testing.T, b *Board) {
				if m := b.Meta; m.FocusBoard != "b1" || m.FocusSection != SectionComments || m.FocusAt != 1760000000000 {
					t.Fatalf("meta %+v", m)
				}
			}},
		{name: "control: facilitator clears the focus", control: true, role: RoleFacilitator, changes: `[{"kind":"meta","props":{"focusBoard":"","focusSection":"","focusAt":0}}]`,
			check: func(t *testing.T, b *Board) {
				if m := b.Meta; m.FocusBoard != "" || m.FocusSection != "" || !m.Has(FocusProps) {
					t.Fatalf("meta %+v", m)
				}
			}},
		{name: "control: facilitator locks and closes", control: true, role: RoleFacilitator, changes: `[{"kind":"meta","props":{"title":"Fin","locked":true,"closed":true}}]`,
			check: func(t *testing.T, b *Board) {
				if !b.Locked() || !b.Closed() || b.Meta.Title != "Fin" {
					t.Fatalf("meta %+v", b.Meta)
				}
			}},
		{name: "control: facilitator assigns", control: true, role: RoleFacilitator, client: "fac", changes: assign,
			check: func(t *testing.T, b *Board) {
				e := bdLive(t, b, "as2")
				if e.Elem != ElemAssign || e.By != "fac" || e.Props != (Props{Set: AssignProps, Client: "bob", Group: "g2", Name: "Bob"}) {
					t.Fatalf("%+v", e)
				}
			}},
		{name: "control: assign without a name", control: true, role: RoleFacilitator, changes: `[{"kind":"create","id":"as2","elem":"assign","props":{"client":"bob","group":"g2"}}]`,
			check: func(t *testing.T, b *Board) {
				if e := bdLive(t, b, "as2"); e.Props != (Props{Set: PropClient | PropGroup, Client: "bob", Group: "g2"}) {
					t.Fatalf("%+v", e)
				}
			}},
		{name: "control: facilitator moves a participant", control: true, role: RoleFacilitator, changes: `[{"kind":"set","id":"as1","props":{"group":"g2","name":"Alice M."}}]`,
			check: func(t *testing.T, b *Board) {
				if e := bdLive(t, b, "as1"); e.Props != (Props{Set: AssignProps, Client: "alice", Group: "g2", Name: "Alice M."}) {
					t.Fatalf("%+v", e)
				}
			}},
		{name: "control: facilitator unassigns", control: true, role: RoleFacilitator, changes: `[{"kind":"delete","id":"as1"}]`,
			check: func(t *testing.T, b *Board) { bdDead(t, b, "as1", ElemAssign) }},
		{name: "control: assign over a deleted id", control: true, role: RoleFacilitator, changes: `[{"kind":"create","id":"as0","elem":"assign","props":{"client":"bob","group":"g2"}}]`, code: CodeExists},
		{name: "control: assign name of 81", control: true, role: RoleFacilitator, changes: `[{"kind":"set","id":"as1","props":{"name":"` + strings.Repeat("a", 81) + `"}}]`, code: CodeBadProps},
		{name: "control: assign name of 80", control: true, role: RoleFacilitator, changes: `[{"kind":"set","id":"as1","props":{"name":"` + strings.Repeat("é", 80) + `"}}]`},
		{name: "control: x on an assign", control: true, role: RoleFacilitator, changes: `[{"kind":"set","id":"as1","props":{"x":1}}]`, code: CodeBadProps},
		{name: "control: text on an assign", control: true, role: RoleFacilitator, changes: `[{"kind":"set","id":"as1","props":{"text":"x"}}]`, code: CodeBadProps},
		{name: "control: kind on a deleted assign", control: true, role: RoleFacilitator, changes: `[{"kind":"set","id":"as0","props":{"kind":"piste"}}]`, code: CodeBadProps},
		{name: "control: all or nothing", control: true, role: RoleFacilitator, changes: `[{"kind":"meta","props":{"timerRunning":true}},{"kind":"set","id":"as1","props":{"group":"g3"}},{"kind":"create","id":"a1","elem":"actor","props":{"name":"x"}}]`, code: CodeBadElem},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b *Board
			if tc.control {
				b = bdControlBoard(t)
			} else {
				b = bdCommentBoard(t)
			}
			if tc.setup != "" {
				bdApplyAs(t, b, tc.setup, RoleFacilitator, "fac")
			}
			client := tc.client
			switch client {
			case "":
				client = "alice"
			case noClient:
				client = ""
			}
			before := bdClone(t, b)
			if !reflect.DeepEqual(before, b) {
				t.Fatal("clone differs from the board")
			}
			cs, err := DecodeChanges([]byte(tc.changes))
			if err == nil {
				err = b.ApplyAs(cs, tc.role, client)
			}
			if got := bdCode(t, err); got != tc.code {
				t.Fatalf("code %q, want %q (%v)", got, tc.code, err)
			}
			if err != nil && !strings.Contains(err.Error(), "changes[") && tc.code != CodeForbidden && tc.code != CodeClosed && tc.code != CodeLocked {
				t.Errorf("error %v does not name the change", err)
			}
			bdCheckOutcome(t, before, b, err, tc.check)
		})
	}
}

func TestFacilitationMessages(t *testing.T) {
	for _, tc := range []struct {
		control bool
		setup   string
		role    Role
		changes string
		want    string
	}{
		{false, "", RoleParticipant, `[{"kind":"meta","props":{}},{"kind":"set","id":"cb","props":{"text":"x"}}]`, `forbidden: changes[1]: comment "cb" is someone else's: only its author or the facilitator may change it`},
		{false, "", RoleParticipant, `[{"kind":"delete","id":"cf"}]`, `forbidden: changes[0]: comment "cf" is someone else's: only its author or the facilitator may delete it`},
		{false, `[{"kind":"meta","props":{"locked":true}}]`, RoleParticipant, `[{"kind":"create","id":"c9","elem":"comment","props":{"text":"x"}},{"kind":"delete","id":"a3"}]`, `locked: changes[1]: the facilitator has locked this board: only comments can still be written`},
		{false, `[{"kind":"meta","props":{"closed":true}}]`, RoleParticipant, `[]`, `closed: the workshop is closed`},
		{false, "", RoleParticipant, `[{"kind":"meta","props":{"closed":true}}]`, `forbidden: changes[0]: only the facilitator closes or reopens the workshop`},
		{false, "", RoleFacilitator, `[{"kind":"meta","props":{"timerRunning":true}}]`, `bad_props: changes[0]: meta "timerRunning": only on the control board`},
		{false, "", RoleFacilitator, `[{"kind":"create","id":"x","elem":"assign","props":{"client":"c","group":"g"}}]`, `bad_elem: changes[0]: an assign is only on the control board`},
		{true, "", RoleParticipant, `[]`, `forbidden: only the facilitator writes on the control board`},
		{true, "", RoleFacilitator, `[{"kind":"text","section":"enjeux","op":["x"]}]`, `bad_section: changes[0]: the control board has no fiche`},
		{true, "", RoleFacilitator, `[{"kind":"create","id":"x","elem":"comment","props":{"text":"x"}}]`, `bad_elem: changes[0]: the control board holds no comment (only assigns)`},
		{true, "", RoleFacilitator, `[{"kind":"meta","props":{"done":true}}]`, `bad_props: changes[0]: meta "done" is not on the control board (it has no fiche)`},
		{true, "", RoleFacilitator, `[{"kind":"set","id":"as1","props":{"name":"` + strings.Repeat("a", 81) + `"}}]`, `bad_props: changes[0]: name: longer than 80 UTF-16 units`},
	} {
		b := bdCommentBoard(t)
		if tc.control {
			b = bdControlBoard(t)
		}
		if tc.setup != "" {
			bdApplyAs(t, b, tc.setup, RoleFacilitator, "fac")
		}
		err := b.ApplyAs(bdDecode(t, tc.changes), tc.role, "alice")
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.changes, err, tc.want)
		}
	}
}

// Every bad value of every new prop is refused with bad_props: at decode,
// and as a change built in code, leaving the board unchanged.
func TestNewPropsBadValues(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	emoji := func(n int) string { return strings.Repeat("🌱", n) }
	cmt := func(props string) string {
		return `[{"kind":"create","id":"c9","elem":"comment","props":` + props + `}]`
	}
	asg := func(props string) string {
		return `[{"kind":"create","id":"as9","elem":"assign","props":` + props + `}]`
	}
	set := func(id, props string) string { return `[{"kind":"set","id":"` + id + `","props":` + props + `}]` }
	meta := func(props string) string { return `[{"kind":"meta","props":` + props + `}]` }
	for _, tc := range []struct {
		name    string
		in      string
		built   *Change // the same bad value built in code, if Go can hold it
		control bool    // the board the built change is tried on
	}{
		// comment.
		{"comment without text", cmt(`{"author":"A"}`), &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment, Props: Props{Set: PropAuthor, Author: "A"}}, false},
		{"comment without props", `[{"kind":"create","id":"c9","elem":"comment"}]`, &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment}, false},
		{"comment empty text", cmt(`{"text":""}`), &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment, Props: Props{Set: PropText}}, false},
		{"comment text null", cmt(`{"text":null}`), nil, false},
		{"comment text number", cmt(`{"text":1}`), nil, false},
		{"comment text 1001", cmt(`{"text":"` + long(1001) + `"}`), &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment, Props: Props{Set: PropText, Text: long(1001)}}, false},
		{"comment text 501 emoji", cmt(`{"text":"` + emoji(501) + `"}`), &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment, Props: Props{Set: PropText, Text: emoji(501)}}, false},
		{"comment text lone surrogate", cmt(`{"text":"\ud83c"}`), nil, false},
		{"comment text bad utf8", "[{\"kind\":\"create\",\"id\":\"c9\",\"elem\":\"comment\",\"props\":{\"text\":\"\xff\"}}]", &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment, Props: Props{Set: PropText, Text: "\xff"}}, false},
		{"set comment empty text", set("ca", `{"text":""}`), &Change{Kind: KindSet, ID: "ca", Props: Props{Set: PropText}}, false},
		{"comment author 81", cmt(`{"text":"x","author":"` + long(81) + `"}`), &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment, Props: Props{Set: PropText | PropAuthor, Text: "x", Author: long(81)}}, false},
		{"set author 81", set("ca", `{"author":"`+long(81)+`"}`), &Change{Kind: KindSet, ID: "ca", Props: Props{Set: PropAuthor, Author: long(81)}}, false},
		{"comment author bool", cmt(`{"text":"x","author":true}`), nil, false},
		{"comment kind unknown", cmt(`{"text":"x","kind":"avis"}`), &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment, Props: Props{Set: PropText | PropKind, Text: "x", Kind: "avis"}}, false},
		{"comment kind of an actor", cmt(`{"text":"x","kind":"autre"}`), &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment, Props: Props{Set: PropText | PropKind, Text: "x", Kind: "autre"}}, false},
		{"comment kind empty", cmt(`{"text":"x","kind":""}`), nil, false},
		{"set kind unknown", set("ca", `{"kind":"avis"}`), &Change{Kind: KindSet, ID: "ca", Props: Props{Set: PropKind, Kind: "avis"}}, false},
		{"comment section unknown", cmt(`{"text":"x","section":"budget"}`), &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment, Props: Props{Set: PropText | PropSection, Text: "x", Section: "budget"}}, false},
		{"comment section of the focus only", cmt(`{"text":"x","section":"commentaires"}`), &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment, Props: Props{Set: PropText | PropSection, Text: "x", Section: SectionComments}}, false},
		{"comment section case", cmt(`{"text":"x","section":"Enjeux"}`), nil, false},
		{"comment section number", cmt(`{"text":"x","section":3}`), nil, false},
		{"comment section null", cmt(`{"text":"x","section":null}`), nil, false},
		{"comment name", cmt(`{"text":"x","name":"y"}`), &Change{Kind: KindCreate, ID: "c9", Elem: ElemComment, Props: Props{Set: PropText | PropName, Text: "x", Name: "y"}}, false},
		{"comment ring", cmt(`{"text":"x","ring":"coeur"}`), nil, false},
		{"comment client", cmt(`{"text":"x","client":"c"}`), nil, false},
		{"comment title", cmt(`{"text":"x","title":"c"}`), nil, false},
		{"actor text", `[{"kind":"create","id":"a9","elem":"actor","props":{"name":"x","text":"y"}}]`, &Change{Kind: KindCreate, ID: "a9", Elem: ElemActor, Props: Props{Set: PropName | PropText, Name: "x", Text: "y"}}, false},
		{"link section", `[{"kind":"create","id":"l9","elem":"link","props":{"from":"a1","to":"a2","section":"enjeux"}}]`, nil, false},

		// assign.
		{"assign without client", asg(`{"group":"g1"}`), &Change{Kind: KindCreate, ID: "as9", Elem: ElemAssign, Props: Props{Set: PropGroup, Group: "g1"}}, true},
		{"assign without group", asg(`{"client":"bob"}`), &Change{Kind: KindCreate, ID: "as9", Elem: ElemAssign, Props: Props{Set: PropClient, Client: "bob"}}, true},
		{"assign without props", `[{"kind":"create","id":"as9","elem":"assign"}]`, &Change{Kind: KindCreate, ID: "as9", Elem: ElemAssign}, true},
		{"assign client empty", asg(`{"client":"","group":"g1"}`), &Change{Kind: KindCreate, ID: "as9", Elem: ElemAssign, Props: Props{Set: PropClient | PropGroup, Group: "g1"}}, true},
		{"assign client not an id", asg(`{"client":"a b","group":"g1"}`), &Change{Kind: KindCreate, ID: "as9", Elem: ElemAssign, Props: Props{Set: PropClient | PropGroup, Client: "a b", Group: "g1"}}, true},
		{"assign client 65", asg(`{"client":"` + long(65) + `","group":"g1"}`), &Change{Kind: KindCreate, ID: "as9", Elem: ElemAssign, Props: Props{Set: PropClient | PropGroup, Client: long(65), Group: "g1"}}, true},
		{"assign client number", asg(`{"client":7,"group":"g1"}`), nil, true},
		{"assign client null", asg(`{"client":null,"group":"g1"}`), nil, true},
		{"assign group not an id", asg(`{"client":"bob","group":"g/1"}`), &Change{Kind: KindCreate, ID: "as9", Elem: ElemAssign, Props: Props{Set: PropClient | PropGroup, Client: "bob", Group: "g/1"}}, true},
		{"assign group bool", asg(`{"client":"bob","group":false}`), nil, true},
		{"assign name empty", asg(`{"client":"bob","group":"g1","name":""}`), &Change{Kind: KindCreate, ID: "as9", Elem: ElemAssign, Props: Props{Set: AssignProps, Client: "bob", Group: "g1"}}, true},
		{"assign name 81", asg(`{"client":"bob","group":"g1","name":"` + long(81) + `"}`), &Change{Kind: KindCreate, ID: "as9", Elem: ElemAssign, Props: Props{Set: AssignProps, Client: "bob", Group: "g1", Name: long(81)}}, true},
		{"assign name 41 emoji", asg(`{"client":"bob","group":"g1","name":"` + emoji(41) + `"}`), &Change{Kind: KindCreate, ID: "as9", Elem: ElemAssign, Props: Props{Set: AssignProps, Client: "bob", Group: "g1", Name: emoji(41)}}, true},
		{"assign kind", asg(`{"client":"bob","group":"g1","kind":"piste"}`), &Change{Kind: KindCreate, ID: "as9", Elem: ElemAssign, Props: Props{Set: PropClient | PropGroup | PropKind, Client: "bob", Group: "g1", Kind: "piste"}}, true},
		{"assign text", asg(`{"client":"bob","group":"g1","text":"x"}`), nil, true},
		{"set client", set("as1", `{"client":"bob"}`), &Change{Kind: KindSet, ID: "as1", Props: Props{Set: PropClient, Client: "bob"}}, true},
		{"set client on a deleted assign", set("as0", `{"client":"bob"}`), &Change{Kind: KindSet, ID: "as0", Props: Props{Set: PropClient, Client: "bob"}}, true},
		{"set group empty", set("as1", `{"group":""}`), &Change{Kind: KindSet, ID: "as1", Props: Props{Set: PropGroup}}, true},
		{"set group not an id", set("as1", `{"group":"g 2"}`), &Change{Kind: KindSet, ID: "as1", Props: Props{Set: PropGroup, Group: "g 2"}}, true},
		{"set name empty", set("as1", `{"name":""}`), &Change{Kind: KindSet, ID: "as1", Props: Props{Set: PropName}}, true},

		// meta: closed.
		{"closed string", meta(`{"closed":"true"}`), nil, false},
		{"closed number", meta(`{"closed":1}`), nil, false},
		{"closed null", meta(`{"closed":null}`), nil, false},

		// meta: the timer.
		{"timerLabel 81", meta(`{"timerLabel":"` + long(81) + `"}`), &Change{Kind: KindMeta, Props: Props{Set: PropTimerLabel, TimerLabel: long(81)}}, true},
		{"timerLabel 41 emoji", meta(`{"timerLabel":"` + emoji(41) + `"}`), &Change{Kind: KindMeta, Props: Props{Set: PropTimerLabel, TimerLabel: emoji(41)}}, true},
		{"timerLabel number", meta(`{"timerLabel":5}`), nil, true},
		{"timerLabel bad utf8", "[{\"kind\":\"meta\",\"props\":{\"timerLabel\":\"\xfe\"}}]", &Change{Kind: KindMeta, Props: Props{Set: PropTimerLabel, TimerLabel: "\xfe"}}, true},
		{"timerDuration negative", meta(`{"timerDuration":-1}`), &Change{Kind: KindMeta, Props: Props{Set: PropTimerDuration, TimerDuration: -1}}, true},
		{"timerDuration over", meta(`{"timerDuration":86400001}`), &Change{Kind: KindMeta, Props: Props{Set: PropTimerDuration, TimerDuration: 86400001}}, true},
		{"timerDuration fraction", meta(`{"timerDuration":1000.5}`), nil, true},
		{"timerDuration tiny fraction", meta(`{"timerDuration":0.001}`), nil, true},
		{"timerDuration huge", meta(`{"timerDuration":1e400}`), nil, true},
		{"timerDuration string", meta(`{"timerDuration":"1000"}`), nil, true},
		{"timerDuration bool", meta(`{"timerDuration":true}`), nil, true},
		{"timerDuration null", meta(`{"timerDuration":null}`), nil, true},
		{"timerDuration object", meta(`{"timerDuration":{}}`), nil, true},
		{"timerRunning number", meta(`{"timerRunning":1}`), nil, true},
		{"timerRunning string", meta(`{"timerRunning":"false"}`), nil, true},
		{"timerRunning null", meta(`{"timerRunning":null}`), nil, true},
		{"timerEndsAt negative", meta(`{"timerEndsAt":-1000}`), &Change{Kind: KindMeta, Props: Props{Set: PropTimerEndsAt, TimerEndsAt: -1000}}, true},
		{"timerEndsAt over", meta(`{"timerEndsAt":100000000000001}`), &Change{Kind: KindMeta, Props: Props{Set: PropTimerEndsAt, TimerEndsAt: MaxEpochMS + 1}}, true},
		{"timerEndsAt 1e15", meta(`{"timerEndsAt":1e15}`), nil, true},
		{"timerEndsAt fraction", meta(`{"timerEndsAt":1760000000000.5}`), nil, true},
		{"timerEndsAt string", meta(`{"timerEndsAt":"1760000000000"}`), nil, true},
		{"timerRemaining negative", meta(`{"timerRemaining":-5}`), &Change{Kind: KindMeta, Props: Props{Set: PropTimerRemaining, TimerRemaining: -5}}, true},
		{"timerRemaining over", meta(`{"timerRemaining":86400000.5}`), &Change{Kind: KindMeta, Props: Props{Set: PropTimerRemaining, TimerRemaining: 86400001}}, true},
		{"timerRemaining 1e8", meta(`{"timerRemaining":1e8}`), nil, true},
		{"timerRemaining array", meta(`{"timerRemaining":[1]}`), nil, true},

		// meta: the focus.
		{"focusBoard not an id", meta(`{"focusBoard":"b 1"}`), &Change{Kind: KindMeta, Props: Props{Set: PropFocusBoard, FocusBoard: "b 1"}}, true},
		{"focusBoard 65", meta(`{"focusBoard":"` + long(65) + `"}`), &Change{Kind: KindMeta, Props: Props{Set: PropFocusBoard, FocusBoard: long(65)}}, true},
		{"focusBoard number", meta(`{"focusBoard":12}`), nil, true},
		{"focusBoard null", meta(`{"focusBoard":null}`), nil, true},
		{"focusSection unknown", meta(`{"focusSection":"budget"}`), &Change{Kind: KindMeta, Props: Props{Set: PropFocusSection, FocusSection: "budget"}}, true},
		{"focusSection case", meta(`{"focusSection":"Carte"}`), &Change{Kind: KindMeta, Props: Props{Set: PropFocusSection, FocusSection: "Carte"}}, true},
		{"focusSection bool", meta(`{"focusSection":false}`), nil, true},
		{"focusAt negative", meta(`{"focusAt":-1}`), &Change{Kind: KindMeta, Props: Props{Set: PropFocusAt, FocusAt: -1}}, true},
		{"focusAt over", meta(`{"focusAt":1.00000000000001e14}`), &Change{Kind: KindMeta, Props: Props{Set: PropFocusAt, FocusAt: MaxEpochMS + 1}}, true},
		{"focusAt fraction", meta(`{"focusAt":0.5}`), nil, true},
		{"focusAt string", meta(`{"focusAt":"now"}`), nil, true},

		// Unknown and misplaced.
		{"meta text", meta(`{"text":"x"}`), &Change{Kind: KindMeta, Props: Props{Set: PropText, Text: "x"}}, true},
		{"meta client", meta(`{"client":"x"}`), &Change{Kind: KindMeta, Props: Props{Set: PropClient, Client: "x"}}, true},
		{"meta group", meta(`{"group":"x"}`), nil, true},
		{"meta timer case", meta(`{"timerlabel":"x"}`), nil, true},
		{"set timer", set("as1", `{"timerRunning":true}`), &Change{Kind: KindSet, ID: "as1", Props: Props{Set: PropTimerRunning, TimerRunning: true}}, true},
		{"set closed", set("ca", `{"closed":true}`), &Change{Kind: KindSet, ID: "ca", Props: Props{Set: PropClosed, Closed: true}}, false},
		{"set focusAt", set("ca", `{"focusAt":1}`), nil, false},
		{"unknown prop bit", "", &Change{Kind: KindMeta, Props: Props{Set: 1 << 31}}, true},
		{"unknown prop bit on a set", "", &Change{Kind: KindSet, ID: "ca", Props: Props{Set: 1 << numProps}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in != "" {
				cs, err := DecodeChanges([]byte(tc.in))
				if got := bdCode(t, err); got != CodeBadProps {
					t.Fatalf("decode: code %q, want bad_props (%v)", got, err)
				}
				if cs != nil || !strings.Contains(err.Error(), "changes[0]") {
					t.Fatalf("decode: %v, %v", cs, err)
				}
			}
			if tc.built == nil {
				return
			}
			b := bdCommentBoard(t)
			if tc.control {
				b = bdControlBoard(t)
			}
			before := bdClone(t, b)
			err := b.ApplyAs([]Change{*tc.built}, RoleFacilitator, "fac")
			if got := bdCode(t, err); got != CodeBadProps {
				t.Fatalf("built: code %q, want bad_props (%v)", got, err)
			}
			if !reflect.DeepEqual(before, b) {
				t.Fatal("refused but changed the board")
			}
		})
	}
}

func TestNewPropsGoodValues(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	for _, in := range []string{
		`[{"kind":"create","id":"c","elem":"comment","props":{"text":"x"}}]`,
		`[{"kind":"create","id":"c","elem":"comment","props":{"text":"` + long(1000) + `","author":"` + long(80) + `","kind":"piste","section":""}}]`,
		`[{"kind":"create","id":"c","elem":"comment","props":{"text":"` + strings.Repeat("🌱", 500) + `","author":""}}]`,
		`[{"kind":"create","id":"c","elem":"comment","props":{"text":"x","section":"carte"}}]`,
		`[{"kind":"create","id":"a","elem":"assign","props":{"client":"0b8f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b90","group":"g_1"}}]`,
		`[{"kind":"create","id":"a","elem":"assign","props":{"client":"c","group":"g","name":"` + strings.Repeat("é", 80) + `"}}]`,
		`[{"kind":"set","id":"x","props":{"text":"y","author":"","section":"calendrier","kind":"commentaire","group":"g2","name":"` + long(200) + `"}}]`,
		`[{"kind":"meta","props":{"closed":false,"locked":false}}]`,
		`[{"kind":"meta","props":{"timerLabel":"","timerDuration":0,"timerRunning":false,"timerEndsAt":0,"timerRemaining":0}}]`,
		`[{"kind":"meta","props":{"timerLabel":"` + long(80) + `","timerDuration":86400000,"timerEndsAt":100000000000000,"timerRemaining":86400000}}]`,
		`[{"kind":"meta","props":{"timerDuration":1e3,"timerEndsAt":1e14,"timerRemaining":2.5e3,"focusAt":-0}}]`,
		`[{"kind":"meta","props":{"focusBoard":"","focusSection":"","focusAt":0}}]`,
		`[{"kind":"meta","props":{"focusBoard":"` + long(64) + `","focusSection":"commentaires","focusAt":1760000000000}}]`,
	} {
		if _, err := DecodeChanges([]byte(in)); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
	for _, s := range CommentSections {
		if _, err := DecodeChanges([]byte(`[{"kind":"create","id":"c","elem":"comment","props":{"text":"x","section":"` + s + `"}}]`)); err != nil {
			t.Errorf("section %q: %v", s, err)
		}
	}
	for _, s := range FocusSections {
		if _, err := DecodeChanges([]byte(`[{"kind":"meta","props":{"focusSection":"` + s + `"}}]`)); err != nil {
			t.Errorf("focus %q: %v", s, err)
		}
	}
	if len(CommentSections) != NumSections+2 || len(FocusSections) != NumSections+3 {
		t.Fatal("section lists")
	}
}

func TestNewPropsWireForm(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		// Props in the fixed order; numbers as integers, no fraction, no exponent.
		{`[{"kind":"create","id":"c1","elem":"comment","props":{"section":"carte","author":"Alice","kind":"piste","text":"l'\"été\"\n🌱"}}]`,
			`[{"kind":"create","id":"c1","elem":"comment","props":{"kind":"piste","text":"l'\"été\"\n🌱","author":"Alice","section":"carte"}}]`},
		{`[{"kind":"create","id":"as1","elem":"assign","props":{"name":"Léa","group":"g2","client":"c1"}}]`,
			`[{"kind":"create","id":"as1","elem":"assign","props":{"name":"Léa","client":"c1","group":"g2"}}]`},
		{`[{"kind":"set","id":"as1","props":{"group":"g3"}}]`, `[{"kind":"set","id":"as1","props":{"group":"g3"}}]`},
		{`[{"kind":"meta","props":{"focusAt":1.7e12,"focusSection":"commentaires","focusBoard":"b1","timerRemaining":600000.0,"timerEndsAt":100000000000000,"timerRunning":true,"timerDuration":1e3,"timerLabel":"Pause ☕","closed":true,"locked":false,"title":"T"}}]`,
			`[{"kind":"meta","props":{"title":"T","locked":false,"closed":true,"timerLabel":"Pause ☕","timerDuration":1000,"timerRunning":true,"timerEndsAt":100000000000000,"timerRemaining":600000,"focusBoard":"b1","focusSection":"commentaires","focusAt":1700000000000}}]`},
		{`[{"kind":"meta","props":{"timerEndsAt":-0,"focusBoard":"","focusSection":""}}]`,
			`[{"kind":"meta","props":{"timerEndsAt":0,"focusBoard":"","focusSection":""}}]`},
	} {
		cs := bdDecode(t, tc.in)
		if got := bdWire(t, cs); got != tc.out {
			t.Errorf("%s\n got %s\nwant %s", tc.in, got, tc.out)
		}
		if again := bdWire(t, bdDecode(t, tc.out)); again != tc.out {
			t.Errorf("round trip of %s gives %s", tc.out, again)
		}
	}
	// Every integer in range round-trips exactly, through JSON numbers as
	// JavaScript reads them too.
	for _, v := range []int64{0, 1, 999, 86400000, 1760000123456, 99999999999999, MaxEpochMS} {
		raw := fmt.Sprintf(`[{"kind":"meta","props":{"timerEndsAt":%d}}]`, v)
		cs := bdDecode(t, raw)
		if cs[0].Props.TimerEndsAt != v || bdWire(t, cs) != raw {
			t.Errorf("%d: %d %s", v, cs[0].Props.TimerEndsAt, bdWire(t, cs))
		}
		var back struct{ Props map[string]float64 }
		if err := json.Unmarshal([]byte(bdWire(t, cs))[1:len(bdWire(t, cs))-1], &back); err != nil || back.Props["timerEndsAt"] != float64(v) {
			t.Errorf("%d: reads back as %v, %v", v, back.Props["timerEndsAt"], err)
		}
	}
}

func TestPropNames(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < numProps; i++ {
		q := Prop(1) << i
		name := q.String()
		if seen[name] || propByName([]byte(name)) != q {
			t.Errorf("prop %d: %q", i, name)
		}
		seen[name] = true
	}
	if numProps != 27 || numProps > 32 {
		t.Fatalf("%d props", numProps)
	}
	if got := Prop(1 << 31).String(); got != "Prop(2147483648)" {
		t.Errorf("unknown prop: %s", got)
	}
	if PropFocusAt.String() != "focusAt" || PropClosed.String() != "closed" || PropText.String() != "text" {
		t.Error("names")
	}
	// Every prop has exactly one place where it may be written, besides
	// kind, name and niveau, which several share.
	for _, set := range []Prop{ActorProps, LinkProps, CommentProps, AssignProps, MetaProps, ControlMetaProps} {
		if set&^(1<<numProps-1) != 0 {
			t.Errorf("set %b names unknown props", set)
		}
	}
	if all := ActorProps | LinkProps | CommentProps | AssignProps | MetaProps | ControlMetaProps; all != 1<<numProps-1 {
		t.Errorf("props nowhere allowed: %b", (1<<numProps-1)&^all)
	}
}

// A board's elements count comments; a control board's count assigns.
func TestCommentsCountTowardsLimits(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("[")
	for i := 0; i < MaxElements-1; i++ {
		fmt.Fprintf(&sb, `{"kind":"create","id":"a%d","elem":"actor","props":{"name":"x"}},`, i)
	}
	sb.WriteString(`{"kind":"create","id":"c0","elem":"comment","props":{"text":"x"}}]`)
	b := New("b", "w", "g", "e")
	bdApplyAs(t, b, sb.String(), RoleParticipant, "alice")
	if len(b.Elements) != MaxElements {
		t.Fatalf("%d elements", len(b.Elements))
	}
	before := bdClone(t, b)
	err := b.ApplyAs(bdDecode(t, `[{"kind":"create","id":"c1","elem":"comment","props":{"text":"x"}}]`), RoleParticipant, "alice")
	if got := bdCode(t, err); got != CodeTooMany {
		t.Fatalf("comment %d: code %q", MaxElements+1, got)
	}
	if !reflect.DeepEqual(before, b) {
		t.Fatal("refused but changed")
	}
	// Deleting one's own comment frees a place.
	bdApplyAs(t, b, `[{"kind":"delete","id":"c0"},{"kind":"create","id":"c1","elem":"comment","props":{"text":"x"}}]`, RoleParticipant, "alice")

	c := NewControl("s", "w", "e")
	sb.Reset()
	sb.WriteString("[")
	for i := 0; i < MaxElements; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"kind":"create","id":"as%d","elem":"assign","props":{"client":"c%d","group":"g"}}`, i, i)
	}
	bdApplyAs(t, c, sb.String()+"]", RoleFacilitator, "fac")
	err = c.Apply(bdDecode(t, `[{"kind":"create","id":"z","elem":"assign","props":{"client":"z","group":"g"}}]`), RoleFacilitator)
	if got := bdCode(t, err); got != CodeTooMany {
		t.Fatalf("assign %d: code %q", MaxElements+1, got)
	}
}

// ApplyEntry records the entry's client as the creator, and a participant's
// later entries may change its own comments only.
func TestApplyEntryRecordsBy(t *testing.T) {
	b := bdTestBoard(t)
	entry := func(client string, seq uint64, changes string) Entry {
		return Entry{V: b.V + 1, Client: client, Seq: seq, Changes: bdDecode(t, changes)}
	}
	if err := b.ApplyEntry(entry("alice", 1, `[{"kind":"create","id":"c1","elem":"comment","props":{"text":"x"}},{"kind":"create","id":"a9","elem":"actor","props":{"name":"x"}}]`), RoleParticipant); err != nil {
		t.Fatal(err)
	}
	if b.Elements["c1"].By != "alice" || b.Elements["a9"].By != "alice" {
		t.Fatalf("by %q %q", b.Elements["c1"].By, b.Elements["a9"].By)
	}
	if got := bdCode(t, b.ApplyEntry(entry("bob", 1, `[{"kind":"set","id":"c1","props":{"text":"y"}}]`), RoleParticipant)); got != CodeForbidden {
		t.Fatalf("bob sets alice's comment: %q", got)
	}
	if b.V != 1 || b.Clients["bob"].Seq != 0 {
		t.Fatalf("refused entry recorded: v%d %v", b.V, b.Clients)
	}
	// Actors are everyone's, comments their author's.
	if err := b.ApplyEntry(entry("bob", 1, `[{"kind":"set","id":"a9","props":{"name":"y"}}]`), RoleParticipant); err != nil {
		t.Fatal(err)
	}
	if err := b.ApplyEntry(entry("alice", 2, `[{"kind":"set","id":"c1","props":{"text":"y"}}]`), RoleParticipant); err != nil {
		t.Fatal(err)
	}
	// Replaying the log as the facilitator gives the same board, By included.
	if b.Elements["c1"].Props.Text != "y" || b.Elements["c1"].By != "alice" || b.Elements["a9"].By != "alice" {
		t.Fatalf("%+v %+v", b.Elements["c1"], b.Elements["a9"])
	}
	r := bdTestBoard(t)
	for _, e := range []Entry{
		{V: 1, Client: "alice", Seq: 1, Changes: bdDecode(t, `[{"kind":"create","id":"c1","elem":"comment","props":{"text":"x"}},{"kind":"create","id":"a9","elem":"actor","props":{"name":"x"}}]`)},
		{V: 2, Client: "bob", Seq: 1, Changes: bdDecode(t, `[{"kind":"set","id":"a9","props":{"name":"y"}}]`)},
		{V: 3, Client: "alice", Seq: 2, Changes: bdDecode(t, `[{"kind":"set","id":"c1","props":{"text":"y"}}]`)},
	} {
		if err := r.ApplyEntry(e, RoleFacilitator); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(r, b) {
		t.Fatal("the replayed board differs")
	}
}

func TestSnapshotJSONControlAndComments(t *testing.T) {
	c := bdControlBoard(t)
	c.V = 3
	bdApplyAs(t, c, `[{"kind":"meta","props":{"focusBoard":"b1","focusSection":"carte","focusAt":1760000000000,"closed":false}}]`, RoleFacilitator, "")
	got, err := json.Marshal(c.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"board":"salle","workshop":"w1","group":"","kind":"control","v":3,"epoch":"ep1",` +
		`"sections":{"etat_des_lieux":{"text":""},"enjeux":{"text":""},"niveau":{"text":""},` +
		`"ecosysteme":{"text":""},"animation":{"text":""},"financement":{"text":""},"calendrier":{"text":""}},` +
		`"meta":{"title":"Atelier coopération","closed":false,"timerLabel":"Travail en sous-groupes","timerDuration":2700000,"timerRunning":false,"timerRemaining":2700000,"focusBoard":"b1","focusSection":"carte","focusAt":1760000000000},` +
		`"elements":{"as1":{"elem":"assign","by":"fac","props":{"name":"Alice","client":"alice","group":"g1"}}}}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	empty, _ := json.Marshal(NewControl("s", "w", "e").Snapshot())
	if want := `{"board":"s","workshop":"w","group":"","kind":"control","v":0,"epoch":"e","sections":{"etat_des_lieux":{"text":""},"enjeux":{"text":""},"niveau":{"text":""},"ecosysteme":{"text":""},"animation":{"text":""},"financement":{"text":""},"calendrier":{"text":""}},"meta":{},"elements":{}}`; string(empty) != want {
		t.Fatalf("empty control board: %s", empty)
	}

	b := New("b1", "w1", "g1", "ep1")
	bdApplyAs(t, b, `[{"kind":"create","id":"a1","elem":"actor","props":{"name":"Mairie"}}]`, RoleFacilitator, "")
	bdApplyAs(t, b, `[{"kind":"create","id":"c1","elem":"comment","props":{"text":"Et la \"CAF\" ?","author":"Léa","kind":"piste","section":"carte"}},{"kind":"create","id":"c2","elem":"comment","props":{"text":"Bravo"}}]`, RoleParticipant, "0b8f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b90")
	got, _ = json.Marshal(b.Snapshot())
	want = `{"board":"b1","workshop":"w1","group":"g1","v":0,"epoch":"ep1",` +
		`"sections":{"etat_des_lieux":{"text":""},"enjeux":{"text":""},"niveau":{"text":""},` +
		`"ecosysteme":{"text":""},"animation":{"text":""},"financement":{"text":""},"calendrier":{"text":""}},` +
		`"meta":{},"elements":{"a1":{"elem":"actor","props":{"name":"Mairie","kind":"autre","ring":"proche"}},` +
		`"c1":{"elem":"comment","by":"0b8f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b90","props":{"kind":"piste","text":"Et la \"CAF\" ?","author":"Léa","section":"carte"}},` +
		`"c2":{"elem":"comment","by":"0b8f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b90","props":{"kind":"commentaire","text":"Bravo"}}}}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// A protocol snapshot of either kind loads back, By and Kind included.
	for _, bd := range []*Board{b, c} {
		data, _ := json.Marshal(bd.Snapshot())
		back, err := UnmarshalState(data)
		if err != nil {
			t.Fatal(err)
		}
		if back.Kind != bd.Kind || !reflect.DeepEqual(back.Elements, bd.Elements) || back.Meta != bd.Meta {
			t.Fatalf("snapshot of %s loads differently", bd.ID)
		}
	}
}

func TestStateRoundTripByAndKind(t *testing.T) {
	b := bdCommentBoard(t)
	bdApplyAs(t, b, `[{"kind":"meta","props":{"locked":true,"closed":true}}]`, RoleFacilitator, "fac")
	c := bdControlBoard(t)
	bdApplyAs(t, c, `[{"kind":"meta","props":{"timerRunning":true,"timerEndsAt":1760000600000,"focusBoard":"b1","focusSection":"","focusAt":1760000000000,"locked":true}}]`, RoleFacilitator, "fac")
	if err := c.ApplyEntry(Entry{V: 1, Client: "fac", Seq: 1}, RoleFacilitator); err != nil {
		t.Fatal(err)
	}
	for _, bd := range []*Board{b, c} {
		data, err := bd.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalState(data)
		if err != nil {
			t.Fatalf("%v\n%s", err, data)
		}
		if !reflect.DeepEqual(bd, back) {
			t.Fatalf("reloaded board differs:\n%+v\n%+v", bd, back)
		}
		again, _ := back.MarshalState()
		if string(again) != string(data) {
			t.Fatalf("state not stable:\n%s\n%s", data, again)
		}
	}
	data, _ := b.MarshalState()
	for _, want := range []string{`"ca":{"elem":"comment","by":"alice","props":{"kind":"piste","text":"Et la Région ?","author":"Alice","section":"financement"}}`, `"cd":"comment"`, `"meta":{"title":"Tiers-lieu","locked":true,"closed":true}`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("state lacks %s:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), `"kind":"control"`) || strings.Contains(string(data), `"a1":{"elem":"actor","by"`) {
		t.Errorf("group board state: %s", data)
	}
	data, _ = c.MarshalState()
	for _, want := range []string{`"group":"","kind":"control","v":1`, `"as0":"assign"`, `"clients":{"fac":{"seq":1,"v":1}}`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("control state lacks %s:\n%s", want, data)
		}
	}
	// The reloaded boards behave the same.
	cb, _ := UnmarshalState(data)
	if got := bdCode(t, cb.ApplyAs(bdDecode(t, `[]`), RoleParticipant, "alice")); got != CodeForbidden {
		t.Fatalf("participant on the reloaded control board: %q", got)
	}
	gb, _ := UnmarshalState(func() []byte { d, _ := bdCommentBoard(t).MarshalState(); return d }())
	if got := bdCode(t, gb.ApplyAs(bdDecode(t, `[{"kind":"delete","id":"ca"}]`), RoleParticipant, "bob")); got != CodeForbidden {
		t.Fatalf("bob deletes alice's reloaded comment: %q", got)
	}
	if err := gb.ApplyAs(bdDecode(t, `[{"kind":"delete","id":"ca"}]`), RoleParticipant, "alice"); err != nil {
		t.Fatal(err)
	}
}

func TestUnmarshalStateRefusesBadFacilitationState(t *testing.T) {
	group, _ := bdCommentBoard(t).MarshalState()
	control, _ := bdControlBoard(t).MarshalState()
	for _, tc := range []struct {
		name     string
		state    []byte
		old, new string
	}{
		{"unknown kind", control, `"kind":"control"`, `"kind":"salle"`},
		{"comment without text", group, `"text":"Bravo 🌱",`, ``},
		{"comment with empty text", group, `"text":"Bravo 🌱"`, `"text":""`},
		{"comment with a bad kind", group, `"kind":"piste"`, `"kind":"autre"`},
		{"comment with an actor prop", group, `"author":"Bob"`, `"author":"Bob","ring":"coeur"`},
		{"assign on a group board", group, `"elem":"comment","by":"bob","props":{"kind":"commentaire","text":"Bravo 🌱","author":"Bob"}`, `"elem":"assign","props":{"client":"bob","group":"g1"}`},
		{"assign tombstone on a group board", group, `"cd":"comment"`, `"cd":"assign"`},
		{"unknown tombstone", group, `"cd":"comment"`, `"cd":"note"`},
		{"timer on a group board", group, `"title":"Tiers-lieu"`, `"title":"Tiers-lieu","timerRunning":true`},
		{"bad timer", control, `"timerDuration":2700000`, `"timerDuration":2700000.5`},
		{"niveau on the control board", control, `"title":"Atelier coopération"`, `"title":"Atelier coopération","niveau":"faire_avec"`},
		{"done on the control board", control, `"title":"Atelier coopération"`, `"title":"Atelier coopération","done":true`},
		{"text on the control board", control, `"enjeux":{"text":""}`, `"enjeux":{"text":"x"}`},
		{"actor on the control board", control, `"elem":"assign","by":"fac","props":{"name":"Alice","client":"alice","group":"g1"}`, `"elem":"actor","props":{"name":"Alice","kind":"autre","ring":"proche"}`},
		{"comment tombstone on the control board", control, `"as0":"assign"`, `"as0":"comment"`},
		{"assign without group", control, `,"group":"g1"}`, `}`},
		{"assign with a bad client", control, `"client":"alice"`, `"client":"a lice"`},
	} {
		data := strings.Replace(string(tc.state), tc.old, tc.new, 1)
		if data == string(tc.state) {
			t.Fatalf("%s: %q not in the state %s", tc.name, tc.old, tc.state)
		}
		if _, err := UnmarshalState([]byte(data)); err == nil {
			t.Errorf("%s: loaded", tc.name)
		} else if got := bdCode(t, err); got != CodeBadState {
			t.Errorf("%s: code %q", tc.name, got)
		}
	}
}

// The new changes are last writer wins and pass TransformChanges untouched.
func TestTransformChangesPassesNewChanges(t *testing.T) {
	sub := bdDecode(t, `[
		{"kind":"create","id":"c9","elem":"comment","props":{"text":"x","kind":"piste","section":"carte","author":"A"}},
		{"kind":"text","section":"enjeux","op":[1,"S"]},
		{"kind":"set","id":"ca","props":{"text":"y","section":""}},
		{"kind":"delete","id":"cb"},
		{"kind":"meta","props":{"closed":true,"timerLabel":"Restitution","timerDuration":600000,"timerRunning":true,"timerEndsAt":1760000600000,"timerRemaining":600000,"focusBoard":"b1","focusSection":"commentaires","focusAt":1760000000000}},
		{"kind":"create","id":"as9","elem":"assign","props":{"client":"c1","group":"g1","name":"N"}},
		{"kind":"set","id":"as9","props":{"group":"g2"}}]`)
	committed := bdDecode(t, `[
		{"kind":"text","section":"enjeux","op":["Z"]},
		{"kind":"delete","id":"ca"},
		{"kind":"create","id":"c8","elem":"comment","props":{"text":"z"}},
		{"kind":"meta","props":{"timerRunning":false,"focusBoard":""}}]`)
	before, beforeC := bdWire(t, sub), bdWire(t, committed)
	out := TransformChanges(sub, committed)
	if bdWire(t, sub) != before || bdWire(t, committed) != beforeC {
		t.Fatal("TransformChanges modified its inputs")
	}
	if len(out) != len(sub) {
		t.Fatalf("%d changes out of %d", len(out), len(sub))
	}
	for i := range sub {
		if sub[i].Kind == KindText {
			if got := bdWire(t, out[i:i+1]); got != `[{"kind":"text","section":"enjeux","op":[2,"S"]}]` {
				t.Fatalf("text: %s", got)
			}
			continue
		}
		if !reflect.DeepEqual(out[i], sub[i]) {
			t.Errorf("change %d: %s became %s", i, bdWire(t, sub[i:i+1]), bdWire(t, out[i:i+1]))
		}
	}
	// On the board, a set of a comment deleted meanwhile is a no-op.
	b := bdCommentBoard(t)
	bdApplyAs(t, b, `[{"kind":"delete","id":"ca"}]`, RoleFacilitator, "fac")
	moved := TransformChanges(bdDecode(t, `[{"kind":"set","id":"ca","props":{"text":"y"}}]`), bdDecode(t, `[{"kind":"delete","id":"ca"}]`))
	bdMustApplyChanges(t, b, moved, RoleFacilitator)
	if err := b.ApplyAs(moved, RoleParticipant, "alice"); err != nil {
		t.Fatal(err)
	}
	bdDead(t, b, "ca", ElemComment)
}
