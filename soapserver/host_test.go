package soapserver

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/wusp"
)

// hostileHost is a Host header net/http accepts (& and ' are allowed in a
// host name's syntax) that breaks XML when copied in unescaped.
const hostileHost = "a&b'x"

// wellFormed parses doc to its end and returns every value of the
// attribute or element named name.
func wellFormed(t *testing.T, doc []byte, name string) []string {
	t.Helper()
	var found []string
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return found
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == name {
					found = append(found, a.Value)
				}
			}
			if se.Name.Local == name {
				var text string
				if err := dec.DecodeElement(&text, &se); err != nil {
					t.Fatal(err)
				}
				found = append(found, text)
			}
		}
	}
}

// The Host header a client sent is escaped where the server reflects it:
// the WSDL's soap:address and a fault's faultactor.
func TestHostHeaderEscaped(t *testing.T) {
	srv := newTestServer(t, "sp1-office2003", Config{})
	serve := func(req *http.Request) []byte {
		req.Host = hostileHost
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Body.Bytes()
	}

	t.Run("WSDL", func(t *testing.T) {
		wsdl := serve(httptest.NewRequest(http.MethodGet, "/ClientWebService/client.asmx?wsdl", nil))
		locations := wellFormed(t, wsdl, "location")
		if len(locations) == 0 {
			t.Fatalf("no soap:address location in\n%s", wsdl)
		}
		for _, l := range locations {
			if !strings.HasPrefix(l, "http://"+hostileHost+"/") {
				t.Errorf("location %q, want it to start with http://%s/", l, hostileHost)
			}
		}
	})
	t.Run("fault", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/ClientWebService/client.asmx",
			bytes.NewReader(wusp.MarshalRequest(wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{})))
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.Header.Set("SOAPAction", wusp.OpSyncUpdates.QuotedSOAPAction())
		fault := serve(req)
		actors := wellFormed(t, fault, "faultactor")
		if len(actors) != 1 || actors[0] != "http://"+hostileHost+"/ClientWebService/client.asmx" {
			t.Errorf("faultactor %q in\n%s", actors, fault)
		}
	})
}
