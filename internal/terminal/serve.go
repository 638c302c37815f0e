package terminal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport"
)

// tillConn is the till's side of a session.
type tillConn interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
}

// serve runs the terminal's listener (TCP) or port (serial) until ctx is
// done. started is called once the first attempt to listen or open is
// made.
func (t *terminal) serve(ctx context.Context, started func()) {
	if t.listen.Scheme == "tcp" {
		t.serveTCP(ctx, started)
		return
	}
	t.serveSerial(ctx, started)
}

func (t *terminal) serveTCP(ctx context.Context, started func()) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", t.listen.Addr)
		if err != nil {
			t.setState(StateError, fmt.Errorf("cannot listen on %s: %w", t.listen.Addr, err))
			if backoff == 0 {
				t.log.Error("terminal cannot listen; retrying", "listen", t.listen.Addr, "err", err)
			}
			if started != nil {
				started()
				started = nil
			}
			backoff = min(max(backoff*2, t.m.opts.MinBackoff), t.m.opts.MaxBackoff)
			sleepCtx(ctx, backoff)
			continue
		}
		backoff = 0
		t.mu.Lock()
		t.addr = ln.Addr()
		t.mu.Unlock()
		t.setState(StateListening, nil)
		t.log.Info("terminal listening", "listen", ln.Addr().String(), "mode", t.cfg.Mode, "printer", t.cfg.Printer)
		if started != nil {
			started()
			started = nil
		}
		stop := context.AfterFunc(ctx, func() { ln.Close() })
		for {
			nc, err := ln.Accept()
			if err != nil {
				if ctx.Err() == nil {
					t.log.Error("accept till connection", "err", err)
				}
				break
			}
			// Accepted connections have TCP_NODELAY (Go's default): the
			// printer's answers go back to the till at once.
			t.sessions.Go(func() {
				t.runSession(ctx, nc, nc.RemoteAddr().String())
			})
		}
		stop()
		ln.Close()
	}
}

// serveSerial opens the serial port (re-resolving a USB match each time,
// so a replug onto another /dev/ttyUSBn keeps working) and runs one session
// on it; when the device vanishes it tries again with backoff.
func (t *terminal) serveSerial(ctx context.Context, started func()) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		conn, dev, err := t.openSerial(ctx)
		if started != nil {
			started()
			started = nil
		}
		if err != nil {
			t.setState(StateError, err)
			if backoff == 0 {
				t.log.Error("terminal port not available; retrying", "listen", t.listen.String(), "err", err)
			}
			backoff = min(max(backoff*2, t.m.opts.MinBackoff), t.m.opts.MaxBackoff)
			sleepCtx(ctx, backoff)
			continue
		}
		backoff = 0
		t.mu.Lock()
		t.st.Device = dev
		t.mu.Unlock()
		t.log.Info("terminal port open", "device", dev, "mode", t.cfg.Mode, "printer", t.cfg.Printer)
		t.sessions.Add(1)
		err = t.runSession(ctx, conn, dev)
		t.sessions.Done()
		if ctx.Err() == nil {
			t.setState(StateError, fmt.Errorf("port %s closed: %w", dev, err))
			t.log.Warn("terminal port lost; reopening", "device", dev, "err", err)
			backoff = t.m.opts.MinBackoff
			sleepCtx(ctx, backoff)
		}
	}
}

// serialTill adapts a transport serial connection to tillConn.
type serialTill struct{ transport.Conn }

func (s serialTill) SetReadDeadline(t time.Time) error {
	return s.Conn.(transport.Deadliner).SetReadDeadline(t)
}

func (t *terminal) openSerial(ctx context.Context) (tillConn, string, error) {
	u, err := t.listen.resolve()
	if err != nil {
		return nil, "", err
	}
	c, err := transport.Open(ctx, u, transport.Options{})
	if err != nil {
		return nil, "", err
	}
	if _, ok := c.(transport.Deadliner); !ok {
		c.Close()
		return nil, "", errors.New("serial connection cannot time out reads")
	}
	pu, _ := transport.ParseURL(u)
	dev := u
	if pu != nil {
		dev = pu.Path
		if dev == "" {
			dev = pu.Host
		}
	}
	return serialTill{c}, dev, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
	case <-tm.C:
	}
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
