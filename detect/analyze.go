package detect

import (
	"bufio"
	"errors"
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
// that reader's error; the Report then covers the lines read before it.
func Analyze(name string, r io.Reader) (Report, error) {
	rep := Report{Name: name, Kind: KindUnknown}
	lr, err := wsuslog.OpenLog(r)
	if err != nil {
		rep.Verdict = VerdictUnrecognised
		rep.Evidence = []Evidence{}
		return rep, fmt.Errorf("detect: %s: %w", name, err)
	}
	rep.Encoding = string(lr.Encoding())

	client, server := newClientAnalyzer(), newServerAnalyzer()
	var clientLines, serverLines int
	for lr.Scan() {
		n, raw := lr.Line(), lr.Text()
		rep.Lines = n
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
		if errors.Is(err, bufio.ErrTooLong) {
			note := fmt.Sprintf("line %d is longer than wsuslog reads (1 MiB); the analysis stops before it", rep.Lines+1)
			client.notes.add(note)
			server.notes.add(note)
		} else {
			readErr = fmt.Errorf("detect: %s: %w", name, err)
		}
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
	rep.Evidence = sortEvidence(rep.Evidence)
	rep.Notes = ns.list
	if ns.dropped > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d more note(s) left out", ns.dropped))
	}
	return rep, readErr
}
