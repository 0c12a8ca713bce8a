// Package scenarios is the server's world: the WSUS build persona, the
// update catalog, target groups and their approvals (deployment rows), the
// SyncUpdates computation of MS-WUSP §3.1.5.7 with the duplicate-key defect
// of WSUS 3.0 RTM and SP1 (Security Advisory 954960), and the remediations
// (KB954960, approve/decline). It knows nothing of HTTP or SOAP envelopes;
// it does produce the XML text fragments a revision carries (Core in
// UpdateInfo/Xml, Extended and LocalizedProperties for
// GetExtendedUpdateInfo). Its results are wusp's wire types (UpdateInfo,
// Deployment, UpdateData, RefreshCacheResult), and a World renders each
// revision's elements once, so a server's replies copy them.
//
// A scenario is a YAML file (fixtures/scenarios/*.yaml, or a user file):
//
//	name: excel-duplicate
//	description: two deployment rows for KB943985 (8871)
//	build: wsus30-sp1            # wsus30-rtm, wsus30-sp1, wsus30-sp1-kb954960, wsus30-sp2
//	fault: {http_status: 200, fault_string: Fault occurred}
//	target_groups: [All Computers, Workstations]
//	approvals:
//	  - {deployment_id: 1, revision_id: 8871, group: All Computers, action: Install, last_change: 2008-03-12}
//	  - {deployment_id: 2, revision_id: 8871, group: All Computers, action: Install, last_change: 2008-06-10}
//
// Every scenario uses the shared catalog fixtures/scenarios/catalog.yaml
// (docs/catalog.md describes it) and may add revisions of its own under
// `revisions:`. An optional `declined:` list
// ({revision_id: 8862, group: All Computers, at: 2008-06-12}) starts
// updates as Declined; rows left for them in approvals are stale rows the
// console no longer shows but GetSyncInfo still reads. Errors read
// "FILE:LINE: cause".
//
// NewWorld compiles a Scenario into an immutable *World that any number of
// requests read at once; InstallHotfix, Approve and Decline return a new
// World, so a server swaps one pointer:
//
//	s, _ := scenarios.Builtin(scenarios.DefaultScenario)
//	w, _ := scenarios.NewWorld(s)
//	res, err := w.Sync(scenarios.SyncRequest{InstalledNonLeaf: installed, OtherCached: cached})
//	var dup *scenarios.DuplicateKeyError
//	if errors.As(err, &dup) { /* fault InternalServerError, log the ArgumentException */ }
//	w, _ = w.InstallHotfix(scenarios.HotfixKB954960) // Client.dll 3.1.6001.66: no more faults
//
// The defect: GetSyncInfo put the deployment of every needed revision into
// a Hashtable keyed by revision ID. When the database held two rows for one
// revision in one target group, Hashtable.Add threw. Sync reproduces that on
// builds with DuplicateKeyDefect, walking needed revisions in sync order
// (non-leaf first, then by revision ID) and failing on the first one with
// two rows. A revision approved once in each of two of the client's groups
// is normal WSUS data and never fails: group precedence picks one row.
// Only revisions in scope count, so an Office 2003 client fails on the
// round that brings 8862 in (round 3 with the built-in catalog), a client
// without Office 2003 never does.
package scenarios
