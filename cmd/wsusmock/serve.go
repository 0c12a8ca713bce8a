package main

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/installroot"
	"github.com/wsusmock/wsusmock/metrics"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/server"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wusp"
)

// serveOptions are the flags of "wsusmock serve".
type serveOptions struct {
	addr           string
	scenario       string
	scenarioFile   string
	faultStatus    int
	cookieKey      string
	cookieLife     time.Duration
	tlsCert        string
	tlsKey         string
	tlsSelfSigned  bool
	tlsCertOut     string
	serverLog      string
	logLang        string
	verbose        bool
	logFormat      string
	metrics        bool
	asmxBodies     bool
	adminToken     string
	adminTokenFile string
	adminHosts     hostList
	journalSize    int
	journalBytes   int64
	logMaxMiB      int
	logBackups     int
	installRoot    string
	selfUpdateDir  string
	store          string
	cpuProfile     string
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o serveOptions
	fs := newFlagSet("serve", "serve [flags]", stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8530", "listen address; port 0 picks a free port (the chosen one is logged as addr=HOST:PORT)")
	fs.StringVar(&o.scenario, "scenario", scenarios.DefaultScenario, "built-in scenario to serve (see \"wsusmock scenarios\")")
	fs.StringVar(&o.scenarioFile, "scenario-file", "", "serve the scenario in this YAML file instead of a built-in one")
	fs.IntVar(&o.faultStatus, "fault-status", 0, "HTTP status of WSUS faults: 200 (as the advisory's client log shows) or 500 (as ASP.NET sends); default: the scenario's, else 200")
	fs.StringVar(&o.cookieKey, "cookie-key", "", "secret that seals cookies; replicas with the same key accept each other's cookies (default: random per process)")
	fs.DurationVar(&o.cookieLife, "cookie-lifetime", soapserver.DefaultCookieLifetime, "how long an issued cookie is valid")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (needs -tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key for -tls-cert")
	fs.BoolVar(&o.tlsSelfSigned, "tls-self-signed", false, "serve HTTPS with a self-signed certificate made at start (for port 8531 experiments)")
	fs.StringVar(&o.tlsCertOut, "tls-cert-out", "", "with -tls-self-signed, write the certificate (PEM) to this file for clients to trust (client/admin/detect/load/healthcheck --ca-cert FILE); default: wsusmock-cert.pem in the system's temporary directory, as logged")
	fs.StringVar(&o.serverLog, "server-log", "", "write a WSUS SoftwareDistribution.log to this file")
	fs.IntVar(&o.logMaxMiB, "server-log-max-size", 0, "rotate -server-log when it would pass this many MiB (0: never)")
	fs.IntVar(&o.logBackups, "server-log-backups", defaultServerLogBackups, "rotated server logs to keep with -server-log-max-size (0: all)")
	fs.StringVar(&o.logLang, "log-lang", "en", "language of -server-log: en, or nl as advisory 954960's Dutch copy shows it")
	fs.StringVar(&o.logFormat, "log-format", "text", "format of serve's own log on standard error: text (key=value) or json (one object a line, for a log collector); the -server-log file keeps WSUS's format")
	fs.BoolVar(&o.asmxBodies, "asmx-error-bodies", false, "answer unreadable XML (400) and a media type that is not SOAP's (415) with an empty body, as ASMX did, instead of a soap:Client fault naming the problem")
	fs.BoolVar(&o.metrics, "metrics", true, "serve Prometheus metrics at /metrics: exchanges by operation, ErrorCode and injected rule, latency, journal drops, process CPU and memory")
	fs.BoolVar(&o.verbose, "v", false, "log every exchange, and a request line per call in the server log")
	fs.StringVar(&o.adminToken, "admin-token", "", "bearer token the admin API (/__admin/) demands from every caller; without one it answers loopback callers only (default: $"+adminTokenEnv+"; a token on the command line shows in ps, prefer -admin-token-file)")
	fs.StringVar(&o.adminTokenFile, "admin-token-file", "", "read the admin bearer token from this file (its first line)")
	fs.Var(&o.adminHosts, "admin-host", "a name callers may address the admin API by, besides IP addresses and localhost (repeatable); other Host headers are refused, against DNS rebinding")
	fs.IntVar(&o.journalSize, "journal-size", soapserver.DefaultJournalSize, "exchanges the journal (/__admin/journal) keeps; older ones are dropped and counted")
	fs.Int64Var(&o.journalBytes, "journal-bytes", soapserver.DefaultJournalBytes, "bytes of memory the journal's entries may take; the oldest are dropped and counted beyond it")
	fs.StringVar(&o.installRoot, "install-root", "", "write a WSUS installation's files under this directory, as if it were %ProgramFiles%: the Client.dll whose file version remediation tools read (3.1.6001.66 once KB954960 is in) and registry.reg; rewritten on every change")
	fs.StringVar(&o.store, "store", "", "share the world's state (scenario, approvals, hotfixes) with every replica given the same PostgreSQL database, postgres://USER@HOST/DB (none: in memory; $WSUSMOCK_STORE keeps a password out of ps)")
	fs.StringVar(&o.selfUpdateDir, "selfupdate-dir", "", "serve /selfupdate/ from this directory, a copy of a WSUS install's Selfupdate folder (a real agent checks its signed wuident.cab before every scan); default: a placeholder wuident.cab only")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the serving process to this file until it stops, for \"go tool pprof\" (README \"Performance\")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.faultStatus != 0 && o.faultStatus != http.StatusOK && o.faultStatus != http.StatusInternalServerError {
		return usageError{fmt.Sprintf("-fault-status %d: must be 200 or 500", o.faultStatus)}
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usageError{"-tls-cert and -tls-key go together"}
	}
	if o.tlsSelfSigned && o.tlsCert != "" {
		return usageError{"-tls-self-signed and -tls-cert exclude each other"}
	}
	if o.tlsCertOut != "" && !o.tlsSelfSigned {
		return usageError{"-tls-cert-out goes with -tls-self-signed"}
	}
	if o.journalSize < 1 {
		return usageError{fmt.Sprintf("-journal-size %d: must be at least 1", o.journalSize)}
	}
	if o.logMaxMiB < 0 || o.logBackups < 0 {
		return usageError{fmt.Sprintf("-server-log-max-size %d, -server-log-backups %d: must not be negative", o.logMaxMiB, o.logBackups)}
	}
	if o.journalBytes < 1 {
		return usageError{fmt.Sprintf("-journal-bytes %d: must be at least 1", o.journalBytes)}
	}
	token, err := o.token()
	if err != nil {
		return err
	}
	lang, err := wsuslog.ParseLang(o.logLang)
	if err != nil {
		return usageError{"-log-lang: " + err.Error()}
	}

	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	var handler slog.Handler
	switch opts := (&slog.HandlerOptions{Level: level}); o.logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, opts)
	case "json":
		handler = slog.NewJSONHandler(stderr, opts)
	default:
		return usageError{fmt.Sprintf("-log-format %q: must be text or json", o.logFormat)}
	}
	logger := slog.New(handler)

	sc, err := loadScenario(o.scenario, o.scenarioFile)
	if err != nil {
		return err
	}
	world, err := scenarios.NewWorld(sc)
	if err != nil {
		return err
	}

	cfg := soapserver.Config{FaultStatus: o.faultStatus, CookieKey: []byte(o.cookieKey), CookieLifetime: o.cookieLife, Logger: logger,
		JournalSize: o.journalSize, JournalBytes: o.journalBytes, ASMXErrorBodies: o.asmxBodies,
		SelfUpdateSource: "the placeholder self-update directory, which holds wuident.cab only; serve a WSUS Selfupdate folder with --selfupdate-dir DIR"}
	if o.selfUpdateDir != "" {
		if err := checkDir(o.selfUpdateDir); err != nil {
			return usageError{"--selfupdate-dir: " + err.Error()}
		}
		cfg.SelfUpdate, cfg.SelfUpdateSource = os.DirFS(o.selfUpdateDir), "--selfupdate-dir "+o.selfUpdateDir
	}
	tlsConfig, err := o.tls()
	if err != nil {
		return err
	}

	// Bind before any file is created: a port already taken must not
	// leave an empty server log behind or truncate a running server's.
	ln, err := listen(o.addr)
	if err != nil {
		return err
	}
	defer ln.Close() // a no-op once the server has closed it
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	var serverLog io.Writer
	if o.serverLog != "" {
		f, err := openServerLog(o.serverLog, o.logMaxMiB, o.logBackups)
		if err != nil {
			return err
		}
		defer f.Close()
		serverLog = f
	}
	cfg.LogRequests = o.verbose
	if o.installRoot != "" {
		cfg.OnChange = installRootWriter(o.installRoot, logger)
	}
	if o.tlsSelfSigned {
		file := cmp.Or(o.tlsCertOut, filepath.Join(os.TempDir(), "wsusmock-cert.pem"))
		switch err := writeCertPEM(file, tlsConfig.Certificates[0]); {
		case err != nil && o.tlsCertOut != "":
			return err
		case err != nil:
			// The default place may not exist (a container from scratch
			// has no /tmp): the server still serves, and says so.
			logger.Warn("self-signed certificate not written; give --tls-cert-out FILE", "err", err)
		default:
			logger.Info("self-signed certificate written; trust it with --ca-cert", "file", file)
		}
	}
	var m server.Metrics
	if o.metrics {
		m = metrics.New()
	}
	srv := &server.Server{Addr: o.addr, Listener: ln, World: world, Config: cfg, TLS: tlsConfig, Metrics: m,
		Admin: admin.Access{Token: token, Hosts: o.adminHosts}, ServerLog: serverLog, ServerLogLang: lang}
	if o.store != "" {
		srv.Share = shareStore(o.store)
	}
	if err := srv.Open(); err != nil {
		return err
	}
	served := srv.SOAP.World() // the shared one, with --store
	b := served.Build()
	logger.Info("wsusmock listening", "addr", srv.ListenAddr(), "url", srv.URL()+wusp.ClientService.Path(),
		"scenario", served.Scenario().Name, "product", b.Product, "version", b.Version, "dashboard", srv.DashboardURL())

	select {
	case <-srv.Done():
		return srv.Err()
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	return srv.Close()
}

