package board

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// go test ./board -run TestWriteTextVectors -write-text-vectors regenerates
// testdata/text-vectors.json from txTextVectorInputs (results computed by this
// implementation; review the diff before committing it).
var txWriteTextVectors = flag.Bool("write-text-vectors", false, "rewrite testdata/text-vectors.json")

const txTextVectorsPath = "testdata/text-vectors.json"

// op decodes a txWire-form op, failing the test if it does not decode.
func txOp(t testing.TB, s string) TextOp {
	t.Helper()
	var o TextOp
	if err := o.UnmarshalJSON([]byte(s)); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return o
}

// txWire encodes op in its canonical txWire form.
func txWire(t testing.TB, o TextOp) string {
	t.Helper()
	b, err := o.MarshalJSON()
	if err != nil {
		t.Fatalf("marshal %#v: %v", o, err)
	}
	return string(b)
}

// txIsBadOp reports whether err is an *Error with code CodeBadOp.
func txIsBadOp(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeBadOp && e.Message != ""
}

// ---------------------------------------------------------------------------
// Unit tests

func TestUTF16Len(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"é", 1},
		{"çœ", 2},
		{"🌱", 2},
		{"a🌱b", 4},
		{"👩‍👩‍👧", 8}, // three astral women/girl, two ZWJ
		{"\xff", 1},  // invalid byte: one U+FFFD
	} {
		if got := UTF16Len(tc.s); got != tc.want {
			t.Errorf("UTF16Len(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestTextOpUnmarshal(t *testing.T) {
	good := []struct {
		in   string
		want TextOp
	}{
		{`[]`, TextOp{}},
		{` [ ] `, TextOp{}},
		{`[3,"ab",{"d":2}]`, TextOp{{Retain: 3}, {Insert: "ab"}, {Delete: 2}}},
		// Kept as sent: Normalize is the caller's step.
		{`[0,"",{"d":0},1,1,5]`, TextOp{{}, {}, {}, {Retain: 1}, {Retain: 1}, {Retain: 5}}},
		{`["\ud83c\udf31é"]`, TextOp{{Insert: "🌱é"}}},
		{`["\u00e9\n\"\\"]`, TextOp{{Insert: "é\n\"\\"}}},
		{`[{ "d" : 4 }]`, TextOp{{Delete: 4}}},
		{`[1073741824]`, TextOp{{Retain: 1 << 30}}},
		// Numbers go by value, as in JavaScript.
		{`[2.0, 1e1, {"d": 3E0}]`, TextOp{{Retain: 2}, {Retain: 10}, {Delete: 3}}},
		{`[-0]`, TextOp{{}}},
	}
	for _, tc := range good {
		var got TextOp
		if err := got.UnmarshalJSON([]byte(tc.in)); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.in, got, tc.want)
		}
	}

	bad := []string{
		``, `x`, `null`, `{}`, `{"d":1}`, `"abc"`, `3`, `true`,
		`[`, `[1,]`, `[1 2]`, `[1]]`, `[1] [2]`, `[1]x`,
		`[-1]`, `[1.5]`, `[1e400]`, `[1073741825]`, `[1e10]`,
		`[null]`, `[true]`, `[false]`, `[[1]]`, `[[]]`,
		`[{}]`, `[{"d":1,"e":2}]`, `[{"D":1}]`, `[{"d":-1}]`, `[{"d":1.5}]`,
		`[{"d":"1"}]`, `[{"d":null}]`, `[{"i":"x"}]`, `[{"d":1073741825}]`,
		`["\ud83c"]`, `["\udf31"]`, `["a\ud83cb"]`, `["\ud83c\ud83c"]`,
		`["\udf31\ud83c"]`, `["\ud83c\n"]`, `["x\ud83c"]`,
		"[\"\xff\"]", // invalid UTF-8 in the frame
	}
	for _, in := range bad {
		var got TextOp
		err := got.UnmarshalJSON([]byte(in))
		if !txIsBadOp(err) {
			t.Errorf("%s: got %v (%#v), want a bad_op error", in, err, got)
		}
	}

	// Through encoding/json too: null must not slip through as "no op".
	var msg struct {
		Op TextOp `json:"op"`
	}
	if err := json.Unmarshal([]byte(`{"op":null}`), &msg); err == nil {
		t.Errorf(`{"op":null} decoded without error`)
	}
	if err := json.Unmarshal([]byte(`{"op":[1,"x"]}`), &msg); err != nil || txWire(t, msg.Op) != `[1,"x"]` {
		t.Errorf(`{"op":[1,"x"]}: %v %v`, err, msg.Op)
	}
}

