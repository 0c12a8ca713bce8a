package soapserver

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/scenarios"
)

// The control operations below change or show the server's world. The admin
// API under /__admin/ is a thin JSON face over them; Go callers (a test
// kit) may call them directly.

// ControlError is a refused control operation: Message says what was
// refused, Reason why, Field which input field was wrong (if one was).
// Status is the HTTP status the admin API answers it with.
type ControlError struct {
	Status  int
	Message string
	Reason  string
	Field   string
}

func (e *ControlError) Error() string {
	if e.Reason == "" {
		return e.Message
	}
	return e.Message + ": " + e.Reason
}

// VersionStringKey is the registry value detection tools read for the WSUS
// version. KB954960 left it unchanged, which is why ServerInfo also gives
// the Client.dll file version.
const VersionStringKey = `HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup\VersionString`

// ServerInfo is what a remediation tool reads from a WSUS server to decide
// what applies: the build, its versions and its hotfixes.
type ServerInfo struct {
	Product string `json:"product"`
	// Version is the registry VersionString (VersionStringKey).
	Version                  string `json:"version"`
	VersionStringRegistryKey string `json:"version_string_registry_key"`
	// ClientDLLVersion is the file version of
	// Microsoft.UpdateServices.WebServices.Client.dll: 3.1.6001.65 on SP1,
	// 3.1.6001.66 once KB954960 is in.
	ClientDLLVersion string   `json:"client_dll_version"`
	ProtocolVersion  string   `json:"protocol_version"`
	Scenario         string   `json:"scenario"`
	Build            string   `json:"build"`
	Hotfixes         []string `json:"hotfixes"`
	// FaultStatus is the HTTP status WSUS faults are sent with.
	FaultStatus int `json:"fault_status"`
}

// Info describes the server as it is now.
func (s *Server) Info() ServerInfo {
	snap := s.snap.Load()
	b := snap.world.Build()
	hotfixes := b.Hotfixes
	if hotfixes == nil {
		hotfixes = []string{}
	}
	return ServerInfo{
		Product:                  b.Product,
		Version:                  b.Version,
		VersionStringRegistryKey: VersionStringKey,
		ClientDLLVersion:         b.ClientDLLVersion,
		ProtocolVersion:          b.ProtocolVersion,
		Scenario:                 snap.world.Scenario().Name,
		Build:                    b.ID,
		Hotfixes:                 hotfixes,
		FaultStatus:              snap.faultStatus,
	}
}

// InstallHotfix installs a hotfix the way its installer would: KB954960
// applies to WSUS 3.0 SP1 only and is refused (409, with the reason) on RTM
// and SP2; an unknown KB is 404. It reports whether the world changed:
// installing twice is harmless.
func (s *Server) InstallHotfix(kb string) (changed bool, err error) {
	if !strings.EqualFold(kb, scenarios.HotfixKB954960) {
		return false, unknownHotfix(kb)
	}
	err = s.Update(func(w *scenarios.World) (*scenarios.World, error) {
		next, err := w.InstallHotfix(kb)
		changed = err == nil && next != w
		return next, err
	})
	var he *scenarios.HotfixError
	if errors.As(err, &he) {
		return false, &ControlError{Status: http.StatusConflict,
			Message: he.KB + " cannot be installed on " + he.BuildID, Reason: he.Reason}
	}
	return changed, err
}

// RemoveHotfix always refuses (405), as the real update did: advisory
// 954960's update cannot be removed on its own.
func (s *Server) RemoveHotfix(kb string) error {
	if !strings.EqualFold(kb, scenarios.HotfixKB954960) {
		return unknownHotfix(kb)
	}
	return &ControlError{Status: http.StatusMethodNotAllowed,
		Message: scenarios.HotfixKB954960 + " cannot be removed",
		Reason:  "the update cannot be removed on its own; to go back, WSUS 3.0 SP1 must be uninstalled and installed again (advisory 954960)"}
}

func unknownHotfix(kb string) *ControlError {
	return &ControlError{Status: http.StatusNotFound, Message: "unknown hotfix " + kb,
		Reason: "the mock knows only " + scenarios.HotfixKB954960}
}

// CatalogUpdate is one catalog revision with its approval in each target
// group, as the WSUS console shows it.
type CatalogUpdate struct {
	UpdateID       string          `json:"update_id"`
	RevisionID     int             `json:"revision_id"`
	RevisionNumber int             `json:"revision_number"`
	Title          string          `json:"title"`
	KBArticle      string          `json:"kb_article,omitempty"`
	UpdateType     string          `json:"update_type"`
	IsLeaf         bool            `json:"is_leaf"`
	Approvals      []GroupApproval `json:"approvals"`
}

