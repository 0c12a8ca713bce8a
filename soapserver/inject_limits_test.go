package soapserver_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wsusmock/wsusmock/scenarios"
	"github.com/wsusmock/wsusmock/soapserver"
)

// newBareServer builds a Server on a built-in scenario without serving
// it, for tests of its Go API.
func newBareServer(t *testing.T, scenario string, cfg soapserver.Config) *soapserver.Server {
	t.Helper()
	sc, err := scenarios.Builtin(scenario)
	if err != nil {
		t.Fatal(err)
	}
	w, err := scenarios.NewWorld(sc)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := soapserver.New(w, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// Every count and duration of a fault rule is range-checked before the
// rule is installed: a drip interval of 9223372036855 ms, which overflows
// a time.Duration and made every matching exchange panic, is refused with
// an error naming the field.
func TestFaultRuleRanges(t *testing.T) {
	srv := newBareServer(t, "sp1-office2003", soapserver.Config{})
	drip := func(d soapserver.Drip) soapserver.FaultRule {
		return soapserver.FaultRule{Transport: soapserver.TransportDrip, Drip: &d}
	}
	busy := func(r soapserver.FaultRule) soapserver.FaultRule { r.ErrorCode = "ServerBusy"; return r }
	for _, tc := range []struct {
		name  string
		rule  soapserver.FaultRule
		field string
	}{
		{"drip interval overflowing a duration", drip(soapserver.Drip{IntervalMS: 9223372036855}), "drip.interval_ms"},
		{"drip interval over ten minutes", drip(soapserver.Drip{IntervalMS: 600_001}), "drip.interval_ms"},
		{"negative drip interval", drip(soapserver.Drip{IntervalMS: -1}), "drip.interval_ms"},
		{"drip max overflowing a duration", drip(soapserver.Drip{MaxMS: 9223372036855}), "drip.max_ms"},
		{"huge drip pieces", drip(soapserver.Drip{Bytes: 1 << 40}), "drip.bytes"},
		{"latency overflowing a duration", soapserver.FaultRule{Latency: &soapserver.Latency{FixedMS: 9223372036855}}, "latency.fixed_ms"},
		{"normal latency stddev", soapserver.FaultRule{Latency: &soapserver.Latency{Distribution: "normal", StddevMS: 1 << 50}}, "latency.stddev_ms"},
		{"nth", busy(soapserver.FaultRule{Nth: 1 << 62}), "nth"},
		{"times", busy(soapserver.FaultRule{Times: -3}), "times"},
		{"megabyte message", busy(soapserver.FaultRule{Message: strings.Repeat("m", 1<<20)}), "message"},
		{"megabyte client_id", busy(soapserver.FaultRule{ClientID: strings.Repeat("c", 1<<20)}), "client_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := srv.AddFault(tc.rule)
			var re *soapserver.RuleError
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
	if _, err := srv.AddFault(drip(soapserver.Drip{Bytes: 1 << 20, IntervalMS: 600_000, MaxMS: 600_000})); err != nil {
		t.Errorf("drip at its limits refused: %v", err)
	}
}
