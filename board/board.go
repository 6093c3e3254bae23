package board

import (
	"strconv"
)

// Section is one text section of the fiche-projet.
type Section struct {
	Key     string
	TitleFR string
	TitleEN string
}

// NumSections is the number of sections; a board always has all of them.
const NumSections = 7

// Sections lists the fiche-projet's sections in the order of the canevas.
// Treat it as read-only.
var Sections = []Section{
	{"etat_des_lieux", "État des lieux du territoire", "Territory assessment"},
	{"enjeux", "Enjeux et motivations", "Stakes and motivations"},
	{"niveau", "Niveau de coopération", "Level of cooperation"},
	{"ecosysteme", "Éco-système", "Ecosystem"},
	{"animation", "Animation", "Facilitation"},
	{"financement", "Pistes de financement", "Funding leads"},
	{"calendrier", "Calendrier prévisionnel", "Provisional timeline"},
}

// SectionIndex returns the index of key in Sections, or -1.
func SectionIndex(key string) int {
	switch key {
	case "etat_des_lieux":
		return 0
	case "enjeux":
		return 1
	case "niveau":
		return 2
	case "ecosysteme":
		return 3
	case "animation":
		return 4
	case "financement":
		return 5
	case "calendrier":
		return 6
	}
	return -1
}

// Board limits. MaxSectionLen is well above the protocol's floor of 20,000
// so that a group pasting a long state of play is not cut short.
const (
	MaxSectionLen = 50000 // UTF-16 units of one section text
	MaxElements   = 1000  // live elements (actors, links, comments; assigns on the control board)
	MaxIDs        = 10000 // ids ever created, tombstones included: they are never freed
)

// Role is what a connection may do on a board. The zero value is the
// viewer, so that a forgotten role grants nothing.
type Role int

const (
	RoleViewer      Role = iota // reads only
	RoleParticipant             // writes, except facilitator-only props; only its comments while locked; nothing while closed or on the control board
	RoleFacilitator             // writes everything, even while locked or closed
)

func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleParticipant:
		return "participant"
	case RoleFacilitator:
		return "facilitator"
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// ParseRole is the inverse of Role.String.
func ParseRole(s string) (Role, bool) {
	switch s {
	case "viewer":
		return RoleViewer, true
	case "participant":
		return RoleParticipant, true
	case "facilitator":
		return RoleFacilitator, true
	}
	return RoleViewer, false
}

// Element is an actor or a link of the ecosystem map, a comment, or (on
// the control board) an assign. Props are complete: the defaults are
// filled at create. An *Element held by a Board is never modified once
// committed (Apply puts a new one in its place), so a Snapshot can share
// it with no copy and no lock.
type Element struct {
	Elem  string // ElemActor, ElemLink, ElemComment or ElemAssign
	By    string // client id of the entry that created it ("" if none): a comment's owner
	Props Props
}

// Board kinds.
const (
	BoardGroup   = ""        // a group's board: the fiche-projet and its map
	BoardControl = "control" // a workshop's control board ("salle"): timer, focus, assigns
)

// ClientSeq is the last committed seq of a client and the version it got.
type ClientSeq struct {
	Seq uint64 `json:"seq"`
	V   uint64 `json:"v"`
}

// Board is the state of one group's board, or of a workshop's control
// board. It is not safe for concurrent use; the hub serialises access.
type Board struct {
	ID       string
	Workshop string
	Group    string // "" on the control board
	Kind     string // BoardGroup or BoardControl
	V        uint64 // version of the last commit, 0 for a new board
	Epoch    string

	Texts    [NumSections]string // indexed as Sections; always empty on the control board
	Meta     Props               // MetaProps, or ControlMetaProps on the control board
	Elements map[string]*Element // live elements by id
	Deleted  map[string]string   // tombstones: id -> the elem it was
	Clients  map[string]ClientSeq

	lens  [NumSections]int               // UTF-16 length of each text
	links map[string]map[string]struct{} // actor id -> ids of its live links
}