// listen binds the serve address. A port in use is the first thing a user
// running two servers meets, so its message says so plainly and names the
// way out.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("cannot listen on %s: address already in use\n  is another \"wsusmock serve\" running? stop it, or pick a free port with --addr 127.0.0.1:0 (the chosen port is logged as addr=)", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}

// startCPUProfile profiles the process into file until stop is called:
// what a load run costs beyond the handler (the collector, net/http, the
// server log's writer) shows only in the serving process.
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile %s: %w", file, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// checkDir says why dir cannot be served, if it cannot.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// token is the admin token: from the flag, the file, or the environment.
func (o serveOptions) token() (string, error) {
	if o.adminTokenFile == "" {
		return cmp.Or(o.adminToken, os.Getenv(adminTokenEnv)), nil
	}
	if o.adminToken != "" {
		return "", usageError{"-admin-token and -admin-token-file exclude each other"}
	}
	b, err := os.ReadFile(o.adminTokenFile)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if line = strings.TrimSpace(line); line == "" {
		return "", fmt.Errorf("admin token: %s: the first line is empty", o.adminTokenFile)
	}
	return line, nil
}

// hostList is a repeatable flag.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(v string) error {
	if v == "" || strings.ContainsAny(v, "/ ") {
		return fmt.Errorf("%q is not a host name", v)
	}
	*h = append(*h, v)
	return nil
}

