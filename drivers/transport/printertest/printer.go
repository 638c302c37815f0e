package printertest

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// Mode is what the printer reports in its status answers.
type Mode int

// Modes. Only Offline changes how the printer takes connections; the others
// change status answers and nothing else (the printer goes on recording,
// as a real printer fills its buffer).
const (
	// Online: ready, no error, paper present.
	Online Mode = iota
	// Offline: switched off. The listener is closed, so new connections
	// are refused, and open connections are reset. Switching to any other
	// mode listens again on the same address.
	Offline
	// PaperOut: the paper roll is empty; the printer is offline in status.
	PaperOut
	// PaperNearEnd: the roll is nearly empty; the printer still prints.
	PaperNearEnd
	// CoverOpen: the cover is open; the printer is offline in status.
	CoverOpen
	// Hung: the firmware has stopped. The network card still accepts
	// connections and takes bytes (they are recorded as jobs, as a real
	// printer's buffer fills) but nothing reaches paper and no status
	// query is answered.
	Hung
)

func (m Mode) String() string {
	switch m {
	case Online:
		return "online"
	case Offline:
		return "offline"
	case PaperOut:
		return "paper-out"
	case PaperNearEnd:
		return "paper-near-end"
	case CoverOpen:
		return "cover-open"
	case Hung:
		return "hung"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Status bits of the DLE EOT answers (Epson ESC/POS). Every answer has the
// fixed bits 1 and 4 set and bits 0 and 7 clear.
const (
	fixed = 0x12

	s1Offline   = 0x08 // n=1 bit 3: offline
	s2CoverOpen = 0x04 // n=2 bit 2: cover is open
	s2PaperEnd  = 0x20 // n=2 bit 5: printing stopped by paper end
	s4NearEnd   = 0x0C // n=4 bits 2-3: paper roll near end
	s4PaperEnd  = 0x60 // n=4 bits 5-6: paper roll end
)

// StatusByte returns the printer's answer to DLE EOT n in mode m, following
// the Epson ESC/POS specification:
//
//	n=1 printer status:   bit 3 offline (PaperOut, CoverOpen)
//	n=2 offline cause:    bit 2 cover open, bit 5 paper end stop
//	n=3 error cause:      no error bits in any mode
//	n=4 paper roll sensor: bits 2-3 near end, bits 5-6 paper end
//
// Online answers 0x12 to every n. PaperOut answers 0x1A, 0x32, 0x12, 0x72;
// CoverOpen 0x1A, 0x16, 0x12, 0x12; PaperNearEnd 0x12, 0x12, 0x12, 0x1E.
// It returns 0 for other n (the printer does not answer them) and for
// Offline and Hung (a printer that is off or hung answers nothing).
func StatusByte(m Mode, n byte) byte {
	if m == Offline || m == Hung || n < 1 || n > 4 {
		return 0
	}
	b := byte(fixed)
	switch n {
	case 1:
		if m == PaperOut || m == CoverOpen {
			b |= s1Offline
		}
	case 2:
		switch m {
		case PaperOut:
			b |= s2PaperEnd
		case CoverOpen:
			b |= s2CoverOpen
		}
	case 4:
		switch m {
		case PaperOut:
			b |= s4PaperEnd
		case PaperNearEnd:
			b |= s4NearEnd
		}
	}
	return b
}

// ReadSize is how many bytes the printer reads at a time; with SetDelay it
// sets the printer's speed (ReadSize bytes per delay).
const ReadSize = 1024

// Printer is a stand-in network printer. Its methods are safe for
// concurrent use.
type Printer struct {
	t    testing.TB
	addr string
	done chan struct{} // closed by Close

	mu        sync.Mutex
	ln        net.Listener // nil while Offline or closed
	mode      Mode
	delay     time.Duration
	dropAfter int
	conns     map[*net.TCPConn]uint64 // open connections and their accept numbers
	accepted  uint64                  // connections accepted so far
	jobs      [][]byte                // in the order their connections ended
	jobSeqs   []uint64                // accept number of each job's connection
	queries   int
	pin3High  bool          // drawer kick-out connector pin 3 (DLE EOT 1 bit 2)
	changed   chan struct{} // closed and replaced when a connection ends
	closed    bool

	wg sync.WaitGroup
}

// Start starts a printer on 127.0.0.1 (a free port), Online, and registers
// its Close with t.Cleanup. It fails the test if it cannot listen.
func Start(t testing.TB) *Printer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("printertest: listen: %v", err)
	}
	p := &Printer{
		t:       t,
		addr:    ln.Addr().String(),
		done:    make(chan struct{}),
		ln:      ln,
		conns:   make(map[*net.TCPConn]uint64),
		changed: make(chan struct{}),
	}
	p.wg.Add(1)
	go p.accept(ln)
	t.Cleanup(p.Close)
	return p
}

