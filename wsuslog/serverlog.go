package wsuslog

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Level is the severity column of SoftwareDistribution.log (docs/protocol-facts.md §3.4).
type Level string

// The levels WSUS 3.0 writes.
const (
	LevelInfo    Level = "Info"
	LevelChange  Level = "Change"
	LevelWarning Level = "Warning"
	LevelError   Level = "Error"
)

// DuplicateKeySource is the Class.Method column of the line that records
// the KB954960 exception; the web service logs it where the SOAP method
// caught it, not where Hashtable.Add threw.
const DuplicateKeySource = "ClientImplementation.SyncUpdates"

// ThrowExceptionSource is the Class.Method column of the line WSUS writes
// for every application SOAP fault it raises (docs/protocol-facts.md §2.5, advisory).
const ThrowExceptionSource = "SoapUtilities.CreateException"

// serverNewline ends every line, including the stack-frame lines inside
// one entry: WSUS is a .NET program on Windows, and both its trace
// writer and Exception.ToString use Environment.NewLine.
const serverNewline = "\r\n"

// framePrefix starts each stack-frame line, as .NET's StackTrace writes it
// (three spaces, docs/protocol-facts.md §3.4).
const framePrefix = "   at "

// ServerLog writes SoftwareDistribution.log entries, as the WSUS 3.0 web
// service does, to an io.Writer.
//
// Each entry is laid out as
//
//	2008-06-14 02:59:57.642 UTC Error<TAB>w3wp.12<TAB>ClientImplementation.SyncUpdates<TAB>message
//
// Spaces separate date, time, the literal UTC and the level, and tabs
// separate level, thread, Class.Method and message. docs/protocol-facts.md
// (§3.4) verifies the order of the columns and the period before the
// milliseconds; it records from memory that the real file uses tabs, and
// every published copy, the advisory's included, has collapsed the
// whitespace, so the exact mix above is our choice. ParseServerLine
// accepts any mix of tabs and spaces. In LangDutch a comma precedes the
// milliseconds because the advisory's copy shows one.
//
// Lines end in CRLF. An entry with a stack trace spans several lines;
// it is handed to the writer as one piece and never interleaves with
// other entries.
//
// The methods are safe for concurrent use and cheap for the caller, who
// logs on a busy server's request path: an entry is formatted on the
// calling goroutine and appended to a queue under a short lock, and a
// single writer goroutine writes the queue to w. The writer is woken by
// the first entry after a quiet spell and writes it at once; while
// entries keep coming it wakes every FlushInterval (or when a lot has
// queued) and writes everything queued, so a busy server wakes it a few
// dozen times a second rather than once per entry. Each write to w holds
// whole entries, at most 32 KiB of them unless one entry is longer, so w
// may be a writer that rotates files between writes. When the writer
// falls behind, callers block; no entry is ever dropped. Entries logged
// after Close has been called are discarded.
type ServerLog struct {
	lang Lang
	now  func() time.Time
	w    io.Writer

	mu sync.Mutex // guards the fields up to err
	// queue holds whole entries waiting for the writer, oldest first;
	// ends holds the end of each entry in it.
	queue []byte
	ends  []int
	// idle says the writer waits for a wake-up, with nothing queued.
	idle bool
	// woken says a wake-up is pending since the writer last took the
	// queue, so that a burst sends one.
	woken  bool
	closed bool
	room   sync.Cond // signalled when the writer takes the queue

	wake    chan struct{}   // capacity 1: the writer has something to do
	syncs   chan chan error // Sync requests; the writer answers each once
	closing chan struct{}   // closed by Close; tells the writer to drain and stop
	done    chan struct{}   // closed by the writer goroutine when it has stopped
	once    sync.Once       // guards close(closing)
	bufs    sync.Pool       // of *[]byte, formatting buffers
	// dup is the last DuplicateKey message: the key is 8862 on every
	// KB954960 fault, and its stack is the same.
	dup atomic.Pointer[duplicateKey]
	// stamp is the time column of the last entry: the entries of a busy
	// server fall in the same millisecond many at a time.
	stamp atomic.Pointer[stamp]

	// err is the first write error; only the writer goroutine writes
	// it, and Close reads it after done is closed.
	err error
}

