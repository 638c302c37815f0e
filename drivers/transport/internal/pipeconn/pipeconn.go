// Package pipeconn is the deadline-aware transport.Conn over a byte pipe
// that the tcp and usb transports share, and the small helpers the
// built-in transports have in common. It is internal to drivers/transport:
// a transport outside this tree implements transport.Conn itself.
package pipeconn

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport"
)

// Pipe is a byte pipe whose reads and writes honour deadlines: a net.Conn,
// or an *os.File that goes through Go's poller.
type Pipe interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// Conn is the one deadline-aware transport.Conn over a Pipe (tcp and usb
// use it). Writes go in chunks with a stall deadline renewed per chunk (so
// a long job on a slow but working printer does not time out, and a
// printer that stops taking bytes does), tightened by an explicit write
// deadline; job bytes are counted for the retry rule (status queries, sent
// through WriteQuery, are not); errors follow package transport's
// contract. Fill in the exported fields before first use; do not change
// them afterwards.
type Conn struct {
	Pipe  Pipe
	Kind  string // "tcp", "usb": in errors
	Name  string // address or device path: in errors
	Chunk int    // bytes per write call
	Stall time.Duration
	// Tolerant: a pipe that refuses write deadlines (a device without
	// poll support, os.ErrNoDeadline) is written to without them.
	Tolerant bool
	// ReadErr may turn a read error into a clearer one (nil: keep it).
	ReadErr func(err error) error
	// Explain may add a hint for the operator to a failure's cause.
	Explain func(err error) error

	writeDeadline atomic.Int64 // explicit write deadline, unix ns, 0 for none
	written       atomic.Int64 // job bytes accepted
	closed        atomic.Bool
}

func (c *Conn) op(op string) string { return op + " " + c.Kind + " " + c.Name }

// Write sends job bytes.
func (c *Conn) Write(p []byte) (int, error) { return c.write(p, true) }

// WriteQuery sends a status query; its bytes do not count as job bytes.
func (c *Conn) WriteQuery(p []byte) (int, error) { return c.write(p, false) }

func (c *Conn) write(p []byte, job bool) (int, error) {
	total := 0
	for total < len(p) {
		if c.closed.Load() {
			return total, fmt.Errorf("%s: %w", c.op("write"), transport.ErrClosed)
		}
		end := min(total+c.Chunk, len(p))
		if err := c.Pipe.SetWriteDeadline(StallDeadline(c.Stall, c.writeDeadline.Load())); err != nil && !c.Tolerant {
			return total, c.fail("write", err)
		}
		n, err := c.Pipe.Write(p[total:end])
		total += n
		if job {
			c.written.Add(int64(n))
		}
		if err != nil {
			return total, c.fail("write", err)
		}
	}
	return total, nil
}

// Read returns what the printer sent back.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.Pipe.Read(p)
	if err == nil {
		return n, nil
	}
	if IsTimeout(err) {
		return n, fmt.Errorf("%s: %w", c.op("read"), err)
	}
	if c.ReadErr != nil {
		if e := c.ReadErr(err); e != nil {
			return n, fmt.Errorf("%s: %w", c.op("read"), e)
		}
	}
	return n, c.fail("read", err)
}

func (c *Conn) fail(op string, err error) error {
	if c.closed.Load() && (errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed)) {
		return fmt.Errorf("%s: %w", c.op(op), transport.ErrClosed)
	}
	if c.Explain != nil {
		err = c.Explain(err)
	}
	return transport.Failure(c.op(op), c.written.Load(), err)
}

// SetReadDeadline bounds Reads.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if c.closed.Load() {
		return fmt.Errorf("%s: %w", c.op("set deadline"), transport.ErrClosed)
	}
	return c.Pipe.SetReadDeadline(t)
}

// SetWriteDeadline bounds Writes, in addition to the stall timeout.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Store(Nanos(t))
	if t.IsZero() {
		return nil
	}
	// Tighten the deadline of a write in progress; the next chunk
	// recomputes it.
	return c.Pipe.SetWriteDeadline(StallDeadline(c.Stall, Nanos(t)))
}

// Close closes the pipe. A network peer or the kernel keeps sending what
// Write accepted; Close does not wait for the printer.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return fmt.Errorf("%s: %w", c.op("close"), transport.ErrClosed)
	}
	if err := c.Pipe.Close(); err != nil {
		return transport.Failure(c.op("close"), c.written.Load(), err)
	}
	return nil
}

var (
	_ transport.Conn        = (*Conn)(nil)
	_ transport.Deadliner   = (*Conn)(nil)
	_ transport.QueryWriter = (*Conn)(nil)
)

// IsTimeout reports whether err is a deadline or timeout error.
func IsTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// StallDeadline is the deadline for the next chunk of a write: now plus the
// stall timeout, or the explicit deadline (unix nanoseconds, 0 for none) if
// earlier.
func StallDeadline(stall time.Duration, explicit int64) time.Time {
	d := time.Now().Add(stall)
	if explicit != 0 {
		if e := time.Unix(0, explicit); e.Before(d) {
			return e
		}
	}
	return d
}

// Nanos converts a deadline to unix nanoseconds, 0 for the zero time.
func Nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// hintError replaces a system error's text with a hint for the operator
// while keeping it in the chain.
type hintError struct {
	hint string
	err  error
}

func (e *hintError) Error() string { return e.hint }
func (e *hintError) Unwrap() error { return e.err }

// Hint returns an error that reads hint ("device not found") and wraps err,
// so errors.Is still finds the system error.
func Hint(hint string, err error) error { return &hintError{hint, err} }
