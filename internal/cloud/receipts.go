package cloud

import (
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// End-to-end receipts. An MQTT 3.1.1 broker acknowledges (PUBACK) a QoS 1
// publish that its ACL silently drops, so a PUBACK proves only that the
// broker took the packet. With receipts enabled the cloud confirms the
// event ids it has stored on <prefix>/receipts ({"ids":["…",…]}, QoS 1),
// and a row leaves the outbox only then. At most MaxPending events await a
// receipt at once, after which the sender waits.
//
// Resend policy. A row is sent again only when its receipt is overdue:
//   - the timeout adapts to the cloud's measured confirm latency as TCP's
//     retransmission timer does (RFC 6298: smoothed latency + 4 × its
//     variation, measured on rows sent once only), never below Timeout
//     nor above MaxTimeout;
//   - each resend of the same row doubles its timeout (bounded by
//     MaxTimeout), so a cloud that stays silent costs a few copies per
//     row, not one per timeout;
//   - a row is not sent again while the cloud is still confirming, on its
//     stream, rows sent no later than it (the cloud is behind, not losing
//     it); once the cloud confirms rows sent after it, or confirms nothing
//     for a timeout, it is overdue (MaxTimeout overrides the hold);
//   - the latency estimate is kept in the store (meta, at most every
//     latencySaveEvery and at shutdown), so a restarted daemon starts with
//     the cloud's known latency, not with Timeout;
//   - when a connection ends, only rows the broker had not acknowledged
//     (or that were already late) are sent again at once; rows the broker
//     took keep their timer (a persistent cloud session gets them).
// Overdue rows are logged and counted (Unconfirmed). Delivery stays at
// least once: a kill, a lost receipt (receipts sent while the store is
// disconnected are not queued for it) or a late one causes copies under
// the same id, which the cloud drops.

// topicReceipts is the downlink topic of receipts.
const topicReceipts = "receipts"

// ReceiptsConfig configures end-to-end receipts.
type ReceiptsConfig struct {
	// Enabled keeps each event in the outbox until the cloud confirms its
	// id on <prefix>/receipts. Off: the broker's PUBACK deletes it.
	Enabled bool `yaml:"enabled"`
	// Timeout is the shortest an event awaits its receipt before it is
	// sent again; the timeout grows with the measured confirm latency and
	// doubles with each resend of the same event. Default 60s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxTimeout bounds the adaptive timeout and its backoff. Default 10m
	// (at least Timeout).
	MaxTimeout time.Duration `yaml:"max_timeout"`
	// MaxPending bounds the events awaiting a receipt. Default 10,000.
	MaxPending int `yaml:"max_pending"`
}

// Receipt defaults.
const (
	DefaultReceiptTimeout    = time.Minute
	DefaultReceiptMaxTimeout = 10 * time.Minute
	DefaultReceiptMaxPending = 10_000
)

// maxBackoffShift bounds the doubling of a row's timeout (MaxTimeout caps
// it long before).
const maxBackoffShift = 16

type pendingRow struct {
	stream  outbox.Stream
	seq     uint64
	first   time.Time // first published by this process
	sent    time.Time // last published
	resends int       // times published again
	acked   bool      // the broker acknowledged the last publish
	due     bool      // to be published again now
}

// progress is what the cloud's receipts say about one stream.
type progress struct {
	last   time.Time // latest receipt for a row of the stream
	newest time.Time // latest first-publish time among the rows confirmed
}

// receiptBook tracks the events published and awaiting a receipt.
type receiptBook struct {
	floor, ceil time.Duration
	max         int

	mu       sync.Mutex
	pending  map[string]*pendingRow
	srtt     time.Duration // smoothed confirm latency (0: no sample yet)
	rttvar   time.Duration
	progress map[outbox.Stream]*progress
	changed  chan struct{} // signalled (coalesced) when receipts free room

	savedSRTT time.Duration // the estimate last written to the store
	savedAt   time.Time

	confirmed   atomic.Uint64 // receipts that deleted a row
	unconfirmed atomic.Uint64 // events whose receipt was overdue (each time)
	unknown     atomic.Uint64 // receipts for ids not awaited (already confirmed, or sent before a restart)
}

func newReceiptBook(cfg ReceiptsConfig) *receiptBook {
	floor, ceil := cfg.Timeout, cfg.MaxTimeout
	if floor <= 0 {
		floor = DefaultReceiptTimeout
	}
	if ceil <= 0 {
		ceil = DefaultReceiptMaxTimeout
	}
	ceil = max(ceil, floor)
	return &receiptBook{floor: floor, ceil: ceil, max: cfg.MaxPending, pending: map[string]*pendingRow{},
		progress: map[outbox.Stream]*progress{}, changed: make(chan struct{}, 1)}
}

// timeoutLocked is the current timeout for a first send: the measured
// confirm latency plus four times its variation, within [floor, ceil].
func (rb *receiptBook) timeoutLocked() time.Duration {
	if rb.srtt == 0 {
		return rb.floor
	}
	return min(max(rb.srtt+4*rb.rttvar, rb.floor), rb.ceil)
}

// timeout is timeoutLocked for callers without the lock.
func (rb *receiptBook) timeout() time.Duration {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return rb.timeoutLocked()
}

// sample folds one confirm latency into the estimate (RFC 6298 §2).
func (rb *receiptBook) sample(r time.Duration) {
	if r < 0 {
		return
	}
	if rb.srtt == 0 {
		rb.srtt, rb.rttvar = max(r, time.Millisecond), r/2
		return
	}
	d := rb.srtt - r
	if d < 0 {
		d = -d
	}
	rb.rttvar = (3*rb.rttvar + d) / 4
	rb.srtt = max((7*rb.srtt+r)/8, time.Millisecond)
}

// shouldSend reports whether row r is to be published now: due again, or
// not yet published and there is room for one more.
func (rb *receiptBook) shouldSend(r *outbox.Row, _ time.Time) (send, full bool) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if p, ok := rb.pending[r.ID]; ok {
		return p.due, false
	}
	if len(rb.pending) >= rb.max {
		return false, true
	}
	return true, false
}

