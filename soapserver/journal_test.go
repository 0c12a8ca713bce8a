package soapserver_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/internal/adminrig"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wusp"
)

func TestJournalRecordsEveryExchange(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	_ = a.GetConfig()
	_ = a.Authorize("4e1f0c2a-6b7d-4f3e-9a51-2d8c7b3e0a11")
	_ = a.Authorize("not a client id!") // WSUS answered InternalServerError
	_ = a.Call(nil, wusp.Operation{Name: "StartCategoryScan", Service: wusp.ClientService}, &wusp.GetConfigRequest{}, &wusp.GetConfigResponse{})

	var p soapserver.JournalPage
	if st := a.Admin("GET", "/journal", "", &p); st != http.StatusOK {
		t.Fatalf("GET /journal: %d", st)
	}
	if p.Total != 4 || p.Dropped != 0 || len(p.Entries) != 4 {
		t.Fatalf("journal: %+v", p)
	}
	first := p.Entries[0]
	if first.Seq != 1 || first.Operation != "GetConfig" || first.Status != 200 || first.Path != "/ClientWebService/client.asmx" ||
		first.SOAPAction != wusp.OpGetConfig.QuotedSOAPAction() || first.Remote == "" || first.Time.IsZero() {
		t.Errorf("first entry: %+v", first)
	}
	if e := p.Entries[1]; e.ClientID != "4e1f0c2a-6b7d-4f3e-9a51-2d8c7b3e0a11" || e.Fault != "" {
		t.Errorf("second entry: %+v", e)
	}
	if e := p.Entries[2]; e.Fault != "InternalServerError" || e.FaultID == "" {
		t.Errorf("third entry: %+v", e)
	}
	if e := p.Entries[3]; e.Operation != "" || e.Status != 500 || e.Fault == "" {
		t.Errorf("unknown action: %+v", e)
	}

	a.Admin("GET", "/journal?operation=getauthorizationcookie&fault=InternalServerError", "", &p)
	if len(p.Entries) != 1 || p.Entries[0].Seq != 3 || p.Total != 4 {
		t.Errorf("filtered: %+v", p)
	}
	a.Admin("GET", "/journal?client=4e1f0c2a-6b7d-4f3e-9a51-2d8c7b3e0a11", "", &p)
	if len(p.Entries) != 1 || p.Entries[0].Seq != 2 {
		t.Errorf("by client: %+v", p)
	}
	a.Admin("GET", "/journal?since=3", "", &p)
	if len(p.Entries) != 1 || p.Entries[0].Seq != 4 {
		t.Errorf("since 3: %+v", p)
	}

	a.Admin("DELETE", "/journal", "", nil)
	_ = a.GetConfig()
	a.Admin("GET", "/journal", "", &p)
	if p.Total != 1 || len(p.Entries) != 1 || p.Entries[0].Seq != 5 {
		t.Errorf("after clearing: %+v", p)
	}
}

// A bounded journal keeps the newest exchanges and counts the rest, however
// many goroutines record at once.
func TestJournalBoundUnderConcurrency(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{JournalSize: 10})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				if err := a.GetConfig(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	p := a.SOAP.Journal(soapserver.JournalFilter{})
	if p.Total != 80 || p.Dropped != 70 || len(p.Entries) != 10 {
		t.Fatalf("total %d dropped %d kept %d, want 80, 70, 10", p.Total, p.Dropped, len(p.Entries))
	}
	for i, e := range p.Entries {
		if e.Seq != uint64(71+i) {
			t.Errorf("entry %d has seq %d, want %d", i, e.Seq, 71+i)
		}
	}
}

func TestEventStream(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", a.URL()+"/__admin/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type %q", ct)
	}
	// The headers arrive once the subscription exists.
	_ = a.GetConfig()
	_ = a.Authorize("c-42")

	lines := bufio.NewScanner(resp.Body)
	var got []soapserver.JournalEntry
	for len(got) < 2 && lines.Scan() {
		var e soapserver.JournalEntry
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", lines.Text(), err)
		}
		got = append(got, e)
	}
	if len(got) != 2 || got[0].Operation != "GetConfig" || got[1].ClientID != "c-42" {
		t.Fatalf("events: %+v (%v)", got, lines.Err())
	}

	// Closing the server ends the stream.
	a.SOAP.Close()
	if lines.Scan() {
		t.Errorf("stream went on after Close: %s", lines.Text())
	}
}

