// Package e2e holds the end-to-end suites of wsusmock. They build the real
// binary once, start it on free loopback ports, and talk to it over HTTP the
// way a Windows Update Agent, a third-party SOAP toolkit or a user's CI suite
// would. Read them as worked examples.
package e2e_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// wsusmockBin is the path of the binary built for this test process.
var wsusmockBin string

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "wsusmock end-to-end")
}

// The binary is built once, on process 1, and shared by parallel processes.
var _ = SynchronizedBeforeSuite(func() []byte {
	bin, err := gexec.Build("github.com/wsusmock/wsusmock/cmd/wsusmock", "-race")
	Expect(err).NotTo(HaveOccurred())
	return []byte(bin)
}, func(bin []byte) {
	wsusmockBin = string(bin)
})

var _ = SynchronizedAfterSuite(func() {}, func() {
	gexec.CleanupBuildArtifacts()
})
