package admin

import (
	"bytes"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Bounds of a LogRing.
const (
	// MaxLogLines is how many server log lines a LogRing keeps.
	MaxLogLines = 2000
	// MaxLogBytes bounds the text a LogRing keeps.
	MaxLogBytes = 1 << 20
	// MaxLogLine bounds one line; a longer one is cut, with a marker.
	MaxLogLine = 4096
)

// LogRing keeps the newest lines of the server's SoftwareDistribution.log
// in memory, so that the dashboard can show them beside a client's log
// without reading a file. It is an io.Writer for wsuslog.ServerLog; the
// lines and their bytes are bounded, the oldest go first.
type LogRing struct {
	now     func() time.Time
	mu      sync.Mutex
	lines   []LogLine
	bytes   int
	seq     uint64
	partial []byte // a line not ended yet, at most MaxLogLine bytes
	cut     bool   // partial was cut
}

// LogLine is one server log line as the dashboard reads it.
type LogLine struct {
	// Seq numbers lines from 1, for polling.
	Seq uint64 `json:"seq"`
	// Time is when the line was written (the line's own timestamp may
	// follow another clock).
	Time time.Time `json:"time"`
	Text string    `json:"text"`
}

// ServerLogPage is the reply of GET /__admin/serverlog: the lines after
// ?since=, oldest first.
type ServerLogPage struct {
	Lines []LogLine `json:"lines"`
}

// NewLogRing returns an empty ring stamping lines with now (nil: time.Now).
func NewLogRing(now func() time.Time) *LogRing {
	if now == nil {
		now = time.Now
	}
	return &LogRing{now: now}
}

// Write takes CRLF- or LF-ended lines; an unfinished line waits for its end.
func (r *LogRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			r.take(p)
			break
		}
		r.take(p[:i])
		r.finish()
		p = p[i+1:]
	}
	return n, nil
}

// take adds to the unfinished line, up to MaxLogLine bytes.
func (r *LogRing) take(p []byte) {
	room := MaxLogLine - len(r.partial)
	if len(p) > room {
		p, r.cut = p[:max(room, 0)], true
	}
	r.partial = append(r.partial, p...)
}

func (r *LogRing) finish() {
	text := strings.ToValidUTF8(strings.TrimSuffix(string(r.partial), "\r"), string(utf8.RuneError))
	if r.cut {
		text += truncated
	}
	r.partial, r.cut = r.partial[:0], false
	r.seq++
	r.lines = append(r.lines, LogLine{Seq: r.seq, Time: r.now(), Text: text})
	r.bytes += len(text)
	drop := 0
	for len(r.lines)-drop > MaxLogLines || r.bytes > MaxLogBytes && drop < len(r.lines)-1 {
		r.bytes -= len(r.lines[drop].Text)
		drop++
	}
	if drop > 0 {
		r.lines = append(r.lines[:0:0], r.lines[drop:]...)
	}
}

// truncated ends a line cut at MaxLogLine.
const truncated = "[truncated]"

// Since returns the lines numbered above seq, oldest first.
func (r *LogRing) Since(seq uint64) []LogLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []LogLine{}
	for _, l := range r.lines {
		if l.Seq > seq {
			out = append(out, l)
		}
	}
	return out
}
