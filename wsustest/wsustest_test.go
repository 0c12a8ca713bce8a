package wsustest_test

import (
	"errors"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"

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
	g.Expect(m.FailureMessage(srv)).To(ContainSubstring("to have served InternalServerError 2 times"))
}

func TestUnknownScenarioPanics(t *testing.T) {
	NewWithT(t).Expect(func() { wsustest.NewServer("no-such-scenario") }).To(PanicWith(ContainSubstring("no-such-scenario")))
}
