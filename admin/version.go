package admin

import (
	"cmp"
	"runtime/debug"
)

// Version describes the wsusmock binary from the build information Go
// stamps into it: the module version (a tag, or a pseudo-version made from
// the commit), the commit and whether the tree was modified. It is
// ServerInfo.WsusmockVersion and what `wsusmock version` prints.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := cmp.Or(bi.Main.Version, "(devel)")
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (commit " + rev + modified + ")"
	}
	return v
}
