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
// lines and their bytes are bounded, the oldest go first. Adding a line
// costs the same however full the ring is: it is written on every fault.
type LogRing struct {
	now     func() time.Time
	mu      sync.Mutex
	slots   []LogLine // a circle of MaxLogLines, made on the first line
	first   int       // slot of the oldest line
	n       int       // lines held
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
	if r.slots == nil {
		r.slots = make([]LogLine, MaxLogLines)
	}
	if r.n == len(r.slots) {
		r.dropOldest()
	}
	r.seq++
	r.slots[(r.first+r.n)%len(r.slots)] = LogLine{Seq: r.seq, Time: r.now(), Text: text}
	r.n++
	r.bytes += len(text)
	for r.bytes > MaxLogBytes && r.n > 1 {
		r.dropOldest()
	}
}

func (r *LogRing) dropOldest() {
	r.bytes -= len(r.slots[r.first].Text)
	r.slots[r.first] = LogLine{}
	r.first = (r.first + 1) % len(r.slots)
	r.n--
}

// truncated ends a line cut at MaxLogLine.
const truncated = "[truncated]"

// Since returns the lines numbered above seq, oldest first.
func (r *LogRing) Since(seq uint64) []LogLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []LogLine{}
	for i := range r.n {
		if l := r.slots[(r.first+i)%len(r.slots)]; l.Seq > seq {
			out = append(out, l)
		}
	}
	return out
}