func TestTextOpUnmarshalTooMany(t *testing.T) {
	many := "[" + strings.Repeat(`"a",`, MaxOpComps) + `"a"]`
	var o TextOp
	if err := o.UnmarshalJSON([]byte(many)); !txIsBadOp(err) {
		t.Fatalf("%d components: got %v, want bad_op", MaxOpComps+1, err)
	}
	ok := "[" + strings.Repeat(`1,`, MaxOpComps-1) + `1]`
	if err := o.UnmarshalJSON([]byte(ok)); err != nil || len(o) != MaxOpComps {
		t.Fatalf("%d components: %v (len %d)", MaxOpComps, err, len(o))
	}
}

func TestTextOpMarshal(t *testing.T) {
	for _, tc := range []struct {
		op   TextOp
		want string
	}{
		{nil, `[]`},
		{TextOp{}, `[]`},
		{TextOp{{Retain: 4}}, `[]`},
		{TextOp{{Retain: 1}, {Retain: 2}, {Insert: "a"}, {Insert: "b"}, {Delete: 0}, {Delete: 3}, {Retain: 9}}, `[3,"ab",{"d":3}]`},
		{TextOp{{Insert: "<é & 🌱>\n\t\"\\\x01"}}, `["<é & 🌱>\n\t\"\\\u0001"]`},
	} {
		if got := txWire(t, tc.op); got != tc.want {
			t.Errorf("%#v: got %s, want %s", tc.op, got, tc.want)
		}
	}
	// Inside a struct, and for a nil op, encoding/json calls MarshalJSON.
	b, err := json.Marshal(struct {
		Op TextOp `json:"op"`
	}{})
	if err != nil || string(b) != `{"op":[]}` {
		t.Errorf("nil op in a struct: %s %v", b, err)
	}
	// Round trip of awkward strings.
	for _, s := range []string{"\u2028", "\x7f", "🌱\u0000", "👩‍👩‍👧"} {
		o := TextOp{{Insert: s}}
		if back := txOp(t, txWire(t, o)); !reflect.DeepEqual(back, o) {
			t.Errorf("round trip of %q: %#v", s, back)
		}
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		op   TextOp
		want TextOp
	}{
		{nil, TextOp{}},
		{TextOp{{}}, TextOp{}},
		{TextOp{{Retain: 3}}, TextOp{}},
		{TextOp{{Insert: "a"}, {Retain: 0}, {Insert: "b"}}, TextOp{{Insert: "ab"}}},
		{TextOp{{Delete: 1}, {Insert: "x"}, {Delete: 1}}, TextOp{{Delete: 1}, {Insert: "x"}, {Delete: 1}}},
		// A hand-built Comp with several fields reads as its first of
		// Insert, Delete, Retain; negative lengths as nothing.
		{TextOp{{Retain: 2, Insert: "x"}, {Retain: -1}, {Delete: 2, Retain: 1}}, TextOp{{Insert: "x"}, {Delete: 2}}},
	} {
		got := tc.op.Normalize()
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%#v: got %#v, want %#v", tc.op, got, tc.want)
		}
		if !got.isNormal() {
			t.Errorf("%#v: result %#v is not normal", tc.op, got)
		}
	}
	// A canonical op comes back as is, without a copy.
	o := TextOp{{Retain: 1}, {Insert: "x"}}
	if n := o.Normalize(); &n[0] != &o[0] {
		t.Errorf("canonical op was copied")
	}
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		op   TextOp
		want string // "" with bad set means an error is expected
		bad  bool
	}{
		{"", nil, "", false},
		{"", TextOp{{Insert: "Éco"}}, "Éco", false},
		{"abc", TextOp{{Retain: 3}, {Insert: "d"}}, "abcd", false},
		{"abc", TextOp{{Retain: 3}}, "abc", false},
		{"abcdef", TextOp{{Retain: 1}, {Delete: 4}}, "af", false},
		{"abc", TextOp{{Delete: 3}}, "", false},
		{"a🌱b", TextOp{{Retain: 3}, {Insert: "x"}}, "a🌱xb", false},
		{"a🌱b", TextOp{{Retain: 1}, {Delete: 2}}, "ab", false},
		{"👩‍👩‍👧!", TextOp{{Delete: 8}}, "!", false},
		{"çœ", TextOp{{Retain: 1}, {Insert: "🌱"}, {Retain: 1}, {Insert: "é"}}, "ç🌱œé", false},
		{"abc", TextOp{{Retain: 1}, {}, {Retain: 1}, {Delete: 0}, {Insert: "x"}, {Retain: 1}}, "abxc", false},
		// Errors.
		{"abc", TextOp{{Retain: 4}}, "", true},
		{"abc", TextOp{{Delete: 4}}, "", true},
		{"abc", TextOp{{Retain: 2}, {Delete: 2}}, "", true},
		{"", TextOp{{Retain: 1}}, "", true},
		{"🌱", TextOp{{Retain: 1}, {Insert: "x"}}, "", true},
		{"🌱", TextOp{{Delete: 1}}, "", true},
		{"a🌱", TextOp{{Retain: 2}}, "", true},
		{"a🌱", TextOp{{Retain: 1}, {Delete: 1}}, "", true},
		{"🌱", TextOp{{Retain: 3}}, "", true},
		{"abc", TextOp{{Retain: -1}}, "", true},
		{"abc", TextOp{{Delete: -1}}, "", true},
		{"abc", TextOp{{Retain: 1, Insert: "x"}}, "", true},
		{"abc", TextOp{{Insert: "\xff"}}, "", true},
	} {
		got, err := tc.op.Apply(tc.doc)
		switch {
		case tc.bad && !txIsBadOp(err):
			t.Errorf("%q %#v: got %q, %v; want a bad_op error", tc.doc, tc.op, got, err)
		case !tc.bad && (err != nil || got != tc.want):
			t.Errorf("%q %#v: got %q, %v; want %q", tc.doc, tc.op, got, err, tc.want)
		}
	}
}

