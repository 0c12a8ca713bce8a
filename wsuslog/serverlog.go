package wsuslog

import (
	"bufio"
	"io"
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
// The methods are safe for concurrent use and cheap for the caller: an
// entry is formatted into a pooled buffer on the calling goroutine and
// passed to a single writer goroutine that owns a bufio.Writer and
// flushes whenever it runs out of work. Each write to w holds whole
// entries, so w may be a writer that rotates files between writes. When the writer falls behind,
// callers block; no entry is ever dropped. Entries logged after Close
// has been called are discarded.
type ServerLog struct {
	lang    Lang
	now     func() time.Time
	entries chan *[]byte
	syncs   chan chan error // Sync requests; the writer answers each once
	closing chan struct{}   // closed by Close; tells the writer to drain and stop
	done    chan struct{}   // closed by the writer goroutine when it has stopped
	once    sync.Once       // guards close(closing)
	bufs    sync.Pool       // of *[]byte, formatting buffers handed to the writer and back
	// dup is the last DuplicateKey message: the key is 8862 on every
	// KB954960 fault, and its stack is the same.
	dup atomic.Pointer[duplicateKey]

	// err is the first write or flush error; only the writer goroutine
	// writes it, and Close reads it after done is closed.
	err error
}

// maxPooledBuffer keeps one oversized message from pinning a large buffer.
const maxPooledBuffer = 16 << 10

// NewServerLog starts a ServerLog that writes to w, rendering texts and
// timestamps in lang and taking the time of each entry from now (pass
// time.Now, or a fixed clock in tests; the time is printed in UTC). The
// caller keeps ownership of w: Close flushes it but does not close it.
// A nil now means time.Now.
func NewServerLog(w io.Writer, lang Lang, now func() time.Time) *ServerLog {
	if now == nil {
		now = time.Now
	}
	l := &ServerLog{
		lang:    lang,
		now:     now,
		entries: make(chan *[]byte, 1024),
		syncs:   make(chan chan error),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	l.bufs.New = func() any {
		b := make([]byte, 0, 512)
		return &b
	}
	go l.run(bufio.NewWriterSize(w, 32<<10))
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
	*b = appendServerHeader((*b)[:0], l.lang, l.now(), level, thread, source)
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
		d = &duplicateKey{key: strings.Clone(key),
			message: DuplicateKeyMessage(l.lang, string(appendEscaped(nil, key, MaxValueLen, false)))}
		l.dup.Store(d)
	}
	l.Log(LevelError, thread, DuplicateKeySource, d.message)
}

// duplicateKey is a DuplicateKey message made for key.
type duplicateKey struct{ key, message string }

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

// Close stops accepting entries, writes and flushes everything logged
// before it was called, and returns the first error the underlying
// writer reported. It may be called more than once.
func (l *ServerLog) Close() error {
	l.once.Do(func() { close(l.closing) })
	<-l.done
	return l.err
}

// Sync waits until every entry logged before the call is written to the
// underlying writer and flushed, and returns the first write error so
// far. Tests call it to read a log that is complete up to a reply they
// hold.
func (l *ServerLog) Sync() error {
	ack := make(chan error, 1)
	select {
	case l.syncs <- ack:
		return <-ack
	case <-l.done:
		return l.err
	}
}

// send hands b to the writer goroutine, blocking while its queue is full.
func (l *ServerLog) send(b *[]byte) {
	select {
	case <-l.closing:
		l.put(b)
		return
	default:
	}
	select {
	case l.entries <- b:
	case <-l.closing:
		l.put(b)
	}
}

func (l *ServerLog) put(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		l.bufs.Put(b)
	}
}

// run is the writer goroutine. It flushes whenever the queue is empty,
// so a reader tailing the file sees entries promptly while a burst of
// entries still costs one write system call per buffer-full.
func (l *ServerLog) run(bw *bufio.Writer) {
	defer close(l.done)
	write := func(b *[]byte) {
		// An entry that does not fit what is left of the buffer goes
		// out after a flush, so every write to the underlying writer
		// holds whole entries: a writer that rotates files between
		// writes never splits one.
		if l.err == nil && len(*b) > bw.Available() && bw.Buffered() > 0 {
			l.err = bw.Flush()
		}
		if l.err == nil {
			_, l.err = bw.Write(*b)
		}
		l.put(b)
	}
	flush := func() {
		if l.err == nil {
			l.err = bw.Flush()
		}
	}
	for {
		select {
		case b := <-l.entries:
			write(b)
			continue
		default:
		}
		flush()
		select {
		case b := <-l.entries:
			write(b)
		case ack := <-l.syncs:
			// Entries logged before Sync was called are queued already.
			for drained := false; !drained; {
				select {
				case b := <-l.entries:
					write(b)
				default:
					drained = true
				}
			}
			flush()
			ack <- l.err
		case <-l.closing:
			// Everything sent before Close was called is in the queue.
			for {
				select {
				case b := <-l.entries:
					write(b)
				default:
					flush()
					return
				}
			}
		}
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
	b = t.UTC().AppendFormat(b, serverTimeLayout(lang))
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