// New returns an empty board at version 0.
func New(id, workshop, group, epoch string) *Board {
	return &Board{
		ID:       id,
		Workshop: workshop,
		Group:    group,
		Epoch:    epoch,
		Elements: map[string]*Element{},
		Deleted:  map[string]string{},
		Clients:  map[string]ClientSeq{},
		links:    map[string]map[string]struct{}{},
	}
}

// NewControl returns an empty control board ("salle") of a workshop at
// version 0: one per workshop, written by the facilitator only. It has the
// seven sections (always empty), the timer and focus meta, and assigns.
func NewControl(id, workshop, epoch string) *Board {
	b := New(id, workshop, "", epoch)
	b.Kind = BoardControl
	return b
}

// IsControl reports whether b is a workshop's control board.
func (b *Board) IsControl() bool { return b.Kind == BoardControl }

// Text returns the text of the section key.
func (b *Board) Text(key string) (string, bool) {
	i := SectionIndex(key)
	if i < 0 {
		return "", false
	}
	return b.Texts[i], true
}

// TextLen returns the UTF-16 length of section i, as kept up to date by Apply.
func (b *Board) TextLen(i int) int { return b.lens[i] }

// Locked reports whether the facilitator has locked the board.
func (b *Board) Locked() bool { return b.Meta.Has(PropLocked) && b.Meta.Locked }

// Closed reports whether the facilitator has closed the workshop on this
// board: participants can then change nothing.
func (b *Board) Closed() bool { return b.Meta.Has(PropClosed) && b.Meta.Closed }

// LastSeq returns the last committed seq of client and the version it was
// committed as (zeros if none): a submit with that seq is a resend.
func (b *Board) LastSeq(client string) (seq, v uint64) {
	c := b.Clients[client]
	return c.Seq, c.V
}

// Entry is one committed version, in the wire shape of welcome.ops items
// and of op messages (less type and board).
type Entry struct {
	V       uint64   `json:"v"`
	Client  string   `json:"client"`
	Seq     uint64   `json:"seq"`
	Changes []Change `json:"changes"`
}

// ApplyEntry applies a committed version: it must be the next version
// (e.V == b.V+1) and, for a named client, a seq above the client's last,
// so a resend can never be applied twice. On success it records the version
// and the client's seq. Role checks apply as in ApplyAs, with e.Client as
// the client (the creator of the elements it creates, the owner who may
// change its comments); replaying a log of entries that were checked when
// committed, pass RoleFacilitator.
func (b *Board) ApplyEntry(e Entry, role Role) error {
	if e.V != b.V+1 {
		return Errorf(CodeBadVersion, "entry v%d does not follow v%d", e.V, b.V)
	}
	if e.Client != "" && e.Seq <= b.Clients[e.Client].Seq {
		return Errorf(CodeBadVersion, "seq %d of %q is already committed (last %d)", e.Seq, e.Client, b.Clients[e.Client].Seq)
	}
	if err := b.ApplyAs(e.Changes, role, e.Client); err != nil {
		return err
	}
	b.V = e.V
	if e.Client != "" {
		if b.Clients == nil {
			b.Clients = map[string]ClientSeq{}
		}
		b.Clients[e.Client] = ClientSeq{Seq: e.Seq, V: e.V}
	}
	return nil
}

// Apply applies the changes of one submit in order, all or nothing: on
// error the board is exactly as it was. It does not touch V or Clients
// (ApplyEntry does). Errors are *Error.
//
// The changes are checked and applied into a small overlay that is
// committed only when all of them passed, so the cost is that of the
// changes, not of the board.
//
// Apply writes as no client: the elements it creates have no By, and a
// participant may change no comment. ApplyAs names the client.
func (b *Board) Apply(changes []Change, role Role) error {
	return b.ApplyAs(changes, role, "")
}

// ApplyAs is Apply for the changes of client: the elements they create
// record it as By, and a participant may set or delete the comments whose
// By is client (client != "").
func (b *Board) ApplyAs(changes []Change, role Role, client string) error {
	if err := b.authorize(changes, role); err != nil {
		return err
	}
	o := overlay{b: b, role: role, client: client, live: len(b.Elements), ids: len(b.Elements) + len(b.Deleted)}
	for i := range changes {
		if err := o.apply(&changes[i]); err != nil {
			return atChange(i, err)
		}
	}
	o.commit()
	return nil
}

