package scenarios

import (
	"strings"

	"github.com/wsusmock/wsusmock/wusp"
)

// Build IDs of the WSUS server personas a scenario can run as.
const (
	BuildRTM         = "wsus30-rtm"
	BuildSP1         = "wsus30-sp1"
	BuildSP1KB954960 = "wsus30-sp1-kb954960"
	BuildSP2         = "wsus30-sp2"
)

// HotfixKB954960 is the update that fixed the duplicate-key defect on WSUS
// 3.0 SP1 by replacing Microsoft.UpdateServices.WebServices.Client.dll with
// file version 3.1.6001.66 (advisory 954960; docs/protocol-facts.md §4).
const HotfixKB954960 = "KB954960"

// Build is a WSUS server build persona: what a detection tool reads from the
// server (registry VersionString, Client.dll file version, GetConfig
// ProtocolVersion) and how its ClientWebService behaves.
type Build struct {
	ID      string // BuildRTM, BuildSP1, BuildSP1KB954960 or BuildSP2
	Product string // "Windows Server Update Services 3.0 SP1"
	// Version is HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup\VersionString
	// (docs/protocol-facts.md §4). KB954960 replaced one DLL and left it unchanged, so a
	// tool must read ClientDLLVersion to tell a fixed SP1 server apart.
	Version string
	// ClientDLLVersion is the file version of
	// Microsoft.UpdateServices.WebServices.Client.dll, the assembly holding
	// ClientImplementation.GetSyncInfo.
	ClientDLLVersion string
	// ProtocolVersion is the GetConfig "ProtocolVersion" property: "3.0" for
	// WSUS 3.0, "3.1" for SP1, "3.2" for SP2 (MS-WUSP note <12>; docs/protocol-facts.md §1.6).
	ProtocolVersion string
	// DuplicateKeyDefect makes Sync fail with *DuplicateKeyError when one
	// needed revision has two deployment rows in one target group, as
	// GetSyncInfo's Hashtable.Add did on WSUS 3.0 RTM and SP1 (docs/protocol-facts.md §4).
	DuplicateKeyDefect bool
	// MaxNewUpdatesPerSync is where SyncUpdates truncates NewUpdates and sets
	// Truncated (WSUS: 200, MS-WUSP note <55>).
	MaxNewUpdatesPerSync int
	// Hotfixes lists the installed hotfixes, e.g. ["KB954960"].
	Hotfixes []string
	// Headers are the HTTP response headers IIS 6.0 and ASP.NET 2.0 added on
	// a 2008 WSUS box (docs/protocol-facts.md §5), in the order they are sent.
	Headers []Header
}

// Header is one HTTP response header of a build persona.
type Header struct{ Name, Value string }

// HasHotfix reports whether kb (case-insensitive) is installed on b.
func (b Build) HasHotfix(kb string) bool {
	for _, h := range b.Hotfixes {
		if strings.EqualFold(h, kb) {
			return true
		}
	}
	return false
}

// Builds returns every known build persona, oldest first. Each call returns
// fresh values, so callers may modify them.
func Builds() []Build {
	iis6 := func() []Header {
		return []Header{
			{"Server", "Microsoft-IIS/6.0"},
			{"X-Powered-By", "ASP.NET"},
			{"X-AspNet-Version", "2.0.50727"},
			{"Cache-Control", "private"},
		}
	}
	return []Build{
		{
			ID:                   BuildRTM,
			Product:              "Windows Server Update Services 3.0",
			Version:              "3.0.6000.273",
			ClientDLLVersion:     "3.0.6000.273",
			ProtocolVersion:      "3.0",
			DuplicateKeyDefect:   true,
			MaxNewUpdatesPerSync: 200,
			Headers:              iis6(),
		},
		{
			ID:                   BuildSP1,
			Product:              "Windows Server Update Services 3.0 SP1",
			Version:              "3.1.6001.65",
			ClientDLLVersion:     "3.1.6001.65",
			ProtocolVersion:      "3.1",
			DuplicateKeyDefect:   true,
			MaxNewUpdatesPerSync: 200,
			Headers:              iis6(),
		},
		{
			ID:                   BuildSP1KB954960,
			Product:              "Windows Server Update Services 3.0 SP1",
			Version:              "3.1.6001.65",
			ClientDLLVersion:     "3.1.6001.66",
			ProtocolVersion:      "3.1",
			MaxNewUpdatesPerSync: 200,
			Hotfixes:             []string{HotfixKB954960},
			Headers:              iis6(),
		},
		{
			ID:                   BuildSP2,
			Product:              "Windows Server Update Services 3.0 SP2",
			Version:              "3.2.7600.226",
			ClientDLLVersion:     "3.2.7600.226",
			ProtocolVersion:      "3.2",
			MaxNewUpdatesPerSync: 200,
			Headers:              iis6(),
		},
	}
}

// Serves reports whether the build has the operation. Every WSUS 3.0 build
// has the 3.0 operations; StartCategoryScan came with SP2, ProtocolVersion
// 3.2 (MS-WUSP note <52>), and RTM and SP1 answer it as an unknown
// SOAPAction.
func (b Build) Serves(op wusp.Operation) bool { return op.ServedBy(b.ProtocolVersion) }

// Operations lists the service's operations the build has, in WSDL order.
func (b Build) Operations(s wusp.Service) []wusp.Operation {
	var ops []wusp.Operation
	for _, op := range wusp.Operations(s) {
		if b.Serves(op) {
			ops = append(ops, op)
		}
	}
	return ops
}

// LookupBuild returns the build persona with the given ID.
func LookupBuild(id string) (Build, bool) {
	for _, b := range Builds() {
		if b.ID == id {
			return b, true
		}
	}
	return Build{}, false
}

func buildIDs() string {
	var ids []string
	for _, b := range Builds() {
		ids = append(ids, b.ID)
	}
	return strings.Join(ids, ", ")
}
