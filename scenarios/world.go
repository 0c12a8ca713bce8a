package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/wusp"
)

// implicitDeploymentBase offsets the IDs of the deployments the server
// makes up for revisions it sends only as dependencies (Action Evaluate) or
// bundle members (Action Bundle): their ID is implicitDeploymentBase plus
// the revision ID. Scenario files keep their deployment IDs below it.
const implicitDeploymentBase = 1_000_000

// World is the immutable, compiled snapshot of a scenario that the server
// reads on every request. NewWorld builds every index and XML fragment once;
// nothing is mutated afterwards, so any number of goroutines may call its
// methods, and the remediation methods return a new World instead of
// changing this one (a server swaps the pointer atomically).
type World struct {
	scenario *Scenario
	revs     []compiledRevision // walk order: non-leaf first, then by revision ID
	index    map[int]int32      // revision ID → position in revs
	// dense is index as a table over the catalog's span of revision IDs,
	// from denseLo: entry id-denseLo holds the position plus one, 0 where
	// no revision has that ID. SyncUpdates looks up every ID a client has
	// cached, mostly IDs the catalog lacks, and a table answers those with
	// a bounds check. Nil when the span is too wide for one (maxDenseSpan).
	dense    []int32
	denseLo  int
	byUpdate map[string]int32 // UpdateID → position in revs
	groups   map[string]int   // lower-case group name → index in scenario.TargetGroups
	// plans[g] serves clients in {All Computers, TargetGroups[g]};
	// plans[0] serves All Computers alone. Other group sets are planned
	// per request.
	plans            []*plan
	nextDeploymentID int
}

type compiledRevision struct {
	Revision
	isLeaf     bool
	required   []int32 // positions that must all be installed
	categories []int32 // positions of which at least one must be installed
	core       string
	// fragments are the revision's Core, Extended and LocalizedProperties
	// UpdateData, rendered once (wusp.UpdateData.CacheEncoding).
	fragments [3]wusp.UpdateData
}

// plan is the answer to "what is deployed to this set of groups": every
// revision that is approved or pulled in as a dependency, in walk order,
// with its effective deployment. Only the prerequisite check is left for
// request time.
type plan struct {
	entries []planEntry
	at      []int32 // position in revs → index in entries, or -1
}

type planEntry struct {
	rev int32
	// duplicate marks a revision with two or more deployment rows in one of
	// the plan's groups: the input on which GetSyncInfo's Hashtable.Add threw.
	duplicate  bool
	lastChange time.Time
	deployment wusp.Deployment
	// infos are the entry's UpdateInfo for clients below protocol 1.8 and
	// for 1.8 and later, rendered once for the plans NewWorld builds; nil
	// for plans made per request.
	infos *[2]wusp.UpdateInfo
}

// info is the entry's UpdateInfo for a client below protocol 1.8 or not.
func (e *planEntry) info(w *World, v18 bool) wusp.UpdateInfo {
	i := 0
	if v18 {
		i = 1
	}
	if e.infos != nil {
		return e.infos[i]
	}
	return e.makeInfos(w)[i]
}

func (e *planEntry) makeInfos(w *World) [2]wusp.UpdateInfo {
	r := &w.revs[e.rev]
	var out [2]wusp.UpdateInfo
	for i, protocol := range []string{"1.0", "1.8"} {
		out[i] = wusp.UpdateInfo{ID: r.RevisionID, Deployment: v18Fields(e.deployment, protocol), IsLeaf: r.isLeaf, Xml: r.core}
	}
	return out
}

