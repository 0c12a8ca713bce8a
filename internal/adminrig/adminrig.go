// Package adminrig is a test rig shared by the tests of admin and
// soapserver: a server assembled as `wsusmock serve` assembles it, on a free
// loopback port, with helpers that call its admin API over raw HTTP, so a
// test sees the wire (status, Content-Type, JSON), and its SOAP operations.
package adminrig

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/server"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wusp"
)

// Rig is a running server; its Server's fields and methods (URL, Control,
// SOAP, Close) are the rig's. The test's cleanup closes it.
type Rig struct {
	*server.Server
	t testing.TB
}

// Start serves a built-in scenario on a free loopback port.
func Start(t testing.TB, scenario string, cfg soapserver.Config) *Rig {
	t.Helper()
	w, err := scenarios.BuiltinWorld(scenario)
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{World: w, Config: cfg}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &Rig{Server: srv, t: t}
}

// Client is a typed admin client of the rig.
func (r *Rig) Client() *admin.Client { return &admin.Client{URL: r.URL()} }

// Admin calls the admin API with a JSON body (if not empty) and decodes
// the JSON reply into out (if not nil), returning the status. A reply that
// is not JSON fails the test.
func (r *Rig) Admin(method, path, body string, out any) int {
	r.t.Helper()
	h := http.Header{}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	return r.Request(method, path, h, body, out)
}

// Request is Admin with the caller's headers (Host among them).
func (r *Rig) Request(method, path string, h http.Header, body string, out any) int {
	r.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, r.URL()+"/__admin"+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if host := h.Get("Host"); host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		r.t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// Call performs one SOAP operation with client (nil: the default client)
// and decodes the reply into resp; the error is a *wusp.Fault for a WSUS
// fault, or the transport's error.
func (r *Rig) Call(client *http.Client, op wusp.Operation, req, resp wusp.Message) error {
	r.t.Helper()
	hr, err := http.NewRequest(http.MethodPost, r.URL()+op.Service.Path(), bytes.NewReader(wusp.MarshalRequest(op, req)))
	if err != nil {
		r.t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hr.Header.Set("SOAPAction", op.QuotedSOAPAction())
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(hr)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	return wusp.ParseResponse(b, op, resp)
}

// GetConfig is the cheapest exchange: no cookie, no client.
func (r *Rig) GetConfig() error {
	return r.Call(nil, wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}, &wusp.GetConfigResponse{})
}

// Authorize names a client by parameter, as GetAuthorizationCookie does.
func (r *Rig) Authorize(clientID string) error {
	return r.Call(nil, wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{
		ClientID: clientID, DNSName: "qa-xp01.example.test",
	}, &wusp.GetAuthorizationCookieResponse{})
}
