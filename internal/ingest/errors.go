package ingest

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when a record id is unknown.
var ErrNotFound = errors.New("not found")

// ErrTooLarge is matched (errors.Is) by a *TooLargeError.
var ErrTooLarge = errors.New("record too large for the cloud link")

// TooLargeError is a captured record larger than the cloud broker takes in
// one message. Nothing was written.
type TooLargeError struct {
	Kind  string // order or payment
	ID    string
	Bytes int // the record's JSON
	Limit int // the most the link takes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s %s is %d bytes, over the %d bytes the cloud link takes in one message (cloud.max_message_bytes): "+
		"split it into smaller records (fewer line items or shorter notes)", e.Kind, e.ID, e.Bytes, e.Limit)
}

// Is reports whether target is ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }
