package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/store"
)

// RejectedRecord is a pulled record the vendor sent that could not become
// an Aura order or payment, set aside for a person to look at. It is kept
// once per integration, kind and vendor id: the overlap window offers the
// same record again on every poll, and that counts Seen up instead of
// auditing it again (unless its reason changed).
type RejectedRecord struct {
	Key           string          `json:"key"`
	IntegrationID string          `json:"integration_id"`
	Vendor        string          `json:"vendor,omitempty"`
	Kind          string          `json:"kind"`
	VendorID      string          `json:"vendor_id,omitempty"`
	Reason        string          `json:"reason"`
	FirstSeen     time.Time       `json:"first_seen"`
	LastSeen      time.Time       `json:"last_seen"`
	Seen          int             `json:"seen"`
	Raw           json.RawMessage `json:"raw,omitempty"`
	RawTruncated  bool            `json:"raw_truncated,omitempty"`
}

// ErrNoRejected is returned for an unknown rejected record.
var ErrNoRejected = errors.New("no such rejected record")

// rejectedRetention is how long a rejected record is kept after it was
// last offered by the vendor.
const rejectedRetention = 30 * 24 * time.Hour

// rejectedKey names a rejected record within its integration: kind and
// vendor id, or kind and a digest of the record when it has no id.
func rejectedKey(r pos.Rejected) string {
	if r.VendorID != "" {
		return r.Kind + ":" + r.VendorID
	}
	h := sha256.Sum256(r.Raw)
	return r.Kind + ":sha256-" + hex.EncodeToString(h[:8])
}

// setAsideTx stores the rejected records of a page in tx and returns those
// that are new or whose reason changed (to be audited).
func (b *Bridge) setAsideTx(tx *store.Tx, id, vendor string, rs []pos.Rejected) ([]RejectedRecord, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	now := b.d.Now().UTC()
	bk := tx.Bucket(store.Rejected, id)
	var fresh []RejectedRecord
	for _, r := range rs {
		key := rejectedKey(r)
		rec := RejectedRecord{Key: key, IntegrationID: id, Vendor: vendor, Kind: r.Kind, VendorID: r.VendorID,
			Reason: r.Reason, FirstSeen: now, LastSeen: now, Seen: 1, Raw: r.Raw, RawTruncated: r.RawTruncated}
		var old RejectedRecord
		if v := bk.Get([]byte(key)); v != nil && json.Unmarshal(v, &old) == nil {
			rec.FirstSeen, rec.Seen = old.FirstSeen, old.Seen+1
		}
		if rec.Seen == 1 || old.Reason != rec.Reason {
			fresh = append(fresh, rec)
		}
		v, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		if err := bk.Put([]byte(key), v); err != nil {
			return nil, fmt.Errorf("set aside rejected %s: %w", key, err)
		}
	}
	return fresh, nil
}

// clearRejectedTx forgets records set aside earlier that the vendor has now
// sent in a form that was captured (fixed at the vendor).
func clearRejectedTx(tx *store.Tx, id string, orders []model.Order, payments []model.Payment) error {
	if !tx.Exists(store.Rejected, id) {
		return nil
	}
	bk := tx.Bucket(store.Rejected, id)
	for _, o := range orders {
		if err := bk.Delete([]byte("order:" + o.Source.ExternalID)); err != nil {
			return err
		}
	}
	for _, p := range payments {
		if err := bk.Delete([]byte("payment:" + p.Source.ExternalID)); err != nil {
			return err
		}
	}
	return nil
}

// auditRejected writes one audit record per newly rejected record.
func (b *Bridge) auditRejected(ctx context.Context, rs []RejectedRecord) {
	for _, r := range rs {
		details, _ := json.Marshal(map[string]any{"key": r.Key, "kind": r.Kind, "vendor_id": r.VendorID, "seen": r.Seen})
		what := r.Kind
		if r.VendorID != "" {
			what += " " + r.VendorID
		}
		b.d.Audit.Record(ctx, audit.Record{Type: "record_rejected", Status: audit.Rejected, Integration: r.IntegrationID,
			Vendor: r.Vendor, Details: details,
			Message: fmt.Sprintf("%s from the vendor set aside, not captured: %s (see `aura-edge rejected`)", what, r.Reason)})
	}
}

// Rejected lists the records set aside for integration id ("" for all),
// oldest first by integration, without their raw record.
func (b *Bridge) Rejected(id string) ([]RejectedRecord, error) {
	out := []RejectedRecord{}
	err := b.d.DB.View(func(tx *store.Tx) error {
		top := tx.Bucket(store.Rejected)
		ids := top.Buckets()
		if id != "" {
			ids = slices.DeleteFunc(ids, func(s string) bool { return s != id })
		}
		for _, in := range ids {
			if err := top.Sub(in).ForEach(func(k, v []byte) error {
				var r RejectedRecord
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("rejected record %s/%s: %w", in, k, err)
				}
				r.Raw = nil
				out = append(out, r)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// RejectedOne returns one record set aside, with the vendor's raw record.
func (b *Bridge) RejectedOne(id, key string) (RejectedRecord, error) {
	var r RejectedRecord
	err := b.d.DB.View(func(tx *store.Tx) error {
		v := tx.Bucket(store.Rejected, id).Get([]byte(key))
		if v == nil {
			return ErrNoRejected
		}
		return json.Unmarshal(v, &r)
	})
	return r, err
}

// PruneRejected forgets rejected records the vendor has not offered again
// within the retention.
func (b *Bridge) PruneRejected() (int, error) {
	cutoff := b.d.Now().Add(-rejectedRetention)
	n := 0
	err := b.d.DB.Update(func(tx *store.Tx) error {
		top := tx.Bucket(store.Rejected)
		for _, id := range top.Buckets() {
			bk := top.Sub(id)
			var old [][]byte
			bk.ForEach(func(k, v []byte) error {
				var r RejectedRecord
				if json.Unmarshal(v, &r) == nil && r.LastSeen.Before(cutoff) {
					old = append(old, slices.Clone(k))
				}
				return nil
			})
			for _, k := range old {
				if err := bk.Delete(k); err != nil {
					return err
				}
			}
			n += len(old)
		}
		return nil
	})
	return n, err
}
