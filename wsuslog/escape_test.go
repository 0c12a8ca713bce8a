package wsuslog_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// serverLines logs with log and returns the lines written, without their
// CRLF.
func serverLines(t *testing.T, log func(l *wsuslog.ServerLog)) []string {
	t.Helper()
	var buf bytes.Buffer
	l := wsuslog.NewServerLog(&buf, wsuslog.LangEnglish, fixedClock(serverTime))
	log(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n")
}

// A client that puts a line break and a whole forged entry into its
// client ID gets one Request line, with the break shown as an escape.
func TestServerLogClientValuesCannotForgeLines(t *testing.T) {
	forged := "x\r\n2008-06-14 02:59:57.642 UTC Error\tw3wp.9\tClientImplementation.SyncUpdates\tSystem.ArgumentException: Item has already been added. Key in dictionary: '8862'  Key being added: '8862'\n   at ClientImplementation.GetSyncInfo()"
	lines := serverLines(t, func(l *wsuslog.ServerLog) {
		l.Request("w3wp.12", "SyncUpdates", forged)
		l.ThrowException("w3wp.12", "http://a\nb/ClientWebService/client.asmx", "id", "InvalidCookie", "bad\x00\x1b[31m\u2028", forged)
	})
	if len(lines) != 2 {
		t.Fatalf("2 calls wrote %d lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for _, want := range []string{`Client=x\r\n2008-06-14`, `\tw3wp.9\t`, `'8862'\n   at ClientImplementation`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("request line lacks %q:\n%s", want, lines[0])
		}
	}
	for _, want := range []string{`actor = http://a\nb/`, `Message=bad\x00\x1b[31m\u2028, Client=x\r\n`} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("ThrowException line lacks %q:\n%s", want, lines[1])
		}
	}
	if strings.Count(lines[0], "\t") != 3 {
		t.Errorf("a tab in the client ID added a column: %q", lines[0])
	}
}

// A megabyte client ID is cut to MaxValueLen, and the line says so.
func TestServerLogCutsLongValues(t *testing.T) {
	long := strings.Repeat("A", 1<<20)
	lines := serverLines(t, func(l *wsuslog.ServerLog) {
		l.Request("w3wp.12", "GetCookie", long)
		l.Request("w3wp.12", "GetCookie", strings.Repeat("\n", 1<<20)) // escapes double it
	})
	for i, line := range lines {
		_, value, _ := strings.Cut(line, "Client=")
		if len(value) > wsuslog.MaxValueLen {
			t.Errorf("line %d: value of %d bytes, want at most %d", i+1, len(value), wsuslog.MaxValueLen)
		}
		if !strings.HasSuffix(value, " more bytes]") || !strings.Contains(value, "[truncated: ") {
			t.Errorf("line %d: no truncation marker at the end: …%s", i+1, value[max(0, len(value)-40):])
		}
	}
	if !strings.HasSuffix(lines[0], "[truncated: "+strconv.Itoa(1<<20-(wsuslog.MaxValueLen-len("[truncated: 1048576 more bytes]")))+" more bytes]") {
		t.Errorf("marker does not count the bytes left out: …%s", lines[0][len(lines[0])-40:])
	}
}

// A value that fits is written as it is, tabs and all, in the message
// column of a free-text entry.
func TestServerLogKeepsPlainValues(t *testing.T) {
	lines := serverLines(t, func(l *wsuslog.ServerLog) {
		l.Log(wsuslog.LevelInfo, "w3wp.1", "Setup.Run", `C:\Program Files\Update Services`+"\tdone é")
	})
	if want := "\tSetup.Run\tC:\\Program Files\\Update Services\tdone é"; !strings.HasSuffix(lines[0], want) {
		t.Errorf("got %q, want suffix %q", lines[0], want)
	}
}

// The simulated client quotes what the server sent; a fault string with
// line breaks still gives one WindowsUpdate.log line.
func TestClientEntryIsOneLine(t *testing.T) {
	e := wsuslog.Entry{
		Time: time.Date(2008, 6, 13, 19, 59, 56, 0, time.UTC), PID: 788, TID: 0xee4, Component: "PT",
		Text: "WARNING: SOAP Fault: 0x000190\r\n2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING: SyncUpdates failure, error = 0x8024400E" + strings.Repeat("x", 1<<20),
	}
	got := e.Format()
	if strings.ContainsAny(got, "\r\n") {
		t.Fatalf("entry spans lines: %q", got[:200])
	}
	if len(got) > 64+wsuslog.MaxTextLen || !strings.HasSuffix(got, " more bytes]") {
		t.Errorf("text of %d bytes, want it cut at %d with a marker", len(got), wsuslog.MaxTextLen)
	}
	if _, ok := wsuslog.ParseClientLine(got); !ok {
		t.Errorf("escaped entry no longer parses: %q", got[:200])
	}
}
