package soapserver

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wusp"
)

// Golden files hold the exact bytes the server writes, with the two values
// that differ on every run — fault IDs and sealed cookie data — masked.
// Regenerate them with: go test ./soapserver -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixedNow is the clock of the golden runs: the morning of the advisory's
// server log.
var fixedNow = time.Date(2008, 6, 14, 2, 59, 57, 642e6, time.UTC)

var (
	maskGUID   = regexp.MustCompile(`<ID>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}</ID>`)
	maskSealed = regexp.MustCompile(`<(EncryptedData|CookieData)>[A-Za-z0-9+/=]+</`)
)

func mask(b []byte) []byte {
	b = maskGUID.ReplaceAll(b, []byte("<ID>GUID</ID>"))
	return maskSealed.ReplaceAll(b, []byte("<$1>SEALED</"))
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".xml")
	got = mask(got)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s\n got: %s\nwant: %s", name, path, got, want)
	}
}

func newTestServer(t testing.TB, scenario string, cfg Config) *Server {
	t.Helper()
	w, err := scenarios.BuiltinWorld(scenario)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	if cfg.CookieKey == nil {
		cfg.CookieKey = []byte("golden")
	}
	s, err := New(w, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// soapCall runs one request through the handler as WUA would send it.
func soapCall(s *Server, op wusp.Operation, msg wusp.Message) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://wsus01:8530"+op.Service.Path(), bytes.NewReader(wusp.MarshalRequest(op, msg)))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", op.QuotedSOAPAction())
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func decode(t *testing.T, rec *httptest.ResponseRecorder, op wusp.Operation, msg wusp.Message) {
	t.Helper()
	if err := wusp.ParseResponse(rec.Body.Bytes(), op, msg); err != nil {
		t.Fatalf("%s: %v\n%s", op.Name, err, rec.Body.Bytes())
	}
}

// TestGoldenResponses walks the whole handshake of an Office 2003 client on
// the default scenario and pins every reply, the KB954960 fault included.
func TestGoldenResponses(t *testing.T) {
	s := newTestServer(t, scenarios.DefaultScenario, Config{})

	rec := soapCall(s, wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"})
	checkGolden(t, "GetConfig", rec.Body.Bytes())
	var config wusp.GetConfigResponse
	decode(t, rec, wusp.OpGetConfig, &config)

	rec = soapCall(s, wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", DNSName: "xp01.example.test"})
	checkGolden(t, "GetAuthorizationCookie", rec.Body.Bytes())
	var auth wusp.GetAuthorizationCookieResponse
	decode(t, rec, wusp.OpGetAuthorizationCookie, &auth)

	rec = soapCall(s, wusp.OpGetCookie, &wusp.GetCookieRequest{AuthCookies: []wusp.AuthorizationCookie{auth.Result}, LastChange: config.Result.LastChange, CurrentTime: fixedNow, ProtocolVersion: "1.0"})
	checkGolden(t, "GetCookie", rec.Body.Bytes())
	var cookie wusp.GetCookieResponse
	decode(t, rec, wusp.OpGetCookie, &cookie)
	c := cookie.Result

	rec = soapCall(s, wusp.OpRegisterComputer, &wusp.RegisterComputerRequest{Cookie: c, ComputerInfo: wusp.ComputerInfo{DNSName: "xp01.example.test", OSMajorVersion: 5, OSMinorVersion: 1}})
	checkGolden(t, "RegisterComputer", rec.Body.Bytes())

	// Round 1 offers the root categories and detectoids, round 2 the
	// products; an Office 2003 client reports both as installed.
	params := wusp.SyncUpdateParameters{}
	for round := 1; round <= 2; round++ {
		rec = soapCall(s, wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: c, Parameters: params})
		checkGolden(t, "SyncUpdates-round"+string(rune('0'+round)), rec.Body.Bytes())
		var sync wusp.SyncUpdatesResponse
		decode(t, rec, wusp.OpSyncUpdates, &sync)
		for _, u := range sync.Result.NewUpdates {
			params.InstalledNonLeafUpdateIDs = append(params.InstalledNonLeafUpdateIDs, u.ID)
		}
		c = sync.Result.NewCookie
	}
	rec = soapCall(s, wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: c, Parameters: params})
	if rec.Code != http.StatusOK {
		t.Errorf("KB954960 fault status = %d, want 200", rec.Code)
	}
	checkGolden(t, "SyncUpdates-KB954960-fault", rec.Body.Bytes())

	rec = soapCall(s, wusp.OpGetExtendedUpdateInfo, &wusp.GetExtendedUpdateInfoRequest{Cookie: c, RevisionIDs: []int{8862, 8871, 424242}, InfoTypes: []string{"Extended", "LocalizedProperties"}, Locales: []string{"en"}})
	checkGolden(t, "GetExtendedUpdateInfo", rec.Body.Bytes())

	rec = soapCall(s, wusp.OpRefreshCache, &wusp.RefreshCacheRequest{Cookie: c, GlobalIDs: []wusp.UpdateIdentity{{UpdateID: "bdfd8790-6644-4c57-a37a-86cb6b39c04d", RevisionNumber: 100}}})
	checkGolden(t, "RefreshCache", rec.Body.Bytes())

	rec = soapCall(s, wusp.OpGetFileLocations, &wusp.GetFileLocationsRequest{Cookie: c, FileDigests: [][]byte{make([]byte, 20)}})
	checkGolden(t, "GetFileLocations", rec.Body.Bytes())

	rec = soapCall(s, wusp.OpReportEventBatch, &wusp.ReportEventBatchRequest{Cookie: c, ClientTime: fixedNow, EventBatch: []wusp.ReportingEvent{{ClientID: "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", EventID: 148, SourceID: 101, NamespaceID: 1, Win32HResult: -2145107954, ReplacementStrings: []string{"0x8024400e"}, TimeAtTarget: fixedNow}}})
	checkGolden(t, "ReportEventBatch", rec.Body.Bytes())
}

// TestFaultPresentation pins the one fault builder for all eleven ErrorCodes:
// the faultcode by ErrorCode, the configured HTTP status, and the ASMX
// detail shape.
func TestFaultPresentation(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusInternalServerError} {
		s := newTestServer(t, scenarios.DefaultScenario, Config{FaultStatus: status})
		for _, code := range wusp.ErrorCodes() {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, "http://wsus01:8530/ClientWebService/client.asmx", nil)
			x := &exchange{r: req, snap: s.snap.Load(), op: wusp.OpSyncUpdates, actor: actor(req), thread: "w3wp.1"}
			s.writeFault(rec, x, wusp.NewFault(code, ""))
			if rec.Code != status {
				t.Errorf("%s: status %d, want %d", code, rec.Code, status)
			}
			if got := rec.Header().Get("Content-Type"); got != "text/xml; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", code, got)
			}
			if status == http.StatusOK {
				checkGolden(t, "fault-"+string(code), rec.Body.Bytes())
			}
		}
	}
}
