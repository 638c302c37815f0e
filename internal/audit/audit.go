package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// Status of an attempt.
type Status string

// Statuses (the seed's success|failed plus retrying and unsupported).
const (
	Success     Status = "success"
	Failed      Status = "failed"
	Retrying    Status = "retrying"
	Unsupported Status = "unsupported"
	Rejected    Status = "rejected" // refused input: bad signature, bad command
)

// Record is one pos_sync_logs row.
type Record struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"` // menu_push, order_pull, webhook, command, print, integration_connect, ...
	Status        Status          `json:"status"`
	Message       string          `json:"message"`
	SyncedAt      time.Time       `json:"synced_at"`
	Integration   string          `json:"integration,omitempty"`
	Vendor        string          `json:"vendor,omitempty"`
	Attempt       int             `json:"attempt,omitempty"`
	DurationMS    int64           `json:"duration_ms"`
	RequestDigest string          `json:"request_digest,omitempty"` // sha256 of the request, never the request
	Actor         string          `json:"actor,omitempty"`          // token name, "cloud", "scheduler"
	Details       json.RawMessage `json:"details,omitempty"`
}

// EventType is the CloudEvents type of sync-log events.
const EventType = "com.auraconnect.edge.sync-log"

// Config bounds retention.
type Config struct {
	MaxAge  time.Duration // default 30 days
	MaxRows int           // default 100,000
	// Observe is told of every record written (err nil) or not stored
	// (metrics). It must be quick. Optional.
	Observe func(r Record, err error)
}

// Logger writes audit records.
type Logger struct {
	db  *store.DB
	ob  *outbox.Outbox
	log *slog.Logger
	cfg Config
	now func() time.Time
}

// New returns a Logger. ob may be nil (records stay local).
func New(db *store.DB, ob *outbox.Outbox, cfg Config, log *slog.Logger) *Logger {
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 30 * 24 * time.Hour
	}
	if cfg.MaxRows <= 0 {
		cfg.MaxRows = 100_000
	}
	return &Logger{db: db, ob: ob, log: log, cfg: cfg, now: time.Now}
}

// Digest returns the hex SHA-256 of a request body, for RequestDigest.
func Digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Record stores r durably and queues it for the cloud. ID and SyncedAt are
// filled in when empty. Concurrent callers share commits.
func (l *Logger) Record(ctx context.Context, r Record) (Record, error) {
	if r.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return r, err
		}
		r.ID = id.String()
	}
	if r.SyncedAt.IsZero() {
		r.SyncedAt = l.now().UTC()
	}
	data, err := json.Marshal(r)
	if err != nil {
		return r, fmt.Errorf("encode audit record: %w", err)
	}
	err = l.db.Batch(func(tx *store.Tx) error {
		if err := tx.Bucket(store.SyncLogs).Put([]byte(r.ID), data); err != nil {
			return err
		}
		if l.ob == nil {
			return nil
		}
		_, err := l.ob.AppendTx(tx, outbox.Entry{Stream: outbox.SyncLogs, Type: EventType, Subject: subjectOf(r), Data: data})
		return err
	})
	if err != nil {
		// The audit log must not stop the work it records; say so loudly.
		l.log.Error("audit record not stored", "type", r.Type, "status", r.Status, "err", err)
		if l.cfg.Observe != nil {
			l.cfg.Observe(r, err)
		}
		return r, fmt.Errorf("store audit record: %w", err)
	}
	if l.cfg.Observe != nil {
		l.cfg.Observe(r, nil)
	}
	if l.ob != nil {
		l.ob.Notify()
	}
	lv := slog.LevelInfo
	if r.Status == Failed || r.Status == Rejected {
		lv = slog.LevelWarn
	}
	l.log.Log(ctx, lv, "sync attempt", "type", r.Type, "status", r.Status, "integration", r.Integration,
		"attempt", r.Attempt, "duration_ms", r.DurationMS, "message", r.Message)
	return r, nil
}

// Filter selects records; empty fields match everything.
type Filter struct {
	Type        string
	Status      Status
	Integration string
	Since       time.Time
	Limit       int // default 100, at most 1000
}

// Query returns matching records, newest first.
func (l *Logger) Query(f Filter) ([]Record, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	var out []Record
	err := l.db.View(func(tx *store.Tx) error {
		return tx.Bucket(store.SyncLogs).ScanReverse(func(k, v []byte) (bool, error) {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return true, nil // skip a damaged row rather than hide all others
			}
			if !f.Since.IsZero() && r.SyncedAt.Before(f.Since) {
				return false, nil
			}
			if (f.Type == "" || r.Type == f.Type) && (f.Status == "" || r.Status == f.Status) &&
				(f.Integration == "" || r.Integration == f.Integration) {
				out = append(out, r)
			}
			return len(out) < f.Limit, nil
		})
	})
	return out, err
}

// Last returns the newest record of type typ for integration, or nil.
func (l *Logger) Last(integration, typ string) (*Record, error) {
	rs, err := l.Query(Filter{Integration: integration, Type: typ, Limit: 1})
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return &rs[0], nil
}

// Prune deletes records older than MaxAge and beyond MaxRows. Keys are
// UUIDv7 strings, so key order is time order.
func (l *Logger) Prune() (int, error) {
	cutoff := l.now().Add(-l.cfg.MaxAge)
	var n int
	err := l.db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(store.SyncLogs)
		var total int
		_ = b.ForEach(func(k, v []byte) error { total++; return nil })
		var del [][]byte
		err := b.Scan(nil, func(k, v []byte) (bool, error) {
			id, err := uuid.ParseBytes(k)
			old := err == nil && time.Unix(id.Time().UnixTime()).Before(cutoff)
			if old || total-len(del) > l.cfg.MaxRows {
				del = append(del, append([]byte(nil), k...))
				return true, nil
			}
			return false, nil
		})
		if err != nil {
			return err
		}
		for _, k := range del {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(del)
		return nil
	})
	return n, err
}

// Run prunes every hour until ctx is done.
func (l *Logger) Run(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := l.Prune(); err != nil {
			l.log.Warn("prune sync logs", "err", err)
		} else if n > 0 {
			l.log.Info("sync logs pruned", "rows", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// subjectOf keeps the outbox's per-subject sequences to a small set: one per
// integration, or one per record type for store-wide records.
func subjectOf(r Record) string {
	if r.Integration != "" {
		return "integration/" + r.Integration
	}
	return "type/" + r.Type
}
