package scenarios_test

import (
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
	for _, bc := range []struct {
		name, scenario string
		req            scenarios.SyncRequest
		wantErr        bool
	}{
		{"failing/sp1-office2003", "sp1-office2003", officeRound3, true},
		{"succeeding/sp1-kb954960", "sp1-kb954960", officeRound3, false},
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
