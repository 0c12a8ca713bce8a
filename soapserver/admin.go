package soapserver

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
)

// adminPrefix is where the admin API lives, on the SOAP listener. No WSUS
// path starts with it.
const adminPrefix = "/__admin"

// maxAdminBody bounds an admin request body.
const maxAdminBody = 64 << 10

// serveAdmin answers the admin API: JSON in, JSON out, every error as
// {"error": …, "reason": …}.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if err := s.adminAccess(r); err != nil {
		if err.Status == http.StatusUnauthorized {
			h.Set("WWW-Authenticate", `Bearer realm="wsusmock admin"`)
		}
		writeAdminError(w, err)
		return
	}
	s.admin.ServeHTTP(w, r)
}

// adminAccess decides who may control the server. Without a token, only
// loopback peers may: the admin API changes what every client is served,
// and a mock on a shared network should not be steered by its neighbours.
// With a token, every caller must present it, loopback included, so a
// token means the same thing behind a local reverse proxy (which makes
// every peer look local).
func (s *Server) adminAccess(r *http.Request) *ControlError {
	if token := s.cfg.AdminToken; token != "" {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1 {
			return nil
		}
		return &ControlError{Status: http.StatusUnauthorized, Message: "admin token required",
			Reason: `this server was started with an admin token; send it as "Authorization: Bearer <token>"`}
	}
	if isLoopback(r.RemoteAddr) {
		return nil
	}
	return &ControlError{Status: http.StatusForbidden, Message: "admin API refused to " + r.RemoteAddr,
		Reason: "without --admin-token the admin API answers loopback callers only; start the server with --admin-token and send it as a bearer token"}
}

func isLoopback(remoteAddr string) bool {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		host, _, err := net.SplitHostPort(remoteAddr)
		if err != nil {
			return false
		}
		a, err := netip.ParseAddr(host)
		return err == nil && a.Unmap().IsLoopback()
	}
	return ap.Addr().Unmap().IsLoopback()
}

// adminHandler is one admin route; a returned *ControlError becomes the
// JSON error reply, any other error a 500.
type adminHandler func(w http.ResponseWriter, r *http.Request) error

func (h adminHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		var ce *ControlError
		if !errors.As(err, &ce) {
			ce = &ControlError{Status: http.StatusInternalServerError, Message: "internal error", Reason: err.Error()}
		}
		writeAdminError(w, ce)
	}
}

// adminMux routes the admin API. Patterns carry no method, so that a wrong
// method gets a JSON 405 from allow rather than the mux's plain text.
func (s *Server) adminMux() *http.ServeMux {
	m := http.NewServeMux()
	m.Handle(adminPrefix+"/server", adminHandler(s.adminServer))
	m.Handle(adminPrefix+"/hotfixes/{kb}", adminHandler(s.adminHotfix))
	m.Handle(adminPrefix+"/updates", adminHandler(s.adminUpdates))
	m.Handle(adminPrefix+"/updates/{id}/{action}", adminHandler(s.adminApproval))
	m.Handle(adminPrefix+"/scenario", adminHandler(s.adminScenario))
	m.Handle(adminPrefix+"/reset", adminHandler(s.adminReset))
	m.Handle(adminPrefix+"/faults", adminHandler(s.adminFaults))
	m.Handle(adminPrefix+"/faults/{id}", adminHandler(s.adminFault))
	m.Handle(adminPrefix+"/journal", adminHandler(s.adminJournal))
	m.Handle(adminPrefix+"/events", adminHandler(s.adminEvents))
	m.Handle("/", adminHandler(func(w http.ResponseWriter, r *http.Request) error {
		return &ControlError{Status: http.StatusNotFound, Message: "no admin resource at " + r.URL.Path,
			Reason: "resources: server, hotfixes/{kb}, updates, updates/{id}/approve, updates/{id}/decline, scenario, reset, faults, faults/{id}, journal, events"}
	}))
	return m
}

// allow refuses a method the resource does not have.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) error {
	for _, m := range methods {
		if r.Method == m || m == http.MethodGet && r.Method == http.MethodHead {
			return nil
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	return &ControlError{Status: http.StatusMethodNotAllowed, Message: r.Method + " is not allowed on " + r.URL.Path,
		Reason: "allowed: " + strings.Join(methods, ", ")}
}

func (s *Server) adminServer(w http.ResponseWriter, r *http.Request) error {
	if err := allow(w, r, http.MethodGet); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.Info())
}

