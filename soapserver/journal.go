package soapserver

import (
	"slices"
	"strings"
	"sync/atomic"
	"time"
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
	// cleared, Dropped those of them pushed out of the bounded ring.
	Total   uint64          `json:"total"`
	Dropped uint64          `json:"dropped"`
	Entries []*JournalEntry `json:"entries"`
}

// journal is a bounded ring of exchanges. Writers take no lock: each claims
// a sequence number and stores its entry in that number's slot, so the
// SOAP hot path pays one atomic add and one atomic store.
type journal struct {
	seq   atomic.Uint64
	floor atomic.Uint64 // seq at the last clear; entries at or below are gone
	slots []atomic.Pointer[JournalEntry]
}

func newJournal(size int) *journal {
	return &journal{slots: make([]atomic.Pointer[JournalEntry], size)}
}

func (j *journal) add(e *JournalEntry) {
	e.Seq = j.seq.Add(1)
	j.slots[(e.Seq-1)%uint64(len(j.slots))].Store(e)
}

// read returns the entries the filter selects, oldest first. A writer that
// claimed a number but has not stored yet is simply not seen.
func (j *journal) read(f JournalFilter) JournalPage {
	hi, lo := j.seq.Load(), j.floor.Load()
	p := JournalPage{Total: hi - lo, Entries: []*JournalEntry{}}
	size := uint64(len(j.slots))
	if p.Total > size {
		p.Dropped = p.Total - size
		lo = hi - size
	}
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
	return p
}

// clear forgets every entry so far; numbering continues.
func (j *journal) clear() { j.floor.Store(j.seq.Load()) }

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
		Remote:         x.r.RemoteAddr,
		Path:           x.r.URL.Path,
		Operation:      x.op.Name,
		ClientID:       x.client,
		Status:         x.status,
		Fault:          x.fault,
		FaultID:        x.faultID,
		DurationMicros: time.Since(x.start).Microseconds(),
	}
	if a := x.r.Header["Soapaction"]; len(a) > 0 {
		e.SOAPAction = a[0]
	}
	if x.rule != nil {
		e.Injected, e.Transport = x.rule.ID, x.rule.Transport
	}
	s.journal.add(e)
	s.events.publish(e)
}

// Journal returns the recorded exchanges the filter selects, oldest first.
func (s *Server) Journal(f JournalFilter) JournalPage { return s.journal.read(f) }

// ClearJournal forgets the recorded exchanges; sequence numbers continue.
func (s *Server) ClearJournal() { s.journal.clear() }
