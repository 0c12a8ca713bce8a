package soapserver

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/wusp"
)

// officeCategory is "Office" in the built-in catalog; the other GUID is in
// no catalog.
const (
	officeCategory  = "bdfd8790-6644-4c57-a37a-86cb6b39c04d"
	unknownCategory = "00000000-0000-0000-0000-00000000beef"
)

// StartCategoryScan came with WSUS 3.0 SP2 (server ProtocolVersion 3.2): it
// "SHOULD NOT exist" below (MS-WUSP §2.2.2.2.8, note <52>). RTM and SP1
// answer it as ASMX answers any action a service lacks; SP2 answers it as
// a captured server did (CaddyGlow/wsus-rs
// docs/fixtures/wsus-m0-native/scan/000005: a known category comes back in
// preferredCategoryIds).
func TestStartCategoryScanByBuild(t *testing.T) {
	req := &wusp.StartCategoryScanRequest{RequestedCategories: []wusp.CategoryRelationship{
		{IndexOfAndGroup: 0, CategoryID: officeCategory},
		{IndexOfAndGroup: 1, CategoryID: unknownCategory},
		{IndexOfAndGroup: 1, CategoryID: strings.ToUpper(officeCategory)},
	}}
	for _, scenario := range []string{"rtm-office2003", "sp1-office2003", "sp1-kb954960"} {
		rec := soapCall(newTestServer(t, scenario, Config{}), wusp.OpStartCategoryScan, req)
		if rec.Code != http.StatusInternalServerError ||
			!strings.Contains(rec.Body.String(), "Server did not recognize the value of HTTP Header SOAPAction: "+wusp.OpStartCategoryScan.SOAPAction()+".") {
			t.Errorf("%s: StartCategoryScan answered %d %s, want the unknown-SOAPAction fault", scenario, rec.Code, rec.Body)
		}
	}

	rec := soapCall(newTestServer(t, "sp2", Config{}), wusp.OpStartCategoryScan, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("sp2: StartCategoryScan answered %d %s", rec.Code, rec.Body)
	}
	var resp wusp.StartCategoryScanResponse
	decode(t, rec, wusp.OpStartCategoryScan, &resp)
	if !slices.Equal(resp.PreferredCategoryIDs, []string{officeCategory}) || !slices.Equal(resp.RequestedCategoryIDsInError, []string{unknownCategory}) {
		t.Errorf("sp2: preferred %v, in error %v; want [%s] and [%s]", resp.PreferredCategoryIDs, resp.RequestedCategoryIDsInError, officeCategory, unknownCategory)
	}
}

// WSUS 3.0 SP2 refused 200 or more requested categories with
// InvalidParameters.
func TestStartCategoryScanBounded(t *testing.T) {
	req := &wusp.StartCategoryScanRequest{}
	for range wusp.MaxRequestedCategories + 1 {
		req.RequestedCategories = append(req.RequestedCategories, wusp.CategoryRelationship{CategoryID: officeCategory})
	}
	rec := soapCall(newTestServer(t, "sp2", Config{}), wusp.OpStartCategoryScan, req)
	err := wusp.ParseResponse(rec.Body.Bytes(), wusp.OpStartCategoryScan, &wusp.StartCategoryScanResponse{})
	if f, ok := err.(*wusp.Fault); !ok || f.Code != wusp.InvalidParameters || !strings.HasPrefix(f.Message, "requestedCategories") {
		t.Errorf("200 categories: %v, want InvalidParameters naming requestedCategories", err)
	}
}

// syncOnce runs GetConfig, GetAuthorizationCookie, GetCookie with the
// client protocol and one SyncUpdates, and returns its SyncInfo.
func syncOnce(t *testing.T, s *Server, clientProtocol string, params wusp.SyncUpdateParameters) wusp.SyncInfo {
	t.Helper()
	var config wusp.GetConfigResponse
	decode(t, soapCall(s, wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: clientProtocol}), wusp.OpGetConfig, &config)
	var auth wusp.GetAuthorizationCookieResponse
	decode(t, soapCall(s, wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", DNSName: "xp01.example.test"}), wusp.OpGetAuthorizationCookie, &auth)
	var cookie wusp.GetCookieResponse
	decode(t, soapCall(s, wusp.OpGetCookie, &wusp.GetCookieRequest{AuthCookies: []wusp.AuthorizationCookie{auth.Result}, LastChange: config.Result.LastChange, CurrentTime: fixedNow, ProtocolVersion: clientProtocol}), wusp.OpGetCookie, &cookie)
	var sync wusp.SyncUpdatesResponse
	decode(t, soapCall(s, wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: cookie.Result, Parameters: params}), wusp.OpSyncUpdates, &sync)
	return sync.Result
}

