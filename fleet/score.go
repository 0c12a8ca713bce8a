package fleet

// Rows of a Score's matrix: what the ground truth says of a host.
const (
	TruthAffected    = "affected"     // the machine met 954960
	TruthNotAffected = "not-affected" // the machine's cycle ended otherwise
	// TruthUnknown is a machine whose cycle was cancelled before it met
	// a fault, or could not run: its log is partial, so no verdict about
	// it is right or wrong.
	TruthUnknown = "unknown"
	// TruthMissing is a host a detector gave a verdict on that the ground
	// truth does not list.
	TruthMissing = "not-in-ground-truth"
)

// VerdictNoLog is the column of a machine of the ground truth no log was
// found for.
const VerdictNoLog = "no-log"

// Score is a detection tool's verdicts held against a ground truth: a
// confusion matrix of hosts, truth by verdict, and the tool's precision
// and recall for "affected". Only the verdict "affected" counts as calling
// a host affected: incomplete, unreadable and missing logs of affected
// machines are misses, never hits.
type Score struct {
	// Matrix counts hosts: Matrix[truth row][verdict].
	Matrix map[string]map[string]int `json:"matrix"`
	// TruePositives are affected hosts called affected, FalsePositives
	// hosts called affected that were not, FalseNegatives affected hosts
	// called anything else.
	TruePositives  int `json:"true_positives"`
	FalsePositives int `json:"false_positives"`
	FalseNegatives int `json:"false_negatives"`
	// Precision and Recall are nil when undefined: no host called
	// affected, or no affected host.
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
}

// Score holds verdicts (host → verdict, e.g. "affected", "clean",
// "incomplete", "unreadable") against the ground truth.
func (gt *GroundTruth) Score(verdicts map[string]string) Score {
	s := Score{Matrix: map[string]map[string]int{}}
	count := func(row, col string) {
		if s.Matrix[row] == nil {
			s.Matrix[row] = map[string]int{}
		}
		s.Matrix[row][col]++
		switch {
		case row == TruthAffected && col == TruthAffected:
			s.TruePositives++
		case row == TruthAffected:
			s.FalseNegatives++
		case row == TruthNotAffected && col == TruthAffected:
			s.FalsePositives++
		}
	}
	known := make(map[string]bool, len(gt.Machines))
	for _, m := range gt.Machines {
		known[m.Host] = true
		v, ok := verdicts[m.Host]
		if !ok {
			v = VerdictNoLog
		}
		switch {
		case m.Affected:
			// Met the fault, even if the fleet was stopped while the
			// cycle went on to report it.
			count(TruthAffected, v)
		case m.Outcome == OutcomeCancelled || m.Outcome == OutcomeError:
			count(TruthUnknown, v)
		default:
			count(TruthNotAffected, v)
		}
	}
	for host, v := range verdicts {
		if !known[host] {
			count(TruthMissing, v)
		}
	}
	if n := s.TruePositives + s.FalsePositives; n > 0 {
		p := float64(s.TruePositives) / float64(n)
		s.Precision = &p
	}
	if n := s.TruePositives + s.FalseNegatives; n > 0 {
		r := float64(s.TruePositives) / float64(n)
		s.Recall = &r
	}
	return s
}
