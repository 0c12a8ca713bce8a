package wuaclient

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wsusmock/wsusmock/fixtures"
	"github.com/wsusmock/wsusmock/internal/yamlfile"
	"github.com/wsusmock/wsusmock/wusp"
)

// Profile is the simulated machine: who it says it is to the server
// (RegisterComputer's ComputerInfo, the agent and protocol versions) and
// which non-leaf revisions — detectoids and product categories — evaluate as
// installed on it. The latter is what decides whether the server walks the
// client into the Office 2003 part of the catalog, where advisory 954960's
// defect waits.
type Profile struct {
	Name        string
	Description string
	// ClientID is the SusClientId (docs/protocol-facts.md §3.3). Empty means one derived
	// from Name, so a profile is the same client on every run.
	ClientID    string
	DNSName     string
	TargetGroup string // client-side targeting group; usually empty
	// ProtocolVersion is the client protocol version sent in GetConfig and
	// GetCookie: "1.0" for WUA 7.0 (WSUS 3.0), "1.6" for WUA 7.1 (WSUS 3.0
	// SP1, shipped with XP SP3 and Vista SP1) (docs/protocol-facts.md §1.6).
	ProtocolVersion string
	// AgentVersion is the WUA file version, e.g. 7.1.6001.65.
	AgentVersion Version
	OS           OSInfo
	Hardware     Hardware
	// Installed says which non-leaf revisions evaluate as installed. A
	// revision the list does not match evaluates as not installed.
	Installed []Match
	// InstalledLeaves lists leaf updates (by UpdateID) already installed, so
	// they are not reported as needed. Usually empty.
	InstalledLeaves []string
}

// Version is a four-part Windows file version.
type Version struct{ Major, Minor, Build, Revision int }

func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", v.Major, v.Minor, v.Build, v.Revision)
}

// OSInfo is the operating system part of ComputerInfo (MS-WUSP §2.2.2.2.3).
type OSInfo struct {
	Major, Minor, Build       int
	ServicePackMajor, SPMinor int
	Locale                    string // e.g. en-US
	SuiteMask                 int
	ProductType               int // 1 workstation, 3 server
	Architecture              string
}

// Hardware is the machine part of ComputerInfo.
type Hardware struct {
	Manufacturer, Model, BiosVersion, BiosName string
	BiosReleaseDate                            time.Time
}

// Match selects non-leaf revisions. UpdateID compares with the
// UpdateIdentity of the revision's Core fragment, which SyncUpdates
// carries. Title compares (case-insensitively) with the revision's
// LocalizedProperties title, which is not in the Core fragment: a profile
// with title matches makes the client fetch LocalizedProperties for the
// non-leaf revisions it is offered, with GetExtendedUpdateInfo, before it
// evaluates them. Exactly one of the two is set.
type Match struct {
	UpdateID string
	Title    string
}

func (m Match) String() string {
	if m.UpdateID != "" {
		return "update_id " + m.UpdateID
	}
	return "title " + strconv.Quote(m.Title)
}

// needsTitles reports whether evaluating the profile needs titles.
func (p *Profile) needsTitles() bool {
	for _, m := range p.Installed {
		if m.Title != "" {
			return true
		}
	}
	return false
}

// installed evaluates a non-leaf revision.
func (p *Profile) installed(updateID, title string) bool {
	for _, m := range p.Installed {
		if m.UpdateID != "" && strings.EqualFold(m.UpdateID, updateID) {
			return true
		}
		if m.Title != "" && title != "" && strings.EqualFold(m.Title, title) {
			return true
		}
	}
	return false
}

func (p *Profile) leafInstalled(updateID string) bool {
	for _, id := range p.InstalledLeaves {
		if strings.EqualFold(id, updateID) {
			return true
		}
	}
	return false
}

// SusClientID is ClientID, or the GUID derived from Name when it is empty.
func (p *Profile) SusClientID() string {
	if p.ClientID != "" {
		return p.ClientID
	}
	return nameGUID("wsusmock profile " + p.Name)
}

