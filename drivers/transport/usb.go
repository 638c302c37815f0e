package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// usb:///dev/usb/lp0 is the Linux USB printer class device (usblp). The
// device is opened read-write; reads (status answers) need a bidirectional
// printer. Reads and writes go through Go's poller, so deadlines work.

func init() { Register("usb", usbDriver{}) }

const usbChunk = 4 << 10

type usbDriver struct{}

func (usbDriver) Validate(u *url.URL) error {
	_, err := usbDevice(u)
	return err
}

func usbDevice(u *url.URL) (string, error) {
	switch {
	case u.Opaque != "":
		return "", errors.New("want usb:///dev/usb/lp0 (three slashes)")
	case u.Host != "":
		return "", fmt.Errorf("unexpected host %q: write the device path after three slashes, e.g. usb:///dev/usb/lp0", u.Host)
	case u.Path == "" || u.Path == "/":
		return "", errors.New("missing device path, e.g. usb:///dev/usb/lp0")
	case u.RawQuery != "" || u.ForceQuery:
		return "", errors.New("usb takes no parameters")
	}
	return u.Path, nil
}

func (usbDriver) Open(ctx context.Context, u *url.URL, opts Options) (Conn, error) {
	dev, err := usbDevice(u)
	if err != nil {
		return nil, badURL(u.String(), err.Error())
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open usb %s: %w: %w", dev, ErrUnavailable, err)
	}
	f, err := os.OpenFile(dev, usbOpenFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("open usb %s: %w: %w", dev, ErrUnavailable, usbOpenHint(err))
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		f.Close()
		return nil, fmt.Errorf("open usb %s: %w: not a character device", dev, ErrUnavailable)
	}
	return &usbConn{f: f, dev: dev, stall: opts.WriteTimeout}, nil
}

func usbOpenHint(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &hintError{"device not found", err}
	case errors.Is(err, fs.ErrPermission):
		return &hintError{"permission denied (is the service user in the lp group?)", err}
	case errors.Is(err, syscall.EBUSY):
		return &hintError{"device busy (open in another program?)", err}
	}
	return err
}

// usbConn is a Conn over a USB printer character device.
type usbConn struct {
	f     *os.File
	dev   string
	stall time.Duration

	writeDeadline atomic.Int64 // explicit, unix ns, 0 for none
	written       atomic.Int64
	closed        atomic.Bool
}

func (c *usbConn) Write(p []byte) (int, error) { return c.write(p, true) }

func (c *usbConn) writeQuery(p []byte) (int, error) { return c.write(p, false) }

func (c *usbConn) write(p []byte, job bool) (int, error) {
	total := 0
	for total < len(p) {
		if c.closed.Load() {
			return total, fmt.Errorf("write usb %s: %w", c.dev, ErrClosed)
		}
		end := min(total+usbChunk, len(p))
		// Devices without poll support cannot take deadlines
		// (os.ErrNoDeadline); their writes block.
		_ = c.f.SetWriteDeadline(stallDeadline(c.stall, c.writeDeadline.Load()))
		n, err := c.f.Write(p[total:end])
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

func (c *usbConn) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if err != nil {
		switch {
		case isTimeout(err):
			return n, fmt.Errorf("read usb %s: %w", c.dev, err)
		case errors.Is(err, syscall.EINVAL):
			// usblp refuses reads from printers that are not
			// bidirectional.
			return n, fmt.Errorf("read usb %s: printer is not bidirectional: %w: %w", c.dev, ErrNoStatus, err)
		}
		return n, c.fail("read", err)
	}
	return n, nil
}

func (c *usbConn) fail(op string, err error) error {
	if c.closed.Load() && errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("%s usb %s: %w", op, c.dev, ErrClosed)
	}
	if errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.EIO) {
		err = &hintError{"device vanished (" + err.Error() + ")", err}
	}
	return failure(op+" usb "+c.dev, c.written.Load(), err)
}

func (c *usbConn) SetReadDeadline(t time.Time) error {
	if c.closed.Load() {
		return fmt.Errorf("set deadline usb %s: %w", c.dev, ErrClosed)
	}
	return c.f.SetReadDeadline(t)
}

func (c *usbConn) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Store(nanos(t))
	if t.IsZero() {
		return nil
	}
	return c.f.SetWriteDeadline(stallDeadline(c.stall, nanos(t)))
}

func (c *usbConn) Close() error {
	if c.closed.Swap(true) {
		return fmt.Errorf("close usb %s: %w", c.dev, ErrClosed)
	}
	if err := c.f.Close(); err != nil {
		return failure("close usb "+c.dev, c.written.Load(), err)
	}
	return nil
}

var (
	_ Driver    = usbDriver{}
	_ Conn      = (*usbConn)(nil)
	_ Deadliner = (*usbConn)(nil)
)
