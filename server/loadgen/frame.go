package main

import (
	"strings"
	"unicode/utf8"

	"github.com/tablee/tablee/board"
)

// A fast path for the two frames that make almost all of the generator's
// work: op (every delivery) and ack (every change). Through encoding/json
// and board.DecodeChanges an op frame cost 6 µs and 37 allocations; at
// 200,000 deliveries a second that alone would take more than the
// generator's core.
//
// The scanner reads those frames only when they are in the plain form the
// server writes (hub's encodeOp and encodeAck): strings without escapes,
// integers without sign, fraction or exponent, text ops in canonical form.
// Anything else — another type, an escape, a null, a field of an unexpected
// type, a change that is not text, invalid JSON — makes it decline, and the
// frame goes through encoding/json and board.DecodeChanges as before, which
// have the last word: a malformed frame is reported there, exactly as it
// always was. So the fast path only ever decides frames that the slow one
// would decode to the same values; it never has to be right about errors.

// frameKind is the type of a frame the fast path read.
type frameKind uint8

const (
	frameOp frameKind = iota + 1
	frameAck
)

func (k frameKind) String() string {
	if k == frameAck {
		return "ack"
	}
	return "op"
}

// opFrame is what the client uses of an op or ack frame. The byte slices
// point into the frame: they are valid until the next read.
type opFrame struct {
	kind    frameKind
	board   []byte
	client  []byte // op: the submitter
	v, seq  uint64
	changes []byte // op: the raw changes, valid JSON
}

// inMsgFields are the JSON names of inMsg's fields: encoding/json matches
// keys without regard to case, so a key that folds to one of them but is
// not spelled as the scanner expects is left to it.
var inMsgFields = []string{"type", "board", "v", "epoch", "seq", "client", "code", "message", "storage", "changes", "snapshot"}

// scanFrame reads data into fr if it is an op or ack frame in the server's
// plain form, and reports whether it did. When it reports false, fr is
// undefined and the frame must be decoded by encoding/json.
func scanFrame(data []byte, fr *opFrame) bool {
	*fr = opFrame{}
	var typ []byte
	i := board.SkipSpace(data, 0)
	if i == len(data) || data[i] != '{' {
		return false
	}
	i, more, ok := first(data, i+1, '}')
	for ok && more {
		var key []byte
		if key, i, ok = board.PlainString(data, i, false); !ok {
			return false
		}
		if i, ok = colon(data, i); !ok {
			return false
		}
		switch string(key) { // no allocation: the compiler compares in place
		case "type":
			typ, i, ok = board.PlainString(data, i, true)
		case "board":
			fr.board, i, ok = board.PlainString(data, i, true)
		case "client":
			fr.client, i, ok = board.PlainString(data, i, true)
		case "v":
			fr.v, i, ok = board.PlainUint(data, i)
		case "seq":
			fr.seq, i, ok = board.PlainUint(data, i)
		case "changes":
			start := i
			i, ok = board.SkipJSON(data, i)
			fr.changes = data[start:i]
		default:
			for _, name := range inMsgFields {
				if strings.EqualFold(string(key), name) {
					return false // "Type", or "epoch" in an op: encoding/json's business
				}
			}
			i, ok = board.SkipJSON(data, i) // a field the client does not use
		}
		if !ok {
			return false
		}
		i, more, ok = after(data, i, '}')
	}
	if !ok || board.SkipSpace(data, i) != len(data) {
		return false
	}
	switch string(typ) {
	case "op":
		fr.kind = frameOp
	case "ack":
		fr.kind = frameAck
	default:
		return false
	}
	return true
}

// first is called past the '[' or '{' of a value that ends with end: it
// returns the index of its first item or member and more = true, or the
// index past end and more = false when the value is empty. With more, the
// index is always inside b.
func first(b []byte, i int, end byte) (next int, more, ok bool) {
	i = board.SkipSpace(b, i)
	if i < len(b) && b[i] == end {
		return i + 1, false, true
	}
	return i, true, i < len(b)
}

// after is called past an item or member of a value that ends with end: it
// returns the index of the next one and more = true past a ',' (always
// inside b), or the index past end and more = false.
func after(b []byte, i int, end byte) (next int, more, ok bool) {
	i = board.SkipSpace(b, i)
	switch {
	case i >= len(b):
		return i, false, false
	case b[i] == ',':
		i = board.SkipSpace(b, i+1)
		return i, true, i < len(b)
	case b[i] == end:
		return i + 1, false, true
	}
	return i, false, false
}

// colon returns the index of the value past the ':' of a member.
func colon(b []byte, i int) (int, bool) {
	i = board.SkipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, false
	}
	return board.SkipSpace(b, i+1), true
}

// textChange is a text change of an op: the only kind the workloads make.
type textChange struct {
	section int // index in board.Sections
	op      board.TextOp
}

