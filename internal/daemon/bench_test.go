package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// BenchmarkStartReady1M measures the time from start to ready (store,
// key, outbox, API listening) with 1,000,000 order events buffered, and
// beside it, in the same run, the same start with an empty outbox. The
// fixtures (the 1M one about 11 s to build, ~300 MB) are written once with
// large transactions, then started and stopped once by the daemon (so, as
// at any restart, the credential key and the provisioning key exist: a
// first start creates and fsyncs both), and copied for each iteration;
// each copy is written and fsync'd (files and directory) before the clock
// starts, so the timing does not include the kernel writing back the
// copy. It reports the mean of each and their ratio (1M ÷ empty).
//
//	go test -run '^$' -bench StartReady1M -benchtime 3x ./internal/daemon
func BenchmarkStartReady1M(b *testing.B) {
	const rows = 1_000_000
	full := buildFixture(b, rows)
	empty := buildFixture(b, 0)
	b.ResetTimer()
	var totalFull, totalEmpty time.Duration
	var faultsFull, faultsEmpty int64
	for i := 0; i < b.N; i++ {
		d, f := startReady(b, empty, 0)
		totalEmpty, faultsEmpty = totalEmpty+d, faultsEmpty+f
		d, f = startReady(b, full, rows)
		totalFull, faultsFull = totalFull+d, faultsFull+f
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
	b.ReportMetric(ms(totalFull), "ms-to-ready")
	b.ReportMetric(ms(totalEmpty), "empty-ms-to-ready")
	b.ReportMetric(ms(totalFull)/ms(totalEmpty), "ratio")
	b.ReportMetric(float64(len(full[store.FileName]))/(1<<20), "db-MiB")
	// Page faults during a start (the process's, so other goroutines'
	// too): how many pages of the file a start touches, which the
	// machine's load does not move.
	b.ReportMetric(float64(faultsFull)/float64(b.N), "faults")
	b.ReportMetric(float64(faultsEmpty)/float64(b.N), "empty-faults")
}

// buildFixture returns the files (name -> bytes) of a data dir whose store
// has rows buffered order events of ~110 bytes.
func buildFixture(b *testing.B, rows int) map[string][]byte {
	fixture := filepath.Join(b.TempDir(), "fixture")
	db, err := store.Open(fixture, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ob, err := outbox.Open(db, outbox.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	payload := bytes.Repeat([]byte("x"), 100)
	for done := 0; done < rows; {
		err := db.Update(func(tx *store.Tx) error {
			batch := make([]outbox.Entry, 0, 10_000)
			for i := 0; i < 10_000 && done+i < rows; i++ {
				batch = append(batch, outbox.Entry{Stream: outbox.Orders, Type: "com.auraconnect.edge.order",
					Subject: fmt.Sprintf("ord_%07d", done+i), Data: append([]byte(`{"n":"`), append(payload, '"', '}')...)})
			}
			_, err := ob.AppendTx(tx, batch...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		done += 10_000
	}
	if err := ob.MergeSubjects(context.Background()); err != nil { // as the daemon does when it stops
		b.Fatal(err)
	}
	db.Close()
	// One start and stop, as any store that has run before.
	cfg := benchConfig(fixture)
	c, err := OpenCore(&cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	files := map[string][]byte{}
	for _, name := range []string{store.FileName, filepath.Base(KeyFile(&cfg))} {
		raw, err := os.ReadFile(filepath.Join(fixture, name))
		if err != nil {
			b.Fatal(err)
		}
		files[name] = raw
	}
	return files
}

func benchConfig(dir string) config.Config {
	cfg := config.Defaults()
	cfg.StoreID, cfg.DataDir, cfg.API.Listen = "bench", dir, "127.0.0.1:0"
	return cfg
}

// startReady copies raw into a fresh data dir, syncs it, and times one
// daemon start to ready (the timer runs only for that).
func startReady(b *testing.B, files map[string][]byte, rows int) (time.Duration, int64) {
	b.StopTimer()
	dir := b.TempDir()
	for name, raw := range files {
		if err := writeSynced(filepath.Join(dir, name), raw); err != nil {
			b.Fatal(err)
		}
	}
	cfg := benchConfig(dir)
	d, _ := New(&cfg, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	f0 := minorFaults()
	b.StartTimer()
	start := time.Now()
	go func() { errc <- d.Run(ctx) }()
	select {
	case <-d.Ready():
	case err := <-errc:
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	faults := minorFaults() - f0
	if depth := d.Core().Outbox.Stats()[0].Depth; depth != rows {
		b.Fatalf("depth %d, want %d", depth, rows)
	}
	cancel()
	<-errc
	os.RemoveAll(dir)
	return took, faults
}

// minorFaults returns the process's minor page faults so far.
func minorFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Minflt
}

// writeSynced writes data to path and fsyncs the file and its directory.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
