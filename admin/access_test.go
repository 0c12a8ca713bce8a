package admin_test

import (
	"net/http"
	"testing"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/internal/adminrig"
	"github.com/wsusmock/wsusmock/soapserver"
)

// A web page in the user's browser must not drive the admin API: each
// access rule refuses, says which rule it was, and the server is left as
// it was.
func TestAdminRefusesWhatABrowserPageCouldSend(t *testing.T) {
	for _, tc := range []struct {
		name         string
		method, path string
		headers      map[string]string
		body         string
		status       int
		rule         string
	}{
		{"a text/plain POST from a foreign page", "POST", "/hotfixes/KB954960",
			map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, "x", http.StatusForbidden, "cross-site"},
		{"a form POST the browser marks cross-site", "POST", "/reset",
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site"}, "a=b", http.StatusForbidden, "cross-site"},
		{"a cross-site read of the journal", "GET", "/journal",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, "", http.StatusForbidden, "cross-site"},
		{"a page whose origin is null", "POST", "/reset",
			map[string]string{"Origin": "null"}, "", http.StatusForbidden, "cross-site"},
		{"a DNS-rebound name as Host", "POST", "/hotfixes/KB954960",
			map[string]string{"Host": "evil.example:8530"}, "", http.StatusForbidden, "host"},
		{"a DNS-rebound name as Host, reading", "GET", "/server",
			map[string]string{"Host": "evil.example"}, "", http.StatusForbidden, "host"},
		{"a JSON body sent as text/plain, no Origin", "PUT", "/scenario",
			map[string]string{"Content-Type": "text/plain"}, `{"name": "sp2"}`, http.StatusUnsupportedMediaType, "content-type"},
		{"a JSON body sent without a Content-Type", "POST", "/faults",
			nil, `{"error_code": "ServerBusy"}`, http.StatusUnsupportedMediaType, "content-type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			var e admin.Error
			if st := a.Request(tc.method, tc.path, h, tc.body, &e); st != tc.status || e.Rule != tc.rule || e.Reason == "" {
				t.Fatalf("%d %+v, want %d refused by the %q rule with a reason", st, e, tc.status, tc.rule)
			}
			info := a.Control
			if got, _ := info.Info(t.Context()); got.ClientDLLVersion != "3.1.6001.65" || got.Scenario != "sp1-office2003" {
				t.Errorf("the refused request changed the server: %+v", got)
			}
			if len(a.SOAP.Faults()) != 0 {
				t.Errorf("the refused request added a fault rule: %+v", a.SOAP.Faults())
			}
		})
	}
}

// What the rules let through: the server's own page, tools that are not
// browsers, and the names a user configured.
func TestAdminAcceptsSameOriginAndConfiguredNames(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	for _, h := range []map[string]string{
		{"Origin": a.URL(), "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"},
		{"Host": "localhost", "Content-Type": "application/json; charset=utf-8"},
		{"Host": "[::1]:8530"},
	} {
		hd := http.Header{}
		for k, v := range h {
			hd.Set(k, v)
		}
		var e admin.Error
		if st := a.Request("POST", "/updates/"+office2003SP1ID+"/decline", hd, "", &e); st != http.StatusOK {
			t.Errorf("%v: %d %+v", h, st, e)
		}
	}
}
