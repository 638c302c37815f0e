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
