package wuaclient_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wsustest"
	"github.com/wsusmock/wsusmock/wuaclient"
	"github.com/wsusmock/wsusmock/wusp"
)

// Two machines with the same profile but their own client IDs and host
// names are two clients to the server: its journal holds each one's
// InternalServerError under its own SusClientId.
func TestMachinesOfOneProfileAreTwoClients(t *testing.T) {
	srv := wsustest.NewServer("sp1-office2003")
	defer srv.Close()
	p, err := wuaclient.BuiltinProfile("xp-sp3-office2003")
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"ws001", "ws002"} {
		c := &wuaclient.Client{ServerURL: srv.URL, Profile: p, DNSName: host, ClientID: wuaclient.ClientIDFromName(host)}
		res, err := c.Detect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Fault == nil || res.Fault.Code != wusp.InternalServerError {
			t.Fatalf("%s: %s", host, res.Summary())
		}
		if id := res.Events[0].ClientID; id != c.ClientID {
			t.Errorf("%s: event reported for %s, want %s", host, id, c.ClientID)
		}
		page := srv.Journal(soapserver.JournalFilter{ClientID: c.ClientID, Fault: "InternalServerError"})
		if len(page.Entries) != 1 || page.Entries[0].FaultID != res.Fault.ID {
			t.Errorf("%s: journal for client %s holds %d InternalServerError entries, want 1 with fault ID %s",
				host, c.ClientID, len(page.Entries), res.Fault.ID)
		}
	}
	if page := srv.Journal(soapserver.JournalFilter{ClientID: p.SusClientID()}); len(page.Entries) != 0 {
		t.Errorf("the profile's own client ID was used %d times", len(page.Entries))
	}
}

func TestClientIDFromName(t *testing.T) {
	a, b := wuaclient.ClientIDFromName("WS00001"), wuaclient.ClientIDFromName("ws00001")
	if a != b {
		t.Errorf("host names differing in case give %s and %s", a, b)
	}
	if c := wuaclient.ClientIDFromName("ws00002"); c == a {
		t.Errorf("two names share client ID %s", a)
	}
	if err := wuaclient.CheckClientID(a); err != nil {
		t.Errorf("derived ID: %v", err)
	}
}

func TestDetectRefusesAClientIDThatIsNoGUID(t *testing.T) {
	p, err := wuaclient.BuiltinProfile("xp-sp3")
	if err != nil {
		t.Fatal(err)
	}
	c := &wuaclient.Client{ServerURL: "http://127.0.0.1:1/", Profile: p, ClientID: "ws001"}
	_, err = c.Detect(context.Background())
	if err == nil || !strings.Contains(err.Error(), `client ID "ws001" is not a GUID`) {
		t.Errorf("Detect = %v, want an error naming the bad client ID", err)
	}
}
