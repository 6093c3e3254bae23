package main

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tablee/tablee/board"
)

const (
	tBoard  = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	tClient = "16fd2706-8baf-433b-82eb-8c7fada847da"
)

// opJSON is an op frame as hub's encodeOp writes it.
func opJSON(v, seq int, changes string) string {
	return `{"type":"op","board":"` + tBoard + `","v":` + itoa(v) + `,"client":"` + tClient + `","seq":` + itoa(seq) + `,"changes":` + changes + `}`
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestScanFrame(t *testing.T) {
	text := `[{"kind":"text","section":"enjeux","op":[12,"é"]}]`
	for _, tc := range []struct {
		name  string
		frame string
		ok    bool // the fast path decides it
		want  opFrame
	}{
		{"op", opJSON(5, 3, text), true,
			opFrame{kind: frameOp, board: []byte(tBoard), client: []byte(tClient), v: 5, seq: 3, changes: []byte(text)}},
		{"ack", `{"type":"ack","board":"b-1","seq":7,"v":42}`, true,
			opFrame{kind: frameAck, board: []byte("b-1"), v: 42, seq: 7}},
		{"spaces and another order", " {\n\t\"seq\" : 7 , \"v\":0,\"board\":\"b\",\"type\":\"ack\" }\r\n", true,
			opFrame{kind: frameAck, board: []byte("b"), seq: 7}},
		{"unknown fields skipped", `{"type":"ack","board":"b","seq":1,"v":2,"x":{"a":[1,-2.5e+3,true,false,null,"\u00e9\n"]},"y":[]}`, true,
			opFrame{kind: frameAck, board: []byte("b"), v: 2, seq: 1}},
		{"repeated key: the last counts", `{"type":"ack","board":"a","board":"b","seq":1,"v":2}`, true,
			opFrame{kind: frameAck, board: []byte("b"), v: 2, seq: 1}},
		{"largest uint64", `{"type":"ack","seq":18446744073709551615,"v":0}`, true,
			opFrame{kind: frameAck, seq: 1<<64 - 1}},
		{"missing fields are zero, as in encoding/json", `{"type":"op"}`, true, opFrame{kind: frameOp}},

		// Left to encoding/json: valid frames in a form the fast path does not read.
		{"welcome", `{"type":"welcome","board":"b","v":1,"epoch":"e","snapshot":{}}`, false, opFrame{}},
		{"escape in a string", `{"type":"ack","board":"b\u002d1","seq":1,"v":1}`, false, opFrame{}},
		{"escape in a key", `{"typ\u0065":"ack","board":"b","seq":1,"v":1}`, false, opFrame{}},
		{"key in another case", `{"Type":"ack","board":"b","seq":1,"v":1}`, false, opFrame{}},
		{"key that folds to a field", `{"type":"ack","board":"b","ſeq":1,"v":1}`, false, opFrame{}},
		{"other field of inMsg", `{"type":"ack","board":"b","seq":1,"v":1,"code":"x"}`, false, opFrame{}},
		{"null", `{"type":"ack","board":null,"seq":1,"v":1}`, false, opFrame{}},
		{"not ASCII", `{"type":"ack","board":"é","seq":1,"v":1}`, false, opFrame{}},
		{"invalid UTF-8", "{\"type\":\"op\",\"client\":\"\xc8\"}", false, opFrame{}},
		{"fraction", `{"type":"ack","board":"b","seq":1.0,"v":1}`, false, opFrame{}},
		{"exponent", `{"type":"ack","board":"b","seq":1e2,"v":1}`, false, opFrame{}},
		{"negative", `{"type":"ack","board":"b","seq":-1,"v":1}`, false, opFrame{}},
		{"over uint64", `{"type":"ack","board":"b","seq":18446744073709551616,"v":1}`, false, opFrame{}},
		{"string for a number", `{"type":"ack","board":"b","seq":"1","v":1}`, false, opFrame{}},
		{"number for a string", `{"type":"ack","board":1,"seq":1,"v":1}`, false, opFrame{}},
		{"nesting past encoding/json's limit", `{"type":"ack","x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, false, opFrame{}},

		// Malformed: the fast path declines, encoding/json reports them.
		{"empty", ``, false, opFrame{}},
		{"not an object", `["op"]`, false, opFrame{}},
		{"truncated", opJSON(5, 3, text)[:60], false, opFrame{}},
		{"truncated in changes", opJSON(5, 3, text)[:len(opJSON(5, 3, text))-10], false, opFrame{}},
		{"no closing brace", `{"type":"ack","board":"b","seq":1,"v":1`, false, opFrame{}},
		{"trailing garbage", `{"type":"ack","board":"b","seq":1,"v":1}x`, false, opFrame{}},
		{"two objects", `{"type":"ack"}{"type":"ack"}`, false, opFrame{}},
		{"trailing comma", `{"type":"ack","board":"b",}`, false, opFrame{}},
		{"missing colon", `{"type" "ack"}`, false, opFrame{}},
		{"missing comma", `{"type":"ack" "board":"b"}`, false, opFrame{}},
		{"leading zero", `{"type":"ack","seq":01}`, false, opFrame{}},
		{"bare word", `{"type":"ack","x":nul}`, false, opFrame{}},
		{"bad escape", `{"type":"ack","x":"\q"}`, false, opFrame{}},
		{"short unicode escape", `{"type":"ack","x":"\u12"}`, false, opFrame{}},
		{"control character", "{\"type\":\"ack\",\"x\":\"a\x01\"}", false, opFrame{}},
		{"unclosed string", `{"type":"ack","x":"abc`, false, opFrame{}},
		{"bad number", `{"type":"ack","x":1.}`, false, opFrame{}},
		{"bad exponent", `{"type":"ack","x":1e}`, false, opFrame{}},
		{"minus alone", `{"type":"ack","x":-}`, false, opFrame{}},
		{"unclosed array", `{"type":"op","changes":[1,2}`, false, opFrame{}},
		{"mismatched brackets", `{"type":"op","changes":[{]}`, false, opFrame{}},
		{"object key not a string", `{"type":"op","x":{1:2}}`, false, opFrame{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fr opFrame
			ok := scanFrame([]byte(tc.frame), &fr)
			if ok != tc.ok {
				t.Fatalf("scanFrame(%s) = %v, want %v", tc.frame, ok, tc.ok)
			}
			if ok && !reflect.DeepEqual(fr, tc.want) {
				t.Fatalf("scanFrame(%s) = %+v, want %+v", tc.frame, fr, tc.want)
			}
			checkAgainstJSON(t, []byte(tc.frame))
		})
	}
}

// checkAgainstJSON checks that a frame the fast path reads is one that
// encoding/json decodes, to the same values.
func checkAgainstJSON(t *testing.T, frame []byte) {
	t.Helper()
	var fr opFrame
	if !scanFrame(frame, &fr) {
		return
	}
	var m inMsg
	if err := json.Unmarshal(frame, &m); err != nil {
		t.Fatalf("the fast path read %q, which encoding/json refuses: %v", frame, err)
	}
	if m.Type != fr.kind.String() || m.Board != string(fr.board) || m.Client != string(fr.client) ||
		m.V != fr.v || m.Seq != fr.seq || string(m.Changes) != string(fr.changes) {
		t.Fatalf("the fast path read %q as %+v, encoding/json as %+v", frame, fr, m)
	}
}

func TestScanTextChanges(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changes string
		ok      bool
		want    []textChange
	}{
		{"retain insert", `[{"kind":"text","section":"enjeux","op":[12,"é"]}]`, true,
			[]textChange{{1, board.TextOp{{Retain: 12}, {Insert: "é"}}}}},
		{"insert delete", `[{"kind":"text","section":"calendrier","op":["a🌱",{"d":3}]}]`, true,
			[]textChange{{6, board.TextOp{{Insert: "a🌱"}, {Delete: 3}}}}},
		{"delete with spaces", `[ { "op" : [ 1 , { "d" : 2 } ] , "section" : "niveau" , "kind" : "text" } ]`, true,
			[]textChange{{2, board.TextOp{{Retain: 1}, {Delete: 2}}}}},
		{"several changes", `[{"kind":"text","section":"enjeux","op":["a"]},{"kind":"text","section":"niveau","op":[2,"b",{"d":1},"c"]}]`, true,
			[]textChange{{1, board.TextOp{{Insert: "a"}}}, {2, board.TextOp{{Retain: 2}, {Insert: "b"}, {Delete: 1}, {Insert: "c"}}}}},
		{"other fields skipped", `[{"kind":"text","section":"enjeux","op":["a"],"id":"x","props":{"n":[1]}}]`, true,
			[]textChange{{1, board.TextOp{{Insert: "a"}}}}},
		{"empty op", `[{"kind":"text","section":"enjeux","op":[]}]`, true, []textChange{{1, board.TextOp{}}}},
		{"no change", `[]`, true, nil},

		// Left to board.DecodeChanges, valid or not.
		{"another kind", `[{"kind":"delete","id":"a1"}]`, false, nil},
		{"text then another kind", `[{"kind":"text","section":"enjeux","op":["a"]},{"kind":"delete","id":"a1"}]`, false, nil},
		{"unknown section", `[{"kind":"text","section":"nope","op":["a"]}]`, false, nil},
		{"no kind", `[{"section":"enjeux","op":["a"]}]`, false, nil},
		{"no section", `[{"kind":"text","op":["a"]}]`, false, nil},
		{"no op", `[{"kind":"text","section":"enjeux"}]`, false, nil},
		{"null op", `[{"kind":"text","section":"enjeux","op":null}]`, false, nil},
		{"trailing retain", `[{"kind":"text","section":"enjeux","op":["a",3]}]`, false, nil},
		{"two retains", `[{"kind":"text","section":"enjeux","op":[1,2,"a"]}]`, false, nil},
		{"two inserts", `[{"kind":"text","section":"enjeux","op":["a","b"]}]`, false, nil},
		{"zero retain", `[{"kind":"text","section":"enjeux","op":[0,"a"]}]`, false, nil},
		{"empty insert", `[{"kind":"text","section":"enjeux","op":[1,""]}]`, false, nil},
		{"zero delete", `[{"kind":"text","section":"enjeux","op":[{"d":0}]}]`, false, nil},
		{"escaped insert", `[{"kind":"text","section":"enjeux","op":["\u00e9"]}]`, false, nil},
		{"invalid UTF-8", "[{\"kind\":\"text\",\"section\":\"enjeux\",\"op\":[\"\xff\"]}]", false, nil},
		{"retain 3.0", `[{"kind":"text","section":"enjeux","op":[3.0,"a"]}]`, false, nil},
		{"retain 3e0", `[{"kind":"text","section":"enjeux","op":[3e0,"a"]}]`, false, nil},
		{"negative retain", `[{"kind":"text","section":"enjeux","op":[-3,"a"]}]`, false, nil},
		{"retain too large", `[{"kind":"text","section":"enjeux","op":[1073741825,"a"]}]`, false, nil},
		{"delete object with more", `[{"kind":"text","section":"enjeux","op":[{"d":1,"x":2}]}]`, false, nil},
		{"delete object of another key", `[{"kind":"text","section":"enjeux","op":[{"x":1}]}]`, false, nil},
		{"nested array", `[{"kind":"text","section":"enjeux","op":[[1]]}]`, false, nil},
		{"not an array", `{"kind":"text"}`, false, nil},
		{"null", `null`, false, nil},
		{"missing", ``, false, nil},
		{"truncated", `[{"kind":"text","section":"enjeux","op":[1,"a"`, false, nil},
		{"trailing garbage", `[]]`, false, nil},
		{"missing comma", `[{"kind":"text" "section":"enjeux","op":["a"]}]`, false, nil},
		{"missing colon", `[{"kind":"text","section":"enjeux","op" ["a"]}]`, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, ok := scanTextChanges([]byte(tc.changes), nil, nil)
			if ok != tc.ok {
				t.Fatalf("scanTextChanges(%s) = %v, want %v", tc.changes, ok, tc.ok)
			}
			if !ok {
				return
			}
			same := len(got) == len(tc.want)
			for i := 0; same && i < len(got); i++ {
				same = got[i].section == tc.want[i].section && sameOp(got[i].op, tc.want[i].op)
			}
			if !same {
				t.Fatalf("scanTextChanges(%s) = %+v, want %+v", tc.changes, got, tc.want)
			}
			checkAgainstDecode(t, []byte(tc.changes))
		})
	}
}

// checkAgainstDecode checks that changes the fast path reads are what
// board.DecodeChanges decodes.
func checkAgainstDecode(t *testing.T, raw []byte) {
	t.Helper()
	got, _, ok := scanTextChanges(raw, nil, nil)
	if !ok {
		return
	}
	want, err := board.DecodeChanges(raw)
	if err != nil {
		t.Fatalf("the fast path read %s, which board.DecodeChanges refuses: %v", raw, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d changes, board.DecodeChanges %d", raw, len(got), len(want))
	}
	for i := range want {
		if want[i].Kind != board.KindText || board.Sections[got[i].section].Key != want[i].Section ||
			!sameOp(got[i].op, want[i].Op) {
			t.Fatalf("%s: change %d read as %+v, board.DecodeChanges gives %+v", raw, i, got[i], want[i])
		}
	}
}

// sameOp compares ops, nil and empty alike.
func sameOp(a, b board.TextOp) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// TestScanReusesBuffers checks that the reused buffers give the right ops
// frame after frame, including when they grow in the middle of a frame.
func TestScanReusesBuffers(t *testing.T) {
	var out []textChange
	var comps []board.Comp
	var ok bool
	for n := 1; n < 40; n += 7 {
		var sb strings.Builder
		sb.WriteString("[")
		for i := range n {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString(`{"kind":"text","section":"enjeux","op":[` + itoa(i+1) + `,"x",{"d":` + itoa(i+1) + `}]}`)
		}
		sb.WriteString("]")
		out, comps, ok = scanTextChanges([]byte(sb.String()), out, comps)
		if !ok || len(out) != n {
			t.Fatalf("%d changes: ok %v, %d read", n, ok, len(out))
		}
		for i, ch := range out {
			want := board.TextOp{{Retain: i + 1}, {Insert: "x"}, {Delete: i + 1}}
			if !reflect.DeepEqual(ch.op, want) {
				t.Fatalf("%d changes: change %d is %v, want %v", n, i, ch.op, want)
			}
		}
	}
}

// TestMalformedFramesAreErrors plays frames a broken server could send
// through the client's receive path: each must be counted as an error (and
// the follow stop trusting its text where a version was taken), never
// crash the generator.
func TestMalformedFramesAreErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frame  string
		broken bool // the follow no longer trusts its text
	}{
		{"not JSON", `{"type":"op",`, false},
		{"binary junk", "\x00\xff\xfe", false},
		{"empty", ``, false},
		{"unknown type", `{"type":"hello","board":"` + tBoard + `"}`, false},
		{"unknown board", `{"type":"op","board":"other","v":1,"client":"c","seq":1,"changes":[]}`, false},
		{"ack of nothing in flight", `{"type":"ack","board":"` + tBoard + `","seq":1,"v":1}`, false},
		{"changes not an array", opJSON(1, 1, `{}`), true},
		{"changes null", opJSON(1, 1, `null`), true},
		{"changes missing", `{"type":"op","board":"` + tBoard + `","v":1,"client":"c","seq":1}`, true},
		{"unknown section", opJSON(1, 1, `[{"kind":"text","section":"nope","op":["a"]}]`), true},
		{"bad op", opJSON(1, 1, `[{"kind":"text","section":"enjeux","op":[-1]}]`), true},
		{"op past the end of the text", opJSON(1, 1, `[{"kind":"text","section":"enjeux","op":[100000,"a"]}]`), true},
		{"v a string", `{"type":"op","board":"` + tBoard + `","v":"1","client":"c","seq":1,"changes":[]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := testFleet(t)
			bi := &boardInfo{id: tBoard, followers: 3}
			c := newClient(f, connSpec{kind: kindViewer, boards: []*boardInfo{bi}}, "me", 0)
			fl := c.follows[tBoard]
			fl.ok = true
			c.onFrame([]byte(tc.frame), time.Now())
			st := f.stats()
			if st.errors.Load() != 1 {
				t.Errorf("%d errors counted, want 1", st.errors.Load())
			}
			if fl.broken != tc.broken {
				t.Errorf("broken %v, want %v", fl.broken, tc.broken)
			}
			if n, _ := f.problems(); n != 1 {
				t.Errorf("%d problems noted, want 1", n)
			}
		})
	}
}

// TestSlowPathAgrees checks that a frame the fast path declines but that
// is valid (escapes, another order of fields, an op not in canonical form)
// is handled as the plain one is.
func TestSlowPathAgrees(t *testing.T) {
	plain := opJSON(1, 1, `[{"kind":"text","section":"enjeux","op":[3,"é"]}]`)
	for _, frame := range []string{
		plain,
		`{"type":"op","board":"` + tBoard + `","v":1,"client":"` + strings.Replace(tClient, "-", `\u002d`, 1) + `","seq":1,"changes":[{"kind":"text","section":"enjeux","op":[3,"é"]}]}`,
		opJSON(1, 1, `[{"kind":"text","section":"enjeux","op":[1,2,"\u00e9",5]}]`),
		opJSON(1, 1, `[{"kind":"text","section":"enjeux","op":[3,"é"]},{"kind":"delete","id":"a1"}]`),
	} {
		f := testFleet(t)
		bi := &boardInfo{id: tBoard, followers: 3}
		sub := newClient(f, connSpec{kind: kindEditor, boards: []*boardInfo{bi}}, tClient, 1)
		f.register(sub)
		sub.putStamp(1, stamp{sent: time.Now(), typed: time.Now(), left: 2})
		c := newClient(f, connSpec{kind: kindViewer, boards: []*boardInfo{bi}}, "me", 0)
		fl := c.follows[tBoard]
		fl.ok = true
		fl.docs[1] = "abcdef"
		c.onFrame([]byte(frame), time.Now())
		st := f.stats()
		if st.errors.Load() != 0 || fl.broken || fl.v != 1 || fl.docs[1] != "abcédef" ||
			st.deliveries.Load() != 1 || st.unstamped.Load() != 0 || st.editToPeer.Merged().Count() != 1 {
			t.Errorf("%s: errors %d, broken %v, v %d, text %q, deliveries %d, unstamped %d",
				frame, st.errors.Load(), fl.broken, fl.v, fl.docs[1], st.deliveries.Load(), st.unstamped.Load())
		}
		if slow := f.slowFrames.Load(); (slow == 0) != (frame == plain) {
			t.Errorf("%s: %d frames on the slow path", frame, slow)
		}
	}
}

func testFleet(t *testing.T) *Fleet {
	t.Helper()
	f := newFleet(t.Context(), &Config{}, &strings.Builder{})
	t.Cleanup(f.closeAll)
	return f
}

// FuzzScanFrame checks that the fast path never panics, and that whatever
// it reads, encoding/json and board.DecodeChanges read the same.
func FuzzScanFrame(f *testing.F) {
	for _, s := range []string{
		opJSON(5, 3, `[{"kind":"text","section":"enjeux","op":[12,"é"]}]`),
		opJSON(5, 3, `[{"kind":"text","section":"niveau","op":["a🌱",{"d":3}]},{"kind":"text","section":"enjeux","op":[1,{"d":1},"x"]}]`),
		`{"type":"ack","board":"b-1","seq":7,"v":42}`,
		`{"type":"ack","board":"b","seq":1,"v":2,"x":{"a":[1,-2.5e+3,true,false,null,"\u00e9\n"]}}`,
		`{"type":"welcome","board":"b","v":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstJSON(t, data)
		var fr opFrame
		if scanFrame(data, &fr) && fr.kind == frameOp {
			checkAgainstDecode(t, fr.changes)
		}
		checkAgainstDecode(t, data)
	})
}
