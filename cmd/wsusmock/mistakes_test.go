package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wsustest"
)

// The mistakes a new user makes first each get their own exit status and a
// message that names the cause and the fix. None of them may look like a
// verdict about a server: an unreachable server is neither "failed" (3)
// nor "clean" (0).
func TestCommonMistakes(t *testing.T) {
	dead := httptest.NewServer(nil)
	deadURL := dead.URL
	dead.Close()

	tests := []struct {
		name     string
		args     []string
		exit     int
		stderr   []string // each must appear
		noStdout string   // must not appear on stdout
	}{
		{"client, server not running", []string{"client", "--server", deadURL, "--profile", "xp-sp3", "--quiet"},
			exitUnreachable, []string{"cannot reach " + deadURL, "connection refused", `is "wsusmock serve" running`}, "succeeded"},
		{"client, URL without a scheme", []string{"client", "--server", "127.0.0.1:8530", "--profile", "xp-sp3"},
			exitUsage, []string{"has no scheme; did you mean http://127.0.0.1:8530?"}, ""},
		{"client, not an http URL", []string{"client", "--server", "ftp://127.0.0.1:8530", "--profile", "xp-sp3"},
			exitUsage, []string{"not an http:// or https:// URL"}, ""},
		{"detect, probe of a server not running", []string{"detect", "--probe", deadURL},
			exitError, []string{"cannot reach " + deadURL, `is "wsusmock serve" running`}, "clean"},
		{"detect, probe URL without a scheme", []string{"detect", "--probe", "localhost:8530"},
			exitUsage, []string{"did you mean http://localhost:8530?"}, ""},
		{"load, server not running", []string{"load", "--server", deadURL, "--requests", "10"},
			exitUnreachable, []string{"cannot reach " + deadURL, "connection refused"}, ""},
		{"load, URL without a scheme", []string{"load", "--server", "127.0.0.1:8530"},
			exitUsage, []string{"did you mean http://127.0.0.1:8530?"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.exit {
				t.Errorf("exit %d, want %d", code, tc.exit)
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
				}
			}
			if tc.noStdout != "" && strings.Contains(stdout.String(), tc.noStdout) {
				t.Errorf("stdout says %q about a server it could not reach:\n%s", tc.noStdout, stdout.String())
			}
		})
	}
}

// An interrupted load run prints what it measured, says that it was
// interrupted and fails, so no script records partial figures as a run.
func TestLoadInterrupted(t *testing.T) {
	sc, err := scenarios.Builtin(scenarios.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wsustest.Start(sc, wsustest.Options{Config: soapserver.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel) // Ctrl-C, mid-run
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"load", "--server", srv.URL, "--op", "getconfig", "--requests", "100000000", "--concurrency", "2", "--duration", "20s"}, &stdout, &stderr)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(stderr.String(), "interrupted after") || !strings.Contains(stdout.String(), "op=GetConfig") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
}

// Every flag can come from the environment, as WSUSMOCK_ and its name;
// the command line wins, and a bad value names its variable.
func TestFlagsFromEnvironment(t *testing.T) {
	dead := httptest.NewServer(nil)
	deadURL := dead.URL
	dead.Close()

	t.Setenv("WSUSMOCK_SERVER", deadURL)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"client", "--profile", "xp-sp3", "--quiet"}, &stdout, &stderr); code != exitUnreachable || !strings.Contains(stderr.String(), deadURL) {
		t.Errorf("$WSUSMOCK_SERVER not used: exit %d, stderr %s", code, stderr.String())
	}

	stderr.Reset()
	if code := run(context.Background(), []string{"client", "--server", "localhost:1", "--profile", "xp-sp3"}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "localhost:1") {
		t.Errorf("the command line did not win over $WSUSMOCK_SERVER: exit %d, stderr %s", code, stderr.String())
	}

	t.Setenv("WSUSMOCK_TIMEOUT", "soon")
	stderr.Reset()
	if code := run(context.Background(), []string{"client", "--profile", "xp-sp3"}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), `$WSUSMOCK_TIMEOUT="soon"`) {
		t.Errorf("bad $WSUSMOCK_TIMEOUT: exit %d, stderr %s", code, stderr.String())
	}
}

// "version" names the binary's build; "healthcheck" is what the container
// image's HEALTHCHECK runs: 0 and "ok" for a live server, the unreachable
// status for a dead one.
func TestVersionAndHealthcheck(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &stdout, &stderr); code != exitOK || !strings.HasPrefix(stdout.String(), "wsusmock ") || !strings.Contains(stdout.String(), runtime.Version()) {
		t.Errorf("version: exit %d, stdout %q", code, stdout.String())
	}

	srv := wsustest.NewServer(scenarios.DefaultScenario)
	defer srv.Close()
	stdout.Reset()
	if code := run(context.Background(), []string{"healthcheck", "--server", srv.URL}, &stdout, &stderr); code != exitOK || strings.TrimSpace(stdout.String()) != "ok" {
		t.Errorf("healthcheck of a live server: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	srv.Close()
	if code := run(context.Background(), []string{"healthcheck", "--server", srv.URL}, &stdout, &stderr); code != exitUnreachable {
		t.Errorf("healthcheck of a stopped server: exit %d, want %d", code, exitUnreachable)
	}
}
