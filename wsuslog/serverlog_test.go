package wsuslog_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// The advisory's server clock reading for the failing SyncUpdates.
var serverTime = time.Date(2008, 6, 14, 2, 59, 57, 642*int(time.Millisecond), time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// The Dutch advisory's SoftwareDistribution.log excerpt, verbatim apart
// from the "<regels verwijderd>" (lines removed) marker.
var advisoryServerLines = []string{
	`2008-06-14 02:59:57,642 UTC Error  w3wp.12       ClientImplementation.SyncUpdates       System.ArgumentException: Het item is reeds toegevoegd. Sleutel in woordenboek: Sleutel "8862" wordt toegevoegd: "8862"`,
	`at System.Collections.Hashtable.Insert(Object key, Object value, Boolean add)`,
	`at System.Collections.Hashtable.Add(Object key, Object value)`,
	`at Microsoft.UpdateServices.Internal.ClientImplementation.GetSyncInfo(DataAccess dataAccess, Hashtable stateTable, Hashtable deploymentTable, Boolean haveGroupsChanged, Boolean doChunking)`,
	`at Microsoft.UpdateServices.Internal.ClientImplementation.SoftwareSync(DataAccess dataAccess, UnencryptedCookieData cookieData, Int32[] installedNonLeafUpdateIds, Int32[] leafUpdateIds, Boolean haveGroupsChanged, Boolean expressQuery)`,
	`at Microsoft.UpdateServices.Internal.ClientImplementation.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)`,
	`at Microsoft.UpdateServices.Internal.ClientImplementation.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)`,
	`at Microsoft.UpdateServices.Internal.Client.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)`,
	`2008-06-14 02:59:57,642 UTC Warning       w3wp.12       SoapUtilities.CreateException     ThrowException: actor = http://wsusebc/ClientWebService/client.asmx, ID=c0a7445f-b989-43fa-ac20-11f8ca65fa8c, ErrorCode=InternalServerError, Message=, Client=?`,
}

// normalize collapses runs of whitespace, as copies on web pages do.
func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

// logAdvisoryFailure logs what the advisory's server logged.
func logAdvisoryFailure(l *wsuslog.ServerLog) {
	l.DuplicateKey("w3wp.12", "8862")
	l.ThrowException("w3wp.12", "http://wsusebc/ClientWebService/client.asmx",
		"c0a7445f-b989-43fa-ac20-11f8ca65fa8c", "InternalServerError", "", "")
}

func TestServerLogDutchMatchesAdvisory(t *testing.T) {
	var buf bytes.Buffer
	l := wsuslog.NewServerLog(&buf, wsuslog.LangDutch, fixedClock(serverTime))
	logAdvisoryFailure(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	got := strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n")
	if len(got) != len(advisoryServerLines) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(advisoryServerLines), buf.String())
	}
	for i, want := range advisoryServerLines {
		if normalize(got[i]) != normalize(want) {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, normalize(got[i]), normalize(want))
		}
	}
}

