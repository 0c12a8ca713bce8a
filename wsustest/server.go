// Package wsustest runs an in-process wsusmock server for Go test suites, in
// the spirit of net/http/httptest and gomega's ghttp: one call starts a WSUS
// 3.0 server on a free loopback port with a scenario, assembled as
// `wsusmock serve` assembles it; its URL goes to the code under test; its
// methods are the control operations of the admin API.
//
// A Ginkgo suite testing a remediation tool reads:
//
//	var srv *wsustest.Server
//
//	BeforeEach(func() {
//		srv = wsustest.NewServer(wsustest.ScenarioSP1Office2003)
//		DeferCleanup(srv.Close)
//	})
//
//	It("fixes the 954960 failure", func() {
//		Expect(srv.Detect(wsustest.ProfileXPSP3Office2003)).To(wsustest.HaveFailedWith(wusp.InternalServerError))
//
//		Expect(myRemediationTool(srv.URL)).To(Succeed())
//
//		Expect(srv.Info().ClientDLLVersion).To(Equal("3.1.6001.66"))
//		Expect(srv.Detect(wsustest.ProfileXPSP3Office2003)).To(wsustest.HaveSucceeded())
//		Expect(srv).To(wsustest.HaveServedFaultTo(srv.ClientID(wsustest.ProfileXPSP3Office2003), wusp.InternalServerError, 1))
//	})
//
// A detection cycle's Result prints as its one-line summary in failure
// messages; Result.LogText and Result.WriteLog give its WindowsUpdate.log,
// Server.ServerLog and Server.WriteServerLog the server's
// SoftwareDistribution.log, for detection tools that read logs.
//
// Every Server listens on its own port and owns its world, journal and
// fault rules, so specs running in parallel (ginkgo -p) cannot see each
// other.
package wsustest

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/server"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wuaclient"
	"github.com/wsusmock/wsusmock/wusp"
)

// Server is a wsusmock server running in the test process, assembled as
// `wsusmock serve` assembles it (package server). Its methods are the
// control operations of the admin API in the shape a test wants them (an
// error only, for Expect(…).To(Succeed())); Admin gives the full typed
// API, with the replies the admin API sends.
type Server struct {
	// URL is the server root, e.g. http://127.0.0.1:49152, as a WSUS
	// client's WUServer policy would name it.
	URL string

	srv       *server.Server
	serverLog *wsuslog.ServerLog
	logBuf    *syncBuffer
}

// Options are the optional settings of Start.
type Options struct {
	// Config is passed to soapserver.New; its ServerLog is replaced by the
	// kit's own (see Server.ServerLog).
	Config soapserver.Config
	// LogLang is the language of the server log: wsuslog.LangEnglish
	// (default) or wsuslog.LangDutch.
	LogLang wsuslog.Lang
	// Admin holds the admin API's access rules (a token, extra host
	// names); the zero value serves loopback callers, as serve does.
	Admin admin.Access
}

// NewServer starts a server on a built-in scenario (ScenarioSP1Office2003,
// …) and panics if it cannot, as httptest.NewServer does: an unknown
// scenario is a mistake in the test, not a condition to handle.
func NewServer(scenario string) *Server {
	sc, err := scenarios.Builtin(scenario)
	if err != nil {
		panic("wsustest: " + err.Error())
	}
	s, err := Start(sc, Options{})
	if err != nil {
		panic("wsustest: " + err.Error())
	}
	return s
}

// NewServerFromFile starts a server on a scenario file; a bad file is an
// error that names the file and line.
func NewServerFromFile(path string) (*Server, error) {
	sc, err := scenarios.LoadFile(path)
	if err != nil {
		return nil, err
	}
	return Start(sc, Options{})
}

// Start starts a server on a scenario with options, on a free loopback
// port.
func Start(sc *scenarios.Scenario, opts Options) (*Server, error) {
	world, err := scenarios.NewWorld(sc)
	if err != nil {
		return nil, err
	}
	lang := opts.LogLang
	if lang == "" {
		lang = wsuslog.LangEnglish
	}
	buf := new(syncBuffer)
	sl := wsuslog.NewServerLog(buf, lang, opts.Config.Now)
	cfg := opts.Config
	cfg.ServerLog = sl
	srv := &server.Server{World: world, Config: cfg, Admin: opts.Admin}
	if err := srv.Open(); err != nil {
		sl.Close()
		return nil, err
	}
	return &Server{URL: srv.URL(), srv: srv, serverLog: sl, logBuf: buf}, nil
}

// Close stops the server and flushes its log. Event streams and injected
// delays end at once; exchanges in flight get a short grace.
func (s *Server) Close() {
	_ = s.srv.Close()
	_ = s.serverLog.Close()
}

// Admin is the admin API in process: every control operation with its
// typed reply and *admin.Error refusals.
func (s *Server) Admin() *admin.Controller { return s.srv.Control }

// SOAP is the SOAP plane: the world, fault injection, the journal.
func (s *Server) SOAP() *soapserver.Server { return s.srv.SOAP }

// Info describes the server as a remediation tool reads it.
func (s *Server) Info() admin.ServerInfo {
	info, _ := s.Admin().Info(context.Background())
	return info
}

