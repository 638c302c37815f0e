package outbox

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// ErrFull is matched (errors.Is) by a *FullError: a never-drop stream is at
// its row or byte limit. Nothing was written; retry after the queue drains.
var ErrFull = errors.New("outbox full")

// ErrDiskLow is matched (errors.Is) by a *DiskLowError: free disk space is
// below the stream's floor. Nothing was written; retry after space is freed.
var ErrDiskLow = errors.New("disk space low")

// ErrUnknownStream is returned for a Stream not in Streams.
var ErrUnknownStream = errors.New("unknown outbox stream")

// ErrUnknownSubject is returned by SetSubjectRef for a subject with no
// counter (no event of it was appended, or it was forgotten).
var ErrUnknownSubject = errors.New("unknown outbox subject")

// ErrInvalidEntry is returned by Append and AppendTx for an Entry that cannot
// be queued (no type, key or subject too long). Nothing was written.
var ErrInvalidEntry = errors.New("invalid outbox entry")

// ErrCorrupt is returned by Peek for a stored row it cannot decode; the error
// names the stream and Seq. The row is left in place.
var ErrCorrupt = errors.New("corrupt outbox row")

// FullError is returned when a never-drop stream is at capacity. Reason is a
// sentence for an operator; the other fields are the numbers behind it.
type FullError struct {
	Stream   Stream
	Reason   string
	Depth    int       // rows queued
	Bytes    int64     // bytes queued
	MaxRows  int       // the stream's row limit
	MaxBytes int64     // the stream's byte limit
	Oldest   time.Time // append time of the oldest queued row
}

func (e *FullError) Error() string { return e.Reason }

// Is reports whether target is ErrFull.
func (e *FullError) Is(target error) bool { return target == ErrFull }

// DiskLowError is returned when free disk space is below a stream's floor.
type DiskLowError struct {
	Stream Stream
	Reason string
	Free   uint64 // free bytes for the data directory
	Floor  uint64 // the stream's floor
}

func (e *DiskLowError) Error() string { return e.Reason }

// Is reports whether target is ErrDiskLow.
func (e *DiskLowError) Is(target error) bool { return target == ErrDiskLow }

// NoSpace turns a write that failed because the file system is full
// (ENOSPC, whose text names the store file) into a *DiskLowError for
// stream with a plain reason; other errors are returned as they are.
func NoSpace(err error, stream Stream) error {
	if !errors.Is(err, syscall.ENOSPC) {
		return err
	}
	return &DiskLowError{Stream: stream, Reason: fmt.Sprintf(
		"disk full: the data directory's file system has no space left; nothing was lost, new %s are refused until space is freed", stream)}
}
