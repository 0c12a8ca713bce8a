package detect_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/detect"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wsustest"
	"github.com/wsusmock/wsusmock/wuaclient"
)

// startServer serves a built-in scenario with the test kit and returns its
// URL and the SoftwareDistribution.log it writes.
func startServer(t *testing.T, scenario string) (string, func() []byte) {
	t.Helper()
	srv := wsustest.NewServer(scenario)
	t.Cleanup(srv.Close)
	return srv.URL + "/", func() []byte { return []byte(srv.ServerLog()) }
}

func TestProbe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("default scenario", func(t *testing.T) {
		url, serverLog := startServer(t, scenarios.DefaultScenario)
		rep, err := detect.Probe(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != detect.VerdictAffected || rep.Name != "probe "+url {
			t.Fatalf("%s: %s (%s), notes %q", rep.Name, rep.Verdict, rep.Summary, rep.Notes)
		}
		srep := analyze(t, "SoftwareDistribution.log", serverLog())
		if srep.Verdict != detect.VerdictAffected {
			t.Fatalf("server log: %s (%s)", srep.Verdict, srep.Summary)
		}
		reports := []detect.Report{rep, srep}
		detect.Correlate(reports)
		if len(reports[0].Correlations) != 1 || reports[0].UnmatchedFaultIDs != nil {
			t.Errorf("probe and server log do not share the fault ID: %v vs %v", rep.FaultIDs(), srep.FaultIDs())
		}
	})
	t.Run("fixed server", func(t *testing.T) {
		url, _ := startServer(t, "sp1-kb954960")
		rep, err := detect.Probe(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != detect.VerdictClean {
			t.Fatalf("%s (%s), notes %q", rep.Verdict, rep.Summary, rep.Notes)
		}
	})
	t.Run("client without Office, Dutch log", func(t *testing.T) {
		url, _ := startServer(t, scenarios.DefaultScenario)
		p, err := wuaclient.BuiltinProfile("xp-sp3")
		if err != nil {
			t.Fatal(err)
		}
		rep, err := detect.ProbeWith(ctx, &wuaclient.Client{ServerURL: url, Profile: p, Lang: wsuslog.LangDutch})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != detect.VerdictClean {
			t.Fatalf("%s (%s), notes %q", rep.Verdict, rep.Summary, rep.Notes)
		}
	})
	t.Run("Office 2003, Dutch log", func(t *testing.T) {
		url, _ := startServer(t, scenarios.DefaultScenario)
		p, err := wuaclient.BuiltinProfile(detect.ProbeProfile)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := detect.ProbeWith(ctx, &wuaclient.Client{ServerURL: url, Profile: p, Lang: wsuslog.LangDutch})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != detect.VerdictAffected {
			t.Fatalf("%s (%s), notes %q", rep.Verdict, rep.Summary, rep.Notes)
		}
	})
	// A server that gives no reply at all is an error: the probe could not
	// run. It is never a verdict, least of all "clean".
	t.Run("no server", func(t *testing.T) {
		hs := httptest.NewServer(nil)
		url := hs.URL + "/"
		hs.Close()
		rep, err := detect.Probe(ctx, url)
		var ue *detect.UnreachableError
		if !errors.As(err, &ue) {
			t.Fatalf("unreachable server: verdict %q, error %v; want an UnreachableError", rep.Verdict, err)
		}
		if !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), url) {
			t.Errorf("error does not name the URL and the cause: %v", err)
		}
	})
	// A server that answers the sync with a bare HTTP error showed no
	// fault, but the scan never ran to its end: incomplete, not clean.
	t.Run("HTTP error without a SOAP fault", func(t *testing.T) {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		}))
		defer hs.Close()
		rep, err := detect.Probe(ctx, hs.URL+"/")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != detect.VerdictIncomplete {
			t.Fatalf("503 server reported %s, want incomplete: %s", rep.Verdict, rep.Summary)
		}
	})
}
