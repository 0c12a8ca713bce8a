package scenarios

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// SyncRequest is what SyncUpdates needs from the request and the cookie.
type SyncRequest struct {
	// TargetGroups come from the cookie; All Computers always applies.
	TargetGroups []string
	// InstalledNonLeaf is SyncUpdateParameters/InstalledNonLeafUpdateIDs.
	InstalledNonLeaf []int
	// OtherCached is SyncUpdateParameters/OtherCachedUpdateIDs.
	OtherCached []int
	// ClientProtocol is the client's protocol version ("1.0", "1.6", …).
	// Deployment fields MS-WUSP reserves for 1.8 are left empty below it.
	ClientProtocol string
	// Since is the cookie's stored maximum LastChangeTime (zero on the
	// first sync).
	Since time.Time
	// SkipSoftwareSync marks the driver pass; the catalog has no drivers.
	SkipSoftwareSync bool
}

// SyncResult is the SyncInfo of MS-WUSP §2.2.2.2.4 without the cookie.
type SyncResult struct {
	NewUpdates            []UpdateInfo
	ChangedUpdates        []UpdateInfo
	OutOfScopeRevisionIDs []int
	Truncated             bool
	// MaxLastChange is the newest deployment LastChangeTime of what the
	// client now has; the server stores it in the NewCookie and passes it
	// back as SyncRequest.Since.
	MaxLastChange time.Time
}

// UpdateInfo is one revision in NewUpdates or ChangedUpdates.
type UpdateInfo struct {
	RevisionID int
	Deployment Deployment
	IsLeaf     bool
	Xml        string // the Core fragment, unescaped text
}

// Deployment is the Deployment element (MS-WUSP §2.2.2.2.4). Empty strings
// are meant to be omitted on the wire.
type Deployment struct {
	ID               int
	Action           string // Install, Bundle, Evaluate, Uninstall, PreDeploymentCheck
	Deadline         string
	IsAssigned       bool
	LastChangeTime   string // YYYY-MM-DD
	DownloadPriority string
	// AutoSelect, AutoDownload, SupersedenceBehavior and FlagBitmask MUST NOT
	// be sent to clients below protocol 1.8 and MUST be "0" when sent.
	AutoSelect           string
	AutoDownload         string
	SupersedenceBehavior string
	FlagBitmask          string
}

// ForProtocol returns d with the 1.8-only fields set to "0" when
// clientProtocol is 1.8 or later, and cleared otherwise (MS-WUSP §2.2.2.2.4).
func (d Deployment) ForProtocol(clientProtocol string) Deployment {
	v := ""
	if protocolAtLeast(clientProtocol, 1, 8) {
		v = "0"
	}
	d.AutoSelect, d.AutoDownload, d.SupersedenceBehavior, d.FlagBitmask = v, v, v, v
	return d
}

// protocolAtLeast compares a "major.minor" version numerically; anything
// unparsable counts as 1.0, the oldest client.
func protocolAtLeast(v string, major, minor int) bool {
	ma, mi, _ := strings.Cut(v, ".")
	a, err1 := strconv.Atoi(ma)
	b, err2 := strconv.Atoi(mi)
	if err1 != nil || (mi != "" && err2 != nil) {
		return false
	}
	return a > major || (a == major && b >= minor)
}

// DuplicateKeyError is what GetSyncInfo's Hashtable.Add threw on WSUS 3.0
// RTM and SP1 when one needed revision had two deployment rows (advisory
// 954960). The server answers it with ErrorCode InternalServerError and logs
// it as System.ArgumentException.
type DuplicateKeyError struct {
	Key int // the revision ID, 8862 in the advisory
}

// Error renders the .NET message exactly, including its two spaces
// (docs/protocol-facts.md §0 S17).
func (e *DuplicateKeyError) Error() string {
	k := strconv.Itoa(e.Key)
	return "Item has already been added. Key in dictionary: '" + k + "'  Key being added: '" + k + "'"
}

// bits is a set of positions in World.revs.
type bits []uint64

func (b bits) set(i int32)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bits) has(i int32) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }

func (r *compiledRevision) satisfied(installed bits) bool {
	for _, p := range r.required {
		if !installed.has(p) {
			return false
		}
	}
	if len(r.categories) == 0 {
		return true
	}
	for _, c := range r.categories {
		if installed.has(c) {
			return true
		}
	}
	return false
}