// Addr returns the printer's address, "127.0.0.1:port". It stays the same
// across Offline and back.
func (p *Printer) Addr() string { return p.addr }

// URL returns the printer's connection URL, "tcp://127.0.0.1:port".
func (p *Printer) URL() string { return "tcp://" + p.addr }

// Mode returns the current mode.
func (p *Printer) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// SetMode switches the printer to m. Going Offline closes the listener and
// resets every open connection (their jobs are recorded as received so
// far); leaving Offline listens again on the same address.
func (p *Printer) SetMode(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	old := p.mode
	p.mode = m
	switch {
	case m == Offline && old != Offline:
		p.ln.Close()
		p.ln = nil
		for c := range p.conns {
			reset(c)
		}
	case m != Offline && old == Offline:
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.mode = Offline
			p.t.Errorf("printertest: listen again on %s: %v", p.addr, err)
			return
		}
		p.ln = ln
		p.wg.Add(1)
		go p.accept(ln)
	}
}

// SetDrawerPin3 sets the level of the cash drawer connector's pin 3, which
// DLE EOT 1 reports in bit 2 (with Epson's default wiring, low means the
// drawer is open). It starts low.
func (p *Printer) SetDrawerPin3(high bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pin3High = high
}

// SetDelay makes the printer slow: it pauses d before each read of up to
// ReadSize bytes (so status answers come late too). Zero restores full
// speed. It applies to open connections at their next read.
func (p *Printer) SetDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// DropAfter makes the printer reset every connection once it has received
// n bytes (counting status queries); the job keeps exactly those n bytes
// and later bytes are lost. It applies to open connections too. Zero turns
// it off.
func (p *Printer) DropAfter(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropAfter = max(n, 0)
}

// Jobs returns copies of the jobs recorded so far, in the order their
// connections ended. A job is a connection that carried at least one byte
// besides DLE EOT n status queries; its bytes are exactly those received,
// queries included. Connections that sent nothing or only queries are not
// jobs.
func (p *Printer) Jobs() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.copyJobs()
}

func (p *Printer) copyJobs() [][]byte {
	out := make([][]byte, len(p.jobs))
	for i, j := range p.jobs {
		out[i] = append([]byte(nil), j...)
	}
	return out
}

// WaitJobs waits until at least n jobs are recorded and returns them (as
// Jobs does). After timeout it returns the jobs so far and an error.
func (p *Printer) WaitJobs(n int, timeout time.Duration) ([][]byte, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		if len(p.jobs) >= n {
			jobs := p.copyJobs()
			p.mu.Unlock()
			return jobs, nil
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			jobs := p.Jobs()
			return jobs, fmt.Errorf("printertest: %d of %d jobs after %s", len(jobs), n, timeout)
		case <-p.done:
			jobs := p.Jobs()
			return jobs, fmt.Errorf("printertest: closed with %d of %d jobs", len(jobs), n)
		}
	}
}

// WaitJobsInOrder waits until the first n jobs in the order their
// connections were accepted are recorded, and returns every job recorded
// so far in that order. A client that prints one job after another
// (closing each connection before it opens the next) sent them in this
// order, whereas Jobs and WaitJobs list jobs in the order the printer saw
// their connections end, which for back-to-back jobs depends on how its
// goroutines were scheduled. The first n are final: every connection
// accepted before the n-th job's has ended. After timeout it returns the
// jobs so far (in accept order) and an error.
func (p *Printer) WaitJobsInOrder(n int, timeout time.Duration) ([][]byte, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		jobs, ready := p.jobsInOrder(n)
		changed := p.changed
		p.mu.Unlock()
		if ready {
			return jobs, nil
		}
		select {
		case <-changed:
		case <-timer.C:
			p.mu.Lock()
			jobs, _ := p.jobsInOrder(n)
			p.mu.Unlock()
			return jobs, fmt.Errorf("printertest: %d of %d jobs in accept order after %s", len(jobs), n, timeout)
		case <-p.done:
			p.mu.Lock()
			jobs, _ := p.jobsInOrder(n)
			p.mu.Unlock()
			return jobs, fmt.Errorf("printertest: closed with %d of %d jobs", len(jobs), n)
		}
	}
}

