package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/google/uuid"

	"github.com/tablee/tablee/board"
	"github.com/tablee/tablee/hub"
)

const (
	maxBody       = 64 << 10 // a create request is a title and a few names
	maxTitle      = 200      // UTF-16 units, as the board's title
	maxGroupName  = 80
	maxGroups     = 30 // a training room, not a conference
	createTimeout = 10 * time.Second
)

// apiError is the JSON error body of PROTOCOL.md.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var e apiError
	e.Error.Code, e.Error.Message = code, msg
	writeJSON(w, status, e)
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

type createReq struct {
	Title  *string   `json:"title"`
	Groups *[]string `json:"groups"`
	Dates  *Dates    `json:"dates"`
}

type groupOut struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Board string `json:"board"`
}

type createResp struct {
	workshopResp
	Code           string `json:"code"`
	FacilitatorKey string `json:"facilitatorKey"`
}

// workshopResp is what anyone with the code may read: never the key.
type workshopResp struct {
	ID      string     `json:"id"`
	Title   string     `json:"title"`
	Groups  []groupOut `json:"groups"`
	Control string     `json:"control"` // the control board: timer, "look here"
	Dates   Dates      `json:"dates"`
	Closed  bool       `json:"closed"`
}

func publicWorkshop(w *Workshop) workshopResp {
	return workshopResp{ID: w.ID, Title: w.Title, Groups: groupsOut(w), Control: w.Control, Dates: w.Dates, Closed: w.Closed}
}

func groupsOut(w *Workshop) []groupOut {
	out := make([]groupOut, len(w.Groups))
	for i, g := range w.Groups {
		out[i] = groupOut(g)
	}
	return out
}

// createWorkshop: POST /api/workshops.
func (s *Server) createWorkshop(w http.ResponseWriter, r *http.Request) {
	var req createReq
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, board.CodeTooLarge, "the request body is too large")
			return
		}
		writeError(w, http.StatusBadRequest, board.CodeBadJSON, "the body must be a JSON object {\"title\", \"groups\"}")
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, board.CodeBadJSON, "the body must hold one JSON object")
		return
	}
	if req.Title == nil || strings.TrimSpace(*req.Title) == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "a workshop needs a title")
		return
	}
	title := strings.TrimSpace(*req.Title)
	if utf16Len(title) > maxTitle {
		writeError(w, http.StatusBadRequest, board.CodeTooLarge, "the title is over 200 characters")
		return
	}
	if req.Groups == nil || len(*req.Groups) == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "a workshop needs at least one group")
		return
	}
	if len(*req.Groups) > maxGroups {
		writeError(w, http.StatusBadRequest, board.CodeTooMany, "a workshop has at most 30 groups")
		return
	}
	ws := &Workshop{ID: uuid.NewString(), Title: title, Created: time.Now().UTC(), Control: uuid.NewString()}
	if req.Dates != nil {
		if !validDates(*req.Dates) {
			writeError(w, http.StatusBadRequest, "bad_request", "dates are YYYY-MM-DD, the start not after the end")
			return
		}
		ws.Dates = *req.Dates
	}
	key := newKey()
	ws.KeyHash = hashKey(key)
	seen := map[string]bool{}
	for _, name := range *req.Groups {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			writeError(w, http.StatusBadRequest, "bad_request", "a group needs a name")
			return
		case utf16Len(name) > maxGroupName:
			writeError(w, http.StatusBadRequest, board.CodeTooLarge, "a group name is over 80 characters")
			return
		case seen[strings.ToLower(name)]:
			writeError(w, http.StatusBadRequest, "bad_request", "two groups have the same name")
			return
		}
		seen[strings.ToLower(name)] = true
		ws.Groups = append(ws.Groups, Group{ID: uuid.NewString(), Name: name, Board: uuid.NewString()})
	}
	ctx, cancel := context.WithTimeout(r.Context(), createTimeout)
	defer cancel()
	for _, g := range ws.Groups {
		if err := s.hub.CreateBoard(ctx, g.Board, ws.ID, g.ID); err != nil {
			s.log.Error("create board", "err", err)
			writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the workshop could not be stored; retry")
			return
		}
	}
	if err := s.hub.CreateControlBoard(ctx, ws.Control, ws.ID); err != nil {
		s.log.Error("create control board", "err", err)
		writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the workshop could not be stored; retry")
		return
	}
	// A fresh code collides with a live one about once in 10^8 creations;
	// try again rather than fail.
	var err error
	for try := 0; try < 5; try++ {
		ws.Code = newCode()
		if err = s.dir.Create(ctx, ws); !errors.Is(err, errCodeTaken) {
			break
		}
	}
	if err != nil {
		s.log.Error("create workshop", "err", err)
		writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the workshop could not be stored; retry")
		return
	}
	s.log.Info("workshop created", "workshop", ws.ID, "groups", len(ws.Groups))
	writeJSON(w, http.StatusCreated, createResp{workshopResp: publicWorkshop(ws), Code: ws.Code, FacilitatorKey: key})
}

