package board

// Text operations in the shape of the ShareJS/ottypes "text" type, counted
// in UTF-16 code units as JavaScript strings are.
//
// Wire form: an array whose items are a positive integer n (retain n units),
// a string (insert it), or {"d": n} (delete n units).

// Comp is one component of a text operation. In a normalised op exactly one
// field is non-zero.
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

// API (implemented in text.go):
//   func UTF16Len(s string) int
//   func (op TextOp) MarshalJSON() ([]byte, error)
//   func (op *TextOp) UnmarshalJSON(b []byte) error
//   func (op TextOp) Normalize() TextOp
//   func (op TextOp) Apply(doc string) (string, error)
//   func Transform(op, other TextOp, side Side) TextOp
//   func Compose(a, b TextOp) TextOp
//   func TransformCursor(cursor int, op TextOp, isOwn bool) int
