package board

import "fmt"

// Error is a refusal with a stable, machine-readable code. The codes are part
// of the wire contract (docs in static/PROTOCOL.md): clients branch on Code,
// people read Message.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds an *Error; a helper so call sites stay one line.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Stable error codes. Never rename one: clients match on them.
const (
	CodeBadJSON    = "bad_json"    // the frame or body is not valid JSON of the expected shape
	CodeBadMessage = "bad_message" // a required field is missing or of the wrong type
	CodeBadChange  = "bad_change"  // a change of an unknown kind or with missing fields
	CodeBadOp      = "bad_op"      // a text op that is malformed or does not fit the text
	CodeBadSection = "bad_section" // a section key that does not exist
	CodeBadProps   = "bad_props"   // a prop unknown, of the wrong type, out of its list or over its bound
	CodeBadElem    = "bad_elem"    // an unknown elem kind
	CodeNoElement  = "no_element"  // set/delete of an id that never existed
	CodeExists     = "exists"      // create of an id that exists or existed
	CodeBadLink    = "bad_link"    // a link end that is not an actor, or from == to
	CodeTooLarge   = "too_large"   // a text, a board or a frame over its documented limit
	CodeTooMany    = "too_many"    // too many elements or changes
	CodeForbidden  = "forbidden"   // the role may not do this
	CodeLocked     = "locked"      // the board is locked by the facilitator
	CodeClosed     = "closed"      // the facilitator has closed the workshop: participants change nothing
	CodeBadVersion = "bad_version" // a version or seq that does not follow the board's
	CodeBadState   = "bad_state"   // stored board state that does not hold together
)
