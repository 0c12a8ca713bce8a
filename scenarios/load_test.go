package scenarios_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wsusmock/wsusmock/scenarios"
)

// A user scenario that puts two rows on an Office 2003 security update
// reproduces the failure with that revision's ID as the key.
const userDuplicateOn8871 = `# Inconsistent approval of the Excel 2003 update instead of Office 2003 SP1.
name: excel-duplicate
description: two deployment rows for KB943985 (8871)
build: wsus30-sp1
target_groups: [All Computers]
approvals:
  - {deployment_id: 1, revision_id: 8871, group: All Computers, last_change: 2008-03-12}
  - {deployment_id: 2, update_id: 8DB252B3-34D1-4F13-A62B-044E4D7676F9, group: All Computers, last_change: 2008-06-10}
  - {deployment_id: 3, revision_id: 8862, group: All Computers, last_change: 2008-06-10}
`

func TestUserScenarioDuplicateOnAnotherRevision(t *testing.T) {
	s, err := scenarios.Load("excel.yaml", strings.NewReader(userDuplicateOn8871))
	if err != nil {
		t.Fatal(err)
	}
	w, err := scenarios.NewWorld(s)
	if err != nil {
		t.Fatal(err)
	}
	run := playClient(t, w, officeClient)
	var dup *scenarios.DuplicateKeyError
	if !errors.As(run.err, &dup) || dup.Key != 8871 || run.rounds != 3 {
		t.Fatalf("Office client: %v on round %d, want key 8871 on round 3", run.err, run.rounds)
	}
	if run := playClient(t, w, plainClient); run.err != nil {
		t.Errorf("client without Office: %v", run.err)
	}
	fixed, err := w.InstallHotfix(scenarios.HotfixKB954960)
	if err != nil {
		t.Fatal(err)
	}
	if run := playClient(t, fixed, officeClient); run.err != nil {
		t.Errorf("after KB954960: %v", run.err)
	}
}

