package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wsustest"
	"github.com/wsusmock/wsusmock/wusp"
)

// admin is a typed client of the mock's admin API (JSON under /__admin/),
// as a remediation tool written in Go would hold one.
func (m *mock) admin() *admin.Client {
	c, err := admin.NewClient(m.URL, "")
	Expect(err).NotTo(HaveOccurred())
	return c
}

// wsusmockAdmin runs "wsusmock admin ARGS…" to completion, as a shell
// script would.
func wsusmockAdmin(args ...string) *gexec.Session {
	return run(append([]string{"admin"}, args...)...)
}

var _ = Describe("Remediation through the admin API", func() {
	It("on WSUS 3.0 SP1, installing KB954960 with `wsusmock admin` ends the failure", func(ctx SpecContext) {
		m := startMock("--scenario", "sp1-office2003")

		By("an Office 2003 client fails with InternalServerError")
		out := syncLoop(m, withOffice03)
		Expect(out.Fault).NotTo(BeNil())
		Expect(out.Fault.Code).To(Equal(wusp.InternalServerError))

		By("a remediation tool reads the version: SP1, Client.dll 3.1.6001.65")
		s := wsusmockAdmin("--server", m.URL, "server")
		Expect(s).To(gexec.Exit(0))
		var info admin.ServerInfo
		Expect(json.Unmarshal(s.Out.Contents(), &info)).To(Succeed())
		Expect(info.Product).To(Equal("Windows Server Update Services 3.0 SP1"))
		Expect(info.ClientDLLVersion).To(Equal("3.1.6001.65"))

		By("it installs the fix")
		s = wsusmockAdmin("--server", m.URL, "hotfix", "install", "KB954960")
		Expect(s).To(gexec.Exit(0))
		Expect(s.Out).To(gbytes.Say(`"changed": true`))

		By("the next cycle of the Office 2003 client succeeds")
		after := syncLoop(m, withOffice03)
		Expect(after.Fault).To(BeNil())
		Expect(after.FirstSeen).To(HaveKey(8862))

		By("the server now reports Client.dll 3.1.6001.66; VersionString is unchanged")
		info, err := m.admin().Info(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.ClientDLLVersion).To(Equal("3.1.6001.66"))
		Expect(info.Version).To(Equal("3.1.6001.65"))
		Expect(info.Hotfixes).To(ConsistOf("KB954960"))

		By("installing it again is harmless; removing it is refused, as it was on real servers")
		Expect(wsusmockAdmin("--server", m.URL, "--text", "hotfix", "install", "KB954960").Out).To(gbytes.Say("KB954960 already installed"))
		s = wsusmockAdmin("--server", m.URL, "hotfix", "remove", "KB954960")
		Expect(s).To(gexec.Exit(1))
		Expect(s.Err).To(gbytes.Say("cannot be removed on its own"))
	})

	It("on WSUS 3.0 RTM, refuses the hotfix, and the console workaround ends the failure", func(ctx SpecContext) {
		m := startMock("--scenario", "rtm-office2003")
		Expect(syncLoop(m, withOffice03).Fault).NotTo(BeNil())

		By("KB954960 is refused with its reason")
		_, err := m.admin().InstallHotfix(ctx, "KB954960")
		var refusal *admin.Error
		Expect(errors.As(err, &refusal)).To(BeTrue())
		Expect(refusal.Code).To(Equal(admin.Conflict))
		Expect(refusal.Reason).To(ContainSubstring("WSUS 3.0 SP1 only"))
		s := wsusmockAdmin("--server", m.URL, "hotfix", "install", "KB954960")
		Expect(s).To(gexec.Exit(1))
		Expect(s.Err).To(gbytes.Say(`decline, approve, decline`))

		By(`"Office 2003 Service Pack 1" has two deployment rows in All Computers`)
		updates, err := m.admin().Updates(ctx)
		Expect(err).NotTo(HaveOccurred())
		var sp1 admin.CatalogUpdate
		for _, u := range updates {
			if u.Title == "Office 2003 Service Pack 1" {
				sp1 = u
			}
		}
		Expect(sp1.UpdateID).NotTo(BeEmpty())
		Expect(sp1.Approvals[0].Group).To(Equal("All Computers"))
		Expect(sp1.Approvals[0].Inconsistent).To(BeTrue())

		By("decline, approve, decline")
		for _, step := range []func(context.Context, string, string) (admin.ApprovalResult, error){
			m.admin().Decline, m.admin().Approve, m.admin().Decline,
		} {
			Expect(step(ctx, sp1.UpdateID, "All Computers")).Error().NotTo(HaveOccurred())
		}

		By("the Office 2003 client syncs again")
		Expect(syncLoop(m, withOffice03).Fault).To(BeNil())
	})

	// As the workaround was usually met: 8862 already Declined, its two
	// rows left (README, "Reproducing KB954960"). Each step counts.
	It("on WSUS 3.0 RTM with 8862 already Declined, needs all three steps of the workaround", func(ctx SpecContext) {
		m := startMock("--scenario", wsustest.ScenarioRTMOffice2003Declined)
		Expect(wsusmockAdmin("--server", m.URL, "--text", "updates").Out).To(gbytes.Say(`Office 2003 Service Pack 1.*All Computers: Declined, 2 deployment rows \(inconsistent\)`))
		Expect(syncLoop(m, withOffice03).Fault).NotTo(BeNil())

		By("a first Decline changes nothing: the client still fails")
		Expect(m.admin().Decline(ctx, wsustest.Office2003SP1UpdateID, "All Computers")).Error().NotTo(HaveOccurred())
		Expect(syncLoop(m, withOffice03).Fault).NotTo(BeNil())

		By("the Approve writes one row for the two: the client syncs")
		Expect(m.admin().Approve(ctx, wsustest.Office2003SP1UpdateID, "All Computers")).Error().NotTo(HaveOccurred())
		Expect(syncLoop(m, withOffice03).Fault).To(BeNil())

		By("the last Decline leaves 8862 Declined with no rows: the client still syncs")
		Expect(m.admin().Decline(ctx, wsustest.Office2003SP1UpdateID, "All Computers")).Error().NotTo(HaveOccurred())
		Expect(syncLoop(m, withOffice03).Fault).To(BeNil())
		Expect(wsusmockAdmin("--server", m.URL, "--text", "updates").Out).To(gbytes.Say(`Office 2003 Service Pack 1.*All Computers: Declined\b`))
	})
})

