package transport

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// pipe is a byte pipe whose reads and writes honour deadlines: a net.Conn,
// or an *os.File that goes through Go's poller.
type pipe interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// deadlineConn is the one deadline-aware Conn over a pipe (tcp and usb use
// it). Writes go in chunks with a stall deadline renewed per chunk (so a
// long job on a slow but working printer does not time out, and a printer
// that stops taking bytes does), tightened by an explicit write deadline;
// job bytes are counted for the retry rule (status queries are not); errors
// follow the package's contract.
type deadlineConn struct {
	p     pipe
	kind  string // "tcp", "usb": in errors
	name  string // address or device path
	chunk int
	stall time.Duration
	// tolerant: a pipe that refuses write deadlines (a device without
	// poll support, os.ErrNoDeadline) is written to without them.
	tolerant bool
	// readErr may turn a read error into a clearer one (nil: keep it).
	readErr func(err error) error
	// hint may add a hint to a failure's cause.
	hint func(err error) error

	writeDeadline atomic.Int64 // explicit write deadline, unix ns, 0 for none
	written       atomic.Int64 // job bytes accepted
	closed        atomic.Bool
}

func (c *deadlineConn) op(op string) string { return op + " " + c.kind + " " + c.name }

func (c *deadlineConn) Write(p []byte) (int, error) { return c.write(p, true) }

func (c *deadlineConn) writeQuery(p []byte) (int, error) { return c.write(p, false) }

func (c *deadlineConn) write(p []byte, job bool) (int, error) {
	total := 0
	for total < len(p) {
		if c.closed.Load() {
			return total, fmt.Errorf("%s: %w", c.op("write"), ErrClosed)
		}
		end := min(total+c.chunk, len(p))
		if err := c.p.SetWriteDeadline(stallDeadline(c.stall, c.writeDeadline.Load())); err != nil && !c.tolerant {
			return total, c.fail("write", err)
		}
		n, err := c.p.Write(p[total:end])
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

func (c *deadlineConn) Read(p []byte) (int, error) {
	n, err := c.p.Read(p)
	if err == nil {
		return n, nil
	}
	if isTimeout(err) {
		return n, fmt.Errorf("%s: %w", c.op("read"), err)
	}
	if c.readErr != nil {
		if e := c.readErr(err); e != nil {
			return n, fmt.Errorf("%s: %w", c.op("read"), e)
		}
	}
	return n, c.fail("read", err)
}

func (c *deadlineConn) fail(op string, err error) error {
	if c.closed.Load() && (errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed)) {
		return fmt.Errorf("%s: %w", c.op(op), ErrClosed)
	}
	if c.hint != nil {
		err = c.hint(err)
	}
	return failure(c.op(op), c.written.Load(), err)
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	if c.closed.Load() {
		return fmt.Errorf("%s: %w", c.op("set deadline"), ErrClosed)
	}
	return c.p.SetReadDeadline(t)
}

func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Store(nanos(t))
	if t.IsZero() {
		return nil
	}
	// Tighten the deadline of a write in progress; the next chunk
	// recomputes it.
	return c.p.SetWriteDeadline(stallDeadline(c.stall, nanos(t)))
}

// Close closes the pipe. A network peer or the kernel keeps sending what
// Write accepted; Close does not wait for the printer.
func (c *deadlineConn) Close() error {
	if c.closed.Swap(true) {
		return fmt.Errorf("%s: %w", c.op("close"), ErrClosed)
	}
	if err := c.p.Close(); err != nil {
		return failure(c.op("close"), c.written.Load(), err)
	}
	return nil
}

var (
	_ Conn        = (*deadlineConn)(nil)
	_ Deadliner   = (*deadlineConn)(nil)
	_ queryWriter = (*deadlineConn)(nil)
)
