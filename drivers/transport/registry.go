package transport

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
)

var (
	driversMu sync.RWMutex
	drivers   = make(map[string]Driver)
)

// Register makes a driver available for a URL scheme ("tcp", "serial").
// Drivers call it from init. It panics if the scheme is empty or not a
// lowercase URL scheme, if d is nil, or if the scheme is already taken.
func Register(scheme string, d Driver) {
	checkRegistration(scheme, d)
	driversMu.Lock()
	defer driversMu.Unlock()
	if _, dup := drivers[scheme]; dup {
		panic("transport: Register called twice for scheme " + scheme)
	}
	drivers[scheme] = d
}

// RegisterForTest installs d for scheme for the duration of a test,
// replacing any driver registered for it, and restores the previous state
// with t.Cleanup. Pass a *testing.T or *testing.B. Tests that use it must
// not run in parallel with tests that open the same scheme.
func RegisterForTest(t interface{ Cleanup(func()) }, scheme string, d Driver) {
	checkRegistration(scheme, d)
	driversMu.Lock()
	prev, had := drivers[scheme]
	drivers[scheme] = d
	driversMu.Unlock()
	t.Cleanup(func() {
		driversMu.Lock()
		defer driversMu.Unlock()
		if had {
			drivers[scheme] = prev
		} else {
			delete(drivers, scheme)
		}
	})
}

func checkRegistration(scheme string, d Driver) {
	if scheme == "" {
		panic("transport: Register with empty scheme")
	}
	if !validScheme(scheme) {
		panic(fmt.Sprintf("transport: Register with invalid scheme %q (want lowercase letters, digits, +, - or .)", scheme))
	}
	if d == nil {
		panic("transport: Register driver is nil for scheme " + scheme)
	}
}

func validScheme(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// Names returns the registered schemes, sorted.
func Names() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	names := make([]string, 0, len(drivers))
	for name := range drivers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func lookup(scheme string) (Driver, bool) {
	driversMu.RLock()
	defer driversMu.RUnlock()
	d, ok := drivers[scheme]
	return d, ok
}

// badURLError is an error about a connection URL; it matches ErrBadURL.
type badURLError struct{ msg string }

func (e *badURLError) Error() string { return e.msg }
func (e *badURLError) Unwrap() error { return ErrBadURL }

func badURL(raw string, reason string) error {
	return &badURLError{msg: fmt.Sprintf("invalid transport url %q: %s", raw, reason)}
}

func unknownScheme(scheme string) error {
	return &badURLError{msg: fmt.Sprintf("unknown transport %q (forgotten import?)", scheme)}
}

// ParseURL checks a connection URL and returns it parsed, without doing
// any I/O: the scheme must be registered and the driver must accept the
// rest (tcp needs a host and a port, serial a device path and valid line
// settings, and so on). Errors wrap ErrBadURL and say what to write
// instead. Config validation calls it.
func ParseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, badURL(raw, "empty")
	}
	if strings.TrimSpace(raw) != raw {
		return nil, badURL(raw, "leading or trailing space")
	}
	i := strings.Index(raw, "://")
	if i <= 0 {
		return nil, badURL(raw, "no scheme://, want e.g. tcp://192.168.1.50:9100 or serial:///dev/ttyUSB0")
	}
	if scheme := strings.ToLower(raw[:i]); !validScheme(scheme) {
		return nil, badURL(raw, fmt.Sprintf("bad scheme %q", raw[:i]))
	} else if _, ok := lookup(scheme); !ok {
		return nil, unknownScheme(scheme)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, badURL(raw, err.Error())
	}
	d, ok := lookup(u.Scheme)
	if !ok {
		return nil, unknownScheme(u.Scheme)
	}
	switch {
	case u.User != nil:
		return nil, badURL(raw, "user info is not allowed")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, badURL(raw, "fragment (#...) is not allowed")
	}
	if err := d.Validate(u); err != nil {
		return nil, badURL(raw, err.Error())
	}
	return u, nil
}

// Open parses rawURL, picks the driver registered for its scheme and opens
// a connection. An unknown scheme fails with
// `unknown transport "x" (forgotten import?)`. Errors wrap ErrBadURL (the
// URL cannot work) or ErrUnavailable (nothing was sent; retry later). ctx
// bounds only the opening; the returned Conn outlives it.
func Open(ctx context.Context, rawURL string, opts Options) (Conn, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	d, ok := lookup(u.Scheme)
	if !ok {
		return nil, unknownScheme(u.Scheme)
	}
	c, err := d.Open(ctx, u, opts.withDefaults())
	if err != nil {
		if !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrBadURL) {
			err = fmt.Errorf("open %s: %w: %w", u.Redacted(), ErrUnavailable, err)
		}
		return nil, err
	}
	if c == nil {
		return nil, fmt.Errorf("open %s: %w: driver returned no connection", u.Redacted(), ErrUnavailable)
	}
	return c, nil
}
