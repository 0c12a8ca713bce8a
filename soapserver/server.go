package soapserver

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
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
	// MaxInflightBytes bounds the memory requests of 64 KiB and more may
	// hold together while they are read and parsed (each counts ten times
	// its length); one that finds no room within 10 s gets a ServerBusy
	// fault. Zero means DefaultMaxInflightBytes.
	MaxInflightBytes int64
	// Logger receives one debug record per exchange and errors; nil
	// discards.
	Logger *slog.Logger
	// ServerLog, when set, receives SoftwareDistribution.log lines: the
	// entries WSUS wrote (the duplicate-key exception, ThrowException).
	ServerLog *wsuslog.ServerLog
	// LogRequests adds an Info line per web-service call to ServerLog. No
	// reference shows WSUS writing one at its default trace level, so it
	// is off unless asked for (serve -v).
	LogRequests bool
	// Now is the clock; nil means time.Now. Tests pass a fake.
	Now func() time.Time
	// JournalSize bounds the exchange journal; zero means
	// DefaultJournalSize.
	JournalSize int
	// JournalBytes bounds the memory the journal's entries take; zero
	// means DefaultJournalBytes. When the entries held cost more, the
	// oldest are dropped, as when JournalSize is reached. An entry costs
	// at most MaxJournalEntryBytes: its text fields are cut at 256 bytes.
	JournalBytes int64
	// OnChange, when set, is called with the new world after every change
	// (the first world at New, a hotfix, an approval, a scenario switch, a
	// reset), so files that mirror the server (an install root) can follow
	// it. It runs on the goroutine that made the change, never on the SOAP
	// hot path, while other writers wait: calls come in the order of the
	// changes. It must not call the server's control methods.
	OnChange func(*scenarios.World)
	// MachineName is the server's NetBIOS name, as GetConfig's
	// PackageServerShare names it; empty means DefaultMachineName.
	MachineName string
	// ASMXErrorBodies sends HTTP 400 (unreadable XML) and 415 (a
	// Content-Type that is not SOAP's) with an empty body, as ASMX did: it
	// wrote a fault body only with 500. By default they carry a soap:Client
	// fault that names the problem.
	ASMXErrorBodies bool
	// SelfUpdate, when set, is the self-update content directory served
	// under /selfupdate/ (a copy of a WSUS install's Selfupdate folder);
	// nil serves a placeholder wuident.cab only.
	SelfUpdate fs.FS
	// SelfUpdateSource names where the self-update files come from in the
	// body of a 404 for a file that is not there, so the user learns what
	// to supply (e.g. "--selfupdate-dir /srv/Selfupdate"); empty means a
	// generic description.
	SelfUpdateSource string
	// Observe, when set, is called with every exchange once it is
	// journaled, on the goroutine that served it, so that counters
	// (package metrics) follow the journal without reading it. The entry
	// must not be modified; Observe must be quick.
	Observe func(*JournalEntry)
}

const (
	// DefaultMachineName is the server name the mock gives itself, the
	// host of the examples (http://wsus01:8530).
	DefaultMachineName = "WSUS01"
	// DefaultCookieLifetime is the validity of an issued cookie: about an
	// hour, as a real WSUS issues them (a GetCookie captured at 14:49:05
	// GMT expires at 15:49:04.94Z; CaddyGlow/wsus-rs
	// docs/fixtures/wsus-m0/000003). That capture is of a later WSUS; no
	// 2008 one shows a lifetime. Long runs therefore meet CookieExpired.
	DefaultCookieLifetime = time.Hour
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

	// mu serialises the writers of snap, base and rules (the control
	// plane); readers never take it.
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
	// inflight bounds the memory of large requests being parsed.
	inflight *inflight
	// done is closed by Close: event streams and injected delays end.
	done      chan struct{}
	closeOnce sync.Once
}

// snapshot is a world plus what the server derives from it once: the
// GetConfig reply and the persona's headers never change for a given world.
type snapshot struct {
	world *scenarios.World
	// build is the world's persona, copied once: dispatch asks it which
	// operations exist.
	build       scenarios.Build
	faultStatus int
	faultString string
	// configReply is the whole GetConfig response, encoded once: it
	// depends on nothing but the world.
	configReply []byte
	// headers are the persona's reply headers, a list rather than a map
	// so that every reply copies them without iterating a map.
	headers []headerField
}

