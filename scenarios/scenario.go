package scenarios

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/wsusmock/wsusmock/fixtures"
	"github.com/wsusmock/wsusmock/internal/yamlfile"
)

// DefaultScenario is the scenario `wsusmock serve` runs without --scenario:
// WSUS 3.0 SP1 with the inconsistent approval of "Office 2003 Service Pack 1"
// that advisory 954960 describes.
const DefaultScenario = "sp1-office2003"

// AllComputers is the target group every client belongs to. It exists in
// every scenario, whether or not the file lists it.
const AllComputers = "All Computers"

// Update types of the Core fragment's <Properties UpdateType="…"/>.
const (
	TypeSoftware  = "Software"
	TypeDetectoid = "Detectoid"
	TypeCategory  = "Category"
)

// Deployment actions (MS-WUSP §2.2.2.2.4 DeploymentAction).
const (
	ActionInstall            = "Install"
	ActionBundle             = "Bundle"
	ActionEvaluate           = "Evaluate"
	ActionUninstall          = "Uninstall"
	ActionPreDeploymentCheck = "PreDeploymentCheck"
)

// Scenario is one server world as a file describes it: a build persona, the
// catalog, target groups and the deployment rows (approvals) behind them.
// A Scenario is plain data; NewWorld compiles it for serving.
type Scenario struct {
	Name        string
	Description string
	// Source is the file the scenario came from ("sp1-office2003.yaml"),
	// for messages.
	Source string
	Build  Build
	Fault  FaultPresentation
	// ConfigLastChange is the GetConfig LastChange the server reports.
	ConfigLastChange time.Time
	// Catalog holds every revision the server knows: the shared built-in
	// catalog followed by the scenario's own extra revisions.
	Catalog []Revision
	// TargetGroups always starts with AllComputers.
	TargetGroups []string
	// Approvals are the deployment rows, as the WSUS database held them. Two
	// rows for one revision in one group is the inconsistent state of
	// advisory 954960.
	Approvals []DeploymentRow
	// Declined records the updates declined per group, by Decline calls or
	// the file's declined list, so an admin view can tell a declined update
	// from one never approved. A declined update may still have rows in
	// Approvals when the file says so: stale rows the console no longer
	// shows, which GetSyncInfo still reads.
	Declined []Declination

	nameLine int // line of `name:` in Source, for duplicate-name messages
}

// FaultPresentation is how the server presents a WSUS fault on the wire.
type FaultPresentation struct {
	// HTTPStatus is 200 (what the advisory's client log shows) or 500 (what
	// ASP.NET sends); docs/protocol-facts.md §2.3.
	HTTPStatus int
	// FaultString is the faultstring text, "Fault occurred" by default.
	FaultString string
}

// Revision is one revision of an update in the catalog.
type Revision struct {
	RevisionID     int
	UpdateID       string // lower-case GUID
	RevisionNumber int
	UpdateType     string // TypeSoftware, TypeDetectoid or TypeCategory
	// CategoryType is "ProductFamily" or "Product" for categories.
	CategoryType     string
	Title            string
	Description      string
	KBArticle        string // "842532", without "KB"
	SecurityBulletin string // "MS08-014"
	MSRCSeverity     string // "Critical", "Important", …
	// Handler is the installation handler named in the Extended fragment
	// ("WindowsInstaller", "WindowsPatch"); empty for bundles and non-software.
	Handler string
	// Prerequisites are revision IDs that must all be installed (reported in
	// InstalledNonLeafUpdateIDs) before the server hands this revision out.
	Prerequisites []int
	// Categories are revision IDs of the product categories the revision
	// belongs to. WSUS expresses membership as an
	// <AtLeastOne IsCategory="true"> prerequisite group: at least one of them
	// must be installed.
	Categories []int
	// BundledUpdates are revision IDs this revision bundles; they are synced
	// with Action Bundle.
	BundledUpdates []int
	// Published is the LastChangeTime of the implicit deployments (Evaluate,
	// Bundle) of this revision.
	Published time.Time
	// IsInstalledRule and IsInstallableRule are the b.-prefixed applicability
	// rule fragments placed in the Core XML.
	IsInstalledRule   string
	IsInstallableRule string
}

// IsNonLeafType reports whether the revision is a category or detectoid,
// which MS-WUSP treats as non-leaf. (Software that another revision names
// as a prerequisite is non-leaf too; World.IsLeaf accounts for that.)
func (r Revision) IsNonLeafType() bool { return r.UpdateType != TypeSoftware }

// DeploymentRow is one row of the WSUS deployment table: an approval of one
// revision for one target group.
type DeploymentRow struct {
	DeploymentID int
	RevisionID   int
	Group        string
	Action       string // ActionInstall, ActionUninstall, …
	Deadline     string // dateTime text, optional
	IsAssigned   bool
	LastChange   time.Time
	// DownloadPriority is sent only when a scenario sets it: no capture
	// of a WSUS reply carries one.
	DownloadPriority string
}

