package terminal

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sink is a printer that only counts bytes, in a separate process (as a
// real printer is: it must not compete with aura-edge for the Go runtime).
// Each expect(n) returns when n more bytes have arrived, with the arrival
// (wall clock) time of the last one.
type sink struct {
	addr string
	cmd  *exec.Cmd
	in   io.Writer
	out  *bufio.Scanner
}

// TestSinkProcess is the sink's process (run by startSink, skipped
// otherwise): it reads byte counts on stdin and answers each with the
// wall-clock time, in Unix nanoseconds, at which that many more bytes had
// arrived on its TCP port (or, with AURA_EDGE_TEST_SINK_TTY, on that
// serial line: a printer on the till's cable).
func TestSinkProcess(t *testing.T) {
	if os.Getenv("AURA_EDGE_TEST_SINK") != "1" {
		t.Skip("helper process for the passthrough benchmarks")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(ln.Addr().String())
	type arrival struct {
		n  int
		at time.Time
	}
	in := make(chan arrival, 4096)
	count := func(c io.ReadCloser) {
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 {
				in <- arrival{n, time.Now()}
			}
			if err != nil {
				c.Close()
				return
			}
		}
	}
	if tty := os.Getenv("AURA_EDGE_TEST_SINK_TTY"); tty != "" {
		f, err := os.Open(tty) // the sink is no session leader: no controlling terminal

		if err != nil {
			t.Fatal(err)
		}
		go count(f)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go count(c)
		}
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		want, _ := strconv.Atoi(sc.Text())
		var last time.Time
		for want > 0 {
			a := <-in
			want -= a.n
			last = a.at
		}
		fmt.Println(last.UnixNano())
	}
	os.Exit(0)
}

