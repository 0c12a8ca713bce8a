package wsustest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wsustest"
	"github.com/wsusmock/wsusmock/wusp"
)

func TestKitReproducesAndFixes954960(t *testing.T) {
	g := NewWithT(t)
	srv := wsustest.NewServer("sp1-office2003")
	defer srv.Close()

	g.Expect(srv.Detect("xp-sp3")).To(wsustest.HaveSucceeded())
	office := srv.Detect("xp-sp3-office2003")
	g.Expect(office).To(wsustest.HaveFailedWith(wusp.InternalServerError))
	g.Expect(office).To(wsustest.HoldKB954960Signature())
	g.Expect(srv).To(wsustest.HaveServedFault(wusp.InternalServerError, 1))
	g.Expect(srv.ServerLog()).To(ContainSubstring("ID=" + office.Fault.ID))

	g.Expect(srv.InstallHotfix("KB954960")).To(Succeed())
	g.Expect(srv.Info().ClientDLLVersion).To(Equal("3.1.6001.66"))
	g.Expect(srv.Detect("xp-sp3-office2003")).To(wsustest.HaveSucceeded())
	g.Expect(srv).To(wsustest.HaveServedFault(wusp.InternalServerError, 1))
}

// Servers started side by side share nothing: a hotfix on one leaves the
// other failing, and each journal counts only its own faults. This is what
// lets specs run in parallel.
func TestServersAreIndependent(t *testing.T) {
	g := NewWithT(t)
	a, b := wsustest.NewServer("sp1-office2003"), wsustest.NewServer("sp1-office2003")
	defer a.Close()
	defer b.Close()
	g.Expect(a.URL).NotTo(Equal(b.URL))

	g.Expect(a.InstallHotfix("KB954960")).To(Succeed())
	g.Expect(a.Detect("xp-sp3-office2003")).To(wsustest.HaveSucceeded())
	g.Expect(b.Detect("xp-sp3-office2003")).To(wsustest.HaveFailedWith(wusp.InternalServerError))
	g.Expect(a).To(wsustest.HaveServedFault(wusp.InternalServerError, 0))
	g.Expect(b).To(wsustest.HaveServedFault(wusp.InternalServerError, 1))
}

func TestMatcherMessages(t *testing.T) {
	g := NewWithT(t)
	fault := fmt.Errorf("sync: %w", &wusp.Fault{Code: wusp.CookieExpired})
	g.Expect(fault).To(wsustest.HaveFailedWith(wusp.CookieExpired))
	g.Expect(fault).NotTo(wsustest.HaveFailedWith(wusp.InternalServerError))
	g.Expect(errors.New("plain")).NotTo(wsustest.HaveFailedWith(wusp.InternalServerError))

	ok, err := wsustest.HaveSucceeded().Match(42)
	g.Expect(ok).To(BeFalse())
	g.Expect(err).To(MatchError(ContainSubstring("*wuaclient.Result")))

	srv := wsustest.NewServer("sp1-office2003")
	defer srv.Close()
	m := wsustest.HaveServedFault(wusp.InternalServerError, 2)
	ok, err = m.Match(srv)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ok).To(BeFalse())
	g.Expect(m.FailureMessage(srv)).To(ContainSubstring("to have served InternalServerError 2 times; it served it 0 times"))

	// A Result prints as its one-line summary, not as every field.
	res := srv.Detect(wsustest.ProfileXPSP3Office2003)
	msg := wsustest.HaveSucceeded().FailureMessage(res)
	g.Expect(msg).To(ContainSubstring("result: failed hresult=0x8024400E fault=InternalServerError"))
	g.Expect(strings.Count(msg, "\n")).To(BeNumerically("<", 6))
}