// NewWorld validates s and compiles it. The World keeps its own copy of s.
func NewWorld(s *Scenario) (*World, error) {
	if s == nil {
		return nil, fmt.Errorf("scenarios: nil scenario")
	}
	s = s.clone()
	w := &World{
		scenario: s,
		index:    make(map[int]int32, len(s.Catalog)),
		byUpdate: make(map[string]int32, len(s.Catalog)),
		groups:   make(map[string]int, len(s.TargetGroups)),
	}
	if s.Build.MaxNewUpdatesPerSync <= 0 {
		return nil, fmt.Errorf("scenario %s: build %s: MaxNewUpdatesPerSync must be positive", s.Name, s.Build.ID)
	}
	if len(s.TargetGroups) == 0 || s.TargetGroups[0] != AllComputers {
		s.TargetGroups = append([]string{AllComputers}, s.TargetGroups...)
	}
	for i, g := range s.TargetGroups {
		if _, dup := w.groups[strings.ToLower(g)]; dup {
			return nil, fmt.Errorf("scenario %s: duplicate target group %q", s.Name, g)
		}
		w.groups[strings.ToLower(g)] = i
	}

	byID := make(map[int]Revision, len(s.Catalog))
	prereqOf := map[int]bool{}
	for _, r := range s.Catalog {
		if _, dup := byID[r.RevisionID]; dup {
			return nil, fmt.Errorf("scenario %s: duplicate revision ID %d", s.Name, r.RevisionID)
		}
		byID[r.RevisionID] = r
		for _, p := range r.Prerequisites {
			prereqOf[p] = true
		}
	}
	for _, r := range s.Catalog {
		for _, ref := range [][]int{r.Prerequisites, r.Categories, r.BundledUpdates} {
			for _, id := range ref {
				if _, ok := byID[id]; !ok {
					return nil, fmt.Errorf("scenario %s: revision %d refers to unknown revision %d", s.Name, r.RevisionID, id)
				}
			}
		}
	}
	// MS-WUSP: categories and detectoids are non-leaf, and so is any
	// revision another one names as a prerequisite.
	for _, r := range s.Catalog {
		c := compiledRevision{
			Revision: r,
			isLeaf:   !r.IsNonLeafType() && !prereqOf[r.RevisionID],
			core:     coreFragment(r, byID),
		}
		c.fragments = [3]wusp.UpdateData{
			{ID: r.RevisionID, Xml: c.core},
			{ID: r.RevisionID, Xml: extendedFragment(r)},
			{ID: r.RevisionID, Xml: localizedFragment(r)},
		}
		for i := range c.fragments {
			c.fragments[i].CacheEncoding()
		}
		w.revs = append(w.revs, c)
	}
	sort.Slice(w.revs, func(i, j int) bool {
		if w.revs[i].isLeaf != w.revs[j].isLeaf {
			return !w.revs[i].isLeaf
		}
		return w.revs[i].RevisionID < w.revs[j].RevisionID
	})
	for i, r := range w.revs {
		w.index[r.RevisionID] = int32(i)
		if _, dup := w.byUpdate[r.UpdateID]; dup {
			return nil, fmt.Errorf("scenario %s: two revisions of update %s", s.Name, r.UpdateID)
		}
		w.byUpdate[r.UpdateID] = int32(i)
	}
	w.dense, w.denseLo = denseIndex(w.revs)
	for i := range w.revs {
		r := &w.revs[i]
		for _, id := range r.Prerequisites {
			r.required = append(r.required, w.index[id])
		}
		for _, id := range r.Categories {
			r.categories = append(r.categories, w.index[id])
		}
	}

	for i, d := range s.Approvals {
		if _, ok := w.index[d.RevisionID]; !ok {
			return nil, fmt.Errorf("scenario %s: approval %d: unknown revision %d", s.Name, d.DeploymentID, d.RevisionID)
		}
		g, ok := w.groups[strings.ToLower(d.Group)]
		if !ok {
			return nil, fmt.Errorf("scenario %s: approval %d: unknown target group %q", s.Name, d.DeploymentID, d.Group)
		}
		s.Approvals[i].Group = s.TargetGroups[g]
		if d.DeploymentID <= 0 || d.DeploymentID >= implicitDeploymentBase {
			return nil, fmt.Errorf("scenario %s: deployment ID %d out of range 1..%d", s.Name, d.DeploymentID, implicitDeploymentBase-1)
		}
		w.nextDeploymentID = max(w.nextDeploymentID, d.DeploymentID)
	}
	w.nextDeploymentID++

	w.plans = make([]*plan, len(s.TargetGroups))
	w.plans[0] = w.buildPlan([]int{0})
	for g := 1; g < len(s.TargetGroups); g++ {
		w.plans[g] = w.buildPlan([]int{0, g})
	}
	// The plans every client uses carry their UpdateInfo ready-made, so a
	// SyncUpdates reply copies it instead of encoding it.
	for _, p := range w.plans {
		for k := range p.entries {
			e := &p.entries[k]
			infos := e.makeInfos(w)
			for i := range infos {
				infos[i].CacheEncoding()
			}
			e.infos = &infos
		}
	}
	return w, nil
}

