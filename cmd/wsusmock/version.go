package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/admin"
)

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wsusmock %s %s %s/%s\n", admin.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// runHealthcheck is "wsusmock healthcheck": it asks a server's /healthz
// and exits 0 when it answers ok. It exists for container images, which
// carry no curl: HEALTHCHECK runs the binary itself.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck", "healthcheck [--server URL]", stderr)
	server := fs.String("server", defaultServerURL, "server root URL")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	var tlsf tlsFlags
	tlsf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkServerURL("--server", *server); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(*server, "/")+"/healthz", nil)
	if err != nil {
		return err
	}
	hc, err := tlsf.httpClient()
	if err != nil {
		return err
	}
	resp, err := cmp.Or(hc, http.DefaultClient).Do(req)
	if err != nil {
		return unreachableError{*server, err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s/healthz answered %s: %s", strings.TrimRight(*server, "/"), resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
	return nil
}