func (b *Board) authorize(changes []Change, role Role) *Error {
	switch role {
	case RoleFacilitator:
		return nil
	case RoleParticipant:
	default:
		return Errorf(CodeForbidden, "a %s may not write", role)
	}
	if b.Kind == BoardControl {
		return Errorf(CodeForbidden, "only the facilitator writes on the control board")
	}
	for i := range changes {
		if c := &changes[i]; c.Kind == KindMeta {
			if c.Props.Has(PropLocked) {
				return atChange(i, Errorf(CodeForbidden, "only the facilitator locks or unlocks a board"))
			}
			if c.Props.Has(PropClosed) {
				return atChange(i, Errorf(CodeForbidden, "only the facilitator closes or reopens the workshop"))
			}
		}
	}
	if b.Closed() {
		return Errorf(CodeClosed, "the workshop is closed")
	}
	if b.Locked() {
		return b.onlyComments(changes)
	}
	return nil
}

// onlyComments lets a participant's submit through a locked board if it
// only creates comments, or sets or deletes comments (whose ownership
// Apply checks): the room comments while a group presents. An empty submit
// or any other change gets CodeLocked for the whole submit. It costs the
// changes, not the board.
func (b *Board) onlyComments(changes []Change) *Error {
	const msg = "the facilitator has locked this board: only comments can still be written"
	if len(changes) == 0 {
		return Errorf(CodeLocked, "the facilitator has locked this board")
	}
	var created map[string]struct{} // comments created by this submit
	for i := range changes {
		c := &changes[i]
		ok := false
		switch c.Kind {
		case KindCreate:
			if ok = c.Elem == ElemComment; ok {
				if created == nil {
					created = make(map[string]struct{})
				}
				created[c.ID] = struct{}{}
			}
		case KindSet, KindDelete:
			if e, live := b.Elements[c.ID]; live {
				ok = e.Elem == ElemComment
			} else if elem, dead := b.Deleted[c.ID]; dead {
				ok = elem == ElemComment
			} else {
				_, ok = created[c.ID]
			}
		}
		if !ok {
			return atChange(i, Errorf(CodeLocked, msg))
		}
	}
	return nil
}

// overlay holds what a submit changes until it is committed. Lookups go
// through it first, so changes of one submit see each other.
type overlay struct {
	b        *Board
	role     Role
	client   string // who writes: By of created elements, owner of comments
	textSet  uint8  // bit i: texts[i] and lens[i] are new
	texts    [NumSections]string
	lens     [NumSections]int
	meta     Props
	metaSet  bool
	elems    map[string]*Element // new or updated live elements (fresh copies)
	dead     map[string]string   // ids that became tombstones: id -> elem
	live     int                 // live elements after the changes so far
	ids      int                 // ids ever created after the changes so far
	newLinks int                 // links in elems created by this submit
}

type elemState int

const (
	stAbsent elemState = iota // never existed
	stAlive
	stGone // tombstone
)

// lookup returns the state of id and its elem kind (and the element if live).
func (o *overlay) lookup(id string) (elemState, string, *Element) {
	if elem, ok := o.dead[id]; ok {
		return stGone, elem, nil
	}
	if e, ok := o.elems[id]; ok {
		return stAlive, e.Elem, e
	}
	if elem, ok := o.b.Deleted[id]; ok {
		return stGone, elem, nil
	}
	if e, ok := o.b.Elements[id]; ok {
		return stAlive, e.Elem, e
	}
	return stAbsent, "", nil
}

func (o *overlay) text(i int) (string, int) {
	if o.textSet&(1<<i) != 0 {
		return o.texts[i], o.lens[i]
	}
	return o.b.Texts[i], o.b.lens[i]
}

func (o *overlay) put(id string, e *Element) {
	if o.elems == nil {
		o.elems = make(map[string]*Element)
	}
	o.elems[id] = e
}

func (o *overlay) kill(id, elem string) {
	if o.dead == nil {
		o.dead = make(map[string]string)
	}
	o.dead[id] = elem
	delete(o.elems, id)
}

