package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The kinds of refusal of the remediation methods. Their errors wrap one of
// these, so callers (the admin API) tell them apart with errors.Is; the
// error's text says what exactly was refused.
var (
	// ErrUnknownUpdate: the update ID is not in the catalog.
	ErrUnknownUpdate = errors.New("unknown update")
	// ErrUnknownGroup: the scenario has no such target group.
	ErrUnknownGroup = errors.New("unknown target group")
	// ErrUnknownHotfix: the mock knows no such hotfix.
	ErrUnknownHotfix = errors.New("unknown hotfix")
	// ErrNotAllowed: the change does not apply here, as the real server or
	// console refused it (KB954960 on RTM or SP2, approving a category).
	ErrNotAllowed = errors.New("not allowed")
	// ErrUnknownScenario: no built-in scenario has the name.
	ErrUnknownScenario = errors.New("unknown scenario")
)

// HotfixError explains why a hotfix cannot be installed on a build. It
// wraps ErrNotAllowed, or ErrUnknownHotfix for a KB the mock does not know.
type HotfixError struct {
	KB      string
	BuildID string
	Reason  string
	// Unknown is set when the mock does not know the KB at all.
	Unknown bool
}

func (e *HotfixError) Error() string {
	return fmt.Sprintf("%s cannot be installed on %s: %s", e.KB, e.BuildID, e.Reason)
}

// Unwrap gives the kind of refusal.
func (e *HotfixError) Unwrap() error {
	if e.Unknown {
		return ErrUnknownHotfix
	}
	return ErrNotAllowed
}

// InstallHotfix returns a World running the build the hotfix produces.
// KB954960 applies to WSUS 3.0 SP1 only, where it replaces
// Microsoft.UpdateServices.WebServices.Client.dll with 3.1.6001.66 and ends
// the duplicate-key defect (advisory 954960). WSUS 3.0 RTM is refused: the
// advisory points RTM to the console workaround or an upgrade to SP1. SP2
// already contains the fix. Installing it twice returns w unchanged.
func (w *World) InstallHotfix(kb string) (*World, error) {
	b := w.scenario.Build
	if !strings.EqualFold(kb, HotfixKB954960) {
		return nil, &HotfixError{KB: kb, BuildID: b.ID, Reason: "unknown hotfix; the mock knows only " + HotfixKB954960, Unknown: true}
	}
	if b.HasHotfix(HotfixKB954960) {
		return w, nil
	}
	switch b.ID {
	case BuildSP1:
		fixed, _ := LookupBuild(BuildSP1KB954960)
		fixed.MaxNewUpdatesPerSync = b.MaxNewUpdatesPerSync
		s := w.scenario.clone()
		s.Build = fixed
		return NewWorld(s)
	case BuildRTM:
		return nil, &HotfixError{KB: HotfixKB954960, BuildID: b.ID,
			Reason: "the update applies to WSUS 3.0 SP1 only; on WSUS 3.0 RTM apply the workaround (decline, approve, decline \"Office 2003 Service Pack 1\" in the console) or install SP1 first"}
	default:
		return nil, &HotfixError{KB: HotfixKB954960, BuildID: b.ID,
			Reason: "not applicable: " + b.Product + " (" + b.ClientDLLVersion + ") already contains the fix"}
	}
}

// resolve finds an update and a group for the remediation methods.
func (w *World) resolve(updateID, group string) (*compiledRevision, string, error) {
	i, ok := w.byUpdate[strings.ToLower(updateID)]
	if !ok {
		return nil, "", fmt.Errorf("%w: %s is not in the catalog", ErrUnknownUpdate, updateID)
	}
	g := w.scenario.group(group)
	if g == "" {
		return nil, "", fmt.Errorf("%w: %q does not exist (groups: %s)", ErrUnknownGroup, group, strings.Join(w.scenario.TargetGroups, ", "))
	}
	return &w.revs[i], g, nil
}

// Approve returns a World in which updateID is approved for Install to
// group ("" means All Computers): every existing deployment row of the
// update in that group is replaced by one new row with a fresh deployment
// ID and LastChangeTime at. Clients that cached the update see it in
// ChangedUpdates. Like the console, it refuses categories and detectoids.
func (w *World) Approve(updateID, group string, at time.Time) (*World, error) {
	r, g, err := w.resolve(updateID, group)
	if err != nil {
		return nil, err
	}
	if r.UpdateType != TypeSoftware {
		return nil, fmt.Errorf("%w: %q is a %s; only software updates can be approved", ErrNotAllowed, r.Title, r.UpdateType)
	}
	if at.IsZero() {
		return nil, fmt.Errorf("approve %s: approval time is zero", r.Title)
	}
	s := w.scenario.clone()
	s.Approvals = withoutRows(s.Approvals, r.RevisionID, g)
	s.Approvals = append(s.Approvals, DeploymentRow{
		DeploymentID: w.nextDeploymentID,
		RevisionID:   r.RevisionID,
		Group:        g,
		Action:       ActionInstall,
		IsAssigned:   true,
		LastChange:   at.UTC(),
	})
	s.Declined = withoutDeclination(s.Declined, r.UpdateID, g)
	return NewWorld(s)
}

