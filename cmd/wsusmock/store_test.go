package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/internal/pgtest"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/server"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wuaclient"
	"github.com/wsusmock/wsusmock/wusp"
)

// startPostgres starts a throwaway PostgreSQL cluster for one test; without
// PostgreSQL the test skips, except in CI.
func startPostgres(t *testing.T) *pgtest.Cluster {
	t.Helper()
	c, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrNotInstalled) && !pgtest.Required() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Destroy(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// openShared opens a server with the sp1-office2003 scenario.
func openShared(t *testing.T, s *server.Server) *server.Server {
	t.Helper()
	var err error
	if s.World, err = scenarios.BuiltinWorld("sp1-office2003"); err != nil {
		t.Fatal(err)
	}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// office2003 runs one detection cycle of an Office 2003 machine.
func office2003(t *testing.T, url string) *wuaclient.Result {
	t.Helper()
	p, err := wuaclient.BuiltinProfile("xp-sp3-office2003")
	if err != nil {
		t.Fatal(err)
	}
	c := &wuaclient.Client{ServerURL: url, Profile: p}
	res, err := c.Detect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func healthz(t *testing.T, s *server.Server) string {
	t.Helper()
	resp, err := http.Get(s.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: HTTP %d", resp.StatusCode)
	}
	return string(b)
}

func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
	}
}

// Two servers over one database serve one world: KB954960 installed through
// the admin API of one ends the fault on the other; a fault rule added
// through one is enforced by both; a reset through either clears them on
// both.
func TestServersWithOneStoreShareTheWorld(t *testing.T) {
	pg := startPostgres(t)
	one := openShared(t, &server.Server{Share: shareStore(pg.URL), Config: soapserver.Config{CookieKey: []byte("one key for both")}})
	two := openShared(t, &server.Server{Share: shareStore(pg.URL), Config: soapserver.Config{CookieKey: []byte("one key for both")}})

	if res := office2003(t, one.URL()); res.Succeeded || res.Fault == nil || res.Fault.Code != wusp.InternalServerError {
		t.Fatalf("before the hotfix: %s, want the InternalServerError fault", res.Summary())
	}
	adm, err := admin.NewClient(two.URL(), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := adm.InstallHotfix(ctx, "KB954960"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "server one serves KB954960", time.Second, func() bool {
		return one.SOAP.World().Build().HasHotfix(scenarios.HotfixKB954960)
	})
	if res := office2003(t, one.URL()); !res.Succeeded {
		t.Errorf("after the hotfix through server two, server one: %s", res.Summary())
	}
	if h := healthz(t, one); !strings.HasPrefix(h, "ok\nstore: connected; world version 2, scenario sp1-office2003") {
		t.Errorf("/healthz = %q", h)
	}

	rule, err := one.Control.AddFault(ctx, soapserver.FaultRule{Operation: "GetConfig", ErrorCode: wusp.InternalServerError})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "server two enforces the rule added through server one", time.Second, func() bool {
		fs := two.SOAP.Faults()
		return len(fs) == 1 && fs[0].ID == rule.ID && fs[0].Operation == "GetConfig"
	})
	if res := office2003(t, two.URL()); res.Succeeded || res.Operation != "GetConfig" {
		t.Errorf("with the GetConfig rule, server two: %s", res.Summary())
	}
	if _, err := one.Control.AddFault(ctx, soapserver.FaultRule{Operation: "NoSuchOperation"}); !errors.Is(err, &admin.Error{Code: admin.Invalid}) {
		t.Errorf("a bad rule through the store: %v, want Invalid", err)
	}
	if _, err := adm.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "server one is back on the defect, without its fault rule", time.Second, func() bool {
		return !one.SOAP.World().Build().HasHotfix(scenarios.HotfixKB954960) && len(one.SOAP.Faults()) == 0
	})
}

// A server that loses its database keeps answering from its last snapshot
// and says so in /healthz; once the database is back, so is the server.
func TestAServerThatLosesItsStoreKeepsServing(t *testing.T) {
	pg := startPostgres(t)
	s := openShared(t, &server.Server{Share: shareStore(pg.URL)})
	if _, err := s.Control.InstallHotfix(context.Background(), "KB954960"); err != nil {
		t.Fatal(err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "/healthz says stale", 10*time.Second, func() bool { return strings.HasPrefix(healthz(t, s), "stale\n") })
	if h := healthz(t, s); !strings.Contains(h, "serving world version 2, scenario sp1-office2003") {
		t.Errorf("/healthz = %q, want the version served", h)
	}
	if res := office2003(t, s.URL()); !res.Succeeded {
		t.Errorf("with the database down: %s, want the fixed snapshot's success", res.Summary())
	}
	if _, err := s.Control.Approve(context.Background(), "cc750251-d324-4187-8241-603a8445ad33", ""); err == nil {
		t.Error("an approval with the database down succeeded")
	}
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "/healthz says ok again", 10*time.Second, func() bool { return strings.HasPrefix(healthz(t, s), "ok\n") })
}