// ComputerInfo is what RegisterComputer sends for the profile.
func (p *Profile) ComputerInfo() wusp.ComputerInfo {
	return wusp.ComputerInfo{
		DNSName:                  p.DNSName,
		OSMajorVersion:           p.OS.Major,
		OSMinorVersion:           p.OS.Minor,
		OSBuildNumber:            p.OS.Build,
		OSServicePackMajorNumber: p.OS.ServicePackMajor,
		OSServicePackMinorNumber: p.OS.SPMinor,
		OSLocale:                 p.OS.Locale,
		ComputerManufacturer:     p.Hardware.Manufacturer,
		ComputerModel:            p.Hardware.Model,
		BiosVersion:              p.Hardware.BiosVersion,
		BiosName:                 p.Hardware.BiosName,
		BiosReleaseDate:          p.Hardware.BiosReleaseDate,
		ProcessorArchitecture:    p.OS.Architecture,
		SuiteMask:                p.OS.SuiteMask,
		OldProductType:           p.OS.ProductType,
		NewProductType:           p.OS.ProductType,
		ClientVersionMajorNumber: p.AgentVersion.Major,
		ClientVersionMinorNumber: p.AgentVersion.Minor,
		ClientVersionBuildNumber: p.AgentVersion.Build,
		ClientVersionQfeNumber:   p.AgentVersion.Revision,
	}
}

// describe fills the ExtendedData of a reporting event with the machine:
// brand, model, BIOS, processor, OS version and locale.
func (p *Profile) describe(ev *wusp.ReportingEvent) {
	ev.ComputerBrand, ev.ComputerModel, ev.BiosRevision = p.Hardware.Manufacturer, p.Hardware.Model, p.Hardware.BiosVersion
	ev.ProcessorArchitecture = reportingArchitecture[strings.ToLower(p.OS.Architecture)]
	ev.OSVersion = wusp.DetailedVersion{Major: p.OS.Major, Minor: p.OS.Minor, Build: p.OS.Build,
		ServicePackMajor: p.OS.ServicePackMajor, ServicePackMinor: p.OS.SPMinor}
	ev.OSLocaleID = localeIDs[strings.ToLower(p.OS.Locale)]
}

// reportingArchitecture maps a profile's architecture to the
// ProcessorArchitecture enumeration of MS-WUSP §6.3; an unknown one is
// written as Unknown.
var reportingArchitecture = map[string]string{
	"x86": "X86Compatible", "amd64": "Amd64Compatible", "x64": "Amd64Compatible", "ia64": "IA64Compatible",
}

// localeIDs are the Windows LCIDs of the locales profiles use; a locale
// not listed is reported as 0.
var localeIDs = map[string]int{
	"en-us": 1033, "en-gb": 2057, "nl-nl": 1043, "nl-be": 2067, "de-de": 1031, "fr-fr": 1036,
	"es-es": 3082, "it-it": 1040, "ja-jp": 1041, "pt-br": 1046, "sv-se": 1053,
}

// ProfileError is a problem in a profile file, at a line: "FILE:LINE:
// path: cause", as scenario files report theirs.
type ProfileError = yamlfile.Error

// profilesDir is the directory of built-in profiles in fixtures.FS.
const profilesDir = "profiles"

// BuiltinProfiles lists the names of the built-in profiles, sorted.
func BuiltinProfiles() []string {
	entries, _ := fs.ReadDir(fixtures.FS, profilesDir)
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// BuiltinProfile returns a fresh copy of the named built-in profile.
func BuiltinProfile(name string) (*Profile, error) {
	file := path.Join(profilesDir, name+".yaml")
	b, err := fs.ReadFile(fixtures.FS, file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("unknown profile %q (built-in: %s)", name, strings.Join(BuiltinProfiles(), ", "))
		}
		return nil, err
	}
	return ParseProfile(name+".yaml", bytes.NewReader(b))
}

// LoadProfile reads a profile file. Errors are *ProfileError naming the
// file and line.
func LoadProfile(file string) (*Profile, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseProfile(file, f)
}

