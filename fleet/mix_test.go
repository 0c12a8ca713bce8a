package fleet

import (
	"strings"
	"testing"
)

func TestParseMix(t *testing.T) {
	m, err := ParseMix(" xp-sp3-office2003=30, xp-sp3=70 ")
	if err != nil {
		t.Fatal(err)
	}
	if m.String() != "xp-sp3-office2003=30,xp-sp3=70" || m.Total() != 100 {
		t.Errorf("ParseMix = %v (total %d)", m, m.Total())
	}
	if m, err := ParseMix("xp-sp3"); err != nil || m.String() != "xp-sp3=1" {
		t.Errorf("a profile alone: %v, %v", m, err)
	}
}

// Bad mixes are refused with a message that names the entry and what is
// wrong with it.
func TestParseMixRefusesBadInput(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "mix is empty"},
		{"xp-sp3=30,xp-sp3-office2003", `mix entry 2 "xp-sp3-office2003": no weight; write xp-sp3-office2003=WEIGHT`},
		{"xp-sp3=thirty", `mix entry 1 "xp-sp3=thirty": weight "thirty" is not a positive integer`},
		{"xp-sp3=0", `weight "0" is not a positive integer`},
		{"xp-sp3=-5", `weight "-5" is not a positive integer`},
		{"=5", `mix entry 1 "=5": no profile name`},
		{"xp-sp3=1,,a=2", `mix entry 2 "": no profile name`},
		{"xp-sp3=1,xp-sp3=2", `mix entry 2 "xp-sp3=2": profile xp-sp3 is named twice`},
		{"a=99999,b=2", "mix weights add up to more than 100000"},
	}
	for _, tc := range tests {
		_, err := ParseMix(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMix(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

// The schedule holds each profile exactly its weight's times per round and
// interleaves them, so a small fleet already has the mix's proportions.
func TestMixSchedule(t *testing.T) {
	m := Mix{{"office", 30}, {"plain", 70}}
	s := m.schedule()
	count := 0
	for i, p := range s {
		if p == 0 {
			count++
		}
		if i == 9 && count != 3 {
			t.Errorf("the first 10 machines hold %d office machines, want 3", count)
		}
	}
	if count != 30 || len(s) != 100 {
		t.Errorf("a round of %d machines holds %d office machines, want 30 of 100", len(s), count)
	}
}