// A subscriber that falls behind loses exchanges, and is told how many once
// it has caught up.
func TestEventSubscriberToldWhatItDropped(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	sub := a.SOAP.Subscribe(2)
	defer sub.Close()
	for range 5 {
		_ = a.GetConfig()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []soapserver.Event
	for range 3 {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if got[0].Entry == nil || got[0].Entry.Seq != 1 || got[1].Entry == nil || got[1].Entry.Seq != 2 || got[2].Dropped != 3 {
		t.Errorf("events: %+v %+v %+v, want seq 1, seq 2, 3 dropped", got[0], got[1], got[2])
	}
	_ = a.GetConfig()
	if ev, err := sub.Next(ctx); err != nil || ev.Entry == nil || ev.Entry.Seq != 6 {
		t.Errorf("after catching up: %+v %v", ev, err)
	}
	sub.Close()
	if _, err := sub.Next(ctx); !errors.Is(err, soapserver.ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
}

// Batch hands a reader everything recorded since its last batch at once:
// a burst is one batch, what arrives while the reader paces itself joins
// the next one, and a reader that lost exchanges is told at the end of
// the batch that catches it up.
func TestEventBatches(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	sub := a.SOAP.Subscribe(8)
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	getConfigs := func(n int) {
		t.Helper()
		for range n {
			if err := a.GetConfig(); err != nil {
				t.Fatal(err)
			}
		}
	}
	seqs := func(batch []soapserver.Event) []uint64 {
		var out []uint64
		for _, ev := range batch {
			if ev.Entry != nil {
				out = append(out, ev.Entry.Seq)
			}
		}
		return out
	}

	getConfigs(5)
	batch, err := sub.Batch(ctx, nil, 0, soapserver.BatchInterval)
	if got := seqs(batch); err != nil || !slices.Equal(got, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("a burst of 5: batch %v (%v), want exchanges 1 to 5 in one", got, err)
	}

	// Recorded while the reader waits out its interval: one batch.
	getConfigs(3)
	batch, err = sub.Batch(ctx, batch[:0], 0, soapserver.BatchInterval)
	if got := seqs(batch); err != nil || !slices.Equal(got, []uint64{6, 7, 8}) {
		t.Fatalf("paced: batch %v (%v), want exchanges 6 to 8 in one", got, err)
	}

	// Half the buffer used: the reader is not kept waiting for its
	// interval, lest it lose exchanges.
	getConfigs(4)
	batch, err = sub.Batch(ctx, batch[:0], 0, time.Hour)
	if got := seqs(batch); err != nil || !slices.Equal(got, []uint64{9, 10, 11, 12}) {
		t.Fatalf("half full: batch %v (%v), want exchanges 9 to 12 at once", got, err)
	}

	// Filling to half while the reader waits out its interval ends the
	// wait.
	go func() {
		time.Sleep(soapserver.BatchInterval / 4)
		for range 4 {
			_ = a.GetConfig()
		}
	}()
	batch, err = sub.Batch(ctx, batch[:0], 0, time.Hour)
	if got := seqs(batch); err != nil || !slices.Equal(got, []uint64{13, 14, 15, 16}) {
		t.Fatalf("half full while waiting: batch %v (%v), want exchanges 13 to 16 at once", got, err)
	}

	// At most max a batch; the rest waits for the next.
	getConfigs(3)
	batch, err = sub.Batch(ctx, batch[:0], 2, 0)
	if got := seqs(batch); err != nil || !slices.Equal(got, []uint64{17, 18}) {
		t.Fatalf("max 2: batch %v (%v), want exchanges 17 and 18", got, err)
	}
	batch, err = sub.Batch(ctx, batch[:0], 2, 0)
	if got := seqs(batch); err != nil || !slices.Equal(got, []uint64{19}) {
		t.Fatalf("after max 2: batch %v (%v), want exchange 19", got, err)
	}

	// 12 exchanges into a buffer of 8: the batch holds 8, then the notice.
	getConfigs(12)
	batch, err = sub.Batch(ctx, batch[:0], 0, 0)
	if err != nil || len(batch) != 9 || !slices.Equal(seqs(batch), []uint64{20, 21, 22, 23, 24, 25, 26, 27}) || batch[8].Dropped != 4 {
		t.Fatalf("overrun: batch %+v (%v), want exchanges 20 to 27 and 4 dropped", batch, err)
	}

	// An idle subscription returns one exchange as soon as it is recorded.
	go func() {
		time.Sleep(2 * soapserver.BatchInterval)
		_ = a.GetConfig()
	}()
	batch, err = sub.Batch(ctx, batch[:0], 0, soapserver.BatchInterval)
	if got := seqs(batch); err != nil || !slices.Equal(got, []uint64{32}) {
		t.Fatalf("idle: batch %v (%v), want exchange 32", got, err)
	}

	sub.Close()
	if _, err := sub.Batch(ctx, nil, 0, soapserver.BatchInterval); !errors.Is(err, soapserver.ErrClosed) {
		t.Errorf("Batch after Close: %v, want ErrClosed", err)
	}
}

// The journal keeps the path as the request spelled it: IIS matched paths
// without regard to case, and a client that writes its own spelling is
// shown with it, beside one that writes the endpoint's.
func TestJournalKeepsThePathAsSpelled(t *testing.T) {
	a := adminrig.Start(t, "sp1-office2003", soapserver.Config{})
	spellings := []string{wusp.ClientService.Path(), "/CLIENTWEBSERVICE/Client.asmx"}
	for _, path := range spellings {
		req, err := http.NewRequest(http.MethodPost, a.URL()+path, bytes.NewReader(wusp.MarshalRequest(wusp.OpGetConfig, &wusp.GetConfigRequest{ProtocolVersion: "1.0"})))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("SOAPAction", wusp.OpGetConfig.QuotedSOAPAction())
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", path, resp.Status)
		}
	}
	var p soapserver.JournalPage
	a.Admin("GET", "/journal", "", &p)
	if len(p.Entries) != len(spellings) {
		t.Fatalf("journal: %+v", p)
	}
	for i, e := range p.Entries {
		if e.Path != spellings[i] || e.Operation != "GetConfig" {
			t.Errorf("entry %d: path %q, operation %q; want %q, GetConfig", i+1, e.Path, e.Operation, spellings[i])
		}
	}
}
