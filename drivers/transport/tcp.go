package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// tcp://host:port is a raw TCP printer port ("JetDirect", usually 9100).
// The port is required: guessing 9100 would hide typos in the config.

func init() { Register("tcp", tcpDriver{}) }

// tcpChunk is how much one write call hands to the kernel; the stall
// timeout is renewed per chunk.
const tcpChunk = 16 << 10

type tcpDriver struct{}

func (tcpDriver) Validate(u *url.URL) error {
	_, err := tcpAddr(u)
	return err
}

func tcpAddr(u *url.URL) (string, error) {
	switch {
	case u.Opaque != "":
		return "", errors.New("want tcp://host:port, e.g. tcp://192.168.1.50:9100")
	case u.Hostname() == "":
		return "", errors.New("missing host, e.g. tcp://192.168.1.50:9100")
	case u.Port() == "":
		return "", fmt.Errorf("missing port, e.g. tcp://%s:9100", u.Host)
	case u.Path != "" && u.Path != "/":
		return "", fmt.Errorf("unexpected path %q: tcp urls are tcp://host:port", u.Path)
	case u.RawQuery != "" || u.ForceQuery:
		return "", errors.New("tcp takes no parameters")
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 1 || port > 65535 {
		return "", fmt.Errorf("port must be 1 to 65535, got %s", u.Port())
	}
	return net.JoinHostPort(u.Hostname(), u.Port()), nil
}

func (tcpDriver) Open(ctx context.Context, u *url.URL, opts Options) (Conn, error) {
	addr, err := tcpAddr(u)
	if err != nil {
		return nil, badURL(u.String(), err.Error())
	}
	d := net.Dialer{Timeout: opts.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			err = oe.Err // "connect: connection refused", without repeating the address
		}
		return nil, fmt.Errorf("open tcp %s: %w: %w", addr, ErrUnavailable, err)
	}
	return &tcpConn{nc: nc.(*net.TCPConn), addr: addr, stall: opts.WriteTimeout}, nil
}

// tcpConn is a Conn over TCP.
type tcpConn struct {
	nc    *net.TCPConn
	addr  string
	stall time.Duration

	writeDeadline atomic.Int64 // explicit write deadline, unix ns, 0 for none
	written       atomic.Int64 // job bytes accepted by the kernel
	closed        atomic.Bool
}

func (c *tcpConn) Write(p []byte) (int, error) {
	return c.write(p, true)
}

func (c *tcpConn) writeQuery(p []byte) (int, error) {
	return c.write(p, false)
}

func (c *tcpConn) write(p []byte, job bool) (int, error) {
	total := 0
	for total < len(p) {
		if c.closed.Load() {
			return total, fmt.Errorf("write tcp %s: %w", c.addr, ErrClosed)
		}
		end := min(total+tcpChunk, len(p))
		if err := c.nc.SetWriteDeadline(stallDeadline(c.stall, c.writeDeadline.Load())); err != nil {
			return total, c.fail("write", err)
		}
		n, err := c.nc.Write(p[total:end])
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

func (c *tcpConn) Read(p []byte) (int, error) {
	n, err := c.nc.Read(p)
	if err != nil {
		if isTimeout(err) {
			return n, fmt.Errorf("read tcp %s: %w", c.addr, err)
		}
		return n, c.fail("read", err)
	}
	return n, nil
}

func (c *tcpConn) fail(op string, err error) error {
	if c.closed.Load() && errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("%s tcp %s: %w", op, c.addr, ErrClosed)
	}
	return failure(op+" tcp "+c.addr, c.written.Load(), err)
}

func (c *tcpConn) SetReadDeadline(t time.Time) error {
	if c.closed.Load() {
		return fmt.Errorf("set deadline tcp %s: %w", c.addr, ErrClosed)
	}
	return c.nc.SetReadDeadline(t)
}

func (c *tcpConn) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Store(nanos(t))
	if t.IsZero() {
		return nil
	}
	// Tighten the deadline of a write in progress; the next chunk
	// recomputes it.
	return c.nc.SetWriteDeadline(stallDeadline(c.stall, nanos(t)))
}

// Close closes the connection. The kernel keeps sending what Write
// accepted; Close does not wait for the printer.
func (c *tcpConn) Close() error {
	if c.closed.Swap(true) {
		return fmt.Errorf("close tcp %s: %w", c.addr, ErrClosed)
	}
	if err := c.nc.Close(); err != nil {
		return failure("close tcp "+c.addr, c.written.Load(), err)
	}
	return nil
}

var (
	_ Driver    = tcpDriver{}
	_ Conn      = (*tcpConn)(nil)
	_ Deadliner = (*tcpConn)(nil)
)
