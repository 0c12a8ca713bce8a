package soapserver

import (
	"io"
	"testing"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wusp"
)

// maxFaultAllocs is what the KB954960 fault costs in allocations on the
// request a WUA 7.x agent sends, once the server's pooled buffers are warm,
// as testing.AllocsPerRun counts them. A memory profile of this test names
// them: the journal entry and the two strings it copies, the fault and its
// ID, the cookie's plaintext and its target groups, the faultactor, the
// duplicate-key error and net/http's limit on the body. A change that adds
// one to every request fails here; one that removes one lowers the bound.
const maxFaultAllocs = 11

// The KB954960 fault allocates the same few objects whatever the size of
// the request: its 128 IDs, its elements and its reply go into the pooled
// scratch, never into allocations of their own.
func TestSyncUpdatesFaultAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under -race")
	}
	for _, tc := range []struct {
		name string
		log  *wsuslog.ServerLog
	}{
		{"the fault", nil},
		// serve always writes the server log: it is formatted into
		// pooled buffers and queued, so it adds no allocation.
		{"the fault with the server log", wsuslog.NewServerLog(io.Discard, wsuslog.LangEnglish, nil)},
	} {
		s := newTestServer(t, scenarios.DefaultScenario, Config{ServerLog: tc.log})
		call := repeatedCall(s, wusp.ClientService.Path(), wusp.OpSyncUpdates, wuaFault(t, s))
		call() // warms the pools
		if got := testing.AllocsPerRun(200, call); got > maxFaultAllocs {
			t.Errorf("%s: the KB954960 fault allocates %.0f times a request, want at most %d", tc.name, got, maxFaultAllocs)
		}
		if tc.log != nil {
			if err := tc.log.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
