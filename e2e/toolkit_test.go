package e2e_test

import (
	"encoding/json"
	"os"
	"os/exec"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// python3Zeep is Debian's Python with the zeep SOAP toolkit (package
// python3-zeep); .ci/run installs it. Without it the specs below are skipped
// locally, and fail in CI, where CI=true.
const python3Zeep = "/usr/bin/python3"

func requireZeep() {
	if err := exec.Command(python3Zeep, "-c", "import zeep").Run(); err != nil {
		if os.Getenv("CI") != "" {
			Fail("python3-zeep is not installed; .ci/run installs it")
		}
		Skip("python3-zeep is not installed (apt-get install python3-zeep libxml2-utils)")
	}
}

var _ = Describe("A third-party SOAP toolkit (Python zeep) against the served WSDL", func() {
	BeforeEach(requireZeep)

	It("loads the three WSDLs from ?wsdl and calls every operation", func() {
		m := startMock("--scenario", "sp1-kb954960")
		session, err := gexec.Start(exec.Command(python3Zeep, "toolkit/zeep_walk.py", m.URL), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(session, 60).Should(gexec.Exit(0))

		var summary map[string]map[string]any
		Expect(json.Unmarshal(session.Out.Contents(), &summary)).To(Succeed())
		Expect(summary).To(HaveKey("GetConfig"))
		Expect(summary["GetConfig"]).To(HaveKeyWithValue("ProtocolVersion", "3.1"))
		Expect(summary["GetAuthorizationCookie"]).To(HaveKeyWithValue("PlugInId", "SimpleTargeting"))
		Expect(summary["SyncUpdates"]).To(HaveKeyWithValue("NewCookie", true))
		Expect(summary["ReportEventBatch"]).To(HaveKeyWithValue("Result", true))
		for _, op := range []string{"RegisterComputer", "GetExtendedUpdateInfo", "GetFileLocations", "RefreshCache"} {
			Expect(summary).To(HaveKey(op))
		}
	})

	It("sees a WSUS fault with its unqualified detail children", func() {
		m := startMock()
		session, err := gexec.Start(exec.Command(python3Zeep, "toolkit/zeep_walk.py", "--fault-probe", m.URL), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(session, 60).Should(gexec.Exit(0))
		Expect(string(session.Out.Contents())).To(ContainSubstring("InvalidCookie"))
	})
})
