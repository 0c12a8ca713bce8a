package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Help asked for goes to standard output with exit 0, so "| less" works;
// a usage error goes to standard error with exit 2. Every command has a
// purpose and an example, and the top-level help lists every command.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"\n  admin       control a running server", "\n  version ", "\n  healthcheck ", "\n  completion ", "exit status:"}},
		{[]string{"help", "serve"}, []string{"usage: wsusmock serve", "run the mock WSUS 3.0 server", "example:\n  wsusmock serve --addr 127.0.0.1:0", "-selfupdate-dir"}},
		{[]string{"serve", "-h"}, []string{"usage: wsusmock serve"}},
		{[]string{"scenarios", "-h"}, []string{"list the built-in scenarios", "example:\n  wsusmock scenarios"}},
		{[]string{"help", "admin", "approve"}, []string{"revision ID (8862) or a title", "example:\n  wsusmock admin --text approve 8862"}},
		{[]string{"admin", "faults", "-h"}, []string{"error_code", "transport", "probability", "latency", "client_id"}},
		{[]string{"client", "-h"}, []string{"usage: wsusmock client", "4  the server could not be reached", "-ca-cert"}},
		{[]string{"detect", "-h"}, []string{"exit status, the first that applies", "example:\n  wsusmock detect"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, &stdout, &stderr); code != exitOK {
				t.Errorf("exit %d, want 0", code)
			}
			if stderr.Len() > 0 {
				t.Errorf("help written to stderr:\n%s", &stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, &stdout)
				}
			}
			if strings.Contains(stdout.String(), "flags (each") && !strings.Contains(stdout.String(), "\n  -") {
				t.Errorf("an empty flags section:\n%s", &stdout)
			}
		})
	}
	for _, d := range commandDocs {
		if d.purpose == "" || !strings.HasPrefix(d.example, "wsusmock "+strings.Fields(d.name)[0]) && !strings.Contains(d.example, "wsusmock completion") {
			t.Errorf("%s: purpose %q, example %q", d.name, d.purpose, d.example)
		}
	}

	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--no-such-flag"}, &stdout, &stderr); code != exitUsage {
		t.Errorf("bad flag: exit %d, want %d", code, exitUsage)
	}
	if stdout.Len() > 0 || !strings.Contains(stderr.String(), "flag provided but not defined: -no-such-flag") {
		t.Errorf("bad flag: stdout %q, stderr %q", &stdout, &stderr)
	}
}

// The bash completion script completes commands, admin commands and a
// command's flags (read from the binary's help).
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	bin := filepath.Join(t.TempDir(), "wsusmock")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	script := filepath.Join(t.TempDir(), "complete.bash")
	var buf bytes.Buffer
	if code := run(context.Background(), []string{"completion", "bash"}, &buf, os.Stderr); code != exitOK {
		t.Fatalf("completion bash: exit %d", code)
	}
	if err := os.WriteFile(script, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) string {
		t.Helper()
		line := `source "$1"; COMP_WORDS=(` + bin
		for _, w := range words {
			line += ` "` + w + `"`
		}
		line += `); COMP_CWORD=${#COMP_WORDS[@]}; COMP_CWORD=$((COMP_CWORD-1)); _wsusmock; echo "${COMPREPLY[@]}"`
		out, err := exec.Command(bash, "-c", line, "bash", script).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for words, want := range map[string]string{
		"se":                  "serve",
		"admin wo":            "workaround",
		"serve --selfupdate-": "--selfupdate-dir",
		"admin approve --gr":  "--group",
	} {
		if got := complete(strings.Fields(words)...); got != want {
			t.Errorf("%q completes to %q, want %q", words, got, want)
		}
	}
}
