package hub

import (
	"encoding/json"
	"strconv"

	"github.com/tablee/tablee/board"
)

// Error codes of the connection layer; the board's own codes (bad_op,
// bad_props, locked, …) live in package board. Never rename one.
const (
	CodeBadJSON      = board.CodeBadJSON
	CodeBadMessage   = board.CodeBadMessage
	CodeUnknownType  = "unknown_type" // a message type the server does not know
	CodeForbidden    = board.CodeForbidden
	CodeNotFound     = "not_found"     // a board that does not exist
	CodeNotFollowing = "not_following" // a board this connection has not said hello to
	CodeBadBase      = "bad_base"      // base is ahead of the board's version
	CodeStaleBase    = "stale_base"    // base is older than the log reaches: take the snapshot
	CodeBadSeq       = "bad_seq"       // seq is not above the last committed one and not a resend of it
	CodeRateLimited  = "rate_limited"  // too many messages or failed keys: slow down
	CodeUnavailable  = "unavailable"   // storage cannot take the commit now; nothing was changed
	CodeTooLarge     = board.CodeTooLarge
)

// Close codes this server uses. 4000–4999 are the application's range.
const (
	CloseSlow     = 4008 // the client could not keep up; reconnect with since
	CloseFailed   = 4011 // the board's room failed (storage); reconnect with since
	CloseTooMany  = 4029 // too many failed keys on this connection
	CloseDeleted  = 4004 // the board (its workshop) was deleted: do not reconnect
	CloseShutdown = 1001 // going away: the server is stopping
)

// inMsg is every client message in one struct: the fields a type does not use
// stay empty. Pointers tell "absent" from zero where the protocol cares.
type inMsg struct {
	Type    string          `json:"type"`
	Board   string          `json:"board"`
	Client  string          `json:"client"`
	Name    *string         `json:"name"`
	Key     string          `json:"key"`
	Since   *sinceField     `json:"since"`
	As      string          `json:"as"`
	Seq     *uint64         `json:"seq"`
	Base    *uint64         `json:"base"`
	Changes json.RawMessage `json:"changes"`
	Focus   *string         `json:"focus"`
	Cursor  *float64        `json:"cursor"`
	X       *float64        `json:"x"`
	Y       *float64        `json:"y"`
}

// submitIn gives a submit's fields.
func (m *inMsg) submitIn() submitIn {
	s := submitIn{board: m.Board, changes: m.Changes, hasSeq: m.Seq != nil, hasBase: m.Base != nil}
	if m.Seq != nil {
		s.seq = *m.Seq
	}
	if m.Base != nil {
		s.base = *m.Base
	}
	return s
}

type sinceField struct {
	V     uint64 `json:"v"`
	Epoch string `json:"epoch"`
}

// The encoders below build the frequent small messages by appending, so the
// hot path does not go through reflection. Strings that may hold user text go
// through json.Marshal; ids are validated uuids and board codes.

func appendJSONString(b []byte, s string) []byte {
	// Fast path: plain ASCII without characters JSON must escape.
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func encodeAck(boardID string, seq, v uint64) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"type":"ack","board":`...)
	b = appendJSONString(b, boardID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"v":`...)
	b = strconv.AppendUint(b, v, 10)
	return append(b, '}')
}

// encodeOp wraps an entry's JSON ({"v",…}) as an op message without
// re-encoding the changes.
func encodeOp(boardID string, entry []byte) []byte {
	b := make([]byte, 0, len(entry)+64)
	b = append(b, `{"type":"op","board":`...)
	b = appendJSONString(b, boardID)
	b = append(b, ',')
	return append(b, entry[1:]...)
}

func encodeReject(boardID string, seq uint64, code, msg string) []byte {
	b := make([]byte, 0, 128)
	b = append(b, `{"type":"reject","board":`...)
	b = appendJSONString(b, boardID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"code":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, msg)
	return append(b, '}')
}

func encodeError(boardID, code, msg string) []byte {
	b := make([]byte, 0, 128)
	b = append(b, `{"type":"error","code":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, msg)
	if boardID != "" {
		b = append(b, `,"board":`...)
		b = appendJSONString(b, boardID)
	}
	return append(b, '}')
}

// encodePong answers a ping; time is the server's clock in Unix
// milliseconds, so that clients can show timers on one clock.
func encodePong(boardID string, v uint64, withV bool, time int64) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"type":"pong"`...)
	if withV {
		b = append(b, `,"board":`...)
		b = appendJSONString(b, boardID)
		b = append(b, `,"v":`...)
		b = strconv.AppendUint(b, v, 10)
	}
	b = append(b, `,"time":`...)
	b = strconv.AppendInt(b, time, 10)
	return append(b, '}')
}

// encodeStatus tells a board's followers whether it is being saved: an
// addition to the protocol ("degraded": storage cannot be written, submits
// are refused with unavailable; "ok": back to normal).
func encodeStatus(boardID, state string) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"type":"status","board":`...)
	b = appendJSONString(b, boardID)
	b = append(b, `,"storage":`...)
	b = appendJSONString(b, state)
	return append(b, '}')
}

// presenceMsg is the presence broadcast; Gone marks a client that left (an
// addition to the protocol so that lists of who is here stay true).
type presenceMsg struct {
	Type   string   `json:"type"`
	Board  string   `json:"board"`
	Client string   `json:"client"`
	Name   string   `json:"name"`
	Role   string   `json:"role,omitempty"`
	Focus  *string  `json:"focus,omitempty"`
	Cursor *float64 `json:"cursor,omitempty"`
	X      *float64 `json:"x,omitempty"`
	Y      *float64 `json:"y,omitempty"`
	Gone   bool     `json:"gone,omitempty"`
}

type welcomeMsg struct {
	Type     string             `json:"type"`
	Board    string             `json:"board"`
	V        uint64             `json:"v"`
	Epoch    string             `json:"epoch"`
	Role     string             `json:"role"`
	LastSeq  uint64             `json:"lastSeq"`
	Time     int64              `json:"time"` // the server's clock, Unix ms, for timers
	Snapshot any                `json:"snapshot,omitempty"`
	Ops      *[]json.RawMessage `json:"ops,omitempty"` // a pointer: an empty catch-up is [] , not absent
}