func TestTransform(t *testing.T) {
	for _, tc := range []struct {
		op, other   string
		left, right string // Transform(op, other, Left / Right)
	}{
		{`[]`, `[]`, `[]`, `[]`},
		{`["x"]`, `[]`, `["x"]`, `["x"]`},
		{`[]`, `["x"]`, `[]`, `[]`},
		{`["x"]`, `["y"]`, `["x"]`, `[1,"x"]`},
		{`[2,"🌱"]`, `[2,"é"]`, `[2,"🌱"]`, `[3,"🌱"]`},
		{`[3,"x"]`, `[{"d":2}]`, `[1,"x"]`, `[1,"x"]`},
		{`[2,"x"]`, `[1,{"d":3}]`, `[1,"x"]`, `[1,"x"]`},
		{`[1,{"d":3}]`, `[2,{"d":3}]`, `[1,{"d":1}]`, `[1,{"d":1}]`},
		{`[{"d":4}]`, `[2,"xy"]`, `[{"d":2},2,{"d":2}]`, `[{"d":2},2,{"d":2}]`},
		{`[1,{"d":2}]`, `[1,{"d":2}]`, `[]`, `[]`},
		// Un-normalised input reads as its normal form.
		{`[1,0,"a","b",2]`, `[1,""]`, `[1,"ab"]`, `[1,"ab"]`},
	} {
		o, other := txOp(t, tc.op), txOp(t, tc.other)
		if got := txWire(t, Transform(o, other, Left)); got != tc.left {
			t.Errorf("Transform(%s, %s, Left) = %s, want %s", tc.op, tc.other, got, tc.left)
		}
		if got := txWire(t, Transform(o, other, Right)); got != tc.right {
			t.Errorf("Transform(%s, %s, Right) = %s, want %s", tc.op, tc.other, got, tc.right)
		}
	}
}

