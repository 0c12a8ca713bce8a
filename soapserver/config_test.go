package soapserver

import (
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/wusp"
)

// GetConfig as WSUS sends it: no AllowedEventIds, and PackageServerShare
// naming the server's share (MS-WUSP §4 GetConfig sample; the real
// capture CaddyGlow/wsus-rs docs/fixtures/wsus-m0/000001 has
// <Value>\\HOST\UpdateServicesPackages</Value>).
func TestGetConfigAsWSUSSendsIt(t *testing.T) {
	for _, tc := range []struct{ machine, share string }{
		{"", `\\WSUS01\UpdateServicesPackages`},
		{"WSUSEBC", `\\WSUSEBC\UpdateServicesPackages`},
	} {
		s := newTestServer(t, "sp1-office2003", Config{MachineName: tc.machine})
		body := soapCall(s, wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.6"}).Body.String()
		if strings.Contains(body, "AllowedEventIds") {
			t.Errorf("reply carries AllowedEventIds: %s", body)
		}
		if want := "<Name>PackageServerShare</Name><Value>" + tc.share + "</Value>"; !strings.Contains(body, want) {
			t.Errorf("reply lacks %s: %s", want, body)
		}
	}
}
