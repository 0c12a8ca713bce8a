package soapserver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wuaclient"
	"github.com/wsusmock/wsusmock/wusp"
)

// endpoints are the three .asmx addresses a fuzzed request goes to.
var fuzzEndpoints = [...]string{"/SimpleAuthWebService/SimpleAuth.asmx", "/ClientWebService/client.asmx", "/ReportingWebService/ReportingWebService.asmx"}

// FuzzHandler sends any body, to any endpoint, with any SOAPAction, and
// holds every answer to what the README documents: a SOAP envelope (a
// reply or a fault) with status 200, 400 (unreadable XML), 413 (too big)
// or 500 (a SOAP-level fault), within a deadline, having allocated no more
// than a bounded multiple of the request.
func FuzzHandler(f *testing.F) {
	s := newTestServer(f, scenarios.DefaultScenario, Config{})
	third, err := wuaclient.ThirdSyncUpdates(inProcess(s), fixedNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(1), wusp.OpSyncUpdates.QuotedSOAPAction(), wusp.MarshalSyncUpdatesWUA(third))
	cookie := third.Cookie
	for _, c := range []struct {
		op  wusp.Operation
		msg wusp.Message
	}{
		{wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}},
		{wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", DNSName: "xp01"}},
		{wusp.OpGetCookie, &wusp.GetCookieRequest{LastChange: fixedNow, ProtocolVersion: "1.0"}},
		{wusp.OpRegisterComputer, &wusp.RegisterComputerRequest{Cookie: cookie, ComputerInfo: wusp.ComputerInfo{DNSName: "xp01"}}},
		{wusp.OpRefreshCache, &wusp.RefreshCacheRequest{Cookie: cookie, GlobalIDs: []wusp.UpdateIdentity{{UpdateID: "cc750251-d324-4187-8241-603a8445ad33", RevisionNumber: 102}}}},
		{wusp.OpGetExtendedUpdateInfo, &wusp.GetExtendedUpdateInfoRequest{Cookie: cookie, RevisionIDs: []int{8862, 8871}, InfoTypes: []string{"Core", "Extended", "LocalizedProperties"}, Locales: []string{"en"}}},
		{wusp.OpGetFileLocations, &wusp.GetFileLocationsRequest{Cookie: cookie, FileDigests: [][]byte{make([]byte, 20)}}},
		{wusp.OpReportEventBatch, &wusp.ReportEventBatchRequest{Cookie: cookie, ClientTime: fixedNow, EventBatch: []wusp.ReportingEvent{{EventID: 148}}}},
	} {
		f.Add(uint8(c.op.Service-1), c.op.QuotedSOAPAction(), wusp.MarshalRequest(c.op, c.msg))
	}
	f.Add(uint8(1), "", []byte("<"+string(bytes.Repeat([]byte("<?a?>x"), 100))))
	f.Add(uint8(1), `"unknown"`, []byte(`<!DOCTYPE x [<!ENTITY a "b">]><x/>`))
	f.Add(uint8(1), wusp.OpGetConfig.QuotedSOAPAction(), []byte(`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><GetConfig xmlns="http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService"><protocolVersion>1.0</protocolVersion></GetConfig></e:Body></e:Envelope>`))

	f.Fuzz(func(t *testing.T, endpoint uint8, action string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "http://wsus01:8530"+fuzzEndpoints[int(endpoint)%len(fuzzEndpoints)], bytes.NewReader(body))
		req.Header.Set("SOAPAction", action)
		rec := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		done := make(chan struct{})
		go func() { defer close(done); s.ServeHTTP(rec, req) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("no answer within 5s to %q", body)
		}
		runtime.ReadMemStats(&after)

		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusInternalServerError:
		default:
			t.Fatalf("status %d, not one the README documents, for %q", rec.Code, body)
		}
		// A SOAP 1.2 envelope is answered in SOAP 1.2, anything else in 1.1.
		first, envNS, err := new(wusp.Document).ParseEnvelope(rec.Body.Bytes(), wusp.DefaultMaxDepth)
		if err != nil {
			t.Fatalf("the answer is no SOAP envelope (%v):\n%s", err, rec.Body.Bytes())
		}
		wantCT := "text/xml; charset=utf-8"
		if envNS == wusp.NSSoap12 {
			wantCT = "application/soap+xml; charset=utf-8"
		}
		if ct := rec.Header().Get("Content-Type"); ct != wantCT {
			t.Fatalf("Content-Type %q for %q", ct, body)
		}
		// A fault may come with any of those statuses; a reply only with 200.
		if first.Tag() != "Fault" && (rec.Code != http.StatusOK || !strings.HasSuffix(first.Tag(), "Response")) {
			t.Fatalf("status %d with <%s>:\n%s", rec.Code, first.Tag(), rec.Body.Bytes())
		}
		// Allocation grows with the request, never with what it claims: a
		// few times the body for the tree and the strings a message keeps,
		// plus the replies' fragments.
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(16*len(body))+1<<20; got > limit {
			t.Fatalf("a %d-byte request allocated %d bytes, want at most %d", len(body), got, limit)
		}
	})
}

