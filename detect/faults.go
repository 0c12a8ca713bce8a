package detect

import (
	"sort"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// found is a fault with the lines that show it.
type found struct {
	f  Fault
	ev []Evidence
}

// keeper holds the faults of one class within MaxFaultsKept: the first
// ones and, in the last slot, the latest.
type keeper struct {
	kept  []found
	count int
	last  int // start line of the latest fault, kept or not
}

func (k *keeper) add(x found) {
	k.count++
	k.last = x.f.Line
	x.f.Lines = make([]int, len(x.ev))
	for i, e := range x.ev {
		x.f.Lines[i] = e.Line
	}
	if len(k.kept) < MaxFaultsKept {
		k.kept = append(k.kept, x)
		return
	}
	k.kept[MaxFaultsKept-1] = x
}

func (k *keeper) evidence() []Evidence {
	var ev []Evidence
	for _, x := range k.kept {
		ev = append(ev, x.ev...)
	}
	return ev
}

// faultsOf returns the faults of the keepers in line order.
func faultsOf(ks ...*keeper) []Fault {
	var fs []Fault
	for _, k := range ks {
		for _, x := range k.kept {
			fs = append(fs, x.f)
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Line < fs[j].Line })
	return fs
}

// sortEvidence puts evidence in line order and drops repeated lines.
func sortEvidence(ev []Evidence) []Evidence {
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].Line < ev[j].Line })
	out := ev[:0]
	for i, e := range ev {
		if i > 0 && e.Line == ev[i-1].Line {
			continue
		}
		out = append(out, e)
	}
	if out == nil {
		return []Evidence{}
	}
	return out
}

// MaxEvidenceText bounds Evidence.Text, in bytes; a longer line is cut
// and ends in "[truncated: N more bytes]". Real log lines are far
// shorter; the bound keeps a crafted megabyte line out of the report.
const MaxEvidenceText = wsuslog.MaxTextLen

// evidence returns line n as a report shows it: control characters
// other than tab escaped, so that printing a report cannot drive a
// terminal, and cut to MaxEvidenceText.
func evidence(n int, raw string) Evidence {
	return Evidence{Line: n, Text: wsuslog.EscapeText(raw, MaxEvidenceText)}
}

// notes collects Report.Notes, at most maxNotes of them.
type notes struct {
	list    []string
	dropped int
}

const maxNotes = 10

func (n *notes) add(s string) {
	if len(n.list) < maxNotes {
		n.list = append(n.list, s)
		return
	}
	n.dropped++
}
