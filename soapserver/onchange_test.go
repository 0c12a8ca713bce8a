package soapserver

import (
	"testing"

	"github.com/wsusmock/wsusmock/scenarios"
)

// TestOnChange checks that every change of the world is announced, in
// order, with the world as it then stands, and that a refused change is
// not.
func TestOnChange(t *testing.T) {
	var got []*scenarios.World
	s := newTestServer(t, "sp1-office2003", Config{OnChange: func(w *scenarios.World) { got = append(got, w) }})
	step := func(name string, want int, check func(scenarios.Build) bool) {
		t.Helper()
		if len(got) != want {
			t.Fatalf("%s: %d calls, want %d", name, len(got), want)
		}
		if got[want-1] != s.World() || !check(got[want-1].Build()) {
			t.Errorf("%s: announced %+v", name, got[want-1].Build())
		}
	}
	step("New", 1, func(b scenarios.Build) bool { return b.ClientDLLVersion == "3.1.6001.65" })

	hotfix := func(w *scenarios.World) (*scenarios.World, error) { return w.InstallHotfix(scenarios.HotfixKB954960) }
	if err := s.Update(hotfix); err != nil {
		t.Fatal(err)
	}
	step("hotfix", 2, func(b scenarios.Build) bool { return b.ClientDLLVersion == "3.1.6001.66" && len(b.Hotfixes) == 1 })

	s.Reset()
	step("reset", 3, func(b scenarios.Build) bool { return b.ClientDLLVersion == "3.1.6001.65" && len(b.Hotfixes) == 0 })

	rtm, _ := scenarios.Builtin("rtm-office2003")
	w, err := scenarios.NewWorld(rtm)
	if err != nil {
		t.Fatal(err)
	}
	s.SetWorld(w)
	step("scenario", 4, func(b scenarios.Build) bool { return b.ClientDLLVersion == "3.0.6000.273" })

	if err := s.Update(hotfix); err == nil {
		t.Fatal("KB954960 installed on RTM")
	}
	step("refused hotfix", 4, func(scenarios.Build) bool { return true })
}
