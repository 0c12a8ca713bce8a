package detect

import (
	"fmt"
	"io"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// Analyze reads a WindowsUpdate.log or SoftwareDistribution.log from r
// and returns its Report; name is only copied into it. The input is read
// once, as a stream.
//
// Input that is not such a log is not an error: it gives a Report with
// VerdictUnrecognised. The error is for a reader that fails, and wraps
// that reader's error; the Report then covers the lines read before it,
// and its verdict is never VerdictClean or VerdictRecovered (see
// VerdictIncomplete).
func Analyze(name string, r io.Reader) (Report, error) {
	rep := Report{Name: name, Kind: KindUnknown}
	lr, err := wsuslog.OpenLog(r)
	if err != nil {
		rep.Verdict = VerdictIncomplete
		rep.Summary = "could not be read"
		rep.Evidence = []Evidence{}
		return rep, fmt.Errorf("detect: %s: %w", name, err)
	}
	rep.Encoding = string(lr.Encoding())

	client, server := newClientAnalyzer(), newServerAnalyzer()
	var clientLines, serverLines, cutLines int
	for lr.Scan() {
		n, raw := lr.Line(), lr.Text()
		rep.Lines = n
		if cut := lr.Cut(); cut > 0 {
			// The line's start is read like any other line: a log
			// line's columns and the text that matters come first.
			cutLines++
			note := fmt.Sprintf("line %d is longer than %d bytes; only its first %d bytes were read, %d left out",
				n, wsuslog.MaxLineSize, wsuslog.MaxLineSize, cut)
			client.notes.add(note)
			server.notes.add(note)
		}
		if e, ok := wsuslog.ParseServerLine(raw); ok {
			serverLines++
			server.entry(n, raw, e)
			continue
		}
		if f, ok := wsuslog.ParseFrameLine(raw); ok {
			server.frame(n, raw, f)
			continue
		}
		if e, ok := wsuslog.ParseClientLine(raw); ok {
			clientLines++
			client.line(n, raw, e)
		}
	}
	var readErr error
	if err := lr.Err(); err != nil {
		readErr = fmt.Errorf("detect: %s: %w", name, err)
	}

	var ns *notes
	switch {
	case clientLines == 0 && serverLines == 0:
		rep.Verdict = VerdictUnrecognised
		rep.Summary = fmt.Sprintf("not a WindowsUpdate.log or SoftwareDistribution.log: none of its %d lines has their layout", rep.Lines)
		ns = &client.notes
	case clientLines >= serverLines:
		rep.Kind, rep.Recognised = KindClient, clientLines
		client.report(&rep)
		ns = &client.notes
	default:
		rep.Kind, rep.Recognised = KindServer, serverLines
		server.report(&rep)
		ns = &server.notes
	}
	switch {
	case readErr != nil:
		notRead(&rep, fmt.Sprintf("reading stopped at line %d: %v", rep.Lines+1, readErr))
	case cutLines > 0:
		notRead(&rep, fmt.Sprintf("%d line(s) longer than %d bytes were read only in part", cutLines, wsuslog.MaxLineSize))
	}
	rep.Evidence = sortEvidence(rep.Evidence)
	rep.Notes = ns.list
	if ns.dropped > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d more note(s) left out", ns.dropped))
	}
	return rep, readErr
}

// notRead turns a verdict that vouches for the whole input (clean,
// recovered) into VerdictIncomplete, since the part not read may hold a
// fault. Verdicts that report a fault stand: what was read proves them.
func notRead(rep *Report, why string) {
	if rep.Verdict != VerdictClean && rep.Verdict != VerdictRecovered {
		return
	}
	rep.Summary = fmt.Sprintf("not read in full (%s), so not called %s: %s", why, rep.Verdict, rep.Summary)
	rep.Verdict = VerdictIncomplete
}
