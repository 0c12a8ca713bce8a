package soapserver

import (
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"
)

// JournalEntry is one SOAP exchange as the server decided it: what came in,
// what went out, and which injection rule, if any, shaped the reply. The
// journal keeps entries and the event stream sends them; both share one
// value, which is never modified after it is recorded.
type JournalEntry struct {
	// Seq numbers exchanges from 1 in the order they were recorded.
	Seq        uint64    `json:"seq"`
	Time       time.Time `json:"time"`
	Remote     string    `json:"remote"`
	Path       string    `json:"path"`
	Operation  string    `json:"operation,omitempty"` // empty when dispatch failed
	SOAPAction string    `json:"soap_action,omitempty"`
	ClientID   string    `json:"client_id,omitempty"`
	// ClientName is the DNS name the client gave (GetAuthorizationCookie,
	// and the cookies after it), so that clients sharing a profile's
	// SusClientId can still be told apart.
	ClientName string `json:"client_name,omitempty"`
	// Status is the HTTP status sent; 0 when an injected transport fault
	// cut the connection before any.
	Status int `json:"status"`
	// Fault is the WSUS ErrorCode, or the faultstring of a SOAP-level fault
	// (unknown SOAPAction, unreadable XML); empty for a normal reply.
	Fault   string `json:"fault,omitempty"`
	FaultID string `json:"fault_id,omitempty"`
	// Injected is the ID of the fault rule that fired, and Transport its
	// transport effect, if it had one.
	Injected       string `json:"injected,omitempty"`
	Transport      string `json:"transport,omitempty"`
	DurationMicros int64  `json:"duration_us"`
}

// JournalFilter selects entries; empty fields match everything. Operation
// and Fault compare without regard to case, ClientID exactly.
type JournalFilter struct {
	Operation string
	ClientID  string
	Fault     string
	// Since keeps entries with a Seq above it, for polling.
	Since uint64
}

func (f JournalFilter) match(e *JournalEntry) bool {
	return e.Seq > f.Since &&
		(f.Operation == "" || strings.EqualFold(f.Operation, e.Operation)) &&
		(f.ClientID == "" || f.ClientID == e.ClientID) &&
		(f.Fault == "" || strings.EqualFold(f.Fault, e.Fault))
}

// JournalPage is what Journal returns.
type JournalPage struct {
	// Total counts the exchanges recorded since the journal was last
	// cleared, Dropped those of them pushed out of the bounded ring (by
	// its entry count or its byte budget).
	Total   uint64          `json:"total"`
	Dropped uint64          `json:"dropped"`
	Entries []*JournalEntry `json:"entries"`
}

// maxJournalField bounds each text field of a JournalEntry, in bytes. A
// client ID is a GUID and a SOAPAction a URL of a hundred bytes; the
// bound is for what a client sent in their place, and for the path and
// the faultstring, which quote the request.
const maxJournalField = 256

// journalEntryOverhead is what an entry costs beside its text: the struct
// and the allocation headers of it and its strings.
const journalEntryOverhead = int64(unsafe.Sizeof(JournalEntry{})) + 7*16

// MaxJournalEntryBytes is the most one entry counts against the journal's
// and a subscriber's byte budgets.
const MaxJournalEntryBytes = journalEntryOverhead + 6*(maxJournalField+int64(len(truncatedMarker)))

// size is what e counts against a byte budget.
func (e *JournalEntry) size() int64 {
	return journalEntryOverhead + int64(len(e.Remote)+len(e.Path)+len(e.Operation)+len(e.SOAPAction)+
		len(e.ClientID)+len(e.ClientName)+len(e.Fault)+len(e.FaultID)+len(e.Injected)+len(e.Transport))
}

// truncatedMarker ends a journal field that was cut at maxJournalField.
const truncatedMarker = "[truncated]"

// journalText returns s as an entry keeps it: at most maxJournalField
// bytes, a longer s cut and copied with a marker, so that the entry never
// holds on to a large string it was cut from. Fields that may be short
// parts of a large string (a client ID is a part of the request body)
// go through journalCopy instead.
func journalText(s string) string {
	if len(s) <= maxJournalField {
		return s
	}
	cut := maxJournalField
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + truncatedMarker // a new string, not a part of s
}

// journalCopy is journalText for a string that may be a part of a larger
// one: it is copied even when short.
func journalCopy(s string) string {
	if len(s) <= maxJournalField {
		return strings.Clone(s)
	}
	return journalText(s)
}

// journal is a bounded ring of exchanges. Writers take no lock: each claims
// a sequence number and stores its entry in that number's slot, so the
// SOAP hot path pays a few atomic operations. The ring is bounded by its
// number of slots and by a byte budget: when the entries held cost more
// than budget bytes, the oldest are dropped until they fit.
type journal struct {
	seq     atomic.Uint64
	floor   atomic.Uint64 // entries at or below are gone: cleared or dropped
	cleared atomic.Uint64 // seq at the last clear; Total counts from it
	bytes   atomic.Int64  // what the entries in slots cost
	budget  int64
	slots   []atomic.Pointer[JournalEntry]
}

