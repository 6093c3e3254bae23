package board

// Text operations in the shape of the ShareJS/ottypes "text" type, counted
// in UTF-16 code units as JavaScript strings are.
//
// Wire form: an array whose items are a positive integer n (retain n units),
// a string (insert it), or {"d": n} (delete n units).
//
// The algorithms (Transform, Compose, TransformCursor) follow the reference
// implementation of the "text" type (npm ot-text) step by step, so that the
// browser (static/js/ot.js) and the server compute the same ops. Both are
// checked against board/testdata/text-vectors.json.
//
// All functions are pure: they never modify their arguments, so ops may be
// shared between goroutines.

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Comp is one component of a text operation. In a normalised op exactly one
// field is non-zero.
//
// A Comp built by hand with several fields set is read by its first non-zero
// field in the order Insert, Delete, Retain (Normalize keeps only that one);
// Apply refuses such a Comp, and negative lengths, outright.
type Comp struct {
	Retain int    // keep this many UTF-16 units
	Insert string // insert this text (valid UTF-8, no lone surrogates)
	Delete int    // delete this many UTF-16 units
}

// TextOp is a sequence of components applied left to right.
type TextOp []Comp

// Side breaks ties between two inserts at the same place in Transform.
type Side int

const (
	Left  Side = iota // this op's insert goes first (the op committed first)
	Right             // this op's insert goes after the other's
)

// Limits on what UnmarshalJSON accepts. Section texts are far shorter; the
// bounds only keep a hostile op from costing memory or time.
const (
	MaxOpComps  = 10000   // components in one op
	MaxCompSize = 1 << 30 // a retain or delete length
)

// API (implemented in text.go):
//   func UTF16Len(s string) int
//   func (op TextOp) MarshalJSON() ([]byte, error)
//   func (op *TextOp) UnmarshalJSON(b []byte) error
//   func (op TextOp) Normalize() TextOp
//   func (op TextOp) Apply(doc string) (string, error)
//   func Transform(op, other TextOp, side Side) TextOp
//   func Compose(a, b TextOp) TextOp
//   func TransformCursor(cursor int, op TextOp, isOwn bool) int

// ---------------------------------------------------------------------------
// UTF-16 counting

// UTF16Len returns the length of s in UTF-16 code units, the unit of every
// offset and length on the wire. An invalid UTF-8 byte counts as one unit,
// as the U+FFFD that a decoder would put in its place.
func UTF16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}

// advance16 moves from byte offset i of s over n UTF-16 units. It returns
// the new byte offset and the units it could not cover because s ended
// (0 when all n fit). split is true when the n-th unit is the high half of
// a surrogate pair, i.e. the target position falls inside an astral
// character; i then stops before that character.
func advance16(s string, i, n int) (j, missing int, split bool) {
	for n > 0 && i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			// ASCII fast path: most section text is Latin.
			i++
			n--
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r > 0xFFFF {
			if n == 1 {
				return i, 0, true
			}
			n -= 2
		} else {
			n--
		}
		i += size
	}
	return i, n, false
}

// ---------------------------------------------------------------------------
// Components

type compKind uint8

const (
	kNone compKind = iota // zero length: a no-op
	kRetain
	kInsert
	kDelete
)

// kind reads a Comp by its first non-zero field (see Comp).
func (c Comp) kind() compKind {
	switch {
	case c.Insert != "":
		return kInsert
	case c.Delete > 0:
		return kDelete
	case c.Retain > 0:
		return kRetain
	}
	return kNone
}

// single reports whether at most one field of c is set.
func (c Comp) single() bool {
	set := 0
	if c.Retain != 0 {
		set++
	}
	if c.Insert != "" {
		set++
	}
	if c.Delete != 0 {
		set++
	}
	return set <= 1
}

// check reports why a hand-built Comp is malformed, or "" if it is fine.
func (c Comp) check() string {
	switch {
	case !c.single():
		return "has more than one of retain, insert and delete"
	case c.Retain < 0:
		return "has a negative retain"
	case c.Delete < 0:
		return "has a negative delete"
	case !utf8.ValidString(c.Insert):
		return "inserts invalid UTF-8"
	}
	return ""
}

