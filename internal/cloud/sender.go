package cloud

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/auraconnect/aura-edge/internal/outbox"
)

// Sender tunables.
const (
	peekBatch = 256             // rows read per Peek
	quantum   = 64              // rows per stream per round, so no stream starves the others
	pollEvery = 2 * time.Second // rescan even without a Ready signal
	// maxUndeleted bounds rows published but not yet deleted (PUBACKed rows
	// wait for the next grouped Ack); only their seqs are held.
	maxUndeleted = 8192
	// Delivered rows are deleted in groups of ackBatch rows, or whatever
	// arrived within ackLinger of the first: every outbox Ack is one fsync'd
	// commit, whose cost is mostly per commit, not per row.
	ackBatch  = 2048
	ackLinger = 20 * time.Millisecond
)

// flight is one publish awaiting its PUBACK.
type flight struct {
	id     string
	stream outbox.Stream
	seq    uint64
	tok    paho.Token
	buf    *[]byte // the payload, recycled once the broker acknowledged it
	at     time.Time
}

// payloads recycles envelope buffers. A buffer goes back only after its
// PUBACK: paho no longer touches a packet it has seen acknowledged.
var payloads = sync.Pool{New: func() any { return new([]byte) }}

// sender drains the outbox over one connection. Rows are published in Seq
// order per stream with at most cfg.InFlight awaiting a PUBACK; a waiter
// goroutine takes the tokens in publish order and hands the delivered rows
// to the book, which deletes them in groups. The first error of any kind
// fails the whole connection: nothing more counts as delivered, the rows
// stay, and the next connection rescans every stream from its head.
type sender struct {
	c       *Client
	cn      *conn
	topics  map[outbox.Stream]string
	slots   chan struct{} // the in-flight window
	room    chan struct{} // published but not yet deleted
	flights chan flight
	book    *book

	failed   chan struct{}
	failOnce sync.Once
	err      error

	// careful counts the publishes still to send one at a time (each waits
	// for its PUBACK first) after a connection failed: if the broker drops
	// the connection now, the one event in flight is the cause.
	careful int
}

func (s *sender) fail(err error) {
	s.failOnce.Do(func() {
		s.err = err
		close(s.failed)
	})
}

// send drains the outbox until ctx ends (nil) or the connection fails.
func (c *Client) send(ctx context.Context, cn *conn) error {
	w := c.cfg.InFlight
	s := &sender{
		c:       c,
		cn:      cn,
		topics:  map[outbox.Stream]string{},
		slots:   make(chan struct{}, w),
		room:    make(chan struct{}, max(maxUndeleted, 2*w)),
		flights: make(chan flight, w),
		failed:  make(chan struct{}),
	}
	for _, st := range sendOrder {
		s.topics[st] = c.Topic(streamTopic(st))
	}
	if c.poison.isCareful() {
		s.careful = carefulPublishes
	}
	s.book = newBook(c.q, c.log, c.now, s.room, s.fail, &c.delivered)
	s.book.receipts = c.rcpt != nil
	bookDone := make(chan struct{})
	go func() { defer close(bookDone); s.book.run() }()
	abort := make(chan struct{})
	waitDone := make(chan struct{})
	go func() { defer close(waitDone); s.wait(abort) }()

	err := s.loop(ctx)
	close(s.flights)
	if err == nil {
		// Shutting down: give what is in flight a moment to be acknowledged
		// so it is not sent again after the restart.
		t := time.NewTimer(shutdownGrace)
		select {
		case <-waitDone:
		case <-t.C:
		}
		t.Stop()
	}
	close(abort)
	<-waitDone
	s.book.close()
	<-bookDone
	if err == nil {
		select {
		case <-s.failed:
			err = s.err
		default:
		}
	}
	return err
}

type streamState struct {
	after uint64 // last Seq published on this connection
	// page is the last read, whose storage (Data buffers) the next read
	// reuses; buf is the part of it not yet sent. A row is done with once
	// its envelope is built (nothing keeps a row or its Data).
	page []outbox.Row
	buf  []outbox.Row
	idle bool // last Peek found nothing; wait for Ready or the poll
}

