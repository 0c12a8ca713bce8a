package soapserver

import (
	"net/http"
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