// scanTextChanges reads the changes of an op frame when every one is a text
// change on a known section whose op is in canonical form, which is how the
// server broadcasts typing: the result is then what board.DecodeChanges
// would give. It appends to out, and the ops' components to comps, both
// reused from frame to frame: the ops are applied or transformed before the
// next frame and never kept (Transform and Apply build new values). It
// checks what it reads and reports false for anything else, which
// board.DecodeChanges then decodes or refuses.
func scanTextChanges(raw []byte, out []textChange, comps []board.Comp) ([]textChange, []board.Comp, bool) {
	out, comps = out[:0], comps[:0]
	i := board.SkipSpace(raw, 0)
	if i == len(raw) || raw[i] != '[' {
		return out, comps, false
	}
	i, more, ok := first(raw, i+1, ']')
	for ok && more {
		if len(out) == board.MaxChanges {
			return out, comps, false
		}
		var ch textChange
		start := len(comps)
		if ch.section, comps, i, ok = scanTextChange(raw, i, comps); !ok {
			return out, comps, false
		}
		// If a later append moves comps, this op keeps pointing at the
		// old array, which still holds its components.
		ch.op = board.TextOp(comps[start:len(comps):len(comps)])
		out = append(out, ch)
		i, more, ok = after(raw, i, ']')
	}
	return out, comps, ok && board.SkipSpace(raw, i) == len(raw)
}

// scanTextChange reads the change object at raw[i]: {"kind":"text",
// "section":…,"op":[…]}, members in any order, others skipped.
func scanTextChange(raw []byte, i int, comps []board.Comp) (section int, _ []board.Comp, next int, ok bool) {
	if i >= len(raw) || raw[i] != '{' {
		return 0, comps, i, false
	}
	start := len(comps)
	section, sawKind, sawOp := -1, false, false
	i, more, ok := first(raw, i+1, '}')
	for ok && more {
		var key, val []byte
		if key, i, ok = board.PlainString(raw, i, false); !ok {
			return 0, comps, i, false
		}
		if i, ok = colon(raw, i); !ok {
			return 0, comps, i, false
		}
		switch string(key) {
		case "kind":
			val, i, ok = board.PlainString(raw, i, false)
			ok = ok && string(val) == board.KindText // other kinds: DecodeChanges checks them
			sawKind = true
		case "section":
			val, i, ok = board.PlainString(raw, i, false)
			section = sectionOf(val)
			ok = ok && section >= 0
		case "op":
			comps = comps[:start] // a repeated key: the last one counts
			comps, i, ok = scanOp(raw, i, comps)
			sawOp = true
		default:
			i, ok = board.SkipJSON(raw, i)
		}
		if !ok {
			return 0, comps, i, false
		}
		i, more, ok = after(raw, i, '}')
	}
	return section, comps, i, ok && sawKind && section >= 0 && sawOp
}

// sectionOf is board.SectionIndex on bytes, without making a string.
func sectionOf(key []byte) int {
	for i, s := range board.Sections {
		if string(key) == s.Key {
			return i
		}
	}
	return -1
}

// scanOp reads the text op at raw[i] in canonical form: retains n > 0,
// inserts of valid UTF-8 without escapes, {"d": n > 0}, no two neighbours of
// one kind, no trailing retain.
func scanOp(raw []byte, i int, comps []board.Comp) ([]board.Comp, int, bool) {
	const (
		none = iota
		retain
		insert
		del
	)
	if i >= len(raw) || raw[i] != '[' {
		return comps, i, false
	}
	last, n := none, 0
	i, more, ok := first(raw, i+1, ']')
	for ok && more {
		if n++; n > board.MaxOpComps {
			return comps, i, false
		}
		var c board.Comp
		kind := none
		switch raw[i] {
		case '"':
			var s []byte
			s, i, ok = board.PlainString(raw, i, false)
			ok = ok && len(s) > 0 && utf8.Valid(s)
			// One byte (ASCII) costs no allocation: Go keeps those strings.
			c.Insert, kind = string(s), insert
		case '{': // exactly {"d":n}
			var key []byte
			key, i, ok = board.PlainString(raw, board.SkipSpace(raw, i+1), false)
			if ok && string(key) == "d" {
				if i, ok = colon(raw, i); ok {
					c.Delete, i, ok = compLength(raw, i)
					i = board.SkipSpace(raw, i)
					ok = ok && i < len(raw) && raw[i] == '}'
					i++
				}
			} else {
				ok = false
			}
			kind = del
		default:
			c.Retain, i, ok = compLength(raw, i)
			kind = retain
		}
		if !ok || kind == last { // neighbours of one kind: not canonical
			return comps, i, false
		}
		last = kind
		comps = append(comps, c)
		i, more, ok = after(raw, i, ']')
	}
	return comps, i, ok && last != retain
}

// compLength reads a retain or delete length: 1 to board.MaxCompSize, in
// plain digits (3.0 or 3e0 go the slow way).
func compLength(raw []byte, i int) (int, int, bool) {
	n, j, ok := board.PlainUint(raw, i)
	if !ok || n == 0 || n > board.MaxCompSize {
		return 0, j, false
	}
	if j < len(raw) && (raw[j] == '.' || raw[j] == 'e' || raw[j] == 'E') {
		return 0, j, false
	}
	return int(n), j, true
}