// opBuilder appends components the way ottypes' makeAppend does: zero-length
// components vanish and a component of the same kind as the last one merges
// into it. Its result is normalised once the trailing retain is trimmed.
//
// A run of inserts is gathered in a strings.Builder rather than by string
// concatenation, which would copy quadratically on an op of many small
// inserts.
type opBuilder struct {
	op      TextOp
	last    compKind
	run     strings.Builder // the insert run, when merging
	merging bool            // run holds the last component's text
}

// flush stores a gathered insert run in the last component.
func (b *opBuilder) flush() {
	if b.merging {
		b.op[len(b.op)-1].Insert = b.run.String()
		b.run = strings.Builder{}
		b.merging = false
	}
}

func (b *opBuilder) retain(n int) {
	if n <= 0 {
		return
	}
	if b.last == kRetain {
		b.op[len(b.op)-1].Retain += n
		return
	}
	b.flush()
	b.op = append(b.op, Comp{Retain: n})
	b.last = kRetain
}

func (b *opBuilder) insert(s string) {
	if s == "" {
		return
	}
	if b.last == kInsert {
		if !b.merging {
			b.run.WriteString(b.op[len(b.op)-1].Insert)
			b.merging = true
		}
		b.run.WriteString(s)
		return
	}
	b.op = append(b.op, Comp{Insert: s})
	b.last = kInsert
}

func (b *opBuilder) delete(n int) {
	if n <= 0 {
		return
	}
	if b.last == kDelete {
		b.op[len(b.op)-1].Delete += n
		return
	}
	b.flush()
	b.op = append(b.op, Comp{Delete: n})
	b.last = kDelete
}

func (b *opBuilder) add(p piece) {
	switch p.kind {
	case kRetain:
		b.retain(p.n)
	case kInsert:
		b.insert(p.s)
	case kDelete:
		b.delete(p.n)
	}
}

// done trims the trailing retain and returns the op, never nil so that it
// reads the same as TextOp{} in tests and marshals as [].
func (b *opBuilder) done() TextOp {
	b.flush()
	if b.last == kRetain {
		b.op = b.op[:len(b.op)-1]
	}
	if b.op == nil {
		return TextOp{}
	}
	return b.op
}

// ---------------------------------------------------------------------------
// Normalize

// Normalize returns the canonical form of op: no zero-length component, no
// two neighbours of one kind, no trailing retain. The empty op is TextOp{}.
// A canonical op is returned as is (not copied).
func (op TextOp) Normalize() TextOp {
	if op.isNormal() {
		if op == nil {
			return TextOp{}
		}
		return op
	}
	b := opBuilder{op: make(TextOp, 0, len(op))}
	for _, c := range op {
		switch c.kind() {
		case kRetain:
			b.retain(c.Retain)
		case kInsert:
			b.insert(c.Insert)
		case kDelete:
			b.delete(c.Delete)
		}
	}
	return b.done()
}

// isNormal reports whether op is already canonical, so that the hot paths
// (Transform, Compose) need not copy it.
func (op TextOp) isNormal() bool {
	last := kNone
	for _, c := range op {
		k := c.kind()
		if k == kNone || k == last || !c.single() {
			return false
		}
		last = k
	}
	return last != kRetain
}

// ---------------------------------------------------------------------------
// Apply

// Apply returns doc with op applied. doc must be valid UTF-8 (section texts
// always are). It refuses, with an *Error of code CodeBadOp, an op with a
// malformed component, one whose retains and deletes reach past the end of
// doc, and one that would cut an astral character (a UTF-16 surrogate pair)
// in two. What the op does not reach at its end is kept.
func (op TextOp) Apply(doc string) (string, error) {
	// Size the result once: it is never longer than doc plus the inserts.
	size := len(doc)
	for i, c := range op {
		if msg := c.check(); msg != "" {
			return "", Errorf(CodeBadOp, "component %d %s", i, msg)
		}
		size += len(c.Insert)
	}
	var out strings.Builder
	out.Grow(size)

	at := 0  // byte offset in doc
	pos := 0 // the same offset in UTF-16 units, for error messages
	for i, c := range op {
		switch c.kind() {
		case kInsert:
			out.WriteString(c.Insert)
		case kRetain, kDelete:
			n := c.Retain + c.Delete // one of them is zero (checked)
			next, missing, split := advance16(doc, at, n)
			what := "retain"
			if c.Delete > 0 {
				what = "delete"
			}
			if missing > 0 {
				return "", Errorf(CodeBadOp, "component %d: %s of %d at %d goes past the end of the text (length %d)",
					i, what, n, pos, pos+n-missing)
			}
			if split {
				return "", Errorf(CodeBadOp, "component %d: %s of %d at %d ends inside a surrogate pair (an astral character such as an emoji)",
					i, what, n, pos)
			}
			if c.Retain > 0 {
				out.WriteString(doc[at:next])
			}
			at = next
			pos += n
		}
	}
	out.WriteString(doc[at:])
	return out.String(), nil
}

