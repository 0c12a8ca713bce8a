package soapserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/wusp"
)

// ASMX answers an action the endpoint lacks before any WSUS code runs: HTTP
// 500, soap:Client, and no faultactor (the decompiled ASMX writes
// faultactor only for an exception that has an actor).
func TestUnknownActionHasNoActor(t *testing.T) {
	s := newTestServer(t, "sp1-office2003", Config{})
	rec := soapCall(s, wusp.Operation{Name: "StartCategoryScan", Service: wusp.ClientService}, &wusp.GetConfigRequest{ProtocolVersion: "1.6"})
	body := rec.Body.String()
	if rec.Code != http.StatusInternalServerError || !strings.Contains(body, "<faultcode>soap:Client</faultcode>") ||
		!strings.Contains(body, "Server did not recognize the value of HTTP Header SOAPAction: http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/StartCategoryScan.") {
		t.Fatalf("%d %s", rec.Code, body)
	}
	if strings.Contains(body, "faultactor") {
		t.Errorf("unknown-action fault carries a faultactor: %s", body)
	}
}

// post sends body to the client endpoint with the given Content-Type and
// SOAPAction ("" for none of either).
func post(s *Server, contentType, soapAction, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://wsus01:8530/ClientWebService/client.asmx", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if soapAction != "" {
		req.Header.Set("SOAPAction", soapAction)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// soap12GetConfig is a GetConfig request in a SOAP 1.2 envelope.
const soap12GetConfig = `<?xml version="1.0" encoding="utf-8"?><soap12:Envelope xmlns:soap12="http://www.w3.org/2003/05/soap-envelope">` +
	`<soap12:Body><GetConfig xmlns="http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService"><protocolVersion>1.0</protocolVersion></GetConfig></soap12:Body></soap12:Envelope>`

// ASMX read SOAP from text/xml and application/soap+xml only, and answered
// anything else with HTTP 415 (SoapServerProtocol.ReadParameters and
// SetResponseErrorCode, decompiled). It wrote no body with it, nor with
// the 400 of unreadable XML; the mock names the problem unless told to be
// exact.
func TestErrorStatusesAsASMX(t *testing.T) {
	getConfig := string(wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}))
	action := wusp.OpGetConfig.QuotedSOAPAction()
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		says                    string
	}{
		{"form data", "application/x-www-form-urlencoded", getConfig, http.StatusUnsupportedMediaType, `Content-Type "application/x-www-form-urlencoded" is not supported`},
		{"plain text", "text/plain; charset=utf-8", getConfig, http.StatusUnsupportedMediaType, `Content-Type "text/plain; charset=utf-8" is not supported`},
		{"a SOAP 1.1 envelope as SOAP 1.2's media type", "application/soap+xml; charset=utf-8", getConfig, http.StatusUnsupportedMediaType, "a SOAP 1.1 request is text/xml"},
		{"malformed XML", "text/xml; charset=utf-8", "<soap:Envelope", http.StatusBadRequest, "Server was unable to read request."},
		// XML allows no NUL, not even as a character reference; ASMX's
		// XmlReader refused it as it refused malformed XML.
		{"a NUL character", "text/xml; charset=utf-8", strings.Replace(getConfig, ">1.0<", ">1.0\x00<", 1), http.StatusBadRequest, "illegal character code U+0000"},
		{"invalid UTF-8", "text/xml; charset=utf-8", strings.Replace(getConfig, ">1.0<", ">1.0\xff<", 1), http.StatusBadRequest, "invalid UTF-8"},
	} {
		for _, exact := range []bool{false, true} {
			rec := post(newTestServer(t, "sp1-office2003", Config{ASMXErrorBodies: exact}), tc.contentType, action, tc.body)
			if rec.Code != tc.status {
				t.Errorf("%s (exact %v): status %d, want %d", tc.name, exact, rec.Code, tc.status)
			}
			body := rec.Body.String()
			switch {
			case exact && body != "":
				t.Errorf("%s: ASMXErrorBodies, yet a body: %s", tc.name, body)
			case !exact && (!strings.Contains(body, "<faultcode>soap:Client</faultcode>") || !strings.Contains(body, tc.says)):
				t.Errorf("%s: the fault does not say %q: %s", tc.name, tc.says, body)
			}
		}
	}
	// WUA's request, and one with no Content-Type at all, are read.
	for _, ct := range []string{"text/xml; charset=utf-8", "TEXT/XML", ""} {
		if rec := post(newTestServer(t, "sp1-office2003", Config{}), ct, action, getConfig); rec.Code != http.StatusOK {
			t.Errorf("Content-Type %q: %d %s", ct, rec.Code, rec.Body)
		}
	}
}