func TestCompose(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{`[]`, `[]`, `[]`},
		{`[]`, `[2,"x"]`, `[2,"x"]`},
		{`[2,"x"]`, `[]`, `[2,"x"]`},
		{`["abc"]`, `[1,{"d":1}]`, `["ac"]`},
		{`[1,"x"]`, `[1,{"d":1}]`, `[]`},
		{`[{"d":2}]`, `["x"]`, `["x",{"d":2}]`},
		{`[1,{"d":1}]`, `[1,{"d":1}]`, `[1,{"d":2}]`},
		{`[1,"ab",{"d":1}]`, `[2,{"d":2},"ç"]`, `[1,"a",{"d":2},"ç"]`},
		{`["🌱🌲"]`, `[2,{"d":2}]`, `["🌱"]`},
		// Inputs that do not fit each other: a cut inside a surrogate pair
		// moves after the pair rather than making half a character.
		{`["🌱"]`, `[1,"x"]`, `["🌱x"]`},
		{`["🌱"]`, `[{"d":1}]`, `[]`},
	} {
		if got := txWire(t, Compose(txOp(t, tc.a), txOp(t, tc.b))); got != tc.want {
			t.Errorf("Compose(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestTransformCursor(t *testing.T) {
	for _, tc := range []struct {
		cursor int
		op     string
		own    bool
		want   int
	}{
		{0, `[]`, false, 0},
		{0, `["ab"]`, false, 0},
		{1, `["ab"]`, false, 3},
		{2, `[2,"x"]`, false, 2},
		{3, `[2,"x"]`, false, 4},
		{5, `[1,{"d":2}]`, false, 3},
		{2, `[1,{"d":3}]`, false, 1},
		{4, `[2,"🌱"]`, false, 6},
		{4, `[2,"🌱"]`, true, 4},
		{0, `[2,{"d":1},"é"]`, true, 3},
		{10, `[{"d":2}]`, true, 0},
		{4, `[1,2,0,"x"]`, true, 4}, // un-normalised
	} {
		if got := TransformCursor(tc.cursor, txOp(t, tc.op), tc.own); got != tc.want {
			t.Errorf("TransformCursor(%d, %s, %v) = %d, want %d", tc.cursor, tc.op, tc.own, got, tc.want)
		}
	}
}

// ---------------------------------------------------------------------------
// Shared vectors (also asserted by static/js/ot.test.js)

type txTextVectors struct {
	Apply     []txApplyVector     `json:"apply"`
	Transform []txTransformVector `json:"transform"`
	Compose   []txComposeVector   `json:"compose"`
	Normalize []txNormalizeVector `json:"normalize"`
	Cursor    []txCursorVector    `json:"cursor"`
}

type txApplyVector struct {
	Doc    string          `json:"doc"`
	Op     json.RawMessage `json:"op"`
	Result *string         `json:"result,omitempty"`
	Error  bool            `json:"error,omitempty"`
}

type txTransformVector struct {
	Doc    string          `json:"doc"` // a text both ops apply to
	Op     json.RawMessage `json:"op"`
	Other  json.RawMessage `json:"other"`
	Side   string          `json:"side"`
	Result json.RawMessage `json:"result"`
}

type txComposeVector struct {
	Doc    string          `json:"doc"` // a text a applies to
	A      json.RawMessage `json:"a"`
	B      json.RawMessage `json:"b"`
	Result json.RawMessage `json:"result"`
}

type txNormalizeVector struct {
	Op     json.RawMessage `json:"op"`
	Result json.RawMessage `json:"result"`
}

type txCursorVector struct {
	Cursor int             `json:"cursor"`
	Op     json.RawMessage `json:"op"`
	Own    bool            `json:"own"`
	Result int             `json:"result"`
}

// txTextVectorInputs are the cases of testdata/text-vectors.json; results are
// filled in by TestWriteTextVectors. Ops are written in txWire form.
func txTextVectorInputs() txTextVectors {
	var v txTextVectors
	app := func(doc, o string) { v.Apply = append(v.Apply, txApplyVector{Doc: doc, Op: json.RawMessage(o)}) }
	app("", `[]`)
	app("", `["hello"]`)
	app("abc", `[3,"d"]`)
	app("abc", `["x"]`)
	app("abcdef", `[1,{"d":2},1,"X"]`)
	app("café", `[3,{"d":1},"e"]`)
	app("🌱 pousse", `[2," jeune"]`)
	app("a🌱b", `[1,{"d":2}]`)
	app("👩‍👩‍👧 famille", `[8,{"d":1}]`)
	app("œuvre", `["\ud83c\udf31 "]`)
	app("abc", `[2,"x",0,{"d":0},1,""]`)
	app("abc", `["x",1,1]`)
	app("Éco-système", `[{"d":1},"E",10,"s"]`)
	// Errors: past the end, cutting a surrogate pair, bad shapes.
	app("abc", `[4]`)
	app("abc", `[{"d":4}]`)
	app("abc", `[2,{"d":2}]`)
	app("🌱", `[1,"x"]`)
	app("🌱", `[{"d":1}]`)
	app("a🌱", `[2]`)
	app("abc", `["\ud83c"]`)
	app("abc", `["\udf31x"]`)
	app("abc", `["a\ud83c\ud83c"]`)
	app("abc", `[1.5]`)
	app("abc", `[-1]`)
	app("abc", `[1e400]`)
	app("abc", `[1073741825]`)
	app("abc", `[{"d":1,"x":2}]`)
	app("abc", `[{"d":-1}]`)
	app("abc", `[{"d":"1"}]`)
	app("abc", `[null]`)
	app("abc", `[[1]]`)
	app("abc", `[true]`)
	app("abc", `{"d":1}`)
	app("abc", `"abc"`)

	tr := func(doc, o, other string) {
		for _, side := range []string{"left", "right"} {
			v.Transform = append(v.Transform, txTransformVector{Doc: doc, Op: json.RawMessage(o), Other: json.RawMessage(other), Side: side})
		}
	}
	tr("", `["x"]`, `["y"]`)                        // tie at the start
	tr("ab", `[1,"x"]`, `[1,"y"]`)                  // tie in the middle
	tr("ab", `[2,"🌱"]`, `[2,"é"]`)                  // tie at the end, emoji and accent
	tr("abcd", `[3,"x"]`, `[{"d":2}]`)              // insert after a delete
	tr("abcde", `[2,"x"]`, `[1,{"d":3}]`)           // insert inside a deleted range
	tr("abcdef", `[1,{"d":3}]`, `[2,{"d":3}]`)      // deletes overlapping deletes
	tr("abcde", `[{"d":5}]`, `[1,{"d":2}]`)         // a delete containing another
	tr("abcd", `[1,{"d":2}]`, `[1,{"d":2}]`)        // the same delete
	tr("abcd", `[{"d":4}]`, `[2,"xy"]`)             // an insert inside a deleted range
	tr("ab🌱c", `[2,{"d":2}]`, `["ç"]`)              // emoji delete after an insert
	tr("abc", `[1,"X",{"d":1}]`, `[1,"Y",{"d":1}]`) // two replaces of one letter
	tr("abcd", `[1,"x"]`, `[1,{"d":2}]`)            // insert where a delete starts
	tr("👩‍👩‍👧!", `[8,"?"]`, `[{"d":8}]`)            // family emoji deleted
	tr("abc", `[3,"z"]`, `[1,{"d":2}]`)             // insert at the end after a delete
	tr("abc", `[]`, `[1,"x"]`)                      // empty op
	tr("abc", `[1,"x"]`, `[]`)                      // against an empty op
	tr("abc", `[1,0,"a","b",2]`, `[1,1,"y",0]`)     // un-normalised inputs
	tr("été", `["«",3,"»"]`, `[1,{"d":1},"c"]`)

	co := func(doc, a, b string) {
		v.Compose = append(v.Compose, txComposeVector{Doc: doc, A: json.RawMessage(a), B: json.RawMessage(b)})
	}
	co("", `["abc"]`, `[1,{"d":1}]`)
	co("a", `[1,"x"]`, `[1,{"d":1}]`)
	co("ab", `[{"d":2}]`, `["x"]`)
	co("abcd", `[2,"🌱"]`, `[4,"é"]`)
	co("abcd", `[1,{"d":1}]`, `[1,{"d":1}]`)
	co("", `["hello"]`, `[{"d":2},3," monde"]`)
	co("abc", `[]`, `[2,"x"]`)
	co("abc", `[2,"x"]`, `[]`)
	co("xyz", `[1,"ab",{"d":1}]`, `[2,{"d":2},"ç"]`)
	co("", `["🌱🌲"]`, `[2,{"d":2}]`)
	co("", `["a👩‍👩‍👧b"]`, `[1,{"d":8}]`)
	co("abcdef", `[1,{"d":2},3,"x"]`, `[2,"y",{"d":1},1,{"d":1}]`)

	no := func(o string) { v.Normalize = append(v.Normalize, txNormalizeVector{Op: json.RawMessage(o)}) }
	no(`[]`)
	no(`[0]`)
	no(`[5]`)
	no(`["",0,{"d":0}]`)
	no(`[1,2,"a","b",{"d":1},{"d":0},{"d":2},3]`)
	no(`[1,"",1,"x"]`)
	no(`[{"d":1},"x",{"d":1}]`)
	no(`["🌱","é"]`)

	cu := func(cursor int, o string, own bool) {
		v.Cursor = append(v.Cursor, txCursorVector{Cursor: cursor, Op: json.RawMessage(o), Own: own})
	}
	cu(0, `["ab"]`, false)
	cu(1, `["ab"]`, false)
	cu(2, `[2,"x"]`, false)
	cu(3, `[2,"x"]`, false)
	cu(5, `[1,{"d":2}]`, false)
	cu(2, `[1,{"d":3}]`, false)
	cu(4, `[2,"🌱"]`, false)
	cu(4, `[2,"🌱"]`, true)
	cu(0, `[2,{"d":1},"é"]`, true)
	cu(10, `[{"d":2}]`, true)
	cu(3, `[]`, false)
	return v
}

// TestWriteTextVectors fills in the results of txTextVectorInputs and writes
// testdata/text-vectors.json, one vector a line so that diffs read well.
func TestWriteTextVectors(t *testing.T) {
	if !*txWriteTextVectors {
		t.Skip("run with -write-text-vectors to rewrite " + txTextVectorsPath)
	}
	v := txTextVectorInputs()
	raw := func(o TextOp) json.RawMessage { return json.RawMessage(txWire(t, o)) }
	for i := range v.Apply {
		a := &v.Apply[i]
		var o TextOp
		err := o.UnmarshalJSON(a.Op)
		var res string
		if err == nil {
			res, err = o.Apply(a.Doc)
		}
		if err != nil {
			a.Error = true
		} else {
			a.Result = &res
		}
	}
	for i := range v.Transform {
		tv := &v.Transform[i]
		side := Right
		if tv.Side == "left" {
			side = Left
		}
		tv.Result = raw(Transform(txOp(t, string(tv.Op)), txOp(t, string(tv.Other)), side))
	}
	for i := range v.Compose {
		c := &v.Compose[i]
		c.Result = raw(Compose(txOp(t, string(c.A)), txOp(t, string(c.B))))
	}
	for i := range v.Normalize {
		n := &v.Normalize[i]
		n.Result = raw(txOp(t, string(n.Op)).Normalize())
	}
	for i := range v.Cursor {
		c := &v.Cursor[i]
		c.Result = TransformCursor(c.Cursor, txOp(t, string(c.Op)), c.Own)
	}

	var buf bytes.Buffer
	line := func(x any) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(b.String())
	}
	section := func(name string, n int, item func(int) any, last bool) {
		fmt.Fprintf(&buf, "  %q: [\n", name)
		for i := 0; i < n; i++ {
			sep := ","
			if i == n-1 {
				sep = ""
			}
			fmt.Fprintf(&buf, "    %s%s\n", line(item(i)), sep)
		}
		if last {
			buf.WriteString("  ]\n")
		} else {
			buf.WriteString("  ],\n")
		}
	}
	buf.WriteString("{\n")
	section("apply", len(v.Apply), func(i int) any { return v.Apply[i] }, false)
	section("transform", len(v.Transform), func(i int) any { return v.Transform[i] }, false)
	section("compose", len(v.Compose), func(i int) any { return v.Compose[i] }, false)
	section("normalize", len(v.Normalize), func(i int) any { return v.Normalize[i] }, false)
	section("cursor", len(v.Cursor), func(i int) any { return v.Cursor[i] }, true)
	buf.WriteString("}\n")
	if err := os.WriteFile(txTextVectorsPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func txLoadTextVectors(t *testing.T) txTextVectors {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(txTextVectorsPath))
	if err != nil {
		t.Fatal(err)
	}
	var v txTextVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", txTextVectorsPath, err)
	}
	return v
}

func TestTextVectors(t *testing.T) {
	v := txLoadTextVectors(t)
	total := len(v.Apply) + len(v.Transform) + len(v.Compose) + len(v.Normalize) + len(v.Cursor)
	if total < 40 {
		t.Fatalf("only %d vectors", total)
	}
	for _, a := range v.Apply {
		var o TextOp
		err := o.UnmarshalJSON(a.Op)
		var got string
		if err == nil {
			got, err = o.Apply(a.Doc)
		}
		switch {
		case a.Error && !txIsBadOp(err):
			t.Errorf("apply %q %s: got %q, %v; want a bad_op error", a.Doc, a.Op, got, err)
		case !a.Error && (a.Result == nil || err != nil || got != *a.Result):
			t.Errorf("apply %q %s: got %q, %v; want %q", a.Doc, a.Op, got, err, txDeref(a.Result))
		}
	}
	for _, tv := range v.Transform {
		side := Right
		if tv.Side == "left" {
			side = Left
		}
		o, other := txOp(t, string(tv.Op)), txOp(t, string(tv.Other))
		got := Transform(o, other, side)
		if w := txWire(t, got); w != txCompact(t, tv.Result) {
			t.Errorf("transform %s %s %s: got %s, want %s", tv.Op, tv.Other, tv.Side, w, tv.Result)
		}
		// The vector's doc: both ops fit it and the result fits after other.
		mid, err := other.Apply(tv.Doc)
		if err == nil {
			_, err = got.Apply(mid)
		}
		if _, err2 := o.Apply(tv.Doc); err == nil {
			err = err2
		}
		if err != nil {
			t.Errorf("transform %s %s on %q: %v", tv.Op, tv.Other, tv.Doc, err)
		}
	}
	for _, c := range v.Compose {
		a, b := txOp(t, string(c.A)), txOp(t, string(c.B))
		got := Compose(a, b)
		if w := txWire(t, got); w != txCompact(t, c.Result) {
			t.Errorf("compose %s %s: got %s, want %s", c.A, c.B, w, c.Result)
		}
		txCheckCompose(t, c.Doc, a, b)
	}
	for _, n := range v.Normalize {
		if w := txWire(t, txOp(t, string(n.Op)).Normalize()); w != txCompact(t, n.Result) {
			t.Errorf("normalize %s: got %s, want %s", n.Op, w, n.Result)
		}
	}
	for _, c := range v.Cursor {
		if got := TransformCursor(c.Cursor, txOp(t, string(c.Op)), c.Own); got != c.Result {
			t.Errorf("cursor %d %s own=%v: got %d, want %d", c.Cursor, c.Op, c.Own, got, c.Result)
		}
	}
}

func txDeref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}

