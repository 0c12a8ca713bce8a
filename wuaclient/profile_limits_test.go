package wuaclient_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/wuaclient"
)

// Profile files are read the way scenario files are: bounded in size and
// alias expansion, refused with FILE:LINE.
func TestProfileFilesAreBounded(t *testing.T) {
	var bomb strings.Builder
	bomb.WriteString("name: bomb\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i <= 9; i++ {
		prev := "*x" + string(rune('0'+i-1))
		bomb.WriteString("x" + string(rune('0'+i)) + ": &x" + string(rune('0'+i)) + " [" + strings.TrimSuffix(strings.Repeat(prev+", ", 10), ", ") + "]\n")
	}
	for _, tc := range []struct{ doc, want string }{
		{bomb.String(), "bomb.yaml:7: aliases expand to more than"},
		{"name: " + strings.Repeat("x", 2<<20), "bomb.yaml: larger than 1048576 bytes"},
	} {
		_, err := wuaclient.ParseProfile("bomb.yaml", strings.NewReader(tc.doc))
		var pe *wuaclient.ProfileError
		if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("ParseProfile: %v, want %q…", err, tc.want)
		}
	}
}