// headerField is one reply header: its name as the host spelled it and
// its values.
type headerField struct {
	name   string
	values []string
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
	if cfg.MaxInflightBytes < 0 {
		return nil, fmt.Errorf("in-flight bytes %d: must not be negative", cfg.MaxInflightBytes)
	}
	if cfg.MaxInflightBytes == 0 {
		cfg.MaxInflightBytes = DefaultMaxInflightBytes
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
	s := &Server{cfg: cfg, sealer: sl, log: log, journal: newJournal(cfg.JournalSize, cfg.JournalBytes), events: newBroker(), inflight: newInflight(cfg.MaxInflightBytes), done: make(chan struct{}),
		debug: log.Enabled(context.Background(), slog.LevelDebug)}
	for i := range s.threads {
		s.threads[i] = "w3wp." + strconv.Itoa(i+1)
	}
	s.scratch.New = func() any { return new(scratch) }
	s.SetWorld(world)
	return s, nil
}

// Close ends the server's event streams and injected delays, so an
// http.Server's Shutdown does not wait on them; register it with
// http.Server.RegisterOnShutdown. The server still answers SOAP requests.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

// FaultStatus is the HTTP status WSUS faults are sent with now: the
// configured one, else the scenario's, else 200.
func (s *Server) FaultStatus() int { return s.snap.Load().faultStatus }

// Reset returns to the world Reset is anchored on (the one given to New or
// SetWorld: hotfixes and approvals made through Update are undone), removes
// every fault rule and clears the journal, so a spec starts from a known
// server. Event subscribers stay connected.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store(s.base)
	s.setRules(nil)
	s.journal.clear()
}

// ServerLog is the SoftwareDistribution.log the server writes, nil if none.
func (s *Server) ServerLog() *wsuslog.ServerLog { return s.cfg.ServerLog }

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
		build:       w.Build(),
		faultStatus: s.cfg.FaultStatus,
		faultString: sc.Fault.FaultString,
		headers:     personaHeaders(w.Build()),
	}
	snap.configReply = wusp.MarshalResponse(wusp.OpGetConfig, &wusp.GetConfigResponse{Result: configFor(w, cmp.Or(s.cfg.MachineName, DefaultMachineName))})
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
		s.cfg.OnChange(w)
	}
}

// configFor is the WSUS 3.0 Config of a world (MS-WUSP §2.2.2.2.1), served
// by machine: PackageServerShare names the server's UpdateServicesPackages
// share, as a real WSUS does (\\HOST\UpdateServicesPackages in the
// CaddyGlow/wsus-rs capture docs/fixtures/wsus-m0/000001).
func configFor(w *scenarios.World, machine string) wusp.Config {
	return wusp.Config{
		LastChange:             w.LastChange(),
		IsRegistrationRequired: true,
		AuthInfo: []wusp.AuthPlugInInfo{{
			PlugInID:   "SimpleTargeting",
			ServiceURL: strings.TrimPrefix(wusp.SimpleAuth.Path(), "/"),
		}},
		Properties: []wusp.ConfigurationProperty{
			{Name: "MaxExtendedUpdatesPerRequest", Value: strconv.Itoa(wusp.MaxExtendedUpdatesPerRequest)},
			{Name: "PackageServerShare", Value: `\\` + machine + `\UpdateServicesPackages`},
			{Name: "ProtocolVersion", Value: w.Build().ProtocolVersion},
			{Name: "IsInventoryRequired", Value: "0"},
			{Name: "ClientReportingLevel", Value: "2"},
		},
	}
}

// personaHeaders are the headers the build's host (IIS 6 with ASP.NET 2.0
// for WSUS 3.0) added to every reply, spelled as the host spelled them:
// the map keys are set directly, since Header.Add would canonicalise
// X-AspNet-Version into X-Aspnet-Version. (Their order on the wire is
// net/http's, sorted by name, not IIS 6's.)
func personaHeaders(b scenarios.Build) []headerField {
	var fields []headerField
	for _, kv := range b.Headers {
		i := slices.IndexFunc(fields, func(f headerField) bool { return f.name == kv.Name })
		if i < 0 {
			i = len(fields)
			fields = append(fields, headerField{name: kv.Name})
		}
		fields[i].values = append(fields[i].values, kv.Value)
	}
	// Every reply shares the value slices: clipped, so that a handler's
	// Header().Add appends to a copy, never into the shared array.
	for i := range fields {
		fields[i].values = slices.Clip(fields[i].values)
	}
	return fields
}

// ServeHTTP routes a request to an endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	snap := s.snap.Load()
	h := w.Header()
	for _, f := range snap.headers {
		h[f.name] = f.values
	}
	p := r.URL.Path
	if strings.EqualFold(p, "/healthz") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
		return
	}
	if len(p) >= len(selfUpdatePrefix) && strings.EqualFold(p[:len(selfUpdatePrefix)], selfUpdatePrefix) {
		s.serveSelfUpdate(w, r)
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
		s.serveGet(w, r, snap, ep)
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
	for _, ep := range [...]endpoint{{wusp.ClientService, "Client.wsdl"}, {wusp.SimpleAuth, "SimpleAuth.wsdl"}, {wusp.Reporting, "Reporting.wsdl"}} {
		if strings.EqualFold(path, ep.service.Path()) {
			return ep, true
		}
	}
	// MS-WUSP §2.1 names ReportingWebService.asmx; its own WSDL's address
	// says WebService.asmx. Both are answered.
	if strings.EqualFold(path, "/ReportingWebService/WebService.asmx") {
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
