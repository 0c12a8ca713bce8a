package fleet

import "testing"

// Misses are misses whatever hid them: an incomplete or unreadable log, or
// none at all, of an affected machine lowers recall; a clean machine
// called affected lowers precision; a cancelled machine counts for
// neither unless it met the fault before it was stopped.
func TestScore(t *testing.T) {
	gt := &GroundTruth{Machines: []Machine{
		{Host: "a1", Outcome: OutcomeFailed, Affected: true},
		{Host: "a2", Outcome: OutcomeFailed, Affected: true},
		{Host: "a3", Outcome: OutcomeFailed, Affected: true},
		{Host: "a4", Outcome: OutcomeFailed, Affected: true},
		{Host: "c1", Outcome: OutcomeSucceeded},
		{Host: "c2", Outcome: OutcomeSucceeded},
		{Host: "x1", Outcome: OutcomeCancelled},
		{Host: "x2", Outcome: OutcomeCancelled, Affected: true},
	}}
	s := gt.Score(map[string]string{"a1": "affected", "a2": "incomplete", "a3": "unreadable",
		"c1": "affected", "c2": "clean", "x1": "incomplete", "x2": "affected", "stray": "clean"})
	if s.TruePositives != 2 || s.FalsePositives != 1 || s.FalseNegatives != 3 {
		t.Errorf("tp %d fp %d fn %d", s.TruePositives, s.FalsePositives, s.FalseNegatives)
	}
	if *s.Precision != 2.0/3 || *s.Recall != 0.4 {
		t.Errorf("precision %v recall %v", *s.Precision, *s.Recall)
	}
	if s.Matrix[TruthAffected][VerdictNoLog] != 1 || s.Matrix[TruthUnknown]["incomplete"] != 1 || s.Matrix[TruthMissing]["clean"] != 1 {
		t.Errorf("matrix %v", s.Matrix)
	}
	if s := (&GroundTruth{}).Score(nil); s.Precision != nil || s.Recall != nil {
		t.Errorf("an empty score has precision %v and recall %v, want undefined", s.Precision, s.Recall)
	}
}
