package e2e_test

import (
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/wsusmock/wsusmock/wusp"
)

// mock is one running "wsusmock serve" process.
type mock struct {
	Session *gexec.Session
	// URL is the server root, e.g. http://127.0.0.1:49152.
	URL string
}

var addrLine = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

// startMock runs "wsusmock serve" on a free loopback port with extra flags,
// waits for its "addr=" line, and stops it (by PID, via the session) when the
// spec ends.
func startMock(flags ...string) *mock {
	args := append([]string{"serve", "--addr", "127.0.0.1:0"}, flags...)
	session, err := gexec.Start(exec.Command(wsusmockBin, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		session.Terminate()
		Eventually(session, 10*time.Second).Should(gexec.Exit(0))
	})
	Eventually(session.Err, 10*time.Second).Should(gbytes.Say(`addr=127\.0\.0\.1:\d+`))
	m := addrLine.FindSubmatch(session.Err.Contents())
	Expect(m).NotTo(BeNil())
	return &mock{Session: session, URL: "http://" + string(m[1])}
}

// reply is what came back from one SOAP call.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// post sends a raw SOAP body with a SOAPAction header ("" for none).
func post(url, soapAction string, body []byte) reply {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	if soapAction != "" {
		req.Header.Set("SOAPAction", soapAction)
	}
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// call performs one operation the way WUA does (quoted SOAPAction) and
// decodes the reply into resp. It returns the reply and the decoding error,
// which is a *wusp.Fault when the server answered with a WSUS fault.
func (m *mock) call(op wusp.Operation, req, resp wusp.Message) (reply, error) {
	r := post(m.URL+op.Service.Path(), op.QuotedSOAPAction(), wusp.MarshalRequest(op, req))
	return r, wusp.ParseResponse(r.Body, op, resp)
}
