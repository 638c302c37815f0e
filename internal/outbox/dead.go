package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/auraconnect/aura-edge/internal/store"
)

// Dead letters: an event the broker refuses again and again (too large
// for it, or it drops the connection on it) is moved out of its stream so
// that the events behind it and the other streams keep flowing. A dead
// letter is never dropped automatically; an admin retries it (it is
// appended again at the tail of its stream, under its original id) or
// drops it, and both actions are audited by the caller.
//
// Per-stream order: events behind a dead letter are delivered in Seq order
// without it; a retried dead letter arrives after them. Consumers that need
// an order's revisions in order use the CloudEvents sequence (SubjectSeq),
// which a retry keeps: a late revision is recognisable as older than the
// ones delivered meanwhile.

// DeadLetterType is the CloudEvents type of the notice sent to the cloud
// (on the sync-logs stream) when an event becomes a dead letter.
const DeadLetterType = "com.auraconnect.edge.dead_letter"

// ErrNoDeadLetter is returned for an unknown dead letter id.
var ErrNoDeadLetter = errors.New("no such dead letter")

const bucketDead = "dead"

// DeadLetter is an event moved out of its stream. Data is included by
// DeadLetterData only.
type DeadLetter struct {
	ID         string    `json:"id"` // the CloudEvents id
	Stream     Stream    `json:"stream"`
	Seq        uint64    `json:"seq"` // its Seq in the stream when it died
	Type       string    `json:"type"`
	Subject    string    `json:"subject,omitempty"`
	SubjectSeq uint64    `json:"subject_seq,omitempty"`
	Time       time.Time `json:"time"` // append time
	Bytes      int       `json:"bytes"`
	Attempts   int       `json:"attempts"`
	Reason     string    `json:"reason"`
	DeadAt     time.Time `json:"dead_at"`
	Data       []byte    `json:"data,omitempty"`
}

// deadNotice is the data of a DeadLetterType event.
type deadNotice struct {
	EventID string    `json:"event_id"`
	Stream  Stream    `json:"stream"`
	Type    string    `json:"type"`
	Subject string    `json:"subject,omitempty"`
	Bytes   int       `json:"bytes"`
	Reason  string    `json:"reason"`
	DeadAt  time.Time `json:"dead_at"`
}

// MoveToDead moves the row stream/seq to the dead letters, with reason,
// and queues a small notice naming it on the sync-logs stream, in one
// transaction. A row that is gone (delivered meanwhile) is not an error:
// ok is false.
func (o *Outbox) MoveToDead(stream Stream, seq uint64, reason string) (dl DeadLetter, ok bool, err error) {
	if !stream.Valid() {
		return DeadLetter{}, false, fmt.Errorf("dead letter %q: %w", stream, ErrUnknownStream)
	}
	now := o.cfg.Now().UTC()
	var after counters
	err = o.db.Update(func(tx *store.Tx) error {
		sb := tx.Bucket(store.Outbox, string(stream))
		rows := sb.Sub(bucketRows)
		k := store.U64(seq)
		v := rows.Get(k)
		if v == nil {
			return nil
		}
		r, err := decodeRow(stream, seq, v)
		if err != nil {
			return fmt.Errorf("%s seq %d: %w", stream, seq, ErrCorrupt)
		}
		dl = DeadLetter{ID: r.ID, Stream: stream, Seq: seq, Type: r.Type, Subject: r.Subject, SubjectSeq: r.SubjectSeq,
			Time: r.Time.UTC(), Bytes: len(r.Data), Attempts: r.Attempts, Reason: reason, DeadAt: now, Data: r.Data}
		b, err := json.Marshal(dl)
		if err != nil {
			return err
		}
		if err := tx.Bucket(store.Outbox, bucketDead).Put([]byte(dl.ID), b); err != nil {
			return err
		}
		if err := rows.Delete(k); err != nil {
			return err
		}
		c := readCounters(sb)
		c.depth = subClamp(c.depth, 1)
		c.bytes = subClamp(c.bytes, uint64(len(v)+keyOverhead))
		after = c
		if err := c.write(sb); err != nil {
			return err
		}
		notice, _ := json.Marshal(deadNotice{EventID: dl.ID, Stream: stream, Type: dl.Type, Subject: dl.Subject,
			Bytes: dl.Bytes, Reason: reason, DeadAt: now})
		// The notice ignores the disk floor: it is tiny, and losing it
		// would hide the dead letter from the cloud.
		if _, _, err := o.write(tx, []Entry{{Stream: SyncLogs, Type: DeadLetterType, Subject: dl.ID, Data: notice}}, ^uint64(0)); err != nil {
			return fmt.Errorf("queue dead letter notice: %w", err)
		}
		ok = true
		return nil
	})
	if err != nil {
		return DeadLetter{}, false, fmt.Errorf("move %s seq %d to dead letters: %w", stream, seq, err)
	}
	if ok {
		if below95(after, o.state(stream).limits) {
			o.clearAlarm(o.state(stream), alarmFull)
		}
		o.log.Error("event moved to dead letters: the broker refuses it; the events behind it keep flowing",
			"stream", string(stream), "seq", seq, "event_id", dl.ID, "type", dl.Type, "subject", dl.Subject,
			"bytes", dl.Bytes, "reason", reason)
		o.Notify()
	}
	dl.Data = nil
	return dl, ok, nil
}

