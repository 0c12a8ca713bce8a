// Package server assembles a wsusmock server: the SOAP plane
// (soapserver), the admin API (admin) and an HTTP listener with its
// timeouts. `wsusmock serve` and the test kit (wsustest) both run one, so
// they cannot drift apart.
//
// Open listens synchronously, so a bind error surfaces at once, then serves
// in the background; Close ends event streams and injected delays first,
// then shuts down gracefully, and cuts peers that are still stuck after a
// short grace (a stream reader that stopped reading, a client half-way
// through a slow body):
//
//	s := &server.Server{Addr: "127.0.0.1:8530", World: world}
//	if err := s.Open(); err != nil {
//		return err
//	}
//	defer s.Close()
package server

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wsuslog"
)

// Defaults of the listener's timeouts.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds reading a whole request.
	DefaultReadTimeout = 30 * time.Second
	// writeGrace is how much later than the read deadline the write
	// deadline falls when WriteTimeout is not set: a client that stalls
	// in its body still gets the 400 SOAP fault before the connection
	// closes.
	writeGrace         = 10 * time.Second
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultShutdownGrace is how long Close waits for exchanges in flight
	// before it cuts the connections that remain.
	DefaultShutdownGrace = 500 * time.Millisecond
	maxHeaderBytes       = 64 << 10
)

// Server is a wsusmock server: set the fields, then Open. The fields are
// read once, by Open.
type Server struct {
	// Addr is the TCP listen address; empty means 127.0.0.1:0, a free
	// loopback port.
	Addr string
	// World is the scenario snapshot served first; required.
	World *scenarios.World
	// Config configures the SOAP plane.
	Config soapserver.Config
	// Admin holds the admin API's access rules. The host of Addr is added
	// to Admin.Hosts.
	Admin admin.Access
	// Listener, when set, is served instead of listening on Addr, so a
	// caller can bind before it creates anything else (a log file) and
	// fail without leaving it behind. Addr's host still names the admin
	// API. Close closes it.
	Listener net.Listener
	// Metrics, when set, counts the exchanges and is served at
	// MetricsPath (package metrics has one for Prometheus).
	Metrics Metrics
	// TLS, when set, serves HTTPS.
	TLS *tls.Config
	// Timeouts of the listener; zero means the Default… values, and for
	// WriteTimeout 10 s more than ReadTimeout.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownGrace is how long Close waits for exchanges in flight; zero
	// means DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// Share, when set, joins the server to a world it shares with other
	// servers: Open calls it with the SOAP plane (serving World) before it
	// listens, sends the admin API's changes to what it returns, answers
	// /healthz with its Health, and Close closes it. `serve --store`
	// passes one that opens package store. Nil keeps the world in memory.
	Share func(soap *soapserver.Server, log *slog.Logger) (Shared, error)
	// ServerLog, when set, receives the SoftwareDistribution.log in
	// ServerLogLang (English if empty). The server also keeps its newest
	// lines in memory for the dashboard, unless Config.ServerLog is set,
	// which then is the only log written.
	ServerLog     io.Writer
	ServerLogLang wsuslog.Lang

	// SOAP and Control are the SOAP plane and the in-process admin API,
	// set by Open.
	SOAP    *soapserver.Server
	Control *admin.Controller
	// Shared is what Share returned, set by Open; nil without Share.
	Shared Shared

	ln     net.Listener
	hs     *http.Server
	scheme string
	// served is closed when Serve returns, with serveErr set.
	served   chan struct{}
	serveErr error
	// ownLog is the server log Open made, closed by Close.
	ownLog *wsuslog.ServerLog
}

