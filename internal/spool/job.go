package spool

import (
	"fmt"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

// Kind is what a job prints.
type Kind string

// Job kinds.
const (
	KindReceipt Kind = "receipt" // customer receipt for an order
	KindKitchen Kind = "kitchen" // kitchen ticket for an order
	KindTest    Kind = "test"    // printer self-test page
	KindRaw     Kind = "raw"     // ESC/POS bytes supplied by the caller
)

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case KindReceipt, KindKitchen, KindTest, KindRaw:
		return k, nil
	}
	return "", fmt.Errorf("kind %q: want receipt, kitchen, test or raw: %w", s, ErrInvalidRequest)
}

// State is where a job stands; see the package documentation.
type State string

// Job states.
const (
	Queued      State = "queued"
	Printing    State = "printing"
	Printed     State = "printed"
	Unconfirmed State = "unconfirmed"
	Failed      State = "failed"
	// Cancelled: staff took the job off the queue, or dismissed an
	// unconfirmed job that did print (Spool.Cancel).
	Cancelled State = "cancelled"
)

// ParseState returns the state named s.
func ParseState(s string) (State, error) {
	switch st := State(s); st {
	case Queued, Printing, Printed, Unconfirmed, Failed, Cancelled:
		return st, nil
	}
	return "", fmt.Errorf("state %q: want queued, printing, printed, unconfirmed, failed or cancelled: %w", s, ErrInvalidRequest)
}

// Final reports whether the job will not be sent (again) by the spool.
func (s State) Final() bool {
	return s == Printed || s == Unconfirmed || s == Failed || s == Cancelled
}

// Job is one print job as stored and as the API shows it. Its bytes and
// preview are kept beside it (Spool.Data, Spool.Preview).
type Job struct {
	ID      string `json:"id"`
	Printer string `json:"printer"`
	Kind    Kind   `json:"kind"`
	State   State  `json:"state"`
	// OrderID is the order a receipt or kitchen ticket was made from.
	OrderID string `json:"order_id,omitempty"`
	// ReprintOf is the job this one reprints.
	ReprintOf string `json:"reprint_of,omitempty"`
	// MovedFrom is the printer the job was queued on before it failed
	// over to its backup.
	MovedFrom string `json:"moved_from,omitempty"`
	// Attempts counts connections made to send the job.
	Attempts int `json:"attempts"`
	// Bytes is the size of the ESC/POS stream.
	Bytes     int       `json:"bytes"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	PrintedAt time.Time `json:"printed_at,omitzero"`
	// LastError says why the last attempt did not print the job, or why
	// the job is unconfirmed or failed.
	LastError string `json:"last_error,omitempty"`
	// Seq orders jobs: FIFO per printer, newest last.
	Seq uint64 `json:"seq"`
}

// source is what a job was rendered from, kept so it can be laid out
// again for another printer (failover) or with a REPRINT banner.
type source struct {
	Kind    Kind         `json:"kind"`
	Order   *model.Order `json:"order,omitempty"`
	Reprint bool         `json:"reprint,omitempty"`
	// Copy: a copy staff asked for, with a COPY banner.
	Copy bool `json:"copy,omitempty"`
	// At is the self-test page's time.
	At time.Time `json:"at,omitzero"`
	// Ticket is set for a kitchen station's ticket or change ticket.
	Ticket *stationSource `json:"ticket,omitempty"`
}
