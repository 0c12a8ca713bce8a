package detect

import "strings"

// Correlate ties client and server reports together by fault ID. The ID
// WSUS writes into a fault's detail is the one it logs in its
// ThrowException line (docs/protocol-facts.md §2.1, §2.5), so a shared ID shows that
// this client's failure is that server's exception.
//
// For every client report and every server report that share fault IDs,
// each gets a Correlation naming the other and the shared IDs. When
// reports of both kinds are present, a report's fault IDs (see FaultIDs)
// that no report of the other kind holds go to its UnmatchedFaultIDs.
// IDs compare without regard to case. Earlier correlations are replaced.
func Correlate(reports []Report) {
	held := map[Kind]map[string]bool{KindClient: {}, KindServer: {}}
	for i := range reports {
		reports[i].Correlations, reports[i].UnmatchedFaultIDs = nil, nil
		if m := held[reports[i].Kind]; m != nil && len(reports[i].Faults) > 0 {
			for _, f := range reports[i].Faults {
				if f.ID != "" {
					m[strings.ToLower(f.ID)] = true
				}
			}
		}
	}
	kinds := map[Kind]int{}
	for _, r := range reports {
		kinds[r.Kind]++
	}
	if kinds[KindClient] == 0 || kinds[KindServer] == 0 {
		return
	}
	for i := range reports {
		other := KindServer
		switch reports[i].Kind {
		case KindClient:
		case KindServer:
			other = KindClient
		default:
			continue
		}
		for _, id := range reports[i].FaultIDs() {
			if !held[other][strings.ToLower(id)] {
				reports[i].UnmatchedFaultIDs = append(reports[i].UnmatchedFaultIDs, id)
			}
		}
		for j := range reports {
			if reports[j].Kind != other {
				continue
			}
			if shared := sharedIDs(reports[i].FaultIDs(), reports[j].Faults); len(shared) > 0 {
				reports[i].Correlations = append(reports[i].Correlations, Correlation{With: reports[j].Name, Matched: shared})
			}
		}
	}
}

// sharedIDs returns the ids that one of faults carries.
func sharedIDs(ids []string, faults []Fault) []string {
	var shared []string
	for _, id := range ids {
		for _, f := range faults {
			if strings.EqualFold(f.ID, id) {
				shared = append(shared, id)
				break
			}
		}
	}
	return shared
}