func (o *overlay) apply(c *Change) *Error {
	if err := c.check(); err != nil {
		return err
	}
	switch c.Kind {
	case KindText:
		if o.b.Kind == BoardControl {
			return Errorf(CodeBadSection, "the control board has no fiche")
		}
		i := SectionIndex(c.Section)
		cur, n := o.text(i)
		if c.need > n {
			return Errorf(CodeBadOp, "op reaches %d units into a text of %d", c.need, n)
		}
		next, err := c.Op.Apply(cur)
		if err != nil {
			if e, ok := err.(*Error); ok {
				return e
			}
			return Errorf(CodeBadOp, "%v", err)
		}
		n += opLenDelta(c.Op)
		if n > MaxSectionLen {
			return Errorf(CodeTooLarge, "section %s would be %d UTF-16 units, at most %d", c.Section, n, MaxSectionLen)
		}
		o.texts[i], o.lens[i] = next, n
		o.textSet |= 1 << i
	case KindCreate:
		return o.create(c)
	case KindSet:
		st, elem, e := o.lookup(c.ID)
		if st == stAbsent {
			return Errorf(CodeNoElement, "no element %q", c.ID)
		}
		// Fit is checked on tombstones too: a bad set is refused even
		// on a deleted element.
		if err := c.Props.fits(elem); err != nil {
			return err
		}
		if st == stGone {
			return nil
		}
		if err := o.mayChange(c.ID, e, "change"); err != nil {
			return err
		}
		if _, mine := o.elems[c.ID]; !mine {
			cp := *e
			e = &cp
			o.put(c.ID, e)
		}
		e.Props.Merge(c.Props)
	case KindDelete:
		st, elem, e := o.lookup(c.ID)
		switch st {
		case stAbsent:
			return Errorf(CodeNoElement, "no element %q", c.ID)
		case stGone:
			return nil
		}
		if err := o.mayChange(c.ID, e, "delete"); err != nil {
			return err
		}
		if elem == ElemActor {
			o.killLinksOf(c.ID)
		}
		o.kill(c.ID, elem)
		o.live--
	case KindMeta:
		if err := c.Props.fitsMeta(o.b.Kind); err != nil {
			return err
		}
		if !o.metaSet {
			o.meta, o.metaSet = o.b.Meta, true
		}
		o.meta.Merge(c.Props)
	}
	return nil
}

// mayChange checks that the writer may set or delete the live element e:
// a participant changes only its own comments (the facilitator any);
// everything else is open to both.
func (o *overlay) mayChange(id string, e *Element, what string) *Error {
	if e.Elem != ElemComment || o.role == RoleFacilitator {
		return nil
	}
	if o.client == "" || e.By != o.client {
		return Errorf(CodeForbidden, "comment %q is someone else's: only its author or the facilitator may %s it", id, what)
	}
	return nil
}

// elemFits checks that an element of kind elem may be created on a board
// of kind kind.
func elemFits(kind, elem string) *Error {
	if kind == BoardControl {
		if elem != ElemAssign {
			return Errorf(CodeBadElem, "the control board holds no %s (only assigns)", elem)
		}
	} else if elem == ElemAssign {
		return Errorf(CodeBadElem, "an assign is only on the control board")
	}
	return nil
}

