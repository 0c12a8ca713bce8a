package wusp

import (
	"strconv"
	"strings"
	"testing"
)

// atoi must read every int element's text exactly as strconv.Atoi reads it
// trimmed: same value, and an error for the same texts.
func FuzzAtoi(f *testing.F) {
	for _, s := range []string{"0", "8862", "123456789", "1234567890", "-5", "+5", " 7 ", "\n42\t", "", "1a", "٣", "99999999999999999999", "007"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := strconv.Atoi(strings.TrimSpace(s))
		got, err := atoi(s)
		if (err != nil) != (wantErr != nil) || got != want {
			t.Fatalf("atoi(%q) = %d, %v; strconv.Atoi says %d, %v", s, got, err, want, wantErr)
		}
	})
}
