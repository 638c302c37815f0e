// Package serial is the serial: printer transport, RS-232 or USB-serial
// through go.bug.st/serial (serial:///dev/ttyUSB0?baud=19200).
// drivers/transport/all registers it; see package transport for the
// contract.
package serial

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.bug.st/serial"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/drivers/transport/internal/pipeconn"
)

// serial:///dev/ttyUSB0?baud=19200&databits=8&parity=none&stopbits=1&chunk=256
//
// Windows ports are written serial://COM3 or serial:///COM3. The port runs
// raw, without hardware or software flow control (go.bug.st/serial offers
// none), so writes are paced to the line rate: at most one chunk of bytes is
// queued ahead of the wire, and the writer sleeps for the transmit time of
// what it queued. chunk=0 turns pacing off.

// New returns the serial: driver (registered by drivers/transport/all).
func New() transport.Driver { return serialDriver{} }

// Serial defaults: the factory setting of most ESC/POS serial printers.
const (
	defaultBaud        = 9600
	defaultSerialChunk = 256
	serialReadSlice    = 100 * time.Millisecond // how often a blocked Read looks at its deadline
)

var comPort = regexp.MustCompile(`^(?i)com[0-9]+$`)

type serialDriver struct{}

type serialConfig struct {
	device string
	mode   serial.Mode
	chunk  int     // bytes per paced chunk, 0 for no pacing
	bits   float64 // bits on the wire per byte (start + data + parity + stop)
}

func (serialDriver) Validate(u *url.URL) error {
	_, err := parseSerial(u)
	return err
}

func parseSerial(u *url.URL) (serialConfig, error) {
	cfg := serialConfig{
		mode:  serial.Mode{BaudRate: defaultBaud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit},
		chunk: defaultSerialChunk,
	}
	switch {
	case u.Opaque != "":
		return cfg, errors.New("want serial:///dev/ttyUSB0 (three slashes)")
	case u.Host != "" && comPort.MatchString(u.Host) && u.Path == "":
		cfg.device = strings.ToUpper(u.Host)
	case u.Host != "":
		return cfg, fmt.Errorf("unexpected host %q: write the device path after three slashes, e.g. serial:///dev/ttyUSB0", u.Host)
	case u.Path == "" || u.Path == "/":
		return cfg, errors.New("missing device path, e.g. serial:///dev/ttyUSB0?baud=19200")
	case comPort.MatchString(u.Path[1:]):
		cfg.device = strings.ToUpper(u.Path[1:])
	default:
		cfg.device = u.Path
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return cfg, fmt.Errorf("bad query: %v", err)
	}
	stop := 1.0
	for _, key := range sortedKeys(q) {
		vals := q[key]
		if len(vals) > 1 {
			return cfg, fmt.Errorf("parameter %s given %d times", key, len(vals))
		}
		v := vals[0]
		switch key {
		case "baud":
			b, err := strconv.Atoi(v)
			if err != nil || b < 50 || b > 4000000 {
				return cfg, fmt.Errorf("baud must be a number from 50 to 4000000, got %q", v)
			}
			cfg.mode.BaudRate = b
		case "databits":
			d, err := strconv.Atoi(v)
			if err != nil || d < 5 || d > 8 {
				return cfg, fmt.Errorf("databits must be 5, 6, 7 or 8, got %q", v)
			}
			cfg.mode.DataBits = d
		case "parity":
			switch strings.ToLower(v) {
			case "none", "n":
				cfg.mode.Parity = serial.NoParity
			case "odd", "o":
				cfg.mode.Parity = serial.OddParity
			case "even", "e":
				cfg.mode.Parity = serial.EvenParity
			case "mark", "m":
				cfg.mode.Parity = serial.MarkParity
			case "space", "s":
				cfg.mode.Parity = serial.SpaceParity
			default:
				return cfg, fmt.Errorf("parity must be none, odd, even, mark or space, got %q", v)
			}
		case "stopbits":
			switch v {
			case "1":
				cfg.mode.StopBits, stop = serial.OneStopBit, 1
			case "1.5":
				cfg.mode.StopBits, stop = serial.OnePointFiveStopBits, 1.5
			case "2":
				cfg.mode.StopBits, stop = serial.TwoStopBits, 2
			default:
				return cfg, fmt.Errorf("stopbits must be 1, 1.5 or 2, got %q", v)
			}
		case "chunk":
			c, err := strconv.Atoi(v)
			if err != nil || c < 0 || c > 65536 {
				return cfg, fmt.Errorf("chunk must be a number of bytes from 0 (no pacing) to 65536, got %q", v)
			}
			cfg.chunk = c
		default:
			return cfg, fmt.Errorf("unknown parameter %q (serial takes baud, databits, parity, stopbits and chunk)", key)
		}
	}
	parity := 0.0
	if cfg.mode.Parity != serial.NoParity {
		parity = 1
	}
	cfg.bits = 1 + float64(cfg.mode.DataBits) + parity + stop
	return cfg, nil
}

