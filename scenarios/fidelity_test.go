package scenarios_test

import (
	"testing"

	"github.com/wsusmock/wsusmock/scenarios"
)

// A real WSUS reply to GetExtendedUpdateInfo groups the fragments by type:
// every revision's Extended fragment, then every revision's
// LocalizedProperties (the wsus-rs captures of a real WSUS and pywsus's
// templates taken from real traffic both do).
func TestExtendedInfoGroupsFragmentsByType(t *testing.T) {
	w := mustWorld(t, "sp1-consistent")
	got, outOfScope := w.ExtendedInfo([]int{8862, 424242, 8871}, []string{"Extended", "LocalizedProperties"}, []string{"en"})
	if len(outOfScope) != 1 || outOfScope[0] != 424242 {
		t.Errorf("outOfScope = %v", outOfScope)
	}
	wantIDs := []int{8862, 8871, 8862, 8871}
	wantPrefix := []string{"<ExtendedProperties", "<ExtendedProperties", "<LocalizedProperties", "<LocalizedProperties"}
	if len(got) != len(wantIDs) {
		t.Fatalf("%d fragments, want %d", len(got), len(wantIDs))
	}
	for i, u := range got {
		if u.ID != wantIDs[i] || len(u.Xml) < len(wantPrefix[i]) || u.Xml[:len(wantPrefix[i])] != wantPrefix[i] {
			t.Errorf("fragment %d: %d %.30s, want %d %s", i, u.ID, u.Xml, wantIDs[i], wantPrefix[i])
		}
	}
}

// No capture of a WSUS reply carries a Deployment's DownloadPriority (the
// wsus-rs SyncUpdates capture has ID, Action, IsAssigned, LastChangeTime and
// the 1.8 fields only), so the mock sends none unless a scenario sets one.
func TestDeploymentsCarryNoDownloadPriority(t *testing.T) {
	w := mustWorld(t, "sp1-consistent")
	res, err := w.Sync(scenarios.SyncRequest{ClientProtocol: "1.6"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.NewUpdates) == 0 {
		t.Fatal("nothing offered")
	}
	for _, u := range res.NewUpdates {
		if u.Deployment.DownloadPriority != "" {
			t.Errorf("revision %d: DownloadPriority %q", u.ID, u.Deployment.DownloadPriority)
		}
	}
}
