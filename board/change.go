package board

import (
	"bytes"
	"errors"
	"unicode/utf8"
)

// Change kinds.
const (
	KindText   = "text"
	KindCreate = "create"
	KindSet    = "set"
	KindDelete = "delete"
	KindMeta   = "meta"
)

// Element kinds.
const (
	ElemActor   = "actor"   // ecosystem map (group board)
	ElemLink    = "link"    // ecosystem map (group board)
	ElemComment = "comment" // a comment or a piste d'amélioration (group board)
	ElemAssign  = "assign"  // a participant placed in a group (control board)
)

// Limits of a submit.
const (
	MaxChanges = 1000 // changes in one submit
	MaxIDLen   = 64   // bytes of an element id
)

// Change is one change of a submit, decoded and checked for shape and
// props. Which fields mean something depends on Kind:
//
//	text:   Section, Op
//	create: ID, Elem, Props (as submitted; defaults are filled on apply)
//	set:    ID, Props
//	delete: ID
//	meta:   Props
type Change struct {
	Kind    string
	Section string
	Op      TextOp
	ID      string
	Elem    string
	Props   Props

	// need is the least length (UTF-16 units) the text must have for the
	// op as submitted: the units it read, trailing retain included.
	// Decoding normalises the op, since what is broadcast must be
	// canonical, and that drops a trailing retain; yet a retain past the
	// end still makes an op "that does not fit the text". Transform adds
	// the length change of each op it passes (need <= len iff
	// need+d <= len+d), so the test stays exact after it.
	need int
}