// Sync computes SyncUpdates for one client (MS-WUSP §3.1.5.7; docs/protocol-facts.md
// §1.7 "Server processing of SyncUpdates"):
//
//   - Needed: the revisions deployed to the client's groups plus their
//     prerequisite and bundle dependencies, keeping those whose
//     prerequisites are all in InstalledNonLeaf. With nothing installed that
//     leaves the root categories and detectoids.
//   - Cached: InstalledNonLeaf ∪ OtherCached.
//   - NewUpdates: Needed − Cached, non-leaf first, then by revision ID, at
//     most Build.MaxNewUpdatesPerSync of them (then Truncated is set).
//   - OutOfScopeRevisionIDs: Cached − Needed, ascending.
//   - ChangedUpdates: Needed ∩ Cached whose deployment changed after Since.
//
// On a build with DuplicateKeyDefect, a needed revision with two deployment
// rows in one of the client's groups fails the whole call with
// *DuplicateKeyError, as GetSyncInfo did; fixed builds serve the row pickRow
// chooses (the newest approval).
func (w *World) Sync(req SyncRequest) (SyncResult, error) {
	res := SyncResult{MaxLastChange: req.Since}
	if req.SkipSoftwareSync {
		return res, nil
	}
	p := w.planFor(req.TargetGroups)
	words := (len(w.revs) + 63) / 64
	var buf [12]uint64
	var all []uint64
	if 3*words <= len(buf) {
		all = buf[:3*words]
	} else {
		all = make([]uint64, 3*words)
	}
	installed, cached, needed := bits(all[:words]), bits(all[words:2*words]), bits(all[2*words:])

	var unknown []int
	for _, id := range req.InstalledNonLeaf {
		if i, ok := w.index[id]; ok {
			installed.set(i)
			cached.set(i)
		} else {
			unknown = append(unknown, id)
		}
	}
	for _, id := range req.OtherCached {
		if i, ok := w.index[id]; ok {
			cached.set(i)
		} else {
			unknown = append(unknown, id)
		}
	}

	v18 := protocolAtLeast(req.ClientProtocol, 1, 8)
	limit := w.scenario.Build.MaxNewUpdatesPerSync
	for k := range p.entries {
		e := &p.entries[k]
		r := &w.revs[e.rev]
		if !r.satisfied(installed) {
			continue
		}
		// GetSyncInfo: deploymentTable.Add(revisionID, row) for every row.
		if e.duplicate && w.scenario.Build.DuplicateKeyDefect {
			return SyncResult{}, &DuplicateKeyError{Key: r.RevisionID}
		}
		needed.set(e.rev)
		info := func() UpdateInfo {
			d := e.deployment
			if v18 {
				d.AutoSelect, d.AutoDownload, d.SupersedenceBehavior, d.FlagBitmask = "0", "0", "0", "0"
			}
			return UpdateInfo{RevisionID: r.RevisionID, Deployment: d, IsLeaf: r.isLeaf, Xml: r.core}
		}
		switch {
		case !cached.has(e.rev):
			if len(res.NewUpdates) >= limit {
				res.Truncated = true
				continue
			}
			res.NewUpdates = append(res.NewUpdates, info())
		case e.lastChange.After(req.Since):
			res.ChangedUpdates = append(res.ChangedUpdates, info())
		}
		if e.lastChange.After(res.MaxLastChange) {
			res.MaxLastChange = e.lastChange
		}
	}

	for i := range w.revs {
		if cached.has(int32(i)) && !needed.has(int32(i)) {
			res.OutOfScopeRevisionIDs = append(res.OutOfScopeRevisionIDs, w.revs[i].RevisionID)
		}
	}
	if len(unknown) > 0 {
		res.OutOfScopeRevisionIDs = append(res.OutOfScopeRevisionIDs, unknown...)
	}
	if len(res.OutOfScopeRevisionIDs) > 1 {
		slices.Sort(res.OutOfScopeRevisionIDs)
		res.OutOfScopeRevisionIDs = slices.Compact(res.OutOfScopeRevisionIDs)
	}
	return res, nil
}

// UpdateIdentity names a revision globally (MS-WUSP UpdateIdentity).
type UpdateIdentity struct {
	UpdateID       string
	RevisionNumber int
}

// RefreshResult is one RefreshCacheResult (MS-WUSP §2.2.2.2.5).
type RefreshResult struct {
	RevisionID int
	Identity   UpdateIdentity
	IsLeaf     bool
	// Deployment carries no 1.8-only fields; apply Deployment.ForProtocol.
	Deployment Deployment
}

// Refresh maps the identities a client holds back to this server's
// revision IDs after ServerChanged or InvalidCookie (MS-WUSP §3.1.5.8).
// Identities the catalog does not hold at that revision number are left
// out. A revision not deployed to the groups carries an Evaluate deployment.
func (w *World) Refresh(ids []UpdateIdentity, groups []string) []RefreshResult {
	p := w.planFor(groups)
	var out []RefreshResult
	for _, id := range ids {
		i, ok := w.byUpdate[strings.ToLower(id.UpdateID)]
		if !ok || w.revs[i].RevisionNumber != id.RevisionNumber {
			continue
		}
		r := &w.revs[i]
		d := w.implicitDeployment(i, ActionEvaluate)
		if k := p.at[i]; k >= 0 {
			d = p.entries[k].deployment
		}
		out = append(out, RefreshResult{
			RevisionID: r.RevisionID,
			Identity:   UpdateIdentity{UpdateID: r.UpdateID, RevisionNumber: r.RevisionNumber},
			IsLeaf:     r.isLeaf,
			Deployment: d,
		})
	}
	return out
}

// UpdateData is one Update of GetExtendedUpdateInfo (MS-WUSP §2.2.2.2.6).
type UpdateData struct {
	RevisionID int
	Xml        string
}

// ExtendedInfo answers GetExtendedUpdateInfo: one UpdateData per known
// revision ID and requested fragment type the mock serves (Core, Extended,
// LocalizedProperties), grouped by type in request order (every revision's
// Extended fragment, then every revision's LocalizedProperties), as real
// WSUS replies group them; unknown revision IDs come back in outOfScope.
// English is the only language in the catalog and is served whatever the
// locales ask for, as WSUS falls back to it.
func (w *World) ExtendedInfo(revisionIDs []int, fragmentTypes []string, locales []string) (updates []UpdateData, outOfScope []int) {
	_ = locales
	known := make([]int, 0, len(revisionIDs))
	for _, id := range revisionIDs {
		if _, ok := w.index[id]; ok {
			known = append(known, id)
		} else {
			outOfScope = append(outOfScope, id)
		}
	}
	for _, t := range fragmentTypes {
		for _, id := range known {
			r := &w.revs[w.index[id]]
			switch t {
			case FragmentCore:
				updates = append(updates, UpdateData{RevisionID: id, Xml: r.core})
			case FragmentExtended:
				updates = append(updates, UpdateData{RevisionID: id, Xml: r.extended})
			case FragmentLocalizedProperties:
				updates = append(updates, UpdateData{RevisionID: id, Xml: r.localized})
			}
		}
	}
	return updates, outOfScope
}