// maxDenseSpan bounds the span of revision IDs World.dense covers: a
// table of at most 256 KiB. Scenario catalogs span a few thousand IDs.
const maxDenseSpan = 1 << 16

// denseIndex builds World.dense over revs, or returns nil when their IDs
// span more than maxDenseSpan.
func denseIndex(revs []compiledRevision) (dense []int32, lo int) {
	if len(revs) == 0 {
		return nil, 0
	}
	lo, hi := revs[0].RevisionID, revs[0].RevisionID
	for _, r := range revs {
		lo, hi = min(lo, r.RevisionID), max(hi, r.RevisionID)
	}
	// Unsigned, so that IDs far apart (a Scenario built in Go need not
	// keep them positive) cannot overflow into a small span.
	if uint64(hi)-uint64(lo) >= maxDenseSpan {
		return nil, 0
	}
	dense = make([]int32, hi-lo+1)
	for i, r := range revs {
		dense[r.RevisionID-lo] = int32(i) + 1
	}
	return dense, lo
}

// position is the position in revs of the revision with the ID, if the
// catalog holds it.
func (w *World) position(revisionID int) (int32, bool) {
	if w.dense == nil {
		i, ok := w.index[revisionID]
		return i, ok
	}
	// Unsigned, so that an ID below denseLo is out of range too.
	if k := uint(revisionID - w.denseLo); k < uint(len(w.dense)) {
		if p := w.dense[k]; p != 0 {
			return p - 1, true
		}
	}
	return 0, false
}

// Scenario returns a copy of the scenario the World was built from,
// including every remediation applied since.
func (w *World) Scenario() *Scenario { return w.scenario.clone() }

// Build returns the server build persona.
func (w *World) Build() Build {
	b := w.scenario.Build
	b.Hotfixes = append([]string(nil), b.Hotfixes...)
	b.Headers = append([]Header(nil), b.Headers...)
	return b
}

// LastChange is the configuration LastChange that GetConfig reports.
func (w *World) LastChange() time.Time { return w.scenario.ConfigLastChange }

// Revision returns the catalog revision with the given revision ID and
// whether MS-WUSP treats it as a leaf.
func (w *World) Revision(revisionID int) (r Revision, isLeaf bool, ok bool) {
	i, ok := w.index[revisionID]
	if !ok {
		return Revision{}, false, false
	}
	return w.revs[i].Revision.clone(), w.revs[i].isLeaf, true
}

// role orders how a revision entered a plan; higher wins.
type role uint8

const (
	roleNone role = iota
	roleEvaluate
	roleBundle
	roleDeployed
)

// actionRank orders deployment rows when one revision has several in the
// client's groups: WSUS's group precedence lets Install win over Uninstall.
func actionRank(a string) int {
	switch a {
	case ActionInstall:
		return 5
	case ActionUninstall:
		return 4
	case ActionPreDeploymentCheck:
		return 3
	case ActionBundle:
		return 2
	}
	return 1
}

