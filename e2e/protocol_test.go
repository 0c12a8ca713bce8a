package e2e_test

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/wsusmock/wsusmock/wusp"
)

// A client id as WUA keeps it in SusClientId.
const clientID = "4e1f0c2a-6b7d-4f3e-9a51-2d8c7b3e0a11"

// handshake walks GetConfig → GetAuthorizationCookie → GetCookie as WUA does
// and returns the session cookie.
func handshake(m *mock, protocol string) wusp.Cookie {
	var config wusp.GetConfigResponse
	_, err := m.call(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: protocol}, &config)
	Expect(err).NotTo(HaveOccurred())

	var auth wusp.GetAuthorizationCookieResponse
	_, err = m.call(wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{
		ClientID: clientID, DNSName: "qa-xp01.example.test",
	}, &auth)
	Expect(err).NotTo(HaveOccurred())

	var cookie wusp.GetCookieResponse
	_, err = m.call(wusp.OpGetCookie, &wusp.GetCookieRequest{
		AuthCookies:     []wusp.AuthorizationCookie{auth.Result},
		LastChange:      config.Result.LastChange,
		CurrentTime:     time.Now(),
		ProtocolVersion: protocol,
	}, &cookie)
	Expect(err).NotTo(HaveOccurred())
	return cookie.Result
}

// faultOf asserts that err is a WSUS fault and returns it.
func faultOf(err error) *wusp.Fault {
	var f *wusp.Fault
	ExpectWithOffset(1, errors.As(err, &f)).To(BeTrue(), "want a WSUS fault, got %v", err)
	return f
}

