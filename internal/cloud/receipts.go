package cloud

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/auraconnect/aura-edge/internal/outbox"
)

// End-to-end receipts. An MQTT 3.1.1 broker acknowledges (PUBACK) a QoS 1
// publish that its ACL silently drops, so a PUBACK proves only that the
// broker took the packet. With receipts enabled the cloud confirms the
// event ids it has stored on <prefix>/receipts ({"ids":["…",…]}, QoS 1),
// and a row leaves the outbox only then. Rows without a receipt within
// Timeout are sent again (same id; the cloud drops copies by id), logged
// and counted; at most MaxPending events await a receipt at once, after
// which the sender waits.

// topicReceipts is the downlink topic of receipts.
const topicReceipts = "receipts"

// ReceiptsConfig configures end-to-end receipts.
type ReceiptsConfig struct {
	// Enabled keeps each event in the outbox until the cloud confirms its
	// id on <prefix>/receipts. Off: the broker's PUBACK deletes it.
	Enabled bool `yaml:"enabled"`
	// Timeout is how long an event may await its receipt before it is
	// sent again. Default 60s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxPending bounds the events awaiting a receipt. Default 10,000.
	MaxPending int `yaml:"max_pending"`
}

// Receipt defaults.
const (
	DefaultReceiptTimeout    = time.Minute
	DefaultReceiptMaxPending = 10_000
)

type pendingRow struct {
	stream outbox.Stream
	seq    uint64
	sent   time.Time // zero: send again at once (its connection ended)
	late   bool      // its receipt timed out at least once
	sends  uint64    // publishes of this row, to match a PUBACK to the latest
	acked  bool      // the broker acknowledged its latest publish on the live connection
}

// receiptBook tracks the events published and awaiting a receipt.
type receiptBook struct {
	timeout time.Duration
	max     int

	mu      sync.Mutex
	pending map[string]*pendingRow
	changed chan struct{} // signalled (coalesced) when receipts free room

	confirmed   atomic.Uint64 // receipts that deleted a row
	unconfirmed atomic.Uint64 // events whose receipt timed out (each time)
	unknown     atomic.Uint64 // receipts for ids not awaited (already confirmed, or sent before a restart)
}

func newReceiptBook(cfg ReceiptsConfig) *receiptBook {
	return &receiptBook{timeout: cfg.Timeout, max: cfg.MaxPending, pending: map[string]*pendingRow{}, changed: make(chan struct{}, 1)}
}

// shouldSend reports whether row r is to be published now: not awaiting a
// fresh receipt, and room for one more (or already counted).
func (rb *receiptBook) shouldSend(r *outbox.Row, now time.Time) (send, full bool) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if p, ok := rb.pending[r.ID]; ok {
		return p.sent.IsZero() || now.Sub(p.sent) >= rb.timeout, false
	}
	if len(rb.pending) >= rb.max {
		return false, true
	}
	return true, false
}

// sending records that r is published at now and returns the number of
// this publish, which pubacked matches.
func (rb *receiptBook) sending(stream outbox.Stream, r *outbox.Row, now time.Time) (send uint64) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	p, ok := rb.pending[r.ID]
	if !ok {
		p = &pendingRow{stream: stream, seq: r.Seq}
		rb.pending[r.ID] = p
	}
	p.sent, p.acked = now, false
	p.sends++
	return p.sends
}

// pubacked records that the broker acknowledged publish number send of
// event id on the live connection: the event now waits only for the
// cloud's receipt, which a stop need not wait for.
func (rb *receiptBook) pubacked(id string, send uint64) {
	rb.mu.Lock()
	if p, ok := rb.pending[id]; ok && p.sends == send && !p.sent.IsZero() {
		p.acked = true
	}
	rb.mu.Unlock()
}

// ackedLen is the number of events the broker acknowledged that await only
// their receipt.
func (rb *receiptBook) ackedLen() int {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	n := 0
	for _, p := range rb.pending {
		if p.acked {
			n++
		}
	}
	return n
}

// connectionEnded makes every awaited event due at once: what was in flight
// may never have reached the broker.
func (rb *receiptBook) connectionEnded() {
	rb.mu.Lock()
	for _, p := range rb.pending {
		p.sent, p.acked = time.Time{}, false
	}
	rb.mu.Unlock()
}

// overdue marks events whose receipt is late and returns how many there
// are and one of their ids.
func (rb *receiptBook) overdue(now time.Time) (n int, first string, firstStream outbox.Stream) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	for id, p := range rb.pending {
		if !p.sent.IsZero() && now.Sub(p.sent) >= rb.timeout {
			n++
			p.late = true
			if first == "" {
				first, firstStream = id, p.stream
			}
		}
	}
	return n, first, firstStream
}

// take removes the awaited ids among ids and groups their rows by stream.
func (rb *receiptBook) take(ids []string) map[outbox.Stream][]uint64 {
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
	}
	return out
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
	for stream, seqs := range c.rcpt.take(msg.IDs) {
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
