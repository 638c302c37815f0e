package transport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
)

// The ESC/POS status protocol has one home: drivers/escpos says what the
// request is (escpos.StatusRequest), which bytes are replies
// (escpos.IsStatusReply) and what they mean (escpos.Status); this file
// does the exchange over a connection, with deadlines.

// ReadStatus asks the printer on c for each kind of real-time status
// (DLE EOT 1 to 4; all four when none are given) with QueryStatus, each
// waiting at most timeout, and parses the replies. On an error it returns
// what was parsed before it (Status.Has tells which kinds); an error
// wrapping ErrNoStatus means the printer did not answer, or the
// connection cannot time out a read.
func ReadStatus(ctx context.Context, c Conn, timeout time.Duration, kinds ...escpos.StatusKind) (escpos.Status, error) {
	var s escpos.Status
	if len(kinds) == 0 {
		kinds = []escpos.StatusKind{escpos.StatusPrinter, escpos.StatusOffline, escpos.StatusError, escpos.StatusPaper}
	}
	for _, k := range kinds {
		b, err := QueryStatus(ctx, c, byte(k), timeout)
		if err != nil {
			return s, err
		}
		if err := s.Parse(k, b); err != nil {
			return s, err
		}
	}
	return s, nil
}

// QueryStatus asks the printer on c for real-time status n with DLE EOT n
// (0x10 0x04 n) and returns its one-byte answer, undecoded (drivers/escpos
// decodes it). n is 1 (printer status), 2 (offline cause), 3 (error cause)
// or 4 (paper roll sensor).
//
// It writes the query and reads until a byte with the fixed status bits
// arrives, discarding others, for at most timeout (zero means
// DefaultStatusTimeout) or until ctx is done. When no answer comes it
// returns an error wrapping ErrNoStatus: the printer may simply not
// support status, and jobs can still be sent. It also returns ErrNoStatus
// for connections that cannot time out a read. Other errors mean the
// connection is broken and follow the package's retry rule; the query
// itself does not count as job bytes.
//
// QueryStatus clears c's read and write deadlines when it returns. A late
// answer to a query that timed out may be read by the next query on the
// same connection; open a new connection when that matters. The file:
// transport answers "online" (0x12) to every query.
func QueryStatus(ctx context.Context, c Conn, n byte, timeout time.Duration) (byte, error) {
	if n < 1 || n > 4 {
		return 0, fmt.Errorf("query status: DLE EOT %d is not supported (want 1 to 4)", n)
	}
	if timeout <= 0 {
		timeout = DefaultStatusTimeout
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("query status: %w", err)
	}
	if sq, ok := c.(StatusQuerier); ok {
		return sq.QueryStatus(ctx, n, timeout)
	}
	d, ok := c.(Deadliner)
	if !ok {
		return 0, fmt.Errorf("query status: connection cannot time out a read: %w", ErrNoStatus)
	}

	deadline := time.Now().Add(timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(deadline) {
		deadline = cd
	}
	if err := d.SetReadDeadline(deadline); err != nil {
		if errors.Is(err, os.ErrNoDeadline) {
			return 0, fmt.Errorf("query status: connection cannot time out a read: %w", ErrNoStatus)
		}
		return 0, fmt.Errorf("query status: %w", err)
	}
	_ = d.SetWriteDeadline(deadline)
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		now := time.Now()
		_ = d.SetReadDeadline(now)
		_ = d.SetWriteDeadline(now)
	})
	defer func() {
		if !stop() {
			<-done
		}
		_ = d.SetReadDeadline(time.Time{})
		_ = d.SetWriteDeadline(time.Time{})
	}()

	noAnswer := func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("query status DLE EOT %d: %w", n, err)
		}
		return fmt.Errorf("query status DLE EOT %d: no answer within %s: %w", n, timeout, ErrNoStatus)
	}

	q := escpos.StatusRequest(escpos.StatusKind(n))
	var (
		w   int
		err error
	)
	if qw, ok := c.(QueryWriter); ok {
		w, err = qw.WriteQuery(q)
	} else {
		w, err = c.Write(q)
	}
	if err != nil {
		if w == 0 && isTimeout(err) {
			return 0, noAnswer()
		}
		return 0, fmt.Errorf("query status DLE EOT %d: %w", n, err)
	}

	var b [1]byte
	for {
		m, err := c.Read(b[:])
		if m == 1 && escpos.IsStatusReply(b[0]) {
			return b[0], nil
		}
		if err != nil {
			if isTimeout(err) || ctx.Err() != nil {
				return 0, noAnswer()
			}
			return 0, fmt.Errorf("query status DLE EOT %d: %w", n, err)
		}
	}
}