// ---------------------------------------------------------------------------
// Transform and Compose

// piece is a chunk of a component handed out by opIter.take. For inserts n
// is the length of s in UTF-16 units.
type piece struct {
	kind compKind
	n    int
	s    string
}

// opIter walks a normalised op, handing out pieces of its components like
// ottypes' makeTake. Inside a retain or delete, off counts the units taken;
// inside an insert, off is a byte offset into the string and offUnits the
// units before it.
type opIter struct {
	op       TextOp
	i        int
	off      int
	offUnits int
}

// take returns up to n units of the next component (the whole rest of it
// when n < 0). A component of kind indivisible is returned whole whatever n.
// At the end of the op it returns a retain of n (the op keeps everything
// after its end), or ok=false when n < 0.
//
// An insert is cut at n units, except that a cut falling inside a surrogate
// pair moves after the pair: Go strings cannot hold half a character. Valid
// inputs never cut there (Apply refuses such a position).
func (it *opIter) take(n int, indivisible compKind) (p piece, ok bool) {
	if it.i == len(it.op) {
		if n < 0 {
			return piece{}, false
		}
		return piece{kind: kRetain, n: n}, true
	}
	c := it.op[it.i]
	switch k := c.kind(); k {
	case kInsert:
		rest := c.Insert[it.off:]
		if n >= 0 && indivisible != kInsert {
			cut, missing, split := advance16(rest, 0, n)
			if split {
				_, size := utf8.DecodeRuneInString(rest[cut:])
				cut += size
				n++
			}
			if missing == 0 && cut < len(rest) {
				it.off += cut
				it.offUnits += n
				return piece{kind: kInsert, n: n, s: rest[:cut]}, true
			}
		}
		p = piece{kind: kInsert, n: UTF16Len(c.Insert) - it.offUnits, s: rest}
	default: // retain or delete (the op is normalised: no kNone)
		length := c.Retain
		if k == kDelete {
			length = c.Delete
		}
		if n >= 0 && indivisible != k && length-it.off > n {
			it.off += n
			return piece{kind: k, n: n}, true
		}
		p = piece{kind: k, n: length - it.off}
	}
	it.i++
	it.off, it.offUnits = 0, 0
	return p, true
}

// peekInsert reports whether the next component is an insert.
func (it *opIter) peekInsert() bool {
	return it.i < len(it.op) && it.op[it.i].kind() == kInsert
}

// Transform returns op transformed against other, both made on the same
// text, so that it can be applied after other. side says whose insert goes
// first when both insert at the same place: Left puts op's first. The
// server does Transform(submitted, committed, Right). The result is
// normalised; inputs need not be.
func Transform(op, other TextOp, side Side) TextOp {
	op, other = op.Normalize(), other.Normalize()
	it := opIter{op: op}
	b := opBuilder{op: make(TextOp, 0, len(op)+len(other)/2+1)}

	for _, c := range other {
		switch c.kind() {
		case kRetain:
			// Copy op's pieces over the retained stretch; its inserts are
			// taken whole and take no room in other's text.
			for length := c.Retain; length > 0; {
				p, _ := it.take(length, kInsert)
				b.add(p)
				if p.kind != kInsert {
					length -= p.n
				}
			}
		case kInsert:
			// Same place: the left side's insert goes first.
			if side == Left && it.peekInsert() {
				p, _ := it.take(-1, kNone)
				b.add(p)
			}
			b.retain(UTF16Len(c.Insert))
		case kDelete:
			// Text other deleted: op's retains and deletes of it vanish,
			// its inserts stay.
			for length := c.Delete; length > 0; {
				p, _ := it.take(length, kInsert)
				if p.kind == kInsert {
					b.add(p)
				} else {
					length -= p.n
				}
			}
		}
	}
	for {
		p, ok := it.take(-1, kNone)
		if !ok {
			break
		}
		b.add(p)
	}
	return b.done()
}