func TestServerLogEnglish(t *testing.T) {
	var buf bytes.Buffer
	l := wsuslog.NewServerLog(&buf, wsuslog.LangEnglish, fixedClock(serverTime))
	l.Request("w3wp.12", "SyncUpdates", "5b3f7a2e-1c44-4d3b-9a59-0e1f2a3b4c5d")
	logAdvisoryFailure(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	want := "2008-06-14 02:59:57.642 UTC Info\tw3wp.12\tClientImplementation.SyncUpdates\tSyncUpdates request, Client=5b3f7a2e-1c44-4d3b-9a59-0e1f2a3b4c5d\r\n" +
		"2008-06-14 02:59:57.642 UTC Error\tw3wp.12\tClientImplementation.SyncUpdates\tSystem.ArgumentException: Item has already been added. Key in dictionary: '8862'  Key being added: '8862'\r\n" +
		"   at System.Collections.Hashtable.Insert(Object key, Object nvalue, Boolean add)\r\n" +
		"   at System.Collections.Hashtable.Add(Object key, Object value)\r\n" +
		"   at Microsoft.UpdateServices.Internal.ClientImplementation.GetSyncInfo(DataAccess dataAccess, Hashtable stateTable, Hashtable deploymentTable, Boolean haveGroupsChanged, Boolean doChunking)\r\n" +
		"   at Microsoft.UpdateServices.Internal.ClientImplementation.SoftwareSync(DataAccess dataAccess, UnencryptedCookieData cookieData, Int32[] installedNonLeafUpdateIds, Int32[] leafUpdateIds, Boolean haveGroupsChanged, Boolean expressQuery)\r\n" +
		"   at Microsoft.UpdateServices.Internal.ClientImplementation.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)\r\n" +
		"   at Microsoft.UpdateServices.Internal.ClientImplementation.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)\r\n" +
		"   at Microsoft.UpdateServices.Internal.Client.SyncUpdates(Cookie cookie, SyncUpdateParameters parameters)\r\n" +
		"2008-06-14 02:59:57.642 UTC Warning\tw3wp.12\tSoapUtilities.CreateException\tThrowException: actor = http://wsusebc/ClientWebService/client.asmx, ID=c0a7445f-b989-43fa-ac20-11f8ca65fa8c, ErrorCode=InternalServerError, Message=, Client=?\r\n"
	if got := buf.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestServerLogRequestSource(t *testing.T) {
	tests := []struct {
		operation, clientID string
		want                string
	}{
		{"SyncUpdates", "c1", "ClientImplementation.SyncUpdates\tSyncUpdates request, Client=c1"},
		{"GetCookie", "", "ClientImplementation.GetCookie\tGetCookie request, Client=?"},
		{"SimpleAuthImplementation.GetAuthorizationCookie", "c2", "SimpleAuthImplementation.GetAuthorizationCookie\tGetAuthorizationCookie request, Client=c2"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		l := wsuslog.NewServerLog(&buf, wsuslog.LangEnglish, fixedClock(serverTime))
		l.Request("w3wp.7", tt.operation, tt.clientID)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if want := "UTC Info\tw3wp.7\t" + tt.want + "\r\n"; !strings.HasSuffix(buf.String(), want) {
			t.Errorf("Request(%q, %q) wrote %q, want suffix %q", tt.operation, tt.clientID, buf.String(), want)
		}
	}
}

// TestServerLogConcurrent logs from many goroutines at once and checks
// that every entry arrives whole: nothing missing, nothing duplicated,
// and no stack trace interleaved with another entry.
func TestServerLogConcurrent(t *testing.T) {
	const goroutines, perGoroutine = 32, 300
	out := &slowWriter{}
	l := wsuslog.NewServerLog(out, wsuslog.LangEnglish, time.Now)

	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			thread := fmt.Sprintf("w3wp.%d", g)
			for i := range perGoroutine {
				if i%10 == 0 {
					l.DuplicateKey(thread, fmt.Sprintf("%d-%d", g, i))
				} else {
					l.Request(thread, "SyncUpdates", fmt.Sprintf("%d-%d", g, i))
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := wsuslog.OpenLog(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	framesWant := wsuslog.DuplicateKeyFrames(wsuslog.LangEnglish)
	frames := len(framesWant) // no entry open yet
	for r.Scan() {
		if f, ok := wsuslog.ParseFrameLine(r.Text()); ok {
			if frames >= len(framesWant) || f != framesWant[frames] {
				t.Fatalf("line %d: stray or misplaced frame %q", r.Line(), f)
			}
			frames++
			continue
		}
		if frames != len(framesWant) {
			t.Fatalf("line %d: stack trace cut after %d frames by %q", r.Line(), frames, r.Text())
		}
		e, ok := wsuslog.ParseServerLine(r.Text())
		if !ok {
			t.Fatalf("line %d: not an entry: %q", r.Line(), r.Text())
		}
		var id string
		switch e.Level {
		case wsuslog.LevelInfo:
			id = strings.TrimPrefix(e.Message, "SyncUpdates request, Client=")
		case wsuslog.LevelError:
			id, _, _ = strings.Cut(strings.TrimPrefix(e.Message, "System.ArgumentException: Item has already been added. Key in dictionary: '"), "'")
			frames = 0
		}
		if seen[id] {
			t.Fatalf("line %d: entry %s written twice", r.Line(), id)
		}
		seen[id] = true
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if frames != len(framesWant) {
		t.Errorf("last stack trace has %d frames", frames)
	}
	if len(seen) != goroutines*perGoroutine {
		t.Errorf("got %d entries, want %d", len(seen), goroutines*perGoroutine)
	}
}

// slowWriter is a writer slow enough to fill ServerLog's queue, so that
// callers have to wait for it.
type slowWriter struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(200 * time.Microsecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *slowWriter) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

// TestServerLogFlushesWhenIdle checks that an entry reaches the file
// without Close, so a tester tailing SoftwareDistribution.log sees it.
func TestServerLogFlushesWhenIdle(t *testing.T) {
	out := &slowWriter{}
	l := wsuslog.NewServerLog(out, wsuslog.LangEnglish, fixedClock(serverTime))
	defer l.Close()
	l.Request("w3wp.12", "GetConfig", "c1")
	deadline := time.Now().Add(5 * time.Second)
	for !bytes.Contains(out.Bytes(), []byte("GetConfig request")) {
		if time.Now().After(deadline) {
			t.Fatal("entry not flushed while the log was idle")
		}
		time.Sleep(time.Millisecond)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write(p []byte) (int, error) { return 0, w.err }

func TestServerLogCloseReportsWriteError(t *testing.T) {
	diskFull := errors.New("disk full")
	l := wsuslog.NewServerLog(failingWriter{diskFull}, wsuslog.LangEnglish, time.Now)
	for range 5000 { // more than the queue holds: callers must not block forever
		l.Request("w3wp.1", "SyncUpdates", "c")
	}
	if err := l.Close(); !errors.Is(err, diskFull) {
		t.Errorf("Close() = %v, want %v", err, diskFull)
	}
	if err := l.Close(); !errors.Is(err, diskFull) {
		t.Errorf("second Close() = %v, want %v", err, diskFull)
	}
	l.Request("w3wp.1", "SyncUpdates", "after close") // discarded, must not panic or block
}

func TestParseServerLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want wsuslog.ServerEntry
		ok   bool
	}{
		{
			name: "tabs as ServerLog writes them",
			line: "2008-06-14 02:59:57.642 UTC Warning\tw3wp.12\tSoapUtilities.CreateException\tThrowException: actor = x, ID=y",
			want: wsuslog.ServerEntry{Time: serverTime, Level: wsuslog.LevelWarning, Thread: "w3wp.12", Source: "SoapUtilities.CreateException", Message: "ThrowException: actor = x, ID=y"},
			ok:   true,
		},
		{
			name: "advisory copy with collapsed columns and a comma",
			line: advisoryServerLines[0],
			want: wsuslog.ServerEntry{Time: serverTime, Level: wsuslog.LevelError, Thread: "w3wp.12", Source: "ClientImplementation.SyncUpdates", Message: `System.ArgumentException: Het item is reeds toegevoegd. Sleutel in woordenboek: Sleutel "8862" wordt toegevoegd: "8862"`},
			ok:   true,
		},
		{
			name: "protocol facts example, all tabs, CRLF left on",
			line: "2014-01-16 18:53:54.231 UTC\tChange\tw3wp.58\tAdminDataAccess.StartSubscriptionManually\tSynchronization manually started\r",
			want: wsuslog.ServerEntry{Time: time.Date(2014, 1, 16, 18, 53, 54, 231e6, time.UTC), Level: wsuslog.LevelChange, Thread: "w3wp.58", Source: "AdminDataAccess.StartSubscriptionManually", Message: "Synchronization manually started"},
			ok:   true,
		},
		{name: "stack frame", line: "   at System.Collections.Hashtable.Add(Object key, Object value)"},
		{name: "unknown level", line: "2008-06-14 02:59:57.642 UTC Debug\tw3wp.12\tX.Y\tz"},
		{name: "client line", line: "2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING: x"},
		{name: "empty", line: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := wsuslog.ParseServerLine(tt.line)
			if ok != tt.ok || ok && (!got.Time.Equal(tt.want.Time) || got.Level != tt.want.Level || got.Thread != tt.want.Thread || got.Source != tt.want.Source || got.Message != tt.want.Message) {
				t.Errorf("ParseServerLine(%q) =\n %+v, %v\nwant\n %+v, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestServerEntryRoundTrip(t *testing.T) {
	for _, lang := range []wsuslog.Lang{wsuslog.LangEnglish, wsuslog.LangDutch} {
		e := wsuslog.ServerEntry{Time: serverTime, Level: wsuslog.LevelInfo, Thread: "WsusService.15", Source: "EventLogEventReporter.ReportEvent", Message: "EventId=382,Type=Information"}
		got, ok := wsuslog.ParseServerLine(e.Format(lang))
		if !ok || got != e {
			t.Errorf("%s: ParseServerLine(%q) = %+v, %v; want %+v", lang, e.Format(lang), got, ok, e)
		}
	}
}

func TestParseFrameLine(t *testing.T) {
	tests := []struct {
		line, want string
		ok         bool
	}{
		{"   at System.Collections.Hashtable.Add(Object key, Object value)", "System.Collections.Hashtable.Add(Object key, Object value)", true},
		{"at X.Y()\r", "X.Y()", true},
		{"   bij X.Y()", "X.Y()", true},
		{"2008-06-14 02:59:57.642 UTC Info\tw3wp.1\tX.Y\tat large", "", false},
		{"   <regels verwijderd>", "", false},
	}
	for _, tt := range tests {
		if got, ok := wsuslog.ParseFrameLine(tt.line); got != tt.want || ok != tt.ok {
			t.Errorf("ParseFrameLine(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func BenchmarkServerLogRequest(b *testing.B) {
	l := wsuslog.NewServerLog(discard{}, wsuslog.LangEnglish, time.Now)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Request("w3wp.12", "SyncUpdates", "5b3f7a2e-1c44-4d3b-9a59-0e1f2a3b4c5d")
		}
	})
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Sync makes everything logged before it visible in the underlying writer,
// without closing the log.
func TestServerLogSync(t *testing.T) {
	var buf syncedBuffer
	l := wsuslog.NewServerLog(&buf, wsuslog.LangEnglish, nil)
	defer l.Close()
	for i := range 100 {
		l.Request("w3wp.1", "SyncUpdates", strconv.Itoa(i))
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), " request, Client="); got != 100 {
		t.Fatalf("after Sync the writer holds %d of 100 lines", got)
	}
	l.Request("w3wp.1", "GetConfig", "")
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "GetConfig request, Client=?") {
		t.Fatal("a line logged after the first Sync is missing after the second")
	}
}

// syncedBuffer lets a test read what the writer goroutine has written.
type syncedBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// writeRecorder keeps each Write call's bytes.
type writeRecorder struct{ writes [][]byte }

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

// Every write to the underlying writer holds whole entries, however the
// entries fall against the buffer, so a rotating writer never splits an
// entry between two files.
func TestServerLogWritesWholeEntries(t *testing.T) {
	var w writeRecorder
	l := wsuslog.NewServerLog(&w, wsuslog.LangEnglish, fixedClock(serverTime))
	for i := range 400 {
		l.Log(wsuslog.LevelInfo, "w3wp.1", "Test.Run", strings.Repeat("x", i*7%700))
		if i%50 == 0 {
			l.DuplicateKey("w3wp.2", strconv.Itoa(i)) // a multi-line entry
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if len(w.writes) < 3 {
		t.Fatalf("%d writes; the entries did not overflow the buffer", len(w.writes))
	}
	for i, p := range w.writes {
		if !bytes.HasPrefix(p, []byte("2008-06-14 ")) || !bytes.HasSuffix(p, []byte("\r\n")) {
			t.Errorf("write %d of %d does not hold whole entries: %q … %q", i+1, len(w.writes), p[:min(40, len(p))], p[max(0, len(p)-40):])
		}
	}
}

// waitFor polls until have says the writer holds what a test logged; a
// tester tailing SoftwareDistribution.log expects a line within a second.
func waitFor(t *testing.T, what string, have func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); !have(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not written within a second", what)
		}
	}
}

// An entry of a busy server reaches the file while entries keep coming,
// not only once they stop.
func TestServerLogWritesWhileBusy(t *testing.T) {
	var buf syncedBuffer
	l := wsuslog.NewServerLog(&buf, wsuslog.LangEnglish, nil)
	defer l.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				l.Request("w3wp.1", "GetConfig", "busy")
				time.Sleep(50 * time.Microsecond)
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()
	for i := range 5 {
		marker := fmt.Sprintf("marker-%d", i)
		l.Request("w3wp.2", "SyncUpdates", marker)
		waitFor(t, marker, func() bool { return strings.Contains(buf.String(), marker) })
	}
}

// Sync and Close write the entry logged just before them, whether the
// writer was idle or in the middle of a burst; and after a Sync the next
// entry is written without another Sync.
func TestServerLogSyncAndCloseWriteTheLastEntry(t *testing.T) {
	var buf syncedBuffer
	l := wsuslog.NewServerLog(&buf, wsuslog.LangEnglish, fixedClock(serverTime))
	has := func(id string) bool { return strings.Contains(buf.String(), "Client="+id+"\r\n") }
	for i := range 20 {
		if i%2 == 1 {
			// A quiet spell lets the writer go idle.
			time.Sleep(3 * wsuslog.FlushInterval)
		}
		// A burst leaves the writer waiting to write what comes next.
		for j := range i % 4 * 50 {
			l.Request("w3wp.1", "GetConfig", fmt.Sprintf("burst-%d-%d", i, j))
		}
		synced := fmt.Sprintf("synced-%d", i)
		l.Request("w3wp.1", "SyncUpdates", synced)
		if err := l.Sync(); err != nil {
			t.Fatal(err)
		}
		if !has(synced) {
			t.Fatalf("%s, logged before Sync, is not written after it", synced)
		}
		if i%4 == 1 {
			time.Sleep(3 * wsuslog.FlushInterval)
		}
		later := fmt.Sprintf("later-%d", i)
		l.Request("w3wp.1", "SyncUpdates", later)
		waitFor(t, later+", logged after Sync", func() bool { return has(later) })
	}
	l.DuplicateKey("w3wp.1", "8862")
	l.Request("w3wp.1", "SyncUpdates", "last")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasSuffix(out, "Key being added: '8862'\r\n"+
		"   at "+strings.Join(wsuslog.DuplicateKeyFrames(wsuslog.LangEnglish), "\r\n   at ")+"\r\n"+
		"2008-06-14 02:59:57.642 UTC Info\tw3wp.1\tClientImplementation.SyncUpdates\tSyncUpdates request, Client=last\r\n") {
		t.Errorf("the entries logged just before Close are not the end of the log:\n%s", out[max(0, len(out)-600):])
	}
}

// A DuplicateKey entry names the key it is given, whichever key the one
// before named; DuplicateRevision writes the same entry for an ID.
func TestServerLogDuplicateKeyFollowsTheKey(t *testing.T) {
	var buf bytes.Buffer
	l := wsuslog.NewServerLog(&buf, wsuslog.LangEnglish, fixedClock(serverTime))
	l.DuplicateKey("w3wp.1", "8862")
	l.DuplicateRevision("w3wp.1", 8862)
	l.DuplicateKey("w3wp.1", "9001")
	l.DuplicateRevision("w3wp.1", 8862)
	l.DuplicateKey("w3wp.1", "a\tb")
	l.DuplicateRevision("w3wp.1", -7)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(buf.String(), "\r\n") {
		if e, ok := wsuslog.ParseServerLine(line); ok {
			_, k, _ := strings.Cut(e.Message, "Key being added: '")
			got = append(got, strings.TrimSuffix(k, "'"))
		}
	}
	want := []string{"8862", "8862", "9001", "8862", `a\tb`, "-7"}
	if !slices.Equal(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
	entries := strings.Split(buf.String(), "2008-06-14 ")
	if entries[1] != entries[2] {
		t.Errorf("DuplicateRevision(8862) wrote\n%q\nDuplicateKey(\"8862\") wrote\n%q", entries[2], entries[1])
	}
}

// Each entry carries its own time, to the millisecond, however close the
// entries fall and whichever way the clock moves.
func TestServerLogTimesFollowTheClock(t *testing.T) {
	times := []time.Time{
		serverTime,
		serverTime.Add(400 * time.Microsecond), // the same millisecond
		serverTime.Add(time.Millisecond),
		serverTime.Add(-time.Hour), // the clock set back
		serverTime.Add(-time.Hour),
		serverTime.Add(24 * time.Hour),
	}
	next := 0
	clock := func() time.Time { next++; return times[next-1] }
	var buf bytes.Buffer
	l := wsuslog.NewServerLog(&buf, wsuslog.LangEnglish, clock)
	for i := range times {
		if i%2 == 0 {
			l.Request("w3wp.1", "GetConfig", "c")
		} else {
			l.DuplicateKey("w3wp.1", "8862")
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var got []time.Time
	for _, line := range strings.Split(buf.String(), "\r\n") {
		if e, ok := wsuslog.ParseServerLine(line); ok {
			got = append(got, e.Time)
		}
	}
	if len(got) != len(times) {
		t.Fatalf("%d entries, want %d", len(got), len(times))
	}
	for i, want := range times {
		if want = want.Truncate(time.Millisecond); !got[i].Equal(want) {
			t.Errorf("entry %d at %s, want %s", i+1, got[i].Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
		}
	}
}
