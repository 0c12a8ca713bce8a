package wusp

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// intsList parses <p><L>…</L></p> with an <int> per item and returns p.
func intsList(t *testing.T, items []string) *Element {
	t.Helper()
	var b strings.Builder
	b.WriteString("<p><L>")
	for _, it := range items {
		b.WriteString("<int>" + it + "</int>")
	}
	b.WriteString("</L></p>")
	p, err := new(Document).parse([]byte(b.String()), DefaultMaxDepth)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func numbers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(8000 + i)
	}
	return out
}

// An ArrayOfInt is read in one walk into the array a reused request
// offers, and still refused as too long, never as holding a bad item, when
// it has more items than its bound: whether the array offered has room for
// them all, for some, or for none.
func TestIntsMaxBoundsWhateverTheArrayOffered(t *testing.T) {
	const max = 5
	for _, dst := range [][]int{nil, make([]int, 0, 2), make([]int, 0, 100)} {
		name := "cap " + strconv.Itoa(cap(dst))
		got, err := intsMax(intsList(t, numbers(max)), "parameters", "L", max, true, dst)
		if err != nil || !slices.Equal(got, []int{8000, 8001, 8002, 8003, 8004}) {
			t.Errorf("%s: %d items: %v, %v", name, max, got, err)
		}
		if cap(dst) >= max && &got[0] != &dst[:1][0] {
			t.Errorf("%s: the items did not go into the array offered", name)
		}
		for _, items := range [][]string{numbers(max + 1), append(numbers(1), "x", "8", "9", "10", "11"), append(numbers(max), "x")} {
			_, err := intsMax(intsList(t, items), "parameters", "L", max, true, dst)
			var limit *LimitError
			if !errors.As(err, &limit) || limit.Path != "parameters.L" || limit.Limit != max || !limit.WSUS {
				t.Errorf("%s: %d items %v: %v, want a LimitError for parameters.L", name, len(items), items, err)
			}
		}
		_, err = intsMax(intsList(t, append(numbers(2), "x")), "parameters", "L", max, true, dst)
		if v, ok := err.(*ValueError); !ok || v.Path != "parameters.L.int" || v.Value != "x" {
			t.Errorf("%s: a bad item in a short list: %v, want a ValueError for parameters.L.int", name, err)
		}
		if got, err := intsMax(intsList(t, nil), "parameters", "L", max, true, dst); err != nil || got == nil || len(got) != 0 {
			t.Errorf("%s: an empty list: %#v, %v; want empty and not nil", name, got, err)
		}
	}
}
