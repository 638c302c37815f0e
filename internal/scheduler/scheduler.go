package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// RunFunc does one run of a flow. attempt counts consecutive failures
// before this run (0 after a success).
type RunFunc func(ctx context.Context, attempt int) error

// Flow is one recurring job, e.g. "orders" for integration "sq1".
type Flow struct {
	Key      string        // unique, e.g. "sq1/orders"
	Interval time.Duration // between successful runs; 0: run only when triggered
	Jitter   time.Duration // random extra delay added to each interval
	Run      RunFunc
	// Backoff bounds the delay after failures (defaults 5s and 10m).
	MinBackoff, MaxBackoff time.Duration
	// RetryAfter extracts a delay the far end asked for (e.g. from a 429's
	// Retry-After). When it returns more than zero the next run comes after
	// that delay (capped at MaxRetryAfter) instead of the exponential backoff,
	// and the failure does not lengthen later backoffs: a vendor that says
	// "again in 1 s" is asking to be called again in 1 s, not later and
	// later.
	RetryAfter func(error) time.Duration
	// MaxRetryAfter caps a requested delay, so that a far-future
	// Retry-After date cannot park the flow (default the larger of
	// MaxBackoff and DefaultMaxRetryAfter).
	MaxRetryAfter time.Duration
}

// DefaultMaxRetryAfter is the least cap on a far end's Retry-After.
const DefaultMaxRetryAfter = 15 * time.Minute

// State is a flow's current schedule, for status pages.
type State struct {
	Key       string    `json:"key"`
	Running   bool      `json:"running"`
	LastRun   time.Time `json:"last_run,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	Failures  int       `json:"consecutive_failures"`
	NextRun   time.Time `json:"next_run,omitzero"`
}

// Scheduler runs flows. Add flows before or during Run.
type Scheduler struct {
	log *slog.Logger
	mu  sync.Mutex
	fs  map[string]*flowState
	ctx context.Context // set by Run
	wg  sync.WaitGroup
	now func() time.Time
}

type flowState struct {
	f       Flow
	trigger chan struct{}
	cancel  context.CancelFunc
	st      State
}

// New returns an empty scheduler.
func New(log *slog.Logger) *Scheduler {
	return &Scheduler{log: log, fs: map[string]*flowState{}, now: time.Now}
}

// Add registers (or replaces) a flow. If the scheduler is running the flow
// starts at once with a first run after a jittered delay.
func (s *Scheduler) Add(f Flow) {
	if f.MinBackoff <= 0 {
		f.MinBackoff = 5 * time.Second
	}
	if f.MaxBackoff <= 0 {
		f.MaxBackoff = 10 * time.Minute
	}
	if f.MaxRetryAfter <= 0 {
		f.MaxRetryAfter = max(f.MaxBackoff, DefaultMaxRetryAfter)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.fs[f.Key]; ok && old.cancel != nil {
		old.cancel()
	}
	fs := &flowState{f: f, trigger: make(chan struct{}, 1), st: State{Key: f.Key}}
	s.fs[f.Key] = fs
	if s.ctx != nil {
		s.start(fs)
	}
}

// Remove stops and forgets a flow.
func (s *Scheduler) Remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fs, ok := s.fs[key]; ok {
		if fs.cancel != nil {
			fs.cancel()
		}
		delete(s.fs, key)
	}
}

// Trigger asks for an immediate run of key. Triggers while a run is in
// progress coalesce into one more run. It reports whether the flow exists.
func (s *Scheduler) Trigger(key string) bool {
	s.mu.Lock()
	fs, ok := s.fs[key]
	s.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case fs.trigger <- struct{}{}:
	default:
	}
	return true
}

// States returns every flow's schedule, sorted by key.
func (s *Scheduler) States() []State {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]State, 0, len(s.fs))
	for _, fs := range s.fs {
		out = append(out, fs.st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Run runs every flow until ctx is done, then waits for runs in progress.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	s.ctx = ctx
	for _, fs := range s.fs {
		s.start(fs)
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.wg.Wait()
	return nil
}

// start launches fs's loop; s.mu is held.
func (s *Scheduler) start(fs *flowState) {
	ctx, cancel := context.WithCancel(s.ctx)
	fs.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.loop(ctx, fs)
	}()
}

func (s *Scheduler) loop(ctx context.Context, fs *flowState) {
	f := fs.f
	failures := 0
	unpaced := 0 // consecutive failures without a Retry-After: the backoff exponent
	delay := jitter(f.Jitter)
	if f.Interval <= 0 {
		delay = -1
	}
	for {
		s.setNext(fs, delay)
		var timer <-chan time.Time
		var t *time.Timer
		if delay >= 0 {
			t = time.NewTimer(delay)
			timer = t.C
		}
		select {
		case <-ctx.Done():
		case <-timer:
		case <-fs.trigger:
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		fs.st.Running = true
		s.mu.Unlock()
		err := f.Run(ctx, failures)
		now := s.now()
		s.mu.Lock()
		fs.st.Running = false
		fs.st.LastRun = now
		ra := time.Duration(0)
		if err != nil {
			failures++
			fs.st.LastError = err.Error()
			if f.RetryAfter != nil {
				ra = f.RetryAfter(err)
			}
			if ra <= 0 {
				unpaced++
			}
		} else {
			failures, unpaced = 0, 0
			fs.st.LastError = ""
		}
		fs.st.Failures = failures
		s.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		switch {
		case err == nil && f.Interval > 0:
			delay = f.Interval + jitter(f.Jitter)
		case err == nil:
			delay = -1
		case ra > 0:
			delay = PacedDelay(ra, f.MaxRetryAfter)
			if !errors.Is(err, context.Canceled) {
				s.log.Warn("sync run failed", "flow", f.Key, "failures", failures, "retry_in", delay.Round(time.Millisecond), "retry_after", ra, "err", err)
			}
		default:
			delay = Backoff(max(unpaced, 1), f.MinBackoff, f.MaxBackoff)
			if !errors.Is(err, context.Canceled) {
				s.log.Warn("sync run failed", "flow", f.Key, "failures", failures, "retry_in", delay.Round(time.Millisecond), "err", err)
			}
		}
	}
}

func (s *Scheduler) setNext(fs *flowState, delay time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if delay < 0 {
		fs.st.NextRun = time.Time{}
		return
	}
	fs.st.NextRun = s.now().Add(delay)
}

// Backoff returns the delay after n consecutive failures: min doubled per
// failure, capped at max, with "full jitter" on the upper half so that
// thousands of stores don't retry in step.
func Backoff(n int, lo, hi time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// PacedDelay is the wait before retrying when the far end asked for ra
// (Retry-After, in seconds or as an HTTP date): ra itself, capped at hi so
// that a far-future date cannot park a flow, plus up to 10% (at most one
// second) of jitter so that stores told the same date do not return in
// step.
func PacedDelay(ra, hi time.Duration) time.Duration {
	if ra <= 0 {
		return 0
	}
	if hi > 0 {
		ra = min(ra, hi)
	}
	return ra + jitter(min(ra/10, time.Second))
}

func jitter(j time.Duration) time.Duration {
	if j <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(j) + 1))
}
