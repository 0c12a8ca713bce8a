package soapserver

import (
	"context"
	"testing"
	"time"
)

// Large requests share one memory budget while they are read and parsed;
// small ones, a Windows Update Agent's, never wait for it.
func TestInflightBudget(t *testing.T) {
	f := newInflight(12 << 20)
	ctx := context.Background()

	first, ok := f.acquire(ctx, 1<<20, 1<<20)
	if !ok || first != 10<<20 {
		t.Fatalf("a 1 MiB body took %d (%v), want %d", first, ok, 10<<20)
	}
	if share, ok := f.acquire(ctx, 4<<10, 1<<20); !ok || share != 0 {
		t.Errorf("a 4 KiB body waited for the budget: %d, %v", share, ok)
	}

	// A second 1 MiB body finds no room and gives up with its client.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, ok := f.acquire(short, 1<<20, 1<<20); ok {
		t.Fatal("a second 1 MiB body fit in a budget with room for one")
	}
	// A body of unknown length counts as the largest allowed.
	short2, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if _, ok := f.acquire(short2, -1, 1<<20); ok {
		t.Fatal("a chunked body fit in a budget with room for one")
	}

	f.release(first)
	if share, ok := f.acquire(ctx, 1<<20, 1<<20); !ok {
		t.Fatal("the budget was not given back")
	} else {
		f.release(share)
	}
	// A share larger than the whole budget is capped, so one request can
	// always proceed.
	if share, ok := f.acquire(ctx, 1<<30, 1<<30); !ok || share != 12<<20 {
		t.Errorf("an oversized body took %d (%v), want the whole budget", share, ok)
	}
}