func newJournal(size int, budget int64) *journal {
	return &journal{slots: make([]atomic.Pointer[JournalEntry], size), budget: budget}
}

func (j *journal) add(e *JournalEntry) {
	n := e.size()
	e.Seq = j.seq.Add(1)
	old := j.slots[(e.Seq-1)%uint64(len(j.slots))].Swap(e)
	if old != nil {
		n -= old.size()
	}
	if j.bytes.Add(n) > j.budget {
		j.shed(e.Seq)
	}
}

// shed drops the oldest entries until the rest fit the budget, keeping
// the newest entry, seq, whatever its size.
func (j *journal) shed(seq uint64) {
	size := uint64(len(j.slots))
	for j.bytes.Load() > j.budget {
		cur := j.floor.Load()
		lo := cur
		if seq > size && lo < seq-size {
			lo = seq - size // entries below are overwritten already
		}
		if lo+1 >= seq {
			return
		}
		if j.floor.CompareAndSwap(cur, lo+1) {
			j.release(lo + 1)
		}
	}
}

// release empties the slot of entry seq if it still holds that entry.
func (j *journal) release(seq uint64) {
	slot := &j.slots[(seq-1)%uint64(len(j.slots))]
	if e := slot.Load(); e != nil && e.Seq == seq && slot.CompareAndSwap(e, nil) {
		j.bytes.Add(-e.size())
	}
}

// read returns the entries the filter selects, oldest first. A writer that
// claimed a number but has not stored yet is simply not seen.
func (j *journal) read(f JournalFilter) JournalPage {
	hi, lo := j.bounds()
	p := JournalPage{Entries: []*JournalEntry{}}
	for i := range j.slots {
		// An entry outside (lo, hi] is stale: cleared, or a slow writer's
		// that lost its slot to a newer one.
		if e := j.slots[i].Load(); e != nil && e.Seq > lo && e.Seq <= hi && f.match(e) {
			p.Entries = append(p.Entries, e)
		}
	}
	slices.SortFunc(p.Entries, func(a, b *JournalEntry) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	cleared := j.cleared.Load()
	p.Total, p.Dropped = hi-cleared, lo-cleared
	return p
}

// bounds are the newest sequence number and the one below the oldest
// entry still held: entries outside (lo, hi] are gone.
func (j *journal) bounds() (hi, lo uint64) {
	hi, lo = j.seq.Load(), j.floor.Load()
	if size := uint64(len(j.slots)); hi-lo > size {
		lo = hi - size
	}
	return hi, lo
}

// clear forgets every entry so far, and lets go of them so that their
// memory can be reclaimed; numbering continues.
func (j *journal) clear() {
	hi := j.seq.Load()
	j.cleared.Store(hi)
	for lo := j.floor.Load(); lo < hi; lo = j.floor.Load() {
		j.floor.CompareAndSwap(lo, hi)
	}
	for i := range j.slots {
		if e := j.slots[i].Load(); e != nil && e.Seq <= hi && j.slots[i].CompareAndSwap(e, nil) {
			j.bytes.Add(-e.size())
		}
	}
}

// record journals an exchange whose reply is decided and publishes it to
// event subscribers, once; serveSOAP's deferred call catches exchanges
// that ended without a reply.
func (s *Server) record(x *exchange) {
	if x.recorded {
		return
	}
	x.recorded = true
	e := &JournalEntry{
		Time:           s.cfg.Now(),
		Remote:         journalText(x.r.RemoteAddr),
		Path:           journalPath(x),
		Operation:      x.op.Name,
		ClientID:       journalCopy(x.client),
		ClientName:     journalCopy(x.clientName),
		Status:         x.status,
		Fault:          journalText(x.fault),
		FaultID:        journalText(x.faultID),
		DurationMicros: time.Since(x.start).Microseconds(),
	}
	if a := x.r.Header["Soapaction"]; len(a) > 0 {
		e.SOAPAction = journalText(a[0])
	}
	if x.rule != nil {
		e.Injected, e.Transport = x.rule.ID, x.rule.Transport
	}
	s.journal.add(e)
	s.events.publish(e)
	if s.cfg.Observe != nil {
		s.cfg.Observe(e)
	}
}

// journalPath is the request's path as an entry keeps it: the operation's
// endpoint path when the request spelled it so, a string of the program's
// that costs nothing to keep, else a copy, since the path may be a part of
// the request line.
func journalPath(x *exchange) string {
	if p := x.op.Service.Path(); p != "" && p == x.r.URL.Path {
		return p
	}
	return journalCopy(x.r.URL.Path)
}

// Journal returns the recorded exchanges the filter selects, oldest first.
func (s *Server) Journal(f JournalFilter) JournalPage { return s.journal.read(f) }

// JournalDropped is how many exchanges the journal has dropped since it
// was last cleared, for lack of room: what a JournalPage's Dropped says,
// without reading the entries.
func (s *Server) JournalDropped() uint64 {
	_, lo := s.journal.bounds()
	return lo - s.journal.cleared.Load()
}

// ClearJournal forgets the recorded exchanges and releases their memory;
// sequence numbers continue.
func (s *Server) ClearJournal() { s.journal.clear() }