// txCompact re-encodes a vector's raw op so that spacing does not matter.
func txCompact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// txCheckCompose asserts apply(apply(doc, a), b) == apply(doc, Compose(a, b)).
func txCheckCompose(t testing.TB, doc string, a, b TextOp) {
	t.Helper()
	c := Compose(a, b)
	mid, err := a.Apply(doc)
	if err != nil {
		t.Fatalf("a %v on %q: %v", a, doc, err)
	}
	want, err := b.Apply(mid)
	if err != nil {
		t.Fatalf("b %v on %q: %v", b, mid, err)
	}
	got, err := c.Apply(doc)
	if err != nil || got != want {
		t.Fatalf("Compose(%v, %v) = %v on %q: got %q, %v; want %q", a, b, c, doc, got, err, want)
	}
	if !c.isNormal() {
		t.Fatalf("Compose(%v, %v) = %v is not normal", a, b, c)
	}
}

// ---------------------------------------------------------------------------
// Property tests

// txTextAtoms are the characters random texts are made of: ASCII, accents,
// an emoji (a surrogate pair) and a ZWJ family emoji (three pairs).
var txTextAtoms = []string{"a", "b", "c", " ", "\n", "é", "ç", "œ", "🌱", "👩‍👩‍👧"}

func txRandText(r *rand.Rand, maxAtoms int) string {
	var sb strings.Builder
	for n := r.Intn(maxAtoms + 1); n > 0; n-- {
		sb.WriteString(txTextAtoms[r.Intn(len(txTextAtoms))])
	}
	return sb.String()
}

