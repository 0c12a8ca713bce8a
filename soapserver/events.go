package soapserver

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultEventBuffer is how many exchanges a subscriber may fall behind
// before it loses some.
const DefaultEventBuffer = 256

// MaxEventBuffer bounds what a subscriber may ask for.
const MaxEventBuffer = 1 << 16

// MaxSubscriberBytes bounds the memory of the exchanges waiting in one
// subscriber's buffer (counted as the journal counts them), whatever the
// buffer's length: a subscriber that stops reading holds at most this
// much, and loses further exchanges as when its buffer is full.
const MaxSubscriberBytes = 1 << 20

// ErrClosed is returned by Subscription.Next once the server is closed or
// the subscription cancelled.
var ErrClosed = errors.New("soapserver: event stream closed")

// Event is one item of the event stream: an exchange, or a notice that the
// subscriber fell behind and Dropped exchanges were not delivered to it.
type Event struct {
	Entry   *JournalEntry
	Dropped uint64
}

// broker fans finished exchanges out to subscribers. Publishing never
// blocks: a subscriber whose buffer is full, in entries or in
// MaxSubscriberBytes, loses the event and is told later how many it lost.
type broker struct {
	mu   sync.Mutex // guards changes of subs
	subs atomic.Pointer[[]*Subscription]
}

func newBroker() *broker { return &broker{} }

// Subscription receives the exchanges recorded after Subscribe. Read it with
// Next from one goroutine; Close it when done.
type Subscription struct {
	ch      chan *JournalEntry
	queued  atomic.Int64 // what the entries in ch cost
	dropped atomic.Uint64
	b       *broker
	done    <-chan struct{} // the server's
	gone    chan struct{}
	once    sync.Once
	// hurry wakes a Batch waiting out its interval once the subscription
	// is half full; hurried says a wake-up was sent since the last batch.
	hurry   chan struct{}
	hurried atomic.Bool
	// last is when Batch last returned events; only the reader uses it.
	last time.Time
}

// BatchInterval is how long a dashboard page's stream waits between
// batches (see Subscription.Batch): a page redraws a few times a second
// at most, and waking for every exchange of a busy server would cost
// more than the exchange.
const BatchInterval = 100 * time.Millisecond

// BatchBuffer is the buffer a page's stream subscribes with: room for
// what a busy server records in a BatchInterval.
const BatchBuffer = 4096

func (b *broker) publish(e *JournalEntry) {
	subs := b.subs.Load()
	if subs == nil {
		return
	}
	n := e.size()
	for _, sub := range *subs {
		q := sub.queued.Add(n)
		if q > MaxSubscriberBytes {
			sub.queued.Add(-n)
			sub.dropped.Add(1)
			continue
		}
		select {
		case sub.ch <- e:
		default:
			sub.queued.Add(-n)
			sub.dropped.Add(1)
			continue
		}
		if sub.halfFull(q) && sub.hurried.CompareAndSwap(false, true) {
			select {
			case sub.hurry <- struct{}{}:
			default:
			}
		}
	}
}

// halfFull says the subscription holds half what it may, in entries or
// in bytes (queued): a reader pacing itself should read now.
func (sub *Subscription) halfFull(queued int64) bool {
	return 2*len(sub.ch) >= cap(sub.ch) || 2*queued >= MaxSubscriberBytes
}

// Subscribe starts a subscription with room for buffer exchanges (zero
// means DefaultEventBuffer).
func (s *Server) Subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = DefaultEventBuffer
	}
	buffer = min(buffer, MaxEventBuffer)
	sub := &Subscription{ch: make(chan *JournalEntry, buffer), b: s.events, done: s.done, gone: make(chan struct{}), hurry: make(chan struct{}, 1)}
	b := s.events
	b.mu.Lock()
	defer b.mu.Unlock()
	var next []*Subscription
	if cur := b.subs.Load(); cur != nil {
		next = slices.Clone(*cur)
	}
	next = append(next, sub)
	b.subs.Store(&next)
	return sub
}

// Next waits for the next event. When the subscriber has caught up after
// losing exchanges, the next event is the notice of how many it lost.
// It returns ctx's error, or ErrClosed when the server or the subscription
// is closed.
func (sub *Subscription) Next(ctx context.Context) (Event, error) {
	if len(sub.ch) == 0 {
		if n := sub.dropped.Swap(0); n > 0 {
			return Event{Dropped: n}, nil
		}
	}
	select {
	case e := <-sub.ch:
		sub.queued.Add(-e.size())
		return Event{Entry: e}, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	case <-sub.done:
		return Event{}, ErrClosed
	case <-sub.gone:
		return Event{}, ErrClosed
	}
}

// Batch waits for events and appends to buf those pending, at most limit
// of them (limit <= 0: all), so that a reader that writes them to a
// network stream wakes, writes and flushes once for a burst. It waits
// first until interval has passed since it last returned events, unless
// the subscription is or becomes half full: a reader pacing itself so
// lets the subscription gather what arrives meanwhile, and one exchange
// on an idle server is returned as soon as it is recorded. When the
// subscriber has caught up after losing exchanges, the batch ends with
// the notice of how many it lost. It returns ctx's error, or ErrClosed
// when the server or the subscription is closed.
func (sub *Subscription) Batch(ctx context.Context, buf []Event, limit int, interval time.Duration) ([]Event, error) {
	// A subscription half full is read at once, and one that becomes so
	// ends the wait: pacing should not cost the reader exchanges.
	if wait := time.Until(sub.last.Add(interval)); wait > 0 && !sub.halfFull(sub.queued.Load()) {
		if err := sub.sleep(ctx, wait); err != nil {
			return buf, err
		}
	}
	ev, err := sub.Next(ctx)
	if err != nil {
		return buf, err
	}
	buf = append(buf, ev)
	for n := 1; (limit <= 0 || n < limit) && ev.Entry != nil; n++ {
		select {
		case e := <-sub.ch:
			sub.queued.Add(-e.size())
			ev = Event{Entry: e}
		default:
			ev = Event{Dropped: sub.dropped.Swap(0)}
		}
		if ev.Entry == nil && ev.Dropped == 0 {
			break
		}
		buf = append(buf, ev)
	}
	sub.last = time.Now()
	// What the subscription held is read: the next time it is half full
	// calls for another wake-up.
	select {
	case <-sub.hurry:
	default:
	}
	sub.hurried.Store(false)
	return buf, nil
}

// sleep waits for d, or until ctx is done or the subscription closed.
func (sub *Subscription) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-sub.done:
		return ErrClosed
	case <-sub.gone:
		return ErrClosed
	case <-sub.hurry:
		return nil
	}
}

// Close ends the subscription; publishing stops considering it.
func (sub *Subscription) Close() {
	sub.once.Do(func() {
		close(sub.gone)
		b := sub.b
		b.mu.Lock()
		defer b.mu.Unlock()
		cur := b.subs.Load()
		if cur == nil {
			return
		}
		next := slices.DeleteFunc(slices.Clone(*cur), func(x *Subscription) bool { return x == sub })
		if len(next) == 0 {
			b.subs.Store(nil)
			return
		}
		b.subs.Store(&next)
	})
}
