package ingest

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// benchClients is the number of concurrent capturing clients.
const benchClients = 32

// BenchmarkCaptureVsBatch measures the capture path without HTTP
// (Ingest.Capture, 32 goroutines, ~1 KiB orders, each call returning after
// its fsync'd group commit) beside two limits, in the same run: raw bbolt
// Batch puts of the same size from the same number of goroutines into a
// file in the same directory (bbolt's timer-based group commit with the
// 2 ms window the store used before it had its own), and the same bare
// puts through the store's own group commit (store.DB.Batch): what the
// disk and the commit policy allow with no capture work at all. It reports
// the three rates, ratio (capture / bbolt Batch, the measure),
// ratio_own_commit (capture / bare puts through the same group commit),
// the capture's p50 and p99 latency, and the bytes each side's commits
// wrote per order (per put), which does not move with the machine's load.
// b.N is the number of orders (and of puts on each raw side).
func BenchmarkCaptureVsBatch(b *testing.B) { benchCaptureVsBatch(b, false) }

// BenchmarkCaptureAutoPrintVsBatch is BenchmarkCaptureVsBatch with
// auto-print on (DurableOnOrder, a hook that returns at once): each capture
// commit also holds its order's auto-print marker, and the hook worker's
// commits that clear the markers compete for the same writer.
func BenchmarkCaptureAutoPrintVsBatch(b *testing.B) { benchCaptureVsBatch(b, true) }

func benchCaptureVsBatch(b *testing.B, autoPrint bool) {
	in, ob := newIngest(b)
	if autoPrint {
		in.DurableOnOrder, in.OnOrder = true, func(model.Order) {}
	}
	note := strings.Repeat("x", 1024-len(mustJSON(b, order(model.Source{Vendor: "local", ExternalID: "B-000000000"}, ""))))
	// The raw limit: bbolt, same disk, same value size, same window.
	raw, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.MaxBatchDelay = 2 * time.Millisecond
	value := mustJSON(b, order(model.Source{Vendor: "local", ExternalID: "B-000000000"}, note))
	// The same bare puts through the store's own group commit.
	own, err := store.Open(filepath.Join(b.TempDir(), "own"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer own.Close()
	b.SetBytes(int64(len(value)))
	b.ResetTimer()

	// The sides take turns in slices (a different one first each time) so
	// a change in the machine's load falls on all.
	ownPut := func(i int) error {
		return own.Batch(func(tx *store.Tx) error { return tx.Bucket("raw").Put(store.U64(uint64(i)), value) })
	}
	put := func(i int) error {
		return raw.Batch(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("raw"))
			if err != nil {
				return err
			}
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], uint64(i))
			return bk.Put(k[:], value)
		})
	}
	capture := func(i int) error {
		o := order(model.Source{Vendor: "local", ExternalID: fmt.Sprintf("B-%09d", i)}, note)
		_, err := in.Capture(context.Background(), []model.Order{o}, nil)
		return err
	}
	var batchTime, capTime, ownTime time.Duration
	var batchBytes, capBytes int64
	var lat []time.Duration
	for lo, k := 0, 0; lo < b.N; k++ {
		hi := min(b.N, lo+max(b.N/benchSlices, 1))
		for j := range 3 {
			w0 := writtenBytes()
			switch (j + k) % 3 {
			case 0:
				batchTime += runClients(b, lo, hi, put, nil)
				batchBytes += writtenBytes() - w0
			case 1:
				ownTime += runClients(b, lo, hi, ownPut, nil)
			default:
				capTime += runClients(b, lo, hi, capture, &lat)
				// The merge of the outbox's subjects index that the
				// slice's captures started runs in the background: it is
				// the capture's cost, not the next slice's.
				t0 := time.Now()
				ob.WaitMerge()
				capTime += time.Since(t0)
				capBytes += writtenBytes() - w0
			}
		}
		lo = hi
	}
	// And what is left in its log (merged when the daemon stops).
	t0, w0 := time.Now(), writtenBytes()
	if err := ob.MergeSubjects(context.Background()); err != nil {
		b.Fatal(err)
	}
	capTime += time.Since(t0)
	capBytes += writtenBytes() - w0
	batchRate := float64(b.N) / batchTime.Seconds()
	capRate := float64(b.N) / capTime.Seconds()
	ownRate := float64(b.N) / ownTime.Seconds()
	b.StopTimer()
	in.Wait()
	b.ReportMetric(capRate, "orders/s")
	b.ReportMetric(batchRate, "batch_puts/s")
	b.ReportMetric(ownRate, "own_commit_puts/s")
	b.ReportMetric(capRate/batchRate, "ratio")
	b.ReportMetric(capRate/ownRate, "ratio_own_commit")
	b.ReportMetric(percentile(lat, 0.50), "p50_ms")
	b.ReportMetric(percentile(lat, 0.99), "p99_ms")
	if capBytes > 0 && batchBytes > 0 {
		// What each side handed to write(2): the pages its commits wrote.
		// It does not move with the machine's load.
		b.ReportMetric(float64(capBytes)/float64(b.N), "written_B/order")
		b.ReportMetric(float64(batchBytes)/float64(b.N), "batch_written_B/put")
	}
}

