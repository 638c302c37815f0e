package cloud

import (
	"bufio"
	"net"
	"sync"
	"time"
)

// closeFlush bounds how long Close waits for the last queued bytes (a
// DISCONNECT, so the broker does not publish the Last Will).
const closeFlush = time.Second

// maxKeptBuffer is the largest write buffer the flusher keeps for reuse:
// a full window of 1 KiB events (64 × ~1.3 KB) fits, so a busy link
// allocates nothing per write.
const maxKeptBuffer = 1 << 20

// pahoConn is the connection we hand paho: the socket, with reads through
// a buffer and writes gathered into as few syscalls as the socket allows.
//
// Reads: paho reads every packet in three reads (the type byte, then the
// length a byte at a time, then the body), so on the bare socket each
// PUBACK cost three read syscalls; through the buffer one read takes every
// PUBACK that has arrived. Only paho's reader goroutine reads.
//
// Writes: paho writes each packet with its own Write, one syscall each.
// Here Write queues the packet and a flusher goroutine writes whatever has
// queued in one syscall: while one write is in the kernel the next packets
// gather, so a full window goes out in a few writes, and a lone packet
// leaves at once. Nothing is acknowledged by a write (a row is deleted
// only on its PUBACK), so a queued packet lost with the connection is sent
// again like any other unacknowledged one. A failed write closes the socket
// (paho's reader then reports the connection lost) and every later Write
// returns the error. Each write may take at most timeout (the link's write
// timeout; paho's own SetWriteDeadline calls are ignored, as its Write no
// longer blocks on the socket). Close sends what is queued first, for at
// most closeFlush.
type pahoConn struct {
	net.Conn
	r       *bufio.Reader
	timeout time.Duration

	mu      sync.Mutex
	queued  []byte
	err     error // the first failed write
	closing bool
	wake    chan struct{} // capacity 1: something was queued, or closing
	done    chan struct{} // the flusher has stopped
}

func newPahoConn(c net.Conn, timeout time.Duration) *pahoConn {
	pc := &pahoConn{
		Conn: c, r: bufio.NewReaderSize(c, 4096), timeout: timeout,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	go pc.flush()
	return pc
}

func (c *pahoConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *pahoConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.err != nil || c.closing {
		err := c.err
		c.mu.Unlock()
		if err == nil {
			err = net.ErrClosed
		}
		return 0, err
	}
	c.queued = append(c.queued, p...)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // the flusher is already due to look
	}
	return len(p), nil
}

// SetWriteDeadline is paho's per-packet deadline; the flusher sets its own
// per write (see pahoConn).
func (c *pahoConn) SetWriteDeadline(time.Time) error { return nil }

// SetDeadline sets the read deadline only, for the same reason.
func (c *pahoConn) SetDeadline(t time.Time) error { return c.Conn.SetReadDeadline(t) }

func (c *pahoConn) flush() {
	defer close(c.done)
	var out []byte
	for range c.wake {
		c.mu.Lock()
		out, c.queued = c.queued, out[:0]
		closing := c.closing
		if len(out) > 0 && !closing && c.timeout > 0 {
			// Under the lock, so it never replaces Close's deadline.
			c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
		}
		c.mu.Unlock()
		if len(out) > 0 {
			if _, err := c.Conn.Write(out); err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				c.Conn.Close()
				return
			}
		}
		if closing {
			return
		}
		if cap(out) > maxKeptBuffer {
			out = nil // do not keep a burst's buffer for good
		}
	}
}

// Close writes what is queued (for at most closeFlush), then closes the
// socket.
func (c *pahoConn) Close() error {
	c.mu.Lock()
	if !c.closing {
		c.closing = true
		c.Conn.SetWriteDeadline(time.Now().Add(closeFlush))
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	<-c.done
	return c.Conn.Close()
}
