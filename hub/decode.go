package hub

import (
	"strings"

	"github.com/tablee/tablee/board"
)

// submitIn is a submit's fields; hasSeq and hasBase tell absent from zero.
type submitIn struct {
	board   string
	seq     uint64
	base    uint64
	hasSeq  bool
	hasBase bool
	changes []byte // raw JSON, as sent (a subslice of the frame)
}

// inMsgNames are inMsg's JSON names. encoding/json matches keys to them
// ignoring case, so the fast path leaves a key that folds to one of them,
// other than the submit's own, to encoding/json.
var inMsgNames = [...]string{"type", "board", "client", "name", "key", "since", "as",
	"seq", "base", "changes", "focus", "cursor", "x", "y"}

// decodeSubmit reads a submit frame (the most frequent client message)
// without reflection when it is plain: one JSON object with "type":"submit"
// and, in any order, "board" (a string without escapes), "seq" and "base"
// (whole numbers in plain digits), "changes" (any valid JSON) and members
// the server does not know. It gives what encoding/json would decode into
// inMsg. It reports false for any other frame — another type, invalid JSON,
// a duplicate member, a member of the wrong type, null, an escape in a key,
// a number with a sign, fraction or exponent, or over 2^64-1 — and the
// caller then decodes it with encoding/json, which answers it as it
// always has: the fast path takes nothing the slow path refuses.
func decodeSubmit(data []byte) (submitIn, bool) {
	var s submitIn
	i := board.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return s, false
	}
	i = board.SkipSpace(data, i+1)
	const (
		hasType = 1 << iota
		hasBoard
		hasSeq
		hasBase
		hasChanges
	)
	seen := 0
	for {
		key, j, ok := board.PlainString(data, i, true)
		if !ok {
			return s, false
		}
		i = board.SkipSpace(data, j)
		if i >= len(data) || data[i] != ':' {
			return s, false
		}
		i = board.SkipSpace(data, i+1)
		bit := 0
		switch string(key) {
		case "type":
			bit = hasType
			v, j, ok := board.PlainString(data, i, true)
			if !ok || string(v) != "submit" {
				return s, false
			}
			i = j
		case "board":
			bit = hasBoard
			v, j, ok := board.PlainString(data, i, true)
			if !ok {
				return s, false
			}
			s.board, i = string(v), j
		case "seq":
			bit = hasSeq
			s.seq, i, ok = board.PlainUint(data, i)
			s.hasSeq = true
		case "base":
			bit = hasBase
			s.base, i, ok = board.PlainUint(data, i)
			s.hasBase = true
		case "changes":
			bit = hasChanges
			j, ok = board.SkipJSON(data, i)
			s.changes, i = data[i:j], j
		default:
			for _, n := range inMsgNames {
				if strings.EqualFold(string(key), n) {
					return s, false
				}
			}
			i, ok = board.SkipJSON(data, i)
		}
		if !ok || seen&bit != 0 {
			return s, false
		}
		seen |= bit
		i = board.SkipSpace(data, i)
		if i >= len(data) {
			return s, false
		}
		if data[i] == '}' {
			i++
			break
		}
		if data[i] != ',' {
			return s, false
		}
		i = board.SkipSpace(data, i+1)
	}
	return s, seen&hasType != 0 && board.SkipSpace(data, i) == len(data)
}