// FlushInterval is the longest an entry waits in a busy ServerLog before
// it is written; the first entry after a quiet spell is written at once.
const FlushInterval = 50 * time.Millisecond

// Bounds of the queue between the callers and the writer goroutine.
const (
	// maxWrite bounds one write to the underlying writer (one entry
	// longer than this goes alone).
	maxWrite = 32 << 10
	// wakeQueued is how much may queue before the writer is woken ahead
	// of FlushInterval.
	wakeQueued = 64 << 10
	// maxQueued is how much may queue before callers wait for the
	// writer.
	maxQueued = 256 << 10
)

// maxPooledBuffer keeps one oversized message from pinning a large buffer.
const maxPooledBuffer = 16 << 10

// NewServerLog starts a ServerLog that writes to w, rendering texts and
// timestamps in lang and taking the time of each entry from now (pass
// time.Now, or a fixed clock in tests; the time is printed in UTC). The
// caller keeps ownership of w: Close does not close it.
// A nil now means time.Now.
func NewServerLog(w io.Writer, lang Lang, now func() time.Time) *ServerLog {
	if now == nil {
		now = time.Now
	}
	l := &ServerLog{
		lang:    lang,
		now:     now,
		w:       w,
		idle:    true,
		wake:    make(chan struct{}, 1),
		syncs:   make(chan chan error),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	l.room.L = &l.mu
	l.bufs.New = func() any {
		b := make([]byte, 0, 512)
		return &b
	}
	go l.run()
	return l
}

// Log writes one entry with the current time. A message containing
// newlines becomes continuation lines, each ended with CRLF; this is how
// a stack trace is written, so message must be the program's own text.
// Each of its lines is escaped and cut at MaxTextLen like any other text
// (see Request), and thread and source at MaxValueLen.
func (l *ServerLog) Log(level Level, thread, source, message string) {
	b := l.bufs.Get().(*[]byte)
	*b = appendServerEntry((*b)[:0], l.lang, l.now(), level, thread, source, message)
	*b = append(*b, serverNewline...)
	l.send(b)
}

// log writes an entry whose message is the concatenation of parts;
// taking parts spares the caller a string allocation per entry. Each
// part is escaped and cut at MaxValueLen, so no part, whatever a client
// put in it, can end the line or make it longer than the parts allow.
func (l *ServerLog) log(level Level, thread, source string, parts ...string) {
	b := l.bufs.Get().(*[]byte)
	*b = l.appendHeader((*b)[:0], level, thread, source)
	for _, p := range parts {
		*b = appendEscaped(*b, p, MaxValueLen, false)
	}
	*b = append(*b, serverNewline...)
	l.send(b)
}

// Request writes the Info line that records one incoming web-service
// call, e.g.
//
//	… UTC Info	w3wp.12	ClientImplementation.SyncUpdates	SyncUpdates request, Client=5b3f…
//
// WSUS 3.0 writes no such line at its default trace level; the mock
// writes it so that a reader can pair a fault with the call that caused
// it. The wording is ours.
//
// Every argument here and in ThrowException may come from a client; each
// is escaped (a CR, LF, tab or other control character becomes \r, \n,
// \t, \xNN) and cut at MaxValueLen with a "[truncated: N more bytes]"
// marker, so one call is always one line of bounded length. operation is a MS-WUSP operation name and
// becomes ClientImplementation.<operation>; an operation that already
// contains a dot (SimpleAuthImplementation.GetAuthorizationCookie) is
// used as given. An empty clientID prints as "?", as WSUS prints an
// unknown client in ThrowException lines.
func (l *ServerLog) Request(thread, operation, clientID string) {
	source, name := operation, operation
	if i := strings.LastIndexByte(operation, '.'); i >= 0 {
		name = operation[i+1:]
	} else {
		source = "ClientImplementation." + operation
	}
	l.log(LevelInfo, thread, source, name, " request, Client=", orUnknown(clientID))
}

// DuplicateKey writes the Error entry of advisory 954960: the
// System.ArgumentException that Hashtable.Add threw in GetSyncInfo when
// the approval data held two rows for revision key, followed by its
// stack frames.
func (l *ServerLog) DuplicateKey(thread, key string) {
	d := l.dup.Load()
	if d == nil || d.key != key {
		d = l.renderDuplicateKey(key)
	}
	l.writeDuplicateKey(thread, d)
}

// DuplicateRevision is DuplicateKey for the revision ID key: a server
// failing on every scan of an affected client logs the same key each
// time, and this spares it the key's string.
func (l *ServerLog) DuplicateRevision(thread string, key int) {
	var digits [20]byte
	k := strconv.AppendInt(digits[:0], int64(key), 10)
	d := l.dup.Load()
	if d == nil || d.key != string(k) {
		d = l.renderDuplicateKey(string(k))
	}
	l.writeDuplicateKey(thread, d)
}

// renderDuplicateKey renders the message of key (escaped, its lines ended
// in CRLF) and keeps it for the next entry: the message is a kilobyte,
// the same on every KB954960 fault.
func (l *ServerLog) renderDuplicateKey(key string) *duplicateKey {
	message := DuplicateKeyMessage(l.lang, string(appendEscaped(nil, key, MaxValueLen, false)))
	d := &duplicateKey{key: strings.Clone(key), rendered: appendMessage(nil, message)}
	l.dup.Store(d)
	return d
}

func (l *ServerLog) writeDuplicateKey(thread string, d *duplicateKey) {
	b := l.bufs.Get().(*[]byte)
	*b = l.appendHeader((*b)[:0], LevelError, thread, DuplicateKeySource)
	*b = append(*b, d.rendered...)
	*b = append(*b, serverNewline...)
	l.send(b)
}

// appendHeader appends the columns before the message of an entry
// logged now.
func (l *ServerLog) appendHeader(b []byte, level Level, thread, source string) []byte {
	t := l.now()
	st := l.stamp.Load()
	if ms := t.UnixMilli(); st == nil || st.ms != ms {
		st = &stamp{ms: ms, text: t.UTC().AppendFormat(nil, serverTimeLayout(l.lang))}
		l.stamp.Store(st)
	}
	return appendServerColumns(append(b, st.text...), level, thread, source)
}

// stamp is the date and time column of an entry, as written for the
// millisecond ms since the Unix epoch.
type stamp struct {
	ms   int64
	text []byte
}

// duplicateKey is the DuplicateKey message made for key, as written
// after the entry's columns.
type duplicateKey struct {
	key      string
	rendered []byte
}

// ThrowException writes the Warning line WSUS logs when it turns an error
// into a SOAP fault (docs/protocol-facts.md §2.5):
//
//	ThrowException: actor = <actor>, ID=<id>, ErrorCode=<errorCode>, Message=<message>, Client=<client>
//
// actor is the endpoint URL the request came in on, id the fault's GUID
// (also sent to the client in the fault detail). An empty client prints
// as "?", as in the advisory. The text is WSUS's own and therefore the
// same in both languages.
func (l *ServerLog) ThrowException(thread, actor, id, errorCode, message, client string) {
	l.log(LevelWarning, thread, ThrowExceptionSource,
		"ThrowException: actor = ", actor, ", ID=", id, ", ErrorCode=", errorCode,
		", Message=", message, ", Client=", orUnknown(client))
}

// Close stops accepting entries, writes everything logged before it was
// called, and returns the first error the underlying writer reported.
// It may be called more than once.
func (l *ServerLog) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.room.Broadcast() // callers waiting for room give up
		l.mu.Unlock()
		close(l.closing)
	})
	<-l.done
	return l.err
}

