package cloud

import (
	"math/rand/v2"
	"time"
)

// backoff is jittered exponential backoff, "decorrelated": each wait is
// uniform in [min, 3 x the previous wait], capped at max (it grows about
// 1.5x per attempt on average, and stores that failed together drift
// apart instead of retrying in step).
//
// The first wait after reset (a connection that had been up is lost) is
// instead uniform in [0, spread]: when a broker restarts, every store of
// the fleet loses its connection at the same instant, and this spreads
// their first attempts over the whole window instead of half a second
// (BenchmarkReconnectStorm, README "Measured").
type backoff struct {
	min, max, spread time.Duration
	next             time.Duration
	fresh            bool // the next wait is the first after a reset
}

func newBackoff(min, max, spread time.Duration) *backoff {
	return &backoff{min: min, max: max, spread: spread, next: min}
}

// wait returns the next pause and doubles the base for the one after.
func (b *backoff) wait() time.Duration {
	if b.fresh && b.spread > 0 {
		b.fresh = false
		return rand.N(b.spread + 1)
	}
	b.fresh = false
	// Decorrelated jitter: uniform in [min, 3 x the previous], capped.
	hi := max(b.next*3, b.min+1)
	d := min(b.min+rand.N(hi-b.min), b.max)
	b.next = d
	return d
}

func (b *backoff) reset() { b.next, b.fresh = b.min, true }
