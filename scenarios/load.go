package scenarios

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wsusmock/wsusmock/internal/yamlfile"
)

// fileParser reads one scenario or catalog file.
type fileParser struct{ yamlfile.File }

// srcPos is where a revision was defined, for messages about it.
type srcPos struct {
	file string
	line int
}

func (s srcPos) String() string { return fmt.Sprintf("%s:%d", s.file, s.line) }

var revisionKeys = []string{
	"revision_id", "update_id", "revision_number", "type", "category_type",
	"title", "description", "kb", "bulletin", "severity", "handler",
	"prerequisites", "categories", "bundled_updates", "published",
	"is_installed", "is_installable",
}

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// sharedCatalog is the parsed catalog.yaml with the line of each revision.
type sharedCatalog struct {
	revs []Revision
	pos  []srcPos
}

func parseCatalogPos(file string, b []byte) ([]Revision, []srcPos, error) {
	p := fileParser{yamlfile.File{Name: file}}
	root, err := p.Parse(b)
	if err != nil {
		return nil, nil, err
	}
	f, err := p.Mapping(root, "catalog", "revisions")
	if err != nil {
		return nil, nil, err
	}
	items, err := f.List("revisions")
	if err != nil {
		return nil, nil, err
	}
	if len(items) == 0 {
		return nil, nil, f.Missing("revisions")
	}
	revs, pos, err := p.revisions(items)
	if err != nil {
		return nil, nil, err
	}
	if err := checkCatalog(revs, pos); err != nil {
		return nil, nil, err
	}
	return revs, pos, nil
}

func (p fileParser) revisions(items []*yaml.Node) ([]Revision, []srcPos, error) {
	var revs []Revision
	var pos []srcPos
	for i, it := range items {
		what := fmt.Sprintf("revisions[%d]", i)
		f, err := p.Mapping(it, what, revisionKeys...)
		if err != nil {
			return nil, nil, err
		}
		var r Revision
		if r.RevisionID, err = f.Int("revision_id", true); err != nil {
			return nil, nil, err
		}
		if r.RevisionID <= 0 {
			return nil, nil, p.Errorf(f.Vals["revision_id"], "%s: revision_id must be positive", what)
		}
		what = fmt.Sprintf("revision %d", r.RevisionID)
		f.What = what
		if r.UpdateID, err = f.Str("update_id", true); err != nil {
			return nil, nil, err
		}
		r.UpdateID = strings.ToLower(r.UpdateID)
		if !guidRE.MatchString(r.UpdateID) {
			return nil, nil, p.Errorf(f.Vals["update_id"], "%s: update_id %q is not a GUID like 8862c0de-0000-4000-8000-000000000000", what, r.UpdateID)
		}
		if r.RevisionNumber, err = f.Int("revision_number", true); err != nil {
			return nil, nil, err
		}
		if r.UpdateType, err = f.Str("type", true); err != nil {
			return nil, nil, err
		}
		switch r.UpdateType {
		case TypeSoftware, TypeDetectoid, TypeCategory:
		default:
			return nil, nil, p.Errorf(f.Vals["type"], "%s: type %q is not Software, Detectoid or Category", what, r.UpdateType)
		}
		if r.CategoryType, err = f.Str("category_type", false); err != nil {
			return nil, nil, err
		}
		if (r.CategoryType != "") != (r.UpdateType == TypeCategory) {
			return nil, nil, p.Errorf(it, "%s: category_type (ProductFamily, Product, …) is required for categories and only for them", what)
		}
		if r.Title, err = f.Str("title", true); err != nil {
			return nil, nil, err
		}
		for key, dst := range map[string]*string{
			"description": &r.Description, "kb": &r.KBArticle, "bulletin": &r.SecurityBulletin,
			"severity": &r.MSRCSeverity, "handler": &r.Handler,
			"is_installed": &r.IsInstalledRule, "is_installable": &r.IsInstallableRule,
		} {
			if *dst, err = f.Str(key, false); err != nil {
				return nil, nil, err
			}
		}
		r.KBArticle = strings.TrimPrefix(strings.ToUpper(r.KBArticle), "KB")
		switch r.MSRCSeverity {
		case "", "Critical", "Important", "Moderate", "Low":
		default:
			return nil, nil, p.Errorf(f.Vals["severity"], "%s: severity %q is not Critical, Important, Moderate or Low", what, r.MSRCSeverity)
		}
		if r.Prerequisites, _, err = f.IntList("prerequisites", "revision IDs"); err != nil {
			return nil, nil, err
		}
		if r.Categories, _, err = f.IntList("categories", "revision IDs"); err != nil {
			return nil, nil, err
		}
		if r.BundledUpdates, _, err = f.IntList("bundled_updates", "revision IDs"); err != nil {
			return nil, nil, err
		}
		if r.Published, err = f.Date("published", true); err != nil {
			return nil, nil, err
		}
		revs = append(revs, r)
		pos = append(pos, srcPos{p.Name, it.Line})
	}
	return revs, pos, nil
}