// byteTime is how long one byte takes on the wire.
func (c serialConfig) byteTime() time.Duration {
	return time.Duration(c.bits * float64(time.Second) / float64(c.mode.BaudRate))
}

func (serialDriver) Open(ctx context.Context, u *url.URL, _ transport.Options) (transport.Conn, error) {
	cfg, err := parseSerial(u)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %s", transport.ErrBadURL, u.String(), err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open serial %s: %w: %w", cfg.device, transport.ErrUnavailable, err)
	}
	mode := cfg.mode
	p, err := serial.Open(cfg.device, &mode)
	if err != nil {
		return nil, fmt.Errorf("open serial %s: %w: %w", cfg.device, transport.ErrUnavailable, serialOpenHint(err))
	}
	return &serialConn{port: p, cfg: cfg}, nil
}

func serialOpenHint(err error) error {
	var pe *serial.PortError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return pipeconn.Hint("device not found", err)
	case errors.Is(err, fs.ErrPermission) || errors.As(err, &pe) && pe.Code() == serial.PermissionDenied:
		return pipeconn.Hint("permission denied (is the service user in the dialout group?)", err)
	case errors.As(err, &pe) && pe.Code() == serial.PortBusy:
		return pipeconn.Hint("port busy (open in another program?)", err)
	}
	return err
}

// serialConn is a Conn over a serial port. Options.WriteTimeout does not
// apply: without flow control the kernel sends at the line rate whatever
// the printer does, so writes never stall; an explicit write deadline is
// checked between paced chunks.
type serialConn struct {
	port serial.Port
	cfg  serialConfig

	readMu        sync.Mutex
	readDeadline  atomic.Int64 // unix ns, 0 for none
	writeDeadline atomic.Int64 // unix ns, 0 for none
	written       atomic.Int64 // job bytes handed to the kernel
	closed        atomic.Bool

	writeMu   sync.Mutex
	wireUntil time.Time // when the bytes queued so far will have left the wire
}

func (c *serialConn) Write(p []byte) (int, error) { return c.write(p, true) }

func (c *serialConn) WriteQuery(p []byte) (int, error) { return c.write(p, false) }

