package terminal

import (
	"fmt"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/config"
)

// sink is a printer that only counts bytes: each expect(n) returns when n
// more bytes have arrived, with the arrival time of the last one.
type sink struct {
	ln      net.Listener
	arrived chan time.Time
	want    chan int
}

func startSink(tb testing.TB) *sink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &sink{ln: ln, arrived: make(chan time.Time), want: make(chan int)}
	tb.Cleanup(func() { ln.Close() })
	bytesIn := make(chan int, 1024)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						bytesIn <- n
					}
					if err != nil {
						c.Close()
						return
					}
				}
			}()
		}
	}()
	go func() {
		for n := range s.want {
			for n > 0 {
				n -= <-bytesIn
			}
			s.arrived <- time.Now()
		}
	}()
	return s
}

func (s *sink) url() string { return "tcp://" + s.ln.Addr().String() }

// benchPassthrough sends b.N receipts over one till connection and reports
// the latency from the till's write to the printer's last byte, through
// aura-edge and (as the baseline) straight to the printer.
func benchPassthrough(b *testing.B, receipt []byte) {
	pr := startSink(b)
	f := &fixture{t: b, dir: b.TempDir()}
	f.start([]config.Terminal{{Name: "bench", IdleCut: time.Minute, Listen: "tcp://127.0.0.1:0"}}, pr.url())

	measure := func(c net.Conn, n int) []time.Duration {
		lat := make([]time.Duration, 0, n)
		for range n {
			pr.want <- len(receipt)
			start := time.Now()
			if _, err := c.Write(receipt); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, (<-pr.arrived).Sub(start))
		}
		return lat
	}
	direct, err := net.Dial("tcp", pr.ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	till := f.dial("bench")
	measure(till, 10) // warm up: opens the printer connection
	measure(direct, 10)

	b.SetBytes(int64(len(receipt)))
	b.ResetTimer()
	via := measure(till, b.N)
	b.StopTimer()
	base := measure(direct, b.N)
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
	_ = io.Discard
}

// BenchmarkPassthroughReceipt: a ~400-byte text receipt.
func BenchmarkPassthroughReceipt(b *testing.B) {
	benchPassthrough(b, testReceipt("42", 0))
}

// BenchmarkPassthroughLogo64K: a receipt with a 64 KiB raster logo
// (throughput in MB/s, latency per receipt).
func BenchmarkPassthroughLogo64K(b *testing.B) {
	r := testReceipt("42", 64<<10)
	if len(r) < 64<<10 {
		b.Fatal(fmt.Sprint("logo receipt is ", len(r), " bytes"))
	}
	benchPassthrough(b, r)
}

// BenchmarkCaptureRate: distinct receipts through one till connection,
// timed until every one is captured (parsed and committed to the outbox,
// fsync'd). Reports receipts/s.
func BenchmarkCaptureRate(b *testing.B) {
	pr := startSink(b)
	go func() {
		for range pr.arrived {
		}
	}()
	f := &fixture{t: b, dir: b.TempDir()}
	f.start([]config.Terminal{{Name: "bench", IdleCut: time.Minute, Listen: "tcp://127.0.0.1:0"}}, pr.url())
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
