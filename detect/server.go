package detect

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/wsusmock/wsusmock/wsuslog"
)

var (
	// The Hashtable.Add message in .NET 2.0's English (fact sheet §3.4)
	// and in the advisory's Dutch copy.
	dupEnglish = regexp.MustCompile(`(?i)Item has already been added\.\s*Key in dictionary:\s*'([^']*)'\s*Key being added:\s*'([^']*)'`)
	dupDutch   = regexp.MustCompile(`(?i)Het item is reeds toegevoegd\.\s*Sleutel in woordenboek:\s*Sleutel\s*"([^"]*)"\s*wordt toegevoegd:\s*"([^"]*)"`)

	throwID        = regexp.MustCompile(`(?i)\bID\s*=\s*([0-9a-f-]+)`)
	throwErrorCode = regexp.MustCompile(`(?i)\bErrorCode\s*=\s*(\w+)`)
)

// getSyncInfoFrame is the frame that places a duplicate key in the
// 954960 code path.
const getSyncInfoFrame = "clientimplementation.getsyncinfo"

// dupEntry is a duplicate-key exception waiting for the fault raised
// from it.
type dupEntry struct {
	line        int
	thread      string
	key         string
	getSyncInfo bool
	ev          []Evidence
}

// maxAwaiting bounds the exceptions waiting for their fault.
const maxAwaiting = 256

type serverAnalyzer struct {
	cur      *dupEntry            // the entry that stack frames now belong to
	awaiting map[string]*dupEntry // by thread
	kb       keeper
	other    keeper
	keys     []string
	keySeen  map[string]bool
	notes    notes
}

func newServerAnalyzer() *serverAnalyzer {
	return &serverAnalyzer{awaiting: map[string]*dupEntry{}, keySeen: map[string]bool{}}
}

// entry takes a line that wsuslog.ParseServerLine accepted.
func (s *serverAnalyzer) entry(n int, raw string, e wsuslog.ServerEntry) {
	s.cur = nil
	ev := evidence(n, raw)
	if e.Level == wsuslog.LevelError && strings.Contains(e.Message, "ArgumentException") {
		m := dupEnglish.FindStringSubmatch(e.Message)
		if m == nil {
			m = dupDutch.FindStringSubmatch(e.Message)
		}
		if m != nil {
			d := &dupEntry{line: n, thread: e.Thread, key: m[2], ev: []Evidence{ev}}
			if old := s.awaiting[e.Thread]; old != nil {
				s.orphan(old)
			}
			if len(s.awaiting) >= maxAwaiting {
				s.notes.add(fmt.Sprintf("line %d: more than %d threads with pending exceptions; older ones dropped", n, maxAwaiting))
				s.awaiting = map[string]*dupEntry{}
			}
			s.awaiting[e.Thread] = d
			s.cur = d
			return
		}
	}
	if strings.HasPrefix(strings.ToLower(e.Source), "soaputilities.") && strings.Contains(e.Message, "ThrowException") {
		s.throw(ev, e)
	}
}

// frame takes a stack-frame line.
func (s *serverAnalyzer) frame(n int, raw, frame string) {
	if s.cur == nil || s.cur.getSyncInfo {
		return
	}
	if strings.Contains(strings.ToLower(frame), getSyncInfoFrame) {
		s.cur.getSyncInfo = true
		s.cur.ev = append(s.cur.ev, evidence(n, raw))
	}
}

// throw records a ThrowException line and pairs it with the exception
// its thread threw before it.
func (s *serverAnalyzer) throw(ev Evidence, e wsuslog.ServerEntry) {
	f := Fault{Line: ev.Line}
	if m := throwID.FindStringSubmatch(e.Message); m != nil {
		f.ID = m[1]
	}
	if m := throwErrorCode.FindStringSubmatch(e.Message); m != nil {
		f.ErrorCode = m[1]
	}
	d := s.awaiting[e.Thread]
	delete(s.awaiting, e.Thread)
	if d != nil && d.getSyncInfo && f.ErrorCode == errInternal {
		f.Line, f.Key, f.KB954960 = d.line, d.key, true
		s.kb.add(found{f: f, ev: append(d.ev, ev)})
		if !s.keySeen[d.key] && len(s.keys) < maxKeys {
			s.keySeen[d.key] = true
			s.keys = append(s.keys, d.key)
		}
		return
	}
	if d != nil {
		s.orphan(d)
	}
	s.other.add(found{f: f, ev: []Evidence{ev}})
}

// orphan notes a duplicate-key exception that did not end in a 954960
// fault.
func (s *serverAnalyzer) orphan(d *dupEntry) {
	why := "no InternalServerError ThrowException followed it on " + d.thread
	if !d.getSyncInfo {
		why = "no GetSyncInfo frame in its stack"
	}
	s.notes.add(fmt.Sprintf("line %d: duplicate key '%s' not counted: %s", d.line, d.key, why))
}

func (s *serverAnalyzer) report(r *Report) {
	left := make([]*dupEntry, 0, len(s.awaiting))
	for _, d := range s.awaiting {
		left = append(left, d)
	}
	sort.Slice(left, func(i, j int) bool { return left[i].line < left[j].line })
	for _, d := range left {
		s.orphan(d)
	}
	s.awaiting = nil
	r.Faults = faultsOf(&s.kb, &s.other)
	r.FaultCount = s.kb.count + s.other.count
	r.Keys = s.keys
	switch {
	case s.kb.count > 0:
		r.Verdict = VerdictAffected
		r.Summary = fmt.Sprintf("954960: GetSyncInfo threw on duplicate key %s and SyncUpdates answered InternalServerError %s, the last at line %d",
			quoteList(s.keys), times(s.kb.count), s.kb.last)
		r.Evidence = s.kb.evidence()
		if s.other.count > 0 {
			s.notes.add(fmt.Sprintf("also %s of other kinds, the first at line %d: %s",
				soapFaults(s.other.count), s.other.kept[0].f.Line, describe(s.other.kept[0].f)))
		}
	case s.other.count > 0:
		f := s.other.kept[0].f
		r.Verdict = VerdictOtherSOAPFault
		r.Summary = fmt.Sprintf("%s raised, none after a duplicate key in GetSyncInfo; the first at line %d: %s",
			soapFaults(s.other.count), f.Line, describe(f))
		r.Evidence = s.other.evidence()
	default:
		r.Verdict = VerdictClean
		r.Summary = "no SOAP fault raised (no ThrowException line)"
	}
}

func quoteList(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = "'" + k + "'"
	}
	return strings.Join(q, ", ")
}
