package e2e_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Unreadable XML gets a 400. By default the mock says what was wrong in a
// soap:Client fault; with --asmx-error-bodies it answers as ASMX did, with
// an empty body.
var _ = Describe("serve --asmx-error-bodies", func() {
	malformed := []byte(`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetConfig>`)
	action := `"http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService/GetConfig"`

	It("names the problem in a fault by default", func() {
		m := startMock()
		r := post(m.URL+"/ClientWebService/client.asmx", action, malformed)
		Expect(r.Status).To(Equal(400))
		Expect(string(r.Body)).To(ContainSubstring("<faultcode>soap:Client</faultcode>"))
	})

	It("sends the 400 with an empty body when asked", func() {
		m := startMock("--asmx-error-bodies")
		r := post(m.URL+"/ClientWebService/client.asmx", action, malformed)
		Expect(r.Status).To(Equal(400))
		Expect(r.Body).To(BeEmpty())
	})
})