// Decline returns a World in which every deployment row of updateID in
// group ("" means All Computers) is gone and the update is recorded as
// Declined there. Clients that cached it get it in OutOfScopeRevisionIDs.
//
// An update already Declined in the group is left as it is, stale rows
// included: the console had nothing to change, so WSUS wrote nothing. That
// is why KB954960's workaround for WSUS 3.0 RTM is decline, approve,
// decline: the update was usually found already Declined while clients
// kept failing, and it is the Approve that rewrites the rows, as one
// (README, "Reproducing KB954960"; docs/protocol-facts.md §4).
func (w *World) Decline(updateID, group string, at time.Time) (*World, error) {
	r, g, err := w.resolve(updateID, group)
	if err != nil {
		return nil, err
	}
	if r.UpdateType != TypeSoftware {
		return nil, fmt.Errorf("%w: %q is a %s; only software updates can be declined", ErrNotAllowed, r.Title, r.UpdateType)
	}
	if w.declined(r.UpdateID, g) {
		return w, nil
	}
	s := w.scenario.clone()
	s.Approvals = withoutRows(s.Approvals, r.RevisionID, g)
	s.Declined = append(withoutDeclination(s.Declined, r.UpdateID, g), Declination{UpdateID: r.UpdateID, Group: g, At: at.UTC()})
	return NewWorld(s)
}

// declined reports whether the update is Declined in the group.
func (w *World) declined(updateID, group string) bool {
	for _, d := range w.scenario.Declined {
		if d.UpdateID == updateID && d.Group == group {
			return true
		}
	}
	return false
}

func withoutRows(rows []DeploymentRow, revisionID int, group string) []DeploymentRow {
	out := rows[:0]
	for _, d := range rows {
		if d.RevisionID != revisionID || d.Group != group {
			out = append(out, d)
		}
	}
	return out
}

func withoutDeclination(ds []Declination, updateID, group string) []Declination {
	out := ds[:0]
	for _, d := range ds {
		if d.UpdateID != updateID || d.Group != group {
			out = append(out, d)
		}
	}
	return out
}

// Approval states of an update in a target group, as the console shows them.
const (
	StateNotApproved = "NotApproved"
	StateApproved    = "Approved"
	StateDeclined    = "Declined"
)

// UpdateStatus is one catalog revision with its approvals per target group,
// for the admin API's update list.
type UpdateStatus struct {
	Revision Revision
	IsLeaf   bool
	Groups   []GroupApproval // one per target group, in TargetGroups order
}

// GroupApproval is the approval state of one update in one target group.
type GroupApproval struct {
	Group string
	State string // StateApproved, StateDeclined or StateNotApproved
	// Deployments are the group's rows for the revision; more than one is
	// the inconsistent state of advisory 954960. A Declined update may
	// still have rows: stale ones, which clients are still served.
	Deployments []DeploymentRow
	// Inconsistent is true when Deployments holds more than one row, or
	// any row while the update is Declined.
	Inconsistent bool
}

// Updates lists the catalog, in walk order, with approvals per group.
func (w *World) Updates() []UpdateStatus {
	out := make([]UpdateStatus, len(w.revs))
	for i, r := range w.revs {
		st := UpdateStatus{Revision: r.Revision.clone(), IsLeaf: r.isLeaf}
		for _, g := range w.scenario.TargetGroups {
			ga := GroupApproval{Group: g, State: StateNotApproved}
			for _, d := range w.scenario.Approvals {
				if d.RevisionID == r.RevisionID && d.Group == g {
					ga.Deployments = append(ga.Deployments, d)
				}
			}
			if len(ga.Deployments) > 0 {
				ga.State = StateApproved
			}
			if w.declined(r.UpdateID, g) {
				ga.State = StateDeclined
			}
			ga.Inconsistent = len(ga.Deployments) > 1 || ga.State == StateDeclined && len(ga.Deployments) > 0
			st.Groups = append(st.Groups, ga)
		}
		out[i] = st
	}
	return out
}
