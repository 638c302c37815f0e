package spool

import (
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/config"
)

// BenchmarkOrderToPrinter measures "order captured to last byte at a TCP
// printer": orders arrive through the auto-print hook (OnOrder, as ingest
// calls it after its commit) at 50 per second, and each latency runs from
// the hook call to the moment the stand-in printer has the whole job (its
// connection ended, after the confirming status reply). It reports p50,
// p99 and max in milliseconds; ns/op is only the pacing. Run it with a
// fixed count, e.g. -benchtime 500x (10 s).
func BenchmarkOrderToPrinter(b *testing.B) {
	const rate = 50
	pr := printertest.Start(b)
	opts := testOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	f := newFixture(b, []config.Printer{{Name: "front", Connection: pr.URL(), Profile: "TM-T20III", AutoPrint: "customer"}}, opts)
	f.run()

	n := b.N
	arrived := make([]time.Time, 0, n)
	done := make(chan error, 1)
	go func() {
		for k := 1; k <= n; k++ {
			if _, err := pr.WaitJobs(k, 30*time.Second); err != nil {
				done <- err
				return
			}
			arrived = append(arrived, time.Now())
		}
		done <- nil
	}()
	sent := make([]time.Time, n)
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	b.ResetTimer()
	for i := range n {
		<-tick.C
		o := testOrder(fmt.Sprintf("ord_bench_%d", i))
		sent[i] = time.Now()
		f.s.OnOrder(*o)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	lat := make([]float64, n)
	for i := range n {
		lat[i] = float64(arrived[i].Sub(sent[i])) / float64(time.Millisecond)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return lat[min(n-1, int(p*float64(n)))] }
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(lat[n-1], "max_ms")
}