// buildPlan computes the deployed revisions for a set of groups (indexes
// into TargetGroups): NeededRevisions of MS-WUSP §3.1.5.7 step 3 before the
// prerequisite restriction.
func (w *World) buildPlan(groups []int) *plan {
	n := len(w.revs)
	rows := make([][]DeploymentRow, n)
	duplicate := make([]bool, n)
	for _, g := range groups {
		perRev := map[int32]int{}
		for _, d := range w.scenario.Approvals {
			if d.Group != w.scenario.TargetGroups[g] {
				continue
			}
			i := w.index[d.RevisionID]
			rows[i] = append(rows[i], d)
			perRev[i]++
			if perRev[i] > 1 {
				duplicate[i] = true
			}
		}
	}

	roles := make([]role, n)
	var work []int32
	for i := range rows {
		if len(rows[i]) > 0 {
			roles[i] = roleDeployed
			work = append(work, int32(i))
		}
	}
	// bundledBy[i] lists the plan members that bundle revision i.
	bundledBy := make([][]int32, n)
	for len(work) > 0 {
		i := work[len(work)-1]
		work = work[:len(work)-1]
		r := &w.revs[i]
		for _, deps := range [][]int32{r.required, r.categories} {
			for _, d := range deps {
				if roles[d] < roleEvaluate {
					roles[d] = roleEvaluate
					work = append(work, d)
				}
			}
		}
		for _, id := range r.BundledUpdates {
			d := w.index[id]
			bundledBy[d] = append(bundledBy[d], i)
			if roles[d] < roleBundle {
				roles[d] = roleBundle
				work = append(work, d)
			}
		}
	}

	p := &plan{at: make([]int32, n)}
	lastChange := make([]time.Time, n)
	resolved := make([]bool, n)
	var resolve func(i int32, depth int) time.Time
	resolve = func(i int32, depth int) time.Time {
		if resolved[i] || depth > n {
			return lastChange[i]
		}
		resolved[i] = true
		switch roles[i] {
		case roleDeployed:
			lastChange[i] = pickRow(rows[i]).LastChange
		case roleBundle:
			// A bundle member changes when its bundle's approval does.
			for _, parent := range bundledBy[i] {
				if t := resolve(parent, depth+1); t.After(lastChange[i]) {
					lastChange[i] = t
				}
			}
		default:
			lastChange[i] = w.revs[i].Published
		}
		return lastChange[i]
	}
	for i := range w.revs {
		p.at[i] = -1
		if roles[i] == roleNone {
			continue
		}
		e := planEntry{rev: int32(i), duplicate: duplicate[i], lastChange: resolve(int32(i), 0)}
		switch roles[i] {
		case roleDeployed:
			d := pickRow(rows[i])
			e.deployment = wusp.Deployment{
				ID: d.DeploymentID, Action: d.Action, Deadline: d.Deadline, IsAssigned: d.IsAssigned,
				DownloadPriority: d.DownloadPriority,
			}
		case roleBundle:
			e.deployment = w.implicitDeployment(int32(i), ActionBundle)
		default:
			e.deployment = w.implicitDeployment(int32(i), ActionEvaluate)
		}
		e.deployment.LastChangeTime = e.lastChange.Format("2006-01-02")
		p.at[i] = int32(len(p.entries))
		p.entries = append(p.entries, e)
	}
	return p
}

func (w *World) implicitDeployment(i int32, action string) wusp.Deployment {
	return wusp.Deployment{
		ID:             implicitDeploymentBase + w.revs[i].RevisionID,
		Action:         action,
		IsAssigned:     true,
		LastChangeTime: w.revs[i].Published.Format("2006-01-02"),
	}
}

// pickRow chooses the effective row among several for one revision: the
// highest-ranked action, then the newest LastChange, then the highest
// deployment ID. Fixed builds use the same rule to tolerate the duplicate
// rows of advisory 954960, so they serve the newest approval.
func pickRow(rows []DeploymentRow) DeploymentRow {
	best := rows[0]
	for _, d := range rows[1:] {
		switch {
		case actionRank(d.Action) != actionRank(best.Action):
			if actionRank(d.Action) > actionRank(best.Action) {
				best = d
			}
		case !d.LastChange.Equal(best.LastChange):
			if d.LastChange.After(best.LastChange) {
				best = d
			}
		case d.DeploymentID > best.DeploymentID:
			best = d
		}
	}
	return best
}

// planFor returns the plan for a client's target groups. All Computers
// always applies; unknown group names are ignored, as a group deleted on
// the server simply has no approvals.
func (w *World) planFor(names []string) *plan {
	var extra []int
	for _, name := range names {
		if strings.EqualFold(name, AllComputers) {
			continue // every client's group: no lower-casing on the hot path
		}
		g, ok := w.groups[strings.ToLower(name)]
		if !ok || g == 0 {
			continue
		}
		seen := false
		for _, e := range extra {
			seen = seen || e == g
		}
		if !seen {
			extra = append(extra, g)
		}
	}
	switch len(extra) {
	case 0:
		return w.plans[0]
	case 1:
		return w.plans[extra[0]]
	}
	sort.Ints(extra)
	return w.buildPlan(append([]int{0}, extra...))
}
