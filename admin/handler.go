package admin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/soapserver"
)

// Prefix is where the admin API lives, on the SOAP listener. No WSUS path
// starts with it.
const Prefix = "/__admin"

// maxBody bounds an admin request body.
const maxBody = 64 << 10

// maxUnflushed is how many exchanges of a burst an NDJSON stream writes
// before it flushes anyway; a Server-Sent Events stream writes what has
// gathered, at most its buffer.
const maxUnflushed = 64

// streamBuffer is the size of the writes of the event stream.
const streamBuffer = 32 << 10

// streamWriteTimeout bounds each write of the event stream: a reader that
// stops reading is disconnected instead of holding the stream for ever.
const streamWriteTimeout = 10 * time.Second

// Handler answers the admin API under Prefix: JSON in, JSON out, every
// refusal as an Error ({"code", "error", "reason", "field", "rule"}). It
// decides who may call (see Access) before it routes.
type Handler struct {
	api    API
	access Access
	mux    *http.ServeMux
}

// NewHandler serves api under Prefix with the access rules.
func NewHandler(api API, access Access) *Handler {
	h := &Handler{api: api, access: access}
	h.mux = h.routes()
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	err := h.access.check(r)
	if r.URL.Path == Prefix+"/ui" || strings.HasPrefix(r.URL.Path, UIPath) {
		// The page holds no data: a browser may load it from anywhere the
		// Host is this server's, and it sends the token with each call.
		if err == nil || err.Rule == RuleToken || err.Rule == RuleLoopback {
			serveUI(w, r)
			return
		}
	}
	if err != nil {
		if err.Code == Unauthorized {
			hd.Set("WWW-Authenticate", `Bearer realm="wsusmock admin"`)
		}
		writeError(w, err)
		return
	}
	// ServeMux would answer a path that is not in its canonical form
	// ("//x", "/a/../b") with a redirect, not JSON: such a path names no
	// route.
	if p := r.URL.Path; !canonicalPath(p) {
		writeError(w, refuse(NotFound, "no such admin route", "the path "+strconv.Quote(p)+" is not in its canonical form"))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// canonicalPath says whether ServeMux would serve p as it is: cleaned, a
// trailing slash kept.
func canonicalPath(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// route is one admin route; a returned *Error becomes the JSON error reply,
// any other error a 500.
type route func(w http.ResponseWriter, r *http.Request) error

func (f route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = refuse(Internal, "internal error", err.Error())
		}
		writeError(w, e)
	}
}

// routes maps the admin API. Patterns carry no method, so that a wrong
// method gets a JSON 405 from allow rather than the mux's plain text.
func (h *Handler) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.Handle(Prefix+"/server", route(h.server))
	m.Handle(Prefix+"/hotfixes/{kb}", route(h.hotfix))
	m.Handle(Prefix+"/updates", route(h.updates))
	m.Handle(Prefix+"/updates/{id}/{action}", route(h.approval))
	m.Handle(Prefix+"/scenario", route(h.scenario))
	m.Handle(Prefix+"/reset", route(h.reset))
	m.Handle(Prefix+"/faults", route(h.faults))
	m.Handle(Prefix+"/faults/{id}", route(h.fault))
	m.Handle(Prefix+"/journal", route(h.journal))
	m.Handle(Prefix+"/events", route(h.events))
	m.Handle(Prefix+"/clients/run", route(h.runClient))
	m.Handle(Prefix+"/serverlog", route(h.serverLog))
	m.Handle(Prefix+"/profiles", route(func(w http.ResponseWriter, r *http.Request) error {
		if err := allow(w, r, http.MethodGet); err != nil {
			return err
		}
		return reply(h.api.Profiles(r.Context()))(w, http.StatusOK)
	}))
	m.Handle("/", route(func(w http.ResponseWriter, r *http.Request) error {
		return refuse(NotFound, "no admin resource at "+r.URL.Path,
			"resources: server, hotfixes/{kb}, updates, updates/{id}/approve, updates/{id}/decline, scenario, reset, faults, faults/{id}, journal, events, clients/run, profiles, serverlog; the dashboard is at "+UIPath)
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
	return refuse(NotAllowed, r.Method+" is not allowed on "+r.URL.Path, "allowed: "+strings.Join(methods, ", "))
}

func (h *Handler) server(w http.ResponseWriter, r *http.Request) error {
	if err := allow(w, r, http.MethodGet); err != nil {
		return err
	}
	return reply(h.api.Info(r.Context()))(w, http.StatusOK)
}

func (h *Handler) hotfix(w http.ResponseWriter, r *http.Request) error {
	kb := r.PathValue("kb")
	switch r.Method {
	case http.MethodPost:
		return reply(h.api.InstallHotfix(r.Context(), kb))(w, http.StatusOK)
	case http.MethodDelete:
		err := h.api.RemoveHotfix(r.Context(), kb)
		var e *Error
		if errors.As(err, &e) && e.Code == NotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		return err
	}
	return allow(w, r, http.MethodPost, http.MethodDelete)
}

func (h *Handler) updates(w http.ResponseWriter, r *http.Request) error {
	if err := allow(w, r, http.MethodGet); err != nil {
		return err
	}
	us, err := h.api.Updates(r.Context())
	return reply(UpdateList{Updates: us}, err)(w, http.StatusOK)
}

func (h *Handler) approval(w http.ResponseWriter, r *http.Request) error {
	change := h.api.Approve
	switch r.PathValue("action") {
	case "approve":
	case "decline":
		change = h.api.Decline
	default:
		return refuse(NotFound, "no admin resource at "+r.URL.Path, "an update has two actions: approve and decline")
	}
	if err := allow(w, r, http.MethodPost); err != nil {
		return err
	}
	var req ApprovalRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	return reply(change(r.Context(), r.PathValue("id"), req.Group))(w, http.StatusOK)
}

func (h *Handler) scenario(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return reply(h.api.Scenario(r.Context()))(w, http.StatusOK)
	case http.MethodPut:
		var req ScenarioRequest
		if err := decodeJSON(r, &req, false); err != nil {
			return err
		}
		return reply(h.api.SelectScenario(r.Context(), req.Name))(w, http.StatusOK)
	}
	return allow(w, r, http.MethodGet, http.MethodPut)
}

func (h *Handler) reset(w http.ResponseWriter, r *http.Request) error {
	if err := allow(w, r, http.MethodPost); err != nil {
		return err
	}
	return reply(h.api.Reset(r.Context()))(w, http.StatusOK)
}

func (h *Handler) faults(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		fs, err := h.api.Faults(r.Context())
		return reply(FaultList{Faults: fs}, err)(w, http.StatusOK)
	case http.MethodPost:
		var fr soapserver.FaultRule
		if err := decodeJSON(r, &fr, false); err != nil {
			return err
		}
		added, err := h.api.AddFault(r.Context(), fr)
		if err != nil {
			return err
		}
		w.Header().Set("Location", Prefix+"/faults/"+added.ID)
		return writeJSON(w, http.StatusCreated, added)
	case http.MethodDelete:
		n, err := h.api.ClearFaults(r.Context())
		return reply(Removed{Removed: n}, err)(w, http.StatusOK)
	}
	return allow(w, r, http.MethodGet, http.MethodPost, http.MethodDelete)
}

func (h *Handler) fault(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return reply(h.api.Fault(r.Context(), id))(w, http.StatusOK)
	case http.MethodDelete:
		return reply(Removed{Removed: 1}, h.api.RemoveFault(r.Context(), id))(w, http.StatusOK)
	}
	return allow(w, r, http.MethodGet, http.MethodDelete)
}