func (s *sender) loop(ctx context.Context) error {
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	st := make([]streamState, len(sendOrder))
	wake := func() {
		for i := range st {
			st[i].idle = false
		}
	}
	rb := s.c.rcpt
	var rcptChanged <-chan struct{}
	var overdueTick <-chan time.Time
	if rb != nil {
		defer rb.saveLatency(s.c.db, s.c.log, s.c.now(), true)
		rcptChanged = rb.changed
		t := time.NewTicker(max(rb.floor/4, 100*time.Millisecond))
		defer t.Stop()
		overdueTick = t.C
	}
	// rewind sends every stream again from its head: rows whose receipt is
	// late are published again, the others are skipped.
	rewind := func() {
		for i := range st {
			st[i] = streamState{}
		}
	}
	for {
		select {
		case <-s.c.q.Ready():
			wake()
		default:
		}
		worked := false
		for i, stream := range sendOrder {
			ss := &st[i]
			if len(ss.buf) == 0 {
				if ss.idle {
					continue
				}
				rows, err := s.c.q.PeekInto(ss.page, stream, ss.after, peekBatch)
				if err != nil {
					return fmt.Errorf("peek %s: %w", stream, err)
				}
				if len(rows) == 0 {
					ss.idle = true
					ss.page = nil // an idle stream keeps no buffers
					continue
				}
				ss.page, ss.buf = rows, rows
			}
			for n := 0; n < quantum && len(ss.buf) > 0; n++ {
				r := &ss.buf[0]
				if rb != nil {
					send, full := rb.shouldSend(r, s.c.now())
					if full {
						break // wait for receipts (rcptChanged) or the overdue check
					}
					if !send {
						ss.after = r.Seq // awaiting its receipt
						ss.buf = ss.buf[1:]
						worked = true
						continue
					}
				}
				if err := s.publish(ctx, stream, r); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return err
				}
				ss.after = r.Seq
				ss.buf = ss.buf[1:]
				worked = true
			}
		}
		if worked {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.cn.lost:
			return s.cn.lostErr
		case <-s.failed:
			return s.err
		case <-s.c.q.Ready():
			wake()
		case <-poll.C:
			wake()
		case <-rcptChanged:
			wake()
		case <-overdueTick:
			rb.saveLatency(s.c.db, s.c.log, s.c.now(), false)
			if n, id, stream, timeout := rb.overdue(s.c.now()); n > 0 {
				rb.unconfirmed.Add(uint64(n))
				s.c.log.Warn("events not confirmed by the cloud in time; sending them again (the broker may have dropped them, e.g. its ACL denies the topic, while acknowledging the publish)",
					"events", n, "timeout", timeout, "stream", stream, "event_id", id)
				rewind()
			}
		}
	}
}

// publish takes a place in the window and publishes r. An event over the
// broker's size limit is moved to the dead letters instead.
func (s *sender) publish(ctx context.Context, stream outbox.Stream, r *outbox.Row) error {
	buf := payloads.Get().(*[]byte)
	*buf = appendEvent((*buf)[:0], s.c.source, r)
	if size := packetSize(s.topics[stream], len(*buf)); size > s.c.cfg.MaxMessageBytes {
		payloads.Put(buf)
		s.c.deadLetter(stream, r, fmt.Sprintf("the event is %d bytes as an MQTT message, over the broker's limit of %d bytes (cloud.max_message_bytes)", size, s.c.cfg.MaxMessageBytes))
		return nil
	}
	if err := s.acquire(ctx); err != nil {
		payloads.Put(buf)
		return err
	}
	if s.c.rcpt != nil {
		s.c.rcpt.sending(stream, r, s.c.now()) // before the publish: its receipt may come before the PUBACK
	}
	tok := s.cn.pc.Publish(s.topics[stream], 1, false, *buf)
	s.flights <- flight{id: r.ID, stream: stream, seq: r.Seq, tok: tok, buf: buf, at: time.Now()}
	if s.careful == 0 {
		return nil
	}
	s.careful--
	var cause error
	select {
	case <-tok.Done():
		cause = tok.Error()
		if cause == nil && s.cn.isLost() {
			cause = ErrStaleAck
		}
		if cause == nil {
			s.c.poison.delivered(r.ID, s.careful == 0)
			return nil
		}
	case <-s.cn.lost:
		cause = s.cn.lostErr
	case <-s.failed:
		return s.err // not the broker's answer to this event
	case <-ctx.Done():
		if !s.cn.isLost() {
			return ctx.Err()
		}
		cause = s.cn.lostErr
	}
	s.c.strike(stream, r, cause)
	return fmt.Errorf("publish %s seq %d: %w", stream, r.Seq, cause)
}

// acquire takes a place in the window.
func (s *sender) acquire(ctx context.Context) error {
	for _, sem := range [...]chan struct{}{s.room, s.slots} {
		select { // fast path: room in the window
		case sem <- struct{}{}:
			continue
		default:
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.cn.lost:
			return s.cn.lostErr
		case <-s.failed:
			return s.err
		}
	}
	select {
	case <-s.failed:
		return s.err
	default:
	}
	return nil
}