var _ = Describe("Watching the mock: journal and event stream", func() {
	It("journals each exchange with its operation, client and fault", func(ctx SpecContext) {
		m := startMock()
		out := syncLoop(m, withOffice03)
		Expect(out.Fault).NotTo(BeNil())

		page, err := m.admin().Journal(ctx, soapserver.JournalFilter{Operation: "SyncUpdates", Fault: string(wusp.InternalServerError)})
		Expect(err).NotTo(HaveOccurred())
		Expect(page.Entries).To(HaveLen(1))
		Expect(page.Entries[0].ClientID).To(Equal(clientID))
		Expect(page.Entries[0].FaultID).To(Equal(out.Fault.ID))
		Expect(page.Entries[0].Status).To(Equal(http.StatusOK))

		By("the same from the shell")
		s := wsusmockAdmin("--server", m.URL, "--text", "journal", "--fault", "InternalServerError")
		Expect(s).To(gexec.Exit(0))
		Expect(s.Out).To(gbytes.Say(`SyncUpdates\s+` + clientID + `\s+200\s+InternalServerError`))
	})

	It("keeps the newest exchanges in a small --journal-size and reports what it dropped", func(ctx SpecContext) {
		m := startMock("--journal-size", "3")
		out := syncLoop(m, windowsXP)
		Expect(out.Fault).To(BeNil())
		exchanges := 3 + out.Rounds // GetConfig, GetAuthorizationCookie, GetCookie, then SyncUpdates

		page, err := m.admin().Journal(ctx, soapserver.JournalFilter{})
		Expect(err).NotTo(HaveOccurred())
		Expect(page.Total).To(BeEquivalentTo(exchanges))
		Expect(page.Dropped).To(BeEquivalentTo(exchanges - 3))
		Expect(page.Entries).To(HaveLen(3))
		Expect(page.Entries[2].Operation).To(Equal("SyncUpdates"))
	})

	It("streams every exchange as one JSON line", func(ctx SpecContext) {
		m := startMock()
		stream, err := m.admin().Events(ctx, 0)
		Expect(err).NotTo(HaveOccurred())
		defer stream.Close()

		handshake(m, "1.0")
		var ops []string
		for len(ops) < 3 {
			ev, err := stream.Next(ctx)
			Expect(err).NotTo(HaveOccurred())
			ops = append(ops, ev.Entry.Operation)
		}
		Expect(ops).To(Equal([]string{"GetConfig", "GetAuthorizationCookie", "GetCookie"}))

		By("and `wsusmock admin events --count` stops after that many")
		s, err := gexec.Start(exec.Command(wsusmockBin, "admin", "--server", m.URL, "events", "--count", "2", "--timeout", "15s"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() *gexec.Session {
			handshake(m, "1.0") // keeps exchanges coming until the stream has two
			return s
		}, 15*time.Second, 200*time.Millisecond).Should(gexec.Exit(0))
		Expect(strings.Count(string(s.Out.Contents()), "\n")).To(Equal(2))
	})
})

var _ = Describe("Fault injection", func() {
	It("answers the second SyncUpdates with ServerBusy, once", func(ctx SpecContext) {
		m := startMock("--scenario", "sp1-consistent")
		s := wsusmockAdmin("--server", m.URL, "faults", "add", `{"operation": "SyncUpdates", "nth": 2, "error_code": "ServerBusy"}`)
		Expect(s).To(gexec.Exit(0))

		out := syncLoop(m, windowsXP)
		Expect(out.Rounds).To(Equal(2))
		Expect(out.Fault.Code).To(Equal(wusp.ServerBusy))
		Expect(syncLoop(m, windowsXP).Fault).To(BeNil())

		rules, err := m.admin().Faults(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(rules).To(HaveLen(1))
		Expect(rules[0].Hits).To(BeEquivalentTo(1))

		By("a rule that does not validate is refused, naming the field")
		s = wsusmockAdmin("--server", m.URL, "faults", "add", `{"error_code": "ServerOnFire"}`)
		Expect(s).To(gexec.Exit(1))
		Expect(s.Err).To(gbytes.Say(`error_code: unknown WSUS ErrorCode "ServerOnFire"`))
	})
})

var _ = Describe("Admin API access", func() {
	It("demands the --admin-token from every caller once one is set", func(ctx SpecContext) {
		m := startMock("--admin-token", "s3cret")
		_, err := m.admin().Info(ctx)
		var refusal *admin.Error
		Expect(errors.As(err, &refusal)).To(BeTrue())
		Expect(refusal.Code).To(Equal(admin.Unauthorized))
		Expect(refusal.Reason).To(ContainSubstring("Authorization: Bearer"))

		Expect(wsusmockAdmin("--server", m.URL, "server")).To(gexec.Exit(1))
		Expect(wsusmockAdmin("--server", m.URL, "--token", "s3cret", "server")).To(gexec.Exit(0))
	})
})