func (h *Handler) journal(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		f, err := journalFilter(r)
		if err != nil {
			return err
		}
		return reply(h.api.Journal(r.Context(), f))(w, http.StatusOK)
	case http.MethodDelete:
		return reply(Cleared{Cleared: true}, h.api.ClearJournal(r.Context()))(w, http.StatusOK)
	}
	return allow(w, r, http.MethodGet, http.MethodDelete)
}

// journalFilter reads ?operation=&client=&fault=&since=.
func journalFilter(r *http.Request) (soapserver.JournalFilter, error) {
	q := r.URL.Query()
	f := soapserver.JournalFilter{Operation: q.Get("operation"), ClientID: q.Get("client"), Fault: q.Get("fault")}
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return f, &Error{Code: Invalid, Message: "bad query", Reason: "since: " + strconv.Quote(v) + " is not a sequence number", Field: "since"}
		}
		f.Since = n
	}
	return f, nil
}

// events streams exchanges as newline-delimited JSON, one object per line,
// each flushed as soon as it is recorded (a burst in one flush), until the
// client leaves or the server closes. A subscriber that falls more than
// ?buffer= (default soapserver.DefaultEventBuffer) exchanges behind loses
// them and reads {"dropped": n} once it catches up.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) error {
	if err := allow(w, r, http.MethodGet); err != nil {
		return err
	}
	buffer := 0
	if v := r.URL.Query().Get("buffer"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return &Error{Code: Invalid, Message: "bad query", Field: "buffer",
				Reason: fmt.Sprintf("buffer: %q is not in 1..%d", v, soapserver.MaxEventBuffer)}
		}
		buffer = n
	}
	// A browser asks for Server-Sent Events: the same objects, each as
	// the data of one event, sent in batches.
	sse := strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	if sse && buffer == 0 {
		buffer = soapserver.BatchBuffer
	}
	sub, err := h.api.Events(r.Context(), buffer)
	if err != nil {
		return err
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	// A stream outlives the server's read timeout; each batch gets its own
	// write deadline, so a reader that stops reading is cut off.
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "application/x-ndjson")
	if sse {
		w.Header().Set("Content-Type", "text/event-stream")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	w.WriteHeader(http.StatusOK)
	if sse {
		if _, err := io.WriteString(w, ": wsusmock exchanges\n\n"); err != nil {
			return nil
		}
	}
	if rc.Flush() != nil {
		return nil
	}
	// Under load, a burst of exchanges goes out in one flush rather than
	// one per exchange, and a page's stream gathers
	// exchanges for soapserver.BatchInterval between batches: the stream
	// costs the server less than the exchanges it reports.
	most, interval := maxUnflushed, time.Duration(0)
	if sse {
		most, interval = 0, soapserver.BatchInterval
	}
	var batch []soapserver.Event
	var line []byte
	// A batch goes out in writes of streamBuffer bytes, then one flush.
	out := bufio.NewWriterSize(w, streamBuffer)
	for {
		batch, err = sub.Batch(r.Context(), batch[:0], most, interval)
		if err != nil {
			return nil
		}
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		for _, ev := range batch {
			event := "exchange"
			if ev.Entry != nil {
				line, err = ev.Entry.AppendJSON(line[:0])
			} else {
				event = "dropped"
				line, err = json.Marshal(Dropped{Dropped: ev.Dropped})
			}
			if err != nil {
				return nil
			}
			if sse {
				// The JSON is one line, so it is one data field.
				out.WriteString("event: ")
				out.WriteString(event)
				out.WriteString("\ndata: ")
			}
			out.Write(line)
			out.WriteByte('\n')
			if sse {
				out.WriteByte('\n')
			}
		}
		if out.Flush() != nil || rc.Flush() != nil {
			return nil
		}
	}
}