// HotfixResult is the reply to installing a hotfix.
type HotfixResult struct {
	Hotfix  string     `json:"hotfix"`
	Changed bool       `json:"changed"` // false: it was already installed
	Server  ServerInfo `json:"server"`
}

func (s *Server) adminHotfix(w http.ResponseWriter, r *http.Request) error {
	kb := r.PathValue("kb")
	switch r.Method {
	case http.MethodPost:
		changed, err := s.InstallHotfix(kb)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, HotfixResult{Hotfix: scenarios.HotfixKB954960, Changed: changed, Server: s.Info()})
	case http.MethodDelete:
		err := s.RemoveHotfix(kb)
		var ce *ControlError
		if errors.As(err, &ce) && ce.Status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		return err
	}
	return allow(w, r, http.MethodPost, http.MethodDelete)
}

func (s *Server) adminUpdates(w http.ResponseWriter, r *http.Request) error {
	if err := allow(w, r, http.MethodGet); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		Updates []CatalogUpdate `json:"updates"`
	}{s.Updates()})
}

// ApprovalRequest is the optional body of approve and decline.
type ApprovalRequest struct {
	Group string `json:"group"` // empty means All Computers
}

func (s *Server) adminApproval(w http.ResponseWriter, r *http.Request) error {
	change := s.Approve
	switch r.PathValue("action") {
	case "approve":
	case "decline":
		change = s.Decline
	default:
		return &ControlError{Status: http.StatusNotFound, Message: "no admin resource at " + r.URL.Path,
			Reason: "an update has two actions: approve and decline"}
	}
	if err := allow(w, r, http.MethodPost); err != nil {
		return err
	}
	var req ApprovalRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if req.Group == "" {
		req.Group = scenarios.AllComputers
	}
	u, err := change(r.PathValue("id"), req.Group)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		Action string        `json:"action"`
		Group  string        `json:"group"`
		Update CatalogUpdate `json:"update"`
	}{r.PathValue("action"), req.Group, u})
}

// ScenarioRequest is the body of PUT /__admin/scenario.
type ScenarioRequest struct {
	Name string `json:"name"`
}

func (s *Server) adminScenario(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		sc := s.World().Scenario()
		var builtin []string
		for _, b := range scenarios.Builtins() {
			builtin = append(builtin, b.Name)
		}
		return writeJSON(w, http.StatusOK, struct {
			Name        string   `json:"name"`
			Description string   `json:"description"`
			Builtin     []string `json:"builtin"`
		}{sc.Name, sc.Description, builtin})
	case http.MethodPut:
		var req ScenarioRequest
		if err := decodeJSON(r, &req, false); err != nil {
			return err
		}
		if req.Name == "" {
			return &ControlError{Status: http.StatusBadRequest, Message: "bad request body", Reason: "name: missing", Field: "name"}
		}
		if err := s.SelectScenario(req.Name); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, s.Info())
	}
	return allow(w, r, http.MethodGet, http.MethodPut)
}

func (s *Server) adminReset(w http.ResponseWriter, r *http.Request) error {
	if err := allow(w, r, http.MethodPost); err != nil {
		return err
	}
	s.Reset()
	return writeJSON(w, http.StatusOK, s.Info())
}

func (s *Server) adminFaults(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return writeJSON(w, http.StatusOK, struct {
			Faults []FaultRule `json:"faults"`
		}{s.Faults()})
	case http.MethodPost:
		var fr FaultRule
		if err := decodeJSON(r, &fr, false); err != nil {
			return err
		}
		added, err := s.AddFault(fr)
		var re *RuleError
		if errors.As(err, &re) {
			return &ControlError{Status: http.StatusBadRequest, Message: "invalid fault rule", Reason: re.Field + ": " + re.Reason, Field: re.Field}
		}
		if err != nil {
			return err
		}
		w.Header().Set("Location", adminPrefix+"/faults/"+added.ID)
		return writeJSON(w, http.StatusCreated, added)
	case http.MethodDelete:
		n := len(s.Faults())
		s.ClearFaults()
		return writeJSON(w, http.StatusOK, struct {
			Removed int `json:"removed"`
		}{n})
	}
	return allow(w, r, http.MethodGet, http.MethodPost, http.MethodDelete)
}