// sending records that r is published at now; resent is true when it was
// awaiting a receipt already.
func (rb *receiptBook) sending(stream outbox.Stream, r *outbox.Row, now time.Time) (resent bool) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if p, ok := rb.pending[r.ID]; ok {
		p.sent, p.due, p.acked = now, false, false
		p.resends++
		return true
	}
	rb.pending[r.ID] = &pendingRow{stream: stream, seq: r.Seq, first: now, sent: now}
	return false
}

// pubacked records that the broker acknowledged the last publish of id.
func (rb *receiptBook) pubacked(id string) {
	rb.mu.Lock()
	if p, ok := rb.pending[id]; ok {
		p.acked = true
	}
	rb.mu.Unlock()
}

// ackedLen is the number of events the broker acknowledged that await only
// their receipt (not due to be sent again now).
func (rb *receiptBook) ackedLen() int {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	n := 0
	for _, p := range rb.pending {
		if p.acked && !p.due {
			n++
		}
	}
	return n
}

// connectionEnded makes due at once the awaited events that the ended
// connection may never have handed to the broker (no PUBACK), and those
// already late (earlier copies went unconfirmed too: a new connection may
// reach a fixed broker). Events the broker acknowledged keep their timer.
func (rb *receiptBook) connectionEnded() {
	rb.mu.Lock()
	for _, p := range rb.pending {
		if !p.acked || p.resends > 0 {
			p.due = true
		}
	}
	rb.mu.Unlock()
}

// overdue marks the events whose receipt is overdue (see the resend policy
// above) due again and returns how many there are, one of their ids, and
// the timeout for a first send.
func (rb *receiptBook) overdue(now time.Time) (n int, first string, firstStream outbox.Stream, timeout time.Duration) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	timeout = rb.timeoutLocked()
	for id, p := range rb.pending {
		if p.due {
			continue
		}
		waited := now.Sub(p.sent)
		if waited < min(timeout<<min(p.resends, maxBackoffShift), rb.ceil) {
			continue
		}
		if pr := rb.progress[p.stream]; waited < rb.ceil && pr != nil &&
			now.Sub(pr.last) < timeout && !pr.newest.After(p.sent) {
			continue // the cloud is still confirming older rows of this stream
		}
		p.due = true
		n++
		if first == "" {
			first, firstStream = id, p.stream
		}
	}
	return n, first, firstStream, timeout
}