// Compose returns one op with the effect of a followed by b (b made on the
// result of a). The result is normalised; inputs need not be.
func Compose(a, b TextOp) TextOp {
	a, b = a.Normalize(), b.Normalize()
	it := opIter{op: a}
	out := opBuilder{op: make(TextOp, 0, len(a)+len(b))}

	for _, c := range b {
		switch c.kind() {
		case kRetain:
			// a's deletes are taken whole: they take no room in b's text.
			for length := c.Retain; length > 0; {
				p, _ := it.take(length, kDelete)
				out.add(p)
				if p.kind != kDelete {
					length -= p.n
				}
			}
		case kInsert:
			out.insert(c.Insert)
		case kDelete:
			for length := c.Delete; length > 0; {
				p, _ := it.take(length, kDelete)
				switch p.kind {
				case kRetain: // original text: delete it
					out.delete(p.n)
					length -= p.n
				case kInsert: // a's insert, deleted again: both vanish
					length -= p.n
				case kDelete: // a's delete stays, b's goes on after it
					out.add(p)
				}
			}
		}
	}
	for {
		p, ok := it.take(-1, kNone)
		if !ok {
			break
		}
		out.add(p)
	}
	return out.done()
}

// TransformCursor returns where a cursor (a UTF-16 offset) lands after op.
// For the author's own op (isOwn) that is the end of its last insert or
// retain, i.e. after what they just typed; for someone else's op the
// cursor stays put relative to the text around it, and an insert right at
// the cursor goes after it.
func TransformCursor(cursor int, op TextOp, isOwn bool) int {
	op = op.Normalize()
	pos := 0
	if isOwn {
		for _, c := range op {
			switch c.kind() {
			case kRetain:
				pos += c.Retain
			case kInsert:
				pos += UTF16Len(c.Insert)
			}
		}
		return pos
	}
	for _, c := range op {
		if cursor <= pos {
			break
		}
		switch c.kind() {
		case kRetain:
			if cursor <= pos+c.Retain {
				return cursor
			}
			pos += c.Retain
		case kInsert:
			n := UTF16Len(c.Insert)
			pos += n
			cursor += n
		case kDelete:
			cursor -= min(c.Delete, cursor-pos)
		}
	}
	return cursor
}

// ---------------------------------------------------------------------------
// JSON

// MarshalJSON writes the canonical wire form of op (normalised; [] when
// empty). Strings are written as UTF-8, escaping only what JSON requires.
func (op TextOp) MarshalJSON() ([]byte, error) {
	op = op.Normalize()
	size := 2
	for _, c := range op {
		size += len(c.Insert) + 12
	}
	return op.appendJSON(make([]byte, 0, size)), nil
}

// appendJSON appends the wire form of op, which must be normalised.
func (op TextOp) appendJSON(buf []byte) []byte {
	buf = append(buf, '[')
	for i, c := range op {
		if i > 0 {
			buf = append(buf, ',')
		}
		switch c.kind() {
		case kRetain:
			buf = strconv.AppendInt(buf, int64(c.Retain), 10)
		case kInsert:
			buf = appendJSONString(buf, c.Insert)
		case kDelete:
			buf = append(buf, `{"d":`...)
			buf = strconv.AppendInt(buf, int64(c.Delete), 10)
			buf = append(buf, '}')
		}
	}
	return append(buf, ']')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 (which a valid
// op never holds) is written as U+FFFD, as encoding/json does.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c < 0x20:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, `\ufffd`...)
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}

// UnmarshalJSON reads an op in wire form. It keeps the op as sent: zero-length
// components, neighbours of one kind and a trailing retain are accepted (call
// Normalize to drop them). It refuses, with an *Error of code CodeBadOp,
// anything else: a value that is not an array, a number that is negative,
// not an integer or over MaxCompSize, an object other than {"d": n}, null,
// booleans, nested arrays, more than MaxOpComps components, and an insert
// that is not valid UTF-8 or holds a lone surrogate escape ("\ud83c"
// without its pair). encoding/json would turn such an escape into U+FFFD,
// so the server would hold a different text from the client that sent it.
func (op *TextOp) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return Errorf(CodeBadOp, "op is not valid JSON: %v", err)
	}
	if d, isDelim := tok.(json.Delim); !isDelim || d != '[' {
		return Errorf(CodeBadOp, "op must be an array of components")
	}
	out := TextOp{}
	for dec.More() {
		if len(out) == MaxOpComps {
			return Errorf(CodeBadOp, "op has more than %d components", MaxOpComps)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Errorf(CodeBadOp, "op is not valid JSON: %v", err)
		}
		c, msg := parseComp(bytes.TrimSpace(raw))
		if msg != "" {
			return Errorf(CodeBadOp, "component %d: %s", len(out), msg)
		}
		out = append(out, c)
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return Errorf(CodeBadOp, "op is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(CodeBadOp, "op is followed by more data")
	}
	*op = out
	return nil
}

