package soapserver

import (
	"context"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/wsusmock/wsusmock/wusp"
)

const (
	// DefaultMaxInflightBytes is the memory large requests may hold at
	// once while they are read and parsed: room for four 1 MiB bodies at
	// their worst.
	DefaultMaxInflightBytes = 48 << 20
	// largeRequest is the body size from which a request takes its share
	// of the budget before its body is read. A Windows Update Agent's
	// requests are a few KB, so the hot path never touches the semaphore.
	largeRequest = 64 << 10
	// parseCost is what one byte of a request may cost while it is read
	// and parsed: the body, the tokenizer's buffer and the element tree
	// (about 112 bytes an element, one element per four bytes of "<a/>"
	// at worst, up to wusp.MaxElements). Measured: 100 concurrent 1 MiB
	// bodies of empty elements held about 9 MB each.
	parseCost = 10
	// inflightWait is how long a large request waits for its share before
	// it is refused with ServerBusy.
	inflightWait = 10 * time.Second
)

// inflight bounds the memory that large requests hold together, so that
// resident memory follows what the server chose to accept, not how many
// clients send their largest request at once. Small requests bypass it.
type inflight struct {
	sem   *semaphore.Weighted
	limit int64
}

func newInflight(limit int64) *inflight {
	return &inflight{sem: semaphore.NewWeighted(limit), limit: limit}
}

// acquire takes the share of a request whose body is length bytes (-1
// when unknown) and at most max; it returns the share to give back, 0 for
// a small request, or false when the budget stayed spent for inflightWait
// or the client went away.
func (f *inflight) acquire(ctx context.Context, length, max int64) (int64, bool) {
	if length >= 0 && length < largeRequest {
		return 0, true
	}
	if length < 0 || length > max {
		length = max
	}
	w := min(length*parseCost, f.limit)
	ctx, cancel := context.WithTimeout(ctx, inflightWait)
	defer cancel()
	if err := f.sem.Acquire(ctx, w); err != nil {
		return 0, false
	}
	return w, true
}

func (f *inflight) release(w int64) {
	if w > 0 {
		f.sem.Release(w)
	}
}

// busy answers a large request the budget had no room for: WSUS's own
// ServerBusy fault, which a Windows Update Agent retries later.
func (s *Server) busy(w http.ResponseWriter, x *exchange) {
	s.writeFault(w, x, wusp.NewFault(wusp.ServerBusy, "too many large requests are being read at once; try again"))
}