// startSink starts the printer stand-in; env adds to its environment
// (AURA_EDGE_TEST_SINK_TTY=/dev/... to read a serial line too).
func startSink(tb testing.TB, env ...string) *sink {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSinkProcess$")
	cmd.Env = append(append(os.Environ(), "AURA_EDGE_TEST_SINK=1"), env...)
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	s := &sink{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	if !s.out.Scan() {
		tb.Fatal("sink process did not start")
	}
	s.addr = strings.TrimSpace(s.out.Text())
	return s
}

func (s *sink) url() string { return "tcp://" + s.addr }

// expect tells the sink to wait for n bytes; done returns their arrival.
func (s *sink) expect(n int) { fmt.Fprintln(s.in, n) }

func (s *sink) done(tb testing.TB) time.Time {
	if !s.out.Scan() {
		tb.Fatal("sink process ended")
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(s.out.Text()), 10, 64)
	if err != nil {
		tb.Fatalf("sink said %q", s.out.Text())
	}
	return time.Unix(0, ns)
}

// benchPassthrough sends b.N receipts (mk(i)) over one till connection,
// rate per second (0: back to back), and reports the latency from the
// till's write to the printer's last byte, through aura-edge and (as the
// baseline) straight to the printer. The capture runs as in production:
// every receipt is parsed and committed while later ones pass through.
func benchPassthrough(b *testing.B, mk func(i int) []byte, rate int) {
	pr := startSink(b)
	f := &fixture{t: b, dir: b.TempDir()}
	f.start([]Config{{Name: "bench", IdleCut: time.Minute, Listen: "tcp://127.0.0.1:0"}}, pr.url())
	direct, err := net.Dial("tcp", pr.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	benchVia(b, pr, f, f.dial("bench"), direct, mk, rate)
}

// benchVia is benchPassthrough's measurement: till reaches the printer pr
// through aura-edge (f), direct reaches it without.
func benchVia(b *testing.B, pr *sink, f *fixture, till, direct io.Writer, mk func(i int) []byte, rate int) {
	receipts := make([][]byte, b.N)
	for i := range receipts {
		receipts[i] = mk(i)
	}
	send := func(c io.Writer, r []byte) time.Duration {
		pr.expect(len(r))
		start := time.Now()
		if _, err := c.Write(r); err != nil {
			b.Fatal(err)
		}
		return pr.done(b).Sub(start)
	}
	for i := -1; i >= -3; i-- { // warm up; opens the printer connection
		send(till, mk(i))
		send(direct, mk(i))
	}

	// Each receipt goes straight to the printer and, half a period
	// later, through aura-edge, so that both see the same machine load
	// and the same idle gap before them: a send right after the other
	// finds the processes and CPUs awake, and the first pays for waking
	// them (sent back to back, whichever went first was up to 1 ms slower
	// at p99). The gap also keeps aura-edge's capture of each receipt,
	// which runs after the receipt is passed on, off the baseline.
	b.SetBytes(int64(len(receipts[0])))
	via := make([]time.Duration, 0, b.N)
	base := make([]time.Duration, 0, b.N)
	next := time.Now()
	b.ResetTimer()
	for _, r := range receipts {
		if rate > 0 {
			period := time.Second / time.Duration(rate)
			time.Sleep(time.Until(next))
			b.StopTimer()
			base = append(base, send(direct, r))
			b.StartTimer()
			time.Sleep(time.Until(next.Add(period / 2)))
			next = next.Add(period)
		}
		via = append(via, send(till, r))
	}
	b.StopTimer()
	if rate == 0 {
		for _, r := range receipts {
			base = append(base, send(direct, r))
		}
	}
	via0, base0 := slices.Clone(via), slices.Clone(base)
	slices.Sort(via)
	slices.Sort(base)
	pct := func(d []time.Duration, p float64) float64 {
		return float64(d[min(len(d)-1, int(float64(len(d))*p))].Microseconds())
	}
	b.ReportMetric(pct(via, 0.50), "p50-µs")
	b.ReportMetric(pct(via, 0.99), "p99-µs")
	b.ReportMetric(pct(base, 0.50), "direct-p50-µs")
	b.ReportMetric(pct(base, 0.99), "direct-p99-µs")
	b.ReportMetric(pct(via, 0.99)-pct(base, 0.99), "added-p99-µs")
	if rate > 0 {
		// The same receipt's two paths, a moment apart: the p99 of the
		// differences (the line above is the difference of the p99s).
		added := make([]time.Duration, len(via0))
		for i := range via0 {
			added[i] = via0[i] - base0[i]
		}
		slices.Sort(added)
		b.ReportMetric(pct(added, 0.99), "added-each-p99-µs")
	}
	if f == nil {
		return
	}
	if st := f.m.Status()[0]; st.CopyDropped > 0 {
		b.ReportMetric(float64(st.CopyDropped), "copy-dropped-B")
	}
}

// bareRelay passes what it reads from r to the printer pr at once, one
// write per read, in this process: the least any passthrough can add (one
// more hop, one more process to wake), the limit beside which aura-edge's
// figures are read.
func bareRelay(b *testing.B, r io.Reader, pr *sink) {
	pc, err := net.Dial("tcp", pr.addr)
	if err != nil {
		b.Fatal(err)
	}
	_ = pc.(*net.TCPConn).SetNoDelay(true)
	b.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, readBufferSize)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if _, err := pc.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
}

// BenchmarkPassthroughBareReceipt is BenchmarkPassthroughReceipt through
// a bare relay (bareRelay) instead of aura-edge: what one more hop costs
// on this machine.
func BenchmarkPassthroughBareReceipt(b *testing.B) {
	pr := startSink(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	till, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer till.Close()
	_ = till.(*net.TCPConn).SetNoDelay(true)
	in, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	bareRelay(b, in, pr)
	direct, err := net.Dial("tcp", pr.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	benchVia(b, pr, nil, till, direct, func(i int) []byte { return testReceipt(fmt.Sprint(100000+i), 0) }, 50)
}

func logoReceipt(i int) []byte { return testReceipt(fmt.Sprint(200000+i), 64<<10) }

// BenchmarkPassthroughReceipt: distinct ~220-byte text receipts at 50 a
// second, each captured.
func BenchmarkPassthroughReceipt(b *testing.B) {
	benchPassthrough(b, func(i int) []byte { return testReceipt(fmt.Sprint(100000+i), 0) }, 50)
}

// BenchmarkPassthroughReceiptPerJob is BenchmarkPassthroughReceipt for a
// till that connects for every receipt, as a till printing to port 9100
// usually does: each receipt is a new till connection and so a new
// segment, which opens its own connection to the printer. The direct till
// connects to the printer for every receipt too; both are timed from the
// till's connect to the printer's last byte.
func BenchmarkPassthroughReceiptPerJob(b *testing.B) {
	pr := startSink(b)
	f := &fixture{t: b, dir: b.TempDir()}
	f.start([]Config{{Name: "bench", IdleCut: time.Minute, Listen: "tcp://127.0.0.1:0"}}, pr.url())
	benchVia(b, pr, f, jobWriter(f.m.Addr("bench").String()), jobWriter(pr.addr),
		func(i int) []byte { return testReceipt(fmt.Sprint(400000+i), 0) }, 50)
}

// jobWriter sends each Write over a new TCP connection, closed after it:
// one print job per connection.
type jobWriter string

func (a jobWriter) Write(p []byte) (int, error) {
	c, err := net.Dial("tcp", string(a))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.(*net.TCPConn).SetNoDelay(true)
	return c.Write(p)
}

// BenchmarkPassthroughLogo64K: distinct receipts with a 64 KiB raster logo
// at 50 a second, each captured: latency per receipt.
func BenchmarkPassthroughLogo64K(b *testing.B) {
	benchPassthrough(b, logoReceipt, 50)
}

// BenchmarkPassthroughThroughput64K: 64 KiB logo receipts back to back
// (MB/s); the capture keeps up or drops copies, the print never waits.
func BenchmarkPassthroughThroughput64K(b *testing.B) {
	benchPassthrough(b, logoReceipt, 0)
}

// BenchmarkCaptureRate: distinct receipts through one till connection,
// timed until every one is captured (parsed and committed to the outbox,
// fsync'd). Reports receipts/s.
func BenchmarkCaptureRate(b *testing.B) {
	pr := startSink(b) // never asked: it only reads
	f := &fixture{t: b, dir: b.TempDir()}
	f.start([]Config{{Name: "bench", IdleCut: time.Minute, Listen: "tcp://127.0.0.1:0"}}, pr.url())
	till := f.dial("bench")
	receipts := make([][]byte, b.N)
	for i := range receipts {
		receipts[i] = testReceipt(fmt.Sprint(100000+i), 0)
	}
	b.ResetTimer()
	start := time.Now()
	for _, r := range receipts {
		if _, err := till.Write(r); err != nil {
			b.Fatal(err)
		}
	}
	waitFor(b, "every capture", 5*time.Minute, func() bool {
		st := f.m.Status()[0]
		return st.Receipts+st.Duplicates >= uint64(b.N)
	})
	el := time.Since(start)
	b.StopTimer()
	st := f.m.Status()[0]
	if st.CopyDropped > 0 {
		b.Fatalf("%d bytes not captured: the capture fell behind", st.CopyDropped)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "receipts/s")
}