// Faults are counted per client as well as in all.
func TestHaveServedFaultTo(t *testing.T) {
	g := NewWithT(t)
	srv := wsustest.NewServer(wsustest.ScenarioSP1Office2003)
	defer srv.Close()
	office := srv.Detect(wsustest.ProfileXPSP3Office2003)
	srv.Detect(wsustest.ProfileXPSP3Office2003)
	srv.Detect(wsustest.ProfileVistaSP1Office2003)

	client, err := srv.Client(wsustest.ProfileXPSP3Office2003)
	g.Expect(err).NotTo(HaveOccurred())
	id := client.Profile.ClientID
	g.Expect(srv).To(wsustest.HaveServedFaultTo(id, wusp.InternalServerError, 2))
	g.Expect(srv).To(wsustest.HaveServedFault(wusp.InternalServerError, 3))
	g.Expect(srv).To(wsustest.HaveServedFault(wusp.InternalServerError, wsustest.AtLeastOnce))
	g.Expect(srv).NotTo(wsustest.HaveServedFault(wusp.ServerBusy, wsustest.AtLeastOnce))
	m := wsustest.HaveServedFaultTo(id, wusp.InternalServerError, 1)
	g.Expect(m.Match(srv)).To(BeFalse())
	g.Expect(m.FailureMessage(srv)).To(ContainSubstring("InternalServerError once to client " + id + "; it served it 2 times"))
	g.Expect(office.LogText()).To(ContainSubstring("ErrorCode:InternalServerError(5)\r\n"))
}

func TestUnknownScenarioPanics(t *testing.T) {
	NewWithT(t).Expect(func() { wsustest.NewServer("no-such-scenario") }).To(PanicWith(ContainSubstring("no-such-scenario")))
}

// Close returns at once although an event stream is open and an exchange
// is held by an injected delay: both end first, and the delayed client
// still gets its reply.
func TestCloseEndsStreamsAndDelays(t *testing.T) {
	g := NewWithT(t)
	srv := wsustest.NewServer(wsustest.ScenarioSP1Office2003)
	defer srv.Close()

	stream, err := srv.Admin().Events(t.Context(), 0) // the in-process stream
	g.Expect(err).NotTo(HaveOccurred())
	defer stream.Close()
	resp, err := http.Get(srv.URL + "/__admin/events") // and one over HTTP
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()

	g.Expect(srv.AddFault(soapserver.FaultRule{Operation: "GetConfig", Latency: &soapserver.Latency{FixedMS: 60_000}})).To(Succeed())
	delayed := make(chan error, 1)
	go func() {
		c, _ := srv.Client(wsustest.ProfileXPSP3)
		_, err := c.Detect(context.Background())
		delayed <- err
	}()
	g.Eventually(func() int64 { return srv.Faults()[0].Hits }).Should(BeEquivalentTo(1))

	start := time.Now()
	srv.Close()
	g.Expect(time.Since(start)).To(BeNumerically("<", time.Second))
	g.Eventually(delayed).Should(Receive(), "the delayed exchange ended with the server")
	_, err = io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred(), "the HTTP event stream ended cleanly")
}

// The exported names are the built-in ones, and the UpdateID is 8862's.
func TestExportedNamesResolve(t *testing.T) {
	g := NewWithT(t)
	for _, sc := range []string{wsustest.ScenarioSP1Office2003, wsustest.ScenarioRTMOffice2003, wsustest.ScenarioRTMOffice2003Declined, wsustest.ScenarioSP1KB954960, wsustest.ScenarioSP2, wsustest.ScenarioSP1Consistent} {
		srv := wsustest.NewServer(sc)
		g.Expect(srv.Info().Scenario).To(Equal(sc))
		srv.Close()
	}
	srv := wsustest.NewServer(wsustest.ScenarioSP1Office2003)
	defer srv.Close()
	for _, p := range []string{wsustest.ProfileXPSP3Office2003, wsustest.ProfileXPSP3, wsustest.ProfileVistaSP1Office2003, wsustest.ProfileXPSP2Office2003} {
		_, err := srv.Client(p)
		g.Expect(err).NotTo(HaveOccurred())
	}
	updates, err := srv.Admin().Updates(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(updates).To(ContainElement(And(HaveField("UpdateID", wsustest.Office2003SP1UpdateID), HaveField("RevisionID", 8862))))
}