// GroupApproval is an update's state in one target group. More than one
// deployment row is the inconsistent state of advisory 954960.
type GroupApproval struct {
	Group        string       `json:"group"`
	State        string       `json:"state"` // Approved, Declined or NotApproved
	Inconsistent bool         `json:"inconsistent"`
	Deployments  []Deployment `json:"deployments"`
}

// Deployment is one deployment row (an approval) of the WSUS database.
type Deployment struct {
	DeploymentID int       `json:"deployment_id"`
	Action       string    `json:"action"`
	LastChange   time.Time `json:"last_change"`
}

// Updates lists the catalog with approvals per target group.
func (s *Server) Updates() []CatalogUpdate {
	return catalogUpdates(s.World())
}

func catalogUpdates(w *scenarios.World) []CatalogUpdate {
	in := w.Updates()
	out := make([]CatalogUpdate, len(in))
	for i, u := range in {
		r := u.Revision
		cu := CatalogUpdate{UpdateID: r.UpdateID, RevisionID: r.RevisionID, RevisionNumber: r.RevisionNumber,
			Title: r.Title, KBArticle: r.KBArticle, UpdateType: r.UpdateType, IsLeaf: u.IsLeaf,
			Approvals: make([]GroupApproval, len(u.Groups))}
		for j, g := range u.Groups {
			ga := GroupApproval{Group: g.Group, State: g.State, Inconsistent: g.Inconsistent, Deployments: []Deployment{}}
			for _, d := range g.Deployments {
				ga.Deployments = append(ga.Deployments, Deployment{DeploymentID: d.DeploymentID, Action: d.Action, LastChange: d.LastChange})
			}
			cu.Approvals[j] = ga
		}
		out[i] = cu
	}
	return out
}

// Approve approves updateID for Install to group ("" means All Computers),
// replacing the group's rows for it with one, and returns the update as it
// now stands. Approvals change deployment rows, not the configuration:
// GetConfig's LastChange stays, so clients see no ConfigChanged but get the
// update in ChangedUpdates on their next sync, as with WSUS.
func (s *Server) Approve(updateID, group string) (CatalogUpdate, error) {
	return s.approval(updateID, group, (*scenarios.World).Approve)
}

// Decline declines updateID in group ("" means All Computers), removing its
// rows there. Decline, Approve, Decline of "Office 2003 Service Pack 1" is
// the console workaround of advisory 954960 for WSUS 3.0 RTM.
func (s *Server) Decline(updateID, group string) (CatalogUpdate, error) {
	return s.approval(updateID, group, (*scenarios.World).Decline)
}

func (s *Server) approval(updateID, group string, change func(*scenarios.World, string, string, time.Time) (*scenarios.World, error)) (CatalogUpdate, error) {
	if group == "" {
		group = scenarios.AllComputers
	}
	var out CatalogUpdate
	err := s.Update(func(w *scenarios.World) (*scenarios.World, error) {
		u, ok := findUpdate(catalogUpdates(w), updateID)
		if !ok {
			return nil, &ControlError{Status: http.StatusNotFound, Message: "update " + updateID + " is not in the catalog",
				Reason: "GET /__admin/updates lists the catalog's update IDs"}
		}
		var groups []string
		found := false
		for _, g := range u.Approvals {
			groups = append(groups, g.Group)
			found = found || strings.EqualFold(g.Group, group)
		}
		if !found {
			return nil, &ControlError{Status: http.StatusNotFound, Message: "target group " + group + " does not exist",
				Reason: "the scenario's groups are " + strings.Join(groups, ", "), Field: "group"}
		}
		next, err := change(w, updateID, group, s.cfg.Now())
		if err != nil {
			return nil, &ControlError{Status: http.StatusConflict, Message: "refused", Reason: err.Error()}
		}
		out, _ = findUpdate(catalogUpdates(next), updateID)
		return next, nil
	})
	return out, err
}

func findUpdate(us []CatalogUpdate, updateID string) (CatalogUpdate, bool) {
	for _, u := range us {
		if strings.EqualFold(u.UpdateID, updateID) {
			return u, true
		}
	}
	return CatalogUpdate{}, false
}

// SelectScenario switches to a built-in scenario, which also becomes what
// Reset returns to. Fault rules and the journal stay.
func (s *Server) SelectScenario(name string) error {
	sc, err := scenarios.Builtin(name)
	if err != nil {
		return &ControlError{Status: http.StatusNotFound, Message: "unknown scenario " + name, Reason: err.Error(), Field: "name"}
	}
	w, err := scenarios.NewWorld(sc)
	if err != nil {
		return err
	}
	s.SetWorld(w)
	return nil
}

// Reset returns to the initial state of the selected scenario (hotfixes and
// approvals undone), removes every fault rule and clears the journal, so a
// spec starts from a known server. Event subscribers stay connected.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store(s.base)
	s.setRules(nil)
	s.journal.clear()
}
