package e2e_test

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/wsusmock/wsusmock/installroot"
)

var _ = Describe("Example: a remediation tool that reads files (--install-root)", func() {
	It("sees Client.dll go from 3.1.6001.65 to 3.1.6001.66 when KB954960 is installed", func() {
		root := GinkgoT().TempDir()
		m := startMock("--scenario", "sp1-office2003", "--install-root", root)
		dll := filepath.Join(root, installroot.ClientDLLPath)
		fileVersion := func() (string, error) {
			vi, err := installroot.ReadVersionInfo(dll)
			if err != nil {
				return "", err
			}
			return vi.FileVersion, nil
		}

		By("WSUS 3.0 SP1 as installed")
		Expect(fileVersion()).To(Equal("3.1.6001.65"))
		reg, err := os.ReadFile(filepath.Join(root, installroot.RegistryFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(reg)).To(ContainSubstring(`"VersionString"="3.1.6001.65"`))

		By("installing KB954960 with `wsusmock admin`")
		Expect(run("admin", "--server", m.URL, "hotfix", "install", "KB954960")).To(gexec.Exit(0))
		Eventually(fileVersion, 5*time.Second).Should(Equal("3.1.6001.66"))

		By("the registry VersionString, which the update left alone")
		reg, err = os.ReadFile(filepath.Join(root, installroot.RegistryFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(reg)).To(ContainSubstring(`"VersionString"="3.1.6001.65"`))
	})
})
