package fleet_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/fleet"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
	"github.com/wsusmock/wsusmock/wsustest"
)

func startServer(t *testing.T) *wsustest.Server {
	t.Helper()
	sc, err := scenarios.Builtin("sp1-office2003")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wsustest.Start(sc, wsustest.Options{Config: soapserver.Config{JournalSize: 10_000}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func mix(t *testing.T, s string) fleet.Mix {
	t.Helper()
	m, err := fleet.ParseMix(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A fleet of 100 machines, 30 % with Office 2003, against the 954960
// scenario: the 30 fail with InternalServerError, the 70 succeed, each
// machine leaves its own CRLF log, and the ground truth agrees with the
// server's journal machine by machine.
func TestFleetGroundTruthMatchesTheJournal(t *testing.T) {
	srv := startServer(t)
	dir := t.TempDir()
	f := &fleet.Fleet{ServerURL: srv.URL, Clients: 100, Mix: mix(t, "xp-sp3-office2003=30,xp-sp3=70"), Concurrency: 8, Dir: dir}
	sum, err := f.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Machines != 100 || sum.Affected != 30 || sum.Succeeded != 70 || sum.Failed != 30 || sum.Interrupted {
		t.Errorf("summary: %+v", sum.Counts)
	}
	if c := sum.ByProfile["xp-sp3-office2003"]; c == nil || c.Machines != 30 || c.Affected != 30 {
		t.Errorf("xp-sp3-office2003: %+v", c)
	}
	if sum.ByErrorCode["InternalServerError"] != 30 {
		t.Errorf("by error code: %v", sum.ByErrorCode)
	}

	gt, err := fleet.ReadGroundTruth(filepath.Join(dir, fleet.GroundTruthName))
	if err != nil {
		t.Fatal(err)
	}
	if len(gt.Machines) != 100 || gt.Summary == nil || gt.Summary.Affected != 30 || gt.Mix != "xp-sp3-office2003=30,xp-sp3=70" {
		t.Fatalf("ground truth: %d machines, summary %+v", len(gt.Machines), gt.Summary)
	}
	hosts, ids := map[string]bool{}, map[string]bool{}
	for _, m := range gt.Machines {
		hosts[m.Host], ids[m.ClientID] = true, true
		faults := srv.Journal(soapserver.JournalFilter{ClientID: m.ClientID, Fault: "InternalServerError"}).Entries
		syncs := srv.Journal(soapserver.JournalFilter{ClientID: m.ClientID, Operation: "SyncUpdates"}).Entries
		if len(syncs) == 0 {
			t.Errorf("%s: the journal has no SyncUpdates from client %s", m.Host, m.ClientID)
		}
		log, err := os.ReadFile(filepath.Join(dir, m.Log))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(log, []byte("\r\n")) || bytes.Count(log, []byte("\n")) != bytes.Count(log, []byte("\r\n")) {
			t.Errorf("%s: log lines do not all end in CRLF", m.Log)
		}
		switch {
		case m.Affected:
			if m.Profile != "xp-sp3-office2003" || m.HResult != "0x8024400E" || m.ErrorCode != "InternalServerError" ||
				len(faults) != 1 || faults[0].FaultID != m.FaultID || faults[0].Operation != "SyncUpdates" {
				t.Errorf("%s: ground truth %+v; journal faults %+v", m.Host, m, faults)
			}
			if !bytes.Contains(log, []byte("ID:"+m.FaultID)) && !bytes.Contains(log, []byte(m.FaultID)) {
				t.Errorf("%s: the log lacks fault ID %s", m.Log, m.FaultID)
			}
		default:
			if m.Profile != "xp-sp3" || m.Outcome != fleet.OutcomeSucceeded || len(faults) != 0 {
				t.Errorf("%s: ground truth %+v; journal faults %d", m.Host, m, len(faults))
			}
		}
	}
	if len(hosts) != 100 || len(ids) != 100 || !hosts["ws00001"] || !hosts["ws00100"] {
		t.Errorf("%d distinct hosts and %d distinct client IDs, want 100 each", len(hosts), len(ids))
	}
}

// Logs can be written in UTF-16LE with a byte order mark, as some machines
// had them.
func TestFleetWritesUTF16Logs(t *testing.T) {
	srv := startServer(t)
	dir := t.TempDir()
	f := &fleet.Fleet{ServerURL: srv.URL, Clients: 2, Mix: mix(t, "xp-sp3"), Dir: dir, UTF16: true, HostPrefix: "pc-"}
	if _, err := f.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "pc-00002", fleet.LogName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0xff, 0xfe}) || !bytes.HasSuffix(b, []byte{'\r', 0, '\n', 0}) {
		t.Errorf("not UTF-16LE with a BOM and CRLF: % x … % x", b[:8], b[len(b)-4:])
	}
}

// Stopping the fleet ends Run with the context's error, a summary marked
// interrupted that counts what ran, and a ground truth file that is still
// whole JSON.
func TestFleetStopsWhenCancelled(t *testing.T) {
	srv := startServer(t)
	dir := t.TempDir()
	f := &fleet.Fleet{ServerURL: srv.URL, Clients: 100_000, Mix: mix(t, "xp-sp3"), Concurrency: 4, Dir: dir}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for f.Progress().Done < 10 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	sum, err := f.Run(ctx)
	if !errors.Is(err, context.Canceled) || !sum.Interrupted {
		t.Fatalf("Run = %v, interrupted %v; want context.Canceled", err, sum.Interrupted)
	}
	if sum.Machines < 10 || sum.Machines >= 100_000 {
		t.Errorf("%d machines counted", sum.Machines)
	}
	gt, err := fleet.ReadGroundTruth(filepath.Join(dir, fleet.GroundTruthName))
	if err != nil {
		t.Fatal(err)
	}
	if len(gt.Machines) != sum.Machines || !gt.Summary.Interrupted {
		t.Errorf("ground truth lists %d machines, the summary %d", len(gt.Machines), sum.Machines)
	}
	for _, m := range gt.Machines {
		if m.Outcome == fleet.OutcomeCancelled && m.Error == "" {
			t.Errorf("%s: cancelled without a reason", m.Host)
		}
	}
}

// A server nobody can reach stops the fleet after its first wave, with
// ErrUnreachable, instead of writing a log for every machine.
func TestFleetReportsAnUnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	dir := t.TempDir()
	f := &fleet.Fleet{ServerURL: url, Clients: 10_000, Mix: mix(t, "xp-sp3"), Concurrency: 4, Dir: dir, RequestTimeout: 5 * time.Second}
	sum, err := f.Run(context.Background())
	if !errors.Is(err, fleet.ErrUnreachable) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Run = %v, want ErrUnreachable with the network error", err)
	}
	if sum.Unreachable < 4 || sum.Machines > 100 || sum.Succeeded != 0 {
		t.Errorf("summary: %+v", sum.Counts)
	}
}

func TestFleetRefusesBadSettings(t *testing.T) {
	tests := []struct {
		f    *fleet.Fleet
		want string
	}{
		{&fleet.Fleet{Clients: 0, Mix: fleet.Mix{{"xp-sp3", 1}}}, "0 clients"},
		{&fleet.Fleet{Clients: 1}, "no mix"},
		{&fleet.Fleet{Clients: 1, Mix: fleet.Mix{{"no-such", 1}}}, `mix profile no-such: unknown profile "no-such"`},
		{&fleet.Fleet{Clients: 1, Mix: fleet.Mix{{"xp-sp3", 1}}, HostPrefix: "../x"}, `host prefix "../x"`},
	}
	for _, tc := range tests {
		_, err := tc.f.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run = %v, want an error containing %q", err, tc.want)
		}
	}
}
