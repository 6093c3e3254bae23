package board

import (
	"encoding/json"
	"strings"
	"testing"
)

var jsonCases = []string{
	``, ` `, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e`, `1e+`, `1E-7`, `1e400`, `-12.5e3`, `2x`,
	`true`, `tru`, `truex`, `false`, `null`, `nul`, `nullnull`,
	`""`, `"a"`, `"\u00e9"`, `"\u00g9"`, `"\u00e"`, `"\x"`, `"\/"`, "\"\x01\"", "\"\x7f\xff\"", `"unterminated`, `"\`,
	`[]`, `[ ]`, `[1,]`, `[,1]`, `[1 2]`, `[1,2]`, `[[[]]]`, `[[]`, `[]]`, `{}`, `{ }`, `{"a":1}`, `{"a" : 1 , "b":[true]}`,
	`{"a"}`, `{"a":}`, `{"a":1,}`, `{1:2}`, `{"a":1 "b":2}`, `{"a":1]`, `[1}`, " \t\r\n{\"k\":\"v\"}\n ", `{} {}`,
	`{"type":"submit","board":"b","seq":1,"base":0,"changes":[{"kind":"text","section":"enjeux","op":[3,"é",{"d":2}]}]}`,
}

func TestValidMatchesEncodingJSON(t *testing.T) {
	for _, c := range jsonCases {
		if got, want := ValidJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("ValidJSON(%q) = %v, json.Valid says %v", c, got, want)
		}
	}
	for _, depth := range []int{maxJSONDepth - 1, maxJSONDepth, maxJSONDepth + 1} {
		for _, open := range []string{"[", `{"a":`} {
			closing := "]"
			if open != "[" {
				closing = "}"
			}
			c := []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(closing, depth))
			if got, want := ValidJSON(c), json.Valid(c); got != want {
				t.Errorf("depth %d %s: Valid %v, json.Valid %v", depth, open, got, want)
			}
		}
	}
}

func TestSkipJSON(t *testing.T) {
	b := []byte(`{"a":[1,{"b":"}"}]} ,"next"`)
	end, ok := SkipJSON(b, 0)
	if !ok || string(b[:end]) != `{"a":[1,{"b":"}"}]}` {
		t.Fatalf("Skip: %d %v", end, ok)
	}
	if _, ok := SkipJSON(b, end); ok {
		t.Fatal("Skip took a space for a value")
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := ValidJSON(b), json.Valid(b); got != want {
			t.Fatalf("ValidJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
		if end, ok := SkipJSON(b, 0); ok {
			if end > len(b) || !json.Valid(b[:end]) {
				t.Fatalf("SkipJSON(%q) = %d, not a valid value", b, end)
			}
		}
	})
}

func TestPlainTokens(t *testing.T) {
	for _, tc := range []struct {
		in    string
		ascii bool
		want  string
		ok    bool
	}{
		{`"abc"`, true, "abc", true},
		{`"é"`, false, "é", true},
		{`"é"`, true, "", false},
		{`"a\"b"`, false, "", false},
		{"\"a\x01\"", false, "", false},
		{`"open`, false, "", false},
		{`7`, false, "", false},
	} {
		got, _, ok := PlainString([]byte(tc.in), 0, tc.ascii)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("PlainString(%q, ascii %v) = %q %v, want %q %v", tc.in, tc.ascii, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"42,", 42, true}, {"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false}, {"01", 0, false}, {"-1", 0, false}, {"", 0, false},
	} {
		n, _, ok := PlainUint([]byte(tc.in), 0)
		if ok != tc.ok || n != tc.want {
			t.Errorf("PlainUint(%q) = %d %v, want %d %v", tc.in, n, ok, tc.want, tc.ok)
		}
	}
}