// A SOAP 1.2 request is answered in SOAP 1.2, as ASMX answered it (the
// WSUS WSDLs advertise SOAP 1.2 bindings, MS-WUSP §6): the same body in
// the SOAP 1.2 envelope namespace, as application/soap+xml, routed by the
// Content-Type's action parameter, else by the Body's first element
// (Soap12ServerProtocolHelper.RouteRequest, decompiled). A SOAP 1.2
// envelope sent as text/xml with a SOAPAction is answered in SOAP 1.2 too:
// ASMX chose the version by the envelope's namespace.
func TestSOAP12Request(t *testing.T) {
	s := newTestServer(t, "sp1-office2003", Config{})
	soap11 := soapCall(s, wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}).Body.String()
	want := strings.Replace(soap11, `xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"`, `xmlns:soap="http://www.w3.org/2003/05/soap-envelope"`, 1)
	for name, rec := range map[string]*httptest.ResponseRecorder{
		"action parameter":         post(s, `application/soap+xml; charset=utf-8; action="`+wusp.OpGetConfig.SOAPAction()+`"`, "", soap12GetConfig),
		"Body element":             post(s, "application/soap+xml; charset=utf-8", "", soap12GetConfig),
		"text/xml with SOAPAction": post(s, "text/xml; charset=utf-8", wusp.OpGetConfig.QuotedSOAPAction(), soap12GetConfig),
		"URL-encoded action":       post(s, `application/soap+xml; action="http%3A%2F%2Fwww.microsoft.com%2FSoftwareDistribution%2FServer%2FClientWebService%2FGetConfig"`, "", soap12GetConfig),
	} {
		if rec.Code != http.StatusOK || rec.Body.String() != want {
			t.Errorf("%s: %d\n%s\nwant\n%s", name, rec.Code, rec.Body, want)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/soap+xml; charset=utf-8" && name != "text/xml with SOAPAction" {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
	}
}

// Faults to a SOAP 1.2 request have SOAP 1.2's shape
// (Soap12ServerProtocolHelper.WriteFault): soap:Code/soap:Value with
// Client and Server as Sender and Receiver, soap:Reason/soap:Text, the
// actor as soap:Node, and WSUS's detail as it is.
func TestSOAP12Faults(t *testing.T) {
	s := newTestServer(t, "sp1-office2003", Config{})
	badCookie := string(wusp.MarshalRequest(wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: wusp.Cookie{Expiration: fixedNow, EncryptedData: []byte("not a cookie")}}))
	badCookie = strings.Replace(badCookie, wusp.NSSoap, wusp.NSSoap12, 1)
	rec := post(s, `application/soap+xml; action="`+wusp.OpSyncUpdates.SOAPAction()+`"`, "", badCookie)
	body := rec.Body.String()
	for _, want := range []string{
		`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"`,
		`<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">Fault occurred</soap:Text></soap:Reason>`,
		`<soap:Node>http://wsus01:8530/ClientWebService/client.asmx</soap:Node><detail><ErrorCode>InvalidCookie</ErrorCode><Message />`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("SOAP 1.2 WSUS fault lacks %s:\n%s", want, body)
		}
	}
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/soap+xml; charset=utf-8" {
		t.Errorf("SOAP 1.2 WSUS fault: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}

	rec = post(s, `application/soap+xml; action="urn:nothing"`, "", strings.Replace(soap12GetConfig, "GetConfig", "GetConfig9", 2))
	if body := rec.Body.String(); rec.Code != http.StatusInternalServerError ||
		!strings.Contains(body, `<soap:Value>soap:Sender</soap:Value>`) ||
		!strings.Contains(body, `Unable to handle request. The action 'urn:nothing' was not recognized.`) ||
		!strings.Contains(body, `<soap:Detail />`) || strings.Contains(body, "soap:Node") {
		t.Errorf("unroutable SOAP 1.2 request: %d\n%s", rec.Code, body)
	}
}

// An envelope in neither SOAP namespace gets ASMX's soap:VersionMismatch
// fault, in SOAP 1.1 (SoapServerProtocol.CheckHelperVersion, decompiled).
func TestUnknownEnvelopeNamespace(t *testing.T) {
	rec := post(newTestServer(t, "sp1-office2003", Config{}), "text/xml", wusp.OpGetConfig.QuotedSOAPAction(),
		`<e:Envelope xmlns:e="urn:soap-0.9"><e:Body><GetConfig /></e:Body></e:Envelope>`)
	body := rec.Body.String()
	if rec.Code != http.StatusInternalServerError || !strings.Contains(body, "<faultcode>soap:VersionMismatch</faultcode>") ||
		!strings.Contains(body, "Possible SOAP version mismatch: Envelope namespace urn:soap-0.9 was unexpected. Expecting http://schemas.xmlsoap.org/soap/envelope/.") {
		t.Errorf("%d %s", rec.Code, body)
	}
}
