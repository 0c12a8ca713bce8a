package wusp_test

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/wusp"
)

// A request as a 2008 agent wrote it: UTF-8 BOM, a SOAP-ENV prefix, a default
// xmlns on the operation, soapenc:arrayType on literal arrays, xsi:nil="1".
func TestDecodeWUAShapedSyncUpdates(t *testing.T) {
	raw, err := os.ReadFile("testdata/syncupdates-wua.xml")
	if err != nil {
		t.Fatal(err)
	}
	op, err := wusp.ParseRequest(raw, wusp.DefaultMaxDepth)
	if err != nil {
		t.Fatal(err)
	}
	if op.Tag() != "SyncUpdates" || op.NamespaceURI() != wusp.NSClient {
		t.Fatalf("operation element = {%s}%s", op.NamespaceURI(), op.Tag())
	}
	var req wusp.SyncUpdatesRequest
	if err := wusp.DecodeRequest(op, &req); err != nil {
		t.Fatal(err)
	}
	want := wusp.SyncUpdateParameters{
		InstalledNonLeafUpdateIDs: []int{8001, 8002, 8010},
		OtherCachedUpdateIDs:      []int{8003, 8004},
	}
	if !reflect.DeepEqual(req.Parameters, want) {
		t.Errorf("parameters = %+v, want %+v", req.Parameters, want)
	}
	if got := string(req.Cookie.EncryptedData); got != "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09" {
		t.Errorf("cookie data = %q", got)
	}
}

func TestDecodeGetCookieWithNilOldCookie(t *testing.T) {
	raw, err := os.ReadFile("testdata/getcookie-wua.xml")
	if err != nil {
		t.Fatal(err)
	}
	op, err := wusp.ParseRequest(raw, wusp.DefaultMaxDepth)
	if err != nil {
		t.Fatal(err)
	}
	var req wusp.GetCookieRequest
	if err := wusp.DecodeRequest(op, &req); err != nil {
		t.Fatal(err)
	}
	if req.OldCookie != nil {
		t.Errorf("oldCookie with a nil EncryptedData decoded as %+v, want nil", req.OldCookie)
	}
	if len(req.AuthCookies) != 1 || req.AuthCookies[0].PlugInID != "SimpleTargeting" {
		t.Errorf("authCookies = %+v", req.AuthCookies)
	}
	if want := time.Date(2008, 6, 1, 8, 0, 0, 240e6, time.UTC); !req.LastChange.Equal(want) {
		t.Errorf("lastChange = %v, want %v", req.LastChange, want)
	}
	if req.ProtocolVersion != "1.6" {
		t.Errorf("protocolVersion = %q", req.ProtocolVersion)
	}
}

