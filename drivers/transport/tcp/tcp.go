// Package tcp is the tcp: printer transport, a raw TCP printer port
// (tcp://192.168.1.50:9100). drivers/transport/all registers it; see
// package transport for the contract.
package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/drivers/transport/internal/pipeconn"
)

// tcp://host:port is a raw TCP printer port ("JetDirect", usually 9100).
// The port is required: guessing 9100 would hide typos in the config.

// New returns the tcp: driver (registered by drivers/transport/all).
func New() transport.Driver { return tcpDriver{} }

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

func (tcpDriver) Open(ctx context.Context, u *url.URL, opts transport.Options) (transport.Conn, error) {
	addr, err := tcpAddr(u)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %s", transport.ErrBadURL, u.String(), err)
	}
	d := net.Dialer{Timeout: opts.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			err = oe.Err // "connect: connection refused", without repeating the address
		}
		return nil, fmt.Errorf("open tcp %s: %w: %w", addr, transport.ErrUnavailable, err)
	}
	return &pipeconn.Conn{Pipe: nc, Kind: "tcp", Name: addr, Chunk: tcpChunk, Stall: opts.WriteTimeout}, nil
}

var _ transport.Driver = tcpDriver{}
