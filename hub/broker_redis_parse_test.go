package hub

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// parseRecordsJSON is the reference: what parseRecords did with
// encoding/json before it split the array by hand.
func parseRecordsJSON(payload string) ([]Record, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal([]byte(payload), &raws); err != nil {
		return nil, err
	}
	out := make([]Record, len(raws))
	for i, raw := range raws {
		var head struct {
			V uint64 `json:"v"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, err
		}
		out[i] = Record{V: head.V, Data: raw}
	}
	return out, nil
}

func TestParseRecords(t *testing.T) {
	for _, tc := range []struct {
		payload string
		ok      bool
	}{
		{`[{"v":7,"client":"c","seq":1,"changes":[]}]`, true},
		{`[{"v":7,"changes":[]},{"v":8,"changes":[{"kind":"text","section":"enjeux","op":[1,"é"]}]}]`, true},
		{` [ {"v":1} , {"v":2}  ] `, true},
		{`[]`, true},
		{`[{"client":"c","v":12}]`, true},      // "v" not first: the slow path
		{`[{"v":18446744073709551615}]`, true}, // the largest version
		{`[{"v":0}]`, true},
		{`[{"v":01}]`, false},
		{`[{"v":18446744073709551616}]`, false}, // overflows
		{`[{"v":-1}]`, false},
		{`[{"v":1.5}]`, false},
		{`[{"v":"1"}]`, false},
		{`[7]`, false},
		{`{"v":1}`, false},
		{`[{"v":1}`, false},
		{`[{"v":1}] x`, false},
		{`[{"v":1},]`, false},
		{`[{"v":1}{"v":2}]`, false},
		{``, false},
		{`[{"v":1,"d":"unterminated}]`, false},
	} {
		got, err := parseRecords(tc.payload)
		if (err == nil) != tc.ok {
			t.Errorf("parseRecords(%q): err %v, want ok=%v", tc.payload, err, tc.ok)
			continue
		}
		want, werr := parseRecordsJSON(tc.payload)
		if (werr == nil) != tc.ok {
			t.Errorf("reference on %q: err %v, want ok=%v", tc.payload, werr, tc.ok)
		}
		if err == nil && !reflect.DeepEqual(normRecords(got), normRecords(want)) {
			t.Errorf("parseRecords(%q) = %v, want %v", tc.payload, got, want)
		}
	}
}

func normRecords(rs []Record) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, string(rune('0'+r.V%10))+":"+string(r.Data))
	}
	return out
}

func FuzzParseRecords(f *testing.F) {
	f.Add(`[{"v":7,"client":"c","seq":1,"changes":[]}]`)
	f.Add(` [ {"v":1} , {"x":2,"v":3}  ] `)
	f.Fuzz(func(t *testing.T, payload string) {
		got, err := parseRecords(payload)
		want, werr := parseRecordsJSON(payload)
		if (err == nil) != (werr == nil) {
			t.Fatalf("parseRecords(%q): err %v, encoding/json: %v", payload, err, werr)
		}
		if err != nil {
			return
		}
		// Rooms write each entry with one "v", first; a second key that
		// encoding/json would also take for V (its last one wins, case
		// aside) is never written, and is not compared.
		if strings.Count(strings.ToLower(payload), `"v"`) > len(want) || strings.Contains(payload, `\u`) {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%d records, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i].V != want[i].V || string(got[i].Data) != string(want[i].Data) {
				t.Fatalf("record %d: %d %s, want %d %s", i, got[i].V, got[i].Data, want[i].V, want[i].Data)
			}
		}
	})
}
