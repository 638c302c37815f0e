package transport_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport"
)

// pipeDriver is a test driver: "pipe://ok" opens one end of a net.Pipe,
// "pipe://fail" fails with a plain error.
type pipeDriver struct{}

func (pipeDriver) Validate(u *url.URL) error {
	if u.Host != "ok" && u.Host != "fail" {
		return fmt.Errorf("host must be ok or fail")
	}
	return nil
}

func (pipeDriver) Open(_ context.Context, u *url.URL, _ transport.Options) (transport.Conn, error) {
	if u.Host == "fail" {
		return nil, errors.New("pipe refused")
	}
	a, b := net.Pipe()
	b.Close()
	return a, nil
}

func TestNames(t *testing.T) {
	got := transport.Names()
	if want := []string{"file", "serial", "tcp", "usb"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}

func TestRegisterPanics(t *testing.T) {
	tests := []struct {
		name   string
		scheme string
		d      transport.Driver
		want   string
	}{
		{"empty", "", pipeDriver{}, "transport: Register with empty scheme"},
		{"nil", "pipe", nil, "transport: Register driver is nil for scheme pipe"},
		{"duplicate", "tcp", pipeDriver{}, "transport: Register called twice for scheme tcp"},
		{"upper case", "Pipe", pipeDriver{}, `transport: Register with invalid scheme "Pipe" (want lowercase letters, digits, +, - or .)`},
		{"leading digit", "9p", pipeDriver{}, `transport: Register with invalid scheme "9p" (want lowercase letters, digits, +, - or .)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("Register did not panic")
				}
				if r != tt.want {
					t.Errorf("panic %q, want %q", r, tt.want)
				}
			}()
			transport.Register(tt.scheme, tt.d)
		})
	}
}

func TestRegisterForTest(t *testing.T) {
	t.Run("add", func(t *testing.T) {
		transport.RegisterForTest(t, "pipe", pipeDriver{})
		if !slices.Contains(transport.Names(), "pipe") {
			t.Fatal("pipe not registered")
		}
		c, err := transport.Open(context.Background(), "pipe://ok", transport.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c.Close()

		// A driver error without a sentinel gets ErrUnavailable.
		_, err = transport.Open(context.Background(), "pipe://fail", transport.Options{})
		if want := "open pipe://fail: device unavailable: pipe refused"; err == nil || err.Error() != want {
			t.Errorf("Open(pipe://fail) = %v, want %s", err, want)
		}
		if !transport.Retryable(err) {
			t.Error("failed Open is not retryable")
		}

		_, err = transport.ParseURL("pipe://other")
		if want := `invalid transport url "pipe://other": host must be ok or fail`; err == nil || err.Error() != want {
			t.Errorf("ParseURL(pipe://other) = %v, want %s", err, want)
		}
	})
	if slices.Contains(transport.Names(), "pipe") {
		t.Error("pipe still registered after the subtest")
	}

	t.Run("override", func(t *testing.T) {
		transport.RegisterForTest(t, "tcp", pipeDriver{})
		if _, err := transport.ParseURL("tcp://ok"); err != nil {
			t.Errorf("overridden tcp: %v", err)
		}
	})
	if _, err := transport.ParseURL("tcp://ok"); err == nil {
		t.Error("tcp driver not restored after the subtest")
	}
}

func TestOpenUnknown(t *testing.T) {
	_, err := transport.Open(context.Background(), "x://printer", transport.Options{})
	if want := `unknown transport "x" (forgotten import?)`; err == nil || err.Error() != want {
		t.Fatalf("Open(x://printer) = %v, want %s", err, want)
	}
	if !errors.Is(err, transport.ErrBadURL) || transport.Retryable(err) {
		t.Errorf("unknown transport error: ErrBadURL %v, Retryable %v", errors.Is(err, transport.ErrBadURL), transport.Retryable(err))
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("other"), false},
		{transport.ErrUnavailable, true},
		{fmt.Errorf("open tcp x: %w: refused", transport.ErrUnavailable), true},
		{fmt.Errorf("write tcp x: %w: reset", transport.ErrInterrupted), false},
		{fmt.Errorf("%w: %w", transport.ErrUnavailable, transport.ErrInterrupted), false},
		{transport.ErrBadURL, false},
		{transport.ErrNoStatus, false},
	}
	for _, tt := range tests {
		if got := transport.Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
