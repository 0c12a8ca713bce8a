package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/admin"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/server"
	"github.com/wsusmock/wsusmock/wusp"
)

func open(t *testing.T, s *server.Server) *server.Server {
	t.Helper()
	var err error
	if s.World, err = scenarios.BuiltinWorld(scenarios.DefaultScenario); err != nil {
		t.Fatal(err)
	}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// dial opens a raw connection and sends what a client would, nothing more.
func dial(t *testing.T, s *server.Server, request string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.ListenAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	return c
}

// slowBody promises 500 bytes of SOAP request and sends 100.
func slowBody(s *server.Server) string {
	return "POST " + wusp.ClientService.Path() + " HTTP/1.1\r\nHost: " + s.ListenAddr() + "\r\n" +
		"Content-Type: text/xml; charset=utf-8\r\nSOAPAction: " + wusp.OpGetConfig.QuotedSOAPAction() + "\r\n" +
		"Content-Length: 500\r\n\r\n" + strings.Repeat(" ", 100)
}

// A client that stops sending half-way through its body gets ASMX's 400
// fault once the read timeout expires, before the connection is closed:
// the write deadline is later than the read deadline.
func TestStalledBodyGetsASOAPFault(t *testing.T) {
	s := open(t, &server.Server{ReadTimeout: 300 * time.Millisecond})
	c := dial(t, s, slowBody(s))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no reply to a stalled body: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<faultcode>soap:Client</faultcode>") {
		t.Errorf("%d %s, want 400 with a soap:Client fault", resp.StatusCode, body)
	}
}

// Close does not wait for peers that are stuck: a client half-way through
// a slow body and an event-stream reader that never reads.
func TestCloseCutsStuckPeers(t *testing.T) {
	s := open(t, &server.Server{})
	dial(t, s, slowBody(s))
	stuck := dial(t, s, "GET /__admin/events?buffer=65536 HTTP/1.1\r\nHost: "+s.ListenAddr()+"\r\n\r\n")
	if tc, ok := stuck.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(1024)
	}
	// Exchanges for the stream to carry, more than the unread socket holds.
	for range 200 {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+wusp.ClientService.Path(),
			strings.NewReader(string(wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"}))))
		req.Header.Set("SOAPAction", wusp.OpGetConfig.QuotedSOAPAction())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v with stuck peers, want under a second", took)
	}
}

// The admin API answers the names it was given and the listen address's
// host, and refuses others (DNS rebinding).
func TestAdminHostNames(t *testing.T) {
	s := open(t, &server.Server{Addr: "localhost:0", Admin: admin.Access{Hosts: []string{"wsus01.example.test"}}})
	for host, want := range map[string]int{
		"wsus01.example.test:8530": http.StatusOK,
		"WSUS01.example.test":      http.StatusOK,
		"localhost":                http.StatusOK,
		"127.0.0.1":                http.StatusOK,
		"wsus02.example.test":      http.StatusForbidden,
		"evil.example":             http.StatusForbidden,
	} {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+admin.Prefix+"/server", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	if got := fmt.Sprint(s.Err()); got != "<nil>" {
		t.Errorf("Err while serving: %s", got)
	}
}
