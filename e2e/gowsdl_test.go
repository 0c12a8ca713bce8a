package e2e_test

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/hooklift/gowsdl/soap"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wsusmock/wsusmock/e2e/wsusclient/client"
	"github.com/wsusmock/wsusmock/e2e/wsusclient/reporting"
	"github.com/wsusmock/wsusmock/e2e/wsusclient/simpleauth"
)

// These specs use the clients in e2e/wsusclient, which gowsdl generated from
// the project's WSDLs (and internal/fixgen repaired; see its README), the
// way users build their own WSUS tools. They show what such a tool sees of
// advisory 954960.

// wsusTool is a user's tool: one generated client per WSUS service, each
// on its own soap.Client addressed to that service's endpoint.
type wsusTool struct {
	Client     client.ClientSoap
	SimpleAuth simpleauth.SimpleAuthSoap
	Reporting  reporting.WebServiceSoap
}

func newWSUSTool(serverURL string) *wsusTool {
	return &wsusTool{
		Client:     client.NewClientSoap(soap.NewClient(serverURL + "/ClientWebService/client.asmx")),
		SimpleAuth: simpleauth.NewSimpleAuthSoap(soap.NewClient(serverURL + "/SimpleAuthWebService/SimpleAuth.asmx")),
		Reporting:  reporting.NewWebServiceSoap(soap.NewClient(serverURL + "/ReportingWebService/ReportingWebService.asmx")),
	}
}

// handshake walks GetConfig → GetAuthorizationCookie → GetCookie and returns
// the session cookie.
func (t *wsusTool) handshake() *client.Cookie {
	config, err := t.Client.GetConfig(&client.GetConfig{ProtocolVersion: "1.0"})
	Expect(err).NotTo(HaveOccurred())

	auth, err := t.SimpleAuth.GetAuthorizationCookie(&simpleauth.GetAuthorizationCookie{
		ClientId: clientID, DnsName: "qa-xp01.example.test",
	})
	Expect(err).NotTo(HaveOccurred())

	// Each service's package has its own AuthorizationCookie type, so the
	// cookie is copied from one to the other.
	cookie, err := t.Client.GetCookie(&client.GetCookie{
		AuthCookies: &client.ArrayOfAuthorizationCookie{AuthorizationCookie: []*client.AuthorizationCookie{{
			PlugInId:   auth.GetAuthorizationCookieResult.PlugInId,
			CookieData: auth.GetAuthorizationCookieResult.CookieData,
		}}},
		LastChange:      config.GetConfigResult.LastChange,
		CurrentTime:     soap.CreateXsdDateTime(time.Now().UTC(), true),
		ProtocolVersion: "1.0",
	})
	Expect(err).NotTo(HaveOccurred())
	return cookie.GetCookieResult
}

// syncLoop plays the MS-WUSP §3.1.5.7 client loop, as syncLoop in
// kb954960_test.go does with the wusp package: each round, the offered
// non-leaf revisions the machine has go into InstalledNonLeafUpdateIDs and
// everything else into OtherCachedUpdateIDs. It returns the rounds made and
// the error that ended the loop, if any.
//
// The revision IDs reach the server only because fixgen exported
// ArrayOfInt's field (gowsdl #275). With gowsdl's unexported "int" field
// both lists go out empty, the server offers the same root revisions every
// round, and the loop never ends: the Office 2003 client never reaches the
// round on which the server fails.
func (t *wsusTool) syncLoop(cookie *client.Cookie, installed []int) (rounds int, err error) {
	params := &client.SyncUpdateParameters{
		InstalledNonLeafUpdateIDs: &client.ArrayOfInt{},
		OtherCachedUpdateIDs:      &client.ArrayOfInt{},
	}
	for rounds < 20 {
		rounds++
		resp, err := t.Client.SyncUpdates(&client.SyncUpdates{Cookie: cookie, Parameters: params})
		if err != nil {
			return rounds, err
		}
		result := resp.SyncUpdatesResult
		var offered []*client.UpdateInfo
		if result.NewUpdates != nil {
			offered = result.NewUpdates.UpdateInfo
		}
		if len(offered) == 0 && !result.Truncated {
			return rounds, nil
		}
		for _, u := range offered {
			if !u.IsLeaf && slices.Contains(installed, int(u.ID)) {
				params.InstalledNonLeafUpdateIDs.Aint = append(params.InstalledNonLeafUpdateIDs.Aint, u.ID)
			} else {
				params.OtherCachedUpdateIDs.Aint = append(params.OtherCachedUpdateIDs.Aint, u.ID)
			}
		}
		cookie = result.NewCookie
	}
	Fail("the SyncUpdates loop did not end in 20 rounds")
	return rounds, nil
}

// faultInBody decodes a SOAP fault that gowsdl left unparsed in a
// *soap.HTTPError, with gowsdl's own envelope types, into the same
// *soap.SOAPFault an HTTP 200 fault gives.
func faultInBody(body []byte) *soap.SOAPFault {
	envelope := soap.SOAPEnvelopeResponse{Body: soap.SOAPBodyResponse{
		Content: &struct{}{},
		Fault:   &soap.SOAPFault{Detail: new(client.FaultDetail)},
	}}
	Expect(xml.Unmarshal(body, &envelope)).To(Succeed())
	var fault *soap.SOAPFault
	Expect(errors.As(envelope.Body.ErrorFromFault(), &fault)).To(BeTrue(), "no SOAP fault in %s", body)
	return fault
}

