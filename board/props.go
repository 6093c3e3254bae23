package board

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// Prop names one property of an element or of the board's meta. Props.Set
// is a bit set of them.
type Prop uint16

const (
	PropName   Prop = 1 << iota // actor: text, 1..MaxNameLen units
	PropKind                    // actor or link: one of ActorKinds / LinkKinds
	PropRing                    // actor: one of Rings
	PropX                       // actor: finite, |x| <= MaxCoord
	PropY                       // actor: finite, |y| <= MaxCoord
	PropNote                    // actor: text, <= MaxNoteLen units
	PropFrom                    // link: actor id, create only
	PropTo                      // link: actor id, create only
	PropNiveau                  // link or meta: one of Niveaux
	PropLabel                   // link: text, <= MaxLabelLen units
	PropTitle                   // meta: text, <= MaxTitleLen units
	PropDone                    // meta: bool
	PropLocked                  // meta: bool, facilitator only
	numProps   = iota
)

// Bounds of prop values; text lengths count UTF-16 units as JavaScript does.
const (
	MaxNameLen  = 200
	MaxNoteLen  = 2000
	MaxLabelLen = 200
	MaxTitleLen = 200
	MaxCoord    = 100000
)

// The props each place accepts.
const (
	ActorProps = PropName | PropKind | PropRing | PropX | PropY | PropNote
	LinkProps  = PropFrom | PropTo | PropKind | PropNiveau | PropLabel
	MetaProps  = PropNiveau | PropTitle | PropDone | PropLocked
	// linkSettable: from and to are fixed at create time.
	linkSettable = LinkProps &^ (PropFrom | PropTo)
	// setProps is what a set may carry before its element is known.
	setProps = ActorProps | linkSettable
)

var propNames = [numProps]string{"name", "kind", "ring", "x", "y", "note", "from", "to", "niveau", "label", "title", "done", "locked"}

// String returns the wire name of a single prop.
func (p Prop) String() string {
	for i, n := range propNames {
		if p == 1<<i {
			return n
		}
	}
	return "Prop(" + strconv.Itoa(int(p)) + ")"
}

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
	}
	return 0
}

// Value lists, in the protocol's order.
var (
	ActorKinds = []string{"collectivite", "association", "entreprise", "financeur", "institution", "habitants", "reseau", "autre"}
	Rings      = []string{"coeur", "proche", "territoire"}
	LinkKinds  = []string{"partenariat", "financement", "moyens", "prestation", "tension", "autre"}
	Niveaux    = []string{"faire_ensemble", "faire_avec", "faire_corps"}
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
	p.Set |= s
}

// propCtx says where props appear, which decides what they may hold.
type propCtx int

const (
	ctxActor propCtx = iota // create of an actor, or an actor's full props
	ctxLink                 // create of a link, or a link's full props
	ctxSet                  // set, element not known yet
	ctxMeta                 // meta change or the board's meta
)

func (c propCtx) allowed() Prop {
	switch c {
	case ctxActor:
		return ActorProps
	case ctxLink:
		return LinkProps
	case ctxSet:
		return setProps
	}
	return MetaProps
}

func (c propCtx) what() string {
	switch c {
	case ctxActor:
		return "an actor"
	case ctxLink:
		return "a link"
	case ctxSet:
		return "a set"
	}
	return "meta"
}

func badProps(format string, args ...any) *Error { return Errorf(CodeBadProps, format, args...) }

// check validates the values of the present props for ctx. It does not
// require any prop (create's required props are checked by the caller).
func (p *Props) check(ctx propCtx) *Error {
	if extra := p.Set &^ ctx.allowed(); extra != 0 {
		for i := 0; i < numProps; i++ {
			if extra&(1<<i) != 0 {
				if q := Prop(1 << i); q == PropFrom || q == PropTo {
					return badProps("prop %q is set only on create", q)
				}
				return badProps("prop %q is not one of %s", Prop(1<<i), ctx.what())
			}
		}
		return badProps("unknown prop")
	}
	s := p.Set
	if s&PropName != 0 {
		if p.Name == "" {
			return badProps("name: must not be empty")
		}
		if err := checkText("name", p.Name, MaxNameLen); err != nil {
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
		default:
			ok = inList(p.Kind, ActorKinds) || inList(p.Kind, LinkKinds)
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
	return nil
}

// fits checks that props of a set (already checked with ctxSet) suit an
// element of kind elem: no ring on a link, no link kind on an actor.
func (p *Props) fits(elem string) *Error {
	switch elem {
	case ElemActor:
		return p.check(ctxActor)
	case ElemLink:
		if p.Set&(PropFrom|PropTo) != 0 {
			return badProps("from and to are set only on create")
		}
		return p.check(ctxLink)
	}
	return Errorf(CodeBadElem, "unknown elem %q", elem)
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
			if q == PropFrom || q == PropTo {
				return badProps("prop %q is set only on create", q)
			}
			return badProps("prop %q is not one of %s", q, ctx.what())
		}
		if val[0] == 'n' {
			return badProps("%s: null is not a value", q)
		}
		switch q {
		case PropX, PropY:
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
		case PropDone, PropLocked:
			var v bool
			switch val[0] {
			case 't':
				v = true
			case 'f':
			default:
				return badProps("%s: not a boolean", q)
			}
			if q == PropDone {
				p.Done = v
			} else {
				p.Locked = v
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

// appendProps writes the present props as a JSON object, in a fixed order.
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
	return append(buf, '}')
}
