package hub

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/tablee/tablee/board"
)

// slowSubmit is what the reflection path makes of a frame: ok when it
// decodes as a submit.
func slowSubmit(data []byte) (submitIn, bool) {
	var m inMsg
	if err := json.Unmarshal(data, &m); err != nil || m.Type != "submit" {
		return submitIn{}, false
	}
	return m.submitIn(), true
}

func sameSubmit(a, b submitIn) bool {
	return a.board == b.board && a.seq == b.seq && a.base == b.base && a.hasSeq == b.hasSeq &&
		a.hasBase == b.hasBase && bytes.Equal(a.changes, b.changes)
}

const okChanges = `[{"kind":"text","section":"enjeux","op":[3,"é",{"d":1}]}]`

// decodeCases: frames and whether the fast path takes them. Whatever it
// takes, it must decode as encoding/json does; whatever it leaves goes to
// encoding/json (and TestSubmitFramesAnswers checks the answers).
var decodeCases = []struct {
	name string
	in   string
	fast bool
}{
	{"plain", `{"type":"submit","board":"b-1_X","seq":12,"base":11,"changes":` + okChanges + `}`, true},
	{"any order and spaces", " \n{ \"changes\" : [] ,\"base\":0, \"seq\" :1,\"board\":\"b\",\"type\":\"submit\" } \t", true},
	{"unknown member", `{"type":"submit","board":"b","seq":1,"base":0,"changes":[],"t":{"a":[1,2.5e3,null,"x\u00e9"]}}`, true},
	{"max uint64", `{"type":"submit","board":"b","seq":18446744073709551615,"base":0,"changes":[]}`, true},
	{"seq 0", `{"type":"submit","board":"b","seq":0,"base":0,"changes":[]}`, true},
	{"missing seq", `{"type":"submit","board":"b","base":0,"changes":[]}`, true},
	{"missing base", `{"type":"submit","board":"b","seq":1,"changes":[]}`, true},
	{"missing board", `{"type":"submit","seq":1,"base":0,"changes":[]}`, true},
	{"missing changes", `{"type":"submit","board":"b","seq":1,"base":0}`, true},
	{"changes not an array", `{"type":"submit","board":"b","seq":1,"base":0,"changes":{"kind":"text"}}`, true},
	{"changes a string", `{"type":"submit","board":"b","seq":1,"base":0,"changes":"[]"}`, true},
	{"changes null", `{"type":"submit","board":"b","seq":1,"base":0,"changes":null}`, true},
	{"bad board id", `{"type":"submit","board":"no/slash","seq":1,"base":0,"changes":[]}`, true},
	{"only the type", `{"type":"submit"}`, true},

	{"over uint64", `{"type":"submit","board":"b","seq":18446744073709551616,"base":0,"changes":[]}`, false},
	{"huge", `{"type":"submit","board":"b","seq":1,"base":1` + strings.Repeat("0", 40) + `,"changes":[]}`, false},
	{"negative seq", `{"type":"submit","board":"b","seq":-1,"base":0,"changes":[]}`, false},
	{"negative zero", `{"type":"submit","board":"b","seq":1,"base":-0,"changes":[]}`, false},
	{"fraction", `{"type":"submit","board":"b","seq":1.5,"base":0,"changes":[]}`, false},
	{"whole fraction", `{"type":"submit","board":"b","seq":1.0,"base":0,"changes":[]}`, false},
	{"exponent", `{"type":"submit","board":"b","seq":1e2,"base":0,"changes":[]}`, false},
	{"leading zero", `{"type":"submit","board":"b","seq":01,"base":0,"changes":[]}`, false},
	{"seq a string", `{"type":"submit","board":"b","seq":"1","base":0,"changes":[]}`, false},
	{"seq null", `{"type":"submit","board":"b","seq":null,"base":0,"changes":[]}`, false},
	{"board a number", `{"type":"submit","board":5,"seq":1,"base":0,"changes":[]}`, false},
	{"board null", `{"type":"submit","board":null,"seq":1,"base":0,"changes":[]}`, false},
	{"board with an escape", `{"type":"submit","board":"\u0062","seq":1,"base":0,"changes":[]}`, false},
	{"board not ASCII", `{"type":"submit","board":"é","seq":1,"base":0,"changes":[]}`, false},
	{"type a number", `{"type":1,"board":"b","seq":1,"base":0,"changes":[]}`, false},
	{"another type", `{"type":"hello","board":"b"}`, false},
	{"no type", `{"board":"b","seq":1,"base":0,"changes":[]}`, false},
	{"duplicate seq", `{"type":"submit","board":"b","seq":1,"seq":2,"base":0,"changes":[]}`, false},
	{"duplicate type", `{"type":"submit","type":"submit","board":"b","seq":1,"base":0,"changes":[]}`, false},
	{"key in another case", `{"type":"submit","board":"b","Seq":1,"base":0,"changes":[]}`, false},
	{"key with an escape", `{"type":"submit","board":"b","s\u0065q":1,"base":0,"changes":[]}`, false},
	{"another field of inMsg", `{"type":"submit","board":"b","seq":1,"base":0,"changes":[],"client":5}`, false},
	{"trailing garbage", `{"type":"submit","board":"b","seq":1,"base":0,"changes":[]}x`, false},
	{"two objects", `{"type":"submit","board":"b","seq":1,"base":0,"changes":[]}{}`, false},
	{"trailing comma", `{"type":"submit","board":"b","seq":1,"base":0,"changes":[],}`, false},
	{"unclosed", `{"type":"submit","board":"b","seq":1,"base":0,"changes":[]`, false},
	{"bad changes JSON", `{"type":"submit","board":"b","seq":1,"base":0,"changes":[{"kind":}]}`, false},
	{"bad unknown member", `{"type":"submit","board":"b","seq":1,"base":0,"changes":[],"t":[1,]}`, false},
	{"not an object", `["submit"]`, false},
	{"empty", ``, false},
	{"empty object", `{}`, false},
	{"control character", "{\"type\":\"submit\",\"board\":\"b\x01\",\"seq\":1,\"base\":0,\"changes\":[]}", false},
}

