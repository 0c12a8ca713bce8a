package scenarios_test

import (
	"slices"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
)

// The server's budget for a whole SyncUpdates is well under 100 µs of CPU;
// Sync itself should take a few µs because NewWorld precomputes the plans.
func BenchmarkSync(b *testing.B) {
	officeRound3 := scenarios.SyncRequest{
		InstalledNonLeaf: []int{8001, 8003, 8010, 8011, 8002, 8004},
		ClientProtocol:   "1.6",
		Since:            time.Date(2008, 6, 10, 0, 0, 0, 0, time.UTC), // the cookie after round 2
	}
	// A WUA 7.x agent's third SyncUpdates also names revisions it cached
	// from elsewhere: 120 IDs the small catalog does not hold.
	agentRound3 := officeRound3
	agentRound3.InstalledNonLeaf = append(slices.Clone(officeRound3.InstalledNonLeaf), 1_000_000, 1_000_001)
	for i := range 120 {
		agentRound3.OtherCached = append(agentRound3.OtherCached, 1_000_002+i)
	}
	for _, bc := range []struct {
		name, scenario string
		req            scenarios.SyncRequest
		wantErr        bool
	}{
		{"failing/sp1-office2003", "sp1-office2003", officeRound3, true},
		{"succeeding/sp1-kb954960", "sp1-kb954960", officeRound3, false},
		{"failing-agent/sp1-office2003", "sp1-office2003", agentRound3, true},
		{"succeeding-agent/sp1-kb954960", "sp1-kb954960", agentRound3, false},
		{"first-call/sp1-office2003", "sp1-office2003", scenarios.SyncRequest{ClientProtocol: "1.6"}, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := mustWorld(b, bc.scenario)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.Sync(bc.req); (err != nil) != bc.wantErr {
					b.Fatal(err)
				}
			}
		})
	}
}
