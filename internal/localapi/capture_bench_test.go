package localapi

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// BenchmarkCapture measures durable order capture over real HTTP: 32
// concurrent clients post ~1 KiB orders to POST /v1/orders on a real bbolt
// file; every 202 is after an fsync'd commit. Reports orders/s and latency
// percentiles, and beside them two limits measured in the same run: raw
// bbolt Batch puts of the same size from 32 goroutines into a file on the
// same disk with bbolt's 2 ms group-commit window (batch_puts/s; ratio =
// orders/s ÷ batch_puts/s, the measure), and the same bare puts
// through the store's own group commit (own_commit_puts/s;
// ratio_own_commit). The sides take turns in 8 slices (a different one
// first each time) so a change in the machine's load falls on all.
//
// The load generator is a lean HTTP/1.1 client, as wrk is: each of the 32
// clients keeps one connection, writes a request prepared before the clock
// starts and reads the status line, the headers and Content-Length bytes of
// body. The tills that post orders run on their own hardware, so their
// HTTP client's CPU is not the daemon's; with net/http's client in the
// same process (BenchmarkCaptureStdClient, the figure before 2026-12-03
// 19:30) a third of the HTTP side's CPU was the client's (pprof: the
// Transport's read and write loops and Client.Do, 17.6 % of all samples
// against 27.4 % for the server's connections).
//
//	go test -run '^$' -bench Capture -benchtime 20000x ./internal/localapi
func BenchmarkCapture(b *testing.B) { benchCapture(b, true) }

// BenchmarkCaptureStdClient is BenchmarkCapture with net/http's client as
// the load generator, in the same process on the same cores.
func BenchmarkCaptureStdClient(b *testing.B) { benchCapture(b, false) }

func benchCapture(b *testing.B, lean bool) {
	const clients, parts = 32, 8
	r := newRig(b, outbox.Config{})
	base, err := readOrder()
	if err != nil {
		b.Fatal(err)
	}
	// Pad the note so each order is about 1 KiB on the wire.
	base = bytes.Replace(base, []byte(`"state"`), []byte(`"note": "`+string(bytes.Repeat([]byte("x"), 1024-len(base)-12))+`", "state"`), 1)
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	client := &http.Client{Transport: tr}
	raw, err := bolt.Open(b.TempDir()+"/raw.db", 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.MaxBatchDelay = 2 * time.Millisecond
	put := func(i int64) error {
		return raw.Batch(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("raw"))
			if err != nil {
				return err
			}
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], uint64(i))
			return bk.Put(k[:], base)
		})
	}
	// The bodies are built before the clock starts, as the raw sides'
	// value is: the load generator shares the 2 cores with what it
	// measures, so building them per request was charged to capture.
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = bytes.Replace(base, []byte("T1-0001"), []byte(fmt.Sprintf("B-%09d", i)), 1)
	}
	url := r.srv.URL + "/v1/orders"
	var conns chan *leanConn
	if lean {
		// Each request whole, headers and body, built before the clock.
		host := strings.TrimPrefix(r.srv.URL, "http://")
		for i, body := range bodies {
			bodies[i] = append(fmt.Appendf(nil, "POST /v1/orders HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", host, len(body)), body...)
		}
		conns = make(chan *leanConn, clients)
		for range clients {
			c, err := net.Dial("tcp", host)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			conns <- &leanConn{c: c, br: bufio.NewReaderSize(c, 4096)}
		}
	}
	post := func(i int64) error {
		if lean {
			c := <-conns
			defer func() { conns <- c }()
			code, err := c.do(bodies[i])
			if err == nil && code != http.StatusAccepted {
				err = fmt.Errorf("status %d", code)
			}
			return err
		}
		resp, err := client.Post(url, "application/json", bytes.NewReader(bodies[i]))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	own, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer own.Close()
	ownPut := func(i int64) error {
		return own.Batch(func(tx *store.Tx) error { return tx.Bucket("raw").Put(store.U64(uint64(i)), base) })
	}
	b.SetBytes(int64(len(base)))
	b.ResetTimer()
	var rawTime, capTime, ownTime time.Duration
	var all []time.Duration
	for lo, k := 0, 0; lo < b.N; k++ {
		hi := min(b.N, lo+max(b.N/parts, 1))
		for j := range 3 {
			switch (j + k) % 3 {
			case 0:
				d, _ := runClients(b, clients, lo, hi, put)
				rawTime += d
			case 1:
				d, _ := runClients(b, clients, lo, hi, ownPut)
				ownTime += d
			default:
				d, lat := runClients(b, clients, lo, hi, post)
				t0 := time.Now() // the subjects-index merge the slice started
				r.ob.WaitMerge()
				capTime += d + time.Since(t0)
				all = append(all, lat...)
			}
		}
		lo = hi
	}
	t0 := time.Now() // and what is left in its log
	if err := r.ob.MergeSubjects(b.Context()); err != nil {
		b.Fatal(err)
	}
	capTime += time.Since(t0)
	b.StopTimer()
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(all[int(float64(len(all)-1)*p)].Microseconds()) / 1000 }
	rate := float64(len(all)) / capTime.Seconds()
	batchRate := float64(b.N) / rawTime.Seconds()
	b.ReportMetric(rate, "orders/s")
	b.ReportMetric(batchRate, "batch_puts/s")
	b.ReportMetric(rate/batchRate, "ratio")
	ownRate := float64(b.N) / ownTime.Seconds()
	b.ReportMetric(ownRate, "own_commit_puts/s")
	b.ReportMetric(rate/ownRate, "ratio_own_commit")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// leanConn is one keep-alive HTTP/1.1 connection of the lean load