// txRandOp makes a random op that fits doc: its retains and deletes go over
// whole characters, never past the end. It may be un-normalised (zero
// lengths, neighbours of one kind, a trailing retain), as clients send.
func txRandOp(r *rand.Rand, doc string) TextOp {
	units := make([]int, 0, len(doc)) // UTF-16 length of each rune
	for _, c := range doc {
		units = append(units, UTF16Len(string(c)))
	}
	var o TextOp
	for i := 0; ; {
		switch k := r.Intn(10); {
		case k < 3:
			o = append(o, Comp{Insert: txRandText(r, 3)})
		case k < 9 && i < len(units):
			n := 0
			for j := r.Intn(min(len(units)-i, 6)) + 1; j > 0; j-- {
				n += units[i]
				i++
			}
			if r.Intn(2) == 0 {
				o = append(o, Comp{Retain: n})
			} else {
				o = append(o, Comp{Delete: n})
			}
		case k == 9 && r.Intn(2) == 0:
			o = append(o, Comp{}) // a zero-length component
		default:
			if i == len(units) || r.Intn(4) == 0 {
				return o // the rest of the text is kept
			}
		}
	}
}

func txMustApply(t testing.TB, o TextOp, doc string) string {
	t.Helper()
	s, err := o.Apply(doc)
	if err != nil {
		t.Fatalf("apply %v to %q: %v", o, doc, err)
	}
	return s
}