func (o *overlay) create(c *Change) *Error {
	if err := elemFits(o.b.Kind, c.Elem); err != nil {
		return err
	}
	if st, _, _ := o.lookup(c.ID); st != stAbsent {
		return Errorf(CodeExists, "id %q exists or existed", c.ID)
	}
	if o.ids >= MaxIDs {
		return Errorf(CodeTooMany, "a board holds at most %d element ids, deleted ones included", MaxIDs)
	}
	e := &Element{Elem: c.Elem, By: o.client, Props: c.Props}
	switch c.Elem {
	case ElemActor:
		if !e.Props.Has(PropKind) {
			e.Props.Kind = "autre"
		}
		if !e.Props.Has(PropRing) {
			e.Props.Ring = "proche"
		}
		e.Props.Set |= PropKind | PropRing
	case ElemLink:
		p := &c.Props
		if p.From == p.To {
			return Errorf(CodeBadLink, "a link joins two different actors")
		}
		dangling := false
		for _, end := range [2]string{p.From, p.To} {
			st, elem, _ := o.lookup(end)
			if st == stAbsent {
				return Errorf(CodeBadLink, "no actor %q", end)
			}
			if elem != ElemActor {
				return Errorf(CodeBadLink, "%q is a %s, not an actor", end, elem)
			}
			dangling = dangling || st == stGone
		}
		if dangling {
			// The actor went first: the link is born deleted, and
			// its id counts as deleted from now on.
			o.kill(c.ID, ElemLink)
			o.ids++
			return nil
		}
		if !e.Props.Has(PropKind) {
			e.Props.Kind = "autre"
		}
		e.Props.Set |= PropKind
		o.newLinks++
	case ElemComment:
		if !e.Props.Has(PropKind) {
			e.Props.Kind = "commentaire"
		}
		e.Props.Set |= PropKind
	}
	if o.live >= MaxElements {
		return Errorf(CodeTooMany, "a board holds at most %d elements", MaxElements)
	}
	o.put(c.ID, e)
	o.live++
	o.ids++
	return nil
}

// killLinksOf deletes every live link of actor: the committed ones through
// the board's index, the ones this submit created by a scan of them.
func (o *overlay) killLinksOf(actor string) {
	for id := range o.b.links[actor] {
		if _, ok := o.dead[id]; !ok {
			o.kill(id, ElemLink)
			o.live--
		}
	}
	if o.newLinks == 0 {
		return
	}
	for id, e := range o.elems {
		if e.Elem == ElemLink && (e.Props.From == actor || e.Props.To == actor) {
			o.kill(id, ElemLink)
			o.live--
		}
	}
}

func (o *overlay) commit() {
	b := o.b
	for i := 0; i < NumSections; i++ {
		if o.textSet&(1<<i) != 0 {
			b.Texts[i], b.lens[i] = o.texts[i], o.lens[i]
		}
	}
	if o.metaSet {
		b.Meta = o.meta
	}
	if b.Elements == nil {
		b.Elements = map[string]*Element{}
	}
	if b.Deleted == nil {
		b.Deleted = map[string]string{}
	}
	if b.links == nil {
		b.links = map[string]map[string]struct{}{}
	}
	for id, elem := range o.dead {
		if e, ok := b.Elements[id]; ok {
			if e.Elem == ElemLink {
				b.unindex(id, e)
			} else {
				delete(b.links, id)
			}
			delete(b.Elements, id)
		}
		b.Deleted[id] = elem
	}
	for id, e := range o.elems {
		if _, old := b.Elements[id]; !old && e.Elem == ElemLink {
			b.index(id, e)
		}
		b.Elements[id] = e
	}
}

func (b *Board) index(id string, e *Element) {
	for _, end := range [2]string{e.Props.From, e.Props.To} {
		m := b.links[end]
		if m == nil {
			m = map[string]struct{}{}
			b.links[end] = m
		}
		m[id] = struct{}{}
	}
}

func (b *Board) unindex(id string, e *Element) {
	for _, end := range [2]string{e.Props.From, e.Props.To} {
		if m := b.links[end]; m != nil {
			delete(m, id)
			if len(m) == 0 {
				delete(b.links, end)
			}
		}
	}
}

// Clone returns a copy of the board that shares nothing mutable with it, so
// that a batch of changes can be tried on one and dropped if its commit loses
// a race. Texts and committed *Elements are immutable and shared.
func (b *Board) Clone() *Board {
	c := *b
	c.Elements = make(map[string]*Element, len(b.Elements))
	for id, e := range b.Elements {
		c.Elements[id] = e
	}
	c.Deleted = make(map[string]string, len(b.Deleted))
	for id, e := range b.Deleted {
		c.Deleted[id] = e
	}
	c.Clients = make(map[string]ClientSeq, len(b.Clients))
	for id, s := range b.Clients {
		c.Clients[id] = s
	}
	c.links = make(map[string]map[string]struct{}, len(b.links))
	for actor, ls := range b.links {
		m := make(map[string]struct{}, len(ls))
		for l := range ls {
			m[l] = struct{}{}
		}
		c.links[actor] = m
	}
	return &c
}