// checkCatalog refuses duplicate revision IDs and UpdateIDs and references
// to revisions that do not exist or have the wrong type.
func checkCatalog(revs []Revision, pos []srcPos) error {
	byID := map[int]int{}
	byUpdate := map[string]int{}
	for i, r := range revs {
		if j, dup := byID[r.RevisionID]; dup {
			return &LoadError{File: pos[i].file, Line: pos[i].line,
				Msg: fmt.Sprintf("duplicate revision ID %d (first defined at %s)", r.RevisionID, pos[j])}
		}
		if j, dup := byUpdate[r.UpdateID]; dup {
			return &LoadError{File: pos[i].file, Line: pos[i].line,
				Msg: fmt.Sprintf("revision %d: duplicate update_id %s (first defined at %s); the catalog holds one revision per update", r.RevisionID, r.UpdateID, pos[j])}
		}
		byID[r.RevisionID] = i
		byUpdate[r.UpdateID] = i
	}
	for i, r := range revs {
		fail := func(format string, args ...any) error {
			return &LoadError{File: pos[i].file, Line: pos[i].line,
				Msg: fmt.Sprintf("revision %d: ", r.RevisionID) + fmt.Sprintf(format, args...)}
		}
		for _, ref := range [][]int{r.Prerequisites, r.Categories, r.BundledUpdates} {
			for _, id := range ref {
				if id == r.RevisionID {
					return fail("refers to itself")
				}
				if _, ok := byID[id]; !ok {
					return fail("refers to revision %d, which is not in the catalog", id)
				}
			}
		}
		for _, id := range r.Categories {
			if revs[byID[id]].UpdateType != TypeCategory {
				return fail("categories: revision %d is a %s, not a Category", id, revs[byID[id]].UpdateType)
			}
		}
		for _, id := range r.BundledUpdates {
			if revs[byID[id]].UpdateType != TypeSoftware || r.UpdateType != TypeSoftware {
				return fail("bundled_updates: only software bundles software (revision %d is a %s)", id, revs[byID[id]].UpdateType)
			}
		}
	}
	return nil
}

var scenarioKeys = []string{
	"name", "description", "build", "fault", "config_last_change",
	"target_groups", "approvals", "declined", "revisions",
}

var declinedKeys = []string{"revision_id", "update_id", "group", "at"}

