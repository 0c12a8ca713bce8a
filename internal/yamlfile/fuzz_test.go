package yamlfile_test

import (
	"errors"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/wsusmock/wsusmock/internal/yamlfile"
)

// FuzzParse: any input of at most MaxBytes is a mapping node or an *Error
// naming the file, never a panic; aliases never take it past the budget.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"name: x\n", "a: &a [1, 2]\nb: [*a, *a]\n", "- 1\n", "a: *nowhere\n", "a: &a [*a]\n",
		"l0: &l0 [x, x]\nl1: &l1 [*l0, *l0]\nl2: [*l1, *l1]\n", "\xff\xfe", "a: {b: [c, {d: e}]}\n",
	} {
		f.Add([]byte(seed))
	}
	file := yamlfile.File{Name: "fuzz.yaml"}
	f.Fuzz(func(t *testing.T, b []byte) {
		root, err := file.Parse(b)
		var e *yamlfile.Error
		switch {
		case err != nil && (!errors.As(err, &e) || e.File != "fuzz.yaml"):
			t.Fatalf("%q: error %v is not a *yamlfile.Error naming the file", b, err)
		case err == nil && (root == nil || root.Kind != yaml.MappingNode):
			t.Fatalf("%q: no top-level mapping", b)
		}
	})
}