// generator.
type leanConn struct {
	c  net.Conn
	br *bufio.Reader
}

// do writes req (a whole request) and reads the response: the status
// line, the headers, and Content-Length bytes of body (the local API
// always sends it). It returns the status code.
func (c *leanConn) do(req []byte) (int, error) {
	if _, err := c.c.Write(req); err != nil {
		return 0, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("status line %q", line)
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("status line %q", line)
	}
	n := -1
	for {
		h, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 { // the blank line
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if n, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, fmt.Errorf("content-length %q", v)
			}
		}
	}
	if n < 0 {
		return 0, errors.New("response without Content-Length")
	}
	_, err = c.br.Discard(n)
	return code, err
}

// runClients calls fn(i) for i in [lo, hi) from clients goroutines and
// returns the elapsed time and every call's latency.
func runClients(b *testing.B, clients, lo, hi int, fn func(i int64) error) (time.Duration, []time.Duration) {
	var next atomic.Int64
	next.Store(int64(lo))
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(hi) {
					return
				}
				t0 := time.Now()
				if err := fn(i); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	return time.Since(start), slices.Concat(lat...)
}

func readOrder() ([]byte, error) { return os.ReadFile("testdata/order.json") }

// BenchmarkCaptureHandler is the server's side of one captured order, as
// the daemon serves it but without the socket: the recoverer, the auth
// middleware with a terminal's bearer token (policy match, token check,
// role), the mux and POST /v1/orders on the real ingest path and a real
// bbolt file, from 32 goroutines so commits are shared as in
// BenchmarkCapture. Each op is a different ~1 KiB order answered 202 after
// its fsync'd commit. ns/op is wall time and moves with the machine's
// load; the figures to compare are allocs/op, B/op and cpu-µs/op (the
// process's user+system CPU time per order, from getrusage), which count
// work, not waiting.
//
//	go test -run '^$' -bench CaptureHandler -benchmem -benchtime 20000x ./internal/localapi
func BenchmarkCaptureHandler(b *testing.B) {
	db, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)
	ob, err := outbox.Open(db, outbox.Config{}, log)
	if err != nil {
		b.Fatal(err)
	}
	authn := auth.NewAuthenticator(db, auth.Options{})
	secret, _, err := auth.Create(db, auth.Terminal, "till-1")
	if err != nil {
		b.Fatal(err)
	}
	s := New(Config{}, log, nil, nil)
	CaptureRoutes(s, ingest.New(db, ob, log), log)
	h := recoverer(log, auth.SessionMiddleware(s.Policy(), authn, auth.NewSessions(authn, 0), log)(s.Handler()))
	base, err := readOrder()
	if err != nil {
		b.Fatal(err)
	}
	base = bytes.Replace(base, []byte(`"state"`), []byte(`"note": "`+string(bytes.Repeat([]byte("x"), 1024-len(base)-12))+`", "state"`), 1)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = bytes.Replace(base, []byte("T1-0001"), []byte(fmt.Sprintf("H-%09d", i)), 1)
	}
	var next atomic.Int64
	b.SetParallelism(16) // 32 goroutines on 2 cores
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			req := httptest.NewRequest("POST", "/v1/orders", bytes.NewReader(bodies[i]))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusAccepted {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
