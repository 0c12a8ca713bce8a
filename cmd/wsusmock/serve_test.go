package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onsi/gomega/gbytes"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/installroot"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
)

func newInstallRootServer(t *testing.T, dir string, log *bytes.Buffer) *admin.Controller {
	t.Helper()
	world, err := scenarios.BuiltinWorld("sp1-office2003")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(log, nil))
	server, err := soapserver.New(world, soapserver.Config{OnChange: installRootWriter(dir, logger)})
	if err != nil {
		t.Fatal(err)
	}
	return admin.NewController(server, nil)
}

// --install-root follows the server: 3.1.6001.65 at start, 3.1.6001.66 once
// KB954960 is in, and back after a reset.
func TestInstallRootFollowsServer(t *testing.T) {
	dir := t.TempDir()
	var log bytes.Buffer
	server := newInstallRootServer(t, dir, &log)
	dll := filepath.Join(dir, installroot.ClientDLLPath)
	version := func() string {
		t.Helper()
		vi, err := installroot.ReadVersionInfo(dll)
		if err != nil {
			t.Fatal(err)
		}
		return vi.FileVersion
	}
	if v := version(); v != "3.1.6001.65" {
		t.Errorf("at start: %s, want 3.1.6001.65", v)
	}
	if _, err := server.InstallHotfix(t.Context(), "KB954960"); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != "3.1.6001.66" {
		t.Errorf("after KB954960: %s, want 3.1.6001.66", v)
	}
	reg, err := os.ReadFile(filepath.Join(dir, installroot.RegistryFile))
	if err != nil || !strings.Contains(string(reg), `"VersionString"="3.1.6001.65"`) {
		t.Errorf("registry.reg after KB954960 (VersionString unchanged): %q, %v", reg, err)
	}
	if _, err := server.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != "3.1.6001.65" {
		t.Errorf("after reset: %s, want 3.1.6001.65", v)
	}
	if n := strings.Count(log.String(), "install root written"); n != 3 {
		t.Errorf("%d writes logged, want 3:\n%s", n, log.String())
	}
}

// A failed write is logged and the server goes on.
func TestInstallRootWriteFailureIsLogged(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	server := newInstallRootServer(t, filepath.Join(blocker, "root"), &log)
	if _, err := server.InstallHotfix(t.Context(), "KB954960"); err != nil {
		t.Fatal(err)
	}
	if got, _ := server.Info(t.Context()); got.ClientDLLVersion != "3.1.6001.66" {
		t.Errorf("server: %s, want 3.1.6001.66", got.ClientDLLVersion)
	}
	if n := strings.Count(log.String(), "level=ERROR msg=\"install root\""); n != 2 {
		t.Errorf("%d errors logged, want 2 (start, hotfix):\n%s", n, log.String())
	}
}

// startServe runs "wsusmock serve ARGS" in process on a free port and
// returns its address and a stop function that interrupts it, as SIGTERM
// does, and returns the exit code.
func startServe(t *testing.T, args ...string) (addr string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := gbytes.NewBuffer() // safe to read while serve writes
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), io.Discard, stderr)
	}()
	addrRe := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := addrRe.FindSubmatch(stderr.Contents()); m != nil {
			addr = string(m[1])
			break
		}
		select {
		case code := <-exit:
			cancel()
			t.Fatalf("serve exited %d:\n%s", code, stderr.Contents())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s", stderr.Contents())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var once sync.Once
	code := -1
	stop = func() int {
		once.Do(func() { cancel(); code = <-exit })
		return code
	}
	t.Cleanup(func() { stop() })
	return addr, stop
}

// SIGTERM ends serve with exit 0 within a second, although one client is
// half-way through a slow body and an event-stream reader never reads.
func TestServeShutsDownWithStuckPeers(t *testing.T) {
	addr, stop := startServe(t)
	for _, req := range []string{
		"POST /ClientWebService/client.asmx HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: 500\r\n\r\n" + strings.Repeat(" ", 100),
		"GET /__admin/events HTTP/1.1\r\nHost: " + addr + "\r\n\r\n",
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond) // both requests are being served
	start := time.Now()
	if code := stop(); code != exitOK {
		t.Errorf("exit %d, want 0", code)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("shutdown took %v, want under a second", took)
	}
}

// The admin token can come from a file, so that it is not in ps; the
// admin API then demands it.
func TestServeAdminTokenFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, _ := startServe(t, "--admin-token-file", file, "--admin-host", "wsus01.example.test")
	for _, tc := range []struct {
		token, host string
		want        int
	}{
		{"", addr, http.StatusUnauthorized},
		{"s3cret", addr, http.StatusOK},
		{"s3cret", "wsus01.example.test:8530", http.StatusOK},
		{"s3cret", "evil.example", http.StatusForbidden},
	} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/__admin/server", nil)
		req.Host = tc.host
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("token %q, Host %s: %d, want %d", tc.token, tc.host, resp.StatusCode, tc.want)
		}
	}

	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--admin-token", "x", "--admin-token-file", file}, io.Discard, &stderr); code != exitUsage {
		t.Errorf("both token flags: exit %d, want %d (%s)", code, exitUsage, &stderr)
	}
}

// A server whose --store cannot be reached does not start, and says which
// database it could not reach without showing the password.
func TestServeWithUnreachableStoreDoesNotStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--store", "postgres://wsusmock:secret@" + addr + "/susdb?connect_timeout=2"}, io.Discard, &stderr)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	msg := stderr.String()
	if !strings.Contains(msg, "store: 127.0.0.1:") || !strings.Contains(msg, "/susdb") {
		t.Errorf("stderr does not name the database: %s", msg)
	}
	if strings.Contains(msg, "secret") {
		t.Errorf("stderr shows the password: %s", msg)
	}
}
