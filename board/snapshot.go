package board

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Snapshot is a board as the protocol shows it: live elements only, with
// their defaults. It shares the board's immutable strings and elements, so
// it is cheap to take under the board's lock and safe to encode after.
type Snapshot struct {
	Board    string
	Workshop string
	Group    string
	Kind     string // BoardGroup or BoardControl
	V        uint64
	Epoch    string
	Texts    [NumSections]string // indexed as Sections
	Meta     Props
	Elements []SnapshotElement // sorted by ID
}

// SnapshotElement is a live element and its id.
type SnapshotElement struct {
	ID string
	*Element
}

// Snapshot returns the board's current snapshot.
func (b *Board) Snapshot() Snapshot {
	s := Snapshot{
		Board: b.ID, Workshop: b.Workshop, Group: b.Group, Kind: b.Kind,
		V: b.V, Epoch: b.Epoch, Texts: b.Texts, Meta: b.Meta,
		Elements: make([]SnapshotElement, 0, len(b.Elements)),
	}
	for id, e := range b.Elements {
		s.Elements = append(s.Elements, SnapshotElement{id, e})
	}
	// Sorted so that equal boards encode to equal bytes.
	slices.SortFunc(s.Elements, func(a, b SnapshotElement) int { return strings.Compare(a.ID, b.ID) })
	return s
}

// MarshalJSON writes the snapshot in the protocol's shape:
// {"board","workshop","group","v","epoch","sections":{"<key>":{"text"}},
// "meta":{…},"elements":{"<id>":{"elem","props"}}}, plus "kind":"control"
// after "group" on the control board and "by" (the creator's client id)
// between "elem" and "props" when known.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	return s.AppendJSON(make([]byte, 0, s.sizeHint())), nil
}

func (s *Snapshot) sizeHint() int {
	n := 256 + 160*len(s.Elements)
	for _, t := range s.Texts {
		n += len(t) + len(t)/16
	}
	return n
}

// AppendJSON appends the snapshot's JSON to buf.
func (s *Snapshot) AppendJSON(buf []byte) []byte {
	buf = s.appendOpen(buf)
	return append(buf, '}')
}

// appendOpen writes the snapshot without its closing brace, so the state
// can add its own fields.
func (s *Snapshot) appendOpen(buf []byte) []byte {
	buf = append(buf, `{"board":`...)
	buf = appendStr(buf, s.Board)
	buf = append(buf, `,"workshop":`...)
	buf = appendStr(buf, s.Workshop)
	buf = append(buf, `,"group":`...)
	buf = appendStr(buf, s.Group)
	if s.Kind != "" {
		buf = append(buf, `,"kind":`...)
		buf = appendStr(buf, s.Kind)
	}
	buf = append(buf, `,"v":`...)
	buf = strconv.AppendUint(buf, s.V, 10)
	buf = append(buf, `,"epoch":`...)
	buf = appendStr(buf, s.Epoch)
	buf = append(buf, `,"sections":{`...)
	for i, sec := range Sections {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendStr(buf, sec.Key)
		buf = append(buf, `:{"text":`...)
		buf = appendStr(buf, s.Texts[i])
		buf = append(buf, '}')
	}
	buf = append(buf, `},"meta":`...)
	buf = appendProps(buf, &s.Meta)
	buf = append(buf, `,"elements":{`...)
	for i, e := range s.Elements {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendStr(buf, e.ID)
		buf = append(buf, `:{"elem":`...)
		buf = appendStr(buf, e.Elem)
		if e.By != "" {
			buf = append(buf, `,"by":`...)
			buf = appendStr(buf, e.By)
		}
		buf = append(buf, `,"props":`...)
		buf = appendProps(buf, &e.Props)
		buf = append(buf, '}')
	}
	return append(buf, '}')
}

// stateFormat versions MarshalState's output for future migrations.
const stateFormat = 1

