package soapserver

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/wusp"
)

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// bigEntry is an entry whose text fields are as long as the journal keeps
// them, each its own allocation.
func bigEntry(i int) *JournalEntry {
	field := func(c string) string {
		return journalText(strconv.Itoa(i) + strings.Repeat(c, 2*maxJournalField))
	}
	return &JournalEntry{Remote: field("r"), Path: field("p"), SOAPAction: field("a"), ClientID: field("c"), Fault: field("f")}
}

// Clearing the journal lets go of its entries: the memory they took is
// reclaimed, not merely hidden behind a floor.
func TestJournalClearReleasesMemory(t *testing.T) {
	const n = 40000
	j := newJournal(n, 1<<40)
	before := heapInUse()
	for i := range n {
		j.add(bigEntry(i))
	}
	filled := heapInUse() - before
	if filled < n*MaxJournalEntryBytes/2 {
		t.Fatalf("%d entries take only %d bytes; the test measures nothing", n, filled)
	}
	j.clear()
	left := heapInUse() - before
	t.Logf("%d entries: %d KiB held, %d KiB after clear", n, filled>>10, left>>10)
	if left > filled/10 {
		t.Errorf("clear kept %d of %d bytes", left, filled)
	}
	if p := j.read(JournalFilter{}); p.Total != 0 || len(p.Entries) != 0 || j.bytes.Load() != 0 {
		t.Errorf("after clear: total %d, %d entries, %d bytes accounted", p.Total, len(p.Entries), j.bytes.Load())
	}
	j.add(bigEntry(n))
	if p := j.read(JournalFilter{}); p.Total != 1 || len(p.Entries) != 1 || p.Entries[0].Seq != n+1 {
		t.Errorf("after clear and one add: total %d, %d entries", p.Total, len(p.Entries))
	}
}

// The journal drops its oldest entries when they cost more than its byte
// budget, however many slots it has, and counts them as dropped.
func TestJournalByteBudget(t *testing.T) {
	const budget = 64 << 10
	j := newJournal(1000, budget)
	for i := range 1000 {
		j.add(bigEntry(i))
	}
	p := j.read(JournalFilter{})
	var held int64
	for _, e := range p.Entries {
		held += e.size()
	}
	if held > budget || held < budget-MaxJournalEntryBytes || j.bytes.Load() != held {
		t.Errorf("entries held cost %d bytes (accounted %d), want at most the budget %d and near it", held, j.bytes.Load(), budget)
	}
	if p.Total != 1000 || p.Dropped != 1000-uint64(len(p.Entries)) || p.Entries[len(p.Entries)-1].Seq != 1000 {
		t.Errorf("total %d dropped %d kept %d (last %d), want 1000, the rest dropped, the newest kept",
			p.Total, p.Dropped, len(p.Entries), p.Entries[len(p.Entries)-1].Seq)
	}
}

// A subscriber that stops reading holds at most MaxSubscriberBytes of
// exchanges, even with the largest buffer it may ask for, and is told
// how many it lost.
func TestStuckSubscriberHoldsBoundedBytes(t *testing.T) {
	s := &Server{events: newBroker(), done: make(chan struct{})}
	sub := s.Subscribe(maxEventBuffer)
	defer sub.Close()
	before := heapInUse()
	for i := range maxEventBuffer {
		s.events.publish(bigEntry(i))
	}
	held := heapInUse() - before
	t.Logf("stuck subscriber holds %d KiB", held>>10)
	if held > 2*MaxSubscriberBytes {
		t.Errorf("a stuck subscriber holds %d bytes, want at most about %d", held, MaxSubscriberBytes)
	}
	got := 0
	for len(sub.ch) > 0 {
		if _, err := sub.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
		got++
	}
	ev, err := sub.Next(context.Background())
	if err != nil || ev.Dropped != uint64(maxEventBuffer-got) {
		t.Errorf("after %d events: %+v %v, want a notice of %d dropped", got, ev, err, maxEventBuffer-got)
	}
}

// A client ID of half a megabyte, which GetAuthorizationCookie used to
// journal whole (and so keep the request it was cut from), costs the
// journal at most MaxJournalEntryBytes per exchange.
func TestJournalKeepsOnlyTruncatedFields(t *testing.T) {
	s := newTestServer(t, "sp1-office2003", Config{})
	long := strings.Repeat("c", 512<<10)
	before := heapInUse()
	const n = 64
	for range n {
		soapCall(s, wusp.OpGetAuthorizationCookie, &wusp.GetAuthorizationCookieRequest{ClientID: long, DNSName: "xp01"})
	}
	held := heapInUse() - before
	t.Logf("%d exchanges with a %d KiB client ID: journal holds %d KiB", n, len(long)>>10, held>>10)
	if held > n*MaxJournalEntryBytes+(1<<20) {
		t.Errorf("%d exchanges hold %d bytes, want at most %d", n, held, n*MaxJournalEntryBytes)
	}
	for _, e := range s.Journal(JournalFilter{}).Entries {
		if len(e.ClientID) > maxJournalField+len(truncatedMarker) {
			t.Fatalf("entry %d keeps a client ID of %d bytes", e.Seq, len(e.ClientID))
		}
	}
}