// parseComp reads one component from its raw JSON (already known to be one
// valid JSON value). It returns a message saying what is wrong, or "".
func parseComp(raw []byte) (Comp, string) {
	if len(raw) == 0 {
		return Comp{}, "is empty"
	}
	switch raw[0] {
	case '"':
		if msg := checkJSONString(raw); msg != "" {
			return Comp{}, msg
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Comp{}, "is not a valid string"
		}
		return Comp{Insert: s}, ""
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return Comp{}, "is not a valid object"
		}
		d, found := obj["d"]
		if !found || len(obj) != 1 {
			return Comp{}, `an object must be exactly {"d": n}`
		}
		n, msg := parseLength(bytes.TrimSpace(d))
		if msg != "" {
			return Comp{}, "delete " + msg
		}
		return Comp{Delete: n}, ""
	case '[':
		return Comp{}, "nested arrays are not components"
	case 'n':
		return Comp{}, "null is not a component"
	case 't', 'f':
		return Comp{}, "booleans are not components"
	}
	n, msg := parseLength(raw)
	if msg != "" {
		return Comp{}, "retain " + msg
	}
	return Comp{Retain: n}, ""
}

// parseLength reads a retain or delete length. Like JavaScript, it goes by
// value: 3, 3.0 and 3e0 are one number; 1.5, -1 and 1e400 are refused.
func parseLength(raw []byte) (int, string) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, "must be a number"
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	switch {
	case err != nil:
		return 0, "is out of range"
	case f < 0:
		return 0, "must not be negative"
	case f != math.Trunc(f):
		return 0, "must be an integer"
	case f > MaxCompSize:
		return 0, "is over " + strconv.Itoa(MaxCompSize)
	}
	return int(f), ""
}

// checkJSONString checks a raw JSON string token (quotes included) for what
// encoding/json would silently replace with U+FFFD: invalid UTF-8 and \u
// escapes of surrogates that do not form a high-low pair.
func checkJSONString(raw []byte) string {
	if !utf8.Valid(raw) {
		return "insert is not valid UTF-8"
	}
	pendingHigh := false // the previous escape was a high surrogate
	for i := 1; i < len(raw)-1; i++ {
		if raw[i] != '\\' {
			if pendingHigh {
				return "insert has a lone surrogate escape"
			}
			continue
		}
		i++
		if raw[i] != 'u' {
			if pendingHigh {
				return "insert has a lone surrogate escape"
			}
			continue
		}
		if i+4 >= len(raw) {
			return "insert has a bad \\u escape"
		}
		u, err := strconv.ParseUint(string(raw[i+1:i+5]), 16, 16)
		if err != nil {
			return "insert has a bad \\u escape"
		}
		i += 4
		switch {
		case u >= 0xD800 && u <= 0xDBFF:
			if pendingHigh {
				return "insert has a lone surrogate escape"
			}
			pendingHigh = true
		case u >= 0xDC00 && u <= 0xDFFF:
			if !pendingHigh {
				return "insert has a lone surrogate escape"
			}
			pendingHigh = false
		default:
			if pendingHigh {
				return "insert has a lone surrogate escape"
			}
		}
	}
	if pendingHigh {
		return "insert has a lone surrogate escape"
	}
	return ""
}
