package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wsustest"
	"github.com/wsusmock/wsusmock/wuaclient"
)

// "wsusmock client" against the default scenario served with
// --fault-status 500: the Office 2003 profile fails with exit status 3, the
// plain XP profile succeeds; the log file gets CRLF lines. The summary
// names the status on the wire, the log the one WUA 7.x logs for a SOAP
// fault, 200.
func TestClientCommand(t *testing.T) {
	sc, err := scenarios.Builtin(scenarios.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wsustest.Start(sc, wsustest.Options{Config: soapserver.Config{FaultStatus: 500}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	logFile := filepath.Join(t.TempDir(), "WindowsUpdate.log")

	tests := []struct {
		args     []string
		exit     int
		summary  string
		inStdout string
	}{
		{[]string{"--profile", "xp-sp3-office2003", "--log", logFile}, exitCycleFailed,
			"result: failed hresult=0x8024400E fault=InternalServerError id=", "http_status=500"},
		{[]string{"--profile", "xp-sp3", "--quiet"}, exitOK, "result: succeeded needed=2 round_trips=4", ""},
		{[]string{"--profile", "xp-sp3-office2003", "--lang", "nl"}, exitCycleFailed, "result: failed", "PT: Serverupdates worden gesynchroniseerd"},
		{[]string{"--profile", "no-such-profile"}, exitUsage, "", ""},
		{[]string{"--profile", "xp-sp3", "--lang", "fr"}, exitUsage, "", ""},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"client", "--server", srv.URL}, tc.args...), &stdout, &stderr)
			if code != tc.exit {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.exit, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if last := lines[len(lines)-1]; tc.summary != "" && !strings.HasPrefix(last, tc.summary) {
				t.Errorf("last line %q, want prefix %q", last, tc.summary)
			}
			if !strings.Contains(stdout.String(), tc.inStdout) || strings.Contains(stdout.String(), "\r") {
				t.Errorf("stdout lacks %q or has CR:\n%s", tc.inStdout, stdout.String())
			}
		})
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "soap error code = 400, HTTP status code = 200\r\n") {
		t.Errorf("log file lacks the CRLF fault line:\n%q", b)
	}
}

// "--name" makes a run another machine: two participants running the same
// profile under their own names are two clients in the server's journal,
// and "--client-id" that is no GUID is refused before any request.
func TestClientCommandNamesTheMachine(t *testing.T) {
	srv := wsustest.NewServer(scenarios.DefaultScenario)
	defer srv.Close()
	for _, name := range []string{"pc-anna", "pc-bert"} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"client", "--server", srv.URL, "--profile", "xp-sp3-office2003", "--quiet", "--name", name}, &stdout, &stderr); code != exitCycleFailed {
			t.Fatalf("%s: exit %d; stderr: %s", name, code, stderr.String())
		}
		id := wuaclient.ClientIDFromName(name)
		if page := srv.Journal(soapserver.JournalFilter{ClientID: id, Fault: "InternalServerError"}); len(page.Entries) != 1 {
			t.Errorf("%s: the journal holds %d InternalServerError faults for client %s, want 1", name, len(page.Entries), id)
		}
	}

	const explicit = "6f1b3a52-2c1d-4e8f-9a0b-1c2d3e4f5a6b"
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"client", "--server", srv.URL, "--profile", "xp-sp3", "--quiet", "--name", "pc-carl", "--client-id", explicit}, &stdout, &stderr)
	if page := srv.Journal(soapserver.JournalFilter{ClientID: explicit}); len(page.Entries) == 0 {
		t.Errorf("--client-id %s was not sent", explicit)
	}

	stderr.Reset()
	code := run(context.Background(), []string{"client", "--server", srv.URL, "--profile", "xp-sp3", "--client-id", "pc-anna"}, &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), `--client-id: client ID "pc-anna" is not a GUID`) {
		t.Errorf("exit %d, stderr %q; want a usage error naming the bad GUID", code, stderr.String())
	}
}
