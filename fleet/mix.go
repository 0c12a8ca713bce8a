package fleet

import (
	"fmt"
	"strconv"
	"strings"
)

// Share is one profile's part of a Mix: Weight machines of every
// Mix.Total() are of Profile.
type Share struct {
	Profile string
	Weight  int
}

// Mix says which profiles a fleet's machines run and in which proportion,
// e.g. 30 machines in 100 with Office 2003 and 70 without.
type Mix []Share

// Bounds of a mix, so that a typing slip cannot make the fleet plan a
// billion-entry schedule.
const (
	maxShares    = 64
	maxMixWeight = 100_000
)

// ParseMix reads a mix as the --mix flag takes it: comma-separated
// PROFILE=WEIGHT pairs, e.g. "xp-sp3-office2003=30,xp-sp3=70". Weights are
// positive integers and relative to their sum, so "a=3,b=7" is the mix
// "a=30,b=70" is; they need not add up to 100. A profile named alone,
// "xp-sp3", is the whole fleet. Whether the profiles exist is not checked
// here; Run checks that.
func ParseMix(s string) (Mix, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("mix is empty; give PROFILE=WEIGHT pairs, e.g. xp-sp3-office2003=30,xp-sp3=70")
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxShares {
		return nil, fmt.Errorf("mix has %d profiles; at most %d", len(parts), maxShares)
	}
	var m Mix
	total := 0
	seen := map[string]bool{}
	for i, part := range parts {
		part = strings.TrimSpace(part)
		name, weight, hasWeight := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		w := 1
		switch {
		case name == "":
			return nil, fmt.Errorf("mix entry %d %q: no profile name before %q", i+1, part, "=")
		case !hasWeight && len(parts) > 1:
			return nil, fmt.Errorf("mix entry %d %q: no weight; write %s=WEIGHT", i+1, part, name)
		case hasWeight:
			n, err := strconv.Atoi(strings.TrimSpace(weight))
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("mix entry %d %q: weight %q is not a positive integer", i+1, part, strings.TrimSpace(weight))
			}
			w = n
		}
		if seen[name] {
			return nil, fmt.Errorf("mix entry %d %q: profile %s is named twice", i+1, part, name)
		}
		seen[name] = true
		if total += w; total > maxMixWeight {
			return nil, fmt.Errorf("mix weights add up to more than %d", maxMixWeight)
		}
		m = append(m, Share{Profile: name, Weight: w})
	}
	return m, nil
}

// String is the mix in the form ParseMix reads.
func (m Mix) String() string {
	parts := make([]string, len(m))
	for i, s := range m {
		parts[i] = s.Profile + "=" + strconv.Itoa(s.Weight)
	}
	return strings.Join(parts, ",")
}

// Total is the sum of the weights.
func (m Mix) Total() int {
	t := 0
	for _, s := range m {
		t += s.Weight
	}
	return t
}

// schedule lays the profiles out over Total() consecutive machines by
// smooth weighted round robin, so that every run of Total() machines holds
// each profile exactly Weight times and the profiles are interleaved: the
// first ten machines of a 30/70 mix already hold three with the first
// profile. Machine i runs schedule[i % Total()], the same on every run.
func (m Mix) schedule() []int {
	total := m.Total()
	out := make([]int, total)
	current := make([]int, len(m))
	for k := range out {
		best := 0
		for i, s := range m {
			current[i] += s.Weight
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		out[k] = best
	}
	return out
}
