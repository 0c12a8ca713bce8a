package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// defaultServerURL is where every client-side command looks for the server
// unless --server or $WSUSMOCK_SERVER says otherwise: serve's default
// address.
const defaultServerURL = "http://127.0.0.1:8530"

// checkServerURL refuses a server URL that is not an absolute http(s) URL
// before any request is made. "127.0.0.1:8530" parses as a URL with the
// scheme "127.0.0.1", so a missing scheme is caught here and answered with
// the URL the user most likely meant.
func checkServerURL(flagName, s string) error {
	u, err := url.Parse(s)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil
	}
	if !strings.Contains(s, "://") {
		return usageError{fmt.Sprintf("%s %q has no scheme; did you mean %s?", flagName, s, "http://"+strings.TrimPrefix(s, "//"))}
	}
	return usageError{fmt.Sprintf("%s %q: not an http:// or https:// URL", flagName, s)}
}

// unreachableError is a server that gave no HTTP reply at all. It has an
// exit status of its own, so a script never mistakes a server that is not
// running for one that failed the sync.
type unreachableError struct {
	url string
	err error
}

func (e unreachableError) Error() string {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](e.err); ok {
		return fmt.Sprintf("cannot reach %s: %v\n  the server's certificate is not trusted: give --ca-cert FILE (serve --tls-self-signed writes its certificate to --tls-cert-out) or, knowingly, --insecure", e.url, e.err)
	}
	return fmt.Sprintf("cannot reach %s: %v\n  is \"wsusmock serve\" running there? (it listens on http://127.0.0.1:8530 unless --addr says otherwise)", e.url, e.err)
}

func (e unreachableError) Unwrap() error { return e.err }

// exitUnreachable is the exit status of a client-side command whose server
// gave no reply at all.
const exitUnreachable = 4
