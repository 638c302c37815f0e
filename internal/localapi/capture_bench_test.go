package localapi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/outbox"
)

// BenchmarkCapture measures durable order capture over real HTTP: 32
// concurrent clients post ~1 KiB orders to POST /v1/orders on a real bbolt
// file; every 202 is after an fsync'd commit. Reports orders/s and latency
// percentiles.
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
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "orders/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func readOrder() ([]byte, error) { return os.ReadFile("testdata/order.json") }
