package mydetector_test

import (
	"testing"

	. "github.com/onsi/gomega"

	"example.com/mydetector"
	"github.com/wsusmock/wsusmock/wsustest"
	"github.com/wsusmock/wsusmock/wusp"
)

func TestFlagsTheFailingClientUntilTheHotfix(t *testing.T) {
	g := NewWithT(t)
	srv := wsustest.NewServer(wsustest.ScenarioSP1Office2003)
	defer srv.Close()
	office := wsustest.ProfileXPSP3Office2003

	g.Expect(mydetector.Affected(srv.Detect(office).LogText())).To(BeTrue())
	g.Expect(mydetector.Affected(srv.Detect(office).LogText())).To(BeTrue())

	g.Expect(srv.InstallHotfix("KB954960")).To(Succeed())
	g.Expect(mydetector.Affected(srv.Detect(office).LogText())).To(BeFalse())

	g.Expect(srv).To(wsustest.HaveServedFaultTo(srv.ClientID(office), wusp.InternalServerError, 2))
}
