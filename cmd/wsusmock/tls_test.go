package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With --tls-self-signed the server writes its certificate where
// --tls-cert-out says, and every client-side command trusts it with
// --ca-cert, or skips verification only with an explicit --insecure.
// Without either, the unverifiable certificate is an unreachable server,
// never a verdict.
func TestSelfSignedServerAndTheProjectsOwnTools(t *testing.T) {
	cert := filepath.Join(t.TempDir(), "wsusmock.pem")
	addr, _ := startServe(t, "--tls-self-signed", "--tls-cert-out", cert)
	url := "https://" + addr
	if b, err := os.ReadFile(cert); err != nil || !bytes.HasPrefix(b, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Fatalf("certificate file: %q, %v", b, err)
	}

	for _, tc := range []struct {
		args []string
		exit int
		want string // on stdout or stderr
	}{
		{[]string{"client", "--server", url, "--profile", "xp-sp3", "--quiet", "--ca-cert", cert}, exitOK, "result: succeeded"},
		{[]string{"client", "--server", url, "--profile", "xp-sp3", "--quiet", "--insecure"}, exitOK, "result: succeeded"},
		{[]string{"client", "--server", url, "--profile", "xp-sp3", "--quiet"}, exitUnreachable, "the server's certificate is not trusted: give --ca-cert FILE"},
		{[]string{"client", "--server", url, "--profile", "xp-sp3", "--ca-cert", cert, "--insecure"}, exitUsage, "--ca-cert and --insecure exclude each other"},
		{[]string{"client", "--server", url, "--profile", "xp-sp3", "--ca-cert", filepath.Join(t.TempDir(), "none.pem")}, exitError, "--ca-cert: open "},
		{[]string{"admin", "--server", url, "--ca-cert", cert, "--text", "server"}, exitOK, "Windows Server Update Services 3.0 SP1"},
		{[]string{"admin", "--server", url, "--text", "server"}, exitError, "certificate"},
		{[]string{"healthcheck", "--server", url}, exitUnreachable, "the server's certificate is not trusted"},
		{[]string{"detect", "--probe", url}, exitError, "the server's certificate is not trusted"},
		{[]string{"detect", "--probe", url, "--ca-cert", cert}, exitAffected, "affected"},
		{[]string{"healthcheck", "--server", url, "--ca-cert", cert}, exitOK, "ok"},
		{[]string{"load", "--server", url, "--ca-cert", cert, "--requests", "20", "--concurrency", "2"}, exitOK, "requests"},
	} {
		t.Run(strings.Join(tc.args[:1], " ")+" "+strings.Join(tc.args[3:], " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.exit {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.exit, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String()+stderr.String(), tc.want) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tc.want, &stdout, &stderr)
			}
		})
	}
}

// --ca-cert comes from the environment as every flag does, for a CI job
// that sets it once.
func TestCACertFromEnvironment(t *testing.T) {
	cert := filepath.Join(t.TempDir(), "wsusmock.pem")
	addr, _ := startServe(t, "--tls-self-signed", "--tls-cert-out", cert)
	t.Setenv("WSUSMOCK_CA_CERT", cert)
	t.Setenv("WSUSMOCK_SERVER", "https://"+addr)
	for _, args := range [][]string{
		{"admin", "--text", "server"},
		{"client", "--profile", "xp-sp3", "--quiet"},
		{"healthcheck"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != exitOK {
			t.Errorf("%v with $WSUSMOCK_CA_CERT: exit %d: %s", args, code, &stderr)
		}
	}
}

// Without --tls-cert-out the certificate goes to the temporary directory;
// where that cannot be written, serve still serves and says why, while a
// --tls-cert-out that cannot be written is an error at start.
func TestSelfSignedCertificateDefaultPlace(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	startServe(t, "--tls-self-signed")
	if _, err := os.Stat(filepath.Join(tmp, "wsusmock-cert.pem")); err != nil {
		t.Errorf("default certificate file: %v", err)
	}

	t.Setenv("TMPDIR", filepath.Join(tmp, "missing"))
	startServe(t, "--tls-self-signed") // fails the test if serve does not start

	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--tls-self-signed", "--tls-cert-out", filepath.Join(tmp, "missing", "c.pem")}, &bytes.Buffer{}, &stderr); code != exitError ||
		!strings.Contains(stderr.String(), "--tls-cert-out: open ") {
		t.Errorf("unwritable --tls-cert-out: exit %d: %s", code, &stderr)
	}
}
