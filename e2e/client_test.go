package e2e_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// The seven PT lines of advisory 954960's client log, in English as WUA
// wrote them: the sync banner, the server URL, and the fault dump. The
// timestamp, PID and TID columns and the fault ID are what differ per run.
var advisoryPTLines = []string{
	`PT	+++++++++++  PT: Synchronizing server updates  +++++++++++`,
	`PT	  + ServiceId = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}, Server URL = SERVER/ClientWebService/client.asmx`,
	`PT	WARNING: SyncUpdates failure, error = 0x8024400E, soap client error = 7, soap error code = 400, HTTP status code = STATUS`,
	`PT	WARNING: SOAP Fault: 0x000190`,
	`PT	WARNING:     faultstring:Fault occurred`,
	`PT	WARNING:     ErrorCode:InternalServerError(5)`,
	`PT	WARNING:     Message:(null)`,
	`PT	WARNING:     Method:"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"`,
	`PT	WARNING:     ID:FAULTID`,
}

var logColumns = regexp.MustCompile(`^\d{4}-\d\d-\d\d\t\d\d:\d\d:\d\d:\d{3}\t\d+\t[0-9a-f]+\t`)

// ptBlock returns the client log's lines from the PT sync banner on, with
// the date, time, PID and TID columns removed.
func ptBlock(log string) []string {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(log, "\r\n", "\n"), "\n") {
		rest := logColumns.ReplaceAllString(line, "")
		if rest == line {
			continue
		}
		if len(out) > 0 || strings.Contains(rest, "PT: Synchronizing server updates") {
			out = append(out, rest)
		}
	}
	return out
}

var _ = Describe("The client simulator against the binary", func() {
	clientRun := func(m *mock, profile string, extra ...string) (*gexec.Session, string) {
		logFile := filepath.Join(GinkgoT().TempDir(), "WindowsUpdate.log")
		session := run(append([]string{"client", "--server", m.URL, "--profile", profile, "--log", logFile, "--quiet"}, extra...)...)
		b, err := os.ReadFile(logFile)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(b)).To(ContainSubstring("\r\n"), "WindowsUpdate.log lines end in CRLF")
		return session, string(b)
	}
	idIn := regexp.MustCompile(`ID=([0-9a-f-]{36})`)

	expectAdvisoryBlock := func(m *mock, log, status, faultID string) {
		want := make([]string, len(advisoryPTLines))
		for i, l := range advisoryPTLines {
			want[i] = strings.NewReplacer("SERVER", m.URL, "STATUS", status, "FAULTID", faultID).Replace(l)
		}
		Expect(ptBlock(log)[:len(want)]).To(Equal(want))
	}

	It("fails an Office 2003 client with the advisory's seven PT lines and the server's fault ID", func() {
		serverLog := filepath.Join(GinkgoT().TempDir(), "SoftwareDistribution.log")
		m := startMock("--server-log", serverLog)

		session, log := clientRun(m, "xp-sp3-office2003")
		Expect(session).To(gexec.Exit(3))
		Expect(string(session.Out.Contents())).To(MatchRegexp(`result: failed hresult=0x8024400E fault=InternalServerError id=[0-9a-f-]{36} operation=SyncUpdates http_status=200`))

		sd := serverLogAfterShutdown(m, serverLog)
		ids := idIn.FindStringSubmatch(sd)
		Expect(ids).NotTo(BeNil(), "the server logged the fault's ID")
		expectAdvisoryBlock(m, log, "200", ids[1])
		Expect(string(session.Out.Contents())).To(ContainSubstring("id=" + ids[1]))
	})

	// WUA 7.x logged "HTTP status code = 200" for every SOAP fault, although
	// ASP.NET sent it with 500: with --fault-status 500 the log is the
	// advisory's block line for line, and only the summary names the 500.
	It("logs the advisory's block with --fault-status 500 too; the summary names the 500", func() {
		m := startMock("--fault-status", "500")
		session, log := clientRun(m, "xp-sp3-office2003")
		Expect(session).To(gexec.Exit(3))
		Expect(string(session.Out.Contents())).To(ContainSubstring("http_status=500"))
		id := regexp.MustCompile(`id=([0-9a-f-]{36})`).FindStringSubmatch(string(session.Out.Contents()))[1]
		expectAdvisoryBlock(m, log, "200", id)
	})

	DescribeTable("completes where 8862 is not in the way",
		func(scenario, profile string) {
			m := startMock("--scenario", scenario)
			session, log := clientRun(m, profile)
			Expect(session).To(gexec.Exit(0))
			Expect(string(session.Out.Contents())).To(MatchRegexp(`result: succeeded needed=\d+ round_trips=\d+`))
			Expect(log).NotTo(ContainSubstring("WARNING"))
		},
		Entry("a client without Office on the default scenario", "sp1-office2003", "xp-sp3"),
		Entry("an Office 2003 client once KB954960 is in", "sp1-kb954960", "xp-sp3-office2003"),
		Entry("a client without Office once KB954960 is in", "sp1-kb954960", "xp-sp3"),
	)

	It("writes the advisory's Dutch rendering with --lang nl", func() {
		m := startMock()
		session, log := clientRun(m, "xp-sp3-office2003", "--lang", "nl")
		Expect(session).To(gexec.Exit(3))
		Expect(log).To(ContainSubstring("PT\t+++++++++++  PT: Serverupdates worden gesynchroniseerd +++++++++++"))
		Expect(log).To(ContainSubstring("PT\tWARNING: SOAP-fout: 0x000190"))
		Expect(log).To(ContainSubstring("PT\tWARNING:     Bericht:(null)"))
		Expect(log).To(ContainSubstring(`PT	WARNING:     De methode:"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"`))
	})
})
