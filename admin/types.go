package admin

import (
	"time"

	"github.com/wsusmock/wsusmock/soapserver"
)

// The request and reply bodies of the admin API. Each route's JSON is one
// of these; the Go methods of Controller and Client return the same values.

// VersionStringKey is the registry value detection tools read for the WSUS
// version. KB954960 left it unchanged, which is why ServerInfo also gives
// the Client.dll file version.
const VersionStringKey = `HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup\VersionString`

// ServerInfo is what a remediation tool reads from a WSUS server to decide
// what applies: the build, its versions and its hotfixes
// (GET /__admin/server, and the reply of scenario switches and resets).
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
	// WsusmockVersion is the mock's own version (Version), so a bug
	// report names the build that answered.
	WsusmockVersion string `json:"wsusmock_version"`
}

// HotfixResult is the reply to installing a hotfix
// (POST /__admin/hotfixes/{kb}).
type HotfixResult struct {
	Hotfix  string     `json:"hotfix"`
	Changed bool       `json:"changed"` // false: it was already installed
	Server  ServerInfo `json:"server"`
}

// UpdateList is the catalog (GET /__admin/updates).
type UpdateList struct {
	Updates []CatalogUpdate `json:"updates"`
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

// Approval returns the update's state in group (case-insensitive), and
// whether the group exists.
func (u CatalogUpdate) Approval(group string) (GroupApproval, bool) {
	for _, a := range u.Approvals {
		if equalFold(a.Group, group) {
			return a, true
		}
	}
	return GroupApproval{}, false
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

// ApprovalRequest is the optional body of approve and decline
// (POST /__admin/updates/{id}/approve|decline).
type ApprovalRequest struct {
	Group string `json:"group"` // empty means All Computers
}

// ApprovalResult is the reply to approve and decline: the update as it now
// stands.
type ApprovalResult struct {
	Action string        `json:"action"` // "approve" or "decline"
	Group  string        `json:"group"`
	Update CatalogUpdate `json:"update"`
}

// ScenarioRequest is the body of PUT /__admin/scenario.
type ScenarioRequest struct {
	Name string `json:"name"`
}

// ScenarioInfo is the scenario being served and the built-in ones it can
// switch to (GET /__admin/scenario).
type ScenarioInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Builtin     []string `json:"builtin"`
}

// FaultList is the installed fault-injection rules (GET /__admin/faults).
type FaultList struct {
	Faults []soapserver.FaultRule `json:"faults"`
}

// Removed is the reply to deleting fault rules: how many went.
type Removed struct {
	Removed int `json:"removed"`
}

// Cleared is the reply to DELETE /__admin/journal.
type Cleared struct {
	Cleared bool `json:"cleared"`
}

// Dropped is the event stream's notice that the reader fell behind and
// lost that many exchanges.
type Dropped struct {
	Dropped uint64 `json:"dropped"`
}
