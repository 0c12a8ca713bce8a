package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
)

// FuzzHandler sends the admin API any method, path, Content-Type and body
// from a loopback peer. Whatever comes in, the reply is JSON with one of
// the statuses of the code table, and a refusal carries a code, a message
// and a reason.
func FuzzHandler(f *testing.F) {
	for _, seed := range []struct{ method, path, ctype, body string }{
		{"GET", "/__admin/server", "", ""},
		{"POST", "/__admin/hotfixes/KB954960", "", ""},
		{"POST", "/__admin/updates/cc750251-d324-4187-8241-603a8445ad33/decline", "application/json", `{"group": "All Computers"}`},
		{"PUT", "/__admin/scenario", "application/json", `{"name": "sp2"}`},
		{"POST", "/__admin/faults", "application/json", `{"operation": "SyncUpdates", "nth": 2, "error_code": "ServerBusy", "latency": {"fixed_ms": 1}}`},
		{"POST", "/__admin/faults", "text/plain", `{"error_code": "ServerBusy"}`},
		{"GET", "/__admin/journal?since=x&fault=InternalServerError", "", ""},
		{"DELETE", "/__admin/faults/f1", "", ""},
		{"POST", "/__admin/reset", "application/json", `[1, 2`},
		{"PATCH", "/__admin/%zz", "application/json; charset=utf-8", "\x00\xff"},
	} {
		f.Add(seed.method, seed.path, seed.ctype, seed.body)
	}
	w, err := scenarios.BuiltinWorld(scenarios.DefaultScenario)
	if err != nil {
		f.Fatal(err)
	}
	srv, err := soapserver.New(w, soapserver.Config{})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	h := admin.NewHandler(admin.NewController(srv, nil), admin.Access{})
	known := map[int]bool{http.StatusOK: true, http.StatusCreated: true}
	for _, c := range []admin.Code{admin.NotFound, admin.Conflict, admin.Invalid, admin.TooLarge, admin.NotAllowed,
		admin.UnsupportedMediaType, admin.Unauthorized, admin.Forbidden, admin.Internal} {
		known[c.HTTPStatus()] = true
	}

	f.Fuzz(func(t *testing.T, method, path, ctype, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(method, " \t\r\n") || method == "" || method == "GET" && path == "/__admin/events" {
			t.Skip() // not a request line net/http would accept; the stream never ends
		}
		req, err := http.NewRequest(method, "http://127.0.0.1:8530"+path, strings.NewReader(body))
		if err != nil || strings.HasPrefix(req.URL.Path, "/__admin/events") {
			t.Skip()
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.RemoteAddr = "127.0.0.1:50000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK && strings.HasPrefix(req.URL.Path, admin.Prefix+"/ui") {
			return // a file of the dashboard page, not a JSON reply
		}
		if !known[rec.Code] {
			t.Fatalf("%s %s: status %d is not in the code table", method, path, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %s: Content-Type %q", method, path, ct)
		}
		if method == http.MethodHead {
			return
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: reply is not JSON: %q", method, path, rec.Body.String())
		}
		if rec.Code >= 300 {
			var e admin.Error
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" || e.Reason == "" {
				t.Fatalf("%s %s: refusal %q lacks code, error or reason", method, path, rec.Body.String())
			}
		}
	})
}
