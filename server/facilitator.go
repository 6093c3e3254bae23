package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tablee/tablee/board"
	"github.com/tablee/tablee/hub"
)

// The facilitator's actions on a workshop. Every one is checked here, on the
// server, against the facilitator key: hiding a button is not a right.

// requestKey is the key a request carries: "Authorization: Bearer …", or
// the key query parameter (for links that download a file).
func requestKey(r *http.Request) string {
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		return strings.TrimPrefix(a, "Bearer ")
	}
	return r.URL.Query().Get("key")
}

// facilitatorWorkshop finds the workshop of the URL's code and checks the
// facilitator key, answering the error itself (nil then).
func (s *Server) facilitatorWorkshop(w http.ResponseWriter, r *http.Request) *Workshop {
	ws := s.lookupCode(w, r)
	if ws == nil {
		return nil
	}
	if !ws.isFacilitator(requestKey(r)) {
		s.fails.failed(clientIP(r))
		writeError(w, http.StatusForbidden, board.CodeForbidden, "only the facilitator key can do this")
		return nil
	}
	return ws
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func validDates(d Dates) bool {
	for _, s := range []string{d.Start, d.End} {
		if s == "" {
			continue
		}
		if !dateRE.MatchString(s) {
			return false
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return false
		}
	}
	return d.Start == "" || d.End == "" || d.Start <= d.End
}

type patchReq struct {
	Title  *string `json:"title"`
	Dates  *Dates  `json:"dates"`
	Groups *[]struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"groups"`
}

// updateWorkshop: PATCH /api/workshops/{code} — title, dates, groups (add,
// rename, remove; a group whose board has been written on cannot be removed).
func (s *Server) updateWorkshop(w http.ResponseWriter, r *http.Request) {
	ws := s.facilitatorWorkshop(w, r)
	if ws == nil {
		return
	}
	var req patchReq
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, board.CodeBadJSON, "the body must be a JSON object {\"title\", \"dates\", \"groups\"}")
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, board.CodeBadJSON, "the body must hold one JSON object")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), createTimeout)
	defer cancel()
	next := *ws
	if req.Title != nil {
		title := strings.TrimSpace(*req.Title)
		if title == "" || utf16Len(title) > maxTitle {
			writeError(w, http.StatusBadRequest, "bad_request", "a title has 1 to 200 characters")
			return
		}
		next.Title = title
	}
	if req.Dates != nil {
		if !validDates(*req.Dates) {
			writeError(w, http.StatusBadRequest, "bad_request", "dates are YYYY-MM-DD, the start not after the end")
			return
		}
		next.Dates = *req.Dates
	}
	var added []Group
	if req.Groups != nil {
		if len(*req.Groups) == 0 || len(*req.Groups) > maxGroups {
			writeError(w, http.StatusBadRequest, "bad_request", "a workshop has 1 to 30 groups")
			return
		}
		old := map[string]Group{}
		for _, g := range ws.Groups {
			old[g.ID] = g
		}
		seen := map[string]bool{}
		next.Groups = nil
		for _, in := range *req.Groups {
			name := strings.TrimSpace(in.Name)
			if name == "" || utf16Len(name) > maxGroupName {
				writeError(w, http.StatusBadRequest, "bad_request", "a group name has 1 to 80 characters")
				return
			}
			if seen[strings.ToLower(name)] {
				writeError(w, http.StatusBadRequest, "bad_request", "two groups have the same name")
				return
			}
			seen[strings.ToLower(name)] = true
			if in.ID == "" {
				g := Group{ID: uuid.NewString(), Name: name, Board: uuid.NewString()}
				added = append(added, g)
				next.Groups = append(next.Groups, g)
				continue
			}
			g, ok := old[in.ID]
			if !ok {
				writeError(w, http.StatusBadRequest, "bad_request", "no group has the id "+quote(in.ID))
				return
			}
			delete(old, in.ID)
			g.Name = name
			next.Groups = append(next.Groups, g)
		}
		// What is left in old is removed: only while nobody wrote on it.
		for _, g := range old {
			v, _, err := s.broker.Head(ctx, g.Board)
			if err != nil && !errors.Is(err, hub.ErrNoBoard) {
				writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the service cannot answer now; retry")
				return
			}
			if v > 0 {
				writeError(w, http.StatusConflict, "in_use", "the group "+quote(g.Name)+" has started its fiche: it cannot be removed")
				return
			}
		}
		defer func() {
			for _, g := range old {
				s.hub.Evict(g.Board, hub.CloseDeleted, "this group was removed")
				s.hub.DeleteBoard(context.Background(), g.Board)
			}
		}()
	}
	for _, g := range added {
		if err := s.hub.CreateBoard(ctx, g.Board, ws.ID, g.ID); err != nil {
			writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the workshop could not be stored; retry")
			return
		}
	}
	if err := s.dir.Update(ctx, &next); err != nil {
		s.log.Error("update workshop", "err", err)
		writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the workshop could not be stored; retry")
		return
	}
	writeJSON(w, http.StatusOK, publicWorkshop(&next))
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// closeWorkshop: POST /api/workshops/{code}/close {"closed": true|false} —
// the workshop becomes read-only for participants (or open again). Every
// board gets meta closed, so connected participants are stopped at once,
// on every instance.
func (s *Server) closeWorkshop(w http.ResponseWriter, r *http.Request) {
	ws := s.facilitatorWorkshop(w, r)
	if ws == nil {
		return
	}
	var req struct {
		Closed *bool `json:"closed"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil || req.Closed == nil {
		writeError(w, http.StatusBadRequest, board.CodeBadJSON, `the body must be {"closed": true} or {"closed": false}`)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), createTimeout)
	defer cancel()
	next := *ws
	next.Closed = *req.Closed
	if err := s.dir.Update(ctx, &next); err != nil {
		writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the workshop could not be stored; retry")
		return
	}
	meta := board.Change{Kind: board.KindMeta, Props: board.Props{Set: board.PropClosed, Closed: *req.Closed}}
	for _, b := range ws.boards() {
		if err := s.hub.Submit(ctx, b, []board.Change{meta}); err != nil {
			s.log.Error("close: board", "board", b, "err", err)
			writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "not every board could be closed; retry")
			return
		}
	}
	writeJSON(w, http.StatusOK, publicWorkshop(&next))
}

// deleteWorkshop: DELETE /api/workshops/{code} — the workshop and all its
// data are gone; its followers are disconnected (close 4004).
func (s *Server) deleteWorkshop(w http.ResponseWriter, r *http.Request) {
	ws := s.facilitatorWorkshop(w, r)
	if ws == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), createTimeout)
	defer cancel()
	// The directory first: from now on no key opens these boards, and no
	// instance puts them back.
	if err := s.dir.Delete(ctx, ws); err != nil {
		writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the workshop could not be deleted; retry")
		return
	}
	for _, b := range ws.boards() {
		s.hub.Evict(b, hub.CloseDeleted, "this workshop was deleted")
		if err := s.hub.DeleteBoard(ctx, b); err != nil {
			s.log.Error("delete board", "board", b, "err", err)
		}
	}
	s.log.Info("workshop deleted", "workshop", ws.ID)
	w.WriteHeader(http.StatusNoContent)
}

// BoardExists tells rooms whether a board still belongs to a workshop (a
// deleted one must not be put back after Redis lost it).
func (s *Server) BoardExists(ctx context.Context, id string) (bool, error) {
	_, err := s.dir.ByBoard(ctx, id)
	if errors.Is(err, errNoWorkshop) {
		return false, nil
	}
	return err == nil, err
}
