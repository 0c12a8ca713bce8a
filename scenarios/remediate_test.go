package scenarios_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
)

const office2003SP1 = "cc750251-d324-4187-8241-603a8445ad33" // revision 8862

func TestInstallHotfix(t *testing.T) {
	tests := []struct {
		scenario string
		wantErr  string // substring; "" = installs
	}{
		{"sp1-office2003", ""},
		{"sp1-consistent", ""},
		{"sp1-kb954960", ""}, // already installed: harmless
		{"rtm-office2003", "workaround"},
		{"sp2", "not applicable"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			w := mustWorld(t, tt.scenario)
			before := w.Build()
			fixed, err := w.InstallHotfix("kb954960")
			if tt.wantErr != "" {
				var he *scenarios.HotfixError
				if !errors.As(err, &he) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("InstallHotfix = %v, want a HotfixError mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b := fixed.Build()
			if b.ID != scenarios.BuildSP1KB954960 || b.ClientDLLVersion != "3.1.6001.66" || b.Version != "3.1.6001.65" ||
				b.DuplicateKeyDefect || !b.HasHotfix(scenarios.HotfixKB954960) {
				t.Errorf("after the hotfix: %+v", b)
			}
			if again, err := fixed.InstallHotfix(scenarios.HotfixKB954960); err != nil || again != fixed {
				t.Errorf("second install: %v, same world %v", err, again == fixed)
			}
			if run := playClient(t, fixed, officeClient); run.err != nil {
				t.Errorf("Office client after the hotfix: %v", run.err)
			}
			if w.Build().ClientDLLVersion != before.ClientDLLVersion {
				t.Error("InstallHotfix changed the old world")
			}
		})
	}
	if _, err := mustWorld(t, "sp1-office2003").InstallHotfix("KB123456"); err == nil {
		t.Error("unknown hotfix installed")
	}
}

// The console workaround for WSUS 3.0 RTM (KB954960): decline, approve,
// decline "Office 2003 Service Pack 1". Each step is checked as an
// administrator would see it.
func TestWorkaroundOnRTM(t *testing.T) {
	w := playWorkaround(t, mustWorld(t, "rtm-office2003"), []workaroundStep{
		{"start", scenarios.StateApproved, 2, true, true, false},
		{"decline", scenarios.StateDeclined, 0, false, false, false},
		{"approve", scenarios.StateApproved, 1, false, false, true},
		{"decline", scenarios.StateDeclined, 0, false, false, false},
	})
	if w.Build().ID != scenarios.BuildRTM {
		t.Errorf("the workaround changed the build to %s", w.Build().ID)
	}
}

// The workaround as it was usually met (rtm-office2003-declined): 8862
// already Declined, its two rows still there. Each of the three steps is
// needed: the first Decline changes nothing, since the update is already
// Declined, and clients still fail; the Approve writes one row for the two,
// and clients sync; the last Decline leaves 8862 Declined with no rows.
// The sources (blog.expta.com, 2008-10-20 and 2009-04-03, giving Microsoft
// support's procedure) say the update was found Declined while clients
// failed, and that the procedure resets the approvals to a consistent
// state.
func TestWorkaroundFromDeclinedOnRTM(t *testing.T) {
	start := mustWorld(t, "rtm-office2003-declined")
	if again, err := start.Decline(office2003SP1, "", time.Date(2008, 7, 1, 9, 0, 0, 0, time.UTC)); err != nil || again != start {
		t.Errorf("declining an update already Declined: %v, same world %v", err, again == start)
	}
	playWorkaround(t, start, []workaroundStep{
		{"start", scenarios.StateDeclined, 2, true, true, false},
		{"decline", scenarios.StateDeclined, 2, true, true, false},
		{"approve", scenarios.StateApproved, 1, false, false, true},
		{"decline", scenarios.StateDeclined, 0, false, false, false},
	})
}

// workaroundStep is one console step on "Office 2003 Service Pack 1" in All
// Computers, and what an administrator and an Office 2003 client see after
// it.
type workaroundStep struct {
	action       string // "start", "decline" or "approve"
	state        string
	rows         int
	inconsistent bool
	fail         bool // the Office 2003 client fails
	offers8862   bool // its sync brings 8862
}

func playWorkaround(t *testing.T, w *scenarios.World, steps []workaroundStep) *scenarios.World {
	t.Helper()
	day := func(d int) time.Time { return time.Date(2008, 7, d, 9, 0, 0, 0, time.UTC) }
	for i, st := range steps {
		var err error
		switch st.action {
		case "decline":
			w, err = w.Decline(office2003SP1, "", day(i))
		case "approve":
			w, err = w.Approve(office2003SP1, "", day(i))
		}
		if err != nil {
			t.Fatalf("step %d %s: %v", i, st.action, err)
		}
		ga := approvalOf(t, w, 8862, scenarios.AllComputers)
		if ga.State != st.state || len(ga.Deployments) != st.rows || ga.Inconsistent != st.inconsistent {
			t.Errorf("step %d %s: %+v, want %s with %d rows, inconsistent %v", i, st.action, ga, st.state, st.rows, st.inconsistent)
		}
		run := playClient(t, w, officeClient)
		var dup *scenarios.DuplicateKeyError
		if failed := errors.As(run.err, &dup) && dup.Key == 8862; failed != st.fail || !failed && run.err != nil {
			t.Errorf("step %d %s: Office client error %v, want the duplicate 8862: %v", i, st.action, run.err, st.fail)
		}
		if _, offered := run.firstRound[8862]; offered != st.offers8862 {
			t.Errorf("step %d %s: 8862 offered %v, want %v", i, st.action, offered, st.offers8862)
		}
	}
	return w
}

func approvalOf(t *testing.T, w *scenarios.World, rev int, group string) scenarios.GroupApproval {
	t.Helper()
	for _, u := range w.Updates() {
		if u.Revision.RevisionID != rev {
			continue
		}
		for _, g := range u.Groups {
			if g.Group == group {
				return g
			}
		}
	}
	t.Fatalf("no approval entry for %d in %s", rev, group)
	return scenarios.GroupApproval{}
}

func TestApproveDeclineErrors(t *testing.T) {
	w := mustWorld(t, "sp1-office2003")
	at := time.Date(2008, 7, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name            string
		update, group   string
		at              time.Time
		wantErrContains string
	}{
		{"unknown update", "00000000-0000-0000-0000-000000000000", "", at, "not in the catalog"},
		{"unknown group", office2003SP1, "Laptops", at, "does not exist"},
		{"detectoid", "a9822eb7-928b-45c2-aebb-d11e6cb9589b", "", at, "only software"},
		{"zero time", office2003SP1, "", time.Time{}, "zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.Approve(tt.update, tt.group, tt.at)
			if err == nil || !strings.Contains(err.Error(), tt.wantErrContains) {
				t.Errorf("Approve: %v, want %q", err, tt.wantErrContains)
			}
		})
	}
	// Group names are case-insensitive, like the WSUS database.
	w2, err := w.Approve(office2003SP1, "workstations", at)
	if err != nil {
		t.Fatal(err)
	}
	if ga := approvalOf(t, w2, 8862, "Workstations"); ga.State != scenarios.StateApproved {
		t.Errorf("Workstations: %+v", ga)
	}
}

// Each refusal of the remediation methods says what kind it is, so that
// callers map it without re-checking the catalog themselves.
func TestRemediationRefusalsAreSentinels(t *testing.T) {
	w := mustWorld(t, "sp1-office2003")
	now := time.Date(2008, 7, 9, 12, 0, 0, 0, time.UTC)
	category := w.Updates()[0].Revision.UpdateID
	_, missingScenario := scenarios.Builtin("sp9")
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"unknown update", second(w.Approve("00000000-0000-0000-0000-000000000000", "", now)), scenarios.ErrUnknownUpdate},
		{"unknown group", second(w.Decline(office2003SP1, "Nowhere", now)), scenarios.ErrUnknownGroup},
		{"category", second(w.Approve(category, "", now)), scenarios.ErrNotAllowed},
		{"hotfix on RTM", second(mustWorld(t, "rtm-office2003").InstallHotfix("KB954960")), scenarios.ErrNotAllowed},
		{"unknown hotfix", second(w.InstallHotfix("KB123456")), scenarios.ErrUnknownHotfix},
		{"unknown scenario", missingScenario, scenarios.ErrUnknownScenario},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want it to wrap %v", tc.name, tc.err, tc.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }
