package ingest

import "errors"

// ErrNotFound is returned when a record id is unknown.
var ErrNotFound = errors.New("not found")
