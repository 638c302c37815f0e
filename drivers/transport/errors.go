package transport

import "errors"

// Errors returned by Open, Write, Read and Close. Every failure of those
// wraps exactly one of ErrUnavailable and ErrInterrupted (or ErrBadURL,
// ErrClosed), so that the host can tell whether a job may be sent again;
// see the package documentation and Retryable.
var (
	// ErrUnavailable is wrapped when the device could not be reached and
	// no byte written through Write on this connection left the process:
	// a refused or timed-out dial, a missing, busy or forbidden device, or
	// a write that failed before anything was accepted. Sending the job
	// again (on a new connection) cannot print it twice.
	ErrUnavailable = errors.New("device unavailable")

	// ErrInterrupted is wrapped when a connection fails after some job
	// bytes were handed to the operating system or device (a reset, a
	// vanished serial peer, a write that stalled past its timeout, a
	// failed Close). The printer may have printed part or all of the
	// job. Do not retry automatically.
	ErrInterrupted = errors.New("connection interrupted")
)

// ErrBadURL is wrapped by ParseURL and Open when a connection URL cannot
// work: bad syntax, an unknown scheme, a missing port or device, a bad
// parameter. Retrying will not help; fix the configuration.
var ErrBadURL = errors.New("invalid transport url")

// ErrClosed is wrapped by operations on a Conn after Close.
var ErrClosed = errors.New("use of closed connection")

// ErrNoStatus is wrapped by QueryStatus when the device gave no status
// byte within the timeout, or cannot report status at all (a one-way
// connection, a USB printer that is not bidirectional). Many printers never
// answer; they are still printed to, with their state unknown.
var ErrNoStatus = errors.New("no status from device")