const txPropIterations = 2000

// TestTextTransformTP1: both orders of two concurrent ops converge, with
// the tie-break sides the server uses.
func TestTextTransformTP1(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < txPropIterations; i++ {
		doc := txRandText(r, 12)
		a, b := txRandOp(r, doc), txRandOp(r, doc)
		b2 := Transform(b, a, Right) // b after a
		a2 := Transform(a, b, Left)  // a after b
		x := txMustApply(t, b2, txMustApply(t, a, doc))
		y := txMustApply(t, a2, txMustApply(t, b, doc))
		if x != y {
			t.Fatalf("doc %q a %v b %v: a;b' = %q, b;a' = %q (b'=%v a'=%v)", doc, a, b, x, y, b2, a2)
		}
		if !a2.isNormal() || !b2.isNormal() {
			t.Fatalf("doc %q a %v b %v: transform not normal: %v %v", doc, a, b, a2, b2)
		}
	}
}

func TestTextComposeProperty(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < txPropIterations; i++ {
		doc := txRandText(r, 12)
		a := txRandOp(r, doc)
		b := txRandOp(r, txMustApply(t, a, doc))
		txCheckCompose(t, doc, a, b)
	}
}

// TestTextComposeTransformProperty: transforming against a composed op is
// the same, in effect, as transforming against its parts one by one, which
// is what the server does with several committed versions.
func TestTextComposeTransformProperty(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < txPropIterations; i++ {
		doc := txRandText(r, 12)
		a := txRandOp(r, doc)
		b1 := txRandOp(r, doc)
		b2 := txRandOp(r, txMustApply(t, b1, doc))
		after := txMustApply(t, b2, txMustApply(t, b1, doc))
		stepwise := Transform(Transform(a, b1, Right), b2, Right)
		whole := Transform(a, Compose(b1, b2), Right)
		x, y := txMustApply(t, stepwise, after), txMustApply(t, whole, after)
		if x != y {
			t.Fatalf("doc %q a %v b1 %v b2 %v: stepwise %q, composed %q", doc, a, b1, b2, x, y)
		}
	}
}

