package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTriggerAndOneRunAtATime(t *testing.T) {
	s := New(slog.New(slog.DiscardHandler))
	var running, maxRunning, runs atomic.Int32
	release := make(chan struct{})
	s.Add(Flow{Key: "a/orders", Run: func(ctx context.Context, attempt int) error {
		n := running.Add(1)
		for {
			m := maxRunning.Load()
			if n <= m || maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		runs.Add(1)
		<-release
		running.Add(-1)
		return nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	s.Trigger("a/orders")
	for running.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := 0; i < 5; i++ {
		s.Trigger("a/orders")
	}
	close(release)
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	if maxRunning.Load() != 1 {
		t.Fatalf("%d runs at once", maxRunning.Load())
	}
	// Five triggers during one run coalesce into one more run.
	if r := runs.Load(); r != 2 {
		t.Fatalf("runs = %d, want 2", r)
	}
	if s.Trigger("nope") {
		t.Fatal("trigger of unknown flow succeeded")
	}
}

func TestBackoffHonoursRetryAfter(t *testing.T) {
	s := New(slog.New(slog.DiscardHandler))
	var mu sync.Mutex
	var times []time.Time
	var attempts []int
	errBusy := errors.New("429")
	s.Add(Flow{Key: "a/push", MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond,
		RetryAfter: func(err error) time.Duration {
			if errors.Is(err, errBusy) {
				return 150 * time.Millisecond
			}
			return 0
		},
		Run: func(ctx context.Context, attempt int) error {
			mu.Lock()
			defer mu.Unlock()
			times = append(times, time.Now())
			attempts = append(attempts, attempt)
			switch len(times) {
			case 1:
				return errBusy
			case 2, 3:
				return errors.New("500")
			}
			return nil
		}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	s.Trigger("a/push")
	deadline := time.Now().Add(3 * time.Second)
	for {
		mu.Lock()
		n := len(times)
		mu.Unlock()
		if n >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) < 4 {
		t.Fatalf("only %d runs", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < 150*time.Millisecond {
		t.Fatalf("Retry-After not honoured: retried after %v", gap)
	}
	if attempts[0] != 0 || attempts[1] != 1 || attempts[3] != 3 {
		t.Fatalf("attempts %v", attempts)
	}
	st := s.States()
	if len(st) != 1 || st[0].Failures != 0 || st[0].LastError != "" {
		t.Fatalf("state %+v", st)
	}
}

func TestBackoffBounds(t *testing.T) {
	for n := 1; n < 20; n++ {
		d := Backoff(n, time.Second, time.Minute)
		lo := min(time.Second<<(n-1), time.Minute) / 2
		if d < lo || d > time.Minute {
			t.Fatalf("Backoff(%d) = %v", n, d)
		}
	}
}

func TestIntervalRuns(t *testing.T) {
	s := New(slog.New(slog.DiscardHandler))
	var runs atomic.Int32
	s.Add(Flow{Key: "a/orders", Interval: 20 * time.Millisecond, Run: func(ctx context.Context, attempt int) error {
		runs.Add(1)
		return nil
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	s.Run(ctx)
	if r := runs.Load(); r < 3 {
		t.Fatalf("runs = %d", r)
	}
}

// TestRetryAfterPacesEveryRetry: a far end that keeps answering "again in
// 120 ms" is called again after about 120 ms every time, not after a
// backoff that grows with the failures (the vendor storm saw 4 s, 10 s,
// 18 s, 39 s, 62 s against Retry-After: 1); a Retry-After beyond
// MaxRetryAfter is capped; failures without one still back off from the
// start.
func TestRetryAfterPacesEveryRetry(t *testing.T) {
	errBusy := errors.New("429")
	errFar := errors.New("429 far")
	const ra = 120 * time.Millisecond
	s := New(slog.New(slog.DiscardHandler))
	var mu sync.Mutex
	var times []time.Time
	script := []error{errBusy, errBusy, errBusy, errBusy, errBusy, errFar, errors.New("500"), nil}
	s.Add(Flow{Key: "v/orders", MinBackoff: 40 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, MaxRetryAfter: 400 * time.Millisecond,
		RetryAfter: func(err error) time.Duration {
			switch {
			case errors.Is(err, errBusy):
				return ra
			case errors.Is(err, errFar):
				return time.Hour
			}
			return 0
		},
		Run: func(ctx context.Context, attempt int) error {
			mu.Lock()
			defer mu.Unlock()
			times = append(times, time.Now())
			return script[min(len(times), len(script))-1]
		}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	s.Trigger("v/orders")
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(times)
		mu.Unlock()
		if n >= len(script) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d runs before the deadline", n, len(script))
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	gap := func(i int) time.Duration { return times[i+1].Sub(times[i]) }
	// Runs 0-4 answered Retry-After 120 ms: each retry comes no earlier,
	// and none waits for a grown backoff (the fifth would be 40ms<<4 = 640
	// ms, capped at 400 ms, at least 200 ms).
	for i := range 5 {
		if g := gap(i); g < ra || g > ra+ra/10+150*time.Millisecond {
			t.Errorf("retry %d came %v after a Retry-After of %v", i+1, g, ra)
		}
	}
	// Run 5 asked for an hour: capped at MaxRetryAfter (+10% jitter).
	if g := gap(5); g < 400*time.Millisecond || g > 2*time.Second {
		t.Errorf("Retry-After of an hour: retried after %v, want about MaxRetryAfter (400ms)", g)
	}
	// Run 6 failed without Retry-After: the first backoff step (20-40 ms),
	// not a step grown by the paced failures before it.
	if g := gap(6); g > 200*time.Millisecond {
		t.Errorf("first unpaced failure backed off %v, want the first step (at most 40 ms)", g)
	}
}

func TestPacedDelay(t *testing.T) {
	for _, tc := range []struct{ ra, hi, lo, up time.Duration }{
		{0, time.Minute, 0, 0},
		{-time.Second, time.Minute, 0, 0},
		{time.Second, time.Minute, time.Second, 1100 * time.Millisecond},
		{30 * time.Second, time.Minute, 30 * time.Second, 31 * time.Second},
		{time.Hour, time.Minute, time.Minute, time.Minute + time.Second},
	} {
		for range 50 {
			if d := PacedDelay(tc.ra, tc.hi); d < tc.lo || d > tc.up {
				t.Fatalf("PacedDelay(%v, %v) = %v, want %v..%v", tc.ra, tc.hi, d, tc.lo, tc.up)
			}
		}
	}
}
