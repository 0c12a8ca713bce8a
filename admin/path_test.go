package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
)

// A path that is not in its canonical form names no route: it gets the
// admin API's JSON 404, not the redirect net/http's ServeMux would send.
func TestUncleanPathIsNotFound(t *testing.T) {
	w, err := scenarios.BuiltinWorld(scenarios.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := soapserver.New(w, soapserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	h := admin.NewHandler(admin.NewController(srv, nil), admin.Access{})
	for _, p := range []string{"//K", "/__admin//server", "/__admin/x/../server"} {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8530/", nil)
		req.URL.Path = p
		req.RemoteAddr = "127.0.0.1:50000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var e admin.Error
		if rec.Code != http.StatusNotFound || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Code != admin.NotFound {
			t.Errorf("%s: %d %q, want a JSON not_found", p, rec.Code, rec.Body.String())
		}
	}
}
