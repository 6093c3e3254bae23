package board

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

var decodeOpCases = []string{
	`[]`, `[ ]`, `[3,"é",{"d":2}]`, ` [ 0 , "" , { "d" : 0 } ] `, `[1073741824]`, `[1073741825]`, `[9999999999]`,
	`[-1]`, `[1.0]`, `[1e2]`, `[1.5]`, `["\u00e9"]`, `["\ud83c"]`, `["\ud83c\udf31"]`, "[\"\xff\"]", `[null]`,
	`[true]`, `[[1]]`, `[{"d":1,"d":2}]`, `[{"d":-1}]`, `[{"d":1.0}]`, `[{"D":1}]`, `[{"\u0064":1}]`, `[{"d":1,"x":2}]`,
	`[{}]`, `["a","b",5]`, `{"d":1}`, `"x"`, `5`, `null`,
	`[` + strings.Repeat(`1,`, MaxOpComps-1) + `1]`, `[` + strings.Repeat(`1,`, MaxOpComps) + `1]`,
}

// decodeOp must give what UnmarshalJSON gives, error message included,
// on any valid JSON.
func checkDecodeOp(t *testing.T, raw []byte) {
	got, errA := decodeOp(raw)
	var want TextOp
	errB := want.UnmarshalJSON(raw)
	if (errA == nil) != (errB == nil) || (errA != nil && errA.Error() != errB.Error()) {
		t.Fatalf("%.80q: decodeOp error %v, UnmarshalJSON error %v", raw, errA, errB)
	}
	if errA == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%.80q: decodeOp %#v, UnmarshalJSON %#v", raw, got, want)
	}
}

func TestDecodeOpMatchesUnmarshalJSON(t *testing.T) {
	for _, c := range decodeOpCases {
		checkDecodeOp(t, []byte(c))
	}
}

func FuzzDecodeOp(f *testing.F) {
	for _, c := range decodeOpCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		raw = trimJSONSpace(raw)
		if !json.Valid(raw) {
			return // decode only sees valid JSON
		}
		checkDecodeOp(t, raw)
	})
}
