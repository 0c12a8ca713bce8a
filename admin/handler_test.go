package admin_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/internal/adminrig"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
)

func TestAdminServerInfoAndHotfix(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})

	var info admin.ServerInfo
	if st := a.Admin("GET", "/server", "", &info); st != http.StatusOK {
		t.Fatalf("GET /server: %d", st)
	}
	want := admin.ServerInfo{
		Product: "Windows Server Update Services 3.0 SP1", Version: "3.1.6001.65",
		VersionStringRegistryKey: `HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup\VersionString`,
		ClientDLLVersion:         "3.1.6001.65", ProtocolVersion: "3.1", Scenario: "sp1-office2003",
		Build: "wsus30-sp1", Hotfixes: []string{}, FaultStatus: 200,
		WsusmockVersion: admin.Version(),
	}
	if info.WsusmockVersion == "" {
		t.Error("GET /server names no wsusmock version")
	}
	if !equalJSON(info, want) {
		t.Errorf("GET /server = %+v, want %+v", info, want)
	}

	var res admin.HotfixResult
	if st := a.Admin("POST", "/hotfixes/KB954960", "", &res); st != http.StatusOK || !res.Changed {
		t.Fatalf("install: %d %+v", st, res)
	}
	if res.Server.ClientDLLVersion != "3.1.6001.66" || res.Server.Version != "3.1.6001.65" {
		t.Errorf("after install: Client.dll %s, VersionString %s; want 3.1.6001.66 and an unchanged 3.1.6001.65",
			res.Server.ClientDLLVersion, res.Server.Version)
	}
	if st := a.Admin("POST", "/hotfixes/kb954960", "", &res); st != http.StatusOK || res.Changed {
		t.Errorf("second install: %d changed=%v, want 200 and no change", st, res.Changed)
	}

	var e admin.Error
	if st := a.Admin("DELETE", "/hotfixes/KB954960", "", &e); st != http.StatusMethodNotAllowed || !strings.Contains(e.Reason, "cannot be removed on its own") {
		t.Errorf("DELETE: %d %+v", st, e)
	}
	if st := a.Admin("POST", "/hotfixes/KB123456", "", &e); st != http.StatusNotFound {
		t.Errorf("unknown KB: %d %+v", st, e)
	}
}

func TestAdminHotfixRefusedWhereItDoesNotApply(t *testing.T) {
	for scenario, reason := range map[string]string{
		"rtm-office2003": "apply the workaround",
		"sp2":            "not applicable",
	} {
		t.Run(scenario, func(t *testing.T) {
			a := adminrig.Start(t, scenario, soapserver.Config{})
			var e admin.Error
			if st := a.Admin("POST", "/hotfixes/KB954960", "", &e); st != http.StatusConflict || !strings.Contains(e.Reason, reason) {
				t.Errorf("install on %s: %d %+v, want 409 with %q", scenario, st, e, reason)
			}
		})
	}
}

// office2003SP1 is the UpdateID of "Office 2003 Service Pack 1", revision
// 8862, the revision with two deployment rows.
func office2003SP1(t *testing.T, a *adminrig.Rig) admin.CatalogUpdate {
	t.Helper()
	var list struct{ Updates []admin.CatalogUpdate }
	if st := a.Admin("GET", "/updates", "", &list); st != http.StatusOK {
		t.Fatalf("GET /updates: %d", st)
	}
	for _, u := range list.Updates {
		if u.Title == "Office 2003 Service Pack 1" {
			return u
		}
	}
	t.Fatal("no Office 2003 Service Pack 1 in the catalog")
	return admin.CatalogUpdate{}
}

func TestAdminWorkaroundLeavesApprovalsConsistent(t *testing.T) {
	a := adminrig.Start(t, "rtm-office2003", soapserver.Config{})
	u := office2003SP1(t, a)
	if all := u.Approvals[0]; all.Group != "All Computers" || !all.Inconsistent || len(all.Deployments) != 2 {
		t.Fatalf("before: %+v, want two rows in All Computers", all)
	}
	lastChange := a.SOAP.World().LastChange()

	var got admin.ApprovalResult
	for _, step := range []struct{ action, state string }{
		{"decline", "Declined"}, {"approve", "Approved"}, {"decline", "Declined"},
	} {
		if st := a.Admin("POST", "/updates/"+u.UpdateID+"/"+step.action, `{"group": "All Computers"}`, &got); st != http.StatusOK {
			t.Fatalf("%s: %d", step.action, st)
		}
		if s := got.Update.Approvals[0]; s.State != step.state || s.Inconsistent {
			t.Errorf("after %s: %+v", step.action, s)
		}
	}
	if !a.SOAP.World().LastChange().Equal(lastChange) {
		t.Error("approvals changed the configuration's LastChange; WSUS changed only deployment rows")
	}

	var e admin.Error
	if st := a.Admin("POST", "/updates/00000000-0000-0000-0000-000000000000/approve", "", &e); st != http.StatusNotFound {
		t.Errorf("unknown update: %d %+v", st, e)
	}
	if st := a.Admin("POST", "/updates/"+u.UpdateID+"/approve", `{"group":"Nowhere"}`, &e); st != http.StatusNotFound || e.Field != "group" {
		t.Errorf("unknown group: %d %+v", st, e)
	}
	if st := a.Admin("POST", "/updates/"+u.UpdateID+"/approve", `{"grop":"x"}`, &e); st != http.StatusBadRequest || !strings.Contains(e.Reason, `unknown field "grop"`) {
		t.Errorf("misspelt field: %d %+v", st, e)
	}
	if st := a.Admin("POST", "/updates/"+u.UpdateID+"/approve", `{"group":`, &e); st != http.StatusBadRequest || e.Reason == "" {
		t.Errorf("truncated JSON: %d %+v", st, e)
	}
	if st := a.Admin("POST", "/updates/"+u.UpdateID+"/approve", `{"group": 7}`, &e); st != http.StatusBadRequest || !strings.Contains(e.Reason, "group") {
		t.Errorf("wrong type: %d %+v", st, e)
	}
	if st := a.Admin("GET", "/updates/"+u.UpdateID+"/approve", "", &e); st != http.StatusMethodNotAllowed {
		t.Errorf("GET approve: %d", st)
	}
}

