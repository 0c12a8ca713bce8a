package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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
		{[]string{"decline", "8862", "--text"}, exitOK, `8862 ` + sp1 + ` "Office 2003 Service Pack 1" in All Computers: Declined (no deployment rows)`, ""},
		{[]string{"approve", "office 2003 service pack 1", "--text"}, exitOK, sp1 + ` "Office 2003 Service Pack 1" in All Computers: Approved (deployment`, ""},
		{[]string{"approve", "99999"}, exitUsage, "", "no update has revision ID 99999"},
		{[]string{"approve", "no such title"}, exitUsage, "", `no update has UpdateID, revision ID or title "no such title"`},
		{[]string{"approve", "Office 2003 Service"}, exitOK, `"title": "Office 2003 Service Pack 1"`, ""},
		{[]string{"approve", "KB950113"}, exitUsage, "", "\"KB950113\" names 2 updates"},
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
		{[]string{"server"}, exitOK, `"wsusmock_version": "`, ""},
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

// An ambiguous title is refused with the candidates, so the user can pick
// one by revision ID; nothing is changed.
func TestAdminApproveAmbiguousTitleListsCandidates(t *testing.T) {
	srv := openServer(t, "rtm-office2003")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"admin", "--server", srv.URL(), "approve", "office 2003 ("}, &stdout, &stderr); code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", code, exitUsage, &stderr)
	}
	for _, want := range []string{"name one by revision ID or UpdateID:", "\n  8873  5f936ff1-0bfb-4a63-b471-b8f5f738b78c  Security Update for Office 2003 (KB950113)",
		"\n  8874  800ffb89-827f-456d-b71a-a23d0cb1ec7f  Security Update for Office 2003 (KB950113), Word 2003 component"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, &stderr)
		}
	}
}

// "admin workaround" on RTM, where the hotfix is refused, ends the failure
// the Office 2003 client shows, and says what it changed.
func TestAdminWorkaround(t *testing.T) {
	srv := openServer(t, "rtm-office2003")
	client := func() int {
		return run(context.Background(), []string{"client", "--server", srv.URL(), "--profile", "xp-sp3-office2003", "--quiet"}, io.Discard, io.Discard)
	}
	if code := client(); code != exitCycleFailed {
		t.Fatalf("client before the workaround: exit %d, want %d", code, exitCycleFailed)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"admin", "--server", srv.URL(), "--text", "workaround"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("workaround: exit %d: %s", code, &stderr)
	}
	for _, want := range []string{
		`before:   8862 cc750251-d324-4187-8241-603a8445ad33 "Office 2003 Service Pack 1" in All Computers: Approved, 2 deployment rows (inconsistent)`,
		"\ndecline:  8862", "\napprove:  8862", "Approved (deployment ",
		`after:    8862 cc750251-d324-4187-8241-603a8445ad33 "Office 2003 Service Pack 1" in All Computers: Declined (no deployment rows)`,
		"run a client to see the effect: wsusmock client --server " + srv.URL(),
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &stdout)
		}
	}
	if code := client(); code != exitOK {
		t.Errorf("client after the workaround: exit %d, want 0", code)
	}
}

func openServer(t *testing.T, scenario string) *server.Server {
	t.Helper()
	world, err := scenarios.BuiltinWorld(scenario)
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{World: world}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}
