package scenarios_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/wusp"
)

func ids(us []wusp.UpdateInfo) []int {
	var out []int
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

// The first call, with nothing installed, returns the root non-leaf
// revisions only: product families and detectoids, with Action Evaluate.
func TestFirstSyncReturnsRoots(t *testing.T) {
	res, err := mustWorld(t, "sp1-office2003").Sync(scenarios.SyncRequest{ClientProtocol: "1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(res.NewUpdates), []int{8001, 8003, 8010, 8011}; !slices.Equal(got, want) {
		t.Fatalf("NewUpdates = %v, want %v", got, want)
	}
	for _, u := range res.NewUpdates {
		if u.IsLeaf || u.Deployment.Action != scenarios.ActionEvaluate {
			t.Errorf("%d: IsLeaf %v, Action %s; want non-leaf Evaluate", u.ID, u.IsLeaf, u.Deployment.Action)
		}
	}
	if res.Truncated || len(res.OutOfScopeRevisionIDs)+len(res.ChangedUpdates) != 0 {
		t.Errorf("unexpected %+v", res)
	}
}

// Office updates arrive with their deployments: Install for approved ones,
// Bundle for the bundled Word component, and the Core fragment as Xml.
func TestDeploymentActions(t *testing.T) {
	w := mustWorld(t, "sp1-kb954960")
	res, err := w.Sync(scenarios.SyncRequest{InstalledNonLeaf: []int{8001, 8002, 8003, 8004, 8010, 8011}, OtherCached: nil})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]wusp.UpdateInfo{}
	for _, u := range res.NewUpdates {
		got[u.ID] = u
	}
	tests := []struct {
		rev    int
		action string
		id     int
		date   string
	}{
		{8862, scenarios.ActionInstall, 20561, "2008-06-10"}, // the fixed build keeps the newest of the two rows
		{8871, scenarios.ActionInstall, 20302, "2008-03-12"},
		{8873, scenarios.ActionInstall, 20433, "2008-05-14"},
		{8874, scenarios.ActionBundle, 1008874, "2008-05-14"}, // changes with its bundle
		{8901, scenarios.ActionInstall, 20562, "2008-06-11"},
	}
	for _, tt := range tests {
		u, ok := got[tt.rev]
		if !ok {
			t.Errorf("%d missing from NewUpdates %v", tt.rev, ids(res.NewUpdates))
			continue
		}
		d := u.Deployment
		if d.Action != tt.action || d.ID != tt.id || d.LastChangeTime != tt.date || !u.IsLeaf || !d.IsAssigned {
			t.Errorf("%d: %+v leaf=%v; want %s deployment %d on %s", tt.rev, d, u.IsLeaf, tt.action, tt.id, tt.date)
		}
	}
	core := got[8862].Xml
	for _, want := range []string{
		`<UpdateIdentity UpdateID="cc750251-d324-4187-8241-603a8445ad33" RevisionNumber="102" />`,
		`<Properties UpdateType="Software" />`,
		`<Prerequisites><UpdateIdentity UpdateID="a9822eb7-928b-45c2-aebb-d11e6cb9589b" /><AtLeastOne IsCategory="true">`,
		`<ApplicabilityRules><IsInstalled><b.RegSzToVersion `,
	} {
		if !strings.Contains(core, want) {
			t.Errorf("Core fragment of 8862 lacks %s:\n%s", want, core)
		}
	}
	if !strings.Contains(got[8873].Xml, `<BundledUpdates><UpdateIdentity UpdateID="800ffb89-827f-456d-b71a-a23d0cb1ec7f" RevisionNumber="100" /></BundledUpdates>`) {
		t.Errorf("bundle 8873 does not name its member: %s", got[8873].Xml)
	}
}

func TestTruncated(t *testing.T) {
	s, err := scenarios.Builtin("sp1-consistent")
	if err != nil {
		t.Fatal(err)
	}
	s.Build.MaxNewUpdatesPerSync = 2
	w, err := scenarios.NewWorld(s)
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Sync(scenarios.SyncRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.NewUpdates); !res.Truncated || !slices.Equal(got, []int{8001, 8003}) {
		t.Fatalf("NewUpdates %v, Truncated %v; want [8001 8003], true", got, res.Truncated)
	}
	// The client keeps calling while Truncated and ends with the same set.
	small := playClient(t, w, officeClient)
	full := playClient(t, mustWorld(t, "sp1-consistent"), officeClient)
	a, b := slices.Sorted(slices.Values(small.received)), slices.Sorted(slices.Values(full.received))
	if small.err != nil || !slices.Equal(a, b) || small.rounds <= full.rounds {
		t.Errorf("truncated loop: %d rounds, %v, err %v; full loop: %d rounds, %v", small.rounds, a, small.err, full.rounds, b)
	}
}

func TestOutOfScope(t *testing.T) {
	w := mustWorld(t, "sp1-consistent")
	run := playClient(t, w, officeClient)
	w2, err := w.Decline("cc750251-d324-4187-8241-603a8445ad33", "", time.Date(2008, 7, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	res, err := w2.Sync(scenarios.SyncRequest{
		InstalledNonLeaf: run.installed,
		OtherCached:      append(slices.Clone(run.otherCached), 4242, 4242),
		Since:            run.since,
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{4242, 8862}; !slices.Equal(res.OutOfScopeRevisionIDs, want) {
		t.Errorf("OutOfScopeRevisionIDs = %v, want %v (declined 8862, unknown 4242)", res.OutOfScopeRevisionIDs, want)
	}
	if len(res.NewUpdates)+len(res.ChangedUpdates) != 0 {
		t.Errorf("unexpected updates: %+v", res)
	}
}

func TestChangedUpdatesAfterApprove(t *testing.T) {
	w := mustWorld(t, "sp1-consistent")
	run := playClient(t, w, officeClient)
	at := time.Date(2008, 7, 8, 17, 30, 0, 0, time.UTC)
	w2, err := w.Approve("5f936ff1-0bfb-4a63-b471-b8f5f738b78c", scenarios.AllComputers, at) // the KB950113 bundle
	if err != nil {
		t.Fatal(err)
	}
	req := scenarios.SyncRequest{InstalledNonLeaf: run.installed, OtherCached: run.otherCached, Since: run.since}
	res, err := w2.Sync(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.ChangedUpdates); !slices.Equal(got, []int{8873, 8874}) {
		t.Fatalf("ChangedUpdates = %v, want the bundle and its member [8873 8874]", got)
	}
	d := res.ChangedUpdates[0].Deployment
	if d.ID <= 20564 || d.LastChangeTime != "2008-07-08" || d.Action != scenarios.ActionInstall {
		t.Errorf("new deployment %+v, want a fresh ID and LastChangeTime 2008-07-08", d)
	}
	if !res.MaxLastChange.Equal(at) || len(res.NewUpdates) != 0 {
		t.Errorf("MaxLastChange %v, NewUpdates %v", res.MaxLastChange, ids(res.NewUpdates))
	}
	// With the new cookie time nothing is changed any more; the old world
	// still serves the old deployment.
	req.Since = res.MaxLastChange
	if res, _ := w2.Sync(req); len(res.ChangedUpdates) != 0 {
		t.Errorf("second sync ChangedUpdates = %v, want none", ids(res.ChangedUpdates))
	}
	req.Since = run.since
	if res, _ := w.Sync(req); len(res.ChangedUpdates) != 0 {
		t.Errorf("old world changed: %v", ids(res.ChangedUpdates))
	}
}

// MS-WUSP: AutoSelect, AutoDownload, SupersedenceBehavior and FlagBitmask
// MUST NOT go to clients below protocol 1.8, and are "0" otherwise.
func TestProtocol18Fields(t *testing.T) {
	w := mustWorld(t, "sp2")
	for _, tt := range []struct {
		protocol string
		want     string
	}{{"", ""}, {"1.0", ""}, {"1.6", ""}, {"1.8", "0"}, {"1.10", "0"}, {"2.4", "0"}, {"junk", ""}} {
		res, err := w.Sync(scenarios.SyncRequest{ClientProtocol: tt.protocol})
		if err != nil {
			t.Fatal(err)
		}
		d := res.NewUpdates[0].Deployment
		if d.AutoSelect != tt.want || d.AutoDownload != tt.want || d.SupersedenceBehavior != tt.want || d.FlagBitmask != tt.want {
			t.Errorf("protocol %q: %+v, want 1.8 fields %q", tt.protocol, d, tt.want)
		}
		refreshed := w.Refresh([]wusp.UpdateIdentity{{UpdateID: w.Scenario().Catalog[0].UpdateID, RevisionNumber: w.Scenario().Catalog[0].RevisionNumber}}, nil, tt.protocol)
		if got := refreshed[0].Deployment.FlagBitmask; got != tt.want {
			t.Errorf("protocol %q: RefreshCache FlagBitmask = %q, want %q", tt.protocol, got, tt.want)
		}
	}
}

func TestDriverPassIsEmpty(t *testing.T) {
	since := time.Date(2008, 6, 11, 0, 0, 0, 0, time.UTC)
	res, err := mustWorld(t, "sp1-office2003").Sync(scenarios.SyncRequest{SkipSoftwareSync: true, Since: since,
		InstalledNonLeaf: []int{8001, 8002, 8003, 8004, 8010, 8011}})
	if err != nil || len(res.NewUpdates)+len(res.ChangedUpdates)+len(res.OutOfScopeRevisionIDs) != 0 || !res.MaxLastChange.Equal(since) {
		t.Errorf("driver pass: %+v, %v; want empty", res, err)
	}
}

func TestDuplicateKeyErrorMessage(t *testing.T) {
	err := &scenarios.DuplicateKeyError{Key: 8862}
	// .NET's Hashtable message, with its two spaces (docs/protocol-facts.md §3.4).
	const want = "Item has already been added. Key in dictionary: '8862'  Key being added: '8862'"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestExtendedInfo(t *testing.T) {
	w := mustWorld(t, "sp1-office2003")
	updates, out := w.ExtendedInfo([]int{8862, 4242},
		[]string{scenarios.FragmentCore, scenarios.FragmentExtended, scenarios.FragmentLocalizedProperties, "Eula"},
		[]string{"nl-NL", "en"})
	if !slices.Equal(out, []int{4242}) || len(updates) != 3 {
		t.Fatalf("updates %+v, outOfScope %v", updates, out)
	}
	for i, want := range []string{
		`<UpdateIdentity UpdateID="cc750251-d324-4187-8241-603a8445ad33" RevisionNumber="102" />`,
		`<ExtendedProperties DefaultPropertiesLanguage="en" Handler="http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/WindowsInstaller"><KBArticleID>842532</KBArticleID></ExtendedProperties>`,
		`<LocalizedProperties><Language>en</Language><Title>Office 2003 Service Pack 1</Title><Description>`,
	} {
		if updates[i].ID != 8862 || !strings.HasPrefix(updates[i].Xml, want) {
			t.Errorf("update %d = %+v, want prefix %s", i, updates[i], want)
		}
	}
	updates, _ = w.ExtendedInfo([]int{8902}, []string{scenarios.FragmentExtended}, nil)
	if !strings.Contains(updates[0].Xml, `MsrcSeverity="Critical"><SecurityBulletinID>MS08-033</SecurityBulletinID>`) {
		t.Errorf("Extended of 8902: %s", updates[0].Xml)
	}
}

func TestRefresh(t *testing.T) {
	w := mustWorld(t, "sp1-kb954960")
	got := w.Refresh([]wusp.UpdateIdentity{
		{UpdateID: "CC750251-D324-4187-8241-603A8445AD33", RevisionNumber: 102}, // 8862
		{UpdateID: "cc750251-d324-4187-8241-603a8445ad33", RevisionNumber: 101}, // a revision this server no longer has
		{UpdateID: "a9822eb7-928b-45c2-aebb-d11e6cb9589b", RevisionNumber: 100}, // Office 2003 detectoid
		{UpdateID: "a118d649-d5ea-4b89-b631-417d5b17b021", RevisionNumber: 100}, // 8903, not approved for All Computers
	}, nil, "1.0")
	if len(got) != 3 {
		t.Fatalf("Refresh = %+v, want 3 results", got)
	}
	want := []struct {
		rev    int
		leaf   bool
		action string
	}{{8862, true, "Install"}, {8011, false, "Evaluate"}, {8903, true, "Evaluate"}}
	for i, w := range want {
		if got[i].RevisionID != w.rev || got[i].IsLeaf != w.leaf || got[i].Deployment.Action != w.action {
			t.Errorf("result %d = %+v, want %d leaf=%v %s", i, got[i], w.rev, w.leaf, w.action)
		}
	}
}

// A cached ID is looked up in a table over the catalog's span of revision
// IDs, or in a map when a catalog spans too many. Either way an ID just
// outside the catalog or in a gap between its IDs, negative or huge, is
// out of scope, and every ID the catalog holds is found: a catalog widened
// by one far-away revision, nobody's approval, answers exactly as the
// built-in one.
func TestCachedIDsOutsideTheCatalogAreOutOfScope(t *testing.T) {
	s, err := scenarios.Builtin("sp1-kb954960")
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := s.Catalog[0].RevisionID, s.Catalog[0].RevisionID
	var known []int
	for _, r := range s.Catalog {
		lo, hi = min(lo, r.RevisionID), max(hi, r.RevisionID)
		known = append(known, r.RevisionID)
	}
	narrow := mustWorld(t, "sp1-kb954960")
	far := s.Catalog[len(s.Catalog)-1]
	far.RevisionID, far.UpdateID = hi+10_000_000, "00000000-0000-4000-8000-00000000f00d"
	far.Prerequisites, far.Categories, far.BundledUpdates = nil, nil, nil
	s.Catalog = append(s.Catalog, far)
	wide, err := scenarios.NewWorld(s)
	if err != nil {
		t.Fatal(err)
	}

	unknown := []int{lo - 1, hi + 1, 0, -1, -lo, 1 << 40, hi + 10_000_001}
	for id := lo; id < hi; id++ {
		if !slices.Contains(known, id) {
			unknown = append(unknown, id) // a gap between the catalog's IDs
			break
		}
	}
	req := scenarios.SyncRequest{
		InstalledNonLeaf: []int{8001, 8003, 8010, 8011, 8002, 8004},
		OtherCached:      append(slices.Clone(unknown), lo, hi),
		ClientProtocol:   "1.6",
	}
	for name, w := range map[string]*scenarios.World{"catalog": narrow, "widened catalog": wide} {
		res, err := w.Sync(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, id := range unknown {
			if !slices.Contains(res.OutOfScopeRevisionIDs, id) {
				t.Errorf("%s: cached ID %d, unknown, is not in OutOfScopeRevisionIDs %v", name, id, res.OutOfScopeRevisionIDs)
			}
		}
		_, outOfScope := w.ExtendedInfo(append(slices.Clone(known), unknown...), []string{scenarios.FragmentCore}, []string{"en"})
		if !slices.Equal(outOfScope, unknown) {
			t.Errorf("%s: GetExtendedUpdateInfo out of scope %v, want %v", name, outOfScope, unknown)
		}
	}
	// IDs at the ends of int, which no scenario file allows but a Scenario
	// built in Go may hold, span more than any table.
	s.Catalog = s.Catalog[:len(s.Catalog)-1]
	for i, id := range []int{math.MinInt, math.MaxInt} {
		r := far
		r.RevisionID, r.UpdateID = id, fmt.Sprintf("00000000-0000-4000-8000-00000000e00%d", i)
		s.Catalog = append(s.Catalog, r)
	}
	extreme, err := scenarios.NewWorld(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, outOfScope := extreme.ExtendedInfo([]int{math.MinInt, 0, math.MaxInt}, []string{scenarios.FragmentCore}, []string{"en"}); !slices.Equal(outOfScope, []int{0}) {
		t.Errorf("a catalog holding the ends of int: out of scope %v, want [0]", outOfScope)
	}

	a, _ := narrow.Sync(req)
	b, _ := wide.Sync(req)
	if !slices.Equal(a.OutOfScopeRevisionIDs, b.OutOfScopeRevisionIDs) || !slices.Equal(ids(a.NewUpdates), ids(b.NewUpdates)) {
		t.Errorf("the widened catalog answers %v new, %v out of scope; the catalog %v, %v",
			ids(b.NewUpdates), b.OutOfScopeRevisionIDs, ids(a.NewUpdates), a.OutOfScopeRevisionIDs)
	}
}
