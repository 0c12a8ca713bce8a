package detect_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/wsusmock/wsusmock/detect"
	"github.com/wsusmock/wsusmock/fixtures"
)

// fixtureCase is what a fixture must give: the verdict, the kind, and
// the line numbers that carry the verdict (the first line of each fault
// and the lines naming its ErrorCode, Method and ID; for a recovery the
// sync banner and its success marker).
type fixtureCase struct {
	file     string
	verdict  detect.Verdict
	kind     detect.Kind
	encoding string
	keyLines []int
	faultIDs []string
	keys     []string
}

var fixtureCases = []fixtureCase{
	{"wu-en-affected.log", detect.VerdictAffected, detect.KindClient, "UTF-8", []int{27, 30, 32, 33}, []string{advisoryID}, nil},
	{"wu-nl-affected.log", detect.VerdictAffected, detect.KindClient, "UTF-8", []int{17, 20, 22, 23}, []string{advisoryID}, nil},
	{"wu-en-affected-utf16.log", detect.VerdictAffected, detect.KindClient, "UTF-16LE", []int{27, 30, 32, 33}, []string{utf16ID}, nil},
	{"wu-76-ws-affected.log", detect.VerdictAffected, detect.KindClient, "UTF-8", []int{20, 22, 23, 25}, []string{ws76ID}, nil},
	{"wu-en-recovered.log", detect.VerdictRecovered, detect.KindClient, "UTF-8", []int{27, 30, 32, 33, 65, 67}, []string{advisoryID}, nil},
	{"wu-en-clean.log", detect.VerdictClean, detect.KindClient, "UTF-8", []int{25, 27}, nil, nil},
	{"wu-en-clean-mentions-8024400e.log", detect.VerdictClean, detect.KindClient, "UTF-8", []int{29, 31}, nil, nil},
	{"wu-en-serverbusy.log", detect.VerdictOtherSOAPFault, detect.KindClient, "UTF-8", []int{17, 20, 22, 23}, []string{busyID}, nil},
	{"wu-en-getcookie-internalservererror.log", detect.VerdictOtherSOAPFault, detect.KindClient, "UTF-8", []int{17, 20, 22, 23}, []string{getCookieID}, nil},
	{"wu-en-invalidcookie.log", detect.VerdictOtherSOAPFault, detect.KindClient, "UTF-8", []int{17, 20, 22, 23}, []string{cookieID}, nil},
	{"sd-en-affected.log", detect.VerdictAffected, detect.KindServer, "UTF-8", []int{6, 9, 14}, []string{advisoryID}, []string{"8862"}},
	{"sd-nl-affected.log", detect.VerdictAffected, detect.KindServer, "UTF-8", []int{2, 5, 11}, []string{advisoryID}, []string{"8862"}},
	{"sd-en-clean.log", detect.VerdictClean, detect.KindServer, "UTF-8", nil, nil, nil},
	{"sd-en-invalidcookie.log", detect.VerdictOtherSOAPFault, detect.KindServer, "UTF-8", []int{2}, []string{cookieID}, nil},
	{"not-a-log.txt", detect.VerdictUnrecognised, detect.KindUnknown, "UTF-8", nil, nil, nil},
	{"README.md", detect.VerdictUnrecognised, detect.KindUnknown, "UTF-8", nil, nil, nil},
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fixtures.FS, path.Join("logs", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func analyze(t *testing.T, name string, b []byte) detect.Report {
	t.Helper()
	rep, err := detect.Analyze(name, bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Analyze(%s): %v", name, err)
	}
	return rep
}

func evidenceLines(r detect.Report) []int {
	var n []int
	for _, e := range r.Evidence {
		n = append(n, e.Line)
	}
	return n
}

func checkReport(t *testing.T, c fixtureCase, rep detect.Report) {
	t.Helper()
	if rep.Verdict != c.verdict || rep.Kind != c.kind {
		t.Errorf("verdict %s, kind %s; want %s, %s (summary: %s)", rep.Verdict, rep.Kind, c.verdict, c.kind, rep.Summary)
	}
	lines := evidenceLines(rep)
	for _, n := range c.keyLines {
		if !slices.Contains(lines, n) {
			t.Errorf("evidence lines %v lack line %d", lines, n)
		}
	}
	if len(c.keyLines) == 0 && len(lines) > 0 && c.verdict != detect.VerdictClean {
		t.Errorf("evidence %v, want none", lines)
	}
	if got := rep.FaultIDs(); !slices.Equal(got, c.faultIDs) {
		t.Errorf("fault IDs %v, want %v", got, c.faultIDs)
	}
	if !slices.Equal(rep.Keys, c.keys) {
		t.Errorf("keys %v, want %v", rep.Keys, c.keys)
	}
	for _, e := range rep.Evidence {
		if e.Line < 1 || e.Line > rep.Lines || e.Text == "" {
			t.Errorf("bad evidence %+v (file has %d lines)", e, rep.Lines)
		}
	}
}

func TestAnalyzeFixtures(t *testing.T) {
	entries, err := fs.ReadDir(fixtures.FS, "logs")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, c := range fixtureCases {
		listed[c.file] = true
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			t.Errorf("fixture %s has no case in fixtureCases", e.Name())
		}
	}
	for _, c := range fixtureCases {
		t.Run(c.file, func(t *testing.T) {
			rep := analyze(t, c.file, readFixture(t, c.file))
			if rep.Encoding != c.encoding {
				t.Errorf("encoding %s, want %s", rep.Encoding, c.encoding)
			}
			checkReport(t, c, rep)
		})
	}
}

// The README of the fixtures names every fixture with its verdict.
func TestFixturesREADME(t *testing.T) {
	readme := string(readFixture(t, "README.md"))
	for _, c := range fixtureCases {
		if c.file == "README.md" {
			continue
		}
		row := "| `" + c.file + "` |"
		i := strings.Index(readme, row)
		if i < 0 {
			t.Errorf("README.md does not list %s", c.file)
			continue
		}
		line := readme[i:]
		line = line[:strings.IndexByte(line, '\n')]
		if !strings.Contains(line, "`"+string(c.verdict)+"`") {
			t.Errorf("README.md row of %s does not say `%s`: %s", c.file, c.verdict, line)
		}
	}
}

// Every client and server fixture gives the same verdict and evidence
// lines however it is stored: the transformations are those that copies
// of these logs go through.
func TestAnalyzeEncodingsAndLayouts(t *testing.T) {
	toUTF16 := func(bom bool) func([]byte) []byte {
		return func(b []byte) []byte {
			p := unicode.IgnoreBOM
			if bom {
				p = unicode.UseBOM
			}
			out, err := unicode.UTF16(unicode.LittleEndian, p).NewEncoder().Bytes(b)
			if err != nil {
				panic(err)
			}
			return out
		}
	}
	transforms := map[string]func([]byte) []byte{
		"LF": func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) },
		"spaces": func(b []byte) []byte {
			return bytes.ReplaceAll(b, []byte("\t"), []byte(" "))
		},
		"padded":          func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\t"), []byte("   \t  ")) },
		"UTF-8 BOM":       func(b []byte) []byte { return append([]byte("\xEF\xBB\xBF"), b...) },
		"UTF-16LE":        toUTF16(true),
		"UTF-16LE no BOM": toUTF16(false),
		"ANSI": func(b []byte) []byte {
			// A Windows-1252 byte on the first line makes the file ANSI.
			return append([]byte("Caf\xe9 \r\n"), b...)
		},
	}
	for _, c := range fixtureCases {
		if c.kind == detect.KindUnknown || strings.HasSuffix(c.file, "utf16.log") {
			continue
		}
		orig := readFixture(t, c.file)
		for tname, tf := range transforms {
			t.Run(c.file+"/"+tname, func(t *testing.T) {
				want := c
				if tname == "ANSI" {
					want.keyLines = nil
					for _, n := range c.keyLines {
						want.keyLines = append(want.keyLines, n+1)
					}
				}
				checkReport(t, want, analyze(t, c.file, tf(orig)))
			})
		}
	}
}

