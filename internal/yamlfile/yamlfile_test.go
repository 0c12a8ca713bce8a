package yamlfile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/internal/yamlfile"
)

func TestErrorsNameFileLinePathAndCause(t *testing.T) {
	f := yamlfile.File{Name: "dir/user.yaml"}
	for _, tc := range []struct {
		doc, want string
	}{
		{"", "dir/user.yaml: empty file"},
		{"a: [1\n", "dir/user.yaml:1: invalid YAML: did not find expected ',' or ']'"},
		{"- 1\n", "dir/user.yaml:1: want a mapping at the top level, got a list"},
		{"os: {colour: blue}\n", "dir/user.yaml:1: os: unknown key \"colour\" (known: version)"},
		{"os: {version: [1]}\n", "dir/user.yaml:1: os: version: want a string, got a list"},
	} {
		root, err := f.Parse([]byte(tc.doc))
		if err == nil {
			var m *yamlfile.Fields
			if m, err = f.Mapping(root.Content[1], "os", "version"); err == nil {
				_, err = m.Str("version", true)
			}
		}
		var e *yamlfile.Error
		if !errors.As(err, &e) || err.Error() != tc.want {
			t.Errorf("%q: %v, want %q", tc.doc, err, tc.want)
		}
	}
}

// Aliases are fine in moderation; a file whose aliases multiply past the
// budget is refused at the node where they do, in linear time.
func TestAliasBudget(t *testing.T) {
	f := yamlfile.File{Name: "a.yaml"}
	if _, err := f.Parse([]byte("base: &b {x: 1}\nuse: [*b, *b, *b]\n")); err != nil {
		t.Errorf("modest aliases refused: %v", err)
	}
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 12; i++ {
		b.WriteString("l" + string(rune('a'+i)) + ": &l" + string(rune('a'+i)) + " [")
		prev := "l0"
		if i > 1 {
			prev = "l" + string(rune('a'+i-1))
		}
		b.WriteString(strings.TrimSuffix(strings.Repeat("*"+prev+", ", 16), ", ") + "]\n")
	}
	_, err := f.Parse([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "aliases expand to more than") {
		t.Errorf("alias bomb of %d bytes: %v", b.Len(), err)
	}
}

func TestReadRefusesAnOversizedFileUnread(t *testing.T) {
	r := strings.NewReader("a: " + strings.Repeat("x", yamlfile.MaxBytes))
	_, err := yamlfile.File{Name: "big.yaml"}.Read(r)
	if err == nil || err.Error() != "big.yaml: larger than 1048576 bytes; refused unread" {
		t.Errorf("Read: %v", err)
	}
	if r.Len() != 2 { // the file is MaxBytes+3 long; one byte past the bound was read
		t.Errorf("read past the bound: %d bytes left", r.Len())
	}
}
