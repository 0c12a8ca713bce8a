package soapserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wusp"
)

// Config is the server's configuration, fixed at New.
type Config struct {
	// FaultStatus is the HTTP status of a WSUS fault: 200, as advisory
	// 954960's client log shows ("HTTP status code = 200"), or 500, as
	// ASP.NET sends a SoapException. Zero means what the scenario says, and
	// 200 if it says nothing.
	FaultStatus int
	// CookieKey seals cookies. Replicas given the same key accept each
	// other's cookies; nil means a random key per process.
	CookieKey []byte
	// CookieLifetime is how long an issued cookie is valid; zero means
	// DefaultCookieLifetime.
	CookieLifetime time.Duration
	// MaxRequestBytes bounds a request body; zero means DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// MaxDepth bounds XML nesting; zero means wusp.DefaultMaxDepth.
	MaxDepth int
	// Logger receives one debug record per exchange and errors; nil
	// discards.
	Logger *slog.Logger
	// ServerLog, when set, receives SoftwareDistribution.log lines.
	ServerLog *wsuslog.ServerLog
	// Now is the clock; nil means time.Now. Tests pass a fake.
	Now func() time.Time
	// AdminToken, when set, is the bearer token the admin API under
	// /__admin/ demands from every caller, loopback included. Empty means
	// loopback callers only (see adminAccess).
	AdminToken string
	// JournalSize bounds the exchange journal; zero means
	// DefaultJournalSize.
	JournalSize int
	// JournalBytes bounds the memory the journal's entries take; zero
	// means DefaultJournalBytes. When the entries held cost more, the
	// oldest are dropped, as when JournalSize is reached. An entry costs
	// at most MaxJournalEntryBytes: its text fields are cut at 256 bytes.
	JournalBytes int64
	// OnChange, when set, is called with the server's description after
	// every change of the world (the first world at New, a hotfix, an
	// approval, a scenario switch, a reset), so files that mirror the
	// server (an install root) can follow it. It runs on the goroutine that
	// made the change, never on the SOAP hot path, while other writers wait:
	// calls come in the order of the changes. It must not call the server's
	// control methods.
	OnChange func(ServerInfo)
}

const (
	// DefaultCookieLifetime is the validity of an issued cookie. WSUS 3.0's
	// real lifetime is unknown (fact sheet §1.5); the spec's samples range
	// from an hour to nine days.
	DefaultCookieLifetime = 24 * time.Hour
	// DefaultMaxRequestBytes bounds a request. A 2008 agent's largest
	// request, SyncUpdates with a few thousand cached IDs, is far below.
	DefaultMaxRequestBytes = 1 << 20
	// DefaultJournalSize is how many exchanges the journal keeps.
	DefaultJournalSize = 1000
	// DefaultJournalBytes is the journal's default byte budget: room for
	// DefaultJournalSize entries of the largest kind, several times that
	// of ordinary ones.
	DefaultJournalBytes = 4 << 20
)

// Server answers the WSUS 3.0 web services. Create it with New.
type Server struct {
	cfg    Config
	sealer *sealer
	log    *slog.Logger
	// debug caches whether log wants per-exchange records, so the hot path
	// builds none when it does not.
	debug bool
	// snap is the current world with what is precomputed from it.
	snap atomic.Pointer[snapshot]
	// thread counts exchanges to hand out the w3wp "thread" names of the
	// server log.
	thread  atomic.Uint32
	threads [24]string
	// scratch holds *scratch: what an exchange borrows (see scratch).
	scratch sync.Pool

	// mu serialises the writers of snap, base and rules (the admin API and
	// the Go methods over it); readers never take it.
	mu sync.Mutex
	// base is the world Reset returns to: the one given to New or SetWorld,
	// or the scenario last selected. Guarded by mu.
	base *scenarios.World
	// rules are the fault-injection rules, in the order added; nil when
	// there are none, so the hot path pays one atomic load.
	rules    atomic.Pointer[[]*rule]
	nextRule int // guarded by mu
	journal  *journal
	events   *broker
	admin    *http.ServeMux
	// done is closed by Close: event streams and injected delays end.
	done      chan struct{}
	closeOnce sync.Once
}

// snapshot is a world plus what the server derives from it once: the
// GetConfig reply and the persona's headers never change for a given world.
type snapshot struct {
	world       *scenarios.World
	faultStatus int
	faultString string
	// configReply is the whole GetConfig response, encoded once: it
	// depends on nothing but the world.
	configReply []byte
	headers     http.Header
}

