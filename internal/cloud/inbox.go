package cloud

import (
	"context"
	"encoding/json"

	"github.com/auraconnect/aura-edge/internal/store"
)

// inboxBucket keeps command deliveries from the moment paho hands them over
// (before the broker gets its PUBACK) until they have their one result, so
// a crash in between cannot lose a command the broker considers delivered.
const inboxBucket = "commands_inbox"

type inboxEntry struct {
	Topic   string `json:"topic"`
	Payload []byte `json:"payload"`
}

// inboxPut stores a delivery durably and returns its key (nil if it could
// not be stored: the delivery is still handled, just not crash-safe).
func (c *Client) inboxPut(job cmdJob) []byte {
	if len(job.payload) > MaxCommandSize {
		return nil // refused on arrival anyway; nothing worth keeping
	}
	v, _ := json.Marshal(inboxEntry{Topic: job.topic, Payload: job.payload})
	var key []byte
	err := c.db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(inboxBucket)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		key = store.U64(seq)
		return b.Put(key, v)
	})
	if err != nil {
		c.log.Error("command not stored before acknowledging it; a crash now would lose it", "topic", job.topic, "err", err)
		return nil
	}
	return key
}

// inboxDone forgets a delivery that got its result.
func (c *Client) inboxDone(key []byte) {
	if key == nil {
		return
	}
	if err := c.db.Update(func(tx *store.Tx) error { return tx.Bucket(inboxBucket).Delete(key) }); err != nil {
		c.log.Warn("command inbox entry not removed; it replays at the next start (harmless: ids run once)", "err", err)
	}
}

// inboxReplay queues deliveries a previous run acknowledged but did not
// finish. handleCommand's de-duplication makes this safe: a command never
// recorded runs now, one recorded as running is answered "interrupted",
// one already done gets its stored result again.
func (c *Client) inboxReplay(ctx context.Context) {
	var jobs []cmdJob
	err := c.db.View(func(tx *store.Tx) error {
		return tx.Bucket(inboxBucket).ForEach(func(k, v []byte) error {
			var e inboxEntry
			if json.Unmarshal(v, &e) != nil {
				jobs = append(jobs, cmdJob{inboxKey: append([]byte(nil), k...)}) // dropped below
				return nil
			}
			jobs = append(jobs, cmdJob{topic: e.Topic, payload: e.Payload, inboxKey: append([]byte(nil), k...)})
			return nil
		})
	})
	if err != nil {
		c.log.Error("read command inbox", "err", err)
		return
	}
	if len(jobs) > 0 {
		c.log.Info("replaying commands received before a restart", "count", len(jobs))
	}
	for _, j := range jobs {
		if j.topic == "" {
			c.inboxDone(j.inboxKey)
			continue
		}
		select {
		case c.cmdQueue <- j:
		case <-ctx.Done():
			return
		}
	}
}