// readErr fails after its data.
type readErr struct{ r io.Reader }

var errDisk = errors.New("disk on fire")

func (e readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, errDisk
	}
	return n, err
}

func TestAnalyzeReadError(t *testing.T) {
	_, err := detect.Analyze("x.log", readErr{strings.NewReader("2008-06-13\t19:59:56:617\t788\tee4\tPT\tx\r\n")})
	if !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "x.log") {
		t.Fatalf("err = %v, want one naming x.log and wrapping %v", err, errDisk)
	}
}

func TestAnalyzeGarbage(t *testing.T) {
	long := bytes.Repeat([]byte("A"), 2<<20)
	for name, in := range map[string][]byte{
		"empty":         nil,
		"blank lines":   []byte("\r\n\r\n\n"),
		"binary":        {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0xff, 0xfe, 0, 0, '\n', 0x90, 0x90},
		"NULs":          bytes.Repeat([]byte{0}, 1000),
		"odd UTF-16":    {0xFF, 0xFE, 'a', 0, 0xD8},
		"one huge line": long,
		"frames only":   []byte("   at System.Collections.Hashtable.Add(Object key, Object value)\r\n"),
		"prose":         []byte("SyncUpdates failure, error = 0x8024400E\nErrorCode:InternalServerError\n"),
	} {
		t.Run(name, func(t *testing.T) {
			rep, err := detect.Analyze(name, bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verdict != detect.VerdictUnrecognised || rep.Kind != detect.KindUnknown {
				t.Errorf("verdict %s kind %s, want unrecognised", rep.Verdict, rep.Kind)
			}
		})
	}
}

// A huge line after a fault does not lose the fault.
func TestAnalyzeHugeLineAfterFault(t *testing.T) {
	b := append(readFixture(t, "wu-en-affected.log"), bytes.Repeat([]byte("x"), 2<<20)...)
	rep := analyze(t, "big", b)
	if rep.Verdict != detect.VerdictAffected || len(rep.Notes) == 0 {
		t.Errorf("verdict %s notes %q; want affected with a note on the long line", rep.Verdict, rep.Notes)
	}
}

// windows1252 encodes s as an ANSI log would be.
func windows1252(s string) []byte {
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}

func TestAnalyzeANSIText(t *testing.T) {
	c := "2008-06-13\t19:59:50:000\t788\tee4\tMisc\t  = Module: C:\\Program Files\\Caf\u00e9\\wuaueng.dll\r\n"
	rep := analyze(t, "ansi", append(windows1252(c), readFixture(t, "wu-nl-affected.log")...))
	if rep.Encoding != "Windows-1252" || rep.Verdict != detect.VerdictAffected {
		t.Errorf("encoding %s verdict %s, want Windows-1252 affected", rep.Encoding, rep.Verdict)
	}
}