func TestLoadErrors(t *testing.T) {
	head := "name: bad\ndescription: d\nbuild: wsus30-sp1\n" // lines 1-3
	row := func(fields string) string { return "approvals:\n  - {" + fields + "}\n" }
	ok := "deployment_id: 1, revision_id: 8862, group: All Computers, last_change: 2008-06-10"
	tests := []struct {
		name     string
		yaml     string
		wantLine int
		wantMsg  string
	}{
		{"syntax", head + "fault:\n  http_status: 500\n  fault_string: a: b\n", 6, "invalid YAML"},
		{"unknown top-level key", head + "colour: blue\n", 4, `unknown key "colour"`},
		{"unknown row key", head + row(ok+", approved_by: admin"), 5, `unknown key "approved_by"`},
		{"duplicate key", head + "name: again\n", 4, `duplicate key "name"`},
		{"wrong type", head + row("deployment_id: twelve, revision_id: 8862, group: All Computers, last_change: 2008-06-10"), 5, `deployment_id: want an integer, got "twelve"`},
		{"quoted revision id", head + row(`deployment_id: 1, revision_id: "8862", group: All Computers, last_change: 2008-06-10`), 5, "want an integer"},
		{"bad date", head + row("deployment_id: 1, revision_id: 8862, group: All Computers, last_change: June"), 5, "want a date"},
		{"list instead of mapping", head + "fault: [500]\n", 4, "fault: want a mapping, got a list"},
		{"unknown build", "name: bad\ndescription: d\nbuild: wsus40\n", 3, `unknown build "wsus40"`},
		{"missing build", "name: bad\ndescription: d\n", 1, `missing required key "build"`},
		{"bad status", head + "fault: {http_status: 404}\n", 4, "200 or 500"},
		{"unknown revision", head + row("deployment_id: 1, revision_id: 9999, group: All Computers, last_change: 2008-06-10"), 5, "revision 9999 is not in the catalog"},
		{"unknown update", head + row("deployment_id: 1, update_id: 00000000-0000-0000-0000-000000000000, group: All Computers, last_change: 2008-06-10"), 5, "is not in the catalog"},
		{"unknown group", head + "target_groups: [Servers]\n" + row("deployment_id: 1, revision_id: 8862, group: Laptops, last_change: 2008-06-10"), 6, `group "Laptops" is not in target_groups`},
		{"duplicate deployment", head + "approvals:\n  - {" + ok + "}\n  - {" + ok + "}\n", 6, "duplicate deployment_id 1 (also at line 5)"},
		{"duplicate revision ID", head + "revisions:\n  - revision_id: 8862\n    update_id: 11111111-2222-3333-4444-555555555555\n    revision_number: 1\n    type: Software\n    title: x\n    published: 2008-01-01\n", 5, "duplicate revision ID 8862 (first defined at catalog.yaml:"},
		{"dangling prerequisite", head + "revisions:\n  - revision_id: 9001\n    update_id: 11111111-2222-3333-4444-555555555555\n    revision_number: 1\n    type: Software\n    title: x\n    prerequisites: [9002]\n    published: 2008-01-01\n", 5, "refers to revision 9002"},
		{"not a guid", head + "revisions:\n  - revision_id: 9001\n    update_id: office-sp1\n", 6, "is not a GUID"},
		{"top-level list", "- name: bad\n", 1, "want a mapping at the top level"},
		{"declined unknown revision", head + "declined:\n  - {revision_id: 9999, group: All Computers, at: 2008-06-12}\n", 5, "declined[0]: revision 9999 is not in the catalog"},
		{"declined category", head + "declined:\n  - {update_id: bdfd8790-6644-4c57-a37a-86cb6b39c04d, group: All Computers, at: 2008-06-12}\n", 5, "only software updates can be declined"},
		{"declined without date", head + "declined:\n  - {revision_id: 8862, group: All Computers}\n", 5, `missing required key "at"`},
		{"declined unknown key", head + "declined:\n  - {revision_id: 8862, group: All Computers, at: 2008-06-12, by: admin}\n", 5, `unknown key "by"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scenarios.Load("user.yaml", strings.NewReader(tt.yaml))
			if err == nil {
				t.Fatalf("loaded:\n%s", tt.yaml)
			}
			var le *scenarios.LoadError
			if !errors.As(err, &le) || le.File != "user.yaml" || le.Line != tt.wantLine {
				t.Errorf("error %q: want user.yaml line %d", err, tt.wantLine)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

func TestLoadDirRefusesDuplicateNames(t *testing.T) {
	body := "name: twin\ndescription: d\nbuild: wsus30-sp2\n"
	fsys := fstest.MapFS{
		"s/a.yaml":       {Data: []byte(body)},
		"s/b.yaml":       {Data: []byte("# the same name again\n" + body)},
		"s/catalog.yaml": {Data: []byte("not: read\n")},
	}
	_, err := scenarios.LoadDir(fsys, "s")
	if err == nil || err.Error() != `b.yaml:2: duplicate scenario name "twin" (also in a.yaml:1)` {
		t.Errorf("LoadDir: %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "excel.yaml")
	if err := os.WriteFile(path, []byte(userDuplicateOn8871), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := scenarios.LoadFile(path)
	if err != nil || s.Name != "excel-duplicate" || s.Fault.HTTPStatus != 200 || s.Fault.FaultString != "Fault occurred" {
		t.Errorf("LoadFile: %+v, %v", s, err)
	}
	if _, err := scenarios.LoadFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("LoadFile of a missing file succeeded")
	}
}

// aliasBomb nests lists of aliases nine deep: under a thousand bytes that
// name 10^9 strings once the aliases are followed.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("name: bomb\ndescription: d\nbuild: wsus30-sp1\n") // lines 1-3
	b.WriteString("target_groups: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	return b.String()
}

// Files are bounded before any work is done on them: in size, and in what
// their aliases expand to. Both are refused naming the file.
func TestLoadRefusesOversizedAndAliasBombs(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("name: big\ndescription: "+strings.Repeat("x", 2<<20)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bomb := filepath.Join(dir, "bomb.yaml")
	if err := os.WriteFile(bomb, []byte(aliasBomb()), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		big:  filepath.ToSlash(big) + ": larger than 1048576 bytes; refused unread",
		bomb: filepath.ToSlash(bomb) + ":9: aliases expand to more than 1048576 nodes; refused",
	} {
		_, err := scenarios.LoadFile(file)
		var le *scenarios.LoadError
		if !errors.As(err, &le) || err.Error() != want {
			t.Errorf("LoadFile(%s) = %v, want %q", filepath.Base(file), err, want)
		}
	}
}