func TestDecodeSubmitMatchesEncodingJSON(t *testing.T) {
	for _, tt := range decodeCases {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeSubmit([]byte(tt.in))
			if ok != tt.fast {
				t.Fatalf("fast path took it: %v, want %v", ok, tt.fast)
			}
			if !ok {
				return
			}
			want, wok := slowSubmit([]byte(tt.in))
			if !wok || !sameSubmit(got, want) {
				t.Fatalf("fast %+v, encoding/json %+v (%v)", got, want, wok)
			}
		})
	}
}

// FuzzDecodeSubmit: whatever the fast path takes, encoding/json decodes to
// the same submit.
func FuzzDecodeSubmit(f *testing.F) {
	for _, tt := range decodeCases {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeSubmit(data)
		if !ok {
			return
		}
		want, wok := slowSubmit(data)
		if !wok || !sameSubmit(got, want) {
			t.Fatalf("%q: fast %+v, encoding/json %+v (%v)", data, got, want, wok)
		}
	})
}

// TestSubmitFramesAnswers: malformed submits get the answer they always
// got, whichever path decodes them, and never change the board.
func TestSubmitFramesAnswers(t *testing.T) {
	h, url := benchHubT(t)
	id := newBoard(t, h)
	other := uuid.NewString()
	c := dialHello(t, url, id)
	sub := func(fields string) string { return `{"type":"submit","board":"` + id + `",` + fields + `}` }
	cases := []struct {
		name, in  string
		typ, code string
	}{
		{"not JSON", sub(`"seq":1,"base":0,"changes":[`), "error", CodeBadJSON},
		{"trailing garbage", sub(`"seq":1,"base":0,"changes":[]`) + "]", "error", CodeBadJSON},
		{"two objects", sub(`"seq":1,"base":0,"changes":[]`) + "{}", "error", CodeBadJSON},
		{"missing seq", sub(`"base":0,"changes":[]`), "error", CodeBadMessage},
		{"seq 0", sub(`"seq":0,"base":0,"changes":[]`), "error", CodeBadMessage},
		{"missing base", sub(`"seq":1,"changes":[]`), "reject", CodeBadMessage},
		{"missing changes", sub(`"seq":1,"base":0`), "reject", CodeBadMessage},
		{"changes null", sub(`"seq":1,"base":0,"changes":null`), "reject", CodeBadMessage},
		{"changes an object", sub(`"seq":1,"base":0,"changes":{"kind":"text"}`), "reject", CodeBadMessage},
		{"changes a string", sub(`"seq":1,"base":0,"changes":"[]"`), "reject", CodeBadMessage},
		{"negative seq", sub(`"seq":-1,"base":0,"changes":[]`), "error", CodeBadMessage},
		{"negative base", sub(`"seq":1,"base":-1,"changes":[]`), "reject", CodeBadMessage},
		{"fraction", sub(`"seq":1,"base":0.5,"changes":[]`), "reject", CodeBadMessage},
		{"seq over uint64", sub(`"seq":18446744073709551616,"base":0,"changes":[]`), "error", CodeBadMessage},
		{"huge base", sub(`"seq":1,"base":1e400,"changes":[]`), "reject", CodeBadMessage},
		{"seq a string", sub(`"seq":"1","base":0,"changes":[]`), "error", CodeBadMessage},
		{"board a number", `{"type":"submit","board":5,"seq":1,"base":0,"changes":[]}`, "error", CodeBadMessage},
		{"no board", `{"type":"submit","seq":1,"base":0,"changes":[]}`, "error", CodeBadMessage},
		{"board not followed", `{"type":"submit","board":"` + other + `","seq":1,"base":0,"changes":[]}`, "reject", CodeNotFollowing},
		{"bad op", sub(`"seq":1,"base":0,"changes":[{"kind":"text","section":"enjeux","op":[5,"x"]}]`), "reject", "bad_op"},
		{"negative retain", sub(`"seq":1,"base":0,"changes":[{"kind":"text","section":"enjeux","op":[-1]}]`), "reject", "bad_op"},
		{"retain over the bound", sub(`"seq":1,"base":0,"changes":[{"kind":"text","section":"enjeux","op":[99999999999,"x"]}]`), "reject", "bad_op"},
		{"bad change", sub(`"seq":1,"base":0,"changes":[{"kind":"paint"}]`), "reject", "bad_change"},
		{"base ahead", sub(`"seq":1,"base":7,"changes":[]`), "reject", CodeBadBase},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			c.WriteMessage(websocket.TextMessage, []byte(tt.in))
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, msg, err := c.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Type, Code, Message string }
			json.Unmarshal(msg, &got)
			if got.Type != tt.typ || got.Code != tt.code || got.Message == "" {
				t.Fatalf("got %s, want %s %s", msg, tt.typ, tt.code)
			}
		})
	}
	// Nothing was committed: the first real submit is version 1.
	c.WriteMessage(websocket.TextMessage, keystroke(id, 1, 0))
	if _, msg, err := c.ReadMessage(); err != nil || !strings.Contains(string(msg), `"ack"`) || !strings.Contains(string(msg), `"v":1}`) {
		t.Fatalf("after the bad frames: %s %v", msg, err)
	}
}

