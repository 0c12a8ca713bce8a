package scenarios_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
)

// profile is what a simulated client has installed, by title: every
// non-leaf revision whose title is listed goes into InstalledNonLeaf,
// everything else into OtherCached. Categories count as installed on every
// client; the Office 2003 detectoid is what makes an Office 2003 client.
type profile struct {
	name      string
	installed []string
	groups    []string
}

var (
	officeClient = profile{name: "Office 2003 client", installed: []string{
		"Windows", "Windows XP", "Windows XP detectoid", "Office", "Office 2003", "Office 2003 detectoid"}}
	plainClient = profile{name: "client without Office", installed: []string{
		"Windows", "Windows XP", "Windows XP detectoid", "Office", "Office 2003"}}
)

// clientRun is what one software sync loop ended with.
type clientRun struct {
	rounds      int         // SyncUpdates calls made, including a failing one
	err         error       // the error that ended the loop, if any
	received    []int       // revision IDs received in NewUpdates, in order
	firstRound  map[int]int // revision ID → round that brought it
	installed   []int       // InstalledNonLeaf after the loop
	otherCached []int       // OtherCached after the loop
	since       time.Time   // the cookie's MaxLastChange after the loop
}

// playClient runs the WUA software sync loop of MS-WUSP §3.1.5.7 against w:
// call SyncUpdates, sort what came back into InstalledNonLeaf and
// OtherCached, call again, until NewUpdates is empty (and not truncated) or
// the server fails.
func playClient(t *testing.T, w *scenarios.World, p profile) clientRun {
	t.Helper()
	run := clientRun{firstRound: map[int]int{}}
	for run.rounds < 50 {
		run.rounds++
		res, err := w.Sync(scenarios.SyncRequest{
			TargetGroups:     p.groups,
			InstalledNonLeaf: run.installed,
			OtherCached:      run.otherCached,
			ClientProtocol:   "1.6",
			Since:            run.since,
		})
		if err != nil {
			run.err = err
			return run
		}
		for _, u := range res.NewUpdates {
			rev, _, ok := w.Revision(u.ID)
			if !ok {
				t.Fatalf("round %d: server sent unknown revision %d", run.rounds, u.ID)
			}
			run.received = append(run.received, u.ID)
			run.firstRound[u.ID] = run.rounds
			if !u.IsLeaf && slices.Contains(p.installed, rev.Title) {
				run.installed = append(run.installed, u.ID)
			} else {
				run.otherCached = append(run.otherCached, u.ID)
			}
		}
		run.since = res.MaxLastChange
		if len(res.NewUpdates) == 0 && !res.Truncated {
			return run
		}
	}
	t.Fatalf("%s: sync loop did not end after %d rounds", p.name, run.rounds)
	return run
}

func mustWorld(t testing.TB, name string) *scenarios.World {
	t.Helper()
	s, err := scenarios.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := scenarios.NewWorld(s)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// The heart of advisory 954960: on the failing scenarios an Office 2003
// client fails on the SyncUpdates that first brings 8862 into scope, and
// only that client; the fixed and consistent scenarios complete.
func TestClientLoopAgainstBuiltins(t *testing.T) {
	// On the consistent scenario the Office client receives 8862 on round 3:
	// round 1 brings the root categories and detectoids, round 2 the
	// products they unlock, round 3 the updates.
	const roundOf8862 = 3
	reference := playClient(t, mustWorld(t, "sp1-consistent"), officeClient)
	if got := reference.firstRound[8862]; got != roundOf8862 {
		t.Fatalf("8862 arrives on round %d of the consistent scenario, want %d", got, roundOf8862)
	}

	tests := []struct {
		scenario string
		client   profile
		wantKey  int // revision ID of the DuplicateKeyError; 0 = the loop completes
	}{
		{"sp1-office2003", officeClient, 8862},
		{"sp1-office2003", plainClient, 0},
		{"rtm-office2003", officeClient, 8862},
		{"rtm-office2003", plainClient, 0},
		{"sp1-kb954960", officeClient, 0},
		{"sp1-kb954960", plainClient, 0},
		{"sp2", officeClient, 0},
		{"sp2", plainClient, 0},
		{"sp1-consistent", officeClient, 0},
		{"sp1-consistent", plainClient, 0},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.client.name, func(t *testing.T) {
			run := playClient(t, mustWorld(t, tt.scenario), tt.client)
			if tt.wantKey != 0 {
				var dup *scenarios.DuplicateKeyError
				if !errors.As(run.err, &dup) || dup.Key != tt.wantKey {
					t.Fatalf("loop ended with %v after %d rounds, want DuplicateKeyError %d", run.err, run.rounds, tt.wantKey)
				}
				if run.rounds != roundOf8862 {
					t.Errorf("failed on round %d, want round %d (the one that brings 8862 into scope)", run.rounds, roundOf8862)
				}
				return
			}
			if run.err != nil {
				t.Fatalf("round %d: %v", run.rounds, run.err)
			}
			got8862 := slices.Contains(run.received, 8862)
			if want := tt.client.name == officeClient.name; got8862 != want {
				t.Errorf("received 8862 = %v, want %v (received %v)", got8862, want, run.received)
			}
			if slices.Contains(run.received, 8903) {
				t.Errorf("received 8903, which is approved for Workstations only")
			}
		})
	}
}

func TestBuiltins(t *testing.T) {
	got := scenarios.Builtins()
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
		if s.Description == "" {
			t.Errorf("%s has no description", s.Name)
		}
	}
	want := []string{"sp1-office2003", "rtm-office2003", "rtm-office2003-declined", "sp1-consistent", "sp1-kb954960", "sp2"}
	if !slices.Equal(names, want) {
		t.Errorf("Builtins() = %v, want %v", names, want)
	}
	if !got[0].Default || got[0].Name != scenarios.DefaultScenario {
		t.Errorf("first built-in is %+v, want the default %s", got[0], scenarios.DefaultScenario)
	}
	builds := map[string]string{
		"sp1-office2003": scenarios.BuildSP1, "rtm-office2003": scenarios.BuildRTM, "rtm-office2003-declined": scenarios.BuildRTM,
		"sp1-consistent": scenarios.BuildSP1, "sp1-kb954960": scenarios.BuildSP1KB954960, "sp2": scenarios.BuildSP2,
	}
	for name, build := range builds {
		if b := mustWorld(t, name).Build(); b.ID != build {
			t.Errorf("%s runs build %s, want %s", name, b.ID, build)
		}
	}
	if _, err := scenarios.Builtin("sp3"); err == nil {
		t.Error("Builtin(sp3) succeeded")
	}
}

// A client in Workstations gets the update approved for that group only.
func TestTargetGroups(t *testing.T) {
	w := mustWorld(t, "sp1-consistent")
	p := plainClient
	p.groups = []string{"Workstations"}
	run := playClient(t, w, p)
	if run.err != nil || !slices.Contains(run.received, 8903) {
		t.Fatalf("Workstations client: err %v, received %v; want 8903", run.err, run.received)
	}
	res, err := w.Sync(scenarios.SyncRequest{TargetGroups: []string{"Workstations", "Servers", "No Such Group"},
		InstalledNonLeaf: run.installed, OtherCached: run.otherCached, Since: run.since})
	if err != nil || len(res.NewUpdates) != 0 || len(res.OutOfScopeRevisionIDs) != 0 {
		t.Errorf("several groups: %+v, %v; want nothing new or out of scope", res, err)
	}
}