// The SyncInfo elements of a 3.2 server (MS-WUSP §2.2.2.2.4): a server
// MUST NOT send DriverSyncNotNeeded unless it announced ProtocolVersion 3.2
// or later and the client protocol 1.7 or later, nor
// DeployedOutOfScopeRevisionIds unless, besides, the client asked with
// NeedTwoGroupOutOfScopeUpdates. The 2008 agents (1.0, 1.6) never see
// them; a real server wrote DriverSyncNotNeeded as "true"
// (docs/fixtures/wsus-m0-native/scan in CaddyGlow/wsus-rs).
func TestSyncInfo32ByBuildAndClient(t *testing.T) {
	ask := wusp.SyncUpdateParameters{NeedTwoGroupOutOfScopeUpdates: true}
	for _, tc := range []struct {
		scenario, client string
		params           wusp.SyncUpdateParameters
		driver           string
		deployedOut      []int
	}{
		{"sp2", "1.7", ask, "true", []int{}},
		{"sp2", "1.8", wusp.SyncUpdateParameters{}, "true", nil},
		{"sp2", "1.6", ask, "", nil},
		{"sp2", "1.0", ask, "", nil},
		{"sp1-office2003", "1.7", ask, "", nil},
		{"rtm-office2003", "1.8", ask, "", nil},
	} {
		got := syncOnce(t, newTestServer(t, tc.scenario, Config{}), tc.client, tc.params)
		if got.DriverSyncNotNeeded != tc.driver {
			t.Errorf("%s, client %s: DriverSyncNotNeeded %q, want %q", tc.scenario, tc.client, got.DriverSyncNotNeeded, tc.driver)
		}
		if (got.DeployedOutOfScopeRevisionIDs == nil) != (tc.deployedOut == nil) || len(got.DeployedOutOfScopeRevisionIDs) != len(tc.deployedOut) {
			t.Errorf("%s, client %s: DeployedOutOfScopeRevisionIds %#v, want %#v", tc.scenario, tc.client, got.DeployedOutOfScopeRevisionIDs, tc.deployedOut)
		}
	}
}

// The WSDL a build serves lists what it answers: SP2's Client service has
// StartCategoryScan and the 3.2 SyncUpdates elements, SP1's has neither.
func TestWSDLByBuild(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		has32    bool
	}{{"sp1-office2003", false}, {"rtm-office2003", false}, {"sp2", true}} {
		rec := httptest.NewRecorder()
		newTestServer(t, tc.scenario, Config{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://wsus01:8530/ClientWebService/client.asmx?wsdl", nil))
		body := rec.Body.String()
		for _, want := range []string{`<wsdl:operation name="StartCategoryScan">`, `name="DriverSyncNotNeeded"`, `name="NeedTwoGroupOutOfScopeUpdates"`} {
			if strings.Contains(body, want) != tc.has32 {
				t.Errorf("%s: WSDL has %s: %v, want %v", tc.scenario, want, !tc.has32, tc.has32)
			}
		}
		// As ASMX served it (MS-WUSP §6.2): no comment before the
		// definitions, and a SOAP 1.2 port beside the SOAP 1.1 one, both
		// at the address the request used.
		for _, want := range []string{
			`soap:address location="http://wsus01:8530/ClientWebService/client.asmx"`,
			`<wsdl:port name="ClientSoap12" binding="tns:ClientSoap12">`,
			`soap12:address location="http://wsus01:8530/ClientWebService/client.asmx"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: WSDL lacks %s", tc.scenario, want)
			}
		}
		if !strings.HasPrefix(body, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<wsdl:definitions ") {
			t.Errorf("%s: WSDL does not begin with its definitions: %.120s", tc.scenario, body)
		}
	}
}