var approvalKeys = []string{
	"deployment_id", "revision_id", "update_id", "group", "action",
	"deadline", "is_assigned", "last_change", "download_priority",
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// parseScenario reads a scenario file on top of the shared catalog.
func parseScenario(file string, b []byte, catalog sharedCatalog) (*Scenario, error) {
	p := fileParser{yamlfile.File{Name: file}}
	root, err := p.Parse(b)
	if err != nil {
		return nil, err
	}
	f, err := p.Mapping(root, "scenario", scenarioKeys...)
	if err != nil {
		return nil, err
	}
	s := &Scenario{Source: file}
	if s.Name, err = f.Str("name", true); err != nil {
		return nil, err
	}
	s.nameLine = f.Vals["name"].Line
	if !nameRE.MatchString(s.Name) {
		return nil, p.Errorf(f.Vals["name"], "name %q: use lower-case letters, digits and dashes", s.Name)
	}
	if s.Description, err = f.Str("description", true); err != nil {
		return nil, err
	}
	s.Description = strings.TrimSpace(s.Description)
	buildID, err := f.Str("build", true)
	if err != nil {
		return nil, err
	}
	var ok bool
	if s.Build, ok = LookupBuild(buildID); !ok {
		return nil, p.Errorf(f.Vals["build"], "unknown build %q (known: %s)", buildID, buildIDs())
	}
	s.Fault = FaultPresentation{HTTPStatus: 200, FaultString: "Fault occurred"}
	if f.Has("fault") {
		ff, err := p.Mapping(f.Vals["fault"], "fault", "http_status", "fault_string")
		if err != nil {
			return nil, err
		}
		if ff.Has("http_status") {
			if s.Fault.HTTPStatus, err = ff.Int("http_status", true); err != nil {
				return nil, err
			}
			if s.Fault.HTTPStatus != 200 && s.Fault.HTTPStatus != 500 {
				return nil, p.Errorf(ff.Vals["http_status"], "fault: http_status must be 200 or 500, got %d", s.Fault.HTTPStatus)
			}
		}
		if ff.Has("fault_string") {
			if s.Fault.FaultString, err = ff.Str("fault_string", true); err != nil {
				return nil, err
			}
		}
	}
	if s.ConfigLastChange, err = f.Date("config_last_change", false); err != nil {
		return nil, err
	}
	if s.ConfigLastChange.IsZero() {
		s.ConfigLastChange = time.Date(2008, 6, 1, 0, 0, 0, 0, time.UTC)
	}

	// Catalog: the shared one, then the file's own revisions.
	s.Catalog = append([]Revision(nil), catalog.revs...)
	pos := append([]srcPos(nil), catalog.pos...)
	if f.Has("revisions") {
		items, err := f.List("revisions")
		if err != nil {
			return nil, err
		}
		extra, extraPos, err := p.revisions(items)
		if err != nil {
			return nil, err
		}
		s.Catalog = append(s.Catalog, extra...)
		pos = append(pos, extraPos...)
	}
	if err := checkCatalog(s.Catalog, pos); err != nil {
		return nil, err
	}

	// Target groups: All Computers always exists.
	groups, groupNodes, err := f.StrList("target_groups")
	if err != nil {
		return nil, err
	}
	s.TargetGroups = []string{AllComputers}
	seen := map[string]bool{strings.ToLower(AllComputers): true}
	for i, g := range groups {
		if strings.EqualFold(g, AllComputers) {
			continue
		}
		if strings.TrimSpace(g) == "" {
			return nil, p.Errorf(groupNodes[i], "target_groups: empty group name")
		}
		if seen[strings.ToLower(g)] {
			return nil, p.Errorf(groupNodes[i], "target_groups: duplicate group %q", g)
		}
		seen[strings.ToLower(g)] = true
		s.TargetGroups = append(s.TargetGroups, g)
	}

	rows, err := f.List("approvals")
	if err != nil {
		return nil, err
	}
	revByID := map[int]bool{}
	revByUpdate := map[string]int{}
	for _, r := range s.Catalog {
		revByID[r.RevisionID] = true
		revByUpdate[r.UpdateID] = r.RevisionID
	}
	deployments := map[int]int{}
	for i, it := range rows {
		what := fmt.Sprintf("approvals[%d]", i)
		af, err := p.Mapping(it, what, approvalKeys...)
		if err != nil {
			return nil, err
		}
		var d DeploymentRow
		if d.DeploymentID, err = af.Int("deployment_id", true); err != nil {
			return nil, err
		}
		if d.DeploymentID <= 0 || d.DeploymentID >= implicitDeploymentBase {
			return nil, p.Errorf(af.Vals["deployment_id"], "%s: deployment_id must be between 1 and %d", what, implicitDeploymentBase-1)
		}
		if line, dup := deployments[d.DeploymentID]; dup {
			return nil, p.Errorf(af.Vals["deployment_id"], "%s: duplicate deployment_id %d (also at line %d)", what, d.DeploymentID, line)
		}
		deployments[d.DeploymentID] = af.Vals["deployment_id"].Line
		if d.RevisionID, err = p.revisionRef(af, it, what, revByID, revByUpdate); err != nil {
			return nil, err
		}
		if d.Group, err = p.groupRef(af, what, s); err != nil {
			return nil, err
		}
		if d.Action, err = af.Str("action", false); err != nil {
			return nil, err
		}
		switch d.Action {
		case "":
			d.Action = ActionInstall
		case ActionInstall, ActionBundle, ActionEvaluate, ActionUninstall, ActionPreDeploymentCheck:
		default:
			return nil, p.Errorf(af.Vals["action"], "%s: action %q is not Install, Bundle, Evaluate, Uninstall or PreDeploymentCheck", what, d.Action)
		}
		if d.Deadline, err = af.Str("deadline", false); err != nil {
			return nil, err
		}
		if d.IsAssigned, err = af.Bool("is_assigned", true); err != nil {
			return nil, err
		}
		if d.LastChange, err = af.Date("last_change", true); err != nil {
			return nil, err
		}
		if d.DownloadPriority, err = af.Str("download_priority", false); err != nil {
			return nil, err
		}
		s.Approvals = append(s.Approvals, d)
	}
	if err := p.declined(f, s, revByID, revByUpdate); err != nil {
		return nil, err
	}
	return s, nil
}

// declined reads the updates the file starts as Declined. With rows in
// approvals as well, the update is declined in the console while stale
// deployment rows remain, the state KB954960's workaround starts from
// (README, "Reproducing KB954960").
func (p *fileParser) declined(f *yamlfile.Fields, s *Scenario, revByID map[int]bool, revByUpdate map[string]int) error {
	if !f.Has("declined") {
		return nil
	}
	items, err := f.List("declined")
	if err != nil {
		return err
	}
	for i, it := range items {
		what := fmt.Sprintf("declined[%d]", i)
		df, err := p.Mapping(it, what, declinedKeys...)
		if err != nil {
			return err
		}
		rev, err := p.revisionRef(df, it, what, revByID, revByUpdate)
		if err != nil {
			return err
		}
		var d Declination
		for _, r := range s.Catalog {
			if r.RevisionID == rev {
				if r.UpdateType != TypeSoftware {
					return p.Errorf(it, "%s: %q is a %s; only software updates can be declined", what, r.Title, r.UpdateType)
				}
				d.UpdateID = r.UpdateID
			}
		}
		if d.Group, err = p.groupRef(df, what, s); err != nil {
			return err
		}
		if d.At, err = df.Date("at", true); err != nil {
			return err
		}
		s.Declined = append(s.Declined, d)
	}
	return nil
}

// revisionRef reads an item's revision_id or update_id, which must name a
// catalog revision, and returns the revision ID.
func (p *fileParser) revisionRef(af *yamlfile.Fields, it *yaml.Node, what string, revByID map[int]bool, revByUpdate map[string]int) (int, error) {
	switch {
	case af.Has("revision_id") && af.Has("update_id"):
		return 0, p.Errorf(it, "%s: give revision_id or update_id, not both", what)
	case af.Has("revision_id"):
		id, err := af.Int("revision_id", true)
		if err != nil {
			return 0, err
		}
		if !revByID[id] {
			return 0, p.Errorf(af.Vals["revision_id"], "%s: revision %d is not in the catalog", what, id)
		}
		return id, nil
	case af.Has("update_id"):
		u, err := af.Str("update_id", true)
		if err != nil {
			return 0, err
		}
		id, ok := revByUpdate[strings.ToLower(u)]
		if !ok {
			return 0, p.Errorf(af.Vals["update_id"], "%s: update %s is not in the catalog", what, u)
		}
		return id, nil
	}
	return 0, p.Errorf(it, "%s: missing revision_id (or update_id)", what)
}

// groupRef reads an item's group, which must be one of the target groups,
// and returns its canonical spelling.
func (p *fileParser) groupRef(af *yamlfile.Fields, what string, s *Scenario) (string, error) {
	g, err := af.Str("group", true)
	if err != nil {
		return "", err
	}
	if c := s.group(g); c != "" {
		return c, nil
	}
	return "", p.Errorf(af.Vals["group"], "%s: group %q is not in target_groups (%s)", what, g, strings.Join(s.TargetGroups, ", "))
}

// group returns the canonical spelling of a target group, or "".
func (s *Scenario) group(name string) string {
	if name == "" {
		return AllComputers
	}
	for _, g := range s.TargetGroups {
		if strings.EqualFold(g, name) {
			return g
		}
	}
	return ""
}
