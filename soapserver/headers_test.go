package soapserver

import (
	"bufio"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
)

// IIS 6 with ASP.NET 2.0 spelled its version header X-AspNet-Version (as
// the wsus-rs captures of a real WSUS show it, docs/fixtures/wsus-m0/*/
// response.headers); net/http's canonical form would be X-Aspnet-Version.
// A Go client canonicalises what it reads, so the raw bytes are checked.
func TestPersonaHeadersKeepTheirSpelling(t *testing.T) {
	ts := httptest.NewServer(newTestServer(t, "sp1-office2003", Config{}))
	defer ts.Close()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: wsus01\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	var head []string
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil || line == "\r\n" {
			break
		}
		head = append(head, strings.TrimRight(line, "\r\n"))
	}
	for _, want := range []string{"X-AspNet-Version: 2.0.50727", "X-Powered-By: ASP.NET", "Server: Microsoft-IIS/6.0"} {
		found := false
		for _, h := range head {
			found = found || h == want
		}
		if !found {
			t.Errorf("reply lacks %q:\n%s", want, strings.Join(head, "\n"))
		}
	}
}