// DeadLetters lists the dead letters, oldest event first, without data.
func (o *Outbox) DeadLetters() ([]DeadLetter, error) {
	var out []DeadLetter
	err := o.db.View(func(tx *store.Tx) error {
		out = nil
		return tx.Bucket(store.Outbox, bucketDead).ForEach(func(k, v []byte) error {
			var dl DeadLetter
			if err := json.Unmarshal(v, &dl); err != nil {
				return fmt.Errorf("dead letter %s: %w", k, ErrCorrupt)
			}
			dl.Data = nil
			out = append(out, dl)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return out, nil
}

// DeadCount returns how many dead letters there are per stream.
func (o *Outbox) DeadCount() map[Stream]int {
	m := map[Stream]int{}
	dls, err := o.DeadLetters()
	if err != nil {
		o.log.Warn("count dead letters", "err", err)
	}
	for _, dl := range dls {
		m[dl.Stream]++
	}
	return m
}

// DeadLetterData returns one dead letter with its data.
func (o *Outbox) DeadLetterData(id string) (DeadLetter, error) {
	var dl DeadLetter
	err := o.db.View(func(tx *store.Tx) error {
		v := tx.Bucket(store.Outbox, bucketDead).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("dead letter %q: %w", id, ErrNoDeadLetter)
		}
		return json.Unmarshal(v, &dl)
	})
	return dl, err
}

// RetryDead appends the dead letter id again at the tail of its stream,
// under its original id (the cloud drops a copy it already has by id), and
// removes it from the dead letters, in one transaction.
func (o *Outbox) RetryDead(id string) (Appended, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Appended{}, fmt.Errorf("dead letter %q: %w", id, ErrNoDeadLetter)
	}
	var res Appended
	var after []touched
	err := o.db.Update(func(tx *store.Tx) error {
		db := tx.Bucket(store.Outbox, bucketDead)
		v := db.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("dead letter %q: %w", id, ErrNoDeadLetter)
		}
		var dl DeadLetter
		if err := json.Unmarshal(v, &dl); err != nil {
			return fmt.Errorf("dead letter %s: %w", id, ErrCorrupt)
		}
		r, a, err := o.write(tx, []Entry{{Stream: dl.Stream, Type: dl.Type, Subject: dl.Subject, Data: dl.Data, ID: dl.ID, subjectSeq: dl.SubjectSeq}}, o.free())
		if err != nil {
			return err
		}
		res, after = r[0], a
		return db.Delete([]byte(id))
	})
	if err != nil {
		if isRefusal(err) {
			o.refused(err)
		}
		return Appended{}, fmt.Errorf("retry dead letter: %w", err)
	}
	o.accepted(after)
	o.Notify()
	return res, nil
}

// DropDead deletes the dead letter id for good.
func (o *Outbox) DropDead(id string) (DeadLetter, error) {
	var dl DeadLetter
	err := o.db.Update(func(tx *store.Tx) error {
		db := tx.Bucket(store.Outbox, bucketDead)
		v := db.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("dead letter %q: %w", id, ErrNoDeadLetter)
		}
		if err := json.Unmarshal(v, &dl); err != nil {
			return fmt.Errorf("dead letter %s: %w", id, ErrCorrupt)
		}
		return db.Delete([]byte(id))
	})
	dl.Data = nil
	return dl, err
}
