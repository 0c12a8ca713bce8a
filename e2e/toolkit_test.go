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
		// --validate: every request zeep sends and every reply of the mock
		// must be valid against the schema of the WSDL the mock serves.
		session, err := gexec.Start(exec.Command(python3Zeep, "toolkit/zeep_walk.py", "--validate", m.URL), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(session, 60).Should(gexec.Exit(0))

		var summary map[string]any
		Expect(json.Unmarshal(session.Out.Contents(), &summary)).To(Succeed())
		op := func(name string) map[string]any {
			GinkgoHelper()
			Expect(summary).To(HaveKeyWithValue(name, BeAssignableToTypeOf(map[string]any{})))
			return summary[name].(map[string]any)
		}
		Expect(op("GetConfig")).To(HaveKeyWithValue("ProtocolVersion", "3.1"))
		Expect(op("GetAuthorizationCookie")).To(HaveKeyWithValue("PlugInId", "SimpleTargeting"))
		Expect(op("SyncUpdates")).To(HaveKeyWithValue("NewCookie", true))
		Expect(op("ReportEventBatch")).To(HaveKeyWithValue("Result", true))
		for _, name := range []string{"RegisterComputer", "GetExtendedUpdateInfo", "GetFileLocations", "RefreshCache"} {
			op(name)
		}
		// A request and a reply for each of the 9 operations.
		Expect(summary).To(HaveKeyWithValue("validated", BeNumerically(">=", 18)))
	})

	It("sees a WSUS fault with its unqualified detail children", func() {
		m := startMock()
		session, err := gexec.Start(exec.Command(python3Zeep, "toolkit/zeep_walk.py", "--fault-probe", m.URL), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(session, 60).Should(gexec.Exit(0))
		Expect(string(session.Out.Contents())).To(ContainSubstring("InvalidCookie"))
	})
})
