package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/tablee/tablee/board"
)

// groupsPerWorkshop is the server's bound on groups in one workshop (a
// training room): more boards take more workshops.
const groupsPerWorkshop = 30

// workshop is one workshop this run created.
type workshop struct {
	code           string
	facilitatorKey string
	base           *url.URL // the instance that created it, also asked for the final check
	boards         []*boardInfo
}

// boardInfo is one board this run created and follows.
type boardInfo struct {
	id  string
	idx int // its number in the run: spreads connections over the URLs
	ws  *workshop
	// followers counts the connections that follow it, each of which but
	// the sender receives every op: the number of deliveries a stamp awaits.
	followers int
}

// createWorkshops creates enough workshops for n more boards, through the
// public API as the facilitator's page does.
func (f *Fleet) createWorkshops(ctx context.Context, n int) ([]*boardInfo, error) {
	var out []*boardInfo
	for n > 0 {
		groups := min(n, groupsPerWorkshop)
		names := make([]string, groups)
		for i := range names {
			names[i] = fmt.Sprintf("Groupe %d", i+1)
		}
		body, _ := json.Marshal(map[string]any{"title": "Charge — La coopération au service des projets territoriaux", "groups": names})
		// Through the first instance: with several, they share their
		// directory (Redis), and one creator keeps the run simple.
		base := f.urls[0]
		var resp struct {
			Code           string `json:"code"`
			FacilitatorKey string `json:"facilitatorKey"`
			Groups         []struct {
				Board string `json:"board"`
			} `json:"groups"`
		}
		if err := f.doJSON(ctx, http.MethodPost, base.String()+"/api/workshops", body, http.StatusCreated, &resp); err != nil {
			return out, fmt.Errorf("create workshop: %w", err)
		}
		if len(resp.Groups) != groups || resp.Code == "" || resp.FacilitatorKey == "" {
			return out, fmt.Errorf("create workshop: the answer lacks code, key or groups")
		}
		ws := &workshop{code: resp.Code, facilitatorKey: resp.FacilitatorKey, base: base}
		f.mu.Lock()
		f.workshops = append(f.workshops, ws)
		for _, g := range resp.Groups {
			b := &boardInfo{id: g.Board, idx: len(f.boards), ws: ws}
			f.boards = append(f.boards, b)
			ws.boards = append(ws.boards, b)
			out = append(out, b)
		}
		f.mu.Unlock()
		n -= groups
	}
	return out, nil
}

// boardState is a board as its durable snapshot tells: the reference the
// followers must have reached at the end.
type boardState struct {
	v     uint64
	texts [board.NumSections]string
}

// fetchBoard reads a board's snapshot with the workshop code.
func (f *Fleet) fetchBoard(ctx context.Context, b *boardInfo) (boardState, error) {
	var snap struct {
		V        uint64 `json:"v"`
		Sections map[string]struct {
			Text string `json:"text"`
		} `json:"sections"`
	}
	u := b.ws.base.String() + "/api/boards/" + url.PathEscape(b.id) + "?key=" + url.QueryEscape(b.ws.code)
	if err := f.doJSON(ctx, http.MethodGet, u, nil, http.StatusOK, &snap); err != nil {
		return boardState{}, fmt.Errorf("board %s: %w", b.id, err)
	}
	var s boardState
	s.v = snap.V
	for i, sec := range board.Sections {
		s.texts[i] = snap.Sections[sec.Key].Text
	}
	return s, nil
}

// doJSON makes one API call and decodes its JSON answer.
func (f *Fleet) doJSON(ctx context.Context, method, u string, body []byte, want int, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := f.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 16<<20)) // a snapshot is at most a few MiB
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d: %.200s", method, req.URL.Path, res.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}