// Sync waits until every entry logged before the call is written to the
// underlying writer, and returns the first write error so far. Tests
// call it to read a log that is complete up to a reply they hold.
func (l *ServerLog) Sync() error {
	ack := make(chan error, 1)
	select {
	case l.syncs <- ack:
		return <-ack
	case <-l.done:
		return l.err
	}
}

// send queues the entry in b, waiting while the queue is full, and wakes
// the writer if it is idle or the queue has grown large. b goes back to
// the pool.
func (l *ServerLog) send(b *[]byte) {
	l.mu.Lock()
	for !l.closed && len(l.queue) > 0 && len(l.queue)+len(*b) > maxQueued {
		l.room.Wait()
	}
	if !l.closed {
		l.queue = append(l.queue, *b...)
		l.ends = append(l.ends, len(l.queue))
		if !l.woken && (l.idle || len(l.queue) >= wakeQueued) {
			l.woken, l.idle = true, false
			select {
			case l.wake <- struct{}{}:
			default:
			}
		}
	}
	l.mu.Unlock()
	if cap(*b) <= maxPooledBuffer {
		l.bufs.Put(b)
	}
}

// run is the writer goroutine. Woken from idle, it writes what is queued
// at once and then waits FlushInterval before it looks again; it goes
// idle only after an interval in which nothing was logged.
func (l *ServerLog) run() {
	defer close(l.done)
	// queue and ends are the writer's buffers, swapped with the
	// callers' so that neither side allocates once both have grown.
	var queue []byte
	var ends []int
	write := func(goIdle bool) bool {
		l.mu.Lock()
		queue, l.queue = l.queue, queue[:0]
		ends, l.ends = l.ends, ends[:0]
		l.woken = false
		if len(queue) == 0 && goIdle {
			l.idle = true
		}
		l.room.Broadcast()
		l.mu.Unlock()
		l.writeEntries(queue, ends)
		return len(queue) > 0
	}
	// The writer is either ticking or idle (with nothing queued, so
	// that the next entry wakes it); step keeps it so after a write.
	tick := time.NewTimer(FlushInterval)
	tick.Stop()
	ticking := false
	step := func() {
		if write(!ticking) {
			if !ticking {
				tick.Reset(FlushInterval)
				ticking = true
			}
		}
	}
	for {
		var ticks <-chan time.Time
		if ticking {
			ticks = tick.C
		}
		select {
		case <-l.wake:
			step()
		case <-ticks:
			ticking = false
			step()
		case ack := <-l.syncs:
			// Entries logged before Sync was called are queued already.
			step()
			ack <- l.err
		case <-l.closing:
			// Everything logged before Close was called is queued, and
			// nothing is queued after it.
			write(false)
			return
		}
	}
}

