package request

import (
	"errors"
	"fmt"
	"strings"

	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// Print asks for a receipt, a kitchen ticket or a test page: the body of
// POST /v1/print and the data of the print command.
type Print struct {
	Printer string `json:"printer"`
	// JobID makes the request idempotent; optional. The print command
	// uses its own id instead.
	JobID string `json:"job_id,omitempty"`
	// Kind is receipt, kitchen or test.
	Kind string `json:"kind"`
	// Order is an Aura order to print; or name a captured one by OrderID.
	Order   *model.Order `json:"order,omitempty"`
	OrderID string       `json:"order_id,omitempty"`
}

// Validate checks the request's form; printers are the configured names
// (for the message when none is given). The order itself is checked when
// the job is queued.
func (r *Print) Validate(printers []string) error {
	if strings.TrimSpace(r.Printer) == "" {
		return &Error{Code: "missing_printer", Message: "printer is required (one of: " + strings.Join(printers, ", ") + ")", Field: "printer"}
	}
	if r.JobID != "" {
		if err := spool.CheckID(r.JobID); err != nil {
			return &Error{Code: "bad_job_id", Message: Plain(err.Error()), Field: "job_id"}
		}
	}
	switch spool.Kind(r.Kind) {
	case spool.KindReceipt, spool.KindKitchen, spool.KindTest:
	case "":
		return &Error{Code: "missing_kind", Message: "kind is required: receipt, kitchen or test", Field: "kind"}
	default:
		return &Error{Code: "bad_kind", Message: fmt.Sprintf("kind %q: want receipt, kitchen or test", r.Kind), Field: "kind"}
	}
	if spool.Kind(r.Kind) == spool.KindTest {
		return nil
	}
	switch {
	case r.Order != nil && r.OrderID != "":
		return &Error{Code: "bad_request", Message: "give order or order_id, not both", Field: "order_id"}
	case r.Order == nil && r.OrderID == "":
		return &Error{Code: "missing_order", Message: "a " + r.Kind + " needs an order: send order (an Aura order) or order_id (a captured order)", Field: "order"}
	}
	return nil
}

// OrderLookup finds a captured order by its Aura id; NotFound reports
// whether its error means there is no such order.
type OrderLookup struct {
	Order    func(id string) (*model.Order, error)
	NotFound func(error) bool // nil: every error means not found
}

// SpoolRequest resolves a validated request's order and returns the job
// to queue. An order id that names no captured order is an *Error; a
// failed lookup is returned as it is (an internal failure).
func (r *Print) SpoolRequest(l OrderLookup) (spool.Request, error) {
	sr := spool.Request{ID: r.JobID, Printer: r.Printer, Kind: spool.Kind(r.Kind), Order: r.Order}
	if sr.Kind == spool.KindTest || r.Order != nil {
		return sr, nil
	}
	if l.Order == nil {
		return sr, &Error{Code: "unknown_order", Message: "order_id lookups are not available here: send the order itself", Field: "order_id"}
	}
	o, err := l.Order(r.OrderID)
	if err == nil && o == nil {
		err = errors.New("not found")
	}
	if err != nil {
		if l.NotFound != nil && !l.NotFound(err) {
			return sr, fmt.Errorf("look up order %q: %w", r.OrderID, err)
		}
		return sr, &Error{Code: "unknown_order", Message: fmt.Sprintf("order %q has not been captured here", r.OrderID), Field: "order_id"}
	}
	sr.Order = o
	return sr, nil
}

// Drawer asks for a cash drawer kick without a sale: the body of
// POST /v1/drawer/open and the data of the drawer.open command.
type Drawer struct {
	Printer string `json:"printer"`
	// Reason is why the drawer is opened ("no sale", "change"); it is
	// audited with who asked. Required.
	Reason string `json:"reason"`
	// JobID makes the request idempotent; optional. The drawer.open
	// command uses its own id instead.
	JobID string `json:"job_id,omitempty"`
	// By names who asked in the cloud (a manager's name); the command's
	// audit records "cloud:<by>". The local API records the token's name.
	By string `json:"by,omitempty"`
}

// Validate checks the request's form (the printer and its drawer are
// checked when the kick is queued).
func (r *Drawer) Validate() error {
	if r.JobID != "" {
		if err := spool.CheckID(r.JobID); err != nil {
			return &Error{Code: "bad_job_id", Message: Plain(err.Error()), Field: "job_id"}
		}
	}
	if len(r.By) > 200 {
		return Invalid("by", "must be at most 200 characters")
	}
	return nil
}

// CommandOwnsJobID is the refusal of a job_id in a command's data: the
// command's id is its job id, so a redelivery never acts twice.
func CommandOwnsJobID(command string) *Error {
	return &Error{Code: "bad_request", Message: "job_id: leave it out; the " + command + " command's id is its job id", Field: "job_id"}
}

// SpoolError words the print queue's refusal of a request (an unknown
// printer, a request it cannot take) the same way for both front-ends; it
// is nil when err is not a refusal (an internal failure, or an order's
// problems, which each front-end lists in its own shape).
func SpoolError(err error) *Error {
	switch {
	case errors.Is(err, spool.ErrUnknownPrinter):
		return &Error{Code: "unknown_printer", Message: Plain(err.Error()), Field: "printer"}
	case errors.Is(err, spool.ErrInvalidRequest):
		return &Error{Code: "invalid_request", Message: Plain(err.Error())}
	}
	return nil
}
