package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/wsusmock/wsusmock/fleet"
	"github.com/wsusmock/wsusmock/soapserver"
)

// A QA engineer judging a detection tool needs a network of machines, not
// one log: `wsusmock fleet` runs them against a server and leaves each
// machine's WindowsUpdate.log where the tool looks, with the ground truth
// to score the tool against. `wsusmock detect DIR --ground-truth` scores
// the reference detector the same way.
var _ = Describe("A fleet of 200 machines, 30 % with Office 2003", func() {
	It("leaves one log per machine and a ground truth the server and the reference detector agree with", func() {
		m := startMock("--scenario", "sp1-office2003", "--journal-size", "5000")
		dir := GinkgoT().TempDir()

		By("running the fleet: 200 distinct machines, at most 16 at a time")
		session, err := gexec.Start(exec.Command(wsusmockBin, "fleet", "--server", m.URL, "--clients", "200",
			"--mix", "xp-sp3-office2003=30,xp-sp3=70", "--concurrency", "16", "--dir", dir, "--progress-every", "100ms"),
			GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(session, 2*time.Minute).Should(gexec.Exit(0))
		Expect(session.Out).To(gbytes.Say(`fleet: 200 of 200 machines against ` + m.URL))
		Expect(session.Out).To(gbytes.Say(`xp-sp3-office2003\s+60\s+0\s+60\s+60\s+0\s+0\s+0\n`))
		Expect(session.Out).To(gbytes.Say(`xp-sp3\s+140\s+140\s+0\s+0\s+0\s+0\s+0\n`))
		Expect(session.Err).To(gbytes.Say(`fleet: \d+/200 done`), "progress lines when stderr is not a terminal")

		By("each machine has its own log, in CRLF lines, under DIR/<host>/WindowsUpdate.log")
		log, err := os.ReadFile(filepath.Join(dir, "ws00001", "WindowsUpdate.log"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(log)).To(HaveSuffix("\r\n"))
		Expect(filepath.Join(dir, "ws00200", "WindowsUpdate.log")).To(BeARegularFile())

		By("the ground truth names the 60 affected machines and their fault IDs")
		gt, err := fleet.ReadGroundTruth(filepath.Join(dir, "ground-truth.json"))
		Expect(err).NotTo(HaveOccurred())
		Expect(gt.Machines).To(HaveLen(200))
		faultOf := map[string]string{} // client ID → fault ID
		for _, machine := range gt.Machines {
			if machine.Affected {
				Expect(machine.ErrorCode).To(Equal("InternalServerError"))
				Expect(machine.HResult).To(Equal("0x8024400E"))
				faultOf[machine.ClientID] = machine.FaultID
			}
		}
		Expect(faultOf).To(HaveLen(60), "60 distinct affected clients")

		By("the server's journal holds the same 60 faults, client by client")
		page, err := m.admin().Journal(context.Background(), soapserver.JournalFilter{Operation: "SyncUpdates", Fault: "InternalServerError"})
		Expect(err).NotTo(HaveOccurred())
		Expect(page.Dropped).To(BeZero())
		journaled := map[string]string{}
		for _, e := range page.Entries {
			journaled[e.ClientID] = e.FaultID
		}
		Expect(journaled).To(Equal(faultOf))

		By("the reference detector scores precision and recall 1.0 over the fleet's logs")
		score := run("detect", "--summary", "--ground-truth", filepath.Join(dir, "ground-truth.json"), dir)
		Expect(score).To(gexec.Exit(10), "exit status 10: a host is affected")
		Expect(score.Out).To(gbytes.Say(`hosts: 200 \(affected 60, clean 140\)`))
		Expect(score.Out).To(gbytes.Say(`affected\s+60\s+0\n`))
		Expect(score.Out).To(gbytes.Say(`not-affected\s+0\s+140\n`))
		Expect(score.Out).To(gbytes.Say(`precision \(affected\): 1\.000 \(60 of 60 `))
		Expect(score.Out).To(gbytes.Say(`recall \(affected\):    1\.000 \(60 of 60 `))

		By("the same in JSON, for a CI job to check")
		js := run("detect", "--json", "--summary", "--ground-truth", filepath.Join(dir, "ground-truth.json"), dir)
		var result struct {
			Hosts int         `json:"hosts"`
			Score fleet.Score `json:"score"`
		}
		Expect(json.Unmarshal(js.Out.Contents(), &result)).To(Succeed())
		Expect(result.Hosts).To(Equal(200))
		Expect(*result.Score.Precision).To(Equal(1.0))
		Expect(*result.Score.Recall).To(Equal(1.0))
	})

	It("says so when the server cannot be reached, with exit status 4", func() {
		session := run("fleet", "--server", "http://127.0.0.1:1", "--clients", "50", "--concurrency", "4", "--progress-every", "0")
		Expect(session).To(gexec.Exit(4))
		Expect(session.Err).To(gbytes.Say(`cannot reach http://127.0.0.1:1`))
	})
})
