package wsuslog_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// utf16LE encodes s as Notepad saves "Unicode": a BOM, then UTF-16LE.
func utf16LE(s string) []byte {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// utf16BE is utf16LE in big-endian order.
func utf16BE(s string) []byte {
	b := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func TestOpenLog(t *testing.T) {
	const clientLog = "2008-06-13\t19:59:53:383\t788\tee4\tPT\t+++++++++++  PT: Synchronizing server updates  +++++++++++\r\n" +
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING:     faultstring:Er is een fout opgetreden\r\n"
	wantClient := []string{
		"2008-06-13\t19:59:53:383\t788\tee4\tPT\t+++++++++++  PT: Synchronizing server updates  +++++++++++",
		"2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING:     faultstring:Er is een fout opgetreden",
	}
	tests := []struct {
		name  string
		input []byte
		enc   wsuslog.Encoding
		want  []string
	}{
		{"UTF-16LE with BOM and CRLF", utf16LE(clientLog), wsuslog.EncodingUTF16LE, wantClient},
		{"UTF-16LE without BOM", utf16LE(clientLog)[2:], wsuslog.EncodingUTF16LE, wantClient},
		{"UTF-16BE with BOM", utf16BE("a\r\nb"), wsuslog.EncodingUTF16BE, []string{"a", "b"}},
		{"UTF-8 with BOM", append([]byte("\xEF\xBB\xBF"), "Sleutel \"8862\" — geïnstalleerd\r\nx\r\n"...), wsuslog.EncodingUTF8BOM, []string{`Sleutel "8862" — geïnstalleerd`, "x"}},
		{"UTF-8 without BOM, LF", []byte("geïnstalleerd\nx"), wsuslog.EncodingUTF8, []string{"geïnstalleerd", "x"}},
		// 0xEF is ï in Windows-1252 and not valid UTF-8 here.
		{"ANSI with a non-ASCII byte", []byte("Office 2003 ge\xEFnstalleerd\r\n\r\nend"), wsuslog.EncodingWindows1252, []string{"Office 2003 geïnstalleerd", "", "end"}},
		{"empty", nil, wsuslog.EncodingUTF8, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := wsuslog.OpenLog(bytes.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if r.Encoding() != tt.enc {
				t.Errorf("Encoding() = %s, want %s", r.Encoding(), tt.enc)
			}
			var got []string
			for r.Scan() {
				if r.Line() != len(got)+1 {
					t.Errorf("Line() = %d, want %d", r.Line(), len(got)+1)
				}
				got = append(got, r.Text())
			}
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") || len(got) != len(tt.want) {
				t.Errorf("lines = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOpenLogLateANSIByte covers an ANSI file whose first non-ASCII byte
// lies beyond the part OpenLog inspects.
func TestOpenLogLateANSIByte(t *testing.T) {
	input := strings.Repeat("2008-06-13\t19:59:53:383\t788\tee4\tMisc\tpadding line\r\n", 2000) + "caf\xE9\r\n"
	r, err := wsuslog.OpenLog(strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	var last string
	n := 0
	for r.Scan() {
		last, n = r.Text(), r.Line()
	}
	if last != "café" || n != 2001 {
		t.Errorf("last line %d = %q, want 2001 = %q", n, last, "café")
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestOpenLogReadError(t *testing.T) {
	broken := errors.New("device not ready")
	if _, err := wsuslog.OpenLog(errReader{broken}); !errors.Is(err, broken) {
		t.Errorf("OpenLog error = %v, want %v", err, broken)
	}
}

// TestOpenLogReadsServerLog reads back what ServerLog writes, in UTF-16
// as a tester might save it, and finds the KB954960 entry.
func TestOpenLogReadsServerLog(t *testing.T) {
	var buf bytes.Buffer
	l := wsuslog.NewServerLog(&buf, wsuslog.LangDutch, fixedClock(serverTime))
	logAdvisoryFailure(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := wsuslog.OpenLog(bytes.NewReader(utf16LE(buf.String())))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for r.Scan() {
		if e, ok := wsuslog.ParseServerLine(r.Text()); ok && e.Level == wsuslog.LevelError && strings.Contains(e.Message, `"8862"`) {
			found = r.Line() == 1
		}
	}
	if !found {
		t.Error("KB954960 entry not found on line 1")
	}
}