var _ = Describe("A client generated with gowsdl, as users build their tools", func() {
	const syncUpdatesAction = "http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/SyncUpdates"

	It("gets the 954960 fault at HTTP 200 as a *soap.SOAPFault whose detail says InternalServerError", func() {
		m := startMock()
		tool := newWSUSTool(m.URL)

		By("walking GetConfig → GetAuthorizationCookie → GetCookie → SyncUpdates as an Office 2003 client")
		rounds, err := tool.syncLoop(tool.handshake(), withOffice03)
		Expect(err).To(HaveOccurred())
		Expect(rounds).To(Equal(roundOf8862()), "on the SyncUpdates that brings Office 2003 SP1 (8862) into scope")

		By("reading the fault the way a tool does: errors.As to *soap.SOAPFault, then its Detail")
		var fault *soap.SOAPFault
		Expect(errors.As(err, &fault)).To(BeTrue(), "want a *soap.SOAPFault, got %T: %v", err, err)
		Expect(fault.Code).To(Equal("soap:Server"))
		Expect(fault.String).To(Equal("Fault occurred"))
		Expect(fault.Actor).To(Equal(m.URL + "/ClientWebService/client.asmx"))

		detail, ok := fault.Detail.(*client.FaultDetail)
		Expect(ok).To(BeTrue(), "the detail is a *client.FaultDetail")
		Expect(detail.ErrorCode).To(Equal("InternalServerError"))
		Expect(detail.Message).To(BeEmpty())
		Expect(detail.ID).To(MatchRegexp(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`))
		Expect(detail.Method).To(Equal(`"` + syncUpdatesAction + `"`))
		Expect(err.Error()).To(Equal("WSUS fault InternalServerError (ID " + detail.ID + ")"))
	})

	It("gets it at HTTP 500 as a *soap.HTTPError, the fault left in the body", func() {
		m := startMock("--fault-status", "500")
		tool := newWSUSTool(m.URL)

		_, err := tool.syncLoop(tool.handshake(), withOffice03)
		var httpErr *soap.HTTPError
		Expect(errors.As(err, &httpErr)).To(BeTrue(), "want a *soap.HTTPError, got %T: %v", err, err)
		Expect(httpErr.StatusCode).To(Equal(http.StatusInternalServerError))

		// gowsdl stops at the status code and parses nothing of a 500
		// answer, so a tool that must tell InternalServerError from other
		// failures has to decode ResponseBody itself, as faultInBody does.
		fault := faultInBody(httpErr.ResponseBody)
		detail := fault.Detail.(*client.FaultDetail)
		Expect(detail.ErrorCode).To(Equal("InternalServerError"))
		Expect(detail.ID).NotTo(BeEmpty())
		Expect(detail.Method).To(Equal(`"` + syncUpdatesAction + `"`))
	})

	It("sends required elements that are false or zero, which gowsdl alone omits (gowsdl #187)", func() {
		m := startMock()
		tool := newWSUSTool(m.URL)
		cookie := tool.handshake()

		By("SyncUpdates with ExpressQuery and SkipSoftwareSync false: the generated client, repaired, succeeds")
		resp, err := tool.Client.SyncUpdates(&client.SyncUpdates{
			Cookie:     cookie,
			Parameters: &client.SyncUpdateParameters{ExpressQuery: false, SkipSoftwareSync: false},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.SyncUpdatesResult.NewUpdates.UpdateInfo).NotTo(BeEmpty())

		By("the same request with gowsdl's own tags, omitempty on every field, is refused")
		// asGenerated is SyncUpdateParameters as gowsdl v0.5.0 writes it:
		// the two required booleans vanish from the request when false.
		type asGenerated struct {
			ExpressQuery     bool `xml:"ExpressQuery,omitempty"`
			SkipSoftwareSync bool `xml:"SkipSoftwareSync,omitempty"`
		}
		request := &struct {
			XMLName    xml.Name       `xml:"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService SyncUpdates"`
			Cookie     *client.Cookie `xml:"cookie"`
			Parameters *asGenerated   `xml:"parameters"`
		}{Cookie: cookie, Parameters: &asGenerated{}}
		err = soap.NewClient(m.URL+"/ClientWebService/client.asmx").CallContextWithFaultDetail(
			context.Background(), syncUpdatesAction, request, new(client.SyncUpdatesResponse), new(client.FaultDetail))
		var fault *soap.SOAPFault
		Expect(errors.As(err, &fault)).To(BeTrue(), "want a *soap.SOAPFault, got %T: %v", err, err)
		Expect(fault.Detail.(*client.FaultDetail).ErrorCode).To(Equal("InvalidParameters"))
		Expect(fault.Detail.(*client.FaultDetail).Message).To(Equal("parameters.ExpressQuery"))

		By("reporting the scan through the Reporting client")
		reported, err := tool.Reporting.ReportEventBatch(&reporting.ReportEventBatch{
			Cookie: &reporting.Cookie{
				Expiration:    resp.SyncUpdatesResult.NewCookie.Expiration,
				EncryptedData: resp.SyncUpdatesResult.NewCookie.EncryptedData,
			},
			ClientTime: soap.CreateXsdDateTime(time.Now().UTC(), true),
			EventBatch: &reporting.ArrayOfReportingEvent{ReportingEvent: []*reporting.ReportingEvent{{
				BasicData: &reporting.BasicData{
					TargetID:     &reporting.ComputerTargetIdentifier{Sid: clientID},
					TimeAtTarget: soap.CreateXsdDateTime(time.Now().UTC(), true),
					NamespaceID:  1,
					EventID:      147, // detection succeeded
					SourceID:     101,
				},
			}}},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(reported.ReportEventBatchResult).To(BeTrue())
	})
})
