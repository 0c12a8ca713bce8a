package wuaclient

import (
	"os"
	"strings"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// LogText is the cycle's WindowsUpdate.log, as WUA wrote it: one line per
// entry, CRLF-terminated.
func (r *Result) LogText() string {
	var b strings.Builder
	for _, e := range r.Log {
		b.WriteString(e.Format())
		b.WriteString(wsuslog.CRLF)
	}
	return b.String()
}

// WriteLog writes the cycle's WindowsUpdate.log to a file, for tools that
// read files.
func (r *Result) WriteLog(path string) error {
	return os.WriteFile(path, []byte(r.LogText()), 0o644)
}

// GomegaString is how Gomega prints a Result in failure messages: its
// one-line Summary, rather than every field and log line.
func (r *Result) GomegaString() string { return r.Summary() }
