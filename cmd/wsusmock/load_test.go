package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
)

func newLoadServer(t *testing.T, scenario string) *httptest.Server {
	t.Helper()
	sc, err := scenarios.Builtin(scenario)
	if err != nil {
		t.Fatal(err)
	}
	world, err := scenarios.NewWorld(sc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := soapserver.New(world, soapserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return hs
}

// A load run goes to the floor with a request prepared against a real
// server, and to the server itself; each reports every request answered.
func TestLoadAgainstFloorAndServer(t *testing.T) {
	affected, fixed := newLoadServer(t, "sp1-office2003"), newLoadServer(t, "sp1-kb954960")
	floor := httptest.NewServer(soapserver.Floor([]byte("<soap:Envelope/>")))
	t.Cleanup(floor.Close)
	for _, tt := range []struct {
		name   string
		args   []string
		wantOp string
	}{
		{"the floor, with the WUA-shaped request", []string{"--server", floor.URL, "--prepare-server", affected.URL, "--op", "syncupdates-wua"}, "op=SyncUpdates"},
		{"the KB954960 fault", []string{"--server", affected.URL, "--op", "syncupdates-wua"}, "op=SyncUpdates"},
		{"the fragments of the offered updates", []string{"--server", fixed.URL, "--op", "getextendedupdateinfo"}, "op=GetExtendedUpdateInfo"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"load", "--requests", "40", "--concurrency", "4"}, tt.args...)
			if code := run(context.Background(), args, &out, &errOut); code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			if !strings.Contains(out.String(), tt.wantOp+" requests=40 errors=0") {
				t.Errorf("load said %q, want %s with 40 requests and no errors", out.String(), tt.wantOp)
			}
		})
	}
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"load", "--server", affected.URL, "--op", "getextendedupdateinfo", "--requests", "1"}, new(bytes.Buffer), &errOut); code != exitError ||
		!strings.Contains(errOut.String(), "needs a scenario that offers updates") {
		t.Errorf("getextendedupdateinfo on an affected server: exit %d, %q; want the reason", code, errOut.String())
	}
}
