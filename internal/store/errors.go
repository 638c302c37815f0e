package store

import "errors"

// ErrInUse is returned by Open when another process holds the data
// directory. The error text names the directory and, when known, the pid.
var ErrInUse = errors.New("data dir in use")

// ErrReadOnly is returned by writes in a View transaction.
var ErrReadOnly = errors.New("read-only transaction")

// ErrNewerSchema is returned by Open when the file was written by a newer
// aura-edge whose schema this binary does not know.
var ErrNewerSchema = errors.New("store schema is newer than this binary")
