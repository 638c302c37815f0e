package spool

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// BenchmarkOrderToPrinter measures "order captured to last byte at a TCP
// printer": at 50 orders per second an order is captured as the local API
// captures it (ingest.Capture: validation, the fsync'd commit with its
// durable auto-print marker, then the auto-print hook), and each latency
// runs from the capture call to the moment the stand-in printer has the
// whole job (its connection ended, after the confirming status reply). It
// reports p50, p99 and max in milliseconds; ns/op is only the pacing. Run
// it with a fixed count, e.g. -benchtime 500x (10 s).
func BenchmarkOrderToPrinter(b *testing.B) { benchOrderToPrinter(b, false) }

// BenchmarkOrderToPrinterQueued is BenchmarkOrderToPrinter with every job
// committed queued, then marked printing, before its bytes leave
// (Options.NoDirect): the path before direct auto-prints, in the same run.
func BenchmarkOrderToPrinterQueued(b *testing.B) { benchOrderToPrinter(b, true) }

func benchOrderToPrinter(b *testing.B, noDirect bool) {
	f, pr := benchSpool(b, noDirect)
	ob, err := outbox.Open(f.db, outbox.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	in := ingest.New(f.db, ob, slog.New(slog.DiscardHandler))
	in.OnOrder, in.DurableOnOrder = f.s.OnOrder, f.s.AutoPrints()
	defer in.Wait()
	benchToPrinter(b, pr, func(o *model.Order) {
		o.ID = "" // assigned by the capture, as for a POST /v1/orders
		if _, err := in.Capture(context.Background(), []model.Order{*o}, nil); err != nil {
			b.Error(err)
		}
	})
}

// BenchmarkHookToPrinter is BenchmarkOrderToPrinter from the auto-print
// hook (spool.OnOrder, as ingest calls it after its commit): the spool's
// share of the latency.
func BenchmarkHookToPrinter(b *testing.B) {
	f, pr := benchSpool(b, false)
	benchToPrinter(b, pr, func(o *model.Order) { f.s.OnOrder(*o) })
}

func benchSpool(b *testing.B, noDirect bool) (*fixture, *printertest.Printer) {
	pr := printertest.Start(b)
	opts := testOptions()
	opts.NoDirect = noDirect
	opts.Logger = slog.New(slog.DiscardHandler)
	f := newFixture(b, []Printer{{Name: "front", Connection: pr.URL(), Profile: "TM-T20III", AutoPrint: "customer"}}, opts)
	f.run()
	return f, pr
}

// benchToPrinter sends b.N orders at 50/s through send and reports the
// latency from send to the last byte at the printer.
func benchToPrinter(b *testing.B, pr *printertest.Printer, send func(*model.Order)) {
	const rate = 50
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
		send(o)
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