func (s *Server) adminFault(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		for _, fr := range s.Faults() {
			if fr.ID == id {
				return writeJSON(w, http.StatusOK, fr)
			}
		}
	case http.MethodDelete:
		if s.RemoveFault(id) {
			return writeJSON(w, http.StatusOK, struct {
				Removed int `json:"removed"`
			}{1})
		}
	default:
		return allow(w, r, http.MethodGet, http.MethodDelete)
	}
	return &ControlError{Status: http.StatusNotFound, Message: "no fault rule " + id, Reason: "GET /__admin/faults lists the rules"}
}

func (s *Server) adminJournal(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		f := JournalFilter{Operation: q.Get("operation"), ClientID: q.Get("client"), Fault: q.Get("fault")}
		if v := q.Get("since"); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return &ControlError{Status: http.StatusBadRequest, Message: "bad query", Reason: "since: " + strconv.Quote(v) + " is not a sequence number", Field: "since"}
			}
			f.Since = n
		}
		return writeJSON(w, http.StatusOK, s.Journal(f))
	case http.MethodDelete:
		s.ClearJournal()
		return writeJSON(w, http.StatusOK, struct {
			Cleared bool `json:"cleared"`
		}{true})
	}
	return allow(w, r, http.MethodGet, http.MethodDelete)
}

// adminEvents streams exchanges as newline-delimited JSON, one object per
// line, flushed per line, until the client leaves or the server closes. A
// subscriber that falls more than ?buffer= (default DefaultEventBuffer)
// exchanges behind loses them and reads {"dropped": n} once it catches up.
func (s *Server) adminEvents(w http.ResponseWriter, r *http.Request) error {
	if err := allow(w, r, http.MethodGet); err != nil {
		return err
	}
	buffer := 0
	if v := r.URL.Query().Get("buffer"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEventBuffer {
			return &ControlError{Status: http.StatusBadRequest, Message: "bad query",
				Reason: fmt.Sprintf("buffer: %q is not in 1..%d", v, maxEventBuffer), Field: "buffer"}
		}
		buffer = n
	}
	sub := s.Subscribe(buffer)
	defer sub.Close()
	rc := http.NewResponseController(w)
	// A stream outlives the server's read and write timeouts.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil
	}
	enc := json.NewEncoder(w)
	for {
		ev, err := sub.Next(r.Context())
		if err != nil {
			return nil
		}
		if ev.Entry != nil {
			err = enc.Encode(ev.Entry)
		} else {
			err = enc.Encode(struct {
				Dropped uint64 `json:"dropped"`
			}{ev.Dropped})
		}
		if err != nil || rc.Flush() != nil {
			return nil
		}
	}
}

// decodeJSON reads one JSON object into v, refusing unknown fields; an
// empty body is accepted when optional.
func decodeJSON(r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err != nil {
		return &ControlError{Status: http.StatusBadRequest, Message: "bad request body", Reason: err.Error()}
	}
	if len(body) > maxAdminBody {
		return &ControlError{Status: http.StatusRequestEntityTooLarge, Message: "bad request body",
			Reason: fmt.Sprintf("larger than %d bytes", maxAdminBody)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return &ControlError{Status: http.StatusBadRequest, Message: "bad request body", Reason: "empty; a JSON object is expected"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &ControlError{Status: http.StatusBadRequest, Message: "bad request body", Reason: jsonProblem(err, body)}
	}
	if dec.More() {
		return &ControlError{Status: http.StatusBadRequest, Message: "bad request body", Reason: "more than one JSON value"}
	}
	return nil
}

// jsonProblem words a decoding error for a person: where, and what.
func jsonProblem(err error, body []byte) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s: want a JSON value for Go type %s, got %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("JSON ends early after %d bytes", len(body))
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

// adminErrorBody is the JSON shape of every admin error.
type adminErrorBody struct {
	Error  string `json:"error"`
	Reason string `json:"reason"`
	Field  string `json:"field,omitempty"`
}

func writeAdminError(w http.ResponseWriter, e *ControlError) {
	_ = writeJSON(w, e.Status, adminErrorBody{Error: e.Message, Reason: e.Reason, Field: e.Field})
}