// Open builds the server and starts listening; the listener is bound when
// Open returns.
func (s *Server) Open() error {
	if s.World == nil {
		return errors.New("server: no world to serve")
	}
	cfg := s.Config
	if s.Metrics != nil {
		cfg.Observe = observeBoth(cfg.Observe, s.Metrics.Observe)
	}
	var ring *admin.LogRing
	if cfg.ServerLog == nil {
		ring = admin.NewLogRing(nil)
		var w io.Writer = ring
		if s.ServerLog != nil {
			w = io.MultiWriter(s.ServerLog, ring)
		}
		s.ownLog = wsuslog.NewServerLog(w, cmp.Or(s.ServerLogLang, wsuslog.LangEnglish), s.Config.Now)
		cfg.ServerLog = s.ownLog
	}
	soap, err := soapserver.New(s.World, cfg)
	if err != nil {
		s.closeLog()
		return err
	}
	log := s.Config.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var shared Shared
	if s.Share != nil {
		if shared, err = s.Share(soap, log); err != nil {
			soap.Close()
			s.closeLog()
			return err
		}
	}
	addr := s.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln := s.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", addr); err != nil {
			soap.Close()
			if shared != nil {
				shared.Close()
			}
			s.closeLog()
			return err
		}
	}
	s.scheme = "http"
	if s.TLS != nil {
		ln = tls.NewListener(ln, s.TLS)
		s.scheme = "https"
	}
	access := s.Admin
	if h, _, err := net.SplitHostPort(addr); err == nil && h != "" {
		access.Hosts = append(append([]string(nil), access.Hosts...), h)
	}
	s.SOAP = soap
	s.Control = admin.NewController(soap, s.Config.Now)
	s.Control.Log = ring
	handler := Handler(soap, admin.NewHandler(s.Control, access))
	if shared != nil {
		s.Shared = shared
		s.Control.Share(shared)
		handler = sharedHealth(shared, handler)
	}
	if s.Metrics != nil {
		s.Metrics.JournalDropped(soap.JournalDropped)
		handler = withMetrics(handler, s.Metrics.Handler())
	}
	s.hs = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cmp.Or(s.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       cmp.Or(s.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      cmp.Or(s.WriteTimeout, cmp.Or(s.ReadTimeout, DefaultReadTimeout)+writeGrace),
		IdleTimeout:       cmp.Or(s.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	s.ln = ln
	s.Control.URL = s.localURL()
	s.served = make(chan struct{})
	go func() {
		s.serveErr = s.hs.Serve(ln)
		close(s.served)
	}()
	return nil
}

// Handler routes the admin API's prefix to adm and everything else to
// soap: the one listener a WSUS client and a remediation tool share.
func Handler(soap *soapserver.Server, adm *admin.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, admin.Prefix) {
			adm.ServeHTTP(w, r)
			return
		}
		soap.ServeHTTP(w, r)
	})
}

// MetricsPath is where a server with Metrics serves them.
const MetricsPath = "/metrics"

// Metrics is what a server needs of a metrics registry (*metrics.Metrics):
// it sees every exchange, reads the journal's drops, and serves itself.
// An interface, so that the server, and the test kit with it, do not
// depend on a metrics library.
type Metrics interface {
	Observe(*soapserver.JournalEntry)
	JournalDropped(func() uint64)
	Handler() http.Handler
}

// withMetrics serves MetricsPath from m and everything else from h.
func withMetrics(h, m http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == MetricsPath {
			m.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// observeBoth calls a, when set, then b.
func observeBoth(a, b func(*soapserver.JournalEntry)) func(*soapserver.JournalEntry) {
	if a == nil {
		return b
	}
	return func(e *soapserver.JournalEntry) { a(e); b(e) }
}

// ListenAddr is the address the server listens on, e.g. 127.0.0.1:49152.
func (s *Server) ListenAddr() string { return s.ln.Addr().String() }

// URL is the server root, e.g. http://127.0.0.1:49152, as a WSUS client's
// WUServer policy names it.
func (s *Server) URL() string { return s.scheme + "://" + s.ln.Addr().String() }

// Done is closed when the server has stopped serving, by Close or by a
// failure of its listener (see Err).
func (s *Server) Done() <-chan struct{} { return s.served }

// Err is why the server stopped serving, once Done is closed: nil after
// Close.
func (s *Server) Err() error {
	select {
	case <-s.served:
		if errors.Is(s.serveErr, http.ErrServerClosed) {
			return nil
		}
		return s.serveErr
	default:
		return nil
	}
}

// Close stops the server: event streams and injected delays end at once,
// exchanges in flight get ShutdownGrace to finish, and connections still
// open after it are cut. It returns once the server has stopped serving.
func (s *Server) Close() error {
	if s.hs == nil {
		return nil
	}
	s.SOAP.Close()
	ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(s.ShutdownGrace, DefaultShutdownGrace))
	defer cancel()
	err := s.hs.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Peers that are stuck (a reader that stopped reading, a body that
		// stopped arriving) are cut rather than waited for.
		err = s.hs.Close()
	}
	<-s.served
	if s.Shared != nil {
		s.Shared.Close()
	}
	return errors.Join(err, s.Err(), s.closeLog())
}

// closeLog flushes and stops the server log Open made.
func (s *Server) closeLog() error {
	if s.ownLog == nil {
		return nil
	}
	err := s.ownLog.Close()
	s.ownLog = nil
	return err
}

// DashboardURL is the address of the dashboard page, on loopback when the
// server listens on every interface.
func (s *Server) DashboardURL() string { return s.localURL() + admin.UIPath }

// localURL is URL, with 127.0.0.1 for an address that means every
// interface (0.0.0.0, [::]): one a browser and a client can connect to.
func (s *Server) localURL() string {
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok && a.IP.IsUnspecified() {
		return s.scheme + "://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(a.Port))
	}
	return s.URL()
}
