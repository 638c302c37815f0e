package outbox

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/store"
)

// BenchmarkAppend measures durable appends of 1 KiB entries (with a subject
// and a dedupe key each) from many goroutines sharing commits.
func BenchmarkAppend(b *testing.B) {
	data := bytes.Repeat([]byte("x"), 1024)
	for _, g := range []int{32, 64} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			_, o := openTest(b, Config{}, nil)
			var next atomic.Int64
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range g {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						_, err := o.Append(context.Background(), Entry{Stream: Orders, Type: "com.auraconnect.order.v1",
							Subject: fmt.Sprintf("ord_%d", i/4), DedupeKey: fmt.Sprintf("square/%d/v1", i), Data: data})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
		})
	}
}

// BenchmarkStoreBatchBaseline is the floor BenchmarkAppend is measured
// against: one bare 1 KiB store.DB.Batch put per call from 64 goroutines,
// no outbox logic, on the same disk.
func BenchmarkStoreBatchBaseline(b *testing.B) {
	db := openDB(b, b.TempDir())
	defer db.Close()
	data := bytes.Repeat([]byte("x"), 1024)
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				err := db.Batch(func(tx *store.Tx) error { return tx.Bucket("bench").Put(store.U64(uint64(i)), data) })
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
}

// fill appends n rows to stream in large transactions (10,000 rows each).
func fill(b testing.TB, db *store.DB, o *Outbox, stream Stream, n int, data []byte) {
	b.Helper()
	const perTx = 10_000
	for done := 0; done < n; done += perTx {
		es := make([]Entry, min(perTx, n-done))
		for i := range es {
			es[i] = Entry{Stream: stream, Type: "com.auraconnect.order.v1", Subject: "", Data: data}
		}
		err := db.Update(func(tx *store.Tx) error {
			_, err := o.AppendTx(tx, es...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPeekAckDrain drains 100,000 queued 1 KiB rows the way the sender
// does: Peek a window of 256, Ack it in one transaction, repeat.
func BenchmarkPeekAckDrain(b *testing.B) {
	const rows, window = 100_000, 256
	db, o := openTest(b, Config{}, nil)
	data := bytes.Repeat([]byte("x"), 1024)
	for b.Loop() {
		b.StopTimer()
		fill(b, db, o, Orders, rows, data)
		b.StartTimer()
		var after uint64
		drained := 0
		for {
			rs, err := o.Peek(Orders, after, window)
			if err != nil {
				b.Fatal(err)
			}
			if len(rs) == 0 {
				break
			}
			seqs := make([]uint64, len(rs))
			for i, r := range rs {
				seqs[i] = r.Seq
			}
			if err := o.Ack(Orders, seqs); err != nil {
				b.Fatal(err)
			}
			after = seqs[len(seqs)-1]
			drained += len(rs)
		}
		if drained != rows {
			b.Fatalf("drained %d", drained)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkOpen measures start-up with 1,000,000 rows (100-byte payloads)
// buffered in orders: the whole store (bbolt open, migrations check,
// outbox.Open, first Stats) and outbox.Open alone on an open store.
func BenchmarkOpen(b *testing.B) {
	const rows = 1_000_000
	dir := b.TempDir()
	db := openDB(b, dir)
	o, err := Open(db, Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	fill(b, db, o, Orders, rows, bytes.Repeat([]byte("x"), 100))
	b.Logf("fixture: %d rows in %v, file %d MB", rows, time.Since(start).Round(time.Millisecond), db.Size()>>20)
	db.Close()

	b.Run("store+outbox", func(b *testing.B) {
		for b.Loop() {
			db, err := store.Open(dir, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			o, err := Open(db, Config{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			if st := o.Stats(); st[0].Depth != rows {
				b.Fatalf("depth %d", st[0].Depth)
			}
			b.StopTimer()
			db.Close()
			b.StartTimer()
		}
	})
	b.Run("outbox", func(b *testing.B) {
		db := openDB(b, dir)
		defer db.Close()
		for b.Loop() {
			if _, err := Open(db, Config{}, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
