package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"time"
)

// Defaults used when an Options field is zero.
const (
	DefaultDialTimeout   = 5 * time.Second
	DefaultWriteTimeout  = 10 * time.Second
	DefaultStatusTimeout = time.Second
)

// Driver opens connections for one URL scheme. A Driver holds no
// per-connection state and must be safe for concurrent use: two printers may
// share it.
type Driver interface {
	// Validate checks a parsed URL of the driver's scheme without doing
	// any I/O. It returns a short reason ("missing port, e.g. ..."); the
	// caller wraps it with the URL and ErrBadURL. u has no user info and no
	// fragment.
	Validate(u *url.URL) error
	// Open connects to the device named by u, which Validate accepted.
	// Its errors must wrap ErrUnavailable or ErrBadURL (Open adds
	// ErrUnavailable to any that do not). ctx bounds only the opening.
	Open(ctx context.Context, u *url.URL, opts Options) (Conn, error)
}

// Conn is one open connection to a printer, used for one job. Write sends
// print data; Read returns what the printer sends back (status bytes);
// Close releases the device. See the package documentation for the error
// contract.
type Conn interface {
	io.ReadWriteCloser
}

// Deadliner is implemented by connections whose Reads and Writes can be
// bounded, with net.Conn's semantics: a deadline in the past makes them
// fail with an error matching os.ErrDeadlineExceeded, and the zero time
// clears it. tcp, serial and usb connections implement it. A write deadline
// applies in addition to Options.WriteTimeout (serial checks it between
// paced chunks). QueryStatus needs it.
type Deadliner interface {
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// StatusQuerier is implemented by connections that answer DLE EOT status
// queries themselves instead of through the byte stream (the file: virtual
// printer). QueryStatus uses it when present; call QueryStatus, not this.
type StatusQuerier interface {
	QueryStatus(ctx context.Context, n byte, timeout time.Duration) (byte, error)
}

// PreviewWriter is implemented by connections that keep what they print
// where a person can read it (the file: virtual printer): WritePreview
// stores text, the job as it reads, beside the job's bytes. It may be
// called after Close.
type PreviewWriter interface {
	WritePreview(text []byte) error
}

// Passive is implemented by drivers whose Open has lasting effects (the
// file: virtual printer creates a job file per Open), so a connection
// must not be opened just to ask for status while idle. Use PollsWhenIdle.
type Passive interface {
	Passive() bool
}

// PollsWhenIdle reports whether the device at rawURL may be opened to
// poll its status while no job is waiting: false for passive drivers and
// for URLs that do not parse.
func PollsWhenIdle(rawURL string) bool {
	u, err := ParseURL(rawURL)
	if err != nil {
		return false
	}
	d, ok := lookup(u.Scheme)
	if !ok {
		return false
	}
	p, ok := d.(Passive)
	return !ok || !p.Passive()
}

// Options tune one Open. The zero value is ready to use.
type Options struct {
	// JobID names the job. The file: transport puts it in the file name;
	// other transports ignore it. Optional.
	JobID string
	// DialTimeout bounds connecting (the tcp dial). Zero means
	// DefaultDialTimeout. A deadline on Open's ctx applies too.
	DialTimeout time.Duration
	// WriteTimeout is how long a Write may make no progress (the printer
	// not taking bytes) before it fails; it is applied per chunk, so a
	// long job on a slow but working printer does not time out. Zero means
	// DefaultWriteTimeout. Serial ports ignore it: without flow control
	// they never stall (the kernel sends at the line rate).
	WriteTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	return o
}

// Retryable reports whether err says the job certainly never reached the
// device, so that sending it again on a new connection cannot print it
// twice: err wraps ErrUnavailable and not ErrInterrupted. It is false for
// nil, for ErrBadURL (retrying cannot help) and for unknown errors.
func Retryable(err error) bool {
	return errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrInterrupted)
}

// QueryWriter is implemented by connections that can send a status query
// without counting it as job bytes, so that a failed query before any
// Write stays retry safe (see Failure). QueryStatus uses it when present;
// a connection without it sends the query through Write.
type QueryWriter interface {
	WriteQuery(p []byte) (int, error)
}

// Failure wraps err from operation op (e.g. "write tcp 10.0.0.5:9100") by
// the retry rule: as ErrInterrupted when the Conn had accepted written > 0
// job bytes, else as ErrUnavailable. Transport implementations use it.
func Failure(op string, written int64, err error) error {
	if written > 0 {
		return fmt.Errorf("%s: %w: %w", op, ErrInterrupted, err)
	}
	return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
}

// isTimeout reports whether err is a deadline or timeout error.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
