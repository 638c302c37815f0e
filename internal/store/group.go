package store

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// groupCommit shares commits between concurrent Batch calls without a
// timer: a call that finds no commit under way starts one at once; calls
// that arrive while a transaction runs and fsyncs wait, and all of them go
// into the next one. A lone order commits without waiting, and a crowd
// shares one fsync per round.
//
// bbolt's own DB.Batch waits for a timer (MaxBatchDelay, 2 ms here) before
// every commit, so each group commit cost 2 ms plus the transaction
// (BenchmarkCaptureVsBatch, bbolt TxStats: 3.2 ms per commit for 32 raw puts
// of which 2 ms is the timer), and a single order waited 2 ms for nobody.
type groupCommit struct {
	mu      sync.Mutex
	queue   []groupCall
	running bool
	last    int // calls in the last group
}

// gatherWait bounds the wait for stragglers before a commit; gatherPoll is
// how often the queue is looked at meanwhile.
const (
	gatherWait = 500 * time.Microsecond
	gatherPoll = 50 * time.Microsecond
)

type groupCall struct {
	fn  func(*Tx) error
	err chan error
}

// maxGroup is the most calls one transaction takes (as bbolt's
// DefaultMaxBatchSize).
const maxGroup = 1000

// errTrySolo aborts a group transaction in which one function failed.
var errTrySolo = errors.New("store: group commit: run the failing function alone")

func (db *DB) batch(fn func(*Tx) error) error {
	c := groupCall{fn: fn, err: make(chan error, 1)}
	g := &db.group
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if !g.running {
		g.running = true
		go db.runGroups()
	}
	g.mu.Unlock()
	return <-c.err
}

// runGroups commits queued calls, a group per transaction, until none is
// left.
func (db *DB) runGroups() {
	g := &db.group
	for {
		g.mu.Lock()
		// Under load, callers come back a little apart (an HTTP client's
		// next request is decoded while this one commits): when fewer
		// are queued than half the last group, wait a moment for them
		// rather than spend an fsync on a few. A lone caller (last group
		// of one) never waits.
		if want := g.last / 2; len(g.queue) > 0 && len(g.queue) < want {
			deadline := time.Now().Add(gatherWait)
			for len(g.queue) < want && time.Now().Before(deadline) {
				g.mu.Unlock()
				time.Sleep(gatherPoll)
				g.mu.Lock()
			}
		}
		n := min(len(g.queue), maxGroup)
		g.last = n
		if n == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		calls := g.queue[:n:n]
		g.queue = g.queue[n:]
		if len(g.queue) == 0 {
			g.queue = nil
		}
		g.mu.Unlock()
		db.runGroup(calls)
	}
}

// runGroup runs calls in one transaction. As with bbolt's Batch, when a
// function fails the transaction rolls back, that function runs again on
// its own (its own error is what its caller gets) and the others are
// retried together; so a function may run more than once.
func (db *DB) runGroup(calls []groupCall) {
	for len(calls) > 0 {
		failed := -1
		err := db.Update(func(tx *Tx) error {
			for i, c := range calls {
				if err := safely(c.fn, tx); err != nil {
					failed = i
					return errTrySolo
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range calls {
				c.err <- err
			}
			return
		}
		solo := calls[failed]
		calls = append(calls[:failed:failed], calls[failed+1:]...)
		solo.err <- db.Update(func(tx *Tx) error { return safely(solo.fn, tx) })
	}
}

// safely calls fn, turning a panic into an error for its caller alone.
func safely(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: panic in a batched transaction: %v", p)
		}
	}()
	return fn(tx)
}
