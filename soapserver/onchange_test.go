package soapserver

import (
	"testing"
)

// TestOnChange checks that every change of the world is announced, in
// order, with the server's description as it then stands.
func TestOnChange(t *testing.T) {
	var got []ServerInfo
	s := newTestServer(t, "sp1-office2003", Config{OnChange: func(i ServerInfo) { got = append(got, i) }})
	step := func(name string, want int, check func(ServerInfo) bool) {
		t.Helper()
		if len(got) != want {
			t.Fatalf("%s: %d calls, want %d", name, len(got), want)
		}
		if !check(got[want-1]) {
			t.Errorf("%s: announced %+v", name, got[want-1])
		}
	}
	step("New", 1, func(i ServerInfo) bool { return i.ClientDLLVersion == "3.1.6001.65" })

	if _, err := s.InstallHotfix("KB954960"); err != nil {
		t.Fatal(err)
	}
	step("hotfix", 2, func(i ServerInfo) bool { return i.ClientDLLVersion == "3.1.6001.66" && len(i.Hotfixes) == 1 })

	var leaf CatalogUpdate
	for _, u := range s.Updates() {
		if u.IsLeaf && u.UpdateType == "Software" {
			leaf = u
		}
	}
	if _, err := s.Decline(leaf.UpdateID, ""); err != nil {
		t.Fatal(err)
	}
	step("decline", 3, func(i ServerInfo) bool { return i.ClientDLLVersion == "3.1.6001.66" })

	s.Reset()
	step("reset", 4, func(i ServerInfo) bool { return i.ClientDLLVersion == "3.1.6001.65" && len(i.Hotfixes) == 0 })

	if err := s.SelectScenario("rtm-office2003"); err != nil {
		t.Fatal(err)
	}
	step("scenario", 5, func(i ServerInfo) bool { return i.Scenario == "rtm-office2003" && i.ClientDLLVersion == "3.0.6000.273" })

	if _, err := s.InstallHotfix("KB954960"); err == nil {
		t.Fatal("KB954960 installed on RTM")
	}
	step("refused hotfix", 5, func(ServerInfo) bool { return true })
}
