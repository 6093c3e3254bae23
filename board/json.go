package board

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// Small JSON helpers. Changes are decoded with a hand-written walker over
// input already validated (ValidJSON): it matches keys exactly
// (encoding/json folds case), sees every string token raw (encoding/json
// silently turns lone surrogates and bad UTF-8 into U+FFFD, which the
// protocol wants refused) and allocates little on the hot submit path.

// valueEnd returns the index just past the JSON value that starts at b[i].
// b must be valid JSON (checked before with ValidJSON).
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // number, true, false, null
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

// stringEnd returns the index just past the string token starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// eachMember calls fn with the raw key token (quotes included) and the raw
// value of each member of the object v. It reports false if v is not an
// object. v must be valid JSON with no surrounding space.
func eachMember(v []byte, fn func(key, val []byte) *Error) (bool, *Error) {
	if len(v) == 0 || v[0] != '{' {
		return false, nil
	}
	i := SkipSpace(v, 1)
	for i < len(v) && v[i] != '}' {
		ke := stringEnd(v, i)
		key := v[i:ke]
		i = SkipSpace(v, ke)
		i = SkipSpace(v, i+1) // past ':'
		ve := valueEnd(v, i)
		if err := fn(key, v[i:ve]); err != nil {
			return true, err
		}
		i = SkipSpace(v, ve)
		if i < len(v) && v[i] == ',' {
			i = SkipSpace(v, i+1)
		}
	}
	return true, nil
}

// eachElem calls fn with each raw item of the array v; false if v is not an
// array. v must be valid JSON with no surrounding space.
func eachElem(v []byte, fn func(n int, val []byte) *Error) (bool, *Error) {
	if len(v) == 0 || v[0] != '[' {
		return false, nil
	}
	i := SkipSpace(v, 1)
	for n := 0; i < len(v) && v[i] != ']'; n++ {
		ve := valueEnd(v, i)
		if err := fn(n, v[i:ve]); err != nil {
			return true, err
		}
		i = SkipSpace(v, ve)
		if i < len(v) && v[i] == ',' {
			i = SkipSpace(v, i+1)
		}
	}
	return true, nil
}

// keyBytes returns the key token's content, unquoted only if it holds
// escapes (so "k\u0069nd" still means kind, as in JS). Callers switch on
// string(keyBytes(...)), which the compiler does without allocating.
func keyBytes(key []byte) []byte {
	inner := key[1 : len(key)-1]
	for _, c := range inner {
		if c == '\\' {
			s, ok := jsonUnquote(key)
			if !ok {
				return nil
			}
			return []byte(s)
		}
	}
	return inner
}

// jsonUnquote decodes a JSON string token strictly: it refuses lone surrogate
// escapes and bytes that are not UTF-8, since neither can be a JavaScript
// string the other replicas would see the same way.
func jsonUnquote(tok []byte) (string, bool) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return "", false
	}
	inner := tok[1 : len(tok)-1]
	esc := false
	for _, c := range inner {
		if c == '\\' {
			esc = true
			break
		}
	}
	if !esc {
		if !utf8.Valid(inner) {
			return "", false
		}
		return string(inner), true
	}
	out := make([]byte, 0, len(inner))
	for i := 0; i < len(inner); {
		c := inner[i]
		if c != '\\' {
			if c < utf8.RuneSelf {
				out = append(out, c)
				i++
				continue
			}
			r, n := utf8.DecodeRune(inner[i:])
			if r == utf8.RuneError && n <= 1 {
				return "", false
			}
			out = append(out, inner[i:i+n]...)
			i += n
			continue
		}
		if i+1 >= len(inner) {
			return "", false
		}
		switch inner[i+1] {
		case '"', '\\', '/':
			out = append(out, inner[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(inner, i+2)
			if !ok {
				return "", false
			}
			i += 6
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				return "", false // low surrogate without its high half
			case r >= 0xD800 && r <= 0xDBFF:
				if i+6 > len(inner) || inner[i] != '\\' || inner[i+1] != 'u' {
					return "", false
				}
				lo, ok := hex4(inner, i+2)
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					return "", false
				}
				i += 6
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return string(out), true
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

const jsonHex = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, as the board's own JSON
// writes strings (for other encoders of protocol messages).
func AppendJSONString(buf []byte, s string) []byte { return appendStr(buf, s) }

// appendStr appends s as a JSON string. Like encoding/json it escapes
// U+2028 and U+2029 (they break JavaScript source) but, unlike it, leaves
// <, > and & alone: nothing here is embedded in HTML. s is valid UTF-8.
func appendStr(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			// Never produced by this package; write U+FFFD so the output
			// stays valid JSON whatever a caller put in.
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += n
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', jsonHex[r&0xF])
			i += n
			start = i
			continue
		}
		i += n
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// appendFloat formats f as encoding/json does (the shortest form that reads
// back exactly, as in JavaScript), so numbers look the same on every side.
func appendFloat(buf []byte, f float64) []byte {
	if f == 0 {
		return append(buf, '0') // also for -0, which JSON.stringify writes as 0
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	n := len(buf)
	buf = strconv.AppendFloat(buf, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		m := len(buf) - n
		if m >= 4 && buf[len(buf)-4] == 'e' && buf[len(buf)-3] == '-' && buf[len(buf)-2] == '0' {
			buf[len(buf)-2] = buf[len(buf)-1]
			buf = buf[:len(buf)-1]
		}
	}
	return buf
}
