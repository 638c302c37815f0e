// Package transport carries bytes to a receipt printer over a connection named by a URL.
//
// It is the driver interface for printer connections, the way
// database/sql/driver is for databases: a Driver per URL scheme, registered
// from init, and a small Conn (an io.ReadWriteCloser) with optional
// interfaces found by type assertion. Four built-in drivers live in their
// own packages (drivers/transport/tcp, serial, usb and file); a binary
// registers the ones it links by importing drivers/transport/all (blank,
// from cmd/, like drivers/pos/all), or by calling Register with tcp.New(),
// serial.New(), usb.New() or file.New() itself:
//
//	tcp://192.168.1.50:9100                         raw TCP ("JetDirect", port required)
//	serial:///dev/ttyUSB0?baud=19200&parity=none     RS-232 or USB-serial through go.bug.st/serial
//	usb:///dev/usb/lp0                              Linux USB printer class character device
//	file:///var/lib/aura-edge/printer-out           virtual printer: one .bin file per job
//
// # URLs
//
// ParseURL checks a connection URL without doing any I/O; config validation
// calls it. Open parses the URL, picks the driver by scheme and connects.
// Device settings live in the URL's query (serial: baud, databits, parity,
// stopbits, chunk); per-connection settings (dial and write timeouts, the job
// id) live in Options. Unknown query parameters are errors.
//
// # Lifecycle
//
// One Conn carries one job: Open, Write the job (in as many Writes as you
// like), optionally QueryStatus, Close. A Conn is not safe for concurrent
// Writes or concurrent Reads, but one Read (or QueryStatus) may run while
// another goroutine Writes or Closes. The ctx given to Open bounds only the
// opening.
//
// # Errors and retries
//
// The rule is database/sql's ErrBadConn rule: a job may be sent again only
// when it certainly never reached the printer, because a second copy of a
// receipt is worse than a late one. Every failure of Open, Write, Read and
// Close wraps exactly one of:
//
//   - ErrUnavailable: nothing written through Write on this Conn has left
//     the process (the dial was refused, the device is missing or busy, the
//     first write failed with nothing accepted). Retry safe.
//   - ErrInterrupted: the connection failed after Write had handed some
//     bytes to the operating system or device. The job may be partly or
//     fully printed. Not retry safe: report it and let a person decide.
//
// A Read that only passed its deadline is not a failure: its error matches
// os.ErrDeadlineExceeded and neither sentinel. Retryable tells the two
// apart. Bytes written by QueryStatus do not count as
// job bytes: a status query that fails before any Write leaves the job
// retry safe. ErrBadURL marks URLs that cannot work (retrying will not help),
// ErrNoStatus a device that did not answer a status query (print anyway),
// and ErrClosed use of a closed Conn. The underlying cause stays in the
// chain (errors.Is(err, os.ErrDeadlineExceeded), syscall.ECONNRESET,
// fs.ErrNotExist and so on still match).
//
// A transport outside this package follows the same contract with
// Failure (which applies the retry rule to a cause) and implements
// QueryWriter when it can send a status query without counting it as job
// bytes.
//
// A successful Close does not prove that a TCP printer received the job: the
// kernel may still be sending. A status query after the job does: printers
// answer DLE EOT when it reaches them, after the bytes before it.
package transport
