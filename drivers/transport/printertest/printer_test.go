package printertest_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
)

func dial(t *testing.T, p *printertest.Printer) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readByte(t *testing.T, c net.Conn) byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatalf("read status: %v", err)
	}
	return b[0]
}

func TestJobsAreConnections(t *testing.T) {
	p := printertest.Start(t)
	want := [][]byte{[]byte("first job\n"), {0x1b, 0x40, 0x00, 0xff, 0x10}}
	for i, job := range want {
		c := dial(t, p)
		if _, err := c.Write(job); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if _, err := p.WaitJobs(i+1, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// A probe that sends nothing and a status-only poll are not jobs.
	dial(t, p).Close()
	c := dial(t, p)
	c.Write([]byte{0x10, 0x04, 0x01})
	readByte(t, c)
	c.Close()

	got := p.Jobs()
	if len(got) != len(want) {
		t.Fatalf("got %d jobs, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("job %d = % x, want % x", i, got[i], want[i])
		}
	}
}

func TestStatusAnswers(t *testing.T) {
	tests := []struct {
		mode printertest.Mode
		want [4]byte // answers to n = 1, 2, 3, 4
	}{
		{printertest.Online, [4]byte{0x12, 0x12, 0x12, 0x12}},
		{printertest.PaperOut, [4]byte{0x1a, 0x32, 0x12, 0x72}},
		{printertest.PaperNearEnd, [4]byte{0x12, 0x12, 0x12, 0x1e}},
		{printertest.CoverOpen, [4]byte{0x1a, 0x16, 0x12, 0x12}},
	}
	p := printertest.Start(t)
	c := dial(t, p)
	queries := 0
	for _, tt := range tests {
		p.SetMode(tt.mode)
		for i, want := range tt.want {
			n := byte(i + 1)
			if got := printertest.StatusByte(tt.mode, n); got != want {
				t.Errorf("StatusByte(%v, %d) = %#x, want %#x", tt.mode, n, got, want)
			}
			// Split the query across writes: the printer parses a stream.
			c.Write([]byte{0x10})
			time.Sleep(time.Millisecond)
			c.Write([]byte{0x04, n})
			queries++
			if got := readByte(t, c); got != want {
				t.Errorf("%v: DLE EOT %d answered %#x, want %#x", tt.mode, n, got, want)
			}
		}
	}
	if got := p.StatusQueries(); got != queries {
		t.Errorf("StatusQueries = %d, want %d", got, queries)
	}
	for n := range byte(255) {
		b := printertest.StatusByte(printertest.Online, n)
		if (n >= 1 && n <= 4) != (b != 0) {
			t.Errorf("StatusByte(Online, %d) = %#x", n, b)
		}
	}
}

func TestOfflineRefusesAndResets(t *testing.T) {
	p := printertest.Start(t)
	open := dial(t, p)
	open.Write([]byte("partial"))
	time.Sleep(10 * time.Millisecond) // let the printer read it

	p.SetMode(printertest.Offline)
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		c.Close()
		t.Fatal("dial succeeded while offline")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial while offline: %v, want connection refused", err)
	}
	open.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := open.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("open connection after offline: %v, want reset", err)
	}
	jobs, err := p.WaitJobs(1, 5*time.Second)
	if err != nil || string(jobs[0]) != "partial" {
		t.Fatalf("jobs %q, %v", jobs, err)
	}

	p.SetMode(printertest.Online)
	c := dial(t, p)
	c.Write([]byte("after"))
	c.Close()
	if jobs, err := p.WaitJobs(2, 5*time.Second); err != nil || string(jobs[1]) != "after" {
		t.Fatalf("jobs %q, %v", jobs, err)
	}
}

func TestDropAfter(t *testing.T) {
	p := printertest.Start(t)
	p.DropAfter(10)
	c := dial(t, p)
	c.Write([]byte("0123456789abcdef"))
	jobs, err := p.WaitJobs(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(jobs[0]) != "0123456789" {
		t.Errorf("job = %q, want the first 10 bytes", jobs[0])
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read after drop: %v, want reset", err)
	}
}

func TestSlowAndWaitTimeout(t *testing.T) {
	p := printertest.Start(t)
	p.SetDelay(20 * time.Millisecond)
	c := dial(t, p)
	payload := bytes.Repeat([]byte("slow "), 3*printertest.ReadSize/5)
	c.Write(payload)
	c.Close()
	if _, err := p.WaitJobs(1, 10*time.Millisecond); err == nil {
		t.Error("WaitJobs did not time out on a slow printer")
	}
	jobs, err := p.WaitJobs(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jobs[0], payload) {
		t.Errorf("slow job: got %d bytes, want %d", len(jobs[0]), len(payload))
	}
}

// TestWaitJobsInOrder: two connections accepted first and second but
// ended second and first are listed by Jobs in the order they ended and
// by WaitJobsInOrder in the order they were accepted; WaitJobsInOrder(1)
// waits for the first accepted connection to end even though a later one
// already holds a job.
func TestWaitJobsInOrder(t *testing.T) {
	p := printertest.Start(t)
	first := dial(t, p)
	if _, err := first.Write([]byte("first")); err != nil {
		t.Fatal(err)
	}
	// The printer must have accepted first before second is dialled; a
	// status answer on first proves it.
	if _, err := first.Write([]byte{0x10, 0x04, 1}); err != nil {
		t.Fatal(err)
	}
	readByte(t, first)
	second := dial(t, p)
	second.Write([]byte("second"))
	second.Close()
	if jobs, err := p.WaitJobs(1, 5*time.Second); err != nil || string(jobs[0]) != "second" {
		t.Fatalf("WaitJobs: %q, %v", jobs, err)
	}
	if jobs, err := p.WaitJobsInOrder(1, 50*time.Millisecond); err == nil {
		t.Fatalf("WaitJobsInOrder(1) returned %q while the first connection is open", jobs)
	}
	first.Close()
	jobs, err := p.WaitJobsInOrder(1, 5*time.Second)
	if err != nil || len(jobs) != 2 || string(jobs[0]) != "first\x10\x04\x01" || string(jobs[1]) != "second" {
		t.Fatalf("WaitJobsInOrder: %q, %v", jobs, err)
	}
	if jobs := p.Jobs(); len(jobs) != 2 || string(jobs[0]) != "second" {
		t.Fatalf("Jobs: %q", jobs)
	}
}
