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
	// MaxLogLine bounds one line as Since returns it; a longer one is
	// cut, with a marker.
	MaxLogLine = 4096
)

// LogRing keeps the newest lines of the server's SoftwareDistribution.log
// in memory, so that the dashboard can show them beside a client's log
// without reading a file. It is an io.Writer for wsuslog.ServerLog, whose
// writes hold whole entries; the lines and their bytes are bounded, the
// oldest go first.
//
// A write is written on every fault of a busy server, and read only when a
// page asks: it keeps what it is given as one chunk (a copy, its time, the
// number of its first line), and Since splits chunks into lines.
type LogRing struct {
	now    func() time.Time
	mu     sync.Mutex
	chunks []logChunk // oldest first
	lines  int        // lines in chunks
	bytes  int
	seq    uint64 // number of the last line taken
}

type logChunk struct {
	first uint64 // number of its first line
	lines int
	time  time.Time
	data  []byte
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

// Write keeps p's lines; a last line without its newline counts as a line.
// Of a write larger than MaxLogBytes only the end is kept.
func (r *LogRing) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > MaxLogBytes {
		p = p[len(p)-MaxLogBytes:]
	}
	if len(p) == 0 {
		return n, nil
	}
	lines := bytes.Count(p, []byte{'\n'})
	if p[len(p)-1] != '\n' {
		lines++
	}
	c := logChunk{lines: lines, time: r.now(), data: bytes.Clone(p)}
	r.mu.Lock()
	defer r.mu.Unlock()
	c.first = r.seq + 1
	r.seq += uint64(lines)
	r.chunks = append(r.chunks, c)
	r.lines += lines
	r.bytes += len(c.data)
	for len(r.chunks) > 1 && (r.lines > MaxLogLines || r.bytes > MaxLogBytes) {
		r.lines -= r.chunks[0].lines
		r.bytes -= len(r.chunks[0].data)
		r.chunks[0] = logChunk{}
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

// truncated ends a line cut at MaxLogLine.
const truncated = "[truncated]"

// Since returns the lines numbered above seq, oldest first, at most
// MaxLogLines of them.
func (r *LogRing) Since(seq uint64) []LogLine {
	r.mu.Lock()
	chunks := append([]logChunk(nil), r.chunks...)
	r.mu.Unlock()
	out := []LogLine{}
	for _, c := range chunks {
		if c.first+uint64(c.lines) <= seq+1 {
			continue
		}
		n := c.first
		for data := c.data; len(data) > 0; n++ {
			line, rest, _ := bytes.Cut(data, []byte{'\n'})
			data = rest
			if n <= seq {
				continue
			}
			line = bytes.TrimSuffix(line, []byte{'\r'})
			text := strings.ToValidUTF8(string(line[:min(len(line), MaxLogLine)]), string(utf8.RuneError))
			if len(line) > MaxLogLine {
				text += truncated
			}
			out = append(out, LogLine{Seq: n, Time: c.time, Text: text})
		}
	}
	if len(out) > MaxLogLines {
		out = out[len(out)-MaxLogLines:]
	}
	return out
}