var entryCases = []struct {
	in   string
	fast bool // taken by the fast path
}{
	{`{"v":3,"client":"c1","seq":2,"changes":[{"kind":"text","section":"enjeux","op":[4,"é"]}]}`, true},
	{`{"v":3,"changes":[],"seq":2,"client":"c1"}`, true},
	{` { "v" : 1 , "changes" : [ ] } `, true},
	{`{"v":3,"client":"","seq":0,"changes":[{"kind":"meta","props":{"niveau":"faire_avec"}}]}`, true},
	{`{"v":3,"client":"c\u0031","seq":2,"changes":[]}`, false}, // an escape
	{`{"v":3,"V":4,"changes":[]}`, false},                      // another member
	{`{"v":3,"v":4,"changes":[]}`, false},                      // twice
	{`{"v":3,"changes":null}`, false},
	{`{"v":3}`, false},
	{`{"changes":[]}`, false},
	{`{"v":-3,"changes":[]}`, false},
	{`{"v":3,"changes":[]} x`, false},
	{`[]`, false},
	{`{"v":3,"changes":[{"kind":"nope"}]}`, false},
}

// TestDecodeEntryMatchesEncodingJSON holds the fast path to encoding/json.
func TestDecodeEntryMatchesEncodingJSON(t *testing.T) {
	for _, tc := range entryCases {
		got, ok := decodeEntryFast([]byte(tc.in))
		if ok != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.in, ok, tc.fast)
			continue
		}
		if !ok {
			continue
		}
		var want board.Entry
		if err := json.Unmarshal([]byte(tc.in), &want); err != nil {
			t.Fatalf("%s: encoding/json: %v", tc.in, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fast %+v, encoding/json %+v", tc.in, got, want)
		}
	}
}

func FuzzDecodeEntry(f *testing.F) {
	for _, tc := range entryCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeEntryFast(data)
		if !ok {
			return
		}
		var want board.Entry
		if err := json.Unmarshal(data, &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: fast %+v, encoding/json %+v (%v)", data, got, want, err)
		}
	})
}