var _ = Describe("The protocol core, against the built binary", func() {
	var m *mock
	BeforeEach(func() { m = startMock() })

	It("walks the whole WSUS 3.0 SP1 handshake a Windows Update Agent performs", func() {
		By("GetConfig: the WSUS 3.0 SP1 configuration")
		var config wusp.GetConfigResponse
		r, err := m.call(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}, &config)
		Expect(err).NotTo(HaveOccurred())
		Expect(config.Result.AuthInfo).To(ConsistOf(wusp.AuthPlugInInfo{
			PlugInID: "SimpleTargeting", ServiceURL: "SimpleAuthWebService/SimpleAuth.asmx",
		}))
		Expect(config.Result.Properties).To(ContainElements(
			wusp.ConfigurationProperty{Name: "ProtocolVersion", Value: "3.1"},
			wusp.ConfigurationProperty{Name: "MaxExtendedUpdatesPerRequest", Value: "50"},
		))
		Expect(config.Result.IsRegistrationRequired).To(BeTrue())

		By("answering as IIS 6 with ASP.NET 2.0 did, with a Content-Length and no chunking")
		Expect(r.Status).To(Equal(http.StatusOK))
		Expect(r.Header.Get("Content-Type")).To(Equal("text/xml; charset=utf-8"))
		Expect(r.Header.Get("Content-Length")).To(Equal(itoa(len(r.Body))))
		Expect(r.Header.Get("Server")).To(Equal("Microsoft-IIS/6.0"))
		Expect(r.Header.Get("X-AspNet-Version")).To(Equal("2.0.50727"))
		Expect(string(r.Body)).To(HavePrefix(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">`))

		By("GetAuthorizationCookie and GetCookie: a session cookie")
		cookie := handshake(m, "1.0")
		Expect(cookie.Expiration).To(BeTemporally(">", time.Now()))

		By("RegisterComputer: an empty response")
		var registered wusp.RegisterComputerResponse
		_, err = m.call(wusp.OpRegisterComputer, &wusp.RegisterComputerRequest{Cookie: cookie, ComputerInfo: xpSP3()}, &registered)
		Expect(err).NotTo(HaveOccurred())

		By("SyncUpdates: the first call returns the root non-leaf revisions and a new cookie")
		var sync wusp.SyncUpdatesResponse
		_, err = m.call(wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: cookie}, &sync)
		Expect(err).NotTo(HaveOccurred())
		Expect(sync.Result.NewUpdates).NotTo(BeEmpty())
		for _, u := range sync.Result.NewUpdates {
			Expect(u.IsLeaf).To(BeFalse(), "revision %d on the first call", u.ID)
		}
		Expect(sync.Result.NewCookie.EncryptedData).NotTo(BeEmpty())

		By("GetExtendedUpdateInfo: titles for those revisions")
		var ids []int
		for _, u := range sync.Result.NewUpdates {
			ids = append(ids, u.ID)
		}
		var ext wusp.GetExtendedUpdateInfoResponse
		_, err = m.call(wusp.OpGetExtendedUpdateInfo, &wusp.GetExtendedUpdateInfoRequest{
			Cookie: sync.Result.NewCookie, RevisionIDs: ids, InfoTypes: []string{"LocalizedProperties"}, Locales: []string{"en"},
		}, &ext)
		Expect(err).NotTo(HaveOccurred())
		Expect(ext.Result.Updates).To(HaveLen(len(ids)))
		Expect(ext.Result.Updates[0].Xml).To(ContainSubstring("<Title>"))

		By("ReportEventBatch: the detection result is accepted")
		var reported wusp.ReportEventBatchResponse
		_, err = m.call(wusp.OpReportEventBatch, &wusp.ReportEventBatchRequest{
			Cookie: sync.Result.NewCookie, ClientTime: time.Now(),
			EventBatch: []wusp.ReportingEvent{{ClientID: clientID, EventID: 147, SourceID: 101, NamespaceID: 1, TimeAtTarget: time.Now()}},
		}, &reported)
		Expect(err).NotTo(HaveOccurred())
		Expect(reported.Result).To(BeTrue())
	})

	It("matches endpoint paths without regard to case, as IIS did", func() {
		r := post(m.URL+"/CLIENTWEBSERVICE/Client.ASMX", wusp.OpGetConfig.QuotedSOAPAction(),
			wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}))
		Expect(r.Status).To(Equal(http.StatusOK))
		Expect(string(r.Body)).To(ContainSubstring("<GetConfigResponse"))
	})

	It("reads a request the way a 2008 agent wrote it: BOM, SOAP-ENV prefix, soapenc:arrayType, xsi:nil=\"1\"", func() {
		cookie := handshake(m, "1.0")
		body := "\ufeff" + `<?xml version="1.0" encoding="utf-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/">
  <SOAP-ENV:Body>
    <SyncUpdates xmlns="http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService">
      <cookie>
        <Expiration>` + wusp.FormatDateTime(cookie.Expiration) + `</Expiration>
        <EncryptedData>` + base64.StdEncoding.EncodeToString(cookie.EncryptedData) + `</EncryptedData>
      </cookie>
      <parameters>
        <ExpressQuery>false</ExpressQuery>
        <InstalledNonLeafUpdateIDs soapenc:arrayType="xsd:int[3]"><int>8001</int><int>8003</int><int>8010</int></InstalledNonLeafUpdateIDs>
        <OtherCachedUpdateIDs xsi:nil="1" />
        <SystemSpec xsi:nil="1" />
        <CachedDriverIDs xsi:nil="1" />
        <SkipSoftwareSync>false</SkipSoftwareSync>
      </parameters>
    </SyncUpdates>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>`
		r := post(m.URL+"/ClientWebService/client.asmx", wusp.OpSyncUpdates.QuotedSOAPAction(), []byte(body))
		Expect(r.Status).To(Equal(http.StatusOK))
		var sync wusp.SyncUpdatesResponse
		Expect(wusp.ParseResponse(r.Body, wusp.OpSyncUpdates, &sync)).To(Succeed())
		By("the Windows XP product, unlocked by the reported product family and detectoid")
		Expect(sync.Result.NewUpdates).To(ContainElement(HaveField("ID", 8002)))
	})

	It("dispatches on the Body when a request has no SOAPAction", func() {
		r := post(m.URL+"/ClientWebService/client.asmx", "",
			wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}))
		Expect(r.Status).To(Equal(http.StatusOK))
		Expect(string(r.Body)).To(ContainSubstring("<GetConfigResponse"))
	})

	It("serves each service's WSDL at ?wsdl, addressed to where it was asked", func() {
		for _, path := range []string{"/ClientWebService/client.asmx", "/SimpleAuthWebService/SimpleAuth.asmx", "/ReportingWebService/ReportingWebService.asmx", "/ReportingWebService/WebService.asmx"} {
			resp, err := http.Get(m.URL + path + "?wsdl")
			Expect(err).NotTo(HaveOccurred())
			body := readAll(resp)
			Expect(resp.StatusCode).To(Equal(http.StatusOK), path)
			Expect(body).To(ContainSubstring("<wsdl:definitions"))
			Expect(body).To(ContainSubstring(`location="` + m.URL + "/"))
		}
	})

	Describe("refusing what is broken, and serving on", func() {
		AfterEach(func() {
			By("still answering GetConfig afterwards")
			var config wusp.GetConfigResponse
			_, err := m.call(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}, &config)
			Expect(err).NotTo(HaveOccurred())
		})

		It("answers an operation a WSUS 3.0 SP1 server lacked like ASMX answered an unknown SOAPAction", func() {
			for _, action := range []string{"StartCategoryScan", "GetExtendedUpdateInfo2", "GetConfig2", "GetTimestamps", "SyncPrinterCatalog"} {
				r := post(m.URL+"/ClientWebService/client.asmx", `"`+wusp.NSClient+"/"+action+`"`, []byte(
					`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><`+action+` xmlns="`+wusp.NSClient+`"/></soap:Body></soap:Envelope>`))
				Expect(r.Status).To(Equal(http.StatusInternalServerError), action)
				err := wusp.ParseResponse(r.Body, wusp.OpGetConfig, new(wusp.GetConfigResponse))
				var pf *wusp.ProtocolFault
				Expect(errors.As(err, &pf)).To(BeTrue(), action)
				Expect(pf.FaultCode).To(Equal("Client"))
				Expect(pf.FaultString).To(Equal("Server did not recognize the value of HTTP Header SOAPAction: " + wusp.NSClient + "/" + action + "."))
			}
		})

		It("answers malformed XML with HTTP 400 and a soap:Client fault", func() {
			r := post(m.URL+"/ClientWebService/client.asmx", wusp.OpSyncUpdates.QuotedSOAPAction(), []byte(`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><SyncUpdates>`))
			Expect(r.Status).To(Equal(http.StatusBadRequest))
			Expect(string(r.Body)).To(ContainSubstring("<faultcode>soap:Client</faultcode>"))
			Expect(string(r.Body)).To(ContainSubstring("not well-formed XML"))
		})

		It("refuses an oversize body with HTTP 413, naming the limit", func() {
			huge := bytes.Repeat([]byte("<int>1</int>"), 200_000)
			r := post(m.URL+"/ClientWebService/client.asmx", wusp.OpSyncUpdates.QuotedSOAPAction(), huge)
			Expect(r.Status).To(Equal(http.StatusRequestEntityTooLarge))
			Expect(string(r.Body)).To(ContainSubstring("Maximum request length exceeded: the limit is 1048576 bytes."))
		})

		It("answers a missing required parameter with InvalidParameters naming it", func() {
			cookie := handshake(m, "1.0")
			body := strings.Replace(string(wusp.MarshalRequest(wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: cookie})),
				"<SkipSoftwareSync>false</SkipSoftwareSync>", "", 1)
			r := post(m.URL+"/ClientWebService/client.asmx", wusp.OpSyncUpdates.QuotedSOAPAction(), []byte(body))
			f := faultOf(wusp.ParseResponse(r.Body, wusp.OpSyncUpdates, new(wusp.SyncUpdatesResponse)))
			Expect(f.Code).To(Equal(wusp.InvalidParameters))
			Expect(f.Message).To(Equal("parameters.SkipSoftwareSync"))
			Expect(f.FaultCode()).To(Equal("Client"))
		})

		It("answers a tampered cookie with InvalidCookie, at HTTP 200", func() {
			cookie := handshake(m, "1.0")
			cookie.EncryptedData[len(cookie.EncryptedData)-1] ^= 0xff
			r, err := m.call(wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: cookie}, new(wusp.SyncUpdatesResponse))
			Expect(r.Status).To(Equal(http.StatusOK))
			f := faultOf(err)
			Expect(f.Code).To(Equal(wusp.InvalidCookie))
			Expect(f.Method).To(Equal(`"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"`))
			Expect(f.Actor).To(Equal(m.URL + "/ClientWebService/client.asmx"))
			Expect(f.ID).To(MatchRegexp(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`))
		})

		It("answers another server's cookie with ServerChanged, and a replica's cookie normally", func() {
			other := startMock("--cookie-key", "replica-set-a")
			replica := startMock("--cookie-key", "replica-set-a")
			cookie := handshake(other, "1.0")

			_, err := m.call(wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: cookie}, new(wusp.SyncUpdatesResponse))
			Expect(faultOf(err).Code).To(Equal(wusp.ServerChanged))

			_, err = replica.call(wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: cookie}, new(wusp.SyncUpdatesResponse))
			Expect(err).NotTo(HaveOccurred())
		})
	})

	It("answers an expired cookie with CookieExpired", func() {
		short := startMock("--cookie-lifetime", "1s")
		cookie := handshake(short, "1.0")
		Eventually(func() wusp.ErrorCode {
			_, err := short.call(wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: cookie}, new(wusp.SyncUpdatesResponse))
			var f *wusp.Fault
			if errors.As(err, &f) {
				return f.Code
			}
			return ""
		}, 5*time.Second, 200*time.Millisecond).Should(Equal(wusp.CookieExpired))
	})

	It("sends WSUS faults with HTTP 500 when asked to, as ASP.NET did", func() {
		m500 := startMock("--fault-status", "500")
		cookie := handshake(m500, "1.0")
		cookie.EncryptedData[0] ^= 0xff
		r, err := m500.call(wusp.OpSyncUpdates, &wusp.SyncUpdatesRequest{Cookie: cookie}, new(wusp.SyncUpdatesResponse))
		Expect(r.Status).To(Equal(http.StatusInternalServerError))
		Expect(faultOf(err).Code).To(Equal(wusp.InvalidCookie))
	})
})

var _ = Describe("HTTPS, for port 8531 experiments", func() {
	It("serves the client endpoint over TLS with a self-signed certificate", func() {
		session, err := gexec.Start(exec.Command(wsusmockBin, "serve", "--addr", "127.0.0.1:0", "--tls-self-signed"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { session.Terminate(); Eventually(session, 10*time.Second).Should(gexec.Exit(0)) })
		Eventually(session.Err, 10*time.Second).Should(gbytes.Say(`url=https://127\.0\.0\.1:\d+/ClientWebService/client\.asmx`))
		addr := addrLine.FindSubmatch(session.Err.Contents())[1]

		// The certificate is made at start and trusted by nobody: a test
		// client has to skip verification, a real agent needs it imported.
		insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		body := wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"})
		req, _ := http.NewRequest(http.MethodPost, "https://"+string(addr)+"/ClientWebService/client.asmx", bytes.NewReader(body))
		req.Header.Set("SOAPAction", wusp.OpGetConfig.QuotedSOAPAction())
		resp, err := insecure.Do(req)
		Expect(err).NotTo(HaveOccurred())
		var config wusp.GetConfigResponse
		Expect(wusp.ParseResponse([]byte(readAll(resp)), wusp.OpGetConfig, &config)).To(Succeed())
		Expect(config.Result.AuthInfo).NotTo(BeEmpty())
	})
})

// xpSP3 is the ComputerInfo of a Windows XP SP3 machine with WUA 7.1.
func xpSP3() wusp.ComputerInfo {
	return wusp.ComputerInfo{
		DNSName: "qa-xp01.example.test", OSMajorVersion: 5, OSMinorVersion: 1, OSBuildNumber: 2600,
		OSServicePackMajorNumber: 3, OSLocale: "en-US", ComputerManufacturer: "Contoso", ComputerModel: "QA-1",
		BiosVersion: "1.0", BiosName: "QA BIOS", BiosReleaseDate: time.Date(2007, 11, 1, 0, 0, 0, 0, time.UTC),
		ProcessorArchitecture: "x86", SuiteMask: 256, OldProductType: 1, NewProductType: 1,
		ClientVersionMajorNumber: 7, ClientVersionMinorNumber: 1, ClientVersionBuildNumber: 6001, ClientVersionQfeNumber: 65,
	}
}
