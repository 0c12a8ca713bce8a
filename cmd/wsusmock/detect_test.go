package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/detect"
)

const logs = "../../fixtures/logs/"

func runDetectCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"detect"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestDetectExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"clean client and server", []string{logs + "wu-en-clean.log", logs + "sd-en-clean.log"}, exitOK},
		{"recovered counts as clean", []string{logs + "wu-en-recovered.log"}, exitOK},
		{"mentions only", []string{logs + "wu-en-clean-mentions-8024400e.log"}, exitOK},
		{"affected", []string{logs + "wu-en-affected.log"}, exitAffected},
		{"affected beats the rest", []string{logs + "wu-en-serverbusy.log", logs + "not-a-log.txt", logs + "sd-nl-affected.log"}, exitAffected},
		{"affected beats a read error", []string{logs + "nosuch.log", logs + "wu-76-ws-affected.log"}, exitAffected},
		{"other fault", []string{logs + "wu-en-clean.log", logs + "wu-en-invalidcookie.log"}, exitOtherFault},
		{"unrecognised", []string{logs + "not-a-log.txt"}, exitUnrecognised},
		{"unrecognised and clean", []string{logs + "not-a-log.txt", logs + "wu-en-clean.log"}, exitUnrecognised},
		{"read error", []string{logs + "wu-en-clean.log", logs + "nosuch.log"}, exitError},
		{"a directory is read as a tree of hosts", []string{logs}, exitAffected},
		{"a directory and a file", []string{logs, logs + "wu-en-clean.log"}, exitUsage},
		{"flags after files", []string{logs + "wu-en-affected.log", "--json"}, exitAffected},
		{"no input", nil, exitUsage},
		{"bad flag", []string{"--nosuch", logs + "wu-en-clean.log"}, exitUsage},
		{"help", []string{"-h"}, exitOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runDetectCmd(t, c.args...)
			if code != c.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.want, stderr)
			}
		})
	}
}

func TestDetectReadErrorNamesFile(t *testing.T) {
	_, _, stderr := runDetectCmd(t, logs+"nosuch.log")
	if !strings.Contains(stderr, "nosuch.log") || !strings.Contains(stderr, "no such file") {
		t.Errorf("stderr %q does not name the file and the cause", stderr)
	}
}

func TestDetectText(t *testing.T) {
	code, out, _ := runDetectCmd(t, logs+"wu-en-affected.log", logs+"sd-en-affected.log")
	if code != exitAffected {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		logs + "wu-en-affected.log: affected",
		"      27  2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING: SyncUpdates failure, error = 0x8024400E",
		"      33  2008-06-13\t19:59:56:617\t788\tee4\tPT\tWARNING:     ID:c0a7445f-b989-43fa-ac20-11f8ca65fa8c",
		logs + "sd-en-affected.log: affected",
		"duplicate keys: 8862",
		"correlation: " + logs + "sd-en-affected.log logged the same fault ID: c0a7445f-b989-43fa-ac20-11f8ca65fa8c",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDetectJSON(t *testing.T) {
	files, err := filepath.Glob(logs + "*")
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runDetectCmd(t, append([]string{"--json"}, files...)...)
	if code != exitAffected {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	var reports []detect.Report
	if err := json.Unmarshal([]byte(out), &reports); err != nil {
		t.Fatal(err)
	}
	if len(reports) != len(files) {
		t.Fatalf("%d reports for %d files", len(reports), len(files))
	}
	for _, r := range reports {
		if r.Verdict == "" || r.Evidence == nil {
			t.Errorf("%s: incomplete report %+v", r.Name, r)
		}
	}
}

// Standard input is read for "-".
func TestDetectStdin(t *testing.T) {
	f, err := os.Open(logs + "wu-en-affected-utf16.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	if code, out, _ := runDetectCmd(t, "-"); code != exitAffected || !strings.Contains(out, "(stdin): affected") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

// A log with a line too long to read whole is never reported clean: the
// line's start is read, the lines after it too, and a log that shows no
// fault is "incomplete", exit 13. A fault after the long line still
// makes it affected.
func TestDetectLongLine(t *testing.T) {
	dir := t.TempDir()
	withLongLine := func(fixture string) string {
		b, err := os.ReadFile(logs + fixture)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, fixture)
		long := append(bytes.Repeat([]byte("x"), 2<<20), "\r\n"...)
		if err := os.WriteFile(name, append(long, b...), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	code, out, _ := runDetectCmd(t, withLongLine("sd-en-clean.log"))
	if code != exitIncomplete || !strings.Contains(out, ": incomplete") || !strings.Contains(out, "line 1 is longer than") {
		t.Errorf("clean log after a long line: exit %d, want %d; output:\n%s", code, exitIncomplete, out)
	}
	if code, out, _ := runDetectCmd(t, withLongLine("sd-en-affected.log")); code != exitAffected {
		t.Errorf("affected log after a long line: exit %d, want %d; output:\n%s", code, exitAffected, out)
	}
}
