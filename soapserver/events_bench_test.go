package soapserver

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wsuslog"
	"github.com/wsusmock/wsusmock/wusp"
)

// The KB954960 fault as `wsusmock serve` answers it: the server log is
// written (the server keeps it in memory for the dashboard), and, with a
// dashboard page open, a subscriber reads every exchange. Compare them with
// BenchmarkSyncUpdatesFault:
//
//	go test ./soapserver -run '^$' -bench 'SyncUpdatesFault' -count 5 -cpu 1

// BenchmarkSyncUpdatesFaultLogged writes the server log; no page is open.
func BenchmarkSyncUpdatesFaultLogged(b *testing.B) {
	benchFaultServed(b, false)
}

// BenchmarkSyncUpdatesFaultWatched adds a page: a subscriber that reads
// every exchange in batches paced as a page's stream paces them
// (BatchBuffer, Subscription.Batch with BatchInterval), and encodes each
// as JSON (JournalEntry.AppendJSON), as the stream does.
func BenchmarkSyncUpdatesFaultWatched(b *testing.B) {
	benchFaultServed(b, true)
}

func benchFaultServed(b *testing.B, watched bool) {
	sl := wsuslog.NewServerLog(io.Discard, wsuslog.LangEnglish, nil)
	defer sl.Close()
	s := newTestServer(b, scenarios.DefaultScenario, Config{ServerLog: sl})
	body := wuaFault(b, s)
	send := func() { serveLoop(b, s, wusp.ClientService.Path(), wusp.OpSyncUpdates, body) }
	if !watched {
		send()
		return
	}
	sub := s.Subscribe(BatchBuffer)
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var read atomic.Uint64 // exchanges read, and lost by falling behind
	done := make(chan struct{})
	go func() {
		defer close(done)
		var batch []Event
		var line []byte
		for {
			var err error
			if batch, err = sub.Batch(ctx, batch[:0], 0, BatchInterval); err != nil {
				return
			}
			for _, ev := range batch {
				if ev.Entry != nil {
					line, _ = ev.Entry.AppendJSON(line[:0])
				}
				read.Add(max(ev.Dropped, 1))
			}
		}
	}()
	send()
	b.StopTimer()
	// The reader catches up after the last exchange, within a batch
	// interval; a bound keeps a defect from hanging the benchmark.
	for deadline := time.Now().Add(5 * time.Second); read.Load() < uint64(b.N) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if n := read.Load(); n < uint64(b.N) {
		b.Fatalf("the subscriber saw %d of %d exchanges", n, b.N)
	}
}