// FuzzCookieUnsealer opens any bytes as a session or authorization cookie:
// it never panics, refuses what it cannot read with the fault WSUS gave,
// and allocates no more than the cookie's size.
func FuzzCookieUnsealer(f *testing.F) {
	sl, _ := newSealer([]byte("fuzz"))
	now := time.Date(2008, 6, 13, 19, 59, 53, 0, time.UTC)
	f.Add(sl.cookie(session{ClientID: "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", Groups: []string{"All Computers"}, Protocol: "1.0", Expires: now.Add(time.Hour)}).EncryptedData)
	f.Add(sl.seal(purposeAuth, &authorization{ClientID: "c0a7445f", DNSName: "xp01", Issued: now}))
	f.Add([]byte("WSM1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, fault := sl.openSession(wusp.Cookie{EncryptedData: data}, now)
		var auth authorization
		authErr := sl.open(purposeAuth, data, &auth)
		runtime.ReadMemStats(&after)
		if fault != nil {
			switch fault.Code {
			case wusp.InvalidCookie, wusp.ServerChanged, wusp.CookieExpired:
			default:
				t.Fatalf("fault %s for a cookie", fault.Code)
			}
		}
		_ = authErr
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(4*len(data))+16<<10; got > limit {
			t.Fatalf("opening %d bytes allocated %d", len(data), got)
		}
	})
}

// FuzzCookieRecord reads any plaintext as a session and an authorization
// record, as a cookie sealed with the server's key would be read: no panic,
// and what it reads is written back the same.
func FuzzCookieRecord(f *testing.F) {
	now := time.Date(2008, 6, 13, 19, 59, 53, 0, time.UTC)
	f.Add((&session{ClientID: "c0a7445f", Groups: []string{"All Computers", "Workstations"}, Protocol: "1.6", Issued: now, Expires: now}).marshal(nil))
	f.Add((&authorization{ClientID: "c0a7445f", TargetGroup: "Workstations", DNSName: "xp01", Issued: now}).marshal(nil))
	f.Fuzz(func(t *testing.T, plain []byte) {
		var sess, again session
		if sess.unmarshal(plain) == nil {
			if err := again.unmarshal(sess.marshal(nil)); err != nil || !reflect.DeepEqual(sess, again) {
				t.Fatalf("session %+v written and read back as %+v (%v)", sess, again, err)
			}
		}
		var auth, authAgain authorization
		if auth.unmarshal(plain) == nil {
			if err := authAgain.unmarshal(auth.marshal(nil)); err != nil || !reflect.DeepEqual(auth, authAgain) {
				t.Fatalf("authorization %+v written and read back as %+v (%v)", auth, authAgain, err)
			}
		}
	})
}
