package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/wsuslog"
)

// With a size cap the server log is rotated: no file passes the cap, at
// most the given number of backups are kept, and every file holds whole
// entries.
func TestServerLogRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "SoftwareDistribution.log")
	w, err := openServerLog(path, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	sl := wsuslog.NewServerLog(w, wsuslog.LangEnglish, time.Now)
	id := strings.Repeat("c", 1000) // 1 KiB lines: 4 MiB in all
	for range 4 << 10 {
		sl.Request("w3wp.1", "SyncUpdates", id)
	}
	if err := sl.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// Old backups are removed by a goroutine of the rotating writer.
	var files []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		files, _ = filepath.Glob(filepath.Join(dir, "SoftwareDistribution*.log"))
		if len(files) <= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(files) < 2 || len(files) > 3 {
		t.Fatalf("files %q, want the log and one or two backups", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 1<<20 {
			t.Errorf("%s: %d bytes, over the 1 MiB cap", f, len(b))
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
		for i, line := range lines {
			if _, ok := wsuslog.ParseServerLine(line); !ok {
				t.Fatalf("%s line %d is not a whole entry: %q", f, i+1, line[:min(60, len(line))])
			}
		}
	}
}

// A server log path that cannot be written is refused at start, with or
// without a size cap.
func TestServerLogUnwritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "SoftwareDistribution.log")
	for _, maxMiB := range []int{0, 1} {
		if _, err := openServerLog(path, maxMiB, 1); err == nil || !strings.Contains(err.Error(), "server log") {
			t.Errorf("max %d MiB: err = %v, want a server log error", maxMiB, err)
		}
	}
}