// Every message written by one side is read back identically by the other:
// the server and the client simulator share these codecs.
func TestRequestRoundTrip(t *testing.T) {
	cookie := wusp.Cookie{Expiration: time.Date(2008, 6, 14, 2, 59, 53, 0, time.UTC), EncryptedData: []byte("sealed")}
	cases := []struct {
		op       wusp.Operation
		msg, out wusp.Message
	}{
		{wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}, &wusp.GetConfigRequest{}},
		{wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", DNSName: "xp01.example.test"}, &wusp.GetAuthorizationCookieRequest{}},
		{wusp.OpGetCookie, &wusp.GetCookieRequest{AuthCookies: []wusp.AuthorizationCookie{{PlugInID: "SimpleTargeting", CookieData: []byte{1, 2}}}, OldCookie: &cookie, LastChange: cookie.Expiration, CurrentTime: cookie.Expiration, ProtocolVersion: "1.6"}, &wusp.GetCookieRequest{}},
		{wusp.OpRegisterComputer, &wusp.RegisterComputerRequest{Cookie: cookie, ComputerInfo: wusp.ComputerInfo{DNSName: "xp01", OSMajorVersion: 5, OSMinorVersion: 1, OSBuildNumber: 2600, OSServicePackMajorNumber: 3, ProcessorArchitecture: "x86", BiosReleaseDate: cookie.Expiration}}, &wusp.RegisterComputerRequest{}},
		{wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: cookie, Parameters: wusp.SyncUpdateParameters{InstalledNonLeafUpdateIDs: []int{1, 2}, OtherCachedUpdateIDs: []int{3}}}, &wusp.SyncUpdatesRequest{}},
		{wusp.OpRefreshCache, &wusp.RefreshCacheRequest{Cookie: cookie, GlobalIDs: []wusp.UpdateIdentity{{UpdateID: "0a5e8d4b-1111-4c6e-9a0e-000000000001", RevisionNumber: 101}}}, &wusp.RefreshCacheRequest{}},
		{wusp.OpGetExtendedUpdateInfo, &wusp.GetExtendedUpdateInfoRequest{Cookie: cookie, RevisionIDs: []int{8862}, InfoTypes: []string{"Extended"}, Locales: []string{"en"}}, &wusp.GetExtendedUpdateInfoRequest{}},
		{wusp.OpGetFileLocations, &wusp.GetFileLocationsRequest{Cookie: cookie, FileDigests: [][]byte{make([]byte, 20)}}, &wusp.GetFileLocationsRequest{}},
		{wusp.OpReportEventBatch, &wusp.ReportEventBatchRequest{Cookie: cookie, ClientTime: cookie.Expiration, EventBatch: []wusp.ReportingEvent{{ClientID: "c1", EventID: 148, Win32HResult: -2145107954, ReplacementStrings: []string{"0x8024400e"}, MiscData: []string{}, TimeAtTarget: cookie.Expiration}}}, &wusp.ReportEventBatchRequest{}},
	}
	// One Document reads every request in turn, as a server's pooled ones
	// do; the messages are compared only once it has been cleared, so a
	// message that kept a view into the Document's buffers would show.
	var doc wusp.Document
	for _, c := range cases {
		op, err := doc.ParseRequest(wusp.MarshalRequest(c.op, c.msg), wusp.DefaultMaxDepth)
		if err != nil {
			t.Fatal(err)
		}
		if err := wusp.DecodeRequest(op, c.out); err != nil {
			t.Fatal(err)
		}
	}
	doc.ParseRequest([]byte(strings.Repeat("<x>overwritten</x>", 160)), wusp.DefaultMaxDepth)
	doc.Clear()
	for _, c := range cases {
		t.Run(c.op.Name, func(t *testing.T) {
			if !reflect.DeepEqual(c.msg, c.out) {
				t.Errorf("round trip changed the message\n got %+v\nwant %+v", c.out, c.msg)
			}
		})
	}
}

func TestMissingParameterNamesTheElement(t *testing.T) {
	body := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
		`<SyncUpdates xmlns="http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService">` +
		`<cookie><EncryptedData>AA==</EncryptedData></cookie><parameters><ExpressQuery>false</ExpressQuery></parameters>` +
		`</SyncUpdates></soap:Body></soap:Envelope>`
	op, err := wusp.ParseRequest([]byte(body), wusp.DefaultMaxDepth)
	if err != nil {
		t.Fatal(err)
	}
	err = wusp.DecodeRequest(op, new(wusp.SyncUpdatesRequest))
	var missing *wusp.MissingError
	if !errors.As(err, &missing) || missing.Path != "parameters.SkipSoftwareSync" {
		t.Fatalf("err = %v, want missing parameters.SkipSoftwareSync", err)
	}
}

