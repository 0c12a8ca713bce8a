package wsustest_test

import (
	"fmt"
	"strings"

	"github.com/onsi/gomega"

	"github.com/wsusmock/wsusmock/detect"
	"github.com/wsusmock/wsusmock/wsustest"
	"github.com/wsusmock/wsusmock/wusp"
)

// A detection tool's suite: the tool flags the failing client; after the
// hotfix it does not; and the server faulted that client exactly twice.
// myDetector stands for the tool under test (here, the reference detector
// over the client's WindowsUpdate.log).
func Example() {
	g := gomega.NewGomega(func(msg string, _ ...int) { fmt.Println("FAILED:", msg) })
	myDetector := func(windowsUpdateLog string) bool {
		rep, err := detect.Analyze("WindowsUpdate.log", strings.NewReader(windowsUpdateLog))
		return err == nil && rep.Verdict == detect.VerdictAffected
	}

	srv := wsustest.NewServer(wsustest.ScenarioSP1Office2003)
	defer srv.Close()

	failing := srv.Detect(wsustest.ProfileXPSP3Office2003)
	g.Expect(failing).To(wsustest.HaveFailedWith(wusp.InternalServerError))
	g.Expect(myDetector(failing.LogText())).To(gomega.BeTrue())
	g.Expect(myDetector(srv.Detect(wsustest.ProfileXPSP3Office2003).LogText())).To(gomega.BeTrue())

	g.Expect(srv.InstallHotfix("KB954960")).To(gomega.Succeed())
	fixed := srv.Detect(wsustest.ProfileXPSP3Office2003)
	g.Expect(fixed).To(wsustest.HaveSucceeded())
	g.Expect(myDetector(fixed.LogText())).To(gomega.BeFalse())

	g.Expect(srv).To(wsustest.HaveServedFaultTo(srv.ClientID(wsustest.ProfileXPSP3Office2003), wusp.InternalServerError, 2))
	fmt.Println(srv.Info().ClientDLLVersion, fixed.Summary())
	// Output: 3.1.6001.66 result: succeeded needed=5 round_trips=4
}

// Fault injection and the journal: the second SyncUpdates of a cycle is
// answered with ServerBusy, and the journal says which rule did it.
func ExampleServer_AddFault() {
	srv := wsustest.NewServer(wsustest.ScenarioSP1Consistent)
	defer srv.Close()
	if err := srv.AddFault(wsustest.FaultRule{Operation: "SyncUpdates", Nth: 2, ErrorCode: wusp.ServerBusy}); err != nil {
		fmt.Println(err)
		return
	}
	res := srv.Detect(wsustest.ProfileXPSP3)
	page := srv.Journal(wsustest.JournalFilter{Fault: string(wusp.ServerBusy)})
	fmt.Println(res.Fault.Code, res.RoundTrips, len(page.Entries), page.Entries[0].Injected)
	// Output: ServerBusy 2 1 f1
}