func (h *Handler) runClient(w http.ResponseWriter, r *http.Request) error {
	if err := allow(w, r, http.MethodPost); err != nil {
		return err
	}
	var req ClientRunRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return err
	}
	return reply(h.api.RunClient(r.Context(), req))(w, http.StatusOK)
}

func (h *Handler) serverLog(w http.ResponseWriter, r *http.Request) error {
	if err := allow(w, r, http.MethodGet); err != nil {
		return err
	}
	var since uint64
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return &Error{Code: Invalid, Message: "bad query", Reason: "since: " + strconv.Quote(v) + " is not a line number", Field: "since"}
		}
		since = n
	}
	return reply(h.api.ServerLog(r.Context(), since))(w, http.StatusOK)
}

// decodeJSON reads one JSON object into v, refusing unknown fields; an
// empty body is accepted when optional.
func decodeJSON(r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return refuse(Invalid, "bad request body", err.Error())
	}
	if len(body) > maxBody {
		return refuse(TooLarge, "bad request body", fmt.Sprintf("larger than %d bytes", maxBody))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return refuse(Invalid, "bad request body", "empty; a JSON object is expected")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return refuse(Invalid, "bad request body", jsonProblem(err, body))
	}
	if dec.More() {
		return refuse(Invalid, "bad request body", "more than one JSON value")
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

// reply turns a control method's result into a writer of the JSON reply, or
// of its error.
func reply[T any](v T, err error) func(w http.ResponseWriter, status int) error {
	return func(w http.ResponseWriter, status int) error {
		if err != nil {
			return err
		}
		return writeJSON(w, status, v)
	}
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

func writeError(w http.ResponseWriter, e *Error) {
	_ = writeJSON(w, e.Code.HTTPStatus(), e)
}
