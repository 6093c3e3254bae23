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
		key, j, ok := plainString(data, i)
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
			v, j, ok := plainString(data, i)
			if !ok || string(v) != "submit" {
				return s, false
			}
			i = j
		case "board":
			bit = hasBoard
			v, j, ok := plainString(data, i)
			if !ok {
				return s, false
			}
			s.board, i = string(v), j
		case "seq":
			bit = hasSeq
			s.seq, i, ok = plainUint(data, i)
			s.hasSeq = true
		case "base":
			bit = hasBase
			s.base, i, ok = plainUint(data, i)
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

// plainString reads a string token at data[i] made of printable ASCII
// without escapes, and returns its content and the index past it.
func plainString(data []byte, i int) ([]byte, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			return data[i+1 : j], j + 1, true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return nil, j, false
		}
	}
	return nil, len(data), false
}

// plainUint reads a whole number in plain digits at data[i], as JSON writes
// it (no leading zero), that fits in a uint64.
func plainUint(data []byte, i int) (uint64, int, bool) {
	if i >= len(data) || data[i] < '0' || data[i] > '9' {
		return 0, i, false
	}
	if data[i] == '0' {
		return 0, i + 1, true // a digit after it is caught as what follows the value
	}
	var n uint64
	for ; i < len(data) && data[i] >= '0' && data[i] <= '9'; i++ {
		d := uint64(data[i] - '0')
		if n > (1<<64-1-d)/10 {
			return 0, i, false
		}
		n = n*10 + d
	}
	return n, i, true
}
