package e2e_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/wsusmock/wsusmock/wusp"
)

// Non-leaf revisions of the built-in catalog (docs/catalog.md) that a
// client evaluates as installed. Office 2003 clients also have the Office
// product family, the Office 2003 product and the Office 2003 detectoid,
// which is what brings "Office 2003 Service Pack 1" (8862) into scope.
var (
	windowsXP    = []int{8001, 8002, 8010}
	withOffice03 = []int{8001, 8002, 8010, 8003, 8004, 8011}
)

// syncOutcome is what a client saw walking the SyncUpdates loop.
type syncOutcome struct {
	Rounds int         // SyncUpdates calls made, the failing one included
	Fault  *wusp.Fault // the fault that ended the loop, if any
	Status int         // HTTP status of the last reply
	// FirstSeen maps each revision to the round that first offered it.
	FirstSeen map[int]int
}

// syncLoop plays the MS-WUSP §3.1.5.7 client loop: each round, the offered
// non-leaf revisions the machine has go into InstalledNonLeafUpdateIDs and
// everything else into OtherCachedUpdateIDs, until nothing new is offered.
func syncLoop(m *mock, installed []int) syncOutcome {
	cookie := handshake(m, "1.0")
	out := syncOutcome{FirstSeen: map[int]int{}}
	var params wusp.SyncUpdateParameters
	for out.Rounds < 20 {
		out.Rounds++
		var resp wusp.SyncUpdatesResponse
		r, err := m.call(wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: cookie, Parameters: params}, &resp)
		out.Status = r.Status
		if err != nil {
			out.Fault = faultOf(err)
			return out
		}
		if len(resp.Result.NewUpdates) == 0 && !resp.Result.Truncated {
			return out
		}
		for _, u := range resp.Result.NewUpdates {
			if _, seen := out.FirstSeen[u.ID]; !seen {
				out.FirstSeen[u.ID] = out.Rounds
			}
			if !u.IsLeaf && slices.Contains(installed, u.ID) {
				params.InstalledNonLeafUpdateIDs = append(params.InstalledNonLeafUpdateIDs, u.ID)
			} else {
				params.OtherCachedUpdateIDs = append(params.OtherCachedUpdateIDs, u.ID)
			}
		}
		cookie = resp.Result.NewCookie
	}
	Fail("the SyncUpdates loop did not end in 20 rounds")
	return out
}

// roundOf8862 is the round on which a build without the defect first offers
// "Office 2003 Service Pack 1" to an Office 2003 client: the round on which
// a defective build must fail.
func roundOf8862() int {
	fixed := startMock("--scenario", "sp1-kb954960")
	out := syncLoop(fixed, withOffice03)
	Expect(out.Fault).To(BeNil())
	Expect(out.FirstSeen).To(HaveKey(8862))
	return out.FirstSeen[8862]
}