// lookupCode finds a workshop by a typed code, within the failure limits.
// It answers the HTTP error itself and returns nil when there is none.
func (s *Server) lookupCode(w http.ResponseWriter, r *http.Request) *Workshop {
	ip := clientIP(r)
	if !s.fails.allowed(ip) {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusTooManyRequests, hub.CodeRateLimited, "too many wrong codes lately; wait a few seconds")
		return nil
	}
	code := normCode(r.PathValue("code"))
	if code == "" {
		s.fails.failed(ip)
		writeError(w, http.StatusNotFound, hub.CodeNotFound, "no workshop has this code")
		return nil
	}
	ws, err := s.dir.ByCode(r.Context(), code)
	if errors.Is(err, errNoWorkshop) {
		s.fails.failed(ip)
		writeError(w, http.StatusNotFound, hub.CodeNotFound, "no workshop has this code")
		return nil
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the service cannot answer now; retry")
		return nil
	}
	return ws
}

// getWorkshop: GET /api/workshops/{code}. Never the facilitator key.
func (s *Server) getWorkshop(w http.ResponseWriter, r *http.Request) {
	ws := s.lookupCode(w, r)
	if ws == nil {
		return
	}
	writeJSON(w, http.StatusOK, publicWorkshop(ws))
}

// workshopQR: GET /api/workshops/{code}/qr.svg — the participants' join link.
func (s *Server) workshopQR(w http.ResponseWriter, r *http.Request) {
	ws := s.lookupCode(w, r)
	if ws == nil {
		return
	}
	svg, err := qrSVG(s.baseURL(r) + "/j/" + ws.Code)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "the QR code could not be drawn")
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(svg)
}

// baseURL is the configured public URL, else what the browser used.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// getBoard: GET /api/boards/{board}?key=… — the durable snapshot.
func (s *Server) getBoard(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("board")
	key := requestKey(r)
	ctx := context.WithValue(r.Context(), ipKey{}, clientIP(r))
	if _, err := s.Authorize(ctx, id, key); err != nil {
		s.writeAuthError(w, err)
		return
	}
	snap, err := s.hub.Snapshot(r.Context(), id)
	if err != nil {
		if errors.Is(err, hub.ErrNoBoard) {
			writeError(w, http.StatusNotFound, hub.CodeNotFound, "no such board")
			return
		}
		s.log.Error("snapshot", "board", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, hub.CodeUnavailable, "the board cannot be read now; retry")
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

// ipKey carries the client address into Authorize for HTTP requests.
type ipKey struct{}

// Authorize implements hub.Authorizer: the facilitator key opens the
// workshop's boards as facilitator, the workshop code as participant.
func (s *Server) Authorize(ctx context.Context, boardID, key string) (board.Role, error) {
	ip, _ := ctx.Value(ipKey{}).(string)
	if ip == "" {
		ip = hub.RemoteAddr(ctx)
		if i := strings.LastIndexByte(ip, ':'); i > 0 {
			ip = strings.Trim(ip[:i], "[]")
		}
	}
	if !s.fails.allowed(ip) {
		return 0, &board.Error{Code: hub.CodeRateLimited, Message: "too many refused keys lately; wait a few seconds"}
	}
	ws, err := s.dir.ByBoard(ctx, boardID)
	if errors.Is(err, errNoWorkshop) {
		s.fails.failed(ip)
		return 0, &board.Error{Code: hub.CodeNotFound, Message: "no such board"}
	}
	if err != nil {
		return 0, &board.Error{Code: hub.CodeUnavailable, Message: "the service cannot answer now; retry"}
	}
	if key != "" && ws.isFacilitator(key) {
		return board.RoleFacilitator, nil
	}
	if c := normCode(key); c != "" && c == ws.Code {
		if ws.Closed {
			return board.RoleViewer, nil // the workshop is over: read-only
		}
		return board.RoleParticipant, nil
	}
	s.fails.failed(ip)
	return 0, &board.Error{Code: board.CodeForbidden, Message: "this key does not open this board"}
}

// healthz: GET /healthz, for load balancers and orchestrators.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