// ValidID reports whether s can be an element id: 1 to MaxIDLen bytes of
// [A-Za-z0-9_-], which every uuid form is, and never needs escaping.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// DecodeChanges decodes the raw "changes" array of a submit and checks every
// change for shape and props, before the board is looked at: a bad set is
// refused even if it names a deleted element. Errors are *Error with codes
// bad_json, bad_message (not an array), too_many, bad_change,
// bad_section, bad_elem, bad_props, bad_op.
func DecodeChanges(raw []byte) ([]Change, error) {
	if !ValidJSON(raw) {
		return nil, Errorf(CodeBadJSON, "changes: not valid JSON")
	}
	v := trimJSONSpace(raw)
	if len(v) == 0 || v[0] != '[' {
		return nil, Errorf(CodeBadMessage, "changes must be an array")
	}
	n := 0
	eachElem(v, func(int, []byte) *Error { n++; return nil })
	if n > MaxChanges {
		return nil, Errorf(CodeTooMany, "%d changes in one submit, at most %d", n, MaxChanges)
	}
	out := make([]Change, n)
	_, err := eachElem(v, func(i int, item []byte) *Error {
		if err := out[i].decode(item); err != nil {
			return atChange(i, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func trimJSONSpace(b []byte) []byte {
	i := SkipSpace(b, 0)
	j := len(b)
	for j > i && (b[j-1] == ' ' || b[j-1] == '\t' || b[j-1] == '\n' || b[j-1] == '\r') {
		j--
	}
	return b[i:j]
}

// at prefixes an error with the index of the change it is about.
func atChange(i int, err *Error) *Error {
	return Errorf(err.Code, "changes[%d]: %s", i, err.Message)
}

func badChange(format string, args ...any) *Error {
	return Errorf(CodeBadChange, format, args...)
}

// UnmarshalJSON decodes and checks one change, as DecodeChanges does.
func (c *Change) UnmarshalJSON(b []byte) error {
	if err := c.decode(trimJSONSpace(b)); err != nil {
		return err
	}
	return nil
}

// decode reads one change from valid JSON. Fields that do not belong to the
// kind are ignored, as unknown fields are.
func (c *Change) decode(raw []byte) *Error {
	var kind, section, op, id, elem, props []byte
	isObj, _ := eachMember(raw, func(key, val []byte) *Error {
		name := string(keyBytes(key))
		if val[0] == 'n' && name != "props" {
			val = nil // null is as good as absent; null props are not an object
		}
		switch name {
		case "kind":
			kind = val
		case "section":
			section = val
		case "op":
			op = val
		case "id":
			id = val
		case "elem":
			elem = val
		case "props":
			props = val
		}
		return nil
	})
	if !isObj {
		return badChange("a change must be an object")
	}
	*c = Change{}
	kb, ok := jsonStrBytes(kind)
	if !ok {
		return badChange("kind: missing or not a string")
	}
	switch string(kb) {
	case KindText:
		c.Kind = KindText
		sb, ok := jsonStrBytes(section)
		if !ok {
			return badChange("section: missing or not a string")
		}
		si := SectionIndex(string(sb))
		if si < 0 {
			return Errorf(CodeBadSection, "unknown section %q", sb)
		}
		c.Section = Sections[si].Key
		if op == nil {
			return badChange("op: missing")
		}
		t, err := decodeOp(op)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				return e
			}
			return Errorf(CodeBadOp, "op: %v", err)
		}
		if err := checkComps(t); err != nil {
			return err
		}
		c.need = opConsumed(t)
		c.Op = t.Normalize()
		return nil
	case KindCreate, KindSet, KindDelete:
		switch string(kb) { // the constants, so decoded changes share one string
		case KindCreate:
			c.Kind = KindCreate
		case KindSet:
			c.Kind = KindSet
		default:
			c.Kind = KindDelete
		}
		s, ok := jsonStr(id)
		if !ok || !ValidID(s) {
			return badChange("id: missing or not an id (1 to %d of A-Z a-z 0-9 _ -)", MaxIDLen)
		}
		c.ID = s
	case KindMeta:
		c.Kind = KindMeta
	default:
		return badChange("unknown kind %q", kb)
	}
	switch c.Kind {
	case KindCreate:
		eb, ok := jsonStrBytes(elem)
		if !ok {
			return badChange("elem: missing or not a string")
		}
		var ctx propCtx
		switch string(eb) { // the constants, so decoded changes share one string
		case ElemActor:
			c.Elem, ctx = ElemActor, ctxActor
		case ElemLink:
			c.Elem, ctx = ElemLink, ctxLink
		case ElemComment:
			c.Elem, ctx = ElemComment, ctxComment
		case ElemAssign:
			c.Elem, ctx = ElemAssign, ctxAssign
		default:
			return Errorf(CodeBadElem, "unknown elem %q", eb)
		}
		if props == nil {
			props = []byte("{}") // then the required props are missing
		}
		p, err := parseProps(props, ctx)
		if err != nil {
			return err
		}
		c.Props = p
		return c.Props.required(c.Elem)
	case KindSet, KindMeta:
		if props == nil {
			return badChange("props: missing")
		}
		ctx := ctxSet
		if c.Kind == KindMeta {
			ctx = ctxMeta
		}
		p, err := parseProps(props, ctx)
		if err != nil {
			return err
		}
		c.Props = p
	}
	return nil
}

// required checks the props a create must carry.
func (p *Props) required(elem string) *Error {
	switch elem {
	case ElemActor:
		if !p.Has(PropName) {
			return badProps("an actor needs a name")
		}
	case ElemLink:
		if !p.Has(PropFrom | PropTo) {
			return badProps("a link needs from and to")
		}
	case ElemComment:
		if !p.Has(PropText) {
			return badProps("a comment needs a text")
		}
	case ElemAssign:
		if !p.Has(PropClient | PropGroup) {
			return badProps("an assign needs client and group")
		}
	}
	return nil
}

// decodeOp reads a text op from valid JSON. The plain components a client
// sends (whole numbers, strings without escapes, {"d": n}) are read here,
// without the reflection of encoding/json; any other op goes through
// UnmarshalJSON, whose checks and messages stay the only reference.
func decodeOp(raw []byte) (TextOp, error) {
	if t, ok := plainOp(raw); ok {
		return t, nil
	}
	var t TextOp
	err := t.UnmarshalJSON(raw)
	return t, err
}

// plainOp decodes raw (valid JSON) when every component is plain; false
// otherwise, and then UnmarshalJSON decides.
func plainOp(raw []byte) (TextOp, bool) {
	if len(raw) < 2 || raw[0] != '[' {
		return nil, false
	}
	n := 0
	eachElem(raw, func(int, []byte) *Error { n++; return nil })
	if n > MaxOpComps {
		return nil, false
	}
	out := make(TextOp, 0, n)
	_, err := eachElem(raw, func(_ int, v []byte) *Error {
		switch v[0] {
		case '"':
			inner := v[1 : len(v)-1]
			for _, c := range inner {
				if c == '\\' {
					return errNotPlain
				}
			}
			if !utf8.Valid(inner) {
				return errNotPlain
			}
			out = append(out, Comp{Insert: string(inner)})
		case '{':
			// Exactly {"d": n}, spaces allowed.
			i := SkipSpace(v, 1)
			if !bytes.HasPrefix(v[i:], []byte(`"d"`)) {
				return errNotPlain
			}
			i = SkipSpace(v, i+3)
			if i >= len(v) || v[i] != ':' {
				return errNotPlain
			}
			i = SkipSpace(v, i+1)
			e := valueEnd(v, i)
			d, ok := plainLength(v[i:e])
			if !ok || SkipSpace(v, e) != len(v)-1 {
				return errNotPlain
			}
			out = append(out, Comp{Delete: d})
		default:
			r, ok := plainLength(v)
			if !ok {
				return errNotPlain
			}
			out = append(out, Comp{Retain: r})
		}
		return nil
	})
	return out, err == nil
}

// errNotPlain stops plainOp's walk; it never leaves this file.
var errNotPlain = &Error{Code: CodeBadOp}

// plainLength reads a length written as plain digits, at most
// MaxCompSize; false for anything else (a sign, a fraction, an exponent).
func plainLength(v []byte) (int, bool) {
	if len(v) == 0 || len(v) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= MaxCompSize
}

// jsonStrBytes is jsonStr without a copy when raw holds no escape: kinds
// and keys are only compared with constants (switch string(b) does not
// allocate).
func jsonStrBytes(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, utf8.Valid(inner)
	}
	s, ok := jsonUnquote(raw)
	return []byte(s), ok
}

// str decodes a raw value that must be a string.
func jsonStr(raw []byte) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	return jsonUnquote(raw)
}

// checkComps refuses components no decoder should produce: a hand-built
// change goes through the same check in Apply.
func checkComps(op TextOp) *Error {
	for _, c := range op {
		n := 0
		if c.Retain != 0 {
			n++
		}
		if c.Delete != 0 {
			n++
		}
		if c.Insert != "" {
			n++
		}
		if c.Retain < 0 || c.Delete < 0 || n > 1 {
			return Errorf(CodeBadOp, "op: bad component")
		}
		if !utf8.ValidString(c.Insert) {
			return Errorf(CodeBadOp, "op: insert is not valid Unicode")
		}
	}
	return nil
}

// opConsumed is how many units of the document op reads (retains and
// deletes), trailing retain included.
func opConsumed(op TextOp) int {
	n := 0
	for _, c := range op {
		n += c.Retain + c.Delete
	}
	return n
}

// opLenDelta is how many units op adds to the length of the document.
func opLenDelta(op TextOp) int {
	n := 0
	for _, c := range op {
		if c.Insert != "" {
			n += UTF16Len(c.Insert)
		}
		n -= c.Delete
	}
	return n
}

// check validates a change built in code rather than decoded, so that Apply
// holds its invariants whatever it is given. Text ops are checked by
// applying them.
func (c *Change) check() *Error {
	switch c.Kind {
	case KindText:
		if SectionIndex(c.Section) < 0 {
			return Errorf(CodeBadSection, "unknown section %q", c.Section)
		}
		return checkComps(c.Op)
	case KindCreate:
		if !ValidID(c.ID) {
			return badChange("id: not an id")
		}
		ctx, ok := elemCtx(c.Elem)
		if !ok {
			return Errorf(CodeBadElem, "unknown elem %q", c.Elem)
		}
		if err := c.Props.check(ctx); err != nil {
			return err
		}
		return c.Props.required(c.Elem)
	case KindSet:
		if !ValidID(c.ID) {
			return badChange("id: not an id")
		}
		return c.Props.check(ctxSet)
	case KindDelete:
		if !ValidID(c.ID) {
			return badChange("id: not an id")
		}
		return nil
	case KindMeta:
		return c.Props.check(ctxMeta)
	}
	return badChange("unknown kind %q", c.Kind)
}

// MarshalJSON writes the change in wire form, props as submitted.
func (c Change) MarshalJSON() ([]byte, error) {
	return c.appendJSON(make([]byte, 0, 64))
}

func (c *Change) appendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, `{"kind":`...)
	switch c.Kind {
	case KindText:
		buf = append(buf, `"text","section":`...)
		buf = appendStr(buf, c.Section)
		buf = append(buf, `,"op":`...)
		// Appended in place, as MarshalJSON writes it ([] when empty).
		buf = c.Op.Normalize().appendJSON(buf)
	case KindCreate:
		buf = append(buf, `"create","id":`...)
		buf = appendStr(buf, c.ID)
		buf = append(buf, `,"elem":`...)
		buf = appendStr(buf, c.Elem)
		buf = append(buf, `,"props":`...)
		buf = appendProps(buf, &c.Props)
	case KindSet:
		buf = append(buf, `"set","id":`...)
		buf = appendStr(buf, c.ID)
		buf = append(buf, `,"props":`...)
		buf = appendProps(buf, &c.Props)
	case KindDelete:
		buf = append(buf, `"delete","id":`...)
		buf = appendStr(buf, c.ID)
	case KindMeta:
		buf = append(buf, `"meta","props":`...)
		buf = appendProps(buf, &c.Props)
	default:
		return nil, badChange("unknown kind %q", c.Kind)
	}
	return append(buf, '}'), nil
}