func TestTextCursorProperty(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for i := 0; i < txPropIterations; i++ {
		doc := txRandText(r, 12)
		a := txRandOp(r, doc)
		n := UTF16Len(txMustApply(t, a, doc))
		cursor := r.Intn(UTF16Len(doc) + 1)
		for _, own := range []bool{false, true} {
			if got := TransformCursor(cursor, a, own); got < 0 || got > n {
				t.Fatalf("doc %q op %v cursor %d own=%v: %d out of [0, %d]", doc, a, cursor, own, got, n)
			}
		}
	}
}

func TestTextJSONRoundTripProperty(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for i := 0; i < txPropIterations; i++ {
		a := txRandOp(r, txRandText(r, 12))
		back := txOp(t, txWire(t, a))
		if !reflect.DeepEqual(back, a.Normalize()) {
			t.Fatalf("%v: round trip gave %v", a, back)
		}
	}
}

// TestTextManyInsertsLinear: an op of many small inserts (as a hostile
// client may send) is merged in linear, not quadratic, time and memory.
func TestTextManyInsertsLinear(t *testing.T) {
	piece := strings.Repeat("é", 50) // 100 bytes
	raw := "[" + strings.Repeat(`"`+piece+`",`, MaxOpComps-1) + `"` + piece + `"]`
	o := txOp(t, raw)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := o.Normalize()
	tr := Transform(o, TextOp{{Insert: "x"}}, Right)
	co := Compose(TextOp{{Insert: "x"}}, o)
	runtime.ReadMemStats(&after)
	if len(n) != 1 || len(tr) != 2 || len(co) != 1 {
		t.Fatalf("got %d, %d, %d components", len(n), len(tr), len(co))
	}
	// Each result holds 1 MB; quadratic merging would allocate gigabytes.
	if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 32 {
		t.Fatalf("merging %d inserts allocated %d MB", MaxOpComps, mb)
	}
}

// TestTextConcurrentUse runs the functions on shared ops from several
// goroutines, for the race detector: nothing may write to its inputs.
func TestTextConcurrentUse(t *testing.T) {
	doc := "Éco-système 🌱 du territoire"
	a := TextOp{{Retain: 2}, {Insert: "x"}, {Retain: 0}, {Delete: 3}, {Retain: 4}}
	b := TextOp{{Retain: 5}, {Delete: 2}, {Insert: "yz"}}
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 200; i++ {
				_, _ = a.Apply(doc)
				_ = Transform(a, b, Left)
				_ = Transform(b, a, Right)
				_ = Compose(a, b)
				_ = a.Normalize()
				_, _ = a.MarshalJSON()
				_ = TransformCursor(7, a, false)
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

// ---------------------------------------------------------------------------
// Benchmarks

// txBenchDoc is a French text of exactly n UTF-16 units with accents and an
// emoji now and then.
func txBenchDoc(n int) string {
	const phrase = "L'éco-système du territoire: œuvrer ensemble, ça pousse 🌱. "
	var sb strings.Builder
	units := 0
	for units < n {
		for _, c := range phrase {
			u := UTF16Len(string(c))
			if units+u > n {
				c, u = 'x', 1
			}
			sb.WriteRune(c)
			units += u
			if units == n {
				break
			}
		}
	}
	return sb.String()
}

// txBoundary returns a UTF-16 offset near want that does not cut a pair.
func txBoundary(doc string, want int) int {
	pos := 0
	for _, c := range doc {
		if pos >= want {
			break
		}
		pos += UTF16Len(string(c))
	}
	return pos
}

func BenchmarkApply(b *testing.B) {
	doc := txBenchDoc(10000)
	o := TextOp{{Retain: txBoundary(doc, 5000)}, {Insert: "bonjour"}}
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := o.Apply(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTransform(b *testing.B) {
	x := TextOp{{Retain: 5000}, {Insert: "xyz"}, {Retain: 10}, {Delete: 5}, {Retain: 100}, {Insert: "é"}}
	y := TextOp{{Retain: 4000}, {Delete: 200}, {Retain: 1500}, {Insert: "abc"}, {Retain: 3}, {Delete: 1}}
	b.ReportAllocs()
	for b.Loop() {
		_ = Transform(x, y, Right)
	}
}

func BenchmarkCompose(b *testing.B) {
	x := TextOp{{Retain: 5000}, {Insert: "xyz"}, {Retain: 10}, {Delete: 5}, {Retain: 100}, {Insert: "é"}}
	y := TextOp{{Retain: 4000}, {Delete: 200}, {Retain: 802}, {Delete: 1}, {Insert: "abc"}, {Retain: 3}, {Delete: 1}}
	b.ReportAllocs()
	for b.Loop() {
		_ = Compose(x, y)
	}
}
