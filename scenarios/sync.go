package scenarios

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/wusp"
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
	// NeedTwoGroupOutOfScopeUpdates is the parameter of that name, which
	// asks a 3.2 server for DeployedOutOfScopeRevisionIDs.
	NeedTwoGroupOutOfScopeUpdates bool
}

// SyncResult is the SyncInfo of MS-WUSP §2.2.2.2.4 without the cookie.
type SyncResult struct {
	NewUpdates            []wusp.UpdateInfo
	ChangedUpdates        []wusp.UpdateInfo
	OutOfScopeRevisionIDs []int
	Truncated             bool
	// MaxLastChange is the newest deployment LastChangeTime of what the
	// client now has; the server stores it in the NewCookie and passes it
	// back as SyncRequest.Since.
	MaxLastChange time.Time
	// DeployedOutOfScopeRevisionIDs and DriverSyncNotNeeded are set only by
	// a build of ProtocolVersion 3.2 or later, for a client of protocol 1.7
	// or later (see wusp.SyncInfo).
	DeployedOutOfScopeRevisionIDs []int
	DriverSyncNotNeeded           string
}

// v18Fields are the Deployment fields MS-WUSP §2.2.2.2.4 reserves for
// clients of protocol 1.8 and later: they MUST NOT be sent below it and
// MUST be "0" when sent.
func v18Fields(d wusp.Deployment, clientProtocol string) wusp.Deployment {
	v := ""
	if wusp.ProtocolAtLeast(clientProtocol, 1, 8) {
		v = "0"
	}
	d.AutoSelect, d.AutoDownload, d.SupersedenceBehavior, d.FlagBitmask = v, v, v, v
	return d
}

// with32 adds to res what a server of ProtocolVersion 3.2 (WSUS 3.0 SP2)
// sends a client of protocol 1.7 or later (MS-WUSP §2.2.2.2.4):
// DriverSyncNotNeeded, "true" since the catalog holds no drivers; and, when
// the client asked for them, DeployedOutOfScopeRevisionIDs, empty since no
// sync is narrowed by category here, so a cached revision out of scope is
// one no longer deployed and is in OutOfScopeRevisionIDs.
func (w *World) with32(req SyncRequest, res SyncResult) SyncResult {
	if !wusp.ProtocolAtLeast(w.scenario.Build.ProtocolVersion, 3, 2) || !wusp.ProtocolAtLeast(req.ClientProtocol, 1, 7) {
		return res
	}
	res.DriverSyncNotNeeded = "true"
	if req.NeedTwoGroupOutOfScopeUpdates {
		res.DeployedOutOfScopeRevisionIDs = []int{}
	}
	return res
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
		return w.with32(req, res), nil
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

	// Cached IDs the catalog does not hold are out of scope; they are only
	// counted here and gathered once the call has not failed, so the
	// KB954960 fault allocates nothing for them.
	unknown := 0
	for _, id := range req.InstalledNonLeaf {
		if i, ok := w.position(id); ok {
			installed.set(i)
			cached.set(i)
		} else {
			unknown++
		}
	}
	for _, id := range req.OtherCached {
		if i, ok := w.position(id); ok {
			cached.set(i)
		} else {
			unknown++
		}
	}

	v18 := wusp.ProtocolAtLeast(req.ClientProtocol, 1, 8)
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
		switch {
		case !cached.has(e.rev):
			if len(res.NewUpdates) >= limit {
				res.Truncated = true
				continue
			}
			res.NewUpdates = append(res.NewUpdates, e.info(w, v18))
		case e.lastChange.After(req.Since):
			res.ChangedUpdates = append(res.ChangedUpdates, e.info(w, v18))
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
	if unknown > 0 {
		res.OutOfScopeRevisionIDs = slices.Grow(res.OutOfScopeRevisionIDs, unknown)
		for _, ids := range [...][]int{req.InstalledNonLeaf, req.OtherCached} {
			for _, id := range ids {
				if _, ok := w.position(id); !ok {
					res.OutOfScopeRevisionIDs = append(res.OutOfScopeRevisionIDs, id)
				}
			}
		}
	}
	if len(res.OutOfScopeRevisionIDs) > 1 {
		slices.Sort(res.OutOfScopeRevisionIDs)
		res.OutOfScopeRevisionIDs = slices.Compact(res.OutOfScopeRevisionIDs)
	}
	return w.with32(req, res), nil
}

// Refresh maps the identities a client holds back to this server's
// revision IDs after ServerChanged or InvalidCookie (MS-WUSP §3.1.5.8).
// Identities the catalog does not hold at that revision number are left
// out. A revision not deployed to the groups carries an Evaluate deployment.
func (w *World) Refresh(ids []wusp.UpdateIdentity, groups []string, clientProtocol string) []wusp.RefreshCacheResult {
	p := w.planFor(groups)
	var out []wusp.RefreshCacheResult
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
		out = append(out, wusp.RefreshCacheResult{
			RevisionID: r.RevisionID,
			GlobalID:   wusp.UpdateIdentity{UpdateID: r.UpdateID, RevisionNumber: r.RevisionNumber},
			IsLeaf:     r.isLeaf,
			Deployment: v18Fields(d, clientProtocol),
		})
	}
	return out
}

// ExtendedInfo answers GetExtendedUpdateInfo: one UpdateData per known
// revision ID and requested fragment type the mock serves (Core, Extended,
// LocalizedProperties), grouped by type in request order (every revision's
// Extended fragment, then every revision's LocalizedProperties), as real
// WSUS replies group them; unknown revision IDs come back in outOfScope.
// English is the only language in the catalog and is served whatever the
// locales ask for, as WSUS falls back to it. The fragments are rendered
// once per World, so a reply copies them.
func (w *World) ExtendedInfo(revisionIDs []int, fragmentTypes []string, locales []string) (updates []wusp.UpdateData, outOfScope []int) {
	_ = locales
	known := make([]int32, 0, len(revisionIDs))
	for _, id := range revisionIDs {
		if i, ok := w.position(id); ok {
			known = append(known, i)
		} else {
			outOfScope = append(outOfScope, id)
		}
	}
	for _, t := range fragmentTypes {
		for _, i := range known {
			r := &w.revs[i]
			switch t {
			case FragmentCore:
				updates = append(updates, r.fragments[0])
			case FragmentExtended:
				updates = append(updates, r.fragments[1])
			case FragmentLocalizedProperties:
				updates = append(updates, r.fragments[2])
			}
		}
	}
	return updates, outOfScope
}
