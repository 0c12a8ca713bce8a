package wsuslog_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// FuzzServerLogOneLine checks that whatever a client puts in the values
// of a Request or ThrowException call, each call writes exactly one
// line, of bounded length, that parses as the entry it is.
func FuzzServerLogOneLine(f *testing.F) {
	f.Add("w3wp.1", "SyncUpdates", "5b3f7a2e-1c44-4d3b-9a59-0e1f2a3b4c5d", "http://wsus01/ClientWebService/client.asmx", "")
	f.Add("w3wp.1\t", "A.B\r\nC", "x\n2008-06-14 02:59:57.642 UTC Error\tw3wp.9\tX.Y\tz", "http://a&b'x/", "m\u2028\x00\xff")
	f.Add("", "", strings.Repeat("\n", 3000), strings.Repeat("é", 900), "\x85\u0085")
	f.Fuzz(func(t *testing.T, thread, op, client, actor, message string) {
		var buf bytes.Buffer
		l := wsuslog.NewServerLog(&buf, wsuslog.LangEnglish, fixedClock(serverTime))
		l.Request(thread, op, client)
		l.ThrowException(thread, actor, "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", "InternalServerError", message, client)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if n := strings.Count(out, "\n"); n != 2 || strings.Count(out, "\r") != 2 || !strings.HasSuffix(out, "\r\n") {
			t.Fatalf("two calls wrote %d line endings: %q", n, out)
		}
		for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
			if len(line) > 128+8*wsuslog.MaxValueLen {
				t.Fatalf("a line of %d bytes", len(line))
			}
			if strings.ContainsRune(line, '\u2028') || strings.ContainsRune(line, '\u2029') || strings.ContainsRune(line, '\u0085') {
				t.Fatalf("a line separator went through: %q", line)
			}
			if thread != "" && strings.TrimSpace(op) != "" {
				if _, ok := wsuslog.ParseServerLine(line); !ok && !strings.ContainsAny(thread+op, " ") {
					t.Fatalf("line does not parse: %q", line)
				}
			}
		}
	})
}
