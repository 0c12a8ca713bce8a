package e2e_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/wsusmock/wsusmock/detect"
	"github.com/wsusmock/wsusmock/wsustest"
	"github.com/wsusmock/wsusmock/wusp"
)

// These two suites are worked examples of what wsusmock is for: proving that
// a detection tool and a remediation tool react correctly to advisory
// 954960. Each runs twice: against the wsusmock binary (for tools you call as
// commands) and against the in-process test kit (for Go suites). Here the
// detection tool is the reference detector ("wsusmock detect", package
// detect) and the remediation tool is examples/remediate-954960.sh; put your
// own tools in their place.

// run runs the wsusmock binary with args and waits for it to exit.
func run(args ...string) *gexec.Session {
	session, err := gexec.Start(exec.Command(wsusmockBin, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	Eventually(session, time.Minute).Should(gexec.Exit())
	return session
}

// verdicts decodes "wsusmock detect --json" output into name → verdict.
func verdicts(out []byte) map[string]detect.Verdict {
	var reports []detect.Report
	Expect(json.Unmarshal(out, &reports)).To(Succeed())
	v := map[string]detect.Verdict{}
	for _, r := range reports {
		v[filepath.Base(r.Name)] = r.Verdict
	}
	return v
}

var _ = Describe("Example: testing a detection tool", func() {
	It("finds 954960 in the logs of a failing server and not after the fix (binary)", func() {
		dir := GinkgoT().TempDir()
		serverLog := filepath.Join(dir, "SoftwareDistribution.log")
		m := startMock("--server-log", serverLog)

		By("an Office 2003 client failing against WSUS 3.0 SP1")
		clientLog := filepath.Join(dir, "WindowsUpdate.log")
		Expect(run("client", "--server", m.URL, "--profile", "xp-sp3-office2003", "--log", clientLog, "--quiet")).To(gexec.Exit(3))

		By("the detector reads both logs: affected, exit 10")
		Eventually(func() string { b, _ := os.ReadFile(serverLog); return string(b) }).Should(ContainSubstring("ThrowException"))
		det := run("detect", "--json", clientLog, serverLog)
		Expect(det).To(gexec.Exit(10))
		Expect(verdicts(det.Out.Contents())).To(Equal(map[string]detect.Verdict{
			"WindowsUpdate.log": detect.VerdictAffected, "SoftwareDistribution.log": detect.VerdictAffected,
		}))

		By("after KB954960 a fresh client log is clean, exit 0")
		Expect(run("admin", "--server", m.URL, "hotfix", "install", "KB954960")).To(gexec.Exit(0))
		fixedLog := filepath.Join(dir, "WindowsUpdate-after.log")
		Expect(run("client", "--server", m.URL, "--profile", "xp-sp3-office2003", "--log", fixedLog, "--quiet")).To(gexec.Exit(0))
		Expect(run("detect", fixedLog)).To(gexec.Exit(0))

		By("and a live probe agrees")
		Expect(run("detect", "--probe", m.URL)).To(gexec.Exit(0))
	})

	It("finds 954960 in the logs of a failing server and not after the fix (in-process kit)", func() {
		srv := wsustest.NewServer("sp1-office2003")
		DeferCleanup(srv.Close)

		res := srv.Detect("xp-sp3-office2003")
		Expect(res).To(wsustest.HaveFailedWith(wusp.InternalServerError))
		Expect(res).To(wsustest.HoldKB954960Signature())
		Expect(srv.ServerLog()).To(wsustest.HoldKB954960Signature())

		By("the client's and the server's reports name the same fault")
		reports := make([]detect.Report, 2)
		var err error
		reports[0], err = detect.Analyze("WindowsUpdate.log", strings.NewReader(res.LogText()))
		Expect(err).NotTo(HaveOccurred())
		reports[1], err = detect.Analyze("SoftwareDistribution.log", strings.NewReader(srv.ServerLog()))
		Expect(err).NotTo(HaveOccurred())
		detect.Correlate(reports)
		Expect(reports[0].UnmatchedFaultIDs).To(BeEmpty())
		Expect(reports[0].Faults).To(ContainElement(HaveField("ID", res.Fault.ID)))

		By("after KB954960 the client's log is clean")
		Expect(srv.InstallHotfix("KB954960")).To(Succeed())
		after := srv.Detect("xp-sp3-office2003")
		Expect(after).To(wsustest.HaveSucceeded())
		Expect(after).NotTo(wsustest.HoldKB954960Signature())
	})
})

var _ = Describe("Example: testing a remediation tool", func() {
	script, err := filepath.Abs("examples/remediate-954960.sh")
	if err != nil {
		panic(err)
	}

	DescribeTable("examples/remediate-954960.sh fixes every affected build (binary)",
		func(scenario, wantDLL string) {
			m := startMock("--scenario", scenario)
			Expect(run("client", "--server", m.URL, "--profile", "xp-sp3-office2003", "--quiet")).To(gexec.Exit(3))

			session, err := gexec.Start(exec.Command("sh", script, wsusmockBin, m.URL), GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			Eventually(session, time.Minute).Should(gexec.Exit(0))

			Expect(run("client", "--server", m.URL, "--profile", "xp-sp3-office2003", "--quiet")).To(gexec.Exit(0))
			info := run("admin", "--server", m.URL, "server")
			Expect(info).To(gexec.Exit(0))
			Expect(string(info.Out.Contents())).To(ContainSubstring(`"client_dll_version": "` + wantDLL + `"`))
		},
		Entry("WSUS 3.0 SP1: installs KB954960", "sp1-office2003", "3.1.6001.66"),
		Entry("WSUS 3.0 RTM: applies the console workaround", "rtm-office2003", "3.0.6000.273"),
	)

	DescribeTable("examples/remediate-954960.sh fixes every affected build (in-process kit)",
		func(scenario string, wantHotfixes []string) {
			srv := wsustest.NewServer(scenario)
			DeferCleanup(srv.Close)
			Expect(srv.Detect("xp-sp3-office2003")).To(wsustest.HaveFailedWith(wusp.InternalServerError))

			session, err := gexec.Start(exec.Command("sh", script, wsusmockBin, srv.URL), GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			Eventually(session, time.Minute).Should(gexec.Exit(0))

			Expect(srv.Info().Hotfixes).To(ConsistOf(wantHotfixes))
			Expect(srv.Detect("xp-sp3-office2003")).To(wsustest.HaveSucceeded())
			// One fault before the fix (our Detect), none after: the tool's
			// own verification run succeeded too.
			Expect(srv).To(wsustest.HaveServedFault(wusp.InternalServerError, 1))
		},
		Entry("WSUS 3.0 SP1: installs KB954960", "sp1-office2003", []string{"KB954960"}),
		Entry("WSUS 3.0 RTM: applies the console workaround", "rtm-office2003", []string{}),
	)
})

var _ = Describe("Example: a detection tool's own Go module", func() {
	// testdata/mydetector is a module of its own, as a user's tool would be,
	// that takes the kit from this repository through a replace line. Its
	// one test says, with the kit, Gomega and the kit's constants only: the
	// tool flags the failing client; after the hotfix it does not; and that
	// client got InternalServerError exactly twice.
	It("builds and passes against the kit", func() {
		cmd := exec.Command("go", "test", "-count=1", "./...")
		cmd.Dir = filepath.Join("testdata", "mydetector")
		session, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(session, 5*time.Minute).Should(gexec.Exit(0))
		Expect(session.Out).To(gbytes.Say(`ok\s+example.com/mydetector`))
	})
})