// wait takes the flights in publish order. A token counts as delivered
// only when it completed without error while its connection is still the
// current, live one: paho can complete tokens without a PUBACK around a
// reconnect, and those rows must be sent again.
func (s *sender) wait(abort <-chan struct{}) {
	stopped := false
	for f := range s.flights {
		ok := false
		if !stopped {
			if s.await(f.tok, abort) {
				switch err := f.tok.Error(); {
				case err != nil:
					s.fail(fmt.Errorf("publish %s seq %d: %w", f.stream, f.seq, err))
				case s.cn.isLost() || s.cn.gen != s.c.gen.Load():
					s.fail(ErrStaleAck)
				default:
					ok = true
				}
			}
			stopped = !ok
		}
		if ok {
			if s.c.rcpt != nil {
				s.c.rcpt.pubacked(f.id)
			}
			if s.c.onAck != nil {
				s.c.onAck(f.stream, time.Since(f.at))
			}
			s.book.acked(f.stream, f.seq)
			payloads.Put(f.buf)
		} else {
			s.book.unacked(f.stream, f.seq)
		}
		<-s.slots
	}
}

// await waits for tok to complete; false when the connection was lost or
// the wait aborted first.
func (s *sender) await(tok paho.Token, abort <-chan struct{}) bool {
	done := tok.Done()
	select { // fast path: already complete
	case <-done:
		return true
	default:
	}
	select {
	case <-done:
		return true
	case <-s.cn.lost:
		s.fail(s.cn.lostErr)
	case <-abort:
	}
	return false
}

// book deletes delivered rows in groups (one outbox Ack per stream per
// round, while the sender keeps publishing) and, when the connection ends,
// records an attempt for the rows that were published but not delivered.
type book struct {
	q         Queue
	log       *slog.Logger
	now       func() time.Time
	room      chan struct{}
	fail      func(error)
	delivered *atomic.Uint64
	receipts  bool // rows wait for the cloud's receipt, not deleted on PUBACK

	mu     sync.Mutex
	acks   map[outbox.Stream][]uint64
	nacks  int
	tried  map[outbox.Stream][]uint64
	kick   chan struct{} // some rows were delivered
	full   chan struct{} // ackBatch rows were delivered
	done   chan struct{}
	linger time.Duration
}

func newBook(q Queue, log *slog.Logger, now func() time.Time, room chan struct{}, fail func(error), delivered *atomic.Uint64) *book {
	return &book{
		q: q, log: log, now: now, room: room, fail: fail, delivered: delivered,
		acks: map[outbox.Stream][]uint64{}, tried: map[outbox.Stream][]uint64{},
		kick: make(chan struct{}, 1), full: make(chan struct{}, 1), done: make(chan struct{}),
		linger: ackLinger,
	}
}

func (b *book) acked(st outbox.Stream, seq uint64) {
	if b.receipts {
		<-b.room // the row stays until its receipt (onReceipt deletes it)
		return
	}
	b.mu.Lock()
	b.acks[st] = append(b.acks[st], seq)
	b.nacks++
	full := b.nacks >= ackBatch
	b.mu.Unlock()
	signal(b.kick)
	if full {
		signal(b.full)
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (b *book) unacked(st outbox.Stream, seq uint64) {
	b.mu.Lock()
	b.tried[st] = append(b.tried[st], seq)
	b.mu.Unlock()
	<-b.room
}

// close flushes everything; call it after the last acked/unacked.
func (b *book) close() { close(b.done) }

func (b *book) run() {
	defer b.flushAttempts()
	defer b.flushAcks()
	linger := time.NewTimer(b.linger)
	linger.Stop()
	for {
		select {
		case <-b.kick:
		case <-b.done:
			return
		}
		linger.Reset(b.linger)
		select {
		case <-linger.C:
		case <-b.full:
			linger.Stop()
		case <-b.done:
			return
		}
		b.flushAcks()
	}
}

func (b *book) flushAcks() {
	b.mu.Lock()
	acks := b.acks
	b.acks = make(map[outbox.Stream][]uint64, len(acks))
	b.nacks = 0
	b.mu.Unlock()
	select { // a full signal for rows taken now is stale
	case <-b.full:
	default:
	}
	for _, st := range sendOrder {
		seqs := acks[st]
		if len(seqs) == 0 {
			continue
		}
		if err := b.q.Ack(st, seqs); err != nil {
			// The rows stay and are sent again on the next connection.
			b.log.Error("outbox ack failed", "stream", st, "rows", len(seqs), "err", err)
			b.fail(fmt.Errorf("ack %s: %w", st, err))
		} else {
			b.delivered.Add(uint64(len(seqs)))
		}
		for range seqs {
			<-b.room
		}
	}
}

func (b *book) flushAttempts() {
	b.mu.Lock()
	tried := b.tried
	b.tried = map[outbox.Stream][]uint64{}
	b.mu.Unlock()
	at := b.now()
	for _, st := range sendOrder {
		if seqs := tried[st]; len(seqs) > 0 {
			if err := b.q.MarkAttempt(st, seqs, at); err != nil {
				b.log.Warn("outbox mark attempt failed", "stream", st, "rows", len(seqs), "err", err)
			}
		}
	}
}
