package board

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTextOp feeds arbitrary bytes as two ops' JSON plus a text. Decoding
// either succeeds or gives a bad_op error; nothing panics; a successful
// Apply gives valid UTF-8; and when both ops fit the text, the transforms
// converge (TP1) and the JSON form round-trips.
func FuzzTextOp(f *testing.F) {
	seeds := []struct {
		a, b, doc string
		left      bool
	}{
		{`[]`, `[]`, "", true},
		{`[1,"x"]`, `[1,"y"]`, "ab", true},
		{`[2,{"d":2}]`, `["ç"]`, "ab🌱c", false},
		{`[1,{"d":3}]`, `[2,{"d":3}]`, "abcdef", true},
		{`["\ud83c\udf31"]`, `[8,"?"]`, "👩‍👩‍👧!", false},
		{`["\ud83c"]`, `[1]`, "é", true},
		{`[{"d":1.5}]`, `[null]`, "abc", false},
		{`[0,"",{"d":0},3]`, `[1e400]`, "abc", true},
		{`[1,"a",{"d":1}]`, `[1073741824]`, "xyz", false},
	}
	for _, s := range seeds {
		f.Add([]byte(s.a), []byte(s.b), s.doc, s.left)
	}
	f.Fuzz(func(t *testing.T, aJSON, bJSON []byte, doc string, left bool) {
		doc = strings.ToValidUTF8(doc, "\uFFFD") // texts on a board are valid UTF-8
		var a, b TextOp
		errA, errB := a.UnmarshalJSON(aJSON), b.UnmarshalJSON(bJSON)
		for _, err := range []error{errA, errB} {
			if err != nil && !txIsBadOp(err) {
				t.Fatalf("decode error is not bad_op: %v", err)
			}
		}
		if errA != nil {
			return
		}
		for _, c := range a {
			if !utf8.ValidString(c.Insert) {
				t.Fatalf("decoded insert %q is not valid UTF-8", c.Insert)
			}
		}
		if back := txOp(t, txWire(t, a)); !txSameOp(back, a.Normalize()) {
			t.Fatalf("round trip of %v gave %v", a, back)
		}
		resA, applyA := a.Apply(doc)
		if applyA != nil && !txIsBadOp(applyA) {
			t.Fatalf("apply error is not bad_op: %v", applyA)
		}
		if applyA == nil && !utf8.ValidString(resA) {
			t.Fatalf("apply gave invalid UTF-8 %q", resA)
		}
		_ = TransformCursor(len(doc)/2, a, left)
		if errB != nil {
			return
		}
		side := Right
		if left {
			side = Left
		}
		a2, b2 := Transform(a, b, side), Transform(b, a, 1-side)
		c := Compose(a, b)
		if !a2.isNormal() || !b2.isNormal() || !c.isNormal() {
			t.Fatalf("results not normal: %v %v %v", a2, b2, c)
		}
		resB, applyB := b.Apply(doc)
		if applyA != nil || applyB != nil {
			return
		}
		x := txMustApply(t, b2, resA)
		y := txMustApply(t, a2, resB)
		if x != y {
			t.Fatalf("TP1: doc %q a %v b %v: %q != %q", doc, a, b, x, y)
		}
		if !utf8.ValidString(x) {
			t.Fatalf("transformed result %q is not valid UTF-8", x)
		}
	})
}

// txSameOp compares two ops, nil and empty being the same.
func txSameOp(x, y TextOp) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}
