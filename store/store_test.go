package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/gomega/gbytes"

	"github.com/wsusmock/wsusmock/internal/pgtest"
	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/store"
)

// office2003SP1 is "Office 2003 Service Pack 1", revision 8862: two rows
// in tbDeployment on WSUS 3.0 SP1 are advisory 954960's defect.
const office2003SP1 = "cc750251-d324-4187-8241-603a8445ad33"

var cluster *pgtest.Cluster

// TestMain starts one throwaway PostgreSQL cluster for the package; each
// test gets a database of its own.
func TestMain(m *testing.M) {
	var err error
	cluster, err = pgtest.Start()
	switch {
	case errors.Is(err, pgtest.ErrNotInstalled) && !pgtest.Required():
		fmt.Fprintln(os.Stderr, "store: skipping the tests that need PostgreSQL:", err)
	case err != nil:
		fmt.Fprintln(os.Stderr, "store: throwaway PostgreSQL:", err)
		os.Exit(1)
	}
	code := m.Run()
	if cluster != nil {
		if err := cluster.Destroy(); err != nil {
			fmt.Fprintln(os.Stderr, "store: stopping PostgreSQL:", err)
		}
	}
	os.Exit(code)
}

var dbs atomic.Int32

// database creates a fresh database for one test.
func database(t *testing.T) string {
	t.Helper()
	if cluster == nil {
		t.Skip("PostgreSQL is not installed")
	}
	url, err := cluster.CreateDatabase(fmt.Sprintf("t%d", dbs.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// replica is one server's side of the shared world: the snapshot it serves
// and how many resets it saw.
type replica struct {
	*store.Store
	mu     sync.Mutex
	world  *scenarios.World
	faults []store.Fault
	resets int
}

func (r *replica) faultIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, f := range r.faults {
		ids = append(ids, f.ID)
	}
	return ids
}

func (r *replica) served() *scenarios.World {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.world
}

func startWorld(t *testing.T, name string) *scenarios.World {
	t.Helper()
	w, err := scenarios.BuiltinWorld(name)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// open starts a replica on url that was started with the named scenario.
func open(t *testing.T, url, scenario string) *replica {
	t.Helper()
	r, err := openErr(url, scenario)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// openErr is open without the test's bookkeeping.
func openErr(url, scenario string) (*replica, error) {
	start, err := scenarios.BuiltinWorld(scenario)
	if err != nil {
		return nil, err
	}
	r := &replica{}
	st, err := store.Open(context.Background(), url, store.Options{
		Start: start,
		Apply: func(w *scenarios.World) {
			r.mu.Lock()
			r.world = w
			r.mu.Unlock()
		},
		ApplyFaults: func(fs []store.Fault) {
			r.mu.Lock()
			r.faults = fs
			r.mu.Unlock()
		},
		OnReset:       func() { r.mu.Lock(); r.resets++; r.mu.Unlock() },
		ProbeInterval: 100 * time.Millisecond,
	})
	if err != nil {
		return nil, err
	}
	r.Store = st
	return r, nil
}

// eventually polls cond for up to five seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func rows(w *scenarios.World, updateID, group string) int {
	for _, u := range w.Updates() {
		if u.Revision.UpdateID == updateID {
			for _, g := range u.Groups {
				if g.Group == group {
					return len(g.Deployments)
				}
			}
		}
	}
	return -1
}

func TestHotfixThroughOneReplicaReachesTheOther(t *testing.T) {
	url := database(t)
	a := open(t, url, "sp1-office2003")
	b := open(t, url, "sp1-office2003")
	if got := rows(b.served(), office2003SP1, scenarios.AllComputers); got != 2 {
		t.Fatalf("replica b starts with %d rows for Office 2003 SP1, want the defect's 2", got)
	}

	if err := a.Update(context.Background(), func(w *scenarios.World) (*scenarios.World, error) { return w.InstallHotfix("KB954960") }); err != nil {
		t.Fatal(err)
	}
	if !a.served().Build().HasHotfix(scenarios.HotfixKB954960) {
		t.Error("replica a does not serve its own change at once")
	}
	eventually(t, "replica b serves KB954960", func() bool { return b.served().Build().HasHotfix(scenarios.HotfixKB954960) })
	if b.served().Build().ClientDLLVersion != "3.1.6001.66" {
		t.Errorf("replica b: Client.dll %s, want 3.1.6001.66", b.served().Build().ClientDLLVersion)
	}
	if a.Health().Version != b.Health().Version {
		t.Errorf("versions differ: a %d, b %d", a.Health().Version, b.Health().Version)
	}
}

func TestAReplicaStartedLaterJoinsTheSharedWorld(t *testing.T) {
	url := database(t)
	a := open(t, url, "sp1-office2003")
	if err := a.Update(context.Background(), func(w *scenarios.World) (*scenarios.World, error) {
		return w.Decline(office2003SP1, "", time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	// Started with another scenario: the database's world wins.
	late := open(t, url, "sp2")
	if h := late.Health(); h.Scenario != "sp1-office2003" || !h.Connected {
		t.Errorf("late replica: %+v, want the shared sp1-office2003", h)
	}
	if got := rows(late.served(), office2003SP1, scenarios.AllComputers); got != 0 {
		t.Errorf("late replica: %d rows for Office 2003 SP1 after the decline, want 0", got)
	}
}

// Writers on different replicas are serialised by the database: every
// change is applied to the state the previous one committed, none is lost.
func TestConcurrentChangesThroughTwoReplicasAreAllKept(t *testing.T) {
	url := database(t)
	replicas := []*replica{open(t, url, "sp1-office2003"), open(t, url, "sp1-office2003")}
	var software []string
	for _, u := range replicas[0].served().Updates() {
		if u.Revision.UpdateType == scenarios.TypeSoftware {
			software = append(software, u.Revision.UpdateID)
		}
	}
	if len(software) < 4 {
		t.Fatalf("the scenario has %d software updates; the test needs 4", len(software))
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(software))
	for i, id := range software {
		wg.Go(func() {
			errs <- replicas[i%2].Update(context.Background(), func(w *scenarios.World) (*scenarios.World, error) {
				return w.Decline(id, "", time.Now())
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range replicas {
		eventually(t, fmt.Sprintf("replica %d sees all %d declines", i, len(software)), func() bool {
			declined := 0
			for _, u := range r.served().Updates() {
				if u.Groups[0].State == scenarios.StateDeclined {
					declined++
				}
			}
			return declined == len(software)
		})
	}
}

func TestARefusalChangesNothingAndIsReturnedAsIs(t *testing.T) {
	url := database(t)
	a := open(t, url, "sp2")
	before := a.Health().Version
	err := a.Update(context.Background(), func(w *scenarios.World) (*scenarios.World, error) { return w.InstallHotfix("KB954960") })
	var he *scenarios.HotfixError
	if !errors.As(err, &he) {
		t.Fatalf("InstallHotfix on SP2 through the store = %v, want the *scenarios.HotfixError", err)
	}
	if a.Health().Version != before {
		t.Errorf("version moved from %d to %d on a refusal", before, a.Health().Version)
	}
}

func TestResetReachesEveryReplica(t *testing.T) {
	url := database(t)
	a := open(t, url, "sp1-office2003")
	b := open(t, url, "sp1-office2003")
	ctx := context.Background()
	if err := a.Update(ctx, func(w *scenarios.World) (*scenarios.World, error) { return w.InstallHotfix("KB954960") }); err != nil {
		t.Fatal(err)
	}
	if err := b.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*replica{"a": a, "b": b} {
		eventually(t, "replica "+name+" is back on the defect", func() bool {
			return !r.served().Build().HasHotfix(scenarios.HotfixKB954960) && rows(r.served(), office2003SP1, scenarios.AllComputers) == 2
		})
		eventually(t, "replica "+name+" cleared what it keeps for itself", func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.resets == 1
		})
	}
}

func TestSelectScenarioIsShared(t *testing.T) {
	url := database(t)
	a := open(t, url, "sp1-office2003")
	b := open(t, url, "sp1-office2003")
	if err := a.Select(context.Background(), startWorld(t, "rtm-office2003")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica b serves rtm-office2003", func() bool { return b.served().Scenario().Name == "rtm-office2003" })
}

// A replica that loses the database keeps serving its snapshot, says so in
// Health, and catches up once the database is back.
func TestLosingTheDatabase(t *testing.T) {
	if cluster == nil {
		t.Skip("PostgreSQL is not installed")
	}
	url := database(t)
	a := open(t, url, "sp1-office2003")
	b := open(t, url, "sp1-office2003")
	served := b.served()

	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			cluster.Restart()
		}
	})
	eventually(t, "replica b reports the loss", func() bool { return !b.Health().Connected })
	if h := b.Health(); h.Err == "" || h.Since.IsZero() || h.Version == 0 {
		t.Errorf("health while lost: %+v", h)
	}
	if b.served() != served {
		t.Error("replica b dropped its snapshot")
	}
	err := a.Update(context.Background(), func(w *scenarios.World) (*scenarios.World, error) { return w.InstallHotfix("KB954960") })
	if err == nil {
		t.Fatal("a change with the database down succeeded")
	}

	if err := cluster.Restart(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	eventually(t, "replica b reconnects", func() bool { return b.Health().Connected })
	eventually(t, "replica a reconnects", func() bool { return a.Health().Connected })
	if err := a.Update(context.Background(), func(w *scenarios.World) (*scenarios.World, error) { return w.InstallHotfix("KB954960") }); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica b serves the change made after the outage", func() bool {
		return b.served().Build().HasHotfix(scenarios.HotfixKB954960)
	})
}

// Fault rules are shared like the world; their IDs are never reused, and a
// reset removes them.
func TestFaultRulesAreShared(t *testing.T) {
	url := database(t)
	a := open(t, url, "sp1-office2003")
	b := open(t, url, "sp1-office2003")
	ctx := context.Background()
	rule := []byte(`{"operation":"GetConfig","error_code":"ServerBusy"}`)
	first, err := a.AddFault(ctx, rule)
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.AddFault(ctx, rule)
	if err != nil {
		t.Fatal(err)
	}
	if first != "f1" || second != "f2" {
		t.Errorf("IDs %s, %s; want f1, f2", first, second)
	}
	eventually(t, "replica a holds both rules", func() bool { return fmt.Sprint(a.faultIDs()) == "[f1 f2]" })
	if found, err := b.RemoveFault(ctx, "f1"); err != nil || !found {
		t.Fatalf("RemoveFault f1 = %v, %v", found, err)
	}
	if found, err := b.RemoveFault(ctx, "f1"); err != nil || found {
		t.Errorf("RemoveFault f1 again = %v, %v; want not found", found, err)
	}
	third, err := a.AddFault(ctx, rule)
	if err != nil || third != "f3" {
		t.Errorf("after a removal the next ID is %q (%v), want f3", third, err)
	}
	eventually(t, "replica b holds f2 and f3", func() bool { return fmt.Sprint(b.faultIDs()) == "[f2 f3]" })
	if err := a.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica b holds no rule after the reset", func() bool { return len(b.faultIDs()) == 0 })
	if n, err := a.ClearFaults(ctx); err != nil || n != 0 {
		t.Errorf("ClearFaults with none = %d, %v", n, err)
	}
}

// An idle replica probes its connection without taking a quiet database
// for a lost one.
func TestAnIdleReplicaStaysConnected(t *testing.T) {
	url := database(t)
	log := gbytes.NewBuffer() // safe for the store's goroutines
	st, err := store.Open(context.Background(), url, store.Options{
		Start:         startWorld(t, "sp1-office2003"),
		Apply:         func(*scenarios.World) {},
		Logger:        slog.New(slog.NewTextHandler(log, nil)),
		ProbeInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	time.Sleep(300 * time.Millisecond) // a dozen probes
	if h := st.Health(); !h.Connected {
		t.Errorf("health after idling: %+v", h)
	}
	if out := string(log.Contents()); strings.Contains(out, "unreachable") {
		t.Errorf("an idle replica logged a loss:\n%s", out)
	}
}
