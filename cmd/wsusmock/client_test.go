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
