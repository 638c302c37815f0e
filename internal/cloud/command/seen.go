package command

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/auraconnect/aura-edge/internal/store"
)

// seenRecord is a commands_seen value: written "running" before the
// handler starts and "done" with the result, in the same transaction as
// the result's outbox row.
type seenRecord struct {
	State   string          `json:"state"` // running or done
	Type    string          `json:"type"`
	SeenAt  time.Time       `json:"seen_at"`
	Expires time.Time       `json:"expires,omitzero"`
	Digest  string          `json:"digest"` // SHA-256 of the payload
	Result  json.RawMessage `json:"result,omitempty"`
	// EventID is the CloudEvents id the result was first sent with; a
	// redelivered command gets its result again under the same id.
	EventID string `json:"event_id,omitempty"`
}

const (
	seenRunning = "running"
	seenDone    = "done"
)

func (p *Pipeline) seen(id string) (*seenRecord, error) {
	var raw []byte
	if err := p.db.View(func(tx *store.Tx) error {
		raw = tx.Bucket(store.CommandsSeen).Get([]byte(id))
		return nil
	}); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, nil
	}
	var rec seenRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("commands_seen %q: %w", id, err)
	}
	return &rec, nil
}

func (p *Pipeline) putSeen(id string, rec *seenRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return p.db.Update(func(tx *store.Tx) error {
		return tx.Bucket(store.CommandsSeen).Put([]byte(id), v)
	})
}

// pruneEvery is how often old commands_seen records are removed.
const pruneEvery = time.Hour

// PruneLoop removes old commands_seen records now and every hour until
// ctx ends.
func (p *Pipeline) PruneLoop(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		if n, err := p.Prune(p.now()); err != nil {
			p.log.Warn("prune commands_seen failed", "err", err)
		} else if n > 0 {
			p.log.Debug("pruned commands_seen", "removed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Prune removes records older than the TTL whose command has also expired
// (so a replay can never find its id forgotten while the signature is
// still fresh). It returns how many it removed.
func (p *Pipeline) Prune(now time.Time) (int, error) {
	cutoff := now.Add(-p.cfg.TTL)
	var n int
	err := p.db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(store.CommandsSeen)
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var rec seenRecord
			if json.Unmarshal(v, &rec) != nil || (rec.SeenAt.Before(cutoff) && rec.Expires.Before(now)) {
				old = append(old, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	return n, err
}