// writtenBytes returns the bytes this process has passed to write system
// calls (wchar in /proc/self/io), or 0 where there is no /proc.
func writtenBytes() int64 {
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// benchSlices is how many alternating slices each side of a comparison
// is cut into.
const benchSlices = 8

// runClients calls fn(i) for i in [lo, hi) from benchClients goroutines,
// appends every call's latency to lat (when not nil) and returns the
// elapsed time.
func runClients(b *testing.B, lo, hi int, fn func(i int) error, lat *[]time.Duration) time.Duration {
	next := atomic.Int64{}
	next.Store(int64(lo))
	per := make([][]time.Duration, benchClients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(hi) {
					return
				}
				t0 := time.Now()
				if err := fn(int(i)); err != nil {
					b.Error(err)
					return
				}
				per[c] = append(per[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if lat != nil {
		*lat = append(*lat, slices.Concat(per...)...)
	}
	return d
}

// percentile returns the p-th latency in milliseconds.
func percentile(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return float64(lat[int(float64(len(lat)-1)*p)]) / float64(time.Millisecond)
}

func mustJSON(b *testing.B, o model.Order) []byte {
	data, err := json.Marshal(o)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkStoreSizeAfterDrain captures b.N ~1 KiB orders (32 clients),
// drains the outbox as the cloud link does (Peek, Ack), then lets the
// outbox compact the store (Outbox.MaybeCompact, as RunCompactor does).
// It reports the file size with the backlog, after the drain and after the
// compaction, the live data after the drain (file size less free pages),
// and compacted/live: how near the file came back to its live size. The
// captured records stay (they are kept 90 days for reprints), so live is
// not zero.
func BenchmarkStoreSizeAfterDrain(b *testing.B) {
	db, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ob, err := outbox.Open(db, outbox.Config{CompactMinBytes: 1}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	in := New(db, ob, slog.New(slog.DiscardHandler))
	note := strings.Repeat("x", 1024-len(mustJSON(b, order(model.Source{Vendor: "local", ExternalID: "S-000000000"}, ""))))
	b.ResetTimer()
	runClients(b, 0, b.N, func(i int) error {
		o := order(model.Source{Vendor: "local", ExternalID: fmt.Sprintf("S-%09d", i)}, note)
		_, err := in.Capture(context.Background(), []model.Order{o}, nil)
		return err
	}, nil)
	full := db.Size()
	for {
		rows, err := ob.Peek(outbox.Orders, 0, 500)
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		seqs := make([]uint64, len(rows))
		for i, r := range rows {
			seqs[i] = r.Seq
		}
		if err := ob.Ack(outbox.Orders, seqs); err != nil {
			b.Fatal(err)
		}
	}
	drained, live := db.Size(), db.Size()-db.FreeBytes()
	done, _, err := ob.MaybeCompact(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if !done {
		b.Fatalf("store not compacted after the drain (file %d bytes, %d free)", drained, drained-live)
	}
	compacted := db.Size()
	b.StopTimer()
	const mib = 1 << 20
	b.ReportMetric(float64(full)/mib, "full_MiB")
	b.ReportMetric(float64(drained)/mib, "drained_MiB")
	b.ReportMetric(float64(live)/mib, "live_MiB")
	b.ReportMetric(float64(compacted)/mib, "compacted_MiB")
	b.ReportMetric(float64(compacted)/float64(live), "compacted/live")
}
