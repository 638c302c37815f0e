package cloud

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// Poison isolation. A broker that refuses an event (over its packet size
// limit, or a payload its rules reject) usually closes the connection
// rather than answering, and with an ordered outbox the next connection
// would send the same event first again, forever, starving every stream.
//
// So after any lost connection the sender publishes the next
// carefulPublishes events one at a time, each waiting for its PUBACK. A
// connection lost while one event is alone in flight is a strike against
// that event; PoisonStrikes strikes in a row make it a dead letter (moved
// out of its stream, a notice sent to the cloud, an admin retries or drops
// it) and the events behind it flow. A PUBACK clears its strikes. Events
// larger than MaxMessageBytes are dead letters at once, without a try.
//
// Strikes are kept in the store (meta, written when a strike is added or
// cleared, which is rare): a restart neither forgets them nor lets a
// poison event start over; a store that holds strikes starts careful.

// carefulPublishes is how many publishes after a lost connection are sent
// one at a time.
const carefulPublishes = 32

// packetSize is the size of an MQTT 3.1.1 QoS 1 PUBLISH packet: fixed
// header (1 byte and up to 4 of remaining length), topic (2 + length),
// packet id (2) and payload.
func packetSize(topic string, payload int) int {
	rem := 2 + len(topic) + 2 + payload
	n := 1
	for v := rem; ; v >>= 7 {
		n++
		if v < 128 {
			break
		}
	}
	return n + rem
}

type poisonState struct {
	mu      sync.Mutex
	careful bool
	strikes map[string]int // event id -> connections lost with it alone in flight

	db     *store.DB // nil: strikes live in memory only
	log    *slog.Logger
	saveMu sync.Mutex // orders saves so the latest state is the one stored
}

// strikesKey holds the strikes in the meta bucket.
var strikesKey = []byte("cloud.poison_strikes")

// load reads the strikes kept by an earlier run; with any, the first
// connection is careful.
func (p *poisonState) load(db *store.DB, log *slog.Logger) {
	p.db, p.log = db, log
	if db == nil {
		return
	}
	strikes := map[string]int{}
	_ = db.View(func(tx *store.Tx) error {
		if v := tx.Bucket(store.Meta).Get(strikesKey); v != nil {
			_ = json.Unmarshal(v, &strikes)
		}
		return nil
	})
	p.mu.Lock()
	p.strikes = strikes
	p.careful = len(strikes) > 0
	p.mu.Unlock()
}

// save stores the current strikes.
func (p *poisonState) save() {
	if p.db == nil {
		return
	}
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	p.mu.Lock()
	b, _ := json.Marshal(p.strikes)
	empty := len(p.strikes) == 0
	p.mu.Unlock()
	err := p.db.Update(func(tx *store.Tx) error {
		if empty {
			return tx.Bucket(store.Meta).Delete(strikesKey)
		}
		return tx.Bucket(store.Meta).Put(strikesKey, b)
	})
	if err != nil && p.log != nil {
		p.log.Warn("saving poison strikes failed; a restart may forget them", "err", err)
	}
}

func (p *poisonState) isCareful() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.careful
}

// lost is called after a connection ended in failure.
func (p *poisonState) lost() {
	p.mu.Lock()
	p.careful = true
	p.mu.Unlock()
}

// delivered clears id's strikes; last ends careful mode.
func (p *poisonState) delivered(id string, last bool) {
	p.mu.Lock()
	_, had := p.strikes[id]
	delete(p.strikes, id)
	if last {
		p.careful = false
	}
	p.mu.Unlock()
	if had {
		p.save()
	}
}

func (p *poisonState) strike(id string) int {
	p.mu.Lock()
	if p.strikes == nil {
		p.strikes = map[string]int{}
	}
	p.strikes[id]++
	n := p.strikes[id]
	p.mu.Unlock()
	p.save()
	return n
}

func (p *poisonState) forget(id string) {
	p.mu.Lock()
	_, had := p.strikes[id]
	delete(p.strikes, id)
	p.mu.Unlock()
	if had {
		p.save()
	}
}

// strike records that the connection was lost while r was the only event
// in flight, and sets r aside after PoisonStrikes strikes.
func (c *Client) strike(stream outbox.Stream, r *outbox.Row, cause error) {
	n := c.poison.strike(r.ID)
	c.log.Warn("cloud connection lost while one event was alone in flight", "stream", stream, "seq", r.Seq,
		"event_id", r.ID, "strike", n, "of", c.cfg.PoisonStrikes, "err", cause)
	if n < c.cfg.PoisonStrikes {
		return
	}
	c.poison.forget(r.ID)
	c.deadLetter(stream, r, fmt.Sprintf("the broker closed the connection %d times in a row while this event was the only one in flight (last: %v); it may be over the broker's message size limit or refused by its rules", n, cause))
}

// deadLetter moves r out of its stream. On failure the row stays and is
// tried again on the next connection.
func (c *Client) deadLetter(stream outbox.Stream, r *outbox.Row, reason string) {
	_, ok, err := c.q.MoveToDead(stream, r.Seq, reason)
	if err != nil {
		c.log.Error("move event to dead letters failed", "stream", stream, "seq", r.Seq, "event_id", r.ID, "err", err)
		return
	}
	if ok {
		c.deadLetters.Add(1)
	}
	if c.rcpt != nil {
		c.rcpt.forget(r.ID)
	}
}