// New makes a server over the world.
func New(world *scenarios.World, cfg Config) (*Server, error) {
	if cfg.FaultStatus != 0 && cfg.FaultStatus != http.StatusOK && cfg.FaultStatus != http.StatusInternalServerError {
		return nil, fmt.Errorf("fault status %d: must be 200 or 500", cfg.FaultStatus)
	}
	if cfg.CookieLifetime == 0 {
		cfg.CookieLifetime = DefaultCookieLifetime
	}
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.MaxDepth == 0 {
		cfg.MaxDepth = wusp.DefaultMaxDepth
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sl, err := newSealer(cfg.CookieKey)
	if err != nil {
		return nil, fmt.Errorf("cookie key: %w", err)
	}
	if cfg.JournalSize < 0 {
		return nil, fmt.Errorf("journal size %d: must not be negative", cfg.JournalSize)
	}
	if cfg.JournalSize == 0 {
		cfg.JournalSize = DefaultJournalSize
	}
	if cfg.JournalBytes < 0 {
		return nil, fmt.Errorf("journal bytes %d: must not be negative", cfg.JournalBytes)
	}
	if cfg.JournalBytes == 0 {
		cfg.JournalBytes = DefaultJournalBytes
	}
	s := &Server{cfg: cfg, sealer: sl, log: log, journal: newJournal(cfg.JournalSize, cfg.JournalBytes), events: newBroker(), done: make(chan struct{}),
		debug: log.Enabled(context.Background(), slog.LevelDebug)}
	for i := range s.threads {
		s.threads[i] = "w3wp." + strconv.Itoa(i+1)
	}
	s.scratch.New = func() any { return new(scratch) }
	s.admin = s.adminMux()
	s.SetWorld(world)
	return s, nil
}

// Close ends the server's event streams and injected delays, so an
// http.Server's Shutdown does not wait on them; register it with
// http.Server.RegisterOnShutdown. The server still answers SOAP requests.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

// World returns the snapshot requests currently read.
func (s *Server) World() *scenarios.World { return s.snap.Load().world }

// SetWorld swaps the world atomically: requests already running finish on
// the old one, the next request sees the new one. The world also becomes the
// one Reset returns to; use Update for a change Reset should undo.
func (s *Server) SetWorld(w *scenarios.World) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base = w
	s.store(w)
}

// Update changes the world through f, which gets the current world and
// returns the next (scenarios' remediation methods have that shape). Writers
// are serialised, so two updates never lose one another; readers are not
// held up. An error from f leaves the world as it was and is returned as is.
func (s *Server) Update(f func(*scenarios.World) (*scenarios.World, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next, err := f(s.snap.Load().world)
	if err != nil {
		return err
	}
	if next == nil {
		return fmt.Errorf("update returned no world")
	}
	s.store(next)
	return nil
}

// store builds the snapshot of w and publishes it. Callers hold mu.
func (s *Server) store(w *scenarios.World) {
	sc := w.Scenario()
	snap := &snapshot{
		world:       w,
		faultStatus: s.cfg.FaultStatus,
		faultString: sc.Fault.FaultString,
		headers:     personaHeaders(w.Build()),
	}
	snap.configReply = wusp.MarshalResponse(wusp.OpGetConfig, &wusp.GetConfigResponse{Result: configFor(w)})
	if snap.faultStatus == 0 {
		snap.faultStatus = sc.Fault.HTTPStatus
	}
	if snap.faultStatus == 0 {
		snap.faultStatus = http.StatusOK
	}
	if snap.faultString == "" {
		snap.faultString = wusp.DefaultFaultString
	}
	s.snap.Store(snap)
	if s.cfg.OnChange != nil {
		s.cfg.OnChange(s.Info())
	}
}

// configFor is the WSUS 3.0 Config of a world (MS-WUSP §2.2.2.2.1).
func configFor(w *scenarios.World) wusp.Config {
	return wusp.Config{
		LastChange:             w.LastChange(),
		IsRegistrationRequired: true,
		AuthInfo: []wusp.AuthPlugInInfo{{
			PlugInID:   "SimpleTargeting",
			ServiceURL: "SimpleAuthWebService/SimpleAuth.asmx",
		}},
		AllowedEventIDs: []int{},
		Properties: []wusp.ConfigurationProperty{
			{Name: "MaxExtendedUpdatesPerRequest", Value: strconv.Itoa(wusp.MaxExtendedUpdatesPerRequest)},
			{Name: "PackageServerShare", Value: ""},
			{Name: "ProtocolVersion", Value: w.Build().ProtocolVersion},
			{Name: "IsInventoryRequired", Value: "0"},
			{Name: "ClientReportingLevel", Value: "2"},
		},
	}
}

// personaHeaders are the headers the build's host (IIS 6 with ASP.NET 2.0
// for WSUS 3.0) added to every reply, in canonical form.
func personaHeaders(b scenarios.Build) http.Header {
	h := make(http.Header, len(b.Headers))
	for _, kv := range b.Headers {
		h.Add(kv.Name, kv.Value)
	}
	return h
}

// ServeHTTP routes a request to an endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.serveAdmin(w, r)
		return
	}
	snap := s.snap.Load()
	for k, v := range snap.headers {
		w.Header()[k] = v
	}
	p := r.URL.Path
	if strings.EqualFold(p, "/healthz") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
		return
	}
	ep, ok := lookupEndpoint(p)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodPost:
		s.serveSOAP(w, r, snap, ep)
	case http.MethodGet, http.MethodHead:
		s.serveGet(w, r, ep)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// endpoint is one .asmx address.
type endpoint struct {
	service wusp.Service
	wsdl    string // file under fixtures/wsdl
}

// lookupEndpoint matches a path without regard to case, as IIS did: WUA
// writes client.asmx where the spec says Client.asmx.
func lookupEndpoint(path string) (endpoint, bool) {
	switch {
	case strings.EqualFold(path, "/simpleauthwebservice/simpleauth.asmx"):
		return endpoint{wusp.SimpleAuth, "SimpleAuth.wsdl"}, true
	case strings.EqualFold(path, "/clientwebservice/client.asmx"):
		return endpoint{wusp.ClientService, "Client.wsdl"}, true
	// MS-WUSP §2.1 names ReportingWebService.asmx; its own WSDL's address
	// says WebService.asmx. Both are answered.
	case strings.EqualFold(path, "/reportingwebservice/reportingwebservice.asmx"),
		strings.EqualFold(path, "/reportingwebservice/webservice.asmx"):
		return endpoint{wusp.Reporting, "Reporting.wsdl"}, true
	}
	return endpoint{}, false
}

// actor is the endpoint URL as the request addressed it: WSUS's faultactor.
func actor(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.Path
}