// MarshalState encodes the whole board for storage: the snapshot plus the
// tombstones and the clients' last seqs, so that it reloads exactly.
func (b *Board) MarshalState() ([]byte, error) {
	s := b.Snapshot()
	buf := make([]byte, 0, s.sizeHint()+40*len(b.Deleted)+64*len(b.Clients))
	buf = s.appendOpen(buf)
	buf = append(buf, `,"deleted":{`...)
	for i, id := range sortedKeys(b.Deleted) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendStr(buf, id)
		buf = append(buf, ':')
		buf = appendStr(buf, b.Deleted[id])
	}
	buf = append(buf, `},"clients":{`...)
	for i, id := range sortedKeys(b.Clients) {
		if i > 0 {
			buf = append(buf, ',')
		}
		c := b.Clients[id]
		buf = appendStr(buf, id)
		buf = append(buf, `:{"seq":`...)
		buf = strconv.AppendUint(buf, c.Seq, 10)
		buf = append(buf, `,"v":`...)
		buf = strconv.AppendUint(buf, c.V, 10)
		buf = append(buf, '}')
	}
	buf = append(buf, `},"format":`...)
	buf = strconv.AppendInt(buf, stateFormat, 10)
	return append(buf, '}'), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

type stateJSON struct {
	Format   int    `json:"format"`
	Board    string `json:"board"`
	Workshop string `json:"workshop"`
	Group    string `json:"group"`
	Kind     string `json:"kind"`
	V        uint64 `json:"v"`
	Epoch    string `json:"epoch"`
	Sections map[string]struct {
		Text string `json:"text"`
	} `json:"sections"`
	Meta     json.RawMessage `json:"meta"`
	Elements map[string]struct {
		Elem  string          `json:"elem"`
		By    string          `json:"by"`
		Props json.RawMessage `json:"props"`
	} `json:"elements"`
	Deleted map[string]string    `json:"deleted"`
	Clients map[string]ClientSeq `json:"clients"`
}

// UnmarshalState decodes what MarshalState wrote and checks that it holds
// together (Validate). It also reads a protocol snapshot, which lacks
// tombstones and clients: a replica built that way refuses changes naming
// elements deleted before the snapshot.
func UnmarshalState(data []byte) (*Board, error) {
	var s stateJSON
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, Errorf(CodeBadState, "%v", err)
	}
	if s.Format > stateFormat {
		return nil, Errorf(CodeBadState, "state format %d is newer than %d", s.Format, stateFormat)
	}
	if s.Kind != BoardGroup && s.Kind != BoardControl {
		return nil, Errorf(CodeBadState, "unknown board kind %q", s.Kind)
	}
	b := New(s.Board, s.Workshop, s.Group, s.Epoch)
	b.Kind = s.Kind
	b.V = s.V
	for key, sec := range s.Sections {
		i := SectionIndex(key)
		if i < 0 {
			return nil, Errorf(CodeBadState, "unknown section %q", key)
		}
		b.Texts[i] = sec.Text
		b.lens[i] = UTF16Len(sec.Text)
	}
	if len(s.Meta) > 0 && string(s.Meta) != "null" {
		p, err := parseProps(trimJSONSpace(s.Meta), ctxMeta)
		if err != nil {
			return nil, Errorf(CodeBadState, "meta: %s", err.Message)
		}
		b.Meta = p
	}
	for id, e := range s.Elements {
		ctx, ok := elemCtx(e.Elem)
		if !ok {
			return nil, Errorf(CodeBadState, "element %q: unknown elem %q", id, e.Elem)
		}
		p, err := parseProps(trimJSONSpace(e.Props), ctx)
		if err != nil {
			return nil, Errorf(CodeBadState, "element %q: %s", id, err.Message)
		}
		b.Elements[id] = &Element{Elem: e.Elem, By: e.By, Props: p}
	}
	for id, elem := range s.Deleted {
		b.Deleted[id] = elem
	}
	for id, c := range s.Clients {
		b.Clients[id] = c
	}
	for id, e := range b.Elements {
		if e.Elem == ElemLink {
			b.index(id, e)
		}
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}

