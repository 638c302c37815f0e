package terminal

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// OutboxSink delivers captures into the outbox the way POST /v1/orders
// does: one fsync'd bbolt transaction holds the receipt event and, for a
// sale, the order record and its order event.
type OutboxSink struct {
	DB     *store.DB
	Outbox *outbox.Outbox
	Ingest *ingest.Ingest
}

// DedupeKey is the receipt event's outbox de-duplication key: till and
// receipt identity (number and date, or raw digest).
func DedupeKey(c *Capture) string {
	return "terminal-receipt/" + c.Terminal + "/" + c.ExternalID
}

// Deliver implements Sink.
func (s *OutboxSink) Deliver(ctx context.Context, c *Capture) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	data, err := json.Marshal(c)
	if err != nil {
		return false, fmt.Errorf("encode receipt %s: %w", c.ExternalID, err)
	}
	var (
		dup   bool
		fresh []model.Order
	)
	err = s.DB.Batch(func(tx *store.Tx) error {
		dup, fresh = false, nil // Batch may run this again
		ap, err := s.Outbox.AppendTx(tx, outbox.Entry{
			Stream: outbox.Orders, Type: TypeReceipt, Subject: c.ID, DedupeKey: DedupeKey(c), Data: data,
			DedupeScope: c.ID, // derived from the terminal and external id, as the key
		})
		if err != nil {
			return err
		}
		if ap[0].Duplicate {
			dup = true
			return nil
		}
		if o := c.NewOrder(); o != nil {
			_, fresh, err = s.Ingest.CaptureTx(tx, []model.Order{*o}, nil)
			return err
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if !dup {
		s.Ingest.Committed(fresh)
	}
	return dup, nil
}

// IsTerminalSource reports whether a record was captured from a till's
// stream (source vendor terminal:<name>). The daemon does not auto-print
// those: the till printed them already.
func IsTerminalSource(src model.Source) bool {
	return strings.HasPrefix(src.Vendor, sourcePrefix)
}
