package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/fleet"
	"github.com/wsusmock/wsusmock/wsustest"
)

// "wsusmock fleet" prints the summary table, progress lines on a stderr
// that is no terminal, and writes the logs and ground truth under --dir.
func TestFleetCommand(t *testing.T) {
	srv := wsustest.NewServer("sp1-office2003")
	defer srv.Close()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"fleet", "--server", srv.URL, "--clients", "20", "--dir", dir,
		"--progress-every", "1ms"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d; stderr: %s", code, stderr.String())
	}
	expectOutput(t, stdout.String(),
		"fleet: 20 of 20 machines against "+srv.URL+" (mix xp-sp3-office2003=30,xp-sp3=70)",
		"xp-sp3-office2003  6         0          6       6 ",
		"xp-sp3             14        14         0       0 ",
		"total              20        14         6       6 ",
		"error codes: InternalServerError 6",
		"ground truth: "+filepath.Join(dir, "ground-truth.json"))
	if !strings.Contains(stderr.String(), "/20 done") {
		t.Errorf("no progress lines on stderr: %q", stderr.String())
	}
	gt, err := fleet.ReadGroundTruth(filepath.Join(dir, "ground-truth.json"))
	if err != nil || len(gt.Machines) != 20 {
		t.Fatalf("ground truth: %v", err)
	}
}

func TestFleetCommandJSON(t *testing.T) {
	srv := wsustest.NewServer("sp1-office2003")
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"fleet", "--server", srv.URL, "--clients", "10", "--mix", "xp-sp3-office2003", "--json", "--progress-every", "0"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d; stderr: %s", code, stderr.String())
	}
	var sum struct {
		Machines, Affected int
		ByErrorCode        map[string]int `json:"by_error_code"`
		Elapsed            float64        `json:"elapsed_seconds"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("%v:\n%s", err, stdout.String())
	}
	if sum.Machines != 10 || sum.Affected != 10 || sum.ByErrorCode["InternalServerError"] != 10 || sum.Elapsed <= 0 {
		t.Errorf("summary %+v", sum)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %q", stderr.String())
	}
}

// Ctrl-C (a cancelled context) stops the fleet with a partial summary and
// exit status 1.
func TestFleetCommandInterrupted(t *testing.T) {
	srv := wsustest.NewServer("sp1-office2003")
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"fleet", "--server", srv.URL, "--clients", "1000"}, &stdout, &stderr)
	if code != exitError || !strings.Contains(stdout.String(), "(interrupted)") ||
		!strings.Contains(stderr.String(), "fleet: interrupted: 0 of 1000 machines ran") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
}

func TestFleetCommandMistakes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close()
	tests := []struct {
		args []string
		exit int
		want string
	}{
		{[]string{"--server", down, "--clients", "50", "--concurrency", "2"}, exitUnreachable, "cannot reach " + down},
		{[]string{"--mix", "xp-sp3=70,office"}, exitUsage, `fleet: --mix: mix entry 2 "office": no weight`},
		{[]string{"--mix", "xp-sp4=1"}, exitUsage, `fleet: --mix: unknown profile "xp-sp4"`},
		{[]string{"--clients", "0"}, exitUsage, "fleet: --clients 0: give 1 to"},
		{[]string{"--server", "127.0.0.1:8530"}, exitUsage, "has no scheme"},
		{[]string{"--host-prefix", "a/b"}, exitUsage, `fleet: --host-prefix: host prefix "a/b"`},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"fleet", "--progress-every", "0"}, tc.args...), &stdout, &stderr)
		if code != tc.exit || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("fleet %v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr.String(), tc.exit, tc.want)
		}
	}
}
