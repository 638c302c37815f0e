package cloud

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// bookClock drives a receiptBook with a clock of its own.
type bookClock struct {
	t   *testing.T
	rb  *receiptBook
	now time.Time
	seq uint64
}

func newBookClock(t *testing.T, floor, ceil time.Duration) *bookClock {
	return &bookClock{t: t, rb: newReceiptBook(ReceiptsConfig{Timeout: floor, MaxTimeout: ceil, MaxPending: 1000}), now: time.Unix(1_800_000_000, 0)}
}

func (c *bookClock) advance(d time.Duration) { c.now = c.now.Add(d) }

// publish sends a new row (acknowledged by the broker) and returns its id.
func (c *bookClock) publish(stream outbox.Stream) string {
	c.seq++
	r := &outbox.Row{Seq: c.seq, ID: fmt.Sprintf("e%d", c.seq)}
	if send, full := c.rb.shouldSend(r, c.now); !send || full {
		c.t.Fatalf("new row %s: send %v full %v", r.ID, send, full)
	}
	c.rb.sending(stream, r, c.now)
	c.rb.pubacked(r.ID)
	return r.ID
}

// resendDue publishes again every due row and returns their ids.
func (c *bookClock) resendDue() []string {
	c.rb.mu.Lock()
	var due []string
	for id, p := range c.rb.pending {
		if p.due {
			due = append(due, id)
		}
	}
	c.rb.mu.Unlock()
	for _, id := range due {
		p := c.rb.pending[id]
		c.rb.sending(p.stream, &outbox.Row{Seq: p.seq, ID: id}, c.now)
		c.rb.pubacked(id)
	}
	return due
}

func (c *bookClock) overdue() int {
	n, _, _, _ := c.rb.overdue(c.now)
	return n
}

func (c *bookClock) confirm(ids ...string) { c.rb.take(ids, c.now) }

// TestReceiptTimeoutAdapts: a cloud that confirms every event 1.5 s after
// it was sent, with a 1 s configured timeout, gets no copies once the
// latency is measured; the timeout stays within its bounds.
func TestReceiptTimeoutAdapts(t *testing.T) {
	c := newBookClock(t, time.Second, 10*time.Second)
	resent := 0
	var inflight [][2]any               // id, sent at
	for step := 0; step < 600; step++ { // 60 s in 100 ms steps, one event per step
		id := c.publish(outbox.Orders)
		inflight = append(inflight, [2]any{id, c.now})
		c.advance(100 * time.Millisecond)
		for len(inflight) > 0 && c.now.Sub(inflight[0][1].(time.Time)) >= 1500*time.Millisecond {
			c.confirm(inflight[0][0].(string))
			inflight = inflight[1:]
		}
		c.overdue()
		resent += len(c.resendDue())
	}
	if resent > 20 {
		t.Errorf("%d events sent again for a cloud that confirms each in 1.5 s (want only the first second's, before a latency is known)", resent)
	}
	if to := c.rb.timeout(); to < 1500*time.Millisecond || to > 10*time.Second {
		t.Errorf("timeout %v, want between the measured 1.5 s and the 10 s cap", to)
	}
	t.Logf("%d of 600 events sent again; timeout %v", resent, c.rb.timeout())
}

// TestReceiptResendBacksOff: a cloud that never confirms gets copies of an
// event after 1, 2, 4, 8 … s (capped), not one every second.
func TestReceiptResendBacksOff(t *testing.T) {
	c := newBookClock(t, time.Second, 8*time.Second)
	c.publish(outbox.Payments)
	var at []time.Duration
	for i := 0; i < 300; i++ { // 30 s
		c.advance(100 * time.Millisecond)
		c.overdue()
		if len(c.resendDue()) > 0 {
			at = append(at, time.Duration(i+1)*100*time.Millisecond)
		}
	}
	want := []time.Duration{1 * time.Second, 3 * time.Second, 7 * time.Second, 15 * time.Second, 23 * time.Second}
	if fmt.Sprint(at) != fmt.Sprint(want) {
		t.Errorf("resent at %v, want %v", at, want)
	}
}

// TestReceiptHoldWhileCloudProgresses: while the cloud confirms, on the
// same stream, events sent before a late one, the late one is not sent
// again (the cloud is behind, not losing it); the payment stream, where
// nothing is confirmed, is; once the cloud confirms an order sent after
// the late one, the late one is sent again within a timeout.
func TestReceiptHoldWhileCloudProgresses(t *testing.T) {
	c := newBookClock(t, time.Second, time.Minute)
	const step = 100 * time.Millisecond
	var older []string
	for range 30 { // 0 … 2.9 s, each confirmed 1.5 s after it was sent
		older = append(older, c.publish(outbox.Orders))
		c.advance(step)
	}
	b := c.publish(outbox.Orders) // at 3.0 s: never confirmed
	later := c.publish(outbox.Orders)
	pay := c.publish(outbox.Payments)
	var bDue, payDue, laterAt time.Duration
	for i := 0; i < 100 && bDue == 0; i++ {
		at := time.Duration(30+i) * step
		if j := i + 30 - 15; j >= 0 && j < len(older) {
			c.confirm(older[j])
		}
		if at == 5*time.Second {
			c.confirm(later)
			laterAt = at
		}
		c.overdue()
		for _, id := range c.resendDue() {
			switch id {
			case b:
				bDue = at
			case pay:
				if payDue == 0 {
					payDue = at
				}
			}
		}
		c.advance(step)
	}
	if payDue == 0 || payDue > 5*time.Second {
		t.Errorf("payment (no receipt on its stream) sent again at %v, want by 5s", payDue)
	}
	if bDue < laterAt || bDue > laterAt+3*time.Second {
		t.Errorf("held order sent again at %v; want after the cloud confirmed a later order (%v) and within 3s of it", bDue, laterAt)
	}
	t.Logf("payment sent again at %v, the held order at %v (a later order confirmed at %v)", payDue, bDue, laterAt)
}

