package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/fleet"
	"github.com/wsusmock/wsusmock/wsustest"
)

// runFleetInto runs a fleet of n machines against a fresh 954960 server
// and returns the directory of its logs and ground truth.
func runFleetInto(t *testing.T, n int) string {
	t.Helper()
	srv := wsustest.NewServer("sp1-office2003")
	defer srv.Close()
	dir := t.TempDir()
	mix, err := fleet.ParseMix("xp-sp3-office2003=30,xp-sp3=70")
	if err != nil {
		t.Fatal(err)
	}
	f := &fleet.Fleet{ServerURL: srv.URL, Clients: n, Mix: mix, Dir: dir, Concurrency: 8}
	if _, err := f.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dir
}

// expectOutput checks that out holds every one of wants.
func expectOutput(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// The reference detector over a fleet's logs finds exactly the affected
// machines: precision and recall 1.0.
func TestDetectDirScoresTheReferenceDetector(t *testing.T) {
	dir := runFleetInto(t, 50)
	code, out, stderr := runDetectCmd(t, "--summary", "--ground-truth", filepath.Join(dir, "ground-truth.json"), dir)
	if code != exitAffected {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	expectOutput(t, out,
		"hosts: 50 (affected 15, clean 35)\n",
		"truth \\ verdict  affected  clean\naffected         15        0\nnot-affected     0         35\n",
		"precision (affected): 1.000 (15 of 15 hosts called affected are affected)\n",
		"recall (affected):    1.000 (15 of 15 affected hosts were called affected)\n")

	code, out, _ = runDetectCmd(t, "--json", "--ground-truth", filepath.Join(dir, "ground-truth.json"), dir)
	var got struct {
		Reports []struct{ Name, Verdict string }
		Hosts   int
		Score   fleet.Score
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if code != exitAffected || len(got.Reports) != 50 || got.Hosts != 50 || *got.Score.Precision != 1 || *got.Score.Recall != 1 {
		t.Errorf("exit %d, %d reports, %d hosts, score %+v", code, len(got.Reports), got.Hosts, got.Score)
	}
}

// A log that cannot be read, one cut short, and a machine without a log
// are shown as such and count as misses, never as clean hosts.
func TestDetectDirNeverCallsTheUnreadClean(t *testing.T) {
	dir := runFleetInto(t, 10)
	gt, err := fleet.ReadGroundTruth(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var affected []fleet.Machine
	for _, m := range gt.Machines {
		if m.Affected {
			affected = append(affected, m)
		}
	}
	if len(affected) != 3 {
		t.Fatalf("%d affected machines, want 3", len(affected))
	}
	// The first affected machine's log becomes a dangling link, the
	// second's is cut before its fault, the third's is removed.
	unreadable := filepath.Join(dir, affected[0].Log)
	if err := os.Remove(unreadable); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), unreadable); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, affected[1].Log)
	b, err := os.ReadFile(cut)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("SyncUpdates failure"))
	if err := os.WriteFile(cut, b[:bytes.LastIndexByte(b[:i], '\n')+1], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, affected[2].Host)); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runDetectCmd(t, "--summary", "--ground-truth", filepath.Join(dir, "ground-truth.json"), dir)
	if code != exitError || !strings.Contains(stderr, affected[0].Host) {
		t.Errorf("exit %d, stderr %q; want exit 1 naming %s", code, stderr, affected[0].Host)
	}
	expectOutput(t, out,
		"hosts: 9 (clean 7, incomplete 1, unreadable 1)\n",
		"truth \\ verdict  affected  clean  incomplete  unreadable  no-log\naffected         0         0      1           1           1\n",
		"recall (affected):    0.000 (0 of 3 affected hosts were called affected)\n",
		"precision (affected): n/a (0 of 0 hosts called affected are affected)\n")
}

func TestDetectDirMistakes(t *testing.T) {
	if code, _, stderr := runDetectCmd(t, "--ground-truth", "gt.json", logs+"wu-en-clean.log"); code != exitUsage ||
		!strings.Contains(stderr, "--ground-truth scores the hosts of a directory") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	bad := filepath.Join(t.TempDir(), "gt.json")
	if err := os.WriteFile(bad, []byte("{\"machines\": [oops"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runDetectCmd(t, "--ground-truth", bad, logs); code != exitError ||
		!strings.Contains(stderr, bad+": not a ground truth file") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
