package detect

import "strings"

// Correlate pairs every client report with every server report that
// have fault IDs and records in both, as Correlations, which IDs they
// share. The ID WSUS writes into a fault's detail is the one it logs in
// ThrowException (fact sheet §2.1, §2.5), so a shared ID shows that this
// client's failure is that server's exception. IDs compare without
// regard to case.
func Correlate(reports []Report) {
	for i := range reports {
		reports[i].Correlations = nil
	}
	for i := range reports {
		if reports[i].Kind != KindClient {
			continue
		}
		for j := range reports {
			if reports[j].Kind != KindServer {
				continue
			}
			ci, si := reports[i].FaultIDs(), reports[j].FaultIDs()
			if len(ci) == 0 || len(si) == 0 {
				continue
			}
			reports[i].Correlations = append(reports[i].Correlations, correlation(reports[j].Name, ci, si))
			reports[j].Correlations = append(reports[j].Correlations, correlation(reports[i].Name, si, ci))
		}
	}
}

func correlation(with string, mine, theirs []string) Correlation {
	has := make(map[string]bool, len(theirs))
	for _, id := range theirs {
		has[strings.ToLower(id)] = true
	}
	c := Correlation{With: with, Matched: []string{}}
	for _, id := range mine {
		if has[strings.ToLower(id)] {
			c.Matched = append(c.Matched, id)
		} else {
			c.Unmatched = append(c.Unmatched, id)
		}
	}
	return c
}
