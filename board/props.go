package board

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// Prop names one property of an element or of the board's meta. Props.Set
// is a bit set of them.
type Prop uint32

const (
	PropName           Prop = 1 << iota // actor: text, 1..MaxNameLen units; assign: 1..MaxDisplayNameLen
	PropKind                            // actor, link or comment: one of ActorKinds / LinkKinds / CommentKinds
	PropRing                            // actor: one of Rings
	PropX                               // actor: finite, |x| <= MaxCoord
	PropY                               // actor: finite, |y| <= MaxCoord
	PropNote                            // actor: text, <= MaxNoteLen units
	PropFrom                            // link: actor id, create only
	PropTo                              // link: actor id, create only
	PropNiveau                          // link or meta: one of Niveaux
	PropLabel                           // link: text, <= MaxLabelLen units
	PropTitle                           // meta: text, <= MaxTitleLen units
	PropDone                            // meta (group board): bool
	PropLocked                          // meta: bool, facilitator only
	PropText                            // comment: text, 1..MaxCommentLen units
	PropAuthor                          // comment: display name, <= MaxDisplayNameLen units
	PropSection                         // comment: one of CommentSections
	PropClient                          // assign: a client id (ValidID), create only
	PropGroup                           // assign: a group id (ValidID)
	PropClosed                          // meta: bool, facilitator only
	PropTimerLabel                      // meta (control board): text, <= MaxTimerLabelLen units
	PropTimerDuration                   // meta (control board): integer ms, 0..MaxTimerMS
	PropTimerRunning                    // meta (control board): bool
	PropTimerEndsAt                     // meta (control board): integer ms since the Unix epoch, 0..MaxEpochMS
	PropTimerRemaining                  // meta (control board): integer ms, 0..MaxTimerMS
	PropFocusBoard                      // meta (control board): a board id (ValidID) or ""
	PropFocusSection                    // meta (control board): one of FocusSections
	PropFocusAt                         // meta (control board): integer ms since the Unix epoch, 0..MaxEpochMS
	numProps           = iota
)

// Bounds of prop values; text lengths count UTF-16 units as JavaScript does.
const (
	MaxNameLen        = 200
	MaxNoteLen        = 2000
	MaxLabelLen       = 200
	MaxTitleLen       = 200
	MaxCoord          = 100000
	MaxCommentLen     = 1000            // a comment's text
	MaxDisplayNameLen = 80              // a comment's author, an assign's name
	MaxTimerLabelLen  = 80              // the phase timer's label
	MaxTimerMS        = 86400000        // a timer's duration or remaining time: 24 h
	MaxEpochMS        = 100000000000000 // 1e14 ms since the Unix epoch (year 5138); exact in a float64
)

// The props each place accepts.
const (
	ActorProps   = PropName | PropKind | PropRing | PropX | PropY | PropNote
	LinkProps    = PropFrom | PropTo | PropKind | PropNiveau | PropLabel
	CommentProps = PropText | PropAuthor | PropKind | PropSection
	AssignProps  = PropClient | PropGroup | PropName
	// MetaProps is the meta of a group's board.
	MetaProps = PropNiveau | PropTitle | PropDone | PropLocked | PropClosed
	// TimerProps and FocusProps are the control board's own meta.
	TimerProps       = PropTimerLabel | PropTimerDuration | PropTimerRunning | PropTimerEndsAt | PropTimerRemaining
	FocusProps       = PropFocusBoard | PropFocusSection | PropFocusAt
	ControlMetaProps = PropTitle | PropLocked | PropClosed | TimerProps | FocusProps
	// metaProps is what a meta change may carry before the board is known.
	metaProps = MetaProps | ControlMetaProps
	// linkSettable: from and to are fixed at create time; assignSettable:
	// so is client.
	linkSettable   = LinkProps &^ (PropFrom | PropTo)
	assignSettable = AssignProps &^ PropClient
	createOnly     = PropFrom | PropTo | PropClient
	// setProps is what a set may carry before its element is known.
	setProps = ActorProps | linkSettable | CommentProps | assignSettable
	// intProps are integer-valued numbers, boolProps booleans.
	intProps  = PropTimerDuration | PropTimerEndsAt | PropTimerRemaining | PropFocusAt
	boolProps = PropDone | PropLocked | PropClosed | PropTimerRunning
)

