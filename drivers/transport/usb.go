package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"syscall"
)

// usb:///dev/usb/lp0 is the Linux USB printer class device (usblp). The
// device is opened read-write; reads (status answers) need a bidirectional
// printer. Reads and writes go through Go's poller, so deadlines work.

// USB is the usb: driver (registered by drivers/transport/all).
func USB() Driver { return usbDriver{} }

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
	return &deadlineConn{p: f, kind: "usb", name: dev, chunk: usbChunk, stall: opts.WriteTimeout,
		// Devices without poll support cannot take deadlines
		// (os.ErrNoDeadline); their writes block.
		tolerant: true,
		readErr: func(err error) error {
			if errors.Is(err, syscall.EINVAL) {
				// usblp refuses reads from printers that are not
				// bidirectional.
				return fmt.Errorf("printer is not bidirectional: %w: %w", ErrNoStatus, err)
			}
			return nil
		},
		hint: func(err error) error {
			if errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.EIO) {
				return &hintError{"device vanished (" + err.Error() + ")", err}
			}
			return err
		},
	}, nil
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

var _ Driver = usbDriver{}
