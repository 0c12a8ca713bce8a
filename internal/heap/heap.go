// Package heap measures what a piece of code allocates, for tests that
// bound the memory an input may cost. It imports nothing of the project,
// so any package's own tests can use it.
package heap

import "runtime"

// Allocated reports the bytes f allocates on the heap. It collects garbage
// first, so the count starts from a settled heap; run it without other
// goroutines allocating.
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