func (c *serialConn) write(p []byte, job bool) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	chunk := c.cfg.chunk
	if chunk == 0 {
		chunk = len(p)
	}
	byteTime := c.cfg.byteTime()
	total := 0
	for total < len(p) {
		if c.closed.Load() {
			return total, fmt.Errorf("write serial %s: %w", c.cfg.device, transport.ErrClosed)
		}
		end := min(total+chunk, len(p))
		// Pace: wait until no more than one chunk is queued ahead of
		// the wire.
		now := time.Now()
		if c.cfg.chunk > 0 {
			if wait := queuedFor(c.wireUntil, now) - time.Duration(chunk)*byteTime; wait > 0 {
				if dl := c.writeDeadline.Load(); dl != 0 && now.Add(wait).After(time.Unix(0, dl)) {
					return total, c.fail("write", fmt.Errorf("pacing: %w", errWriteDeadline))
				}
				time.Sleep(wait)
				now = time.Now()
			}
		}
		if dl := c.writeDeadline.Load(); dl != 0 && !now.Before(time.Unix(0, dl)) {
			return total, c.fail("write", errWriteDeadline)
		}
		n, err := c.port.Write(p[total:end])
		n = max(n, 0)
		total += n
		if job {
			c.written.Add(int64(n))
		}
		c.wireUntil = later(c.wireUntil, now).Add(time.Duration(n) * byteTime)
		if err != nil {
			return total, c.fail("write", err)
		}
		if n == 0 {
			return total, c.fail("write", syscall.EIO)
		}
	}
	return total, nil
}

// errWriteDeadline is the error for a passed write deadline; it matches
// os.ErrDeadlineExceeded.
var errWriteDeadline = fmt.Errorf("write deadline passed: %w", os.ErrDeadlineExceeded)

// queuedFor is how long the bytes already queued keep the wire busy.
func queuedFor(wireUntil, now time.Time) time.Duration {
	if !wireUntil.After(now) {
		return 0
	}
	return wireUntil.Sub(now)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (c *serialConn) Read(p []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if c.closed.Load() {
			return 0, fmt.Errorf("read serial %s: %w", c.cfg.device, transport.ErrClosed)
		}
		slice := serialReadSlice
		if dl := c.readDeadline.Load(); dl != 0 {
			left := time.Until(time.Unix(0, dl))
			if left <= 0 {
				return 0, fmt.Errorf("read serial %s: %w", c.cfg.device, os.ErrDeadlineExceeded)
			}
			slice = min(slice, left)
		}
		if err := c.port.SetReadTimeout(slice); err != nil {
			return 0, c.fail("read", err)
		}
		n, err := c.port.Read(p)
		if err != nil {
			return max(n, 0), c.fail("read", err)
		}
		if n > 0 {
			return n, nil
		}
		// (0, nil) is go.bug.st/serial's read timeout: look again.
	}
}

// fail classifies err: ErrClosed after our Close, else (a vanished
// device, a passed deadline) ErrInterrupted or ErrUnavailable by the job
// bytes written so far.
func (c *serialConn) fail(op string, err error) error {
	if c.closed.Load() {
		return fmt.Errorf("%s serial %s: %w", op, c.cfg.device, transport.ErrClosed)
	}
	var pe *serial.PortError
	if errors.As(err, &pe) && pe.Code() == serial.PortClosed {
		err = pipeconn.Hint("device vanished (port closed)", err)
	} else if errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENODEV) {
		err = pipeconn.Hint("device vanished ("+err.Error()+")", err)
	}
	return transport.Failure(op+" serial "+c.cfg.device, c.written.Load(), err)
}

func (c *serialConn) SetReadDeadline(t time.Time) error {
	if c.closed.Load() {
		return fmt.Errorf("set deadline serial %s: %w", c.cfg.device, transport.ErrClosed)
	}
	c.readDeadline.Store(pipeconn.Nanos(t))
	return nil
}

func (c *serialConn) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Store(pipeconn.Nanos(t))
	return nil
}

func (c *serialConn) Close() error {
	if c.closed.Swap(true) {
		return fmt.Errorf("close serial %s: %w", c.cfg.device, transport.ErrClosed)
	}
	if err := c.port.Close(); err != nil {
		return transport.Failure("close serial "+c.cfg.device, c.written.Load(), err)
	}
	return nil
}

var (
	_ transport.Driver      = serialDriver{}
	_ transport.Conn        = (*serialConn)(nil)
	_ transport.Deadliner   = (*serialConn)(nil)
	_ transport.QueryWriter = (*serialConn)(nil)
)

// sortedKeys returns q's keys in order, so that errors about parameters are
// deterministic.
func sortedKeys(q url.Values) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
