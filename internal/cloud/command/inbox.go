package command

import (
	"encoding/json"

	"github.com/auraconnect/aura-edge/internal/store"
)

// InboxBucket keeps command deliveries from the moment the MQTT client
// hands them over (before the broker gets its PUBACK) until they have
// their one result, so a crash in between cannot lose a command the broker
// considers delivered.
const InboxBucket = "commands_inbox"

// Delivery is one received command message.
type Delivery struct {
	Topic   string
	Payload []byte
	Key     []byte // the durable copy in the inbox, nil when not stored
}

type inboxEntry struct {
	Topic   string `json:"topic"`
	Payload []byte `json:"payload"`
}

// Receive stores a delivery durably before it is acknowledged and returns
// it with its inbox key (nil if it could not be stored: the delivery is
// still handled, just not crash-safe).
func (p *Pipeline) Receive(topic string, payload []byte) Delivery {
	d := Delivery{Topic: topic, Payload: payload}
	if len(payload) > MaxSize {
		return d // refused on arrival anyway; nothing worth keeping
	}
	v, _ := json.Marshal(inboxEntry{Topic: topic, Payload: payload})
	var key []byte
	err := p.db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(InboxBucket)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		key = store.U64(seq)
		return b.Put(key, v)
	})
	if err != nil {
		p.log.Error("command not stored before acknowledging it; a crash now would lose it", "topic", topic, "err", err)
		return d
	}
	d.Key = key
	return d
}

// Done forgets a delivery that got its result.
func (p *Pipeline) Done(d Delivery) {
	if d.Key == nil {
		return
	}
	if err := p.db.Update(func(tx *store.Tx) error { return tx.Bucket(InboxBucket).Delete(d.Key) }); err != nil {
		p.log.Warn("command inbox entry not removed; it replays at the next start (harmless: ids run once)", "err", err)
	}
}

// Pending returns the deliveries a previous run acknowledged but did not
// finish, oldest first; unreadable entries are removed. Process's
// de-duplication makes handling them again safe: a command never recorded
// runs now, one recorded as running is answered "interrupted", one
// already done gets its stored result again.
func (p *Pipeline) Pending() ([]Delivery, error) {
	var out, bad []Delivery
	err := p.db.View(func(tx *store.Tx) error {
		return tx.Bucket(InboxBucket).ForEach(func(k, v []byte) error {
			var e inboxEntry
			d := Delivery{Key: append([]byte(nil), k...)}
			if json.Unmarshal(v, &e) != nil || e.Topic == "" {
				bad = append(bad, d)
				return nil
			}
			d.Topic, d.Payload = e.Topic, e.Payload
			out = append(out, d)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	for _, d := range bad {
		p.Done(d)
	}
	return out, nil
}
