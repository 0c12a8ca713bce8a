package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/server"
)

// "wsusmock admin" against an in-process server: each command's exit
// status and what it prints.
func TestAdminCommand(t *testing.T) {
	world, err := scenarios.BuiltinWorld("rtm-office2003")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{World: world}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	sp1 := "cc750251-d324-4187-8241-603a8445ad33" // Office 2003 Service Pack 1

	for _, tc := range []struct {
		args     []string
		exit     int
		inStdout string
		inStderr string
	}{
		{[]string{"server"}, exitOK, `"client_dll_version": "3.0.6000.273"`, ""},
		{[]string{"--text", "server"}, exitOK, "Windows Server Update Services 3.0: VersionString 3.0.6000.273", ""},
		{[]string{"hotfix", "install", "KB954960"}, exitError, "", "409 Conflict): KB954960 cannot be installed on wsus30-rtm: the update applies to WSUS 3.0 SP1 only"},
		{[]string{"hotfix", "remove", "KB954960"}, exitError, "", "cannot be removed on its own"},
		{[]string{"hotfix", "uninstall", "KB954960"}, exitUsage, "", "unknown action"},
		{[]string{"--text", "updates"}, exitOK, "Office 2003 Service Pack 1", ""},
		{[]string{"decline", sp1, "--group", "All Computers", "--text"}, exitOK, "All Computers: Declined", ""},
		{[]string{"approve", sp1, "--text"}, exitOK, "All Computers: Approved (deployment", ""},
		{[]string{"approve"}, exitUsage, "", "missing argument"},
		{[]string{"approve", sp1, "--group", "Nowhere"}, exitError, "", "target group Nowhere does not exist"},
		{[]string{"faults", "add", `{"operation": "SyncUpdates", "nth": 2, "error_code": "ServerBusy"}`}, exitOK, `"id": "f1"`, ""},
		{[]string{"--text", "faults", "list"}, exitOK, "f1 operation=SyncUpdates error_code=ServerBusy nth=2 matched=0 hits=0", ""},
		{[]string{"faults", "add", `{"probability": 2, "error_code": "ServerBusy"}`}, exitError, "", "probability: 2 is out of range 0..1"},
		{[]string{"faults", "clear"}, exitOK, `"removed": 1`, ""},
		{[]string{"journal", "--operation", "SyncUpdates"}, exitOK, `"total": 0`, ""},
		{[]string{"scenario", "sp2", "--text"}, exitOK, "Windows Server Update Services 3.0 SP2", ""},
		{[]string{"scenario", "sp9"}, exitError, "", "404 Not Found): unknown scenario sp9"},
		{[]string{"reset", "--text"}, exitOK, "build wsus30-sp2", ""},
		{[]string{"events", "--timeout", "100ms"}, exitOK, "", ""},
		{[]string{"events", "--count", "1", "--timeout", "100ms"}, exitError, "", "0 of 1 exchanges seen before the timeout"},
		{[]string{"frobnicate"}, exitUsage, "", "unknown command"},
		{[]string{}, exitUsage, "", "a command is missing"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"admin", "--server", srv.URL()}, tc.args...)
			if code := run(context.Background(), args, &stdout, &stderr); code != tc.exit {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.exit, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tc.inStdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.inStdout, &stdout)
			}
			if !strings.Contains(stderr.String(), tc.inStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.inStderr, &stderr)
			}
			if tc.exit == exitOK && !strings.Contains(strings.Join(tc.args, " "), "--text") && stdout.Len() > 0 && !json.Valid(stdout.Bytes()) {
				t.Errorf("JSON output is not JSON:\n%s", &stdout)
			}
		})
	}
}
