package detect_test

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/detect"
	"github.com/wsusmock/wsusmock/fixtures"
)

// FuzzAnalyze feeds the detector arbitrary logs, the fixtures as seeds.
// Whatever the input, evidence lines stay single escaped lines within
// MaxEvidenceText, and the same input read from a reader that fails
// after it is never reported clean or recovered.
func FuzzAnalyze(f *testing.F) {
	names, err := fs.Glob(fixtures.FS, "logs/*.log")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(fixtures.FS, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("x\r\n\x00\xff\u2028"))
	f.Fuzz(func(t *testing.T, log []byte) {
		rep, err := detect.Analyze("fuzz", bytes.NewReader(log))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range rep.Evidence {
			if len(e.Text) > detect.MaxEvidenceText || strings.ContainsAny(e.Text, "\r\n\x00") {
				t.Fatalf("evidence line %d: %d bytes: %q", e.Line, len(e.Text), e.Text[:min(80, len(e.Text))])
			}
		}
		cut, err := detect.Analyze("fuzz", readErr{bytes.NewReader(log)})
		if err == nil {
			t.Fatal("a failing reader gave no error")
		}
		if cut.Verdict == detect.VerdictClean || cut.Verdict == detect.VerdictRecovered {
			t.Fatalf("a log not read in full is %s: %s", cut.Verdict, cut.Summary)
		}
	})
}