// TestReceiptConnectionEnded: after a connection ends, only the events the
// broker did not acknowledge, or already late ones, are sent again at once.
func TestReceiptConnectionEnded(t *testing.T) {
	c := newBookClock(t, time.Second, time.Minute)
	took := c.publish(outbox.Orders)
	late := c.publish(outbox.Orders)
	c.advance(1100 * time.Millisecond)
	c.overdue()
	c.resendDue() // took and late are both resent once …
	c.confirm(took)
	notTaken := &outbox.Row{Seq: 99, ID: "no-puback"}
	c.rb.sending(outbox.Orders, notTaken, c.now) // … and one more without a PUBACK
	fresh := c.publish(outbox.Orders)
	c.rb.connectionEnded()
	due := map[string]bool{}
	for _, id := range c.resendDue() {
		due[id] = true
	}
	if !due[late] || !due["no-puback"] || due[fresh] || len(due) != 2 {
		t.Errorf("due after the connection ended: %v, want %s and no-puback, not %s", due, late, fresh)
	}
}

// TestReceiptLatencySurvivesRestart: the measured latency is kept in the
// store, so a restarted daemon does not start again from the 1 s timeout
// (and send its whole backlog twice to a cloud that takes 3 s).
func TestReceiptLatencySurvivesRestart(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := newBookClock(t, time.Second, time.Minute)
	c.rb.loadLatency(db)
	for range 10 {
		id := c.publish(outbox.Orders)
		c.advance(3 * time.Second)
		c.confirm(id)
	}
	before := c.rb.timeout()
	c.rb.saveLatency(db, slog.New(slog.DiscardHandler), c.now, false)

	again := newReceiptBook(ReceiptsConfig{Timeout: time.Second, MaxTimeout: time.Minute, MaxPending: 10})
	if got := again.timeout(); got != time.Second {
		t.Fatalf("fresh book timeout %v", got)
	}
	again.loadLatency(db)
	if got := again.timeout(); got != before || got < 3*time.Second {
		t.Errorf("after a restart the timeout is %v, want the measured %v", got, before)
	}
}

// TestPoisonStrikesSurviveRestart: strikes against an event are kept in
// the store, so a restarted daemon neither forgets them nor sends the
// poison event in a full window first (it starts careful); a PUBACK
// clears them for good.
func TestPoisonStrikesSurviveRestart(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)
	var p poisonState
	p.load(db, log)
	if p.isCareful() {
		t.Fatal("a fresh store starts careful")
	}
	p.lost()
	p.strike("ev-1")
	p.strike("ev-1")
	p.strike("ev-2")

	var again poisonState
	again.load(db, log)
	if !again.isCareful() {
		t.Error("a store holding strikes should start careful")
	}
	if n := again.strike("ev-1"); n != 3 {
		t.Errorf("ev-1's strike after a restart is number %d, want 3", n)
	}
	again.delivered("ev-1", false)
	again.forget("ev-2")

	var third poisonState
	third.load(db, log)
	if third.isCareful() || len(third.strikes) != 0 {
		t.Errorf("cleared strikes came back: %v careful %v", third.strikes, third.isCareful())
	}
}

// TestAckedLenCountsOnlyWhatWaitsForItsReceipt: the staged stop does not
// wait for events the broker acknowledged that wait only for the cloud's
// receipt, but does for events that must be sent again.
func TestAckedLenCountsOnlyWhatWaitsForItsReceipt(t *testing.T) {
	c := newBookClock(t, time.Second, time.Minute)
	a := c.publish(outbox.Orders)
	c.publish(outbox.Orders)
	if n := c.rb.ackedLen(); n != 2 {
		t.Fatalf("ackedLen after two PUBACKs = %d, want 2", n)
	}
	r := &outbox.Row{Seq: 99, ID: "unacked"}
	c.rb.sending(outbox.Orders, r, c.now) // published, no PUBACK yet
	if n := c.rb.ackedLen(); n != 2 {
		t.Fatalf("ackedLen with one publish awaiting its PUBACK = %d, want 2", n)
	}
	c.rb.connectionEnded() // the unacknowledged one is due again
	if n := c.rb.ackedLen(); n != 2 {
		t.Fatalf("ackedLen after the connection ended = %d, want 2", n)
	}
	c.rb.take([]string{a}, c.now)
	if n := c.rb.ackedLen(); n != 1 {
		t.Fatalf("ackedLen after a receipt = %d, want 1", n)
	}
}
