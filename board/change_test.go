package board

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// Test helpers of this package's board side are prefixed bd, those of the
// text side tx, so that the two files never collide.

// bdCode returns the code of err ("" for nil), failing on a non-*Error.
func bdCode(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Message == "" {
		t.Errorf("error with code %s has no message", e.Code)
	}
	return e.Code
}

func bdDecode(t testing.TB, s string) []Change {
	t.Helper()
	cs, err := DecodeChanges([]byte(s))
	if err != nil {
		t.Fatalf("DecodeChanges(%s): %v", s, err)
	}
	return cs
}

func bdWire(t testing.TB, cs []Change) string {
	t.Helper()
	// Not json.Marshal: it would escape <, > and & in what MarshalJSON wrote.
	b, err := AppendChanges(nil, cs)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func TestDecodeChangesErrors(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	emoji := func(n int) string { return strings.Repeat("🌱", n) }
	for _, tc := range []struct {
		name, in, code string
	}{
		// The array itself.
		{"not json", `[{"kind":`, CodeBadJSON},
		{"garbage", `hello`, CodeBadJSON},
		{"empty input", ``, CodeBadJSON},
		{"object", `{"kind":"meta","props":{}}`, CodeBadMessage},
		{"null", `null`, CodeBadMessage},
		{"string", `"[]"`, CodeBadMessage},
		{"empty array", `[]`, ""},
		{"spaces", " \n[ ] \t", ""},
		{"item not an object", `[1]`, CodeBadChange},
		{"item null", `[null]`, CodeBadChange},
		{"item array", `[[]]`, CodeBadChange},

		// kind.
		{"no kind", `[{}]`, CodeBadChange},
		{"kind not a string", `[{"kind":5}]`, CodeBadChange},
		{"kind null", `[{"kind":null,"id":"a"}]`, CodeBadChange},
		{"unknown kind", `[{"kind":"move","id":"a"}]`, CodeBadChange},
		{"kind is case sensitive", `[{"kind":"Delete","id":"a"}]`, CodeBadChange},
		{"key is case sensitive", `[{"Kind":"delete","id":"a"}]`, CodeBadChange},
		{"escaped key", `[{"k\u0069nd":"delete","id":"a"}]`, ""},
		{"unknown fields ignored", `[{"kind":"delete","id":"a","extra":{"x":[1,{"y":"]"}]},"n":null}]`, ""},
		{"fields of other kinds ignored", `[{"kind":"delete","id":"a","props":{"bogus":1},"op":"x","section":"nope"}]`, ""},

		// text.
		{"text ok", `[{"kind":"text","section":"enjeux","op":[3,"x",{"d":2}]}]`, ""},
		{"text empty op", `[{"kind":"text","section":"enjeux","op":[]}]`, ""},
		{"text no section", `[{"kind":"text","op":["x"]}]`, CodeBadChange},
		{"text section null", `[{"kind":"text","section":null,"op":["x"]}]`, CodeBadChange},
		{"text section number", `[{"kind":"text","section":1,"op":["x"]}]`, CodeBadChange},
		{"text unknown section", `[{"kind":"text","section":"budget","op":["x"]}]`, CodeBadSection},
		{"text no op", `[{"kind":"text","section":"enjeux"}]`, CodeBadChange},
		{"text op null", `[{"kind":"text","section":"enjeux","op":null}]`, CodeBadChange},
		{"text op object", `[{"kind":"text","section":"enjeux","op":{"d":1}}]`, CodeBadOp},
		{"text op negative", `[{"kind":"text","section":"enjeux","op":[-1]}]`, CodeBadOp},
		{"text op fraction", `[{"kind":"text","section":"enjeux","op":[1.5]}]`, CodeBadOp},
		{"text op bad delete", `[{"kind":"text","section":"enjeux","op":[{"d":1,"x":2}]}]`, CodeBadOp},
		{"text op lone surrogate", `[{"kind":"text","section":"enjeux","op":["\ud83c"]}]`, CodeBadOp},
		{"text op null comp", `[{"kind":"text","section":"enjeux","op":[null]}]`, CodeBadOp},

		// ids.
		{"create no id", `[{"kind":"create","elem":"actor","props":{"name":"A"}}]`, CodeBadChange},
		{"create empty id", `[{"kind":"create","id":"","elem":"actor","props":{"name":"A"}}]`, CodeBadChange},
		{"create id number", `[{"kind":"create","id":7,"elem":"actor","props":{"name":"A"}}]`, CodeBadChange},
		{"create id too long", `[{"kind":"create","id":"` + long(65) + `","elem":"actor","props":{"name":"A"}}]`, CodeBadChange},
		{"create id 64", `[{"kind":"create","id":"` + long(64) + `","elem":"actor","props":{"name":"A"}}]`, ""},
		{"create id uuid", `[{"kind":"create","id":"0b8f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b90","elem":"actor","props":{"name":"A"}}]`, ""},
		{"create id with space", `[{"kind":"create","id":"a b","elem":"actor","props":{"name":"A"}}]`, CodeBadChange},
		{"create id with slash", `[{"kind":"create","id":"a/b","elem":"actor","props":{"name":"A"}}]`, CodeBadChange},
		{"set no id", `[{"kind":"set","props":{}}]`, CodeBadChange},
		{"delete no id", `[{"kind":"delete"}]`, CodeBadChange},
		{"delete id null", `[{"kind":"delete","id":null}]`, CodeBadChange},

		// elem.
		{"create no elem", `[{"kind":"create","id":"a","props":{"name":"A"}}]`, CodeBadChange},
		{"create elem number", `[{"kind":"create","id":"a","elem":1,"props":{"name":"A"}}]`, CodeBadChange},
		{"create unknown elem", `[{"kind":"create","id":"a","elem":"postit","props":{"name":"A"}}]`, CodeBadElem},

		// actor props.
		{"actor full", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","kind":"reseau","ring":"coeur","x":-100000,"y":1.25,"note":""}}]`, ""},
		{"actor no props", `[{"kind":"create","id":"a","elem":"actor"}]`, CodeBadProps},
		{"actor props null", `[{"kind":"create","id":"a","elem":"actor","props":null}]`, CodeBadProps},
		{"actor props array", `[{"kind":"create","id":"a","elem":"actor","props":["name"]}]`, CodeBadProps},
		{"actor props string", `[{"kind":"create","id":"a","elem":"actor","props":"name"}]`, CodeBadProps},
		{"actor no name", `[{"kind":"create","id":"a","elem":"actor","props":{"kind":"autre"}}]`, CodeBadProps},
		{"actor empty name", `[{"kind":"create","id":"a","elem":"actor","props":{"name":""}}]`, CodeBadProps},
		{"actor name null", `[{"kind":"create","id":"a","elem":"actor","props":{"name":null}}]`, CodeBadProps},
		{"actor name number", `[{"kind":"create","id":"a","elem":"actor","props":{"name":5}}]`, CodeBadProps},
		{"actor name 200", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"` + long(200) + `"}}]`, ""},
		{"actor name 201", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"` + long(201) + `"}}]`, CodeBadProps},
		{"actor name 100 emoji", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"` + emoji(100) + `"}}]`, ""},
		{"actor name 101 emoji", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"` + emoji(101) + `"}}]`, CodeBadProps},
		{"actor name 200 é", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"` + strings.Repeat("é", 200) + `"}}]`, ""},
		{"actor name lone high", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"x\ud83c"}}]`, CodeBadProps},
		{"actor name lone low", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"\udf31x"}}]`, CodeBadProps},
		{"actor name reversed pair", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"\udf31\ud83c"}}]`, CodeBadProps},
		{"actor name escaped pair", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"\ud83c\udf31"}}]`, ""},
		{"actor name bad utf8", "[{\"kind\":\"create\",\"id\":\"a\",\"elem\":\"actor\",\"props\":{\"name\":\"\xff\"}}]", CodeBadProps},
		{"actor unknown kind", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","kind":"ong"}}]`, CodeBadProps},
		{"actor link kind", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","kind":"tension"}}]`, CodeBadProps},
		{"actor bad ring", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","ring":"loin"}}]`, CodeBadProps},
		{"actor ring number", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","ring":1}}]`, CodeBadProps},
		{"actor x string", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","x":"1"}}]`, CodeBadProps},
		{"actor x bool", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","x":true}}]`, CodeBadProps},
		{"actor x null", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","x":null}}]`, CodeBadProps},
		{"actor x over", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","x":100000.5}}]`, CodeBadProps},
		{"actor y under", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","y":-100001}}]`, CodeBadProps},
		{"actor x 1e5", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","x":1e5}}]`, ""},
		{"actor x huge", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","x":1e400}}]`, CodeBadProps},
		{"actor x object", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","x":{}}}]`, CodeBadProps},
		{"actor note 2000", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","note":"` + long(2000) + `"}}]`, ""},
		{"actor note 2001", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","note":"` + long(2001) + `"}}]`, CodeBadProps},
		{"actor unknown prop", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","color":"red"}}]`, CodeBadProps},
		{"actor prop case", `[{"kind":"create","id":"a","elem":"actor","props":{"Name":"A"}}]`, CodeBadProps},
		{"actor label", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","label":"x"}}]`, CodeBadProps},
		{"actor from", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","from":"b"}}]`, CodeBadProps},
		{"actor title", `[{"kind":"create","id":"a","elem":"actor","props":{"name":"A","title":"b"}}]`, CodeBadProps},

		// link props.
		{"link full", `[{"kind":"create","id":"l","elem":"link","props":{"from":"a","to":"b","kind":"tension","niveau":"faire_corps","label":"x"}}]`, ""},
		{"link no props", `[{"kind":"create","id":"l","elem":"link"}]`, CodeBadProps},
		{"link no to", `[{"kind":"create","id":"l","elem":"link","props":{"from":"a"}}]`, CodeBadProps},
		{"link no from", `[{"kind":"create","id":"l","elem":"link","props":{"to":"a"}}]`, CodeBadProps},
		{"link from number", `[{"kind":"create","id":"l","elem":"link","props":{"from":1,"to":"b"}}]`, CodeBadProps},
		{"link to empty", `[{"kind":"create","id":"l","elem":"link","props":{"from":"a","to":""}}]`, CodeBadProps},
		{"link to null", `[{"kind":"create","id":"l","elem":"link","props":{"from":"a","to":null}}]`, CodeBadProps},
		{"link actor kind", `[{"kind":"create","id":"l","elem":"link","props":{"from":"a","to":"b","kind":"financeur"}}]`, CodeBadProps},
		{"link bad niveau", `[{"kind":"create","id":"l","elem":"link","props":{"from":"a","to":"b","niveau":"faire"}}]`, CodeBadProps},
		{"link label 201", `[{"kind":"create","id":"l","elem":"link","props":{"from":"a","to":"b","label":"` + long(201) + `"}}]`, CodeBadProps},
		{"link ring", `[{"kind":"create","id":"l","elem":"link","props":{"from":"a","to":"b","ring":"coeur"}}]`, CodeBadProps},
		{"link name", `[{"kind":"create","id":"l","elem":"link","props":{"from":"a","to":"b","name":"x"}}]`, CodeBadProps},

		// set.
		{"set empty", `[{"kind":"set","id":"a","props":{}}]`, ""},
		{"set no props", `[{"kind":"set","id":"a"}]`, CodeBadChange},
		{"set props null", `[{"kind":"set","id":"a","props":null}]`, CodeBadProps},
		{"meta props null", `[{"kind":"meta","props":null}]`, CodeBadProps},
		{"set props array", `[{"kind":"set","id":"a","props":[]}]`, CodeBadProps},
		{"set from", `[{"kind":"set","id":"l","props":{"from":"a"}}]`, CodeBadProps},
		{"set to", `[{"kind":"set","id":"l","props":{"to":"a"}}]`, CodeBadProps},
		{"set empty name", `[{"kind":"set","id":"a","props":{"name":""}}]`, CodeBadProps},
		{"set null", `[{"kind":"set","id":"a","props":{"note":null}}]`, CodeBadProps},
		{"set unknown", `[{"kind":"set","id":"a","props":{"size":3}}]`, CodeBadProps},
		{"set meta prop", `[{"kind":"set","id":"a","props":{"done":true}}]`, CodeBadProps},
		{"set unknown kind", `[{"kind":"set","id":"a","props":{"kind":"ong"}}]`, CodeBadProps},
		{"set link kind", `[{"kind":"set","id":"a","props":{"kind":"moyens"}}]`, ""},
		{"set actor kind", `[{"kind":"set","id":"a","props":{"kind":"habitants"}}]`, ""},
		{"set x over", `[{"kind":"set","id":"a","props":{"x":-1e6}}]`, CodeBadProps},

		// meta.
		{"meta all", `[{"kind":"meta","props":{"niveau":"faire_avec","title":"Tiers-lieu","done":false,"locked":true}}]`, ""},
		{"meta empty", `[{"kind":"meta","props":{}}]`, ""},
		{"meta no props", `[{"kind":"meta"}]`, CodeBadChange},
		{"meta bad niveau", `[{"kind":"meta","props":{"niveau":"economique"}}]`, CodeBadProps},
		{"meta niveau null", `[{"kind":"meta","props":{"niveau":null}}]`, CodeBadProps},
		{"meta title 201", `[{"kind":"meta","props":{"title":"` + long(201) + `"}}]`, CodeBadProps},
		{"meta done string", `[{"kind":"meta","props":{"done":"true"}}]`, CodeBadProps},
		{"meta locked number", `[{"kind":"meta","props":{"locked":1}}]`, CodeBadProps},
		{"meta name", `[{"kind":"meta","props":{"name":"x"}}]`, CodeBadProps},
		{"meta unknown", `[{"kind":"meta","props":{"theme":"dark"}}]`, CodeBadProps},

		// Every change is checked, not only the first.
		{"second bad", `[{"kind":"delete","id":"a"},{"kind":"delete","id":""}]`, CodeBadChange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := DecodeChanges([]byte(tc.in))
			if got := bdCode(t, err); got != tc.code {
				t.Fatalf("code %q, want %q (err %v)", got, tc.code, err)
			}
			if err != nil && cs != nil {
				t.Errorf("changes returned with an error")
			}
		})
	}
}

func TestDecodeChangesTooMany(t *testing.T) {
	item := `{"kind":"delete","id":"a"}`
	many := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]" }
	if cs, err := DecodeChanges([]byte(many(MaxChanges))); err != nil || len(cs) != MaxChanges {
		t.Fatalf("%d changes: %d, %v", MaxChanges, len(cs), err)
	}
	_, err := DecodeChanges([]byte(many(MaxChanges + 1)))
	if got := bdCode(t, err); got != CodeTooMany {
		t.Fatalf("code %q, want too_many", got)
	}
}

func TestDecodeChangesErrorNamesTheChange(t *testing.T) {
	_, err := DecodeChanges([]byte(`[{"kind":"meta","props":{}},{"kind":"meta","props":{"x":1}}]`))
	if err == nil || !strings.Contains(err.Error(), "changes[1]") {
		t.Fatalf("error %v does not name changes[1]", err)
	}
}

func TestChangeWireForm(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		// Text ops come out canonical.
		{`[{"kind":"text","section":"enjeux","op":[0,2,1,"a","",{"d":0},"b",{"d":1},{"d":2},4]}]`,
			`[{"kind":"text","section":"enjeux","op":[3,"ab",{"d":3}]}]`},
		{`[{"kind":"text","section":"niveau","op":[5]}]`, `[{"kind":"text","section":"niveau","op":[]}]`},
		// Props as submitted: only those given, no defaults.
		{`[{"kind":"create","id":"a1","elem":"actor","props":{"name":"Mairie"},"extra":1}]`,
			`[{"kind":"create","id":"a1","elem":"actor","props":{"name":"Mairie"}}]`},
		{`[{"props":{"to":"b","from":"a"},"elem":"link","id":"l","kind":"create"}]`,
			`[{"kind":"create","id":"l","elem":"link","props":{"from":"a","to":"b"}}]`},
		{`[{"kind":"set","id":"a1","props":{"x":1.50,"y":-2e2,"note":"l'\"été\"\n🌱 <b>&</b>"}}]`,
			`[{"kind":"set","id":"a1","props":{"x":1.5,"y":-200,"note":"l'\"été\"\n🌱 <b>&</b>"}}]`},
		{`[{"kind":"set","id":"a1","props":{"x":0.0000001,"y":-0}}]`,
			`[{"kind":"set","id":"a1","props":{"x":1e-7,"y":0}}]`},
		{`[{"kind":"set","id":"a1","props":{}}]`, `[{"kind":"set","id":"a1","props":{}}]`},
		{`[{"kind":"delete","id":"a1","props":{"name":"x"}}]`, `[{"kind":"delete","id":"a1"}]`},
		{`[{"kind":"meta","props":{"locked":false,"done":true,"niveau":"faire_corps","title":"T"}}]`,
			`[{"kind":"meta","props":{"niveau":"faire_corps","title":"T","done":true,"locked":false}}]`},
		{`[{"kind":"meta","props":{"title":"\u2028\u0001\ud83c\udf31"}}]`,
			`[{"kind":"meta","props":{"title":"\u2028\u0001🌱"}}]`},
	} {
		cs := bdDecode(t, tc.in)
		if got := bdWire(t, cs); got != tc.out {
			t.Errorf("%s\n got %s\nwant %s", tc.in, got, tc.out)
		}
		// The wire form decodes back to the same changes.
		again := bdDecode(t, tc.out)
		if got := bdWire(t, again); got != tc.out {
			t.Errorf("round trip of %s gives %s", tc.out, got)
		}
		buf, err := AppendChanges(nil, cs)
		if err != nil || string(buf) != tc.out {
			t.Errorf("AppendChanges: %s, %v", buf, err)
		}
	}
}

func TestChangeUnmarshalJSON(t *testing.T) {
	var e Entry
	err := json.Unmarshal([]byte(`{"v":3,"client":"c1","seq":2,"changes":[{"kind":"meta","props":{"done":true}}]}`), &e)
	if err != nil {
		t.Fatal(err)
	}
	if e.V != 3 || e.Client != "c1" || e.Seq != 2 || len(e.Changes) != 1 || !e.Changes[0].Props.Done {
		t.Fatalf("entry %+v", e)
	}
	err = json.Unmarshal([]byte(`{"v":3,"changes":[{"kind":"meta","props":{"done":1}}]}`), &e)
	if got := bdCode(t, err); got != CodeBadProps {
		t.Fatalf("code %q, want bad_props", got)
	}
	b, err := json.Marshal(Entry{V: 1, Client: "c", Seq: 1, Changes: bdDecode(t, `[{"kind":"delete","id":"x"}]`)})
	if err != nil || string(b) != `{"v":1,"client":"c","seq":1,"changes":[{"kind":"delete","id":"x"}]}` {
		t.Fatalf("%s %v", b, err)
	}
}

func TestChangeMarshalUnknownKind(t *testing.T) {
	if _, err := json.Marshal(Change{Kind: "nope"}); err == nil {
		t.Fatal("marshalled a change of unknown kind")
	}
	// A text change built in code with a nil op still writes an array.
	b, err := json.Marshal(Change{Kind: KindText, Section: "enjeux"})
	if err != nil || string(b) != `{"kind":"text","section":"enjeux","op":[]}` {
		t.Fatalf("%s %v", b, err)
	}
}

func TestTransformChangesBasics(t *testing.T) {
	sub := bdDecode(t, `[
		{"kind":"text","section":"enjeux","op":[1,"S"]},
		{"kind":"set","id":"a","props":{"x":1}},
		{"kind":"text","section":"niveau","op":["n"]},
		{"kind":"text","section":"enjeux","op":[2,"T"]}]`)
	committed := bdDecode(t, `[
		{"kind":"text","section":"enjeux","op":[1,"C"]},
		{"kind":"delete","id":"a"},
		{"kind":"text","section":"enjeux","op":["Z"]}]`)
	before := bdWire(t, sub)
	beforeC := bdWire(t, committed)
	got := bdWire(t, TransformChanges(sub, committed))
	// Doc "ab": committed gives "ZaCb"; sub's S goes after the committed C
	// at the same place, then T after S.
	want := `[{"kind":"text","section":"enjeux","op":[3,"S"]},{"kind":"set","id":"a","props":{"x":1}},{"kind":"text","section":"niveau","op":["n"]},{"kind":"text","section":"enjeux","op":[4,"T"]}]`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if bdWire(t, sub) != before || bdWire(t, committed) != beforeC {
		t.Fatal("TransformChanges modified its inputs")
	}
	b := New("b", "w", "g", "e")
	if err := b.Apply(bdDecode(t, `[{"kind":"text","section":"enjeux","op":["ab"]}]`), RoleParticipant); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(committed[0:1], RoleParticipant); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(committed[2:3], RoleParticipant); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(bdTextOnly(TransformChanges(sub, committed)), RoleParticipant); err != nil {
		t.Fatal(err)
	}
	if b.Texts[1] != "ZaCSTb" || b.Texts[2] != "n" {
		t.Fatalf("texts %q %q", b.Texts[1], b.Texts[2])
	}
}

// A retain past the end of the text, even a trailing one that
// normalisation drops, makes an op that does not fit, also after transform.
func TestTrailingRetainPastEnd(t *testing.T) {
	b := New("b", "w", "g", "e")
	bdMustApply(t, b, `[{"kind":"text","section":"enjeux","op":["abc"]}]`, RoleParticipant)
	for _, op := range []string{`[4]`, `[1,"x",3]`, `[{"d":1},3]`} {
		err := b.Apply(bdDecode(t, `[{"kind":"text","section":"enjeux","op":`+op+`}]`), RoleParticipant)
		if got := bdCode(t, err); got != CodeBadOp {
			t.Errorf("op %s: code %q, want bad_op", op, got)
		}
	}
	bdMustApply(t, b, `[{"kind":"text","section":"enjeux","op":[3]}]`, RoleParticipant)
	// Submitted on "abc" concurrently with a committed delete of "ab".
	committed := bdDecode(t, `[{"kind":"text","section":"enjeux","op":[{"d":2}]}]`)
	bdMustApplyChanges(t, b, committed, RoleParticipant)
	fits := TransformChanges(bdDecode(t, `[{"kind":"text","section":"enjeux","op":[3,"!"]}]`), committed)
	bdMustApplyChanges(t, b, fits, RoleParticipant)
	if b.Texts[1] != "c!" {
		t.Fatalf("text %q", b.Texts[1])
	}
	tooLong := TransformChanges(bdDecode(t, `[{"kind":"text","section":"enjeux","op":[4]}]`), committed)
	b2 := New("b", "w", "g", "e")
	bdMustApply(t, b2, `[{"kind":"text","section":"enjeux","op":["c"]}]`, RoleParticipant)
	if got := bdCode(t, b2.Apply(tooLong, RoleParticipant)); got != CodeBadOp {
		t.Fatalf("transformed op past the end: code %q, want bad_op", got)
	}
}

func bdTextOnly(cs []Change) []Change {
	var out []Change
	for _, c := range cs {
		if c.Kind == KindText {
			out = append(out, c)
		}
	}
	return out
}

// bdRandText returns a short text of ASCII, accented letters and emoji.
func bdRandText(r *rand.Rand, n int) string {
	atoms := []string{"a", "b", "é", "🌱", " ", "\n", "ß", "👩‍🌾"}
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteString(atoms[r.Intn(len(atoms))])
	}
	return sb.String()
}

// bdBoundaries lists the UTF-16 offsets of doc that do not split a pair.
func bdBoundaries(doc string) []int {
	out := []int{0}
	n := 0
	for _, r := range doc {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
		out = append(out, n)
	}
	return out
}

// bdRandOp returns a random op that fits doc, not normalised.
func bdRandOp(r *rand.Rand, doc string) TextOp {
	bounds := bdBoundaries(doc)
	var op TextOp
	pos := 0 // index in bounds
	for pos < len(bounds)-1 && r.Intn(4) != 0 {
		next := pos + r.Intn(len(bounds)-pos)
		n := bounds[next] - bounds[pos]
		switch r.Intn(3) {
		case 0:
			op = append(op, Comp{Retain: n})
		case 1:
			op = append(op, Comp{Delete: n})
		default:
			op = append(op, Comp{Retain: n}, Comp{Insert: bdRandText(r, 1+r.Intn(3))})
		}
		pos = next
	}
	if r.Intn(2) == 0 {
		op = append(op, Comp{Insert: bdRandText(r, 1+r.Intn(3))})
	}
	if r.Intn(3) == 0 {
		op = append(op, Comp{Retain: bounds[len(bounds)-1] - bounds[pos]})
	}
	return op
}

// bdRandChanges returns a random valid submit for b: text changes (several
// per section, each on the text the previous ones left) mixed with sets,
// creates and deletes.
func bdRandChanges(r *rand.Rand, b *Board, tag string) []Change {
	texts := b.Texts
	var cs []Change
	ids := make([]string, 0, len(b.Elements))
	for id, e := range b.Elements {
		if e.Elem == ElemActor {
			ids = append(ids, id)
		}
	}
	for i, n := 0, r.Intn(6); i < n; i++ {
		switch k := r.Intn(10); {
		case k < 6:
			s := r.Intn(3) // few sections, so that ops meet
			op := bdRandOp(r, texts[s])
			next, err := op.Normalize().Apply(texts[s])
			if err != nil {
				panic(err)
			}
			texts[s] = next
			cs = append(cs, Change{Kind: KindText, Section: Sections[s].Key, Op: op})
		case k < 8 && len(ids) > 0:
			cs = append(cs, Change{Kind: KindSet, ID: ids[r.Intn(len(ids))], Props: Props{Set: PropNote, Note: tag}})
		case k < 9:
			cs = append(cs, Change{Kind: KindCreate, ID: fmt.Sprintf("%s%d", tag, i), Elem: ElemActor, Props: Props{Set: PropName, Name: tag}})
		case len(ids) > 0:
			cs = append(cs, Change{Kind: KindDelete, ID: ids[r.Intn(len(ids))]})
		}
	}
	return cs
}

// TP1 for whole submits: from one board, applying A then B transformed
// past A gives the same texts as B then A transformed past B (with A
// winning ties on both paths, as the committed side does).
func TestTransformChangesConverge(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for iter := 0; iter < 3000; iter++ {
		base := bdTestBoard(t)
		for s := 0; s < 3; s++ {
			base.Texts[s] = bdRandText(r, r.Intn(12))
			base.lens[s] = UTF16Len(base.Texts[s])
		}
		a := bdRandChanges(r, base, "A")
		b := bdRandChanges(r, base, "B")
		aWire, bWire := bdWire(t, a), bdWire(t, b)

		x := bdClone(t, base)
		bdMustApplyChanges(t, x, a, RoleFacilitator)
		bAfterA := transformChanges(b, a, Right)
		if err := x.Apply(bdTextOnly(bAfterA), RoleFacilitator); err != nil {
			t.Fatalf("iter %d: B after A: %v\nA %s\nB %s", iter, err, aWire, bWire)
		}

		y := bdClone(t, base)
		bdMustApplyChanges(t, y, b, RoleFacilitator)
		aAfterB := transformChanges(a, b, Left)
		if err := y.Apply(bdTextOnly(aAfterB), RoleFacilitator); err != nil {
			t.Fatalf("iter %d: A after B: %v\nA %s\nB %s", iter, err, aWire, bWire)
		}
		if x.Texts != y.Texts {
			t.Fatalf("iter %d: texts diverge\nA %s\nB %s\nA;B' %q\nB;A' %q", iter, aWire, bWire, x.Texts, y.Texts)
		}
		if bdWire(t, a) != aWire || bdWire(t, b) != bWire {
			t.Fatalf("iter %d: inputs modified", iter)
		}
		for _, c := range append(bAfterA, aAfterB...) {
			if c.Kind == KindText && !c.Op.isNormal() && len(c.Op) > 0 {
				t.Fatalf("iter %d: output op %v not normalised", iter, c.Op)
			}
		}
	}
}

// Several concurrent submits on one base, committed in turn as the hub does
// (each transformed past every version after its base, one at a time),
// always fit the text they land on.
func TestTransformChangesSequenceFits(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	for iter := 0; iter < 1000; iter++ {
		server := bdTestBoard(t)
		for s := 0; s < 3; s++ {
			server.Texts[s] = bdRandText(r, r.Intn(10))
			server.lens[s] = UTF16Len(server.Texts[s])
		}
		base := bdClone(t, server)
		var log [][]Change
		for k := 0; k < 4; k++ {
			sub := bdTextOnly(bdRandChanges(r, base, fmt.Sprintf("S%d", k)))
			for _, committed := range log {
				sub = TransformChanges(sub, committed)
			}
			if err := server.Apply(sub, RoleFacilitator); err != nil {
				t.Fatalf("iter %d submit %d: %v", iter, k, err)
			}
			log = append(log, sub)
		}
	}
}

func BenchmarkDecodeChanges(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"keystroke", `[{"kind":"text","section":"enjeux","op":[2412,"e"]}]`},
		{"mixed", `[
			{"kind":"text","section":"enjeux","op":[2412,"Les habitants ",{"d":3}]},
			{"kind":"create","id":"0b8f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b90","elem":"actor","props":{"name":"Mairie de Saint-Étienne","kind":"collectivite","ring":"coeur","x":120.5,"y":-40}},
			{"kind":"create","id":"1c9f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b91","elem":"link","props":{"from":"0b8f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b90","to":"2d8f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b92","kind":"financement","label":"subvention"}},
			{"kind":"set","id":"2d8f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b92","props":{"x":300,"y":210.25}},
			{"kind":"delete","id":"3e8f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b93"},
			{"kind":"meta","props":{"niveau":"faire_avec","done":false}}]`},
		{"comment", `[{"kind":"create","id":"4f8f6c1e-4d7a-4c1b-9a53-2f1e8d6a7b94","elem":"comment","props":{"text":"Et si la Région finançait le poste d'animation ?","author":"Léa","kind":"piste","section":"financement"}}]`},
		{"timer", `[{"kind":"meta","props":{"timerLabel":"Restitution","timerDuration":600000,"timerRunning":true,"timerEndsAt":1760000600000,"timerRemaining":600000}}]`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			raw := []byte(bc.in)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeChanges(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestJSONHelpers(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 20000; i++ {
		var f float64
		switch i % 4 {
		case 0:
			f = (r.Float64()*2 - 1) * MaxCoord
		case 1:
			f = float64(r.Intn(2*MaxCoord+1) - MaxCoord)
		case 2:
			f = (r.Float64()*2 - 1) * 1e-9
		default:
			f = float64(r.Intn(1000)) / 8
		}
		want, _ := json.Marshal(f)
		if got := appendFloat(nil, f); string(got) != string(want) {
			t.Fatalf("appendFloat(%v) = %s, want %s", f, got, want)
		}
	}
	for _, s := range []string{"", "a", "é🌱", "\x00\x1f\"\\/\b\f\n\r\t", "\u2028\u2029", "<&>", strings.Repeat("👩‍🌾", 50)} {
		enc := appendStr(nil, s)
		var back string
		if err := json.Unmarshal(enc, &back); err != nil || back != s {
			t.Errorf("appendStr(%q) = %s, reads back %q, %v", s, enc, back, err)
		}
		if got, ok := jsonUnquote(enc); !ok || got != s {
			t.Errorf("jsonUnquote(%s) = %q, %v", enc, got, ok)
		}
	}
	for tok, want := range map[string]string{
		`"\ud83c\udf31"`: "🌱", `"\u00e9\/"`: "é/", `"\uD83C\uDF31"`: "🌱", `"a\u0000"`: "a\x00",
	} {
		if got, ok := jsonUnquote([]byte(tok)); !ok || got != want {
			t.Errorf("jsonUnquote(%s) = %q, %v", tok, got, ok)
		}
	}
	for _, tok := range []string{`"\ud83c"`, `"\udf31"`, `"\ud83c\u0041"`, `"\ud83cx"`, `"\ud83c\ud83c"`, "\"\xff\"", "\"\xed\xa0\x80\"", `"\x"`, `"\u12"`} {
		if got, ok := jsonUnquote([]byte(tok)); ok {
			t.Errorf("jsonUnquote(%s) = %q, accepted", tok, got)
		}
	}
}