// writeEntries writes queue, whose entries end at ends, in writes of at
// most maxWrite bytes that each hold whole entries. After a write error
// it writes nothing more.
func (l *ServerLog) writeEntries(queue []byte, ends []int) {
	start, cut := 0, 0 // queue[start:cut] is the next write
	for _, end := range ends {
		if end-start > maxWrite && cut > start {
			l.writeOnce(queue[start:cut])
			start = cut
		}
		cut = end
	}
	if cut > start {
		l.writeOnce(queue[start:cut])
	}
}

func (l *ServerLog) writeOnce(p []byte) {
	if l.err == nil {
		_, l.err = l.w.Write(p)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// serverTimeLayout returns the timestamp layout of lang. Go accepts a
// comma as the fractional-second separator in layouts.
func serverTimeLayout(lang Lang) string {
	if lang == LangDutch {
		return "2006-01-02 15:04:05,000"
	}
	return "2006-01-02 15:04:05.000"
}

// appendServerEntry appends one entry without its final line ending.
func appendServerEntry(b []byte, lang Lang, t time.Time, level Level, thread, source, message string) []byte {
	return appendMessage(appendServerHeader(b, lang, t, level, thread, source), message)
}

// appendServerHeader appends the columns before the message.
func appendServerHeader(b []byte, lang Lang, t time.Time, level Level, thread, source string) []byte {
	return appendServerColumns(t.UTC().AppendFormat(b, serverTimeLayout(lang)), level, thread, source)
}

// appendServerColumns appends the columns after the date and time.
func appendServerColumns(b []byte, level Level, thread, source string) []byte {
	b = append(b, " UTC "...)
	b = append(b, level...)
	b = append(b, '\t')
	b = appendEscaped(b, thread, MaxValueLen, false)
	b = append(b, '\t')
	b = appendEscaped(b, source, MaxValueLen, false)
	return append(b, '\t')
}

// appendMessage appends message text; continuation lines end in CRLF
// whatever the caller used, and each line is escaped and cut at
// MaxTextLen.
func appendMessage(b []byte, message string) []byte {
	for {
		i := strings.IndexByte(message, '\n')
		if i < 0 {
			return appendEscaped(b, message, MaxTextLen, true)
		}
		b = appendEscaped(b, strings.TrimSuffix(message[:i], "\r"), MaxTextLen, true)
		b = append(b, serverNewline...)
		message = message[i+1:]
	}
}
