package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Workshop is one training session: its title, join code, the hash of its
// facilitator key and its groups, each with its board.
type Workshop struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Code    string    `json:"code"`    // normalised: upper case, no separator
	KeyHash []byte    `json:"keyHash"` // SHA-256 of the facilitator key; the key itself is never stored
	Groups  []Group   `json:"groups"`
	Created time.Time `json:"created"`
	// Control is the workshop's control board: the phase timer, "look
	// here", participants placed in groups. Written by the facilitator only.
	Control string `json:"control,omitempty"`
	Dates   Dates  `json:"dates"`
	// Closed: the workshop is over; everything is read-only for participants.
	Closed bool `json:"closed,omitempty"`
}

// Dates are the days of the workshop, "YYYY-MM-DD" or empty.
type Dates struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// boards lists every board of the workshop, control board included.
func (w *Workshop) boards() []string {
	out := make([]string, 0, len(w.Groups)+1)
	for _, g := range w.Groups {
		out = append(out, g.Board)
	}
	if w.Control != "" {
		out = append(out, w.Control)
	}
	return out
}

// Group is a sub-group of participants and its board.
type Group struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Board string `json:"board"`
}

// Directory stores workshops and finds them by code and by board.
type Directory interface {
	// Create stores w; errCodeTaken if its code is in use.
	Create(ctx context.Context, w *Workshop) error
	// ByCode finds a workshop by its normalised code; errNoWorkshop if none.
	ByCode(ctx context.Context, code string) (*Workshop, error)
	// ByBoard finds the workshop that owns a board; errNoWorkshop if none.
	ByBoard(ctx context.Context, board string) (*Workshop, error)
	// Update stores w in place of the workshop with its id (same code);
	// boards of groups no longer in w stop pointing to it.
	Update(ctx context.Context, w *Workshop) error
	// Delete removes the workshop and its indexes.
	Delete(ctx context.Context, w *Workshop) error
}

var (
	errNoWorkshop = errors.New("no such workshop")
	errCodeTaken  = errors.New("join code in use")
)

// codeAlphabet leaves out 0/O, 1/I/L so that a code read off a projector
// is typed right the first time.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// codeLen: 31^8 ≈ 8.5e11 codes (39 bits). With refused attempts limited to a
// few dozen a second across the server, guessing any live code takes months.
const codeLen = 8

// newCode returns a random join code, uniform over the alphabet (rejection
// sampling: no modulo bias).
func newCode() string {
	b := make([]byte, 0, codeLen)
	var buf [32]byte
	for len(b) < codeLen {
		rand.Read(buf[:])
		for _, x := range buf {
			if int(x) < 256-256%len(codeAlphabet) && len(b) < codeLen {
				b = append(b, codeAlphabet[int(x)%len(codeAlphabet)])
			}
		}
	}
	return string(b)
}

// normCode turns what someone typed ("abcd-efgh", "ABCD EFGH") into the
// stored form, or "" if it cannot be a code.
func normCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "", "\u00a0", "").Replace(s))
	if len(s) != codeLen {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(codeAlphabet, rune(s[i])) {
			return ""
		}
	}
	return s
}

// newKey returns a 128-bit facilitator key, URL-safe.
func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// isFacilitator compares in constant time.
func (w *Workshop) isFacilitator(key string) bool {
	return subtle.ConstantTimeCompare(hashKey(key), w.KeyHash) == 1
}

func (w *Workshop) group(board string) *Group {
	for i := range w.Groups {
		if w.Groups[i].Board == board {
			return &w.Groups[i]
		}
	}
	return nil
}