func TestAdminScenarioSwitchAndReset(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	var info admin.ServerInfo
	if st := a.Admin("PUT", "/scenario", `{"name": "sp2"}`, &info); st != http.StatusOK || info.Build != "wsus30-sp2" {
		t.Fatalf("switch to sp2: %d %+v", st, info)
	}
	var e admin.Error
	if st := a.Admin("PUT", "/scenario", `{"name": "sp9"}`, &e); st != http.StatusNotFound || !strings.Contains(e.Reason, "sp1-office2003") {
		t.Errorf("unknown scenario: %d %+v", st, e)
	}
	if st := a.Admin("PUT", "/scenario", `{}`, &e); st != http.StatusBadRequest || e.Field != "name" {
		t.Errorf("no name: %d %+v", st, e)
	}

	// Reset returns to the selected scenario's initial state, and clears
	// fault rules and the journal.
	a.Admin("PUT", "/scenario", `{"name": "sp1-office2003"}`, nil)
	a.Admin("POST", "/hotfixes/KB954960", "", nil)
	a.Admin("POST", "/faults", `{"error_code": "ServerBusy"}`, nil)
	a.GetConfig()
	if st := a.Admin("POST", "/reset", "", &info); st != http.StatusOK || info.ClientDLLVersion != "3.1.6001.65" {
		t.Errorf("reset: %d %+v", st, info)
	}
	if got := a.SOAP.Faults(); len(got) != 0 {
		t.Errorf("rules after reset: %+v", got)
	}
	if p := a.SOAP.Journal(soapserver.JournalFilter{}); p.Total != 0 || len(p.Entries) != 0 {
		t.Errorf("journal after reset: %+v", p)
	}
	if err := a.GetConfig(); err != nil {
		t.Errorf("GetConfig after reset: %v", err)
	}
}

func TestAdminUnknownResource(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	var e admin.Error
	if st := a.Admin("GET", "/nothing", "", &e); st != http.StatusNotFound || e.Message == "" || e.Reason == "" {
		t.Errorf("GET /__admin/nothing: %d %+v", st, e)
	}
	// The wire names of a refusal, as clients in any language read them.
	var raw map[string]string
	a.Admin("GET", "/nothing", "", &raw)
	for _, key := range []string{"code", "error", "reason"} {
		if raw[key] == "" {
			t.Errorf("refusal without %q: %v", key, raw)
		}
	}
	if st := a.Admin("PATCH", "/server", "", &e); st != http.StatusMethodNotAllowed || e.Reason != "allowed: GET" {
		t.Errorf("PATCH /server: %d %+v", st, e)
	}
}

// fromPeer makes every request look as if it came from addr.
func fromPeer(addr string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.RemoteAddr = addr
		h.ServeHTTP(w, r)
	})
}

func TestAdminAccess(t *testing.T) {
	for _, tc := range []struct {
		name, peer, token, bearer string
		want                      int
	}{
		{"loopback, no token configured", "127.0.0.1:50000", "", "", http.StatusOK},
		{"IPv6 loopback", "[::1]:50000", "", "", http.StatusOK},
		{"another host, no token configured", "192.0.2.7:50000", "", "", http.StatusForbidden},
		{"another host presenting a token nobody configured", "192.0.2.7:50000", "", "s3cret", http.StatusForbidden},
		{"another host with the token", "192.0.2.7:50000", "s3cret", "s3cret", http.StatusOK},
		{"another host with a wrong token", "192.0.2.7:50000", "s3cret", "guess", http.StatusUnauthorized},
		{"loopback must present a configured token too", "127.0.0.1:50000", "s3cret", "", http.StatusUnauthorized},
		{"loopback with the token", "127.0.0.1:50000", "s3cret", "s3cret", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := scenarios.BuiltinWorld("sp1-office2003")
			srv, err := soapserver.New(w, soapserver.Config{})
			if err != nil {
				t.Fatal(err)
			}
			h := admin.NewHandler(admin.NewController(srv, nil), admin.Access{Token: tc.token})
			ts := httptest.NewServer(fromPeer(tc.peer, h))
			defer ts.Close()
			req, _ := http.NewRequest("GET", ts.URL+"/__admin/server", nil)
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e admin.Error
			_ = json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d (%+v)", resp.StatusCode, tc.want, e)
			}
			if tc.want != http.StatusOK && (e.Message == "" || e.Reason == "" || e.Rule == "") {
				t.Errorf("refusal without error, reason and rule: %+v", e)
			}
		})
	}
}

// equalJSON compares two values by their JSON encoding.
func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