// Declination records that an update was declined for a group.
type Declination struct {
	UpdateID string
	Group    string
	At       time.Time
}

// Summary names a built-in scenario for `wsusmock scenarios`.
type Summary struct {
	Name        string
	Description string
	Default     bool
}

// Builtin returns a fresh copy of the named built-in scenario.
func Builtin(name string) (*Scenario, error) {
	all, err := loadBuiltins()
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		if s.Name == name {
			return s, nil
		}
	}
	var names []string
	for _, s := range all {
		names = append(names, s.Name)
	}
	return nil, fmt.Errorf("%w %q (built-in: %s)", ErrUnknownScenario, name, strings.Join(names, ", "))
}

// BuiltinWorld is the world of the named built-in scenario, as a server
// starts on it.
func BuiltinWorld(name string) (*World, error) {
	s, err := Builtin(name)
	if err != nil {
		return nil, err
	}
	return NewWorld(s)
}

// Builtins lists the built-in scenarios, DefaultScenario first, then by name.
// It panics if the embedded files are broken: that is a build defect, and
// TestBuiltinsLoad catches it.
func Builtins() []Summary {
	all, err := loadBuiltins()
	if err != nil {
		panic("scenarios: embedded scenarios: " + err.Error())
	}
	out := make([]Summary, len(all))
	for i, s := range all {
		out[i] = Summary{Name: s.Name, Description: s.Description, Default: s.Name == DefaultScenario}
	}
	return out
}

func loadBuiltins() ([]*Scenario, error) {
	all, err := LoadDir(fixtures.FS, "scenarios")
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		if (all[i].Name == DefaultScenario) != (all[j].Name == DefaultScenario) {
			return all[i].Name == DefaultScenario
		}
		return all[i].Name < all[j].Name
	})
	return all, nil
}

// CatalogFile is the shared catalog in fixtures/scenarios. Every scenario
// uses it implicitly; a scenario file may add revisions of its own.
const CatalogFile = "catalog.yaml"

// Catalog returns the shared built-in catalog.
func Catalog() ([]Revision, error) {
	c, err := builtinCatalog()
	return c.revs, err
}

func builtinCatalog() (sharedCatalog, error) {
	b, err := fs.ReadFile(fixtures.FS, path.Join("scenarios", CatalogFile))
	if err != nil {
		return sharedCatalog{}, err
	}
	revs, pos, err := parseCatalogPos(CatalogFile, b)
	return sharedCatalog{revs, pos}, err
}

// Load reads a scenario file of at most yamlfile.MaxBytes. name is the
// file name used in errors, which read "FILE:LINE: path: cause" (a
// *LoadError).
func Load(name string, r io.Reader) (*Scenario, error) {
	b, err := io.ReadAll(io.LimitReader(r, yamlfile.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cat, err := builtinCatalog()
	if err != nil {
		return nil, err
	}
	return parseScenario(name, b, cat)
}

// LoadFile reads the scenario file at path.
func LoadFile(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Load(path, f)
}

// LoadDir loads every *.yaml file in dir except CatalogFile, in file name
// order, and refuses two scenarios with the same name.
func LoadDir(fsys fs.FS, dir string) ([]*Scenario, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	cat, err := builtinCatalog()
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	seen := map[string]*Scenario{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") || e.Name() == CatalogFile {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		s, err := parseScenario(e.Name(), b, cat)
		if err != nil {
			return nil, err
		}
		if first, ok := seen[s.Name]; ok {
			return nil, &LoadError{File: e.Name(), Line: s.nameLine,
				Msg: fmt.Sprintf("duplicate scenario name %q (also in %s:%d)", s.Name, first.Source, first.nameLine)}
		}
		seen[s.Name] = s
		out = append(out, s)
	}
	return out, nil
}

// LoadError is a problem in a scenario or catalog file, at a line:
// "FILE:LINE: path: cause". Profiles report theirs the same way.
type LoadError = yamlfile.Error

// clone returns a deep copy, so a World never shares slices with its caller.
func (s *Scenario) clone() *Scenario {
	c := *s
	c.Build.Hotfixes = append([]string(nil), s.Build.Hotfixes...)
	c.Build.Headers = append([]Header(nil), s.Build.Headers...)
	c.Catalog = make([]Revision, len(s.Catalog))
	for i, r := range s.Catalog {
		c.Catalog[i] = r.clone()
	}
	c.TargetGroups = append([]string(nil), s.TargetGroups...)
	c.Approvals = append([]DeploymentRow(nil), s.Approvals...)
	c.Declined = append([]Declination(nil), s.Declined...)
	return &c
}

func (r Revision) clone() Revision {
	r.Prerequisites = append([]int(nil), r.Prerequisites...)
	r.Categories = append([]int(nil), r.Categories...)
	r.BundledUpdates = append([]int(nil), r.BundledUpdates...)
	return r
}
