package tcp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
)

func TestTCPBytesExact(t *testing.T) {
	p := printertest.Start(t)
	jobs := [][]byte{[]byte("\x1b@hello\n\x1dV\x00"), printertest.Payload(300 << 10)}
	for _, job := range jobs {
		c := printertest.Open(t, p.URL(), transport.Options{})
		// Write in uneven pieces, as an encoder does.
		for rest := job; len(rest) > 0; {
			n := min(len(rest), 1+len(rest)/3)
			if w, err := c.Write(rest[:n]); err != nil || w != n {
				t.Fatalf("Write = %d, %v; want %d", w, err, n)
			}
			rest = rest[n:]
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	got, err := p.WaitJobsInOrder(len(jobs), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i := range jobs {
		if !bytes.Equal(got[i], jobs[i]) {
			t.Errorf("job %d: got %d bytes, want %d (first difference at %d)", i, len(got[i]), len(jobs[i]), printertest.FirstDiff(got[i], jobs[i]))
		}
	}
}

func TestTCPStatus(t *testing.T) {
	p := printertest.Start(t)
	ctx := context.Background()
	for _, mode := range []printertest.Mode{printertest.Online, printertest.PaperOut, printertest.PaperNearEnd, printertest.CoverOpen} {
		p.SetMode(mode)
		c := printertest.Open(t, p.URL(), transport.Options{})
		for n := byte(1); n <= 4; n++ {
			got, err := transport.QueryStatus(ctx, c, n, 2*time.Second)
			if err != nil {
				t.Fatalf("%v: QueryStatus(%d): %v", mode, n, err)
			}
			if want := printertest.StatusByte(mode, n); got != want {
				t.Errorf("%v: QueryStatus(%d) = %#x, want %#x", mode, n, got, want)
			}
		}
		c.Close()
	}
	if got := p.StatusQueries(); got != 16 {
		t.Errorf("printer answered %d queries, want 16", got)
	}
	if jobs := p.Jobs(); len(jobs) != 0 {
		t.Errorf("status-only connections recorded as jobs: %q", jobs)
	}

	// A job with a status query after it: the answer proves the printer
	// has the job, and the job's bytes include the query.
	p.SetMode(printertest.Online)
	c := printertest.Open(t, p.URL(), transport.Options{})
	c.Write([]byte("receipt\n"))
	if b, err := transport.QueryStatus(ctx, c, 1, 2*time.Second); err != nil || b != 0x12 {
		t.Fatalf("QueryStatus after job = %#x, %v", b, err)
	}
	c.Close()
	jobs, err := p.WaitJobs(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := "receipt\n\x10\x04\x01"; string(jobs[0]) != want {
		t.Errorf("job = %q, want %q", jobs[0], want)
	}

	if _, err := transport.QueryStatus(ctx, c, 5, time.Second); err == nil || err.Error() != "query status: DLE EOT 5 is not supported (want 1 to 4)" {
		t.Errorf("QueryStatus(5) = %v", err)
	}
}

func TestTCPStatusNoAnswer(t *testing.T) {
	p := printertest.Start(t)
	p.SetDelay(500 * time.Millisecond) // answers too late
	c := printertest.Open(t, p.URL(), transport.Options{})
	_, err := transport.QueryStatus(context.Background(), c, 1, 50*time.Millisecond)
	if !errors.Is(err, transport.ErrNoStatus) {
		t.Fatalf("QueryStatus on a slow printer = %v, want ErrNoStatus", err)
	}
	if want := "query status DLE EOT 1: no answer within 50ms: no status from device"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	// The deadline is cleared afterwards: a plain Read waits again.
	c.(transport.Deadliner).SetReadDeadline(time.Now().Add(2 * time.Second))
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil || b[0] != 0x12 {
		t.Errorf("late answer = %#x, %v", b[0], err)
	}

	// A cancelled context ends the wait with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = transport.QueryStatus(ctx, c, 2, 5*time.Second)
	if !errors.Is(err, context.Canceled) || errors.Is(err, transport.ErrNoStatus) {
		t.Errorf("QueryStatus with cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestTCPOffline(t *testing.T) {
	p := printertest.Start(t)
	p.SetMode(printertest.Offline)
	_, err := transport.Open(context.Background(), p.URL(), transport.Options{})
	if !errors.Is(err, transport.ErrUnavailable) || !transport.Retryable(err) {
		t.Fatalf("Open offline printer = %v, want retryable ErrUnavailable", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Open offline printer = %v, want connection refused in the chain", err)
	}
	if want := "open tcp " + p.Addr() + ": device unavailable: connect: connection refused"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}

	p.SetMode(printertest.Online)
	c := printertest.Open(t, p.URL(), transport.Options{})
	c.Write([]byte("back online"))
	c.Close()
	if jobs, err := p.WaitJobs(1, 5*time.Second); err != nil || string(jobs[0]) != "back online" {
		t.Fatalf("jobs %q, %v", jobs, err)
	}
}

func TestTCPResetBeforeJobIsRetryable(t *testing.T) {
	p := printertest.Start(t)
	c := printertest.Open(t, p.URL(), transport.Options{})
	if _, err := transport.QueryStatus(context.Background(), c, 1, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	p.SetMode(printertest.Offline) // resets the connection
	c.(transport.Deadliner).SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	if !errors.Is(err, transport.ErrUnavailable) || !transport.Retryable(err) {
		t.Fatalf("Read after reset, no job bytes written = %v, want retryable ErrUnavailable", err)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("error %v does not carry ECONNRESET", err)
	}
}

func TestTCPDropMidJob(t *testing.T) {
	p := printertest.Start(t)
	p.DropAfter(100)
	c := printertest.Open(t, p.URL(), transport.Options{})
	job := printertest.Payload(64 << 10)
	if _, err := c.Write(job[:100]); err != nil {
		t.Fatal(err)
	}
	jobs, err := p.WaitJobs(1, 5*time.Second) // the printer has dropped us
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jobs[0], job[:100]) {
		t.Errorf("printer kept %d bytes, want the first 100", len(jobs[0]))
	}
	for i := 0; ; i++ {
		_, err = c.Write(job[100:])
		if err != nil || i == 100 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !errors.Is(err, transport.ErrInterrupted) || transport.Retryable(err) {
		t.Fatalf("Write after drop = %v, want ErrInterrupted, not retryable", err)
	}
	if !strings.HasPrefix(err.Error(), "write tcp "+p.Addr()+": connection interrupted: ") {
		t.Errorf("error = %q", err)
	}
}

func TestTCPSlow(t *testing.T) {
	p := printertest.Start(t)
	p.SetDelay(5 * time.Millisecond)
	c := printertest.Open(t, p.URL(), transport.Options{})
	job := printertest.Payload(20 * printertest.ReadSize)
	if _, err := c.Write(job); err != nil {
		t.Fatal(err)
	}
	// The answer comes after the job's bytes, which the printer reads
	// slowly; a timeout long enough for them gets it.
	if b, err := transport.QueryStatus(context.Background(), c, 4, 5*time.Second); err != nil || b != 0x12 {
		t.Fatalf("QueryStatus on slow printer = %#x, %v", b, err)
	}
	c.Close()
	jobs, err := p.WaitJobs(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(job, 0x10, 0x04, 0x04); !bytes.Equal(jobs[0], want) {
		t.Errorf("slow job: got %d bytes, want %d", len(jobs[0]), len(want))
	}
}

// TestTCPWriteStall uses a listener that accepts and never reads: once the
// socket buffers are full, Write fails after WriteTimeout.
func TestTCPWriteStall(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c := printertest.Open(t, "tcp://"+ln.Addr().String(), transport.Options{WriteTimeout: 200 * time.Millisecond})
	defer func() { (<-accepted).Close() }()
	chunk := make([]byte, 1<<20)
	total := 0
	for total < 256<<20 {
		var n int
		n, err = c.Write(chunk)
		total += n
		if err != nil {
			break
		}
	}
	if !errors.Is(err, transport.ErrInterrupted) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("stalled Write after %d bytes = %v, want ErrInterrupted and a deadline error", total, err)
	}
}

func TestTCPDialTimeout(t *testing.T) {
	// 192.0.2.0/24 is TEST-NET-1: never routed, so the dial hangs or is
	// refused by the network at once; either way Open fails retryably.
	start := time.Now()
	_, err := transport.Open(context.Background(), "tcp://192.0.2.1:9100", transport.Options{DialTimeout: 100 * time.Millisecond})
	if !transport.Retryable(err) {
		t.Fatalf("Open unroutable = %v, want retryable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %s despite a 100ms dial timeout", d)
	}
}

func TestTCPClosed(t *testing.T) {
	p := printertest.Start(t)
	c := printertest.Open(t, p.URL(), transport.Options{})
	c.Close()
	if _, err := c.Write([]byte("x")); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if err := c.Close(); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if _, err := transport.QueryStatus(context.Background(), c, 1, time.Second); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("QueryStatus after Close = %v, want ErrClosed", err)
	}
}
