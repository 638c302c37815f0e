package clover

import (
	"context"
	"sync"
	"time"
)

// limitWindow is the span in which at most n requests start. It is 5%
// longer than a second so that requests granted a second apart cannot arrive
// closer together after uneven network delays.
const limitWindow = time.Second + time.Second/20

// limiter keeps the adapter under Clover's per-token limits: at most n
// requests start in any limitWindow (a sliding window, so no burst can
// exceed the per-second limit as a token bucket's initial burst would), and
// at most concurrent requests are in flight. It uses the real monotonic
// clock, not the injected one, because it paces real network calls.
type limiter struct {
	mu    sync.Mutex
	times []time.Time // start times of the last n requests, a ring
	next  int
	sem   chan struct{}
}

func newLimiter(n, concurrent int) *limiter {
	return &limiter{times: make([]time.Time, n), sem: make(chan struct{}, concurrent)}
}

// acquire waits for a slot in the window and a concurrency slot; release
// must be called when the request is done.
func (l *limiter) acquire(ctx context.Context) (release func(), err error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	select {
	case l.sem <- struct{}{}:
		return func() { <-l.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *limiter) wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := time.Now()
		oldest := l.times[l.next]
		if oldest.IsZero() || now.Sub(oldest) >= limitWindow {
			l.times[l.next] = now
			l.next = (l.next + 1) % len(l.times)
			l.mu.Unlock()
			return nil
		}
		need := limitWindow - now.Sub(oldest)
		l.mu.Unlock()
		t := time.NewTimer(need)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
