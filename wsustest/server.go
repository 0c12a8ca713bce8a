// Package wsustest runs an in-process wsusmock server for Go test suites, in
// the spirit of net/http/httptest and gomega's ghttp: one call starts a WSUS
// 3.0 server on a free loopback port with a scenario; its URL goes to the
// code under test; its methods are the control operations of the admin API.
//
// A Ginkgo suite testing a remediation tool reads:
//
//	var srv *wsustest.Server
//
//	BeforeEach(func() {
//		srv = wsustest.NewServer("sp1-office2003")
//		DeferCleanup(srv.Close)
//	})
//
//	It("fixes the 954960 failure", func() {
//		Expect(srv.Detect("xp-sp3-office2003")).To(wsustest.HaveFailedWith(wusp.InternalServerError))
//
//		Expect(myRemediationTool(srv.URL)).To(Succeed())
//
//		Expect(srv.Info().ClientDLLVersion).To(Equal("3.1.6001.66"))
//		Expect(srv.Detect("xp-sp3-office2003")).To(wsustest.HaveSucceeded())
//		Expect(srv).To(wsustest.HaveServedFault(wusp.InternalServerError, 1))
//	})
//
// Every Server listens on its own port and owns its world, journal and
// fault rules, so specs running in parallel (ginkgo -p) cannot see each
// other.
package wsustest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wuaclient"
)

// Server is a wsusmock server running in the test process. The embedded
// *soapserver.Server gives the control operations: Info, InstallHotfix,
// Approve, Decline, SelectScenario, Reset, AddFault, ClearFaults, Journal,
// Subscribe.
type Server struct {
	*soapserver.Server
	// URL is the server root, e.g. http://127.0.0.1:49152, as a WSUS
	// client's WUServer policy would name it.
	URL string

	http      *httptest.Server
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
}

// NewServer starts a server on a built-in scenario ("sp1-office2003", …) and
// panics if it cannot, as httptest.NewServer does: an unknown scenario is a
// mistake in the test, not a condition to handle.
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

// Start starts a server on a scenario with options.
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
	srv, err := soapserver.New(world, cfg)
	if err != nil {
		sl.Close()
		return nil, err
	}
	hs := httptest.NewServer(srv)
	return &Server{Server: srv, URL: hs.URL, http: hs, serverLog: sl, logBuf: buf}, nil
}

// Close stops the server, waiting for requests in flight, and flushes its
// log.
func (s *Server) Close() {
	s.http.Close()
	s.Server.Close()
	_ = s.serverLog.Close()
}

// ClientURL is the ClientWebService endpoint, as WUA logs it.
func (s *Server) ClientURL() string { return s.URL + "/ClientWebService/client.asmx" }

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

// Detect runs one detection cycle of a simulated client with the profile and
// returns its result; it panics on a bad profile name.
func (s *Server) Detect(profile string) *wuaclient.Result {
	c, err := s.Client(profile)
	if err != nil {
		panic(fmt.Sprintf("wsustest: %v", err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := c.Detect(ctx)
	if err != nil {
		panic(fmt.Sprintf("wsustest: detection cycle could not run: %v", err))
	}
	return res
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