var _ = Describe("KB954960: the SyncUpdates failure arises from the approval data", func() {
	DescribeTable("an Office 2003 client and a client without Office walk the sync loop",
		func(scenario string, officeFails bool) {
			m := startMock("--scenario", scenario)

			By("a client without Office 2003 always completes")
			plain := syncLoop(m, windowsXP)
			Expect(plain.Fault).To(BeNil())
			Expect(plain.FirstSeen).NotTo(HaveKey(8862))

			By("a client with Office 2003")
			office := syncLoop(m, withOffice03)
			if !officeFails {
				Expect(office.Fault).To(BeNil())
				Expect(office.FirstSeen).To(HaveKey(8862))
				return
			}
			Expect(office.Fault).NotTo(BeNil())
			Expect(office.Rounds).To(Equal(roundOf8862()), "fails on the SyncUpdates that brings 8862 into scope")
			Expect(office.Rounds).To(BeNumerically(">", 1), "not on the first call")

			By("with the fault of advisory 954960, at HTTP 200")
			Expect(office.Status).To(Equal(http.StatusOK))
			Expect(office.Fault.Code).To(Equal(wusp.InternalServerError))
			Expect(office.Fault.FaultCode()).To(Equal("Server"))
			Expect(office.Fault.FaultString).To(Equal("Fault occurred"))
			Expect(office.Fault.Message).To(BeEmpty())
			Expect(office.Fault.Method).To(Equal(`"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"`))
			Expect(office.Fault.Actor).To(Equal(m.URL + "/ClientWebService/client.asmx"))

			By("and again on the next scan, with a new fault ID")
			again := syncLoop(m, withOffice03)
			Expect(again.Fault).NotTo(BeNil())
			Expect(again.Fault.ID).NotTo(Equal(office.Fault.ID))
		},
		Entry("sp1-office2003: WSUS 3.0 SP1, inconsistent approvals", "sp1-office2003", true),
		Entry("rtm-office2003: WSUS 3.0 RTM, inconsistent approvals", "rtm-office2003", true),
		Entry("sp1-kb954960: the fix tolerates the same data", "sp1-kb954960", false),
		Entry("sp2: SP2 contains the fix", "sp2", false),
		Entry("sp1-consistent: SP1 without the fix, consistent data", "sp1-consistent", false),
	)

	It("sends the fault with HTTP 500 when --fault-status 500 says so", func() {
		m := startMock("--fault-status", "500")
		out := syncLoop(m, withOffice03)
		Expect(out.Fault).NotTo(BeNil())
		Expect(out.Fault.Code).To(Equal(wusp.InternalServerError))
		Expect(out.Status).To(Equal(http.StatusInternalServerError))
	})

	Describe("the server's SoftwareDistribution.log", func() {
		It("holds the advisory's lines with the fault's ID (English)", func() {
			logFile := filepath.Join(GinkgoT().TempDir(), "SoftwareDistribution.log")
			m := startMock("--server-log", logFile)
			out := syncLoop(m, withOffice03)
			Expect(out.Fault).NotTo(BeNil())
			log := serverLogAfterShutdown(m, logFile)

			Expect(log).To(MatchRegexp(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC Error\s+w3wp\.\d+\s+ClientImplementation\.SyncUpdates\s+` +
				regexp.QuoteMeta(`System.ArgumentException: Item has already been added. Key in dictionary: '8862'  Key being added: '8862'`)))
			Expect(log).To(ContainSubstring("   at System.Collections.Hashtable.Insert(Object key, Object nvalue, Boolean add)"))
			Expect(log).To(ContainSubstring("   at System.Collections.Hashtable.Add(Object key, Object value)"))
			Expect(log).To(ContainSubstring("   at Microsoft.UpdateServices.Internal.ClientImplementation.GetSyncInfo(DataAccess dataAccess, Hashtable stateTable, Hashtable deploymentTable, Boolean haveGroupsChanged, Boolean doChunking)"))
			Expect(log).To(ContainSubstring("   at Microsoft.UpdateServices.Internal.Client.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)"))
			Expect(log).To(MatchRegexp(`UTC Warning\s+w3wp\.\d+\s+SoapUtilities\.CreateException\s+`+regexp.QuoteMeta(
				"ThrowException: actor = "+m.URL+"/ClientWebService/client.asmx, ID="+out.Fault.ID+", ErrorCode=InternalServerError, Message=, Client=?")),
				"WSUS named no client for the exception it turned into InternalServerError, as in the advisory")
		})

		It("renders it as the advisory's Dutch copy with --log-lang nl", func() {
			logFile := filepath.Join(GinkgoT().TempDir(), "SoftwareDistribution.log")
			m := startMock("--server-log", logFile, "--log-lang", "nl")
			out := syncLoop(m, withOffice03)
			Expect(out.Fault).NotTo(BeNil())
			log := serverLogAfterShutdown(m, logFile)

			Expect(log).To(MatchRegexp(`\d\d:\d\d:\d\d,\d{3} UTC Error`))
			Expect(log).To(ContainSubstring(`System.ArgumentException: Het item is reeds toegevoegd. Sleutel in woordenboek: Sleutel "8862" wordt toegevoegd: "8862"`))
			Expect(log).To(ContainSubstring("ID=" + out.Fault.ID + ", ErrorCode=InternalServerError"))
		})
	})

	Describe("user scenario files", func() {
		It("reproduce the failure on another revision, keyed by that revision's ID", func() {
			dir := GinkgoT().TempDir()
			scenario := filepath.Join(dir, "excel.yaml")
			Expect(os.WriteFile(scenario, []byte(`# Two rows for the Excel 2003 update instead of Office 2003 SP1.
name: excel-duplicate
description: SP1 with two deployment rows for 8871
build: wsus30-sp1
approvals:
  - {deployment_id: 30001, revision_id: 8871, group: All Computers, action: Install, last_change: 2008-03-12}
  - {deployment_id: 30002, revision_id: 8871, group: All Computers, action: Install, last_change: 2008-06-10}
  - {deployment_id: 30003, revision_id: 8862, group: All Computers, action: Install, last_change: 2008-06-10}
`), 0o644)).To(Succeed())
			logFile := filepath.Join(dir, "SoftwareDistribution.log")
			m := startMock("--scenario-file", scenario, "--server-log", logFile)

			out := syncLoop(m, withOffice03)
			Expect(out.Fault).NotTo(BeNil())
			Expect(out.Fault.Code).To(Equal(wusp.InternalServerError))
			Expect(serverLogAfterShutdown(m, logFile)).To(ContainSubstring("Key in dictionary: '8871'  Key being added: '8871'"))
		})

		It("are refused at start when malformed, naming the file and the line", func() {
			scenario := filepath.Join(GinkgoT().TempDir(), "broken.yaml")
			Expect(os.WriteFile(scenario, []byte("name: broken\ndescription: approves a revision the catalog lacks\nbuild: wsus30-sp1\napprovals:\n  - {deployment_id: 1, revision_id: 99999, group: All Computers, action: Install, last_change: 2008-06-10}\n"), 0o644)).To(Succeed())
			session, err := gexec.Start(exec.Command(wsusmockBin, "serve", "--addr", "127.0.0.1:0", "--scenario-file", scenario), GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			Eventually(session, 10*time.Second).Should(gexec.Exit(1))
			Expect(session.Err).To(gbytes.Say(regexp.QuoteMeta(scenario) + `:5: .*99999`))
		})
	})
})

// serverLogAfterShutdown stops the server, which flushes its log, and reads it.
func serverLogAfterShutdown(m *mock, file string) string {
	m.Session.Terminate()
	Eventually(m.Session, 10*time.Second).Should(gexec.Exit(0))
	b, err := os.ReadFile(file)
	Expect(err).NotTo(HaveOccurred())
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}
