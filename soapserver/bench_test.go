package soapserver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wusp"
)

// The hot operations, measured through ServeHTTP with the request bytes a
// client sends. Figures are in the README ("Performance"); run with
//
//	go test ./soapserver -run '^$' -bench . -benchmem

// discard is a ResponseWriter that keeps nothing, so the benchmarks measure
// the server rather than a recorder's buffer.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func benchRequest(b *testing.B, s *Server, op wusp.Operation, body []byte) {
	b.Helper()
	path := "/ClientWebService/client.asmx"
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.RunParallel(func(pb *testing.PB) {
		w := &discard{h: http.Header{}}
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "http://wsus01:8530"+path, bytes.NewReader(body))
			req.Header["Soapaction"] = []string{op.QuotedSOAPAction()}
			clear(w.h)
			s.ServeHTTP(w, req)
		}
	})
}

func BenchmarkGetConfig(b *testing.B) {
	s := newTestServer(b, scenarios.DefaultScenario, Config{})
	benchRequest(b, s, wusp.OpGetConfig, wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}))
}

// officeClientAtRound3 returns the cookie and parameters of an Office 2003
// client about to make the SyncUpdates call that brings 8862 into scope.
func officeClientAtRound3(b *testing.B, s *Server) *wusp.SyncUpdatesRequest {
	b.Helper()
	var auth wusp.GetAuthorizationCookieResponse
	mustDecode(b, soapCall(s, wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", DNSName: "xp01"}), wusp.OpGetAuthorizationCookie, &auth)
	var cookie wusp.GetCookieResponse
	mustDecode(b, soapCall(s, wusp.OpGetCookie, &wusp.GetCookieRequest{AuthCookies: []wusp.AuthorizationCookie{auth.Result}, LastChange: s.World().LastChange(), CurrentTime: fixedNow, ProtocolVersion: "1.0"}), wusp.OpGetCookie, &cookie)
	req := &wusp.SyncUpdatesRequest{Cookie: cookie.Result}
	for round := 1; round <= 2; round++ {
		var sync wusp.SyncUpdatesResponse
		mustDecode(b, soapCall(s, wusp.OpSyncUpdates, req), wusp.OpSyncUpdates, &sync)
		for _, u := range sync.Result.NewUpdates {
			req.Parameters.InstalledNonLeafUpdateIDs = append(req.Parameters.InstalledNonLeafUpdateIDs, u.ID)
		}
		req.Cookie = sync.Result.NewCookie
	}
	return req
}

func mustDecode(b *testing.B, rec *httptest.ResponseRecorder, op wusp.Operation, msg wusp.Message) {
	b.Helper()
	if err := wusp.ParseResponse(rec.Body.Bytes(), op, msg); err != nil {
		b.Fatalf("%s: %v", op.Name, err)
	}
}

// BenchmarkSyncUpdatesFault is the KB954960 failure: an Office 2003 client's
// third SyncUpdates on the default scenario.
// BenchmarkSyncUpdatesFaultMetrics (metrics_bench_test.go) is the same
// with Prometheus counting every exchange.
func BenchmarkSyncUpdatesFault(b *testing.B) { benchSyncUpdatesFault(b, Config{}) }

func benchSyncUpdatesFault(b *testing.B, cfg Config) {
	s := newTestServer(b, scenarios.DefaultScenario, cfg)
	req := officeClientAtRound3(b, s)
	body := wusp.MarshalRequest(wusp.OpSyncUpdates, req)
	if rec := soapCall(s, wusp.OpSyncUpdates, req); !bytes.Contains(rec.Body.Bytes(), []byte("InternalServerError")) {
		b.Fatalf("not the KB954960 fault: %s", rec.Body.Bytes())
	}
	benchRequest(b, s, wusp.OpSyncUpdates, body)
}

// BenchmarkSyncUpdatesOffer is the same call on a fixed build: seven
// updates offered, with their Core XML.
func BenchmarkSyncUpdatesOffer(b *testing.B) {
	s := newTestServer(b, "sp1-kb954960", Config{})
	req := officeClientAtRound3(b, s)
	benchRequest(b, s, wusp.OpSyncUpdates, wusp.MarshalRequest(wusp.OpSyncUpdates, req))
}