var (
	guidRE     = regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	protocolRE = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
)

// ParseProfile reads a profile in YAML, of at most yamlfile.MaxBytes; name
// is the file name for errors. Unknown keys are refused, so a typo does not
// silently leave a default.
func ParseProfile(name string, r io.Reader) (*Profile, error) {
	pp := profileParser{yamlfile.File{Name: name}}
	root, err := pp.Read(r)
	if err != nil {
		return nil, err
	}
	return pp.profile(root)
}

type profileParser struct{ yamlfile.File }

func (pp profileParser) errAt(n *yaml.Node, format string, args ...any) error {
	return pp.Errorf(n, format, args...)
}

// fields checks that n is a mapping with only the allowed keys and returns
// the value nodes by key.
func (pp profileParser) fields(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, error) {
	m, err := pp.Mapping(n, what, allowed...)
	if err != nil {
		return nil, err
	}
	return m.Vals, nil
}

func (pp profileParser) str(f map[string]*yaml.Node, key string, dst *string) error {
	n, ok := f[key]
	if !ok {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return pp.errAt(n, "%s: want a string", key)
	}
	*dst = n.Value
	return nil
}

func (pp profileParser) integer(f map[string]*yaml.Node, key string, dst *int) error {
	n, ok := f[key]
	if !ok {
		return nil
	}
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return pp.errAt(n, "%s: %q is not an integer", key, n.Value)
	}
	*dst = v
	return nil
}

// dotted reads "a.b.c" with exactly parts numbers.
func (pp profileParser) dotted(f map[string]*yaml.Node, key string, parts int, dst ...*int) error {
	n, ok := f[key]
	if !ok {
		return nil
	}
	fields := strings.Split(n.Value, ".")
	if n.Kind != yaml.ScalarNode || len(fields) != parts {
		return pp.errAt(n, "%s: %q is not a version of %d numbers separated by dots", key, n.Value, parts)
	}
	for i, s := range fields {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return pp.errAt(n, "%s: %q is not a version of %d numbers separated by dots", key, n.Value, parts)
		}
		*dst[i] = v
	}
	return nil
}

func (pp profileParser) profile(root *yaml.Node) (*Profile, error) {
	f, err := pp.fields(root, "profile", "name", "description", "client_id", "dns_name", "target_group",
		"protocol_version", "agent_version", "os", "hardware", "installed", "installed_leaves")
	if err != nil {
		return nil, err
	}
	p := &Profile{}
	for _, s := range []struct {
		key string
		dst *string
	}{{"name", &p.Name}, {"description", &p.Description}, {"client_id", &p.ClientID},
		{"dns_name", &p.DNSName}, {"target_group", &p.TargetGroup}, {"protocol_version", &p.ProtocolVersion}} {
		if err := pp.str(f, s.key, s.dst); err != nil {
			return nil, err
		}
	}
	if p.Name == "" {
		return nil, pp.errAt(root, "profile: name is missing")
	}
	if p.DNSName == "" {
		p.DNSName = p.Name
	}
	if p.ClientID != "" && !guidRE.MatchString(p.ClientID) {
		return nil, pp.errAt(f["client_id"], "client_id: %q is not a GUID", p.ClientID)
	}
	switch {
	case p.ProtocolVersion == "":
		return nil, pp.errAt(root, "profile: protocol_version is missing (\"1.0\" for WUA 7.0, \"1.6\" for WUA 7.1)")
	case !protocolRE.MatchString(p.ProtocolVersion):
		return nil, pp.errAt(f["protocol_version"], "protocol_version: %q is not MAJOR.MINOR", p.ProtocolVersion)
	}
	if _, ok := f["agent_version"]; !ok {
		return nil, pp.errAt(root, "profile: agent_version is missing (e.g. 7.0.6000.374)")
	}
	v := &p.AgentVersion
	if err := pp.dotted(f, "agent_version", 4, &v.Major, &v.Minor, &v.Build, &v.Revision); err != nil {
		return nil, err
	}
	if n, ok := f["os"]; ok {
		if err := pp.os(n, &p.OS); err != nil {
			return nil, err
		}
	} else {
		return nil, pp.errAt(root, "profile: os is missing")
	}
	if n, ok := f["hardware"]; ok {
		if err := pp.hardware(n, &p.Hardware); err != nil {
			return nil, err
		}
	}
	if n, ok := f["installed"]; ok {
		if p.Installed, err = pp.matches(n); err != nil {
			return nil, err
		}
	}
	if n, ok := f["installed_leaves"]; ok {
		if n.Kind != yaml.SequenceNode {
			return nil, pp.errAt(n, "installed_leaves: want a list of UpdateIDs")
		}
		for _, it := range n.Content {
			if it.Kind != yaml.ScalarNode || !guidRE.MatchString(it.Value) {
				return nil, pp.errAt(it, "installed_leaves: %q is not a GUID", it.Value)
			}
			p.InstalledLeaves = append(p.InstalledLeaves, strings.ToLower(it.Value))
		}
	}
	return p, nil
}