// AppendChanges appends cs as a JSON array, for callers that build frames
// by hand.
func AppendChanges(buf []byte, cs []Change) ([]byte, error) {
	buf = append(buf, '[')
	for i := range cs {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = cs[i].appendJSON(buf); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}

// TransformChanges transforms sub, made on the version before committed's,
// so that it applies after committed, as the ShareJS text type does for
// sequences of ops: on each section, every op of sub passes every op of
// committed in order (the committed side wins ties, its inserts staying
// first), each committed op being itself transformed past the sub ops it
// has crossed. Other changes pass through: they are last writer wins in
// version order, and a change naming an element deleted meanwhile becomes
// a no-op when applied. The inputs are not modified; the text ops of the
// result are normalised.
func TransformChanges(sub, committed []Change) []Change {
	return transformChanges(sub, committed, Right)
}

// transformChanges is TransformChanges with sub's side chosen, so that
// tests can check convergence from both ends.
func transformChanges(sub, committed []Change, side Side) []Change {
	out := make([]Change, len(sub))
	copy(out, sub)
	other := Left
	if side == Left {
		other = Right
	}
	var mine [NumSections][]int // indexes into out of sub's text changes, per section
	any := false
	for i := range out {
		if out[i].Kind == KindText {
			if s := SectionIndex(out[i].Section); s >= 0 {
				mine[s] = append(mine[s], i)
				any = true
			}
		}
	}
	if any {
		for j := range committed {
			c := &committed[j]
			if c.Kind != KindText {
				continue
			}
			s := SectionIndex(c.Section)
			if s < 0 {
				continue
			}
			b := c.Op
			for _, i := range mine[s] {
				a := out[i].Op
				out[i].Op = Transform(a, b, side)
				// The op's length requirement moves with the text
				// it applies to: need <= len iff need+Δ <= len+Δ.
				out[i].need += opLenDelta(b)
				b = Transform(b, a, other)
			}
		}
	}
	for i := range out {
		if out[i].Kind == KindText {
			// Normalize copies when it changes anything, so sub is safe.
			out[i].Op = out[i].Op.Normalize()
		}
	}
	return out
}
