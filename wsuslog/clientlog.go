package wsuslog

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CRLF is the line ending Windows programs, WUA among them, write.
const CRLF = "\r\n"

// Entry is one line of WindowsUpdate.log as the Windows Update Agent 7.x
// writes it (fact sheet §3.3).
type Entry struct {
	// Time is the agent's local wall-clock time; the file carries no zone.
	Time      time.Time
	PID       int    // printed in decimal
	TID       uint32 // printed in lower-case hex without 0x
	Component string // PT, Agent, AU, Misc, Setup, Report, …
	Text      string // verbatim, including any leading indentation
}

// Format returns the line without its line ending: six TAB-separated
// columns, date, time with the milliseconds after a colon, PID, TID,
// component and text (fact sheet §3.3; the advisory's copy pads the
// columns with spaces, real files use tabs). Time is printed as its own
// wall clock, without conversion.
//
// Text may quote what a server sent (a fault string, a URL), so it is
// escaped as ServerLog escapes a client's values: a CR, LF or other
// control character becomes \r, \n or \xNN (a tab stays a tab), and
// text longer than MaxTextLen is cut with a "[truncated: N more bytes]"
// marker. One Entry is always one line.
func (e Entry) Format() string {
	return string(e.appendTo(make([]byte, 0, 64+len(e.Text))))
}

func (e Entry) appendTo(b []byte) []byte {
	b = e.Time.AppendFormat(b, "2006-01-02\t15:04:05")
	ms := e.Time.Nanosecond() / int(time.Millisecond)
	b = append(b, ':', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), '\t')
	b = strconv.AppendInt(b, int64(e.PID), 10)
	b = append(b, '\t')
	b = strconv.AppendUint(b, uint64(e.TID), 16)
	b = append(b, '\t')
	b = appendEscaped(b, e.Component, MaxValueLen, false)
	b = append(b, '\t')
	return appendEscaped(b, e.Text, MaxTextLen, true)
}

// ParseClientLine parses one WindowsUpdate.log line. Columns may be
// separated by tabs or by runs of spaces. The milliseconds may follow a
// colon (WUA 7.x), a period or a comma, or be absent (WUA 5.x). The
// time is returned in time.UTC as a zone-less wall-clock reading.
//
// Text is the rest of the line after the single tab that ends the
// component column, so indentation such as "  + ServiceId" survives a
// round trip. When spaces separate the component from the text (a copy
// from a web page) the indentation cannot be told from padding and is
// dropped; compare texts with strings.TrimSpace when input may be such a
// copy.
func ParseClientLine(s string) (Entry, bool) {
	s = strings.TrimRight(s, "\r\n")
	date, rest := cutField(s)
	clock, rest := cutField(rest)
	t, ok := parseClientTime(date, clock)
	if !ok {
		return Entry{}, false
	}
	pidText, rest := cutField(rest)
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid < 0 {
		return Entry{}, false
	}
	tidText, rest := cutField(rest)
	tid, err := strconv.ParseUint(tidText, 16, 32)
	if err != nil {
		return Entry{}, false
	}
	rest = strings.TrimLeft(rest, " \t")
	i := strings.IndexAny(rest, " \t")
	component, text := rest, ""
	if i >= 0 {
		component = rest[:i]
		if rest[i] == '\t' {
			text = rest[i+1:]
		} else {
			text = strings.TrimLeft(rest[i:], " \t")
		}
	}
	if component == "" {
		return Entry{}, false
	}
	return Entry{Time: t, PID: pid, TID: uint32(tid), Component: component, Text: text}, true
}

// parseClientTime reads "2008-06-13" and "19:59:56:617". Go's layouts
// know no colon before fractional seconds, so the milliseconds are
// split off by hand.
func parseClientTime(date, clock string) (time.Time, bool) {
	hms, frac := clock, ""
	if len(clock) > 8 {
		hms, frac = clock[:8], clock[8:]
		if frac[0] != ':' && frac[0] != '.' && frac[0] != ',' {
			return time.Time{}, false
		}
		frac = frac[1:]
	}
	t, err := time.Parse("2006-01-02 15:04:05", date+" "+hms)
	if err != nil {
		return time.Time{}, false
	}
	if frac != "" {
		if len(frac) > 9 {
			return time.Time{}, false
		}
		n, err := strconv.Atoi(frac)
		if err != nil || n < 0 {
			return time.Time{}, false
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		t = t.Add(time.Duration(n))
	}
	return t, true
}

// ClientLogWriter writes Entries to an io.Writer, one line each. It is
// safe for concurrent use; the simulated client is not a hot path, so a
// mutex and an unbuffered write per call suffice.
type ClientLogWriter struct {
	// LineEnding ends every line. NewClientLogWriter sets CRLF, as WUA
	// writes; set "\n" for a Unix-style file before the first Log call.
	LineEnding string

	mu  sync.Mutex // guards w and buf
	w   io.Writer
	buf []byte
}

// NewClientLogWriter returns a writer of CRLF-terminated lines to w.
func NewClientLogWriter(w io.Writer) *ClientLogWriter {
	return &ClientLogWriter{LineEnding: CRLF, w: w}
}

// Log writes entries with a single Write call, so a block such as the
// fault dump of SyncUpdatesFault stays together when several goroutines
// log at once.
func (c *ClientLogWriter) Log(entries ...Entry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = c.buf[:0]
	for _, e := range entries {
		c.buf = e.appendTo(c.buf)
		c.buf = append(c.buf, c.LineEnding...)
	}
	_, err := c.w.Write(c.buf)
	return err
}