// jobsInOrder returns copies of the jobs sorted by accept number, and
// whether the first n of them are final (no connection accepted before
// the n-th is still open). p.mu must be held.
func (p *Printer) jobsInOrder(n int) ([][]byte, bool) {
	idx := make([]int, len(p.jobs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(p.jobSeqs[a], p.jobSeqs[b]) })
	out := make([][]byte, len(idx))
	for i, k := range idx {
		out[i] = append([]byte(nil), p.jobs[k]...)
	}
	if len(idx) < n {
		return out, false
	}
	if n <= 0 {
		return out, true
	}
	last := p.jobSeqs[idx[n-1]]
	for _, seq := range p.conns {
		if seq < last {
			return out, false
		}
	}
	return out, true
}

// StatusQueries returns how many DLE EOT queries the printer has answered.
func (p *Printer) StatusQueries() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queries
}

// Close stops the printer: it closes the listener, resets open connections
// and waits for its goroutines. Start registers it with t.Cleanup; calling
// it again does nothing.
func (p *Printer) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.done)
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		reset(c)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// reset closes c with an RST, as a printer that loses power or drops a
// connection does, so that the peer's next write fails at once.
func reset(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}

func (p *Printer) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.t.Errorf("printertest: accept: %v", err)
			}
			return
		}
		c := nc.(*net.TCPConn)
		p.mu.Lock()
		if p.closed || p.ln != ln {
			p.mu.Unlock()
			reset(c)
			continue
		}
		p.accepted++
		seq := p.accepted
		p.conns[c] = seq
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(c, seq)
	}
}

func (p *Printer) settings() (delay time.Duration, dropAfter int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.delay, p.dropAfter
}

// serve reads one connection (one job) until it ends.
func (p *Printer) serve(c *net.TCPConn, seq uint64) {
	defer p.wg.Done()
	var (
		data    []byte
		queries int
		parser  queryParser
		buf     = make([]byte, ReadSize)
	)
	defer func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.conns, c)
		if len(data) > 3*queries {
			p.jobs = append(p.jobs, data)
			p.jobSeqs = append(p.jobSeqs, seq)
		}
		// Wake waiters on every end, not only on jobs: WaitJobsInOrder
		// also waits for earlier connections (jobs or not) to end.
		close(p.changed)
		p.changed = make(chan struct{})
	}()
	for {
		delay, dropAfter := p.settings()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-p.done:
				reset(c)
				return
			}
		}
		n, err := c.Read(buf)
		chunk := buf[:n]
		drop := false
		if dropAfter > 0 && len(data)+len(chunk) >= dropAfter {
			chunk = chunk[:max(0, dropAfter-len(data))]
			drop = true
		}
		data = append(data, chunk...)
		for _, b := range chunk {
			q, ok := parser.feed(b)
			if !ok {
				continue
			}
			queries++
			p.mu.Lock()
			p.queries++
			answer := StatusByte(p.mode, q)
			if q == 1 && answer != 0 && p.pin3High {
				answer |= 0x04
			}
			p.mu.Unlock()
			if answer == 0 {
				continue
			}
			if _, werr := c.Write([]byte{answer}); werr != nil {
				err = werr
			}
		}
		if drop {
			reset(c)
			return
		}
		if err != nil {
			c.Close()
			return
		}
	}
}

// queryParser finds DLE EOT n (n = 1 to 4) in a byte stream split across
// reads.
type queryParser struct{ state int }

// feed takes the next byte and returns n when it completes a query.
func (q *queryParser) feed(b byte) (byte, bool) {
	switch q.state {
	case 1: // after DLE
		if b == 0x04 {
			q.state = 2
			return 0, false
		}
	case 2: // after DLE EOT
		q.state = 0
		if b >= 1 && b <= 4 {
			return b, true
		}
	}
	q.state = 0
	if b == 0x10 {
		q.state = 1
	}
	return 0, false
}
