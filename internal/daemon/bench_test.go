package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// BenchmarkStartReady1M measures the time from start to ready (store,
// key, outbox, API listening) with 1,000,000 order events buffered. The
// fixture (about 11 s to build, ~400 MB) is written once with large
// transactions and copied for each iteration.
//
//	go test -run '^$' -bench StartReady1M -benchtime 3x ./internal/daemon
func BenchmarkStartReady1M(b *testing.B) {
	const rows = 1_000_000
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
	db.Close()
	raw, err := os.ReadFile(filepath.Join(fixture, store.FileName))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, store.FileName), raw, 0o600); err != nil {
			b.Fatal(err)
		}
		cfg := config.Defaults()
		cfg.StoreID, cfg.DataDir, cfg.API.Listen = "bench", dir, "127.0.0.1:0"
		d, _ := New(&cfg, slog.New(slog.DiscardHandler))
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		b.StartTimer()
		start := time.Now()
		go func() { errc <- d.Run(ctx) }()
		select {
		case <-d.Ready():
		case err := <-errc:
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		if depth := d.Core().Outbox.Stats()[0].Depth; depth != rows {
			b.Fatalf("depth %d", depth)
		}
		cancel()
		<-errc
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready")
	b.ReportMetric(float64(len(raw))/(1<<20), "db-MiB")
}