func TestParseRequestRefusesBrokenInput(t *testing.T) {
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	cases := []struct {
		name, body string
		syntax     bool
	}{
		{"not XML", "this is not xml", true},
		{"unclosed", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`, true},
		{"nesting bomb", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` + deep + `</soap:Body></soap:Envelope>`, true},
		{"not an envelope", `<Envelope/>`, false},
		{"SOAP 1.2", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><x/></e:Body></e:Envelope>`, false},
		{"empty body", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := wusp.ParseRequest([]byte(c.body), wusp.DefaultMaxDepth)
			var syn *wusp.SyntaxError
			var env *wusp.EnvelopeError
			switch {
			case err == nil:
				t.Fatal("accepted")
			case c.syntax && !errors.As(err, &syn):
				t.Fatalf("err = %T %v, want a SyntaxError", err, err)
			case !c.syntax && !errors.As(err, &env):
				t.Fatalf("err = %T %v, want an EnvelopeError", err, err)
			}
		})
	}
}

// The KB954960 fault, byte for byte as ASMX wrote it (docs/protocol-facts.md §5).
func TestMarshalFaultIsTheASMXShape(t *testing.T) {
	f := &wusp.Fault{
		Code:        wusp.InternalServerError,
		ID:          "c0a7445f-b989-43fa-ac20-11f8ca65fa8c",
		Method:      wusp.OpSyncUpdates.QuotedSOAPAction(),
		Actor:       "http://wsus01:8530/ClientWebService/client.asmx",
		FaultString: wusp.DefaultFaultString,
	}
	want := `<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
		`<soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Fault occurred</faultstring>` +
		`<faultactor>http://wsus01:8530/ClientWebService/client.asmx</faultactor>` +
		`<detail><ErrorCode>InternalServerError</ErrorCode><Message /><ID>c0a7445f-b989-43fa-ac20-11f8ca65fa8c</ID>` +
		`<Method>"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"</Method></detail>` +
		`</soap:Fault></soap:Body></soap:Envelope>`
	if got := string(wusp.MarshalFault(f)); got != want {
		t.Errorf("fault\n got %s\nwant %s", got, want)
	}
}

func TestParseResponseReturnsTheFault(t *testing.T) {
	sent := wusp.NewFault(wusp.CookieExpired, "")
	sent.Method = wusp.OpSyncUpdates.QuotedSOAPAction()
	err := wusp.ParseResponse(wusp.MarshalFault(sent), wusp.OpSyncUpdates, new(wusp.SyncUpdatesResponse))
	var got *wusp.Fault
	if !errors.As(err, &got) {
		t.Fatalf("err = %v, want a *wusp.Fault", err)
	}
	if got.Code != wusp.CookieExpired || got.ID != sent.ID || got.Method != sent.Method || got.FaultCode() != "Client" {
		t.Errorf("parsed fault = %+v", got)
	}
}

func TestErrorCodes(t *testing.T) {
	cases := []struct {
		code      wusp.ErrorCode
		faultcode string
		number    int
	}{
		{wusp.InvalidCookie, "Client", 1},
		{wusp.ConfigChanged, "Client", 2},
		{wusp.RegistrationRequired, "Client", 3},
		{wusp.ServerChanged, "Client", 4},
		{wusp.InternalServerError, "Server", 5}, // advisory 954960: ErrorCode:InternalServerError(5)
		{wusp.CookieExpired, "Client", 6},
		{wusp.InvalidParameters, "Client", 7},
		{wusp.InvalidAuthorizationCookie, "Client", 8},
		{wusp.RegistrationNotRequired, "Client", 9},
		{wusp.ServerBusy, "Server", 10},
		{wusp.FileLocationChanged, "Client", 11},
	}
	if len(cases) != len(wusp.ErrorCodes()) {
		t.Fatalf("table covers %d codes, wusp has %d", len(cases), len(wusp.ErrorCodes()))
	}
	for _, c := range cases {
		if got := c.code.FaultCode(); got != c.faultcode {
			t.Errorf("%s.FaultCode() = %s, want %s", c.code, got, c.faultcode)
		}
		if got := c.code.Number(); got != c.number {
			t.Errorf("%s.Number() = %d, want %d", c.code, got, c.number)
		}
		if parsed, err := wusp.ParseErrorCode(string(c.code)); err != nil || parsed != c.code {
			t.Errorf("ParseErrorCode(%s) = %v, %v", c.code, parsed, err)
		}
	}
}

func TestLookupActionStripsQuotes(t *testing.T) {
	for _, h := range []string{
		`"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"`,
		`http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates`,
	} {
		if op, ok := wusp.LookupAction(wusp.ClientService, h); !ok || op != wusp.OpSyncUpdates {
			t.Errorf("LookupAction(%s) = %v, %v", h, op, ok)
		}
	}
	for _, h := range []string{
		`"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/GetConfig2"`,
		`"http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService/GetAuthorizationCookie"`,
	} {
		if op, ok := wusp.LookupAction(wusp.ClientService, h); ok {
			t.Errorf("LookupAction(%s) found %v; a WSUS 3.0 client endpoint has no such action", h, op)
		}
	}
}

// StartCategoryScan is a WSUS 3.0 operation of SP2 alone: it "SHOULD NOT
// exist" below server protocol 3.2 (MS-WUSP §2.2.2.2.8, note <52>).
func TestStartCategoryScanServedFrom32(t *testing.T) {
	for v, want := range map[string]bool{"3.0": false, "3.1": false, "3.2": true, "3.10": true, "4": true, "": false, "x.y": false} {
		if got := wusp.OpStartCategoryScan.ServedBy(v); got != want {
			t.Errorf("StartCategoryScan served by %q: %v, want %v", v, got, want)
		}
	}
	if !wusp.OpSyncUpdates.ServedBy("3.0") {
		t.Error("SyncUpdates not served by 3.0")
	}
}

func TestFormatDateTimeLikeXmlSerializer(t *testing.T) {
	cases := map[time.Time]string{
		time.Date(2006, 5, 26, 16, 58, 1, 874947200, time.UTC): "2006-05-26T16:58:01.8749472Z",
		time.Date(2007, 1, 31, 4, 16, 35, 240000000, time.UTC): "2007-01-31T04:16:35.24Z",
		time.Date(2008, 6, 13, 19, 59, 53, 0, time.UTC):        "2008-06-13T19:59:53Z",
	}
	for in, want := range cases {
		if got := wusp.FormatDateTime(in); got != want {
			t.Errorf("FormatDateTime(%v) = %s, want %s", in, got, want)
		}
	}
}

// MarshalFault appends to a fixed frame for speed; the etree rendering of
// the same fault is the reference it must equal, for every ErrorCode and for
// texts that need escaping: at their start, after plain text, at their end,
// and for every class of byte the escaper tells apart.
func TestMarshalFaultMatchesEtree(t *testing.T) {
	for _, code := range wusp.ErrorCodes() {
		for _, msg := range []string{"", "parameters.OtherCachedUpdateIDs", `a <b> & "c"`, "<x", "x>", "x&",
			"line\r\nnext\ttab", "bell\x07 del\x7f", "Zo\u00eb \u20ac \U0001F600", "bad \xff\xfe utf-8", "\ufffe\uffff", "\ud7ff\ue000"} {
			f := &wusp.Fault{Code: code, Message: msg, ID: wusp.NewGUID(), Method: wusp.OpSyncUpdates.QuotedSOAPAction(),
				Actor: "http://wsus01:8530/ClientWebService/client.asmx?x=1&y=2", FaultString: wusp.DefaultFaultString}
			if got, want := string(wusp.MarshalFault(f)), wusp.MarshalFaultWithEtree(f); got != want {
				t.Errorf("%s %q:\n got %s\nwant %s", code, msg, got, want)
			}
		}
	}
}

func TestQuotedSOAPActionOfEveryOperation(t *testing.T) {
	for _, svc := range []wusp.Service{wusp.SimpleAuth, wusp.ClientService, wusp.Reporting} {
		for _, op := range wusp.Operations(svc) {
			if got, want := op.QuotedSOAPAction(), `"`+op.SOAPAction()+`"`; got != want {
				t.Errorf("%s: %s, want %s", op.Name, got, want)
			}
		}
	}
}

// A reused SyncUpdatesRequest decodes each cookie into the array the last
// one left, and holds exactly that cookie's bytes, shorter or longer. A
// response decoded again never writes into the cookie bytes of the last
// one: a client keeps a NewCookie to send it back.
func TestDecodeCookieIntoReusedRequest(t *testing.T) {
	cookie := func(n int) wusp.Cookie {
		c := wusp.Cookie{Expiration: time.Date(2008, 6, 10, 0, 0, 0, 0, time.UTC), EncryptedData: make([]byte, n)}
		for i := range c.EncryptedData {
			c.EncryptedData[i] = byte(n + i)
		}
		return c
	}
	var req wusp.SyncUpdatesRequest
	var first *byte
	for _, n := range []int{120, 40, 300, 7} {
		op, err := wusp.ParseRequest(wusp.MarshalRequest(wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: cookie(n)}), wusp.DefaultMaxDepth)
		if err != nil {
			t.Fatal(err)
		}
		if err := wusp.DecodeRequest(op, &req); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(req.Cookie.EncryptedData, cookie(n).EncryptedData) {
			t.Errorf("a cookie of %d bytes decoded as %d bytes %v", n, len(req.Cookie.EncryptedData), req.Cookie.EncryptedData)
		}
		if n == 40 && &req.Cookie.EncryptedData[0] != first {
			t.Error("a shorter cookie did not go into the array the last one left")
		}
		first = &req.Cookie.EncryptedData[0]
	}

	var resp wusp.SyncUpdatesResponse
	var kept wusp.Cookie
	for _, n := range []int{120, 40} {
		body := wusp.MarshalResponse(wusp.OpSyncUpdates, &wusp.SyncUpdatesResponse{Result: wusp.SyncInfo{NewCookie: cookie(n)}})
		if err := wusp.ParseResponse(body, wusp.OpSyncUpdates, &resp); err != nil {
			t.Fatal(err)
		}
		if n == 120 {
			kept = resp.Result.NewCookie
		}
	}
	if !bytes.Equal(kept.EncryptedData, cookie(120).EncryptedData) {
		t.Errorf("decoding a second response changed the NewCookie kept from the first: %v", kept.EncryptedData[:8])
	}
}

// A server decodes every SyncUpdates into one reused request: each decode
// must leave exactly the lists of the request it read, never items of the
// one before, and keep absent (nil) apart from empty lists.
func TestDecodeIntoReusedSyncUpdatesRequest(t *testing.T) {
	decode := func(req *wusp.SyncUpdatesRequest, sent *wusp.SyncUpdatesRequest) {
		t.Helper()
		op, err := wusp.ParseRequest(wusp.MarshalRequest(wusp.OpSyncUpdates, sent), wusp.DefaultMaxDepth)
		if err != nil {
			t.Fatal(err)
		}
		if err := wusp.DecodeRequest(op, req); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(req.Parameters, sent.Parameters) {
			t.Errorf("parameters = %+v, want %+v", req.Parameters, sent.Parameters)
		}
	}
	cookie := wusp.Cookie{Expiration: time.Date(2008, 6, 10, 0, 0, 0, 0, time.UTC), EncryptedData: []byte{1}}
	var req wusp.SyncUpdatesRequest
	decode(&req, &wusp.SyncUpdatesRequest{Cookie: cookie, Parameters: wusp.SyncUpdateParameters{
		InstalledNonLeafUpdateIDs: []int{1, 2, 3, 4}, OtherCachedUpdateIDs: []int{5, 6, 7}, CachedDriverIDs: []int{8},
	}})
	kept := &req.Parameters.OtherCachedUpdateIDs[0]
	decode(&req, &wusp.SyncUpdatesRequest{Cookie: cookie, Parameters: wusp.SyncUpdateParameters{
		InstalledNonLeafUpdateIDs: []int{9}, OtherCachedUpdateIDs: []int{10, 11}, CachedDriverIDs: []int{},
	}})
	if &req.Parameters.OtherCachedUpdateIDs[0] != kept {
		t.Error("the second decode allocated a list the first one's array had room for")
	}
	decode(&req, &wusp.SyncUpdatesRequest{Cookie: cookie, Parameters: wusp.SyncUpdateParameters{
		OtherCachedUpdateIDs: []int{12, 13, 14, 15, 16}, SkipSoftwareSync: true,
	}})
}