var propNames = [numProps]string{
	"name", "kind", "ring", "x", "y", "note", "from", "to", "niveau", "label", "title", "done", "locked",
	"text", "author", "section", "client", "group", "closed",
	"timerLabel", "timerDuration", "timerRunning", "timerEndsAt", "timerRemaining",
	"focusBoard", "focusSection", "focusAt",
}

// String returns the wire name of a single prop.
func (p Prop) String() string {
	for i, n := range propNames {
		if p == 1<<i {
			return n
		}
	}
	return "Prop(" + strconv.FormatUint(uint64(p), 10) + ")"
}

// first returns the lowest prop of the set p (p != 0).
func (p Prop) first() Prop { return p & -p }

func propByName(name []byte) Prop {
	switch string(name) {
	case "name":
		return PropName
	case "kind":
		return PropKind
	case "ring":
		return PropRing
	case "x":
		return PropX
	case "y":
		return PropY
	case "note":
		return PropNote
	case "from":
		return PropFrom
	case "to":
		return PropTo
	case "niveau":
		return PropNiveau
	case "label":
		return PropLabel
	case "title":
		return PropTitle
	case "done":
		return PropDone
	case "locked":
		return PropLocked
	case "text":
		return PropText
	case "author":
		return PropAuthor
	case "section":
		return PropSection
	case "client":
		return PropClient
	case "group":
		return PropGroup
	case "closed":
		return PropClosed
	case "timerLabel":
		return PropTimerLabel
	case "timerDuration":
		return PropTimerDuration
	case "timerRunning":
		return PropTimerRunning
	case "timerEndsAt":
		return PropTimerEndsAt
	case "timerRemaining":
		return PropTimerRemaining
	case "focusBoard":
		return PropFocusBoard
	case "focusSection":
		return PropFocusSection
	case "focusAt":
		return PropFocusAt
	}
	return 0
}

// Where a comment or the facilitator's focus points, besides the sections.
const (
	SectionMap      = "carte"        // the ecosystem map
	SectionComments = "commentaires" // the comments (focus only)
)

// Value lists, in the protocol's order.
var (
	ActorKinds   = []string{"collectivite", "association", "entreprise", "financeur", "institution", "habitants", "reseau", "autre"}
	Rings        = []string{"coeur", "proche", "territoire"}
	LinkKinds    = []string{"partenariat", "financement", "moyens", "prestation", "tension", "autre"}
	Niveaux      = []string{"faire_ensemble", "faire_avec", "faire_corps"}
	CommentKinds = []string{"commentaire", "piste"}
	// CommentSections: what a comment is about; "" is the whole fiche.
	CommentSections = []string{"", "etat_des_lieux", "enjeux", "niveau", "ecosysteme", "animation", "financement", "calendrier", SectionMap}
	// FocusSections: where the facilitator asks everyone to look; "" is nowhere in particular.
	FocusSections = []string{"", "etat_des_lieux", "enjeux", "niveau", "ecosysteme", "animation", "financement", "calendrier", SectionMap, SectionComments}
)

