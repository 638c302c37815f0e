package ingest

import (
	"context"
	"encoding/json"
	"time"

	"github.com/auraconnect/aura-edge/internal/store"
)

// RecordRetention is how long captured records are kept for reprints and
// print-by-id. The cloud has them long before; only the store PC's copy
// goes.
const RecordRetention = 90 * 24 * time.Hour

// Prune deletes captured records created before cutoff, in transactions of
// at most 1,000 deletions so the writer is never held for long.
func (in *Ingest) Prune(cutoff time.Time) (int, error) {
	total := 0
	for _, kind := range []string{"orders", logBucket("orders"), "payments", logBucket("payments")} {
		var after []byte
		for {
			var old [][]byte
			var last []byte
			err := in.db.View(func(tx *store.Tx) error {
				return tx.Bucket(store.Records, kind).Scan(after, func(k, v []byte) (bool, error) {
					if after != nil && string(k) == string(after) {
						return true, nil
					}
					last = append(last[:0], k...)
					var r struct {
						CreatedAt time.Time `json:"created_at"`
					}
					if json.Unmarshal(v, &r) == nil && !r.CreatedAt.IsZero() && r.CreatedAt.Before(cutoff) {
						old = append(old, append([]byte(nil), k...))
					}
					return len(old) < 1000, nil
				})
			})
			if err != nil {
				return total, err
			}
			if len(old) > 0 {
				if err := in.db.Update(func(tx *store.Tx) error {
					b := tx.Bucket(store.Records, kind)
					for _, k := range old {
						if err := b.Delete(k); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					return total, err
				}
				total += len(old)
			}
			if last == nil || string(last) == string(after) || len(old) < 1000 {
				break
			}
			after = last
		}
	}
	return total, nil
}

// Run prunes old records once a day until ctx is done.
func (in *Ingest) Run(ctx context.Context) error {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		if n, err := in.Prune(time.Now().Add(-RecordRetention)); err != nil {
			in.log.Warn("prune captured records", "err", err)
		} else if n > 0 {
			in.log.Info("captured records pruned", "records", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
