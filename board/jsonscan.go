package board

// JSON text is checked here without decoding it: the hot submit path
// validates a frame once, by hand, rather than through encoding/json's
// scanner (several times slower). ValidJSON accepts exactly what json.Valid
// accepts; the fuzz test holds it to that.

// maxJSONDepth is encoding/json's nesting limit: deeper is not valid for it.
const maxJSONDepth = 10000

// ValidJSON reports whether b is one JSON value with only whitespace around it,
// as json.Valid does.
func ValidJSON(b []byte) bool {
	end, ok := SkipJSON(b, SkipSpace(b, 0))
	return ok && SkipSpace(b, end) == len(b)
}

// SkipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func SkipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// SkipJSON checks the JSON value that starts at b[i] and returns the index just
// past it; false if there is no valid value there. What follows the value
// is not looked at.
func SkipJSON(b []byte, i int) (int, bool) {
	// open holds '[' or '{' for each container the value is inside; most
	// values are shallow, so the array stays on the stack.
	var buf [32]byte
	open := buf[:0]
	for {
		// A value starts at i.
		if i >= len(b) {
			return i, false
		}
		var ok bool
		switch c := b[i]; {
		case c == '"':
			i, ok = skipString(b, i)
		case c == '-' || c >= '0' && c <= '9':
			i, ok = skipNumber(b, i)
		case c == 't':
			i, ok = skipLiteral(b, i, "true")
		case c == 'f':
			i, ok = skipLiteral(b, i, "false")
		case c == 'n':
			i, ok = skipLiteral(b, i, "null")
		case c == '[' || c == '{':
			if len(open) == maxJSONDepth {
				return i, false
			}
			open = append(open, c)
			i = SkipSpace(b, i+1)
			if i < len(b) && b[i] == c+2 { // ']' or '}': empty
				i++
				open = open[:len(open)-1]
				ok = true
				break
			}
			if c == '{' {
				if i, ok = skipKey(b, i); !ok {
					return i, false
				}
			}
			continue // its first value
		}
		if !ok {
			return i, false
		}
		// After a value: the end of its containers, or the next value.
		for {
			if len(open) == 0 {
				return i, true
			}
			i = SkipSpace(b, i)
			if i >= len(b) {
				return i, false
			}
			top := open[len(open)-1]
			if b[i] == top+2 {
				i++
				open = open[:len(open)-1]
				continue
			}
			if b[i] != ',' {
				return i, false
			}
			i = SkipSpace(b, i+1)
			if top == '{' {
				if i, ok = skipKey(b, i); !ok {
					return i, false
				}
			}
			break
		}
	}
}

// skipKey checks an object's key and its colon; it returns the index of
// the value.
func skipKey(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	i, ok := skipString(b, i)
	if !ok {
		return i, false
	}
	i = SkipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, false
	}
	return SkipSpace(b, i+1), true
}

// skipString checks the string token at b[i] (a quote). As for encoding/json,
// any byte from 0x20 up may stand for itself, UTF-8 or not.
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			i++
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return i, false
				}
				for _, h := range b[i+1 : i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return i, false
					}
				}
				i += 4
			default:
				return i, false
			}
		}
	}
	return i, false
}

// skipNumber checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at b[i].
func skipNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func skipLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// PlainString reads the string token at b[i] when it holds no escape and no
// control character (with ascii, no byte past 0x7f either: ids and types
// are ASCII, and encoding/json would turn invalid UTF-8 into U+FFFD), and
// returns its content and the index past it. ok is false for anything else:
// the caller's fast path then leaves the message to encoding/json.
func PlainString(b []byte, i int, ascii bool) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || ascii && c >= 0x80:
			return nil, j, false
		}
	}
	return nil, len(b), false
}

// PlainUint reads the whole number at b[i] written in digits only, without
// a leading zero, that fits in a uint64. ok is false for anything else (a
// sign, fraction or exponent stops the digits and leaves a byte the caller
// refuses).
func PlainUint(b []byte, i int) (n uint64, next int, ok bool) {
	j := i
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		d := uint64(b[j] - '0')
		if n > (1<<64-1-d)/10 {
			return 0, j, false
		}
		n = n*10 + d
		j++
	}
	if j == i || (b[i] == '0' && j > i+1) {
		return 0, j, false
	}
	return n, j, true
}
