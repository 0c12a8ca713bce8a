package soapserver

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzFaultRule decodes a fault rule as the admin API does and checks
// that a rule validateRule accepts can be applied to any exchange: every
// delay it asks for and every drip plan stays within maxInjectedDelay,
// with a pause and piece size above zero (time.NewTicker panics on a
// pause of zero or less).
func FuzzFaultRule(f *testing.F) {
	for _, seed := range []string{
		`{"operation": "SyncUpdates", "error_code": "InternalServerError", "message": "x"}`,
		`{"transport": "drip", "drip": {"bytes": 1, "interval_ms": 9223372036855, "max_ms": 5}}`,
		`{"transport": "drip", "drip": {"bytes": 1048576, "interval_ms": 600000, "max_ms": 600000}}`,
		`{"latency": {"distribution": "normal", "mean_ms": 600000, "stddev_ms": 600000, "seed": -1}}`,
		`{"latency": {"distribution": "uniform", "min_ms": 0, "max_ms": 600000}, "nth": 1000000000, "times": 1}`,
		`{"probability": 1e-300, "seed": -9223372036854775808, "transport": "truncate"}`,
		`{"client_id": "c0a7445f-b989-43fa-ac20-11f8ca65fa8c", "transport": "reset"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fr FaultRule
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if dec.Decode(&fr) != nil {
			return
		}
		r, _, err := validateRule(fr)
		if err != nil {
			if _, ok := err.(*RuleError); !ok {
				t.Fatalf("%s: %T is not a *RuleError", body, err)
			}
			return
		}
		if l := r.Latency; l != nil {
			for _, n := range []int64{0, 1, 2, maxRuleCount} {
				if d := l.delay(n); d < 0 || d > maxInjectedDelay {
					t.Fatalf("%s: delay %v of hit %d out of range", body, d, n)
				}
			}
		}
		for _, n := range []int{0, 1, 1 << 20} {
			interval, chunk, total := r.Drip.plan(n)
			if interval <= 0 || interval > maxInjectedDelay || chunk <= 0 || total <= 0 || total > maxInjectedDelay {
				t.Fatalf("%s: drip plan for %d bytes: every %v, %d bytes, within %v", body, n, interval, chunk, total)
			}
			time.NewTicker(interval).Stop()
		}
	})
}
