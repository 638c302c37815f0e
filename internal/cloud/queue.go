package cloud

import (
	"context"
	"time"

	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// Queue is what the link needs from the outbox. *outbox.Outbox satisfies
// it; the link never keeps rows of its own.
type Queue interface {
	// Peek returns up to max rows of stream with Seq > after, in Seq order.
	Peek(stream outbox.Stream, after uint64, max int) ([]outbox.Row, error)
	// PeekInto is Peek reusing the storage of rows, from an earlier call
	// whose rows are no longer used.
	PeekInto(rows []outbox.Row, stream outbox.Stream, after uint64, max int) ([]outbox.Row, error)
	// MarkAttempt records one delivery attempt for the rows.
	MarkAttempt(stream outbox.Stream, seqs []uint64, at time.Time) error
	// Ack deletes delivered rows; missing rows are not an error.
	Ack(stream outbox.Stream, seqs []uint64) error
	// Ready is signalled (coalesced) whenever rows were appended.
	Ready() <-chan struct{}
	// Stats reports depth and age per stream for the status message.
	Stats() []outbox.StreamStats
	// Append writes entries durably (command results that are not stored
	// with a seen record).
	Append(ctx context.Context, entries ...outbox.Entry) ([]outbox.Appended, error)
	// AppendTx appends inside the caller's write transaction, so a command's
	// seen record and its result row commit together.
	AppendTx(tx *store.Tx, entries ...outbox.Entry) ([]outbox.Appended, error)
	// Notify wakes the sender after a committed AppendTx.
	Notify()
	// MoveToDead sets a row the broker refuses aside as a dead letter, with
	// a notice to the cloud; ok is false when the row is gone.
	MoveToDead(stream outbox.Stream, seq uint64, reason string) (outbox.DeadLetter, bool, error)
}

var _ Queue = (*outbox.Outbox)(nil)
