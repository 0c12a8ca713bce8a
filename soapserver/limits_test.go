package soapserver

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/internal/heap"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wusp"
)

// sessionCookie runs the handshake of a client and returns its cookie.
func sessionCookie(t testing.TB, s *Server) wusp.Cookie {
	t.Helper()
	var auth wusp.GetAuthorizationCookieResponse
	rec := soapCall(s, wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", DNSName: "xp01"})
	if err := wusp.ParseResponse(rec.Body.Bytes(), wusp.OpGetAuthorizationCookie, &auth); err != nil {
		t.Fatal(err)
	}
	var cookie wusp.GetCookieResponse
	rec = soapCall(s, wusp.OpGetCookie, &wusp.GetCookieRequest{AuthCookies: []wusp.AuthorizationCookie{auth.Result}, LastChange: s.World().LastChange(), CurrentTime: fixedNow, ProtocolVersion: "1.0"})
	if err := wusp.ParseResponse(rec.Body.Bytes(), wusp.OpGetCookie, &cookie); err != nil {
		t.Fatal(err)
	}
	return cookie.Result
}

// faultOf reads the WSUS fault a reply carries.
func faultOf(t *testing.T, rec *httptest.ResponseRecorder, op wusp.Operation) *wusp.Fault {
	t.Helper()
	err := wusp.ParseResponse(rec.Body.Bytes(), op, new(struct{ wusp.GetConfigResponse }))
	f, ok := err.(*wusp.Fault)
	if !ok {
		t.Fatalf("%s: want a WSUS fault, got %v\n%s", op.Name, err, rec.Body.Bytes())
	}
	return f
}

// One GetExtendedUpdateInfo naming every catalog revision and asking for
// 17,000 fragment types once made a 327 MB reply; eight at once killed the
// server. The list is refused while the request is decoded.
func TestExtendedInfoWithThousandsOfInfoTypesIsRefused(t *testing.T) {
	s := newTestServer(t, scenarios.DefaultScenario, Config{})
	req := &wusp.GetExtendedUpdateInfoRequest{Cookie: sessionCookie(t, s), Locales: []string{"en"}}
	for _, r := range s.World().Scenario().Catalog {
		if len(req.RevisionIDs) < wusp.MaxExtendedUpdatesPerRequest {
			req.RevisionIDs = append(req.RevisionIDs, r.RevisionID)
		}
	}
	for range 17_000 {
		req.InfoTypes = append(req.InfoTypes, "Core")
	}
	var rec *httptest.ResponseRecorder
	got := heap.Allocated(func() { rec = soapCall(s, wusp.OpGetExtendedUpdateInfo, req) })

	f := faultOf(t, rec, wusp.OpGetExtendedUpdateInfo)
	if f.Code != wusp.InvalidParameters || f.Message != "infoTypes: more than 6 items" {
		t.Errorf("fault = %s %q, want InvalidParameters naming the limit", f.Code, f.Message)
	}
	// The request is ~800 KB; the handler may hold it a few times over,
	// never the hundreds of megabytes of the reply it asked for.
	if limit := uint64(16 << 20); got > limit {
		t.Errorf("the request allocated %d bytes, want at most %d", got, limit)
	}
}

// Each bound answers InvalidParameters naming the element and, where the
// limit is the mock's own, the limit. WSUS's web.config limits keep WSUS's
// bare element path.
func TestRequestBounds(t *testing.T) {
	s := newTestServer(t, scenarios.DefaultScenario, Config{})
	c := sessionCookie(t, s)
	ids := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = 9_000_000 + i
		}
		return out
	}
	long := strings.Repeat("x", 300)
	for _, tt := range []struct {
		name string
		op   wusp.Operation
		msg  wusp.Message
		want string
	}{
		{"installed non-leaf IDs", wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: c, Parameters: wusp.SyncUpdateParameters{InstalledNonLeafUpdateIDs: ids(401)}}, "parameters.InstalledNonLeafUpdateIDs"},
		{"other cached IDs", wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: c, Parameters: wusp.SyncUpdateParameters{OtherCachedUpdateIDs: ids(22_001)}}, "parameters.OtherCachedUpdateIDs"},
		{"cached driver IDs", wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: c, Parameters: wusp.SyncUpdateParameters{SkipSoftwareSync: true, CachedDriverIDs: ids(22_001)}}, "parameters.CachedDriverIDs: more than 22000 items"},
		{"revision IDs", wusp.OpGetExtendedUpdateInfo, &wusp.GetExtendedUpdateInfoRequest{Cookie: c, RevisionIDs: ids(51), InfoTypes: []string{"Core"}}, "revisionIDs"},
		{"an unknown info type", wusp.OpGetExtendedUpdateInfo, &wusp.GetExtendedUpdateInfoRequest{Cookie: c, RevisionIDs: []int{8862}, InfoTypes: []string{"FileUrl"}}, "infoTypes.XmlUpdateFragmentType"},
		{"locales", wusp.OpGetExtendedUpdateInfo, &wusp.GetExtendedUpdateInfoRequest{Cookie: c, RevisionIDs: []int{8862}, InfoTypes: []string{"Core"}, Locales: strings.Split(strings.Repeat("en,", 17)[:50], ",")}, "locales: more than 16 items"},
		{"a locale name", wusp.OpGetExtendedUpdateInfo, &wusp.GetExtendedUpdateInfoRequest{Cookie: c, RevisionIDs: []int{8862}, InfoTypes: []string{"Core"}, Locales: []string{long}}, "locales.string: more than 85 characters"},
		{"a target group name", wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", DNSName: "xp01", TargetGroupName: long}, "targetGroupName: more than 256 characters"},
		{"a protocol version", wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: long}, "protocolVersion: more than 256 characters"},
		{"file digests", wusp.OpGetFileLocations, &wusp.GetFileLocationsRequest{Cookie: c, FileDigests: make([][]byte, 1001)}, "fileDigests: more than 1000 items"},
		{"a computer model", wusp.OpRegisterComputer, &wusp.RegisterComputerRequest{Cookie: c, ComputerInfo: wusp.ComputerInfo{DNSName: "xp01", ComputerModel: long}}, "computerInfo.ComputerModel: more than 256 characters"},
		{"an event's strings", wusp.OpReportEventBatch, &wusp.ReportEventBatchRequest{Cookie: c, EventBatch: []wusp.ReportingEvent{{EventID: 148, MiscData: make([]string, 33)}}}, "eventBatch.ReportingEvent.ExtendedData.MiscData: more than 32 items"},
		{"a cookie", wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: wusp.Cookie{EncryptedData: make([]byte, 4096)}}, "cookie.EncryptedData: more than 4096 characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := faultOf(t, soapCall(s, tt.op, tt.msg), tt.op)
			if f.Code != wusp.InvalidParameters || f.Message != tt.want {
				t.Errorf("fault = %s %q, want InvalidParameters %q", f.Code, f.Message, tt.want)
			}
		})
	}
}

