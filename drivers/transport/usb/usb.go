// Package usb is the usb: printer transport, the Linux USB printer class
// device (usb:///dev/usb/lp0). drivers/transport/all registers it; see
// package transport for the contract.
package usb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"syscall"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/drivers/transport/internal/pipeconn"
)

// usb:///dev/usb/lp0 is the Linux USB printer class device (usblp). The
// device is opened read-write; reads (status answers) need a bidirectional
// printer. Reads and writes go through Go's poller, so deadlines work.

// New returns the usb: driver (registered by drivers/transport/all).
func New() transport.Driver { return usbDriver{} }

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

func (usbDriver) Open(ctx context.Context, u *url.URL, opts transport.Options) (transport.Conn, error) {
	dev, err := usbDevice(u)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %s", transport.ErrBadURL, u.String(), err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open usb %s: %w: %w", dev, transport.ErrUnavailable, err)
	}
	f, err := os.OpenFile(dev, usbOpenFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("open usb %s: %w: %w", dev, transport.ErrUnavailable, usbOpenHint(err))
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		f.Close()
		return nil, fmt.Errorf("open usb %s: %w: not a character device", dev, transport.ErrUnavailable)
	}
	return &pipeconn.Conn{Pipe: f, Kind: "usb", Name: dev, Chunk: usbChunk, Stall: opts.WriteTimeout,
		// Devices without poll support cannot take deadlines
		// (os.ErrNoDeadline); their writes block.
		Tolerant: true,
		ReadErr: func(err error) error {
			if errors.Is(err, syscall.EINVAL) {
				// usblp refuses reads from printers that are not
				// bidirectional.
				return fmt.Errorf("printer is not bidirectional: %w: %w", transport.ErrNoStatus, err)
			}
			return nil
		},
		Explain: func(err error) error {
			if errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.EIO) {
				return pipeconn.Hint("device vanished ("+err.Error()+")", err)
			}
			return err
		},
	}, nil
}

func usbOpenHint(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return pipeconn.Hint("device not found", err)
	case errors.Is(err, fs.ErrPermission):
		return pipeconn.Hint("permission denied (is the service user in the lp group?)", err)
	case errors.Is(err, syscall.EBUSY):
		return pipeconn.Hint("device busy (open in another program?)", err)
	}
	return err
}

var _ transport.Driver = usbDriver{}
