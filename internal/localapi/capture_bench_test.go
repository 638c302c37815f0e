package localapi

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/auraconnect/aura-edge/internal/outbox"
)

// BenchmarkCapture measures durable order capture over real HTTP: 32
// concurrent clients post ~1 KiB orders to POST /v1/orders on a real bbolt
// file; every 202 is after an fsync'd commit. Reports orders/s and latency
// percentiles, and beside them the limit, measured in the same run: raw
// bbolt Batch puts of the same size from 32 goroutines into a file on the
// same disk with the same 2 ms group-commit window (batch_puts/s), and
// the ratio orders/s ÷ batch_puts/s.
//
//	go test -run '^$' -bench Capture -benchtime 20000x ./internal/localapi
func BenchmarkCapture(b *testing.B) {
	const clients = 32
	r := newRig(b, outbox.Config{})
	base, err := readOrder()
	if err != nil {
		b.Fatal(err)
	}
	// Pad the note so each order is about 1 KiB on the wire.
	base = bytes.Replace(base, []byte(`"state"`), []byte(`"note": "`+string(bytes.Repeat([]byte("x"), 1024-len(base)-12))+`", "state"`), 1)
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	client := &http.Client{Transport: tr}
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	b.SetBytes(int64(len(base)))
	b.ResetTimer()
	batchRate := rawBatchRate(b, clients, b.N, base)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				body := bytes.Replace(base, []byte("T1-0001"), []byte(fmt.Sprintf("B-%09d", i)), 1)
				t0 := time.Now()
				resp, err := client.Post(r.srv.URL+"/v1/orders", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	pct := func(p float64) float64 { return float64(all[int(float64(len(all)-1)*p)].Microseconds()) / 1000 }
	rate := float64(len(all)) / elapsed.Seconds()
	b.ReportMetric(rate, "orders/s")
	b.ReportMetric(batchRate, "batch_puts/s")
	b.ReportMetric(rate/batchRate, "ratio")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func readOrder() ([]byte, error) { return os.ReadFile("testdata/order.json") }

// rawBatchRate puts n copies of value with bbolt Batch from clients
// goroutines into a fresh file and returns the puts per second.
func rawBatchRate(b *testing.B, clients, n int, value []byte) float64 {
	raw, err := bolt.Open(b.TempDir()+"/raw.db", 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.MaxBatchDelay = 2 * time.Millisecond
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				err := raw.Batch(func(tx *bolt.Tx) error {
					bk, err := tx.CreateBucketIfNotExists([]byte("raw"))
					if err != nil {
						return err
					}
					var k [8]byte
					binary.BigEndian.PutUint64(k[:], uint64(i))
					return bk.Put(k[:], value)
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}
