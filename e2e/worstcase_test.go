package e2e_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/wsusmock/wsusmock/wusp"
)

// The worst requests a client can send, each within the 1 MiB body limit,
// sent 100 at a time: the server answers every one with a SOAP envelope,
// keeps serving, and its resident memory stays bounded. Before the
// hardening, 8 concurrent reply-amplification requests killed it with
// "fatal error: out of memory".
//
// The server here is built without the race detector, whose shadow memory
// would make its resident size meaningless.
var _ = Describe("The worst requests, 100 at a time", Ordered, func() {
	var (
		srv *mock
		pid int
	)

	BeforeAll(func() {
		if _, err := os.Stat("/proc/self/status"); err != nil {
			Skip("resident memory is read from /proc, which this system lacks")
		}
		bin, err := gexec.Build("github.com/wsusmock/wsusmock/cmd/wsusmock")
		Expect(err).NotTo(HaveOccurred())
		session, err := gexec.Start(exec.Command(bin, "serve", "--addr", "127.0.0.1:0"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() {
			session.Terminate()
			Eventually(session, 10*time.Second).Should(gexec.Exit(0))
		})
		Eventually(session.Err, 10*time.Second).Should(gbytes.Say(`addr=127\.0\.0\.1:\d+`))
		srv = &mock{Session: session, URL: "http://" + string(addrLine.FindSubmatch(session.Err.Contents())[1])}
		pid = session.Command.Process.Pid
	})

	It("answers each with a SOAP envelope and stays under 200 MB resident", func() {
		kinds := worstRequests()
		const concurrent = 100
		var wg sync.WaitGroup
		results := make(chan string, concurrent)
		for i := range concurrent {
			k := kinds[i%len(kinds)]
			wg.Go(func() {
				req, err := http.NewRequest(http.MethodPost, srv.URL+k.op.Service.Path(), bytes.NewReader(k.body))
				if err != nil {
					results <- k.name + ": " + err.Error()
					return
				}
				req.Header.Set("Content-Type", "text/xml; charset=utf-8")
				req.Header.Set("SOAPAction", k.op.QuotedSOAPAction())
				resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
				if err != nil {
					results <- k.name + ": " + err.Error()
					return
				}
				defer resp.Body.Close()
				var b bytes.Buffer
				_, _ = b.ReadFrom(resp.Body)
				if !bytes.Contains(b.Bytes(), []byte("<soap:Envelope")) || !bytes.Contains(b.Bytes(), []byte("<soap:Fault>")) {
					results <- fmt.Sprintf("%s: HTTP %d without a SOAP fault: %.200s", k.name, resp.StatusCode, b.String())
					return
				}
				results <- ""
			})
		}
		wg.Wait()
		close(results)
		for r := range results {
			Expect(r).To(BeEmpty())
		}

		By("still serving an ordinary client")
		_, err := srv.call(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}, &wusp.GetConfigResponse{})
		Expect(err).To(Succeed())

		peak := peakRSSMiB(pid)
		GinkgoWriter.Printf("server peak RSS after %d worst-case requests: %d MiB\n", concurrent, peak)
		Expect(peak).To(BeNumerically("<", 200), "peak resident memory (VmHWM) in MiB")
	})
})

// worstCase is one kind of hostile request.
type worstCase struct {
	name string
	op   wusp.Operation
	body []byte
}

// worstRequests are the requests that cost most before the hardening:
// reply amplification through infoTypes, a body of '<' (the parser sized
// its element slice by counting them), a clientId split by processing
// instructions (text joined with +=), and the longest lists WSUS allows.
func worstRequests() []worstCase {
	const almostMiB = 1<<20 - 4096

	ext := &wusp.GetExtendedUpdateInfoRequest{RevisionIDs: []int{8862}, Locales: []string{"en"}}
	for len(ext.InfoTypes)*48 < almostMiB {
		ext.InfoTypes = append(ext.InfoTypes, "LocalizedProperties")
	}

	auth := wusp.MarshalRequest(wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: "CLIENTID", DNSName: "pc"})
	split := strings.Repeat("a<?a?>", (almostMiB-len(auth))/6)
	auth = bytes.Replace(auth, []byte("CLIENTID"), []byte(split), 1)

	open := wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"})
	lts := append(bytes.Clone(open[:bytes.Index(open, []byte("<protocolVersion>"))]), bytes.Repeat([]byte("<"), almostMiB-len(open))...)

	sync := &wusp.SyncUpdatesRequest{}
	for i := range wusp.MaxCachedUpdateIDs {
		sync.Parameters.OtherCachedUpdateIDs = append(sync.Parameters.OtherCachedUpdateIDs, 100000+i)
	}
	for i := range wusp.MaxInstalledNonLeafUpdateIDs {
		sync.Parameters.InstalledNonLeafUpdateIDs = append(sync.Parameters.InstalledNonLeafUpdateIDs, 200000+i)
	}

	many := wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"})
	elements := bytes.Repeat([]byte("<a/>"), (almostMiB-len(many))/4)
	many = bytes.Replace(many, []byte("<protocolVersion>"), append(elements, "<protocolVersion>"...), 1)

	return []worstCase{
		{"GetExtendedUpdateInfo with " + strconv.Itoa(len(ext.InfoTypes)) + " infoTypes", wusp.OpGetExtendedUpdateInfo, wusp.MarshalRequest(wusp.OpGetExtendedUpdateInfo, ext)},
		{"a clientId split by processing instructions", wusp.OpGetAuthorizationCookie, auth},
		{"a body of '<'", wusp.OpGetConfig, lts},
		{"SyncUpdates with the longest lists WSUS allows", wusp.OpSyncUpdates, wusp.MarshalRequest(wusp.OpSyncUpdates, sync)},
		{"a quarter of a million empty elements", wusp.OpGetConfig, many},
	}
}

// peakRSSMiB reads a process's peak resident set (VmHWM) from /proc.
func peakRSSMiB(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	Expect(err).NotTo(HaveOccurred())
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			Expect(err).NotTo(HaveOccurred())
			return kb / 1024
		}
	}
	Fail("no VmHWM in /proc/" + strconv.Itoa(pid) + "/status")
	return 0
}
