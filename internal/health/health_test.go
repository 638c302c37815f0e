package health

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/auraconnect/aura-edge/internal/spool"
)

type sentEvents struct {
	mu  sync.Mutex
	evs []PrinterEvent
	at  []time.Time
}

func (s *sentEvents) send(_ context.Context, ev PrinterEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evs = append(s.evs, ev)
	s.at = append(s.at, time.Now())
	return nil
}

func (s *sentEvents) get() ([]PrinterEvent, []time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PrinterEvent(nil), s.evs...), append([]time.Time(nil), s.at...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPrinterEventsDebounce: the first change goes out at once, a burst of
// changes within the gap becomes one event with the latest state, a flap
// back to the state last sent sends nothing, and printers do not hold each
// other up.
func TestPrinterEventsDebounce(t *testing.T) {
	var sent sentEvents
	e := NewPrinterEvents(sent.send, nil)
	e.Gap = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	st := func(name string, s spool.PrinterState) spool.PrinterStatus {
		return spool.PrinterStatus{Name: name, State: s}
	}
	start := time.Now()
	e.Changed(st("front", spool.StatePaperOut))
	waitFor(t, "first event", func() bool { evs, _ := sent.get(); return len(evs) == 1 })
	if evs, at := sent.get(); evs[0].State != spool.StatePaperOut || at[0].Sub(start) > 100*time.Millisecond {
		t.Fatalf("first event %+v after %s", evs[0], at[0].Sub(start))
	}
	// A burst: 50 changes ending in cover_open; the other printer's change
	// goes out at once.
	for i := range 50 {
		if i%2 == 0 {
			e.Changed(st("front", spool.StateOnline))
		} else {
			e.Changed(st("front", spool.StatePaperOut))
		}
	}
	e.Changed(st("front", spool.StateCoverOpen))
	e.Changed(st("kitchen", spool.StateOffline))
	waitFor(t, "burst events", func() bool { evs, _ := sent.get(); return len(evs) == 3 })
	evs, at := sent.get()
	if evs[1].Printer != "kitchen" || evs[2].State != spool.StateCoverOpen || evs[2].Previous != spool.StatePaperOut {
		t.Fatalf("events %+v", evs)
	}
	if gap := at[2].Sub(at[0]); gap < e.Gap {
		t.Fatalf("second event of one printer after %s, want >= %s", gap, e.Gap)
	}
	// Flapping back to the state last sent sends nothing.
	e.Changed(st("front", spool.StateOnline))
	e.Changed(st("front", spool.StateCoverOpen))
	time.Sleep(3 * e.Gap)
	if evs, _ := sent.get(); len(evs) != 3 {
		t.Fatalf("flap back sent %+v", evs[3:])
	}
}

// TestVendorTransport: requests through a vendor's transport are counted by
// vendor, operation and status, and timed.
func TestVendorTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/limited" {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	m := NewMetrics(&Sources{})
	c := &http.Client{Transport: m.VendorTransport("square", nil)}
	get := func(ctx context.Context, path string) {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	get(WithOperation(context.Background(), "order_pull"), "/ok")
	get(WithOperation(context.Background(), "order_pull"), "/limited")
	get(context.Background(), "/ok")
	if n := testutil.ToFloat64(m.vendorReqs.WithLabelValues("square", "order_pull", "429")); n != 1 {
		t.Fatalf("429 count %v", n)
	}
	if n := testutil.ToFloat64(m.vendorReqs.WithLabelValues("square", "other", "200")); n != 1 {
		t.Fatalf("other count %v", n)
	}
	if n := testutil.CollectAndCount(m.vendorLatency); n != 2 {
		t.Fatalf("%d latency series", n)
	}
	// Lint: names, HELP and units as Prometheus wants them.
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if !strings.HasPrefix(p.Metric, "go_") && !strings.HasPrefix(p.Metric, "process_") {
			t.Errorf("lint %s: %s", p.Metric, p.Text)
		}
	}
}
