package spool

import (
	"context"
	"errors"
	"testing"
)

// TestCancel: a queued job leaves the queue, an unconfirmed one is
// dismissed, a printed one cannot be cancelled, an unknown id is named.
func TestCancel(t *testing.T) {
	// Not running: nothing is sent, so jobs stay queued.
	f := newFixture(t, []Printer{{Name: "front", Connection: "tcp://127.0.0.1:9", Profile: "TM-T88V"}}, testOptions())
	ctx := context.Background()
	j, _, err := f.s.Submit(ctx, Request{ID: "t-1", Printer: "front", Kind: KindTest})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := f.s.Printer("front"); st.QueueDepth != 1 {
		t.Fatalf("queue %d", st.QueueDepth)
	}
	var seen []Job
	f.s.opts.OnJob = func(j Job) { seen = append(seen, j) }
	c, err := f.s.Cancel(j.ID, "token:tablet")
	if err != nil || c.State != Cancelled || c.LastError != "cancelled by token:tablet while queued" {
		t.Fatalf("cancel queued: %v %+v", err, c)
	}
	if st, _ := f.s.Printer("front"); st.QueueDepth != 0 {
		t.Fatalf("queue after cancel %d", st.QueueDepth)
	}
	if len(seen) != 1 || seen[0].State != Cancelled {
		t.Fatalf("OnJob saw %+v", seen)
	}
	if _, err := f.s.Cancel(j.ID, "x"); !errors.Is(err, ErrNotCancellable) {
		t.Fatalf("cancel twice: %v", err)
	}
	// Unconfirmed: dismissed.
	u, _, _ := f.s.Submit(ctx, Request{ID: "t-2", Printer: "front", Kind: KindTest})
	if _, err := f.s.update(u.ID, func(j *Job) { j.State = Unconfirmed }); err != nil {
		t.Fatal(err)
	}
	if c, err := f.s.Cancel(u.ID, "token:tablet"); err != nil || c.State != Cancelled {
		t.Fatalf("cancel unconfirmed: %v %+v", err, c)
	}
	// Printed: refused.
	p, _, _ := f.s.Submit(ctx, Request{ID: "t-3", Printer: "front", Kind: KindTest})
	f.s.update(p.ID, func(j *Job) { j.State = Printed })
	if _, err := f.s.Cancel(p.ID, "x"); !errors.Is(err, ErrNotCancellable) {
		t.Fatalf("cancel printed: %v", err)
	}
	if _, err := f.s.Cancel("nope", "x"); !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("cancel unknown: %v", err)
	}
}
