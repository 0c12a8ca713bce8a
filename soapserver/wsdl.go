package soapserver

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/wsusmock/wsusmock/fixtures"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wusp"
)

// wsdlAddress is the soap:address written in the WSDL fixtures. ASMX wrote
// the address the request came in on, so it is replaced per request.
const wsdlAddress = "http://localhost:8530"

// serveGet answers GET on an endpoint: "?wsdl" (any case) gives the
// service's WSDL; anything else a short service page, as ASMX did.
func (s *Server) serveGet(w http.ResponseWriter, r *http.Request, snap *snapshot, ep endpoint) {
	if !isWSDLQuery(r.URL.RawQuery) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<html><body><h1>"+ep.service.String()+" Web Service</h1>"+
			`<p>The service description is at <a href="?WSDL">?WSDL</a>.</p></body></html>`+"\n")
		return
	}
	raw, err := fixtures.FS.ReadFile("wsdl/" + wsdlFile(ep, snap.build))
	if err != nil {
		http.Error(w, "WSDL missing from this build: "+err.Error(), http.StatusInternalServerError)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// The Host header is the client's: net/http lets characters such as
	// & and ' through, and the address lands in an XML attribute.
	var address bytes.Buffer
	_ = xml.EscapeText(&address, []byte(scheme+"://"+r.Host))
	body := bytes.ReplaceAll(raw, []byte(wsdlAddress), address.Bytes())
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// wsdlFile is the WSDL of the endpoint as the build describes it: a 3.2
// server's Client service has StartCategoryScan and the 3.2 SyncUpdates
// elements (MS-WUSP §2.2.2.2.4, §2.2.2.2.8), which a 3.0 or 3.1 server's
// WSDL does not list.
func wsdlFile(ep endpoint, b scenarios.Build) string {
	if ep.service == wusp.ClientService && b.Serves(wusp.OpStartCategoryScan) {
		return "Client32.wsdl"
	}
	return ep.wsdl
}

func isWSDLQuery(q string) bool { return strings.EqualFold(q, "wsdl") }