// InstallHotfix installs a hotfix (KB954960); on WSUS 3.0 RTM and SP2 it is
// refused with an *admin.Error saying why. Installing twice is harmless.
func (s *Server) InstallHotfix(kb string) error {
	_, err := s.Admin().InstallHotfix(context.Background(), kb)
	return err
}

// Approve approves an update for Install to a target group ("" means All
// Computers).
func (s *Server) Approve(updateID, group string) error {
	_, err := s.Admin().Approve(context.Background(), updateID, group)
	return err
}

// Decline declines an update in a target group ("" means All Computers).
// Decline, Approve, Decline of Office2003SP1UpdateID is the console
// workaround for WSUS 3.0 RTM.
func (s *Server) Decline(updateID, group string) error {
	_, err := s.Admin().Decline(context.Background(), updateID, group)
	return err
}

// SelectScenario switches to a built-in scenario.
func (s *Server) SelectScenario(name string) error {
	_, err := s.Admin().SelectScenario(context.Background(), name)
	return err
}

// Reset returns to the scenario's initial state and clears the fault rules
// and the journal.
func (s *Server) Reset() { s.srv.SOAP.Reset() }

// AddFault installs a fault-injection rule; a rule that does not validate
// is refused with an *admin.Error naming the field.
func (s *Server) AddFault(rule soapserver.FaultRule) error {
	_, err := s.Admin().AddFault(context.Background(), rule)
	return err
}

// Faults lists the fault rules with their counters.
func (s *Server) Faults() []soapserver.FaultRule { return s.srv.SOAP.Faults() }

// ClearFaults removes every fault rule.
func (s *Server) ClearFaults() { s.srv.SOAP.ClearFaults() }

// Journal returns the recorded exchanges the filter selects, oldest first.
func (s *Server) Journal(f soapserver.JournalFilter) soapserver.JournalPage {
	return s.srv.SOAP.Journal(f)
}

// Subscribe streams the exchanges recorded from now on.
func (s *Server) Subscribe(buffer int) *soapserver.Subscription { return s.srv.SOAP.Subscribe(buffer) }

// ClientURL is the ClientWebService endpoint, as WUA logs it.
func (s *Server) ClientURL() string { return s.URL + wusp.ClientService.Path() }

// ServerLog returns the SoftwareDistribution.log the server has written so
// far: every line logged before the call, so a fault whose reply the test
// holds is in it.
func (s *Server) ServerLog() string {
	_ = s.serverLog.Sync() // the buffer it writes to cannot fail
	return s.logBuf.String()
}

// Client returns a simulated Windows Update Agent with a built-in profile
// ("xp-sp3-office2003", "xp-sp3", …) pointed at this server.
func (s *Server) Client(profile string) (*wuaclient.Client, error) {
	p, err := wuaclient.BuiltinProfile(profile)
	if err != nil {
		return nil, err
	}
	return &wuaclient.Client{ServerURL: s.URL, Profile: p}, nil
}

// ClientID is the SusClientId a built-in profile's client sends, for
// HaveServedFaultTo and Journal filters; it panics on a bad profile name.
func (s *Server) ClientID(profile string) string {
	c, err := s.Client(profile)
	if err != nil {
		panic(fmt.Sprintf("wsustest: %v", err))
	}
	return c.Profile.ClientID
}

// Detect runs one detection cycle of a simulated client with a built-in
// profile (ProfileXPSP3Office2003, …) and returns its result, within
// DetectTimeout. It panics on a bad profile name or a cycle that could not
// run, as a test's mistake; DetectContext returns those as errors.
func (s *Server) Detect(profile string) *wuaclient.Result {
	ctx, cancel := context.WithTimeout(context.Background(), DetectTimeout)
	defer cancel()
	res, err := s.DetectContext(ctx, profile)
	if err != nil {
		panic(fmt.Sprintf("wsustest: %v", err))
	}
	return res
}

// DetectTimeout bounds a Detect call.
const DetectTimeout = time.Minute

// DetectContext runs one detection cycle of a simulated client with a
// built-in profile, until ctx is done. A cycle that ended with a fault is
// a Result, not an error; the error says the cycle could not run.
func (s *Server) DetectContext(ctx context.Context, profile string) (*wuaclient.Result, error) {
	c, err := s.Client(profile)
	if err != nil {
		return nil, err
	}
	res, err := c.Detect(ctx)
	if err != nil {
		return nil, fmt.Errorf("detection cycle could not run: %w", err)
	}
	return res, nil
}

// WriteServerLog writes the server log to a file, for tools that read files.
func (s *Server) WriteServerLog(path string) error {
	return os.WriteFile(path, []byte(s.ServerLog()), 0o644)
}

// GomegaString is how Gomega prints a Server in failure messages: its
// address and state, not its internals (which other goroutines are using).
func (s *Server) GomegaString() string {
	info := s.Info()
	return fmt.Sprintf("wsustest.Server %s (scenario %s, %s, Client.dll %s, hotfixes %v)",
		s.URL, info.Scenario, info.Product, info.ClientDLLVersion, info.Hotfixes)
}

// The types of fault injection and the journal, so that a suite needs no
// other import for them.
type (
	// FaultRule is a fault-injection rule (see soapserver.FaultRule).
	FaultRule = soapserver.FaultRule
	// Latency delays a rule's replies.
	Latency = soapserver.Latency
	// JournalFilter selects journal entries.
	JournalFilter = soapserver.JournalFilter
)