func inList(s string, list []string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Props is a typed set of properties. Only the props whose bit is in Set
// are present; the other fields are zero and mean nothing. A value type, so
// copying an Element or a Change never shares mutable state.
type Props struct {
	Set    Prop
	Name   string
	Kind   string
	Ring   string
	X, Y   float64
	Note   string
	From   string
	To     string
	Niveau string
	Label  string
	Title  string
	Done   bool
	Locked bool

	// Comments.
	Text    string
	Author  string
	Section string
	// Assignments (control board).
	Client string
	Group  string
	// Meta: the workshop is closed.
	Closed bool
	// Meta of the control board: the phase timer and the focus. Times are
	// integer milliseconds.
	TimerRunning   bool
	TimerLabel     string
	TimerDuration  int64
	TimerEndsAt    int64
	TimerRemaining int64
	FocusBoard     string
	FocusSection   string
	FocusAt        int64
}

// Has reports whether every prop in q is present.
func (p Props) Has(q Prop) bool { return p.Set&q == q }

// Merge overwrites p's props with those present in q: last writer wins,
// prop by prop.
func (p *Props) Merge(q Props) {
	s := q.Set
	if s&PropName != 0 {
		p.Name = q.Name
	}
	if s&PropKind != 0 {
		p.Kind = q.Kind
	}
	if s&PropRing != 0 {
		p.Ring = q.Ring
	}
	if s&PropX != 0 {
		p.X = q.X
	}
	if s&PropY != 0 {
		p.Y = q.Y
	}
	if s&PropNote != 0 {
		p.Note = q.Note
	}
	if s&PropFrom != 0 {
		p.From = q.From
	}
	if s&PropTo != 0 {
		p.To = q.To
	}
	if s&PropNiveau != 0 {
		p.Niveau = q.Niveau
	}
	if s&PropLabel != 0 {
		p.Label = q.Label
	}
	if s&PropTitle != 0 {
		p.Title = q.Title
	}
	if s&PropDone != 0 {
		p.Done = q.Done
	}
	if s&PropLocked != 0 {
		p.Locked = q.Locked
	}
	if s&PropText != 0 {
		p.Text = q.Text
	}
	if s&PropAuthor != 0 {
		p.Author = q.Author
	}
	if s&PropSection != 0 {
		p.Section = q.Section
	}
	if s&PropClient != 0 {
		p.Client = q.Client
	}
	if s&PropGroup != 0 {
		p.Group = q.Group
	}
	if s&PropClosed != 0 {
		p.Closed = q.Closed
	}
	if s&PropTimerLabel != 0 {
		p.TimerLabel = q.TimerLabel
	}
	if s&PropTimerDuration != 0 {
		p.TimerDuration = q.TimerDuration
	}
	if s&PropTimerRunning != 0 {
		p.TimerRunning = q.TimerRunning
	}
	if s&PropTimerEndsAt != 0 {
		p.TimerEndsAt = q.TimerEndsAt
	}
	if s&PropTimerRemaining != 0 {
		p.TimerRemaining = q.TimerRemaining
	}
	if s&PropFocusBoard != 0 {
		p.FocusBoard = q.FocusBoard
	}
	if s&PropFocusSection != 0 {
		p.FocusSection = q.FocusSection
	}
	if s&PropFocusAt != 0 {
		p.FocusAt = q.FocusAt
	}
	p.Set |= s
}

// propCtx says where props appear, which decides what they may hold.
type propCtx int

const (
	ctxActor   propCtx = iota // create of an actor, or an actor's full props
	ctxLink                   // create of a link, or a link's full props
	ctxSet                    // set, element not known yet
	ctxMeta                   // meta change or the board's meta, board kind not known yet
	ctxComment                // create of a comment, or a comment's full props
	ctxAssign                 // create of an assign, or an assign's full props
)

func (c propCtx) allowed() Prop {
	switch c {
	case ctxActor:
		return ActorProps
	case ctxLink:
		return LinkProps
	case ctxSet:
		return setProps
	case ctxComment:
		return CommentProps
	case ctxAssign:
		return AssignProps
	}
	return metaProps
}

func (c propCtx) what() string {
	switch c {
	case ctxActor:
		return "an actor"
	case ctxLink:
		return "a link"
	case ctxSet:
		return "a set"
	case ctxComment:
		return "a comment"
	case ctxAssign:
		return "an assign"
	}
	return "meta"
}

// elemCtx returns the props context of an element kind.
func elemCtx(elem string) (propCtx, bool) {
	switch elem {
	case ElemActor:
		return ctxActor, true
	case ElemLink:
		return ctxLink, true
	case ElemComment:
		return ctxComment, true
	case ElemAssign:
		return ctxAssign, true
	}
	return 0, false
}

func badProps(format string, args ...any) *Error { return Errorf(CodeBadProps, format, args...) }

// notAllowed is the error for prop q, which ctx does not take.
func notAllowed(q Prop, ctx propCtx) *Error {
	if q&createOnly != 0 && ctx == ctxSet {
		return badProps("prop %q is set only on create", q)
	}
	return badProps("prop %q is not one of %s", q, ctx.what())
}

// check validates the values of the present props for ctx. It does not
// require any prop (create's required props are checked by the caller).
func (p *Props) check(ctx propCtx) *Error {
	if extra := p.Set &^ ctx.allowed(); extra != 0 {
		q := extra.first()
		if q >= 1<<numProps {
			return badProps("unknown prop")
		}
		return notAllowed(q, ctx)
	}
	s := p.Set
	if s&PropName != 0 {
		if p.Name == "" {
			return badProps("name: must not be empty")
		}
		max := MaxNameLen
		if ctx == ctxAssign {
			max = MaxDisplayNameLen
		}
		if err := checkText("name", p.Name, max); err != nil {
			return err
		}
	}
	if s&PropKind != 0 {
		var ok bool
		switch ctx {
		case ctxActor:
			ok = inList(p.Kind, ActorKinds)
		case ctxLink:
			ok = inList(p.Kind, LinkKinds)
		case ctxComment:
			ok = inList(p.Kind, CommentKinds)
		default:
			ok = inList(p.Kind, ActorKinds) || inList(p.Kind, LinkKinds) || inList(p.Kind, CommentKinds)
		}
		if !ok {
			return badProps("kind: %q is not a kind of %s", p.Kind, ctx.what())
		}
	}
	if s&PropRing != 0 && !inList(p.Ring, Rings) {
		return badProps("ring: %q is not one of %v", p.Ring, Rings)
	}
	if s&PropX != 0 && !coordOK(p.X) {
		return badProps("x: must be a finite number within ±%d", MaxCoord)
	}
	if s&PropY != 0 && !coordOK(p.Y) {
		return badProps("y: must be a finite number within ±%d", MaxCoord)
	}
	if s&PropNote != 0 {
		if err := checkText("note", p.Note, MaxNoteLen); err != nil {
			return err
		}
	}
	if s&PropFrom != 0 && !ValidID(p.From) {
		return badProps("from: not an element id")
	}
	if s&PropTo != 0 && !ValidID(p.To) {
		return badProps("to: not an element id")
	}
	if s&PropNiveau != 0 && !inList(p.Niveau, Niveaux) {
		return badProps("niveau: %q is not one of %v", p.Niveau, Niveaux)
	}
	if s&PropLabel != 0 {
		if err := checkText("label", p.Label, MaxLabelLen); err != nil {
			return err
		}
	}
	if s&PropTitle != 0 {
		if err := checkText("title", p.Title, MaxTitleLen); err != nil {
			return err
		}
	}
	if s&^(ActorProps|LinkProps|MetaProps) == 0 {
		return nil // the common case: none of the props below
	}
	if s&PropText != 0 {
		if p.Text == "" {
			return badProps("text: must not be empty")
		}
		if err := checkText("text", p.Text, MaxCommentLen); err != nil {
			return err
		}
	}
	if s&PropAuthor != 0 {
		if err := checkText("author", p.Author, MaxDisplayNameLen); err != nil {
			return err
		}
	}
	if s&PropSection != 0 && !inList(p.Section, CommentSections) {
		return badProps("section: %q is not a section key, %q or \"\"", p.Section, SectionMap)
	}
	if s&PropClient != 0 && !ValidID(p.Client) {
		return badProps("client: not a client id (1 to %d of A-Z a-z 0-9 _ -)", MaxIDLen)
	}
	if s&PropGroup != 0 && !ValidID(p.Group) {
		return badProps("group: not a group id (1 to %d of A-Z a-z 0-9 _ -)", MaxIDLen)
	}
	if s&PropTimerLabel != 0 {
		if err := checkText("timerLabel", p.TimerLabel, MaxTimerLabelLen); err != nil {
			return err
		}
	}
	if s&PropTimerDuration != 0 && !intOK(p.TimerDuration, MaxTimerMS) {
		return badInt(PropTimerDuration)
	}
	if s&PropTimerEndsAt != 0 && !intOK(p.TimerEndsAt, MaxEpochMS) {
		return badInt(PropTimerEndsAt)
	}
	if s&PropTimerRemaining != 0 && !intOK(p.TimerRemaining, MaxTimerMS) {
		return badInt(PropTimerRemaining)
	}
	if s&PropFocusBoard != 0 && p.FocusBoard != "" && !ValidID(p.FocusBoard) {
		return badProps("focusBoard: not a board id, nor \"\"")
	}
	if s&PropFocusSection != 0 && !inList(p.FocusSection, FocusSections) {
		return badProps("focusSection: %q is not a section key, %q, %q or \"\"", p.FocusSection, SectionMap, SectionComments)
	}
	if s&PropFocusAt != 0 && !intOK(p.FocusAt, MaxEpochMS) {
		return badInt(PropFocusAt)
	}
	return nil
}

// intMax is the bound of an integer prop.
func intMax(q Prop) int64 {
	if q == PropTimerDuration || q == PropTimerRemaining {
		return MaxTimerMS
	}
	return MaxEpochMS
}

func intOK(v, max int64) bool { return v >= 0 && v <= max }

func badInt(q Prop) *Error {
	return badProps("%s: must be a whole number of milliseconds from 0 to %d", q, intMax(q))
}

// fits checks that props of a set (already checked with ctxSet) suit an
// element of kind elem: no ring on a link, no link kind on an actor.
func (p *Props) fits(elem string) *Error {
	switch elem {
	case ElemLink:
		if p.Set&(PropFrom|PropTo) != 0 {
			return badProps("from and to are set only on create")
		}
	case ElemAssign:
		if p.Set&PropClient != 0 {
			return badProps("client is set only on create")
		}
	}
	ctx, ok := elemCtx(elem)
	if !ok {
		return Errorf(CodeBadElem, "unknown elem %q", elem)
	}
	return p.check(ctx)
}

// fitsMeta checks that meta props (already checked with ctxMeta) suit a
// board of kind kind: the timer and the focus only on the control board,
// niveau and done only on a group's board.
func (p *Props) fitsMeta(kind string) *Error {
	if kind == BoardControl {
		if extra := p.Set &^ ControlMetaProps; extra != 0 {
			return badProps("meta %q is not on the control board (it has no fiche)", extra.first())
		}
		return nil
	}
	if extra := p.Set &^ MetaProps; extra != 0 {
		return badProps("meta %q: only on the control board", extra.first())
	}
	return nil
}

func coordOK(f float64) bool {
	return !math.IsNaN(f) && !math.IsInf(f, 0) && f >= -MaxCoord && f <= MaxCoord
}

func checkText(name, s string, max int) *Error {
	// len(s) bounds the UTF-16 length from above: skip counting short texts.
	if !utf8.ValidString(s) {
		return badProps("%s: not valid UTF-8", name)
	}
	if len(s) > max && UTF16Len(s) > max {
		return badProps("%s: longer than %d UTF-16 units", name, max)
	}
	return nil
}

// parseProps reads a raw JSON props object (valid JSON) for ctx and checks
// every value. Errors are CodeBadProps.
func parseProps(raw []byte, ctx propCtx) (Props, *Error) {
	var p Props
	isObj, err := eachMember(raw, func(key, val []byte) *Error {
		name := keyBytes(key)
		q := propByName(name)
		if q == 0 {
			s, _ := jsonUnquote(key)
			return badProps("unknown prop %q", s)
		}
		if q&ctx.allowed() == 0 {
			return notAllowed(q, ctx)
		}
		if val[0] == 'n' {
			return badProps("%s: null is not a value", q)
		}
		switch {
		case q == PropX || q == PropY:
			if val[0] != '-' && (val[0] < '0' || val[0] > '9') {
				return badProps("%s: not a number", q)
			}
			f, err := strconv.ParseFloat(string(val), 64)
			if err != nil || !coordOK(f) {
				return badProps("%s: must be a finite number within ±%d", q, MaxCoord)
			}
			if q == PropX {
				p.X = f
			} else {
				p.Y = f
			}
		case q&intProps != 0:
			if val[0] != '-' && (val[0] < '0' || val[0] > '9') {
				return badProps("%s: not a number", q)
			}
			// Read as JavaScript does (1e3 and 1000.0 are 1000), then
			// kept as an integer: it is written back without fraction
			// or exponent.
			f, err := strconv.ParseFloat(string(val), 64)
			if err != nil || f != math.Trunc(f) || f < 0 || f > float64(intMax(q)) {
				return badInt(q)
			}
			v := int64(f)
			switch q {
			case PropTimerDuration:
				p.TimerDuration = v
			case PropTimerEndsAt:
				p.TimerEndsAt = v
			case PropTimerRemaining:
				p.TimerRemaining = v
			case PropFocusAt:
				p.FocusAt = v
			}
		case q&boolProps != 0:
			var v bool
			switch val[0] {
			case 't':
				v = true
			case 'f':
			default:
				return badProps("%s: not a boolean", q)
			}
			switch q {
			case PropDone:
				p.Done = v
			case PropLocked:
				p.Locked = v
			case PropClosed:
				p.Closed = v
			case PropTimerRunning:
				p.TimerRunning = v
			}
		default:
			if val[0] != '"' {
				return badProps("%s: not a string", q)
			}
			s, ok := jsonUnquote(val)
			if !ok {
				return badProps("%s: not valid Unicode (lone surrogate?)", q)
			}
			switch q {
			case PropName:
				p.Name = s
			case PropKind:
				p.Kind = s
			case PropRing:
				p.Ring = s
			case PropNote:
				p.Note = s
			case PropFrom:
				p.From = s
			case PropTo:
				p.To = s
			case PropNiveau:
				p.Niveau = s
			case PropLabel:
				p.Label = s
			case PropTitle:
				p.Title = s
			case PropText:
				p.Text = s
			case PropAuthor:
				p.Author = s
			case PropSection:
				p.Section = s
			case PropClient:
				p.Client = s
			case PropGroup:
				p.Group = s
			case PropTimerLabel:
				p.TimerLabel = s
			case PropFocusBoard:
				p.FocusBoard = s
			case PropFocusSection:
				p.FocusSection = s
			}
		}
		p.Set |= q
		return nil
	})
	if err != nil {
		return Props{}, err
	}
	if !isObj {
		return Props{}, badProps("props must be an object")
	}
	if err := p.check(ctx); err != nil {
		return Props{}, err
	}
	return p, nil
}

// appendProps writes the present props as a JSON object, in a fixed order:
// the map's props first (as they always were), then those of comments,
// assigns, and the board's meta.
func appendProps(buf []byte, p *Props) []byte {
	buf = append(buf, '{')
	first := true
	key := func(name string) {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '"')
		buf = append(buf, name...)
		buf = append(buf, '"', ':')
	}
	s := p.Set
	// A link's ends first: that is how people read it.
	if s&PropFrom != 0 {
		key("from")
		buf = appendStr(buf, p.From)
	}
	if s&PropTo != 0 {
		key("to")
		buf = appendStr(buf, p.To)
	}
	if s&PropName != 0 {
		key("name")
		buf = appendStr(buf, p.Name)
	}
	if s&PropKind != 0 {
		key("kind")
		buf = appendStr(buf, p.Kind)
	}
	if s&PropRing != 0 {
		key("ring")
		buf = appendStr(buf, p.Ring)
	}
	if s&PropX != 0 {
		key("x")
		buf = appendFloat(buf, p.X)
	}
	if s&PropY != 0 {
		key("y")
		buf = appendFloat(buf, p.Y)
	}
	if s&PropNote != 0 {
		key("note")
		buf = appendStr(buf, p.Note)
	}
	if s&PropNiveau != 0 {
		key("niveau")
		buf = appendStr(buf, p.Niveau)
	}
	if s&PropLabel != 0 {
		key("label")
		buf = appendStr(buf, p.Label)
	}
	if s&PropTitle != 0 {
		key("title")
		buf = appendStr(buf, p.Title)
	}
	if s&PropDone != 0 {
		key("done")
		buf = strconv.AppendBool(buf, p.Done)
	}
	if s&PropLocked != 0 {
		key("locked")
		buf = strconv.AppendBool(buf, p.Locked)
	}
	if s&^(ActorProps|LinkProps|MetaProps&^PropClosed) == 0 {
		return append(buf, '}')
	}
	// Comments.
	if s&PropText != 0 {
		key("text")
		buf = appendStr(buf, p.Text)
	}
	if s&PropAuthor != 0 {
		key("author")
		buf = appendStr(buf, p.Author)
	}
	if s&PropSection != 0 {
		key("section")
		buf = appendStr(buf, p.Section)
	}
	// Assigns.
	if s&PropClient != 0 {
		key("client")
		buf = appendStr(buf, p.Client)
	}
	if s&PropGroup != 0 {
		key("group")
		buf = appendStr(buf, p.Group)
	}
	// Meta.
	if s&PropClosed != 0 {
		key("closed")
		buf = strconv.AppendBool(buf, p.Closed)
	}
	if s&PropTimerLabel != 0 {
		key("timerLabel")
		buf = appendStr(buf, p.TimerLabel)
	}
	if s&PropTimerDuration != 0 {
		key("timerDuration")
		buf = strconv.AppendInt(buf, p.TimerDuration, 10)
	}
	if s&PropTimerRunning != 0 {
		key("timerRunning")
		buf = strconv.AppendBool(buf, p.TimerRunning)
	}
	if s&PropTimerEndsAt != 0 {
		key("timerEndsAt")
		buf = strconv.AppendInt(buf, p.TimerEndsAt, 10)
	}
	if s&PropTimerRemaining != 0 {
		key("timerRemaining")
		buf = strconv.AppendInt(buf, p.TimerRemaining, 10)
	}
	if s&PropFocusBoard != 0 {
		key("focusBoard")
		buf = appendStr(buf, p.FocusBoard)
	}
	if s&PropFocusSection != 0 {
		key("focusSection")
		buf = appendStr(buf, p.FocusSection)
	}
	if s&PropFocusAt != 0 {
		key("focusAt")
		buf = strconv.AppendInt(buf, p.FocusAt, 10)
	}
	return append(buf, '}')
}
