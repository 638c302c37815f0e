package terminal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// session is one till connection (or the open serial port).
type session struct {
	t    *terminal
	id   uint64
	peer string
	till tillConn

	tillMu sync.Mutex // writes to the till: relay and offline replies

	pc        io.ReadWriteCloser // printer connection of the segment; nil when none
	relayDone chan struct{}
	relayErr  error // how the printer's side ended; read after relayDone

	offline bool   // this segment's bytes go to the print queue
	held    []byte // offline bytes not yet queued
	scan    scanner
	warned  bool // copy-drop warning logged
}

// runSession passes the till's bytes through until it disconnects or ctx
// ends.
func (t *terminal) runSession(ctx context.Context, till tillConn, peer string) error {
	s := &session{t: t, id: t.nextID.Add(1), peer: peer, till: till}
	t.mu.Lock()
	t.st.Sessions++
	t.st.State = StateConnected
	t.st.Error = ""
	t.mu.Unlock()
	t.log.Debug("till connected", "peer", peer, "session", s.id)
	stop := context.AfterFunc(ctx, func() { till.Close() })
	defer func() {
		stop()
		till.Close()
		t.mu.Lock()
		t.st.Sessions--
		if t.st.Sessions == 0 && t.st.State == StateConnected {
			t.st.State = StateListening
		}
		t.mu.Unlock()
		t.log.Debug("till disconnected", "peer", peer, "session", s.id)
	}()

	buf := make([]byte, readBufferSize)
	inSegment := false
	for {
		var dl time.Time
		if inSegment {
			dl = time.Now().Add(t.cfg.IdleCut)
		}
		_ = till.SetReadDeadline(dl)
		n, err := till.Read(buf)
		if n > 0 {
			t.c.bytesIn.Add(uint64(n))
			if !inSegment {
				s.begin(ctx)
				inSegment = true
			}
			s.pass(ctx, buf[:n])
			s.copy(buf[:n], false)
		}
		if err != nil {
			if isTimeout(err) && ctx.Err() == nil {
				if inSegment {
					s.end(ctx)
					s.copy(nil, true)
					inSegment = false
				}
				continue
			}
			if inSegment {
				s.end(ctx)
			}
			s.copy(nil, true)
			// The till's connection is closed only once its receipts are
			// captured (committed to the outbox): a till that waits for
			// the close knows its receipts are safe.
			captured := make(chan struct{})
			s.send(chunk{session: s.id, closed: true, captured: captured})
			select {
			case <-captured:
			case <-time.After(captureWait):
				t.log.Warn("till disconnected before its receipt was captured", "session", s.id)
			}
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// begin starts a segment: it opens the printer unless the segment must be
// offline.
func (s *session) begin(ctx context.Context) {
	t := s.t
	s.scan = scanner{}
	s.offline = false
	if t.printerURL == "" {
		return // journal without a printer
	}
	if t.goOffline() {
		s.offline = true
		return
	}
	pc, err := t.openPrinter(ctx)
	if err != nil {
		t.printerDown(err)
		s.offline = true
		return
	}
	t.printerUp()
	s.pc = pc
	s.relayDone = make(chan struct{})
	go s.relay(pc, s.relayDone)
}

// pass sends p to the printer, or holds it for the print queue.
func (s *session) pass(ctx context.Context, p []byte) {
	if s.pc != nil {
		if d, ok := s.pc.(interface{ SetWriteDeadline(time.Time) error }); ok {
			_ = d.SetWriteDeadline(time.Now().Add(transport.DefaultWriteTimeout))
		}
		n, err := s.pc.Write(p)
		if err == nil {
			return
		}
		s.t.log.Warn("printer connection broke during a receipt; the rest is queued (check the receipt on paper)",
			"printer", s.t.cfg.Printer, "sent", n, "held", len(p)-n, "err", err)
		s.t.printerDown(err)
		s.closePrinter(false)
		s.offline = true
		p = p[max(n, 0):]
	}
	if !s.offline {
		return
	}
	s.held = append(s.held, p...)
	s.scan.feed(p, s.answer)
	if len(s.held) >= MaxSegmentBytes {
		s.queue(ctx)
	}
}

// answer replies to a status request while the printer is unreachable.
func (s *session) answer(q query) {
	r := reply(q, s.t.cfg.OfflineReply == "online")
	if len(r) == 0 {
		return
	}
	s.t.c.replies.Add(1)
	s.tillMu.Lock()
	defer s.tillMu.Unlock()
	_, _ = s.till.Write(r)
}

// relay copies what the printer sends (status answers, ASB) to the till.
// It records how the printer's side ended in s.relayErr.
func (s *session) relay(pc io.Reader, done chan struct{}) {
	defer close(done)
	buf := make([]byte, 512)
	for {
		n, err := pc.Read(buf)
		if n > 0 {
			s.tillMu.Lock()
			_, werr := s.till.Write(buf[:n])
			s.tillMu.Unlock()
			if werr != nil {
				return
			}
		}
		if err != nil {
			s.relayErr = err
			return
		}
	}
}

// end finishes a segment: offline bytes go to the print queue, the printer
// connection is closed once the printer has taken everything.
func (s *session) end(ctx context.Context) {
	if s.pc != nil {
		s.closePrinter(true)
	}
	if s.offline {
		s.queue(ctx)
	}
}

// closePrinter ends the printer connection. graceful half-closes first and
// waits (bounded) for the printer to finish reading and close its side, so
// that no byte is lost to a reset; otherwise it closes at once.
func (s *session) closePrinter(graceful bool) {
	pc := s.pc
	s.pc = nil
	if graceful {
		cw, ok := pc.(interface{ CloseWrite() error })
		if ok && cw.CloseWrite() != nil {
			// Already reset by the printer.
			s.t.c.interrupted.Add(1)
			s.t.log.Warn("printer dropped the connection during a receipt: it may be incomplete on paper (reprint it from the till)",
				"printer", s.t.cfg.Printer)
		} else if ok {
			select {
			case <-s.relayDone:
				// The printer closed its side: a reset means it dropped
				// the connection and may not have printed everything the
				// kernel had taken from us.
				if err := s.relayErr; err != nil && !errors.Is(err, io.EOF) {
					s.t.c.interrupted.Add(1)
					s.t.log.Warn("printer dropped the connection at the end of a receipt: it may be incomplete on paper (reprint it from the till)",
						"printer", s.t.cfg.Printer, "err", err)
				}
			case <-time.After(DefaultCloseTimeout):
			}
		}
	} else {
		s.t.c.interrupted.Add(1)
	}
	pc.Close()
	<-s.relayDone
}

// queue stores the held bytes as a raw job of the printer.
func (s *session) queue(ctx context.Context) {
	if len(s.held) == 0 {
		return
	}
	t := s.t
	data := s.held
	s.held = nil
	u, err := uuid.NewV7()
	if err != nil {
		t.log.Error("offline receipt bytes lost: no job id", "bytes", len(data), "err", err)
		return
	}
	id := spoolIDPrefix + t.cfg.Name + ":" + u.String()
	// Submit even when ctx is ending (shutdown): these bytes exist only
	// in memory.
	j, _, err := t.m.deps.Spool.Submit(context.WithoutCancel(ctx), spool.Request{ID: id, Printer: t.cfg.Printer, Kind: spool.KindRaw, Raw: data})
	if err != nil {
		t.log.Error("offline receipt bytes could not be queued for the printer", "bytes", len(data), "err", err)
		return
	}
	t.addPending(j.ID)
	t.c.queued.Add(1)
	t.log.Info("receipt bytes queued until the printer is back", "job_id", j.ID, "bytes", len(data), "printer", t.cfg.Printer)
}

// copy hands a copy of p to the capture without ever blocking: when the
// capture is behind by CopyQueue chunks the copy is dropped and counted.
// idle marks the end of a segment (an idle gap or the till's close).
func (s *session) copy(p []byte, idle bool) {
	c := chunk{session: s.id, idle: idle}
	if len(p) > 0 {
		c.buf = getBuf()
		c.data = append((*c.buf)[:0], p...)
	}
	if !s.send(c) && len(p) > 0 {
		putBuf(c.buf)
		s.t.c.dropped.Add(uint64(len(p)))
		if !s.warned {
			s.warned = true
			s.t.log.Error("capture is behind: bytes printed but not captured", "session", s.id, "bytes", len(p))
		}
	}
}

func (s *session) send(c chunk) bool {
	if c.closed {
		s.t.copies <- c // bookkeeping must arrive; the capture drains quickly
		return true
	}
	select {
	case s.t.copies <- c:
		return true
	default:
		return false
	}
}

// openPrinter connects to the terminal's printer. tcp:// printers are
// dialled here so that a segment can end with a half-close (the printer
// reads everything before the connection goes); other schemes go through
// drivers/transport.
func (t *terminal) openPrinter(ctx context.Context) (io.ReadWriteCloser, error) {
	ctx, cancel := context.WithTimeout(ctx, t.m.opts.DialTimeout)
	defer cancel()
	u, err := url.Parse(t.printerURL)
	if err == nil && u.Scheme == "tcp" {
		// Go's TCP connections send at once (TCP_NODELAY is its
		// default). No keep-alive probes: a segment's connection lives
		// for the segment only, and a segment ends after idle_cut, long
		// before the first probe; that saves four setsockopt calls on
		// every receipt of a till that connects per job.
		d := net.Dialer{KeepAlive: -1}
		nc, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return nil, fmt.Errorf("printer %s: %w", t.cfg.Printer, err)
		}
		return nc.(*net.TCPConn), nil
	}
	c, err := transport.Open(ctx, t.printerURL, transport.Options{DialTimeout: t.m.opts.DialTimeout})
	if err != nil {
		return nil, fmt.Errorf("printer %s: %w", t.cfg.Printer, err)
	}
	return c, nil
}

// Copy buffers go back to a pool once the capture has read them (the
// cutter and the framer keep their own copies).
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, readBufferSize); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if b != nil && cap(*b) == readBufferSize {
		bufPool.Put(b)
	}
}
