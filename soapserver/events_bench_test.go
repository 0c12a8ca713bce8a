package soapserver

import (
	"bytes"
	"context"
	"io"
	"testing"

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
// every exchange.
func BenchmarkSyncUpdatesFaultWatched(b *testing.B) {
	benchFaultServed(b, true)
}

func benchFaultServed(b *testing.B, watched bool) {
	sl := wsuslog.NewServerLog(io.Discard, wsuslog.LangEnglish, nil)
	defer sl.Close()
	s := newTestServer(b, scenarios.DefaultScenario, Config{ServerLog: sl})
	req := officeClientAtRound3(b, s)
	body := wusp.MarshalRequest(wusp.OpSyncUpdates, req)
	if rec := soapCall(s, wusp.OpSyncUpdates, req); !bytes.Contains(rec.Body.Bytes(), []byte("InternalServerError")) {
		b.Fatalf("not the KB954960 fault: %s", rec.Body.Bytes())
	}
	if !watched {
		benchRequest(b, s, wusp.OpSyncUpdates, body)
		return
	}
	sub := s.Subscribe(0)
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	read := make(chan uint64)
	go func() {
		var n uint64
		for {
			ev, err := sub.Next(ctx)
			if err != nil {
				read <- n
				return
			}
			if ev.Entry != nil {
				n++
			}
		}
	}()
	benchRequest(b, s, wusp.OpSyncUpdates, body)
	cancel()
	if n := <-read; n == 0 {
		b.Fatal("the subscriber read no exchange")
	}
}
