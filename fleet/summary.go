package fleet

import (
	"encoding/json"
	"time"
)

// Counts tallies machines by outcome.
type Counts struct {
	Machines    int `json:"machines"`
	Succeeded   int `json:"succeeded"`
	Failed      int `json:"failed"`
	Affected    int `json:"affected"`
	Unreachable int `json:"unreachable"`
	Cancelled   int `json:"cancelled"`
	Errors      int `json:"errors"`
}

func (c *Counts) add(m Machine) {
	c.Machines++
	switch m.Outcome {
	case OutcomeSucceeded:
		c.Succeeded++
	case OutcomeFailed:
		c.Failed++
	case OutcomeCancelled:
		c.Cancelled++
	case OutcomeError:
		c.Errors++
	}
	if m.Affected {
		c.Affected++
	}
	if m.Unreachable {
		c.Unreachable++
	}
}

// Summary is what a fleet's run came to. Counts covers the machines whose
// cycle ended (Clients minus the ones never started when the run was
// interrupted).
type Summary struct {
	Server  string `json:"server"`
	Mix     string `json:"mix"`
	Clients int    `json:"clients"`
	Counts
	// ByProfile tallies per profile of the mix, ByErrorCode counts the
	// WSUS ErrorCodes that ended cycles.
	ByProfile   map[string]*Counts `json:"by_profile"`
	ByErrorCode map[string]int     `json:"by_error_code"`
	// Elapsed is the wall time of the run, CyclesPerSecond the cycles
	// ended per second of it.
	Elapsed         time.Duration `json:"-"`
	CyclesPerSecond float64       `json:"cycles_per_second"`
	// Interrupted says the run stopped before every machine ran: it was
	// cancelled, the server was unreachable, or the ground truth could not
	// be written.
	Interrupted bool `json:"interrupted"`
}

// MarshalJSON writes Elapsed in seconds.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	return json.Marshal(struct {
		plain
		ElapsedSeconds float64 `json:"elapsed_seconds"`
	}{plain(s), s.Elapsed.Seconds()})
}

func (s *Summary) add(m Machine) {
	s.Counts.add(m)
	c := s.ByProfile[m.Profile]
	if c == nil {
		c = &Counts{}
		s.ByProfile[m.Profile] = c
	}
	c.add(m)
	if m.ErrorCode != "" {
		s.ByErrorCode[m.ErrorCode]++
	}
}

func (s *Summary) finish(elapsed time.Duration) {
	s.Elapsed = elapsed
	if elapsed > 0 {
		s.CyclesPerSecond = float64(s.Machines) / elapsed.Seconds()
	}
}
