package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
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

// A second serve on a port already taken fails at once, says why and how
// to get a free port, and leaves no output file behind: the bind comes
// before the server log and the install root are created.
func TestServePortInUseCreatesNothing(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"serve", "--addr", taken.Addr().String(),
		"--server-log", filepath.Join(dir, "SoftwareDistribution.log"), "--install-root", filepath.Join(dir, "root")}, io.Discard, &stderr)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	for _, want := range []string{"cannot listen on " + taken.Addr().String() + ": address already in use", "--addr 127.0.0.1:0"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, &stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left behind by a serve that could not bind: %v", entries)
	}
}

// --selfupdate-dir serves the user's Selfupdate folder; a file it lacks is
// a 404 whose body names the flag and the directory. A directory that is
// not there is a usage error at start, not a 404 on every scan.
func TestServeSelfUpdateDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "wuident.cab"), []byte("MSCF from the user"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, _ := startServe(t, "--selfupdate-dir", dir)
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/selfupdate/wuident.cab"); code != http.StatusOK || body != "MSCF from the user" {
		t.Errorf("wuident.cab: %d %q", code, body)
	}
	if code, body := get("/selfupdate/WSUS3/x86/Other/wsus3setup.cab"); code != http.StatusNotFound || !strings.Contains(body, "--selfupdate-dir "+dir) {
		t.Errorf("missing file: %d %q, want 404 naming --selfupdate-dir %s", code, body, dir)
	}

	var stderr bytes.Buffer
	missing := filepath.Join(dir, "nope")
	if code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--selfupdate-dir", missing}, io.Discard, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), "--selfupdate-dir: stat "+missing) {
		t.Errorf("missing directory: exit %d, want %d:\n%s", code, exitUsage, &stderr)
	}
}

// --log-format json makes serve's own log one JSON object a line, with
// the listen address as a field a log collector can read.
func TestServeLogFormatJSON(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stderr := gbytes.NewBuffer()
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, io.Discard, stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !bytes.Contains(stderr.Contents(), []byte("wsusmock listening")) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-exit; code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr.Contents())
	}
	first, _, _ := bytes.Cut(stderr.Contents(), []byte("\n"))
	var line struct{ Level, Msg, Addr, Scenario string }
	if err := json.Unmarshal(first, &line); err != nil {
		t.Fatalf("not a JSON line: %q: %v", first, err)
	}
	if line.Level != "INFO" || line.Msg != "wsusmock listening" || !strings.HasPrefix(line.Addr, "127.0.0.1:") || line.Scenario != "sp1-office2003" {
		t.Errorf("first line: %+v", line)
	}

	var out bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--log-format", "xml"}, io.Discard, &out); code != exitUsage || !strings.Contains(out.String(), "must be text or json") {
		t.Errorf("--log-format xml: exit %d: %s", code, &out)
	}
}

// serve answers /metrics with per-operation counters after a client run,
// and load reads the server's CPU and memory from it without --server-pid.
// --metrics=false turns both off.
func TestServeMetricsAndLoad(t *testing.T) {
	addr, _ := startServe(t)
	url := "http://" + addr
	if code := run(context.Background(), []string{"client", "--server", url, "--profile", "xp-sp3-office2003", "--quiet"}, io.Discard, io.Discard); code != exitCycleFailed {
		t.Fatalf("client: exit %d, want %d", code, exitCycleFailed)
	}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `wsusmock_exchanges_total{error_code="InternalServerError",injected="",operation="SyncUpdates"} 1`; !strings.Contains(string(body), want) {
		t.Errorf("/metrics lacks %q", want)
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"load", "--server", url, "--requests", "50", "--concurrency", "2"}, &out, io.Discard); code != exitOK {
		t.Fatalf("load: exit %d", code)
	}
	if !regexp.MustCompile(`server_cpu=\S+ server_cpu_per_request=\S+µs server_rss=\d+\.\dMB \(from /metrics\)`).MatchString(out.String()) {
		t.Errorf("load does not report the server's figures from /metrics:\n%s", &out)
	}

	off, _ := startServe(t, "--metrics=false")
	resp, err = http.Get("http://" + off + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("--metrics=false: /metrics answered %s, want 404", resp.Status)
	}
	out.Reset()
	if code := run(context.Background(), []string{"load", "--server", "http://" + off, "--requests", "50", "--concurrency", "2"}, &out, io.Discard); code != exitOK || strings.Contains(out.String(), "server_cpu") {
		t.Errorf("load without metrics: exit %d:\n%s", code, &out)
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

// serve --cpuprofile FILE writes a CPU profile of the serving process
// when it stops, which go tool pprof reads: a gzip'd profile. A file that
// cannot be created stops serve before it serves, with the flag named.
func TestServeCPUProfile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "serve.cpu")
	addr, stop := startServe(t, "--cpuprofile", file)
	for range 20 {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not a gzip'd profile: %v", file, err)
	}
	if n, err := io.Copy(io.Discard, zr); err != nil || n == 0 {
		t.Errorf("%s: %d bytes of profile, %v", file, n, err)
	}

	var out bytes.Buffer
	missing := filepath.Join(t.TempDir(), "no-such-dir", "serve.cpu")
	if code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--cpuprofile", missing}, io.Discard, &out); code == exitOK || !strings.Contains(out.String(), "--cpuprofile") {
		t.Errorf("an uncreatable profile file: exit %d: %s", code, &out)
	}
}
