package scenarios

import (
	"strings"

	"github.com/wsusmock/wsusmock/wusp"
)

// StartCategoryScan answers the request of that name (MS-WUSP §2.2.2.2.8)
// for a build that serves it: a requested category the catalog holds is
// preferred, one it does not hold is in error, each listed once, in the
// order first asked for. The AND groups do not change the answer, since no
// sync is narrowed by category here. A real SP2-era server echoed a known
// category in preferredCategoryIds and sent no requestedCategoryIdsInError
// (CaddyGlow/wsus-rs docs/fixtures/wsus-m0-native/scan/000005); nil lists
// are left out of the reply.
func (w *World) StartCategoryScan(requested []wusp.CategoryRelationship) (preferred, inError []string) {
	seen := make(map[string]bool, len(requested))
	for _, c := range requested {
		id := strings.ToLower(c.CategoryID)
		if seen[id] {
			continue
		}
		seen[id] = true
		if i, ok := w.byUpdate[id]; ok && w.revs[i].UpdateType == TypeCategory {
			preferred = append(preferred, id)
		} else {
			inError = append(inError, id)
		}
	}
	return preferred, inError
}