// A clientId that is no SusClientId is refused before the exchange is
// recorded: the journal and the server log never hold it, whatever its
// size or content (it once went raw into both, newlines included).
func TestBadClientIDIsNeverRecorded(t *testing.T) {
	var logBuf bytes.Buffer
	sl := wsuslog.NewServerLog(&logBuf, wsuslog.LangEnglish, func() time.Time { return fixedNow })
	s := newTestServer(t, scenarios.DefaultScenario, Config{ServerLog: sl})
	for _, id := range []string{
		strings.Repeat("A", 4000),
		"c0a7445f\r\n2008-06-14 02:59:57.642 UTC\tInfo\tw3wp.1\tforged line",
	} {
		rec := soapCall(s, wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: id, DNSName: "xp01"})
		if f := faultOf(t, rec, wusp.OpGetAuthorizationCookie); f.Code != wusp.InternalServerError {
			t.Errorf("clientId %.20q: fault %s, want InternalServerError as WSUS answered", id, f.Code)
		}
	}
	if err := sl.Sync(); err != nil {
		t.Fatal(err)
	}
	for _, e := range s.Journal(JournalFilter{}).Entries {
		if e.ClientID != "" {
			t.Errorf("journal entry names client %.20q…, want no client", e.ClientID)
		}
	}
	if strings.Contains(logBuf.String(), "AAAA") || strings.Contains(logBuf.String(), "forged") {
		t.Errorf("the server log holds the refused clientId:\n%.400s", logBuf.String())
	}
}

// A dnsName too long or carrying control characters gets WSUS's answer to a
// bad dnsName.
func TestBadDNSNameIsRefused(t *testing.T) {
	s := newTestServer(t, scenarios.DefaultScenario, Config{})
	for _, name := range []string{"", "  ", strings.Repeat("a", 256), "xp01\r\nforged"} {
		rec := soapCall(s, wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", DNSName: name})
		if f := faultOf(t, rec, wusp.OpGetAuthorizationCookie); f.Code != wusp.InternalServerError {
			t.Errorf("dnsName %.20q: fault %s, want InternalServerError", name, f.Code)
		}
	}
}