// Validate checks the board's invariants: texts valid and within limits
// (and empty on the control board), props complete and valid for their
// elements and the board's kind, every live link joining two different
// live actors, limits kept, tombstones and live ids disjoint.
// Apply keeps them; Validate is for loaded state and for tests.
func (b *Board) Validate() error {
	bad := func(format string, args ...any) error { return Errorf(CodeBadState, format, args...) }
	if b.Kind != BoardGroup && b.Kind != BoardControl {
		return bad("unknown board kind %q", b.Kind)
	}
	for i, t := range b.Texts {
		if b.Kind == BoardControl && t != "" {
			return bad("section %s: the control board has no fiche", Sections[i].Key)
		}
		if !utf8.ValidString(t) {
			return bad("section %s: not valid UTF-8", Sections[i].Key)
		}
		n := UTF16Len(t)
		if n != b.lens[i] {
			return bad("section %s: length %d cached as %d", Sections[i].Key, n, b.lens[i])
		}
		if n > MaxSectionLen {
			return bad("section %s: %d units, at most %d", Sections[i].Key, n, MaxSectionLen)
		}
	}
	if err := b.Meta.check(ctxMeta); err != nil {
		return bad("meta: %s", err.Message)
	}
	if err := b.Meta.fitsMeta(b.Kind); err != nil {
		return bad("meta: %s", err.Message)
	}
	if len(b.Elements) > MaxElements {
		return bad("%d elements, at most %d", len(b.Elements), MaxElements)
	}
	if len(b.Elements)+len(b.Deleted) > MaxIDs {
		return bad("%d ids, at most %d", len(b.Elements)+len(b.Deleted), MaxIDs)
	}
	nlinks := 0
	for id, e := range b.Elements {
		if !ValidID(id) {
			return bad("element id %q is not an id", id)
		}
		if _, ok := b.Deleted[id]; ok {
			return bad("element %q is both live and deleted", id)
		}
		if err := elemFits(b.Kind, e.Elem); err != nil {
			return bad("element %q: %s", id, err.Message)
		}
		if !utf8.ValidString(e.By) {
			return bad("element %q: by is not valid UTF-8", id)
		}
		switch e.Elem {
		case ElemActor:
			if err := e.Props.check(ctxActor); err != nil {
				return bad("actor %q: %s", id, err.Message)
			}
			if !e.Props.Has(PropName | PropKind | PropRing) {
				return bad("actor %q: name, kind or ring missing", id)
			}
		case ElemLink:
			nlinks++
			p := &e.Props
			if err := p.check(ctxLink); err != nil {
				return bad("link %q: %s", id, err.Message)
			}
			if !p.Has(PropFrom | PropTo | PropKind) {
				return bad("link %q: from, to or kind missing", id)
			}
			if p.From == p.To {
				return bad("link %q joins %q to itself", id, p.From)
			}
			for _, end := range [2]string{p.From, p.To} {
				if a, ok := b.Elements[end]; !ok || a.Elem != ElemActor {
					return bad("link %q: end %q is not a live actor", id, end)
				}
				if _, ok := b.links[end][id]; !ok {
					return bad("link %q: missing from the index of %q", id, end)
				}
			}
		case ElemComment:
			if err := e.Props.check(ctxComment); err != nil {
				return bad("comment %q: %s", id, err.Message)
			}
			if !e.Props.Has(PropText | PropKind) {
				return bad("comment %q: text or kind missing", id)
			}
		case ElemAssign:
			if err := e.Props.check(ctxAssign); err != nil {
				return bad("assign %q: %s", id, err.Message)
			}
			if !e.Props.Has(PropClient | PropGroup) {
				return bad("assign %q: client or group missing", id)
			}
		default:
			return bad("element %q: unknown elem %q", id, e.Elem)
		}
	}
	indexed := 0
	for _, m := range b.links {
		if len(m) == 0 {
			return bad("empty link index entry")
		}
		indexed += len(m)
	}
	if indexed != 2*nlinks {
		return bad("link index holds %d ends for %d links", indexed, nlinks)
	}
	for id, elem := range b.Deleted {
		if _, known := elemCtx(elem); !ValidID(id) || !known || elemFits(b.Kind, elem) != nil {
			return bad("tombstone %q: %q", id, elem)
		}
	}
	return nil
}
