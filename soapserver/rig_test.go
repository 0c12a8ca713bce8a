package soapserver_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/server"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wusp"
)

// adminRig is a soapserver.Server behind httptest, assembled with the admin
// API as wsusmock serves it, with helpers to call its admin API and its SOAP
// operations.
type adminRig struct {
	t   *testing.T
	srv *soapserver.Server
	ts  *httptest.Server
}

// startAdminRig serves a built-in scenario on a loopback port.
func startAdminRig(t *testing.T, scenario string, cfg soapserver.Config) *adminRig {
	t.Helper()
	w, err := scenarios.BuiltinWorld(scenario)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := soapserver.New(w, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctl := admin.NewController(srv, cfg.Now)
	ts := httptest.NewServer(server.Handler(srv, admin.NewHandler(ctl, admin.Access{})))
	t.Cleanup(func() { srv.Close(); ts.Close() })
	return &adminRig{t: t, srv: srv, ts: ts}
}

// admin calls the admin API and decodes a JSON reply into out (if not nil),
// returning the status.
func (a *adminRig) admin(method, path, body string, out any) int {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.ts.URL+"/__admin"+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.ts.Client().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		a.t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// adminError is every admin refusal, as the admin API sends it.
type adminError = admin.Error

// soap performs one operation and decodes the reply into resp; the error is
// a *wusp.Fault for a WSUS fault, or the transport's error.
func (a *adminRig) soap(client *http.Client, op wusp.Operation, req, resp wusp.Message) error {
	a.t.Helper()
	hr, err := http.NewRequest(http.MethodPost, a.ts.URL+op.Service.Path(), bytes.NewReader(wusp.MarshalRequest(op, req)))
	if err != nil {
		a.t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hr.Header.Set("SOAPAction", op.QuotedSOAPAction())
	if client == nil {
		client = a.ts.Client()
	}
	r, err := client.Do(hr)
	if err != nil {
		return err
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return wusp.ParseResponse(b, op, resp)
}

// getConfig is the cheapest exchange: no cookie, no client.
func (a *adminRig) getConfig() error {
	return a.soap(nil, wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}, &wusp.GetConfigResponse{})
}

// authorize names a client by parameter, as GetAuthorizationCookie does.
func (a *adminRig) authorize(clientID string) error {
	return a.soap(nil, wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{
		ClientID: clientID, DNSName: "qa-xp01.example.test",
	}, &wusp.GetAuthorizationCookieResponse{})
}

func faultCode(err error) wusp.ErrorCode {
	var f *wusp.Fault
	if errors.As(err, &f) {
		return f.Code
	}
	return ""
}

// equalJSON compares two values by their JSON encoding.
func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
