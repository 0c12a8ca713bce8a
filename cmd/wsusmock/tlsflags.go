package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"net/http"
	"os"
)

// tlsFlags are --ca-cert and --insecure, which every client-side command
// takes, so that it can talk to "serve --tls-self-signed" (whose
// certificate --tls-cert-out writes) or to a server behind a private CA.
type tlsFlags struct {
	caCert   string
	insecure bool
}

func (t *tlsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.caCert, "ca-cert", t.caCert, "trust the server certificates this PEM file signs or holds (e.g. the one serve --tls-self-signed writes with --tls-cert-out), besides the system's")
	fs.BoolVar(&t.insecure, "insecure", t.insecure, "do not verify the server's TLS certificate (anyone on the path can then read and change the exchange)")
}

// config is the TLS client configuration the flags ask for; nil means
// Go's default (the system's roots).
func (t tlsFlags) config() (*tls.Config, error) {
	switch {
	case t.caCert != "" && t.insecure:
		return nil, usageError{"--ca-cert and --insecure exclude each other"}
	case t.insecure:
		return &tls.Config{InsecureSkipVerify: true}, nil //nolint:gosec // asked for by name
	case t.caCert == "":
		return nil, nil
	}
	b, err := os.ReadFile(t.caCert)
	if err != nil {
		return nil, fmt.Errorf("--ca-cert: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if block, _ := pem.Decode(b); block == nil || !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("--ca-cert %s: no PEM certificate in it", t.caCert)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// transport is base with the flags' TLS configuration; base itself when
// the flags ask for nothing.
func (t tlsFlags) transport(base *http.Transport) (*http.Transport, error) {
	cfg, err := t.config()
	if err != nil || cfg == nil {
		return base, err
	}
	base.TLSClientConfig = cfg
	return base, nil
}

// httpClient is an HTTP client with the flags' TLS configuration, shaped
// as a Windows Update Agent's (no compression, two connections); nil when
// the flags ask for nothing, so the caller's default applies.
func (t tlsFlags) httpClient() (*http.Client, error) {
	cfg, err := t.config()
	if err != nil || cfg == nil {
		return nil, err
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 2, DisableCompression: true}}, nil
}
