package soapserver

import (
	"errors"
	"strings"
	"testing"
)

// Every count and duration of a fault rule is range-checked before the
// rule is installed: a drip interval of 9223372036855 ms, which overflows
// a time.Duration and made every matching exchange panic, is refused with
// an error naming the field.
func TestFaultRuleRanges(t *testing.T) {
	srv := newTestServer(t, "sp1-office2003", Config{})
	drip := func(d Drip) FaultRule {
		return FaultRule{Transport: TransportDrip, Drip: &d}
	}
	busy := func(r FaultRule) FaultRule { r.ErrorCode = "ServerBusy"; return r }
	for _, tc := range []struct {
		name  string
		rule  FaultRule
		field string
	}{
		{"drip interval overflowing a duration", drip(Drip{IntervalMS: 9223372036855}), "drip.interval_ms"},
		{"drip interval over ten minutes", drip(Drip{IntervalMS: 600_001}), "drip.interval_ms"},
		{"negative drip interval", drip(Drip{IntervalMS: -1}), "drip.interval_ms"},
		{"drip max overflowing a duration", drip(Drip{MaxMS: 9223372036855}), "drip.max_ms"},
		{"huge drip pieces", drip(Drip{Bytes: 1 << 40}), "drip.bytes"},
		{"latency overflowing a duration", FaultRule{Latency: &Latency{FixedMS: 9223372036855}}, "latency.fixed_ms"},
		{"normal latency stddev", FaultRule{Latency: &Latency{Distribution: "normal", StddevMS: 1 << 50}}, "latency.stddev_ms"},
		{"nth", busy(FaultRule{Nth: 1 << 62}), "nth"},
		{"times", busy(FaultRule{Times: -3}), "times"},
		{"megabyte message", busy(FaultRule{Message: strings.Repeat("m", 1<<20)}), "message"},
		{"megabyte client_id", busy(FaultRule{ClientID: strings.Repeat("c", 1<<20)}), "client_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := srv.AddFault(tc.rule)
			var re *RuleError
			if !errors.As(err, &re) || re.Field != tc.field {
				t.Fatalf("err = %v, want a RuleError naming %s", err, tc.field)
			}
			if !strings.Contains(re.Reason, "range") && !strings.Contains(re.Reason, "longer than") {
				t.Errorf("reason %q does not give the limit", re.Reason)
			}
		})
	}
	if got := srv.Faults(); len(got) != 0 {
		t.Errorf("refused rules were installed: %+v", got)
	}
	// The largest values allowed are accepted.
	if _, err := srv.AddFault(drip(Drip{Bytes: 1 << 20, IntervalMS: 600_000, MaxMS: 600_000})); err != nil {
		t.Errorf("drip at its limits refused: %v", err)
	}
}