// installRootWriter returns the OnChange hook of --install-root: it
// rewrites the files when what they say changes. A failed write is logged,
// not fatal: the server goes on answering, and the next change tries again.
func installRootWriter(dir string, logger *slog.Logger) func(*scenarios.World) {
	var written installroot.Files // guarded by the server's writer lock, under which OnChange runs
	return func(w *scenarios.World) {
		b := w.Build()
		f := installroot.Files{Product: b.Product, VersionString: b.Version, ClientDLLVersion: b.ClientDLLVersion}
		if f == written {
			return
		}
		if err := installroot.Write(dir, f); err != nil {
			logger.Error("install root", "dir", dir, "err", err)
			return
		}
		written = f
		logger.Info("install root written", "dir", dir, "client_dll_version", f.ClientDLLVersion, "version_string", f.VersionString)
	}
}

// loadScenario picks the scenario: a file when given, else a built-in.
func loadScenario(name, file string) (*scenarios.Scenario, error) {
	if file != "" {
		return scenarios.LoadFile(file)
	}
	sc, err := scenarios.Builtin(name)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return sc, nil
}

// tls returns the TLS configuration the flags ask for, or nil for HTTP.
func (o serveOptions) tls() (*tls.Config, error) {
	switch {
	case o.tlsCert != "":
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
	case o.tlsSelfSigned:
		cert, err := selfSigned(time.Now())
		if err != nil {
			return nil, fmt.Errorf("self-signed certificate: %w", err)
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
	}
	return nil, nil
}

// writeCertPEM writes cert's leaf to file in PEM, for clients to trust. It
// is public, so it is readable by all.
func writeCertPEM(file string, cert tls.Certificate) error {
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return fmt.Errorf("--tls-cert-out: %w", err)
	}
	return nil
}

// selfSigned makes a certificate for localhost and the loopback addresses.
func selfSigned(now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "wsusmock"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", host},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