// take removes the awaited ids among ids, learns the confirm latency and
// the cloud's progress from them, and groups their rows by stream.
func (rb *receiptBook) take(ids []string, now time.Time) map[outbox.Stream][]uint64 {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	out := map[outbox.Stream][]uint64{}
	for _, id := range ids {
		p, ok := rb.pending[id]
		if !ok {
			rb.unknown.Add(1)
			continue
		}
		delete(rb.pending, id)
		out[p.stream] = append(out[p.stream], p.seq)
		// Karn's rule: a row sent more than once gives no sample (the
		// receipt may answer any copy); the progress hold covers a cloud
		// slower than the timeout until first sends are confirmed.
		if p.resends == 0 {
			rb.sample(now.Sub(p.sent))
		}
		pr := rb.progress[p.stream]
		if pr == nil {
			pr = &progress{}
			rb.progress[p.stream] = pr
		}
		pr.last = now
		if p.first.After(pr.newest) {
			pr.newest = p.first
		}
	}
	return out
}

// latencyKey holds the confirm latency estimate in the meta bucket.
var latencyKey = []byte("cloud.receipt_latency")

// latencySaveEvery bounds how often the estimate is written.
const latencySaveEvery = 30 * time.Second

type latencyRecord struct {
	SRTT   time.Duration `json:"srtt_ns"`
	RTTVar time.Duration `json:"rttvar_ns"`
}

// loadLatency seeds the estimate from the store; a missing or unreadable
// record leaves it unset (Timeout applies).
func (rb *receiptBook) loadLatency(db *store.DB) {
	if db == nil {
		return
	}
	var rec latencyRecord
	_ = db.View(func(tx *store.Tx) error {
		if v := tx.Bucket(store.Meta).Get(latencyKey); v != nil {
			_ = json.Unmarshal(v, &rec)
		}
		return nil
	})
	if rec.SRTT > 0 && rec.RTTVar >= 0 {
		rb.mu.Lock()
		rb.srtt, rb.rttvar, rb.savedSRTT = min(rec.SRTT, rb.ceil), min(rec.RTTVar, rb.ceil), rec.SRTT
		rb.mu.Unlock()
	}
}

// saveLatency writes the estimate when it changed and force or
// latencySaveEvery passed since the last write.
func (rb *receiptBook) saveLatency(db *store.DB, log *slog.Logger, now time.Time, force bool) {
	rb.mu.Lock()
	rec := latencyRecord{SRTT: rb.srtt, RTTVar: rb.rttvar}
	due := rec.SRTT > 0 && rec.SRTT != rb.savedSRTT && (force || now.Sub(rb.savedAt) >= latencySaveEvery)
	if due {
		rb.savedSRTT, rb.savedAt = rec.SRTT, now
	}
	rb.mu.Unlock()
	if !due || db == nil {
		return
	}
	b, _ := json.Marshal(rec)
	if err := db.Update(func(tx *store.Tx) error { return tx.Bucket(store.Meta).Put(latencyKey, b) }); err != nil {
		log.Warn("saving the cloud's receipt latency failed; a restart starts from receipts.timeout", "err", err)
	}
}

// forget stops awaiting id (its row became a dead letter).
func (rb *receiptBook) forget(id string) {
	rb.mu.Lock()
	delete(rb.pending, id)
	rb.mu.Unlock()
	signal(rb.changed)
}

func (rb *receiptBook) len() int {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return len(rb.pending)
}

// onReceipt is paho's callback for <prefix>/receipts: the confirmed rows
// are deleted from the outbox.
func (c *Client) onReceipt(_ paho.Client, m paho.Message) {
	var msg struct {
		IDs []string `json:"ids"`
	}
	if err := json.Unmarshal(m.Payload(), &msg); err != nil || len(msg.IDs) == 0 {
		c.log.Warn("cloud receipt ignored: want {\"ids\":[\"<event id>\",…]}", "bytes", len(m.Payload()))
		return
	}
	for stream, seqs := range c.rcpt.take(msg.IDs, c.now()) {
		if err := c.q.Ack(stream, seqs); err != nil {
			// The rows stay and are sent again; the cloud drops the copies.
			c.log.Error("delete confirmed rows failed", "stream", stream, "rows", len(seqs), "err", err)
			continue
		}
		c.rcpt.confirmed.Add(uint64(len(seqs)))
		c.delivered.Add(uint64(len(seqs)))
	}
	signal(c.rcpt.changed)
}