func (pp profileParser) os(n *yaml.Node, o *OSInfo) error {
	f, err := pp.fields(n, "os", "version", "service_pack", "locale", "suite_mask", "product_type", "architecture")
	if err != nil {
		return err
	}
	if _, ok := f["version"]; !ok {
		return pp.errAt(n, "os: version is missing (MAJOR.MINOR.BUILD, e.g. 5.1.2600)")
	}
	if err := pp.dotted(f, "version", 3, &o.Major, &o.Minor, &o.Build); err != nil {
		return err
	}
	if err := pp.dotted(f, "service_pack", 2, &o.ServicePackMajor, &o.SPMinor); err != nil {
		return err
	}
	o.Locale, o.Architecture, o.ProductType = "en-US", "x86", 1
	if err := pp.str(f, "locale", &o.Locale); err != nil {
		return err
	}
	if err := pp.str(f, "architecture", &o.Architecture); err != nil {
		return err
	}
	if err := pp.integer(f, "suite_mask", &o.SuiteMask); err != nil {
		return err
	}
	return pp.integer(f, "product_type", &o.ProductType)
}

func (pp profileParser) hardware(n *yaml.Node, h *Hardware) error {
	f, err := pp.fields(n, "hardware", "manufacturer", "model", "bios_version", "bios_name", "bios_release_date")
	if err != nil {
		return err
	}
	for _, s := range []struct {
		key string
		dst *string
	}{{"manufacturer", &h.Manufacturer}, {"model", &h.Model}, {"bios_version", &h.BiosVersion}, {"bios_name", &h.BiosName}} {
		if err := pp.str(f, s.key, s.dst); err != nil {
			return err
		}
	}
	if d, ok := f["bios_release_date"]; ok {
		t, err := time.Parse("2006-01-02", d.Value)
		if err != nil {
			return pp.errAt(d, "bios_release_date: %q is not a date like 2008-01-31", d.Value)
		}
		h.BiosReleaseDate = t
	}
	return nil
}

func (pp profileParser) matches(n *yaml.Node) ([]Match, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, pp.errAt(n, "installed: want a list of {update_id: GUID} or {title: TEXT}")
	}
	var out []Match
	for _, it := range n.Content {
		f, err := pp.fields(it, "installed entry", "update_id", "title")
		if err != nil {
			return nil, err
		}
		var m Match
		if err := pp.str(f, "update_id", &m.UpdateID); err != nil {
			return nil, err
		}
		if err := pp.str(f, "title", &m.Title); err != nil {
			return nil, err
		}
		switch {
		case (m.UpdateID == "") == (m.Title == ""):
			return nil, pp.errAt(it, "installed entry: give exactly one of update_id and title")
		case m.UpdateID != "" && !guidRE.MatchString(m.UpdateID):
			return nil, pp.errAt(f["update_id"], "update_id: %q is not a GUID", m.UpdateID)
		}
		m.UpdateID = strings.ToLower(m.UpdateID)
		out = append(out, m)
	}
	return out, nil
}
