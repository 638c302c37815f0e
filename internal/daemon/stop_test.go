package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// stopAsync starts stop and returns a channel closed when it returned.
func stopAsync(stop func()) <-chan struct{} {
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	return done
}

// ordersDepth reopens the store in dataDir (the daemon has closed it) and
// returns the orders waiting in the outbox.
func ordersDepth(t *testing.T, cfg config.Config) int {
	t.Helper()
	c, err := OpenCore(&cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("reopen store: %v", err)
	}
	defer c.Close()
	for _, s := range c.Outbox.Stats() {
		if s.Stream == outbox.Orders {
			return s.Depth
		}
	}
	t.Fatal("no orders stream")
	return 0
}

func captureOrders(t *testing.T, d *Daemon, prefix string, n int) {
	t.Helper()
	tok, _, _ := auth.Create(d.Core().DB, auth.Terminal, "till-1")
	base := "http://" + d.APIAddr().String()
	for i := range n {
		if code, body := request(t, "POST", base+"/v1/orders", tok, orderBody(fmt.Sprintf("%s-%03d", prefix, i))); code != 202 {
			t.Fatalf("order %d: %d %s", i, code, body)
		}
	}
}

// TestStopDrainsBeforeStoreCloses: orders accepted right before a stop,
// while the broker holds their acknowledgements, are delivered to the
// cloud and printed before the store closes: intake stops first (the API
// no longer answers), the sinks drain, then Run returns.
func TestStopDrainsBeforeStoreCloses(t *testing.T) {
	cloudtest.NeedMosquitto(t)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	pr := printertest.Start(t)
	const storeID, n = "stop-store", 12
	prefix := "aura/v1/stores/" + storeID
	sub := cloudtest.Subscribe(t, mq.URL(), prefix+"/events/orders", cloudtest.SubscriberOptions{})
	var cfg config.Config
	d, logs, stop := startDaemonStop(t, func(c *config.Config) {
		c.StoreID = storeID
		c.Cloud.Broker = mq.URL()
		c.Printers = []config.Printer{{Name: "front", Connection: pr.URL(), AutoPrint: "customer"}}
		c.Shutdown.DrainTimeout = 30 * time.Second
		cfg = *c
	})
	waitUntil(t, 15*time.Second, "cloud link connected", func() bool { return d.Core().Cloud.State().Connected })
	if err := mq.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mq.Resume() })
	captureOrders(t, d, "STOP", n)
	if depth := ordersDepthLive(d); depth == 0 {
		t.Fatal("the paused broker acknowledged orders: nothing left to drain")
	}
	addr := d.APIAddr().String()
	done := stopAsync(stop)
	waitUntil(t, 15*time.Second, "intake stopped", func() bool { return strings.Contains(logs.String(), "intake stopped, draining") })
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("the local API still answers while the sinks drain: %d", resp.StatusCode)
	}
	select {
	case <-done:
		t.Fatalf("stop returned while the broker held every acknowledgement\n%s", logs)
	default:
	}
	if err := mq.Resume(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		t.Fatalf("stop did not return\n%s", logs)
	}
	if got := len(pr.Jobs()); got != n {
		t.Errorf("%d receipts printed before the store closed, want %d", got, n)
	}
	if !strings.Contains(logs.String(), "sinks drained") {
		t.Errorf("no drained line in the log\n%s", logs)
	}
	if depth := ordersDepth(t, cfg); depth != 0 {
		t.Errorf("%d orders still in the outbox after the stop", depth)
	}
	sub.Wait(t, 20*time.Second, "orders at the cloud", func() bool { return len(sub.Envelopes(prefix+"/events/orders")) >= n })
}

func ordersDepthLive(d *Daemon) int {
	for _, s := range d.Core().Outbox.Stats() {
		if s.Stream == outbox.Orders {
			return s.Depth
		}
	}
	return 0
}

// TestStopWithHungBroker: a broker that accepts the connection but answers
// nothing cannot hold a stop beyond the drain deadline, and every order it
// did not acknowledge is still in the store, delivered after a restart.
func TestStopWithHungBroker(t *testing.T) {
	cloudtest.NeedMosquitto(t)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	const storeID, n = "hung-store", 8
	prefix := "aura/v1/stores/" + storeID
	sub := cloudtest.Subscribe(t, mq.URL(), prefix+"/events/orders", cloudtest.SubscriberOptions{})
	var cfg config.Config
	edit := func(c *config.Config) {
		c.StoreID = storeID
		c.Cloud.Broker = mq.URL()
		c.Shutdown.DrainTimeout = time.Second
		if cfg.DataDir != "" {
			c.DataDir = cfg.DataDir // the restart
		}
		cfg = *c
	}
	d, logs, stop := startDaemonStop(t, edit)
	waitUntil(t, 15*time.Second, "cloud link connected", func() bool { return d.Core().Cloud.State().Connected })
	if err := mq.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mq.Resume() })
	captureOrders(t, d, "HUNG", n)
	start := time.Now()
	select {
	case <-stopAsync(stop):
	case <-time.After(30 * time.Second):
		t.Fatalf("stop held by a hung broker\n%s", logs)
	}
	// The bound is the drain deadline plus the link's shutdown grace
	// periods; this is a hang check, not a speed measurement.
	took := time.Since(start)
	t.Logf("stop with a hung broker and a 1s drain deadline took %s", took.Round(time.Millisecond))
	if took > 15*time.Second {
		t.Errorf("stop took %s with a 1s drain deadline", took)
	}
	if !strings.Contains(logs.String(), "drain deadline passed") {
		t.Errorf("no deadline line in the log\n%s", logs)
	}
	if depth := ordersDepth(t, cfg); depth != n {
		t.Fatalf("%d orders in the outbox after the stop, want all %d", depth, n)
	}
	if err := mq.Resume(); err != nil {
		t.Fatal(err)
	}
	startDaemonStop(t, edit)
	sub.Wait(t, 20*time.Second, "orders delivered after the restart", func() bool {
		seen := map[string]bool{}
		for _, e := range sub.Envelopes(prefix + "/events/orders") {
			seen[e.Subject] = true
		}
		return len(seen) >= n
	})
}

// TestFailingIntakeStopsEverything: a loop that fails (here the local API,
// whose port is taken) stops the sinks too, and Run returns its error
// instead of waiting for a stop that never comes.
func TestFailingIntakeStopsEverything(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := config.Defaults()
	cfg.StoreID, cfg.DataDir, cfg.API.Listen = "fail-store", t.TempDir(), ln.Addr().String()
	logs := &logBuffer{}
	d, err := New(&cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- d.Run(context.Background()) }()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "local api listen") {
			t.Fatalf("Run: %v, want the listen error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Run kept going after the local API failed\n%s", logs)
	}
	if !strings.Contains(logs.String(), "store closed") {
		t.Errorf("the store was not closed\n%s", logs)
	}
}

// TestStopDoesNotWaitForReceipts: in cloud receipts mode, events the broker
// acknowledged wait only for the cloud's receipt, which may come much
// later (or after the restart): they do not hold the drain until its
// deadline, nor do the events behind them when they fill the receipt
// window (max_pending), and every one stays in the outbox, durable, for
// the next start.
func TestStopDoesNotWaitForReceipts(t *testing.T) {
	cloudtest.NeedMosquitto(t)
	for _, tc := range []struct {
		name       string
		n          int // orders captured
		maxPending int // cloud.receipts.max_pending
	}{
		{"all sent", 6, 0},
		{"window full", 6, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
			const storeID = "rcpt-stop-store"
			prefix := "aura/v1/stores/" + storeID
			sub := cloudtest.Subscribe(t, mq.URL(), prefix+"/events/orders", cloudtest.SubscriberOptions{})
			var cfg config.Config
			d, logs, stop := startDaemonStop(t, func(c *config.Config) {
				c.StoreID = storeID
				c.Cloud.Broker = mq.URL()
				c.Cloud.Receipts.Enabled = true
				c.Cloud.Receipts.Timeout = 10 * time.Minute // no resend during the test
				if tc.maxPending > 0 {
					c.Cloud.Receipts.MaxPending = tc.maxPending
				}
				c.Shutdown.DrainTimeout = 60 * time.Second
				cfg = *c
			})
			waitUntil(t, 15*time.Second, "cloud link connected", func() bool { return d.Core().Cloud.State().Connected })
			captureOrders(t, d, "RCPT", tc.n)
			sent := tc.n
			if tc.maxPending > 0 {
				sent = tc.maxPending
			}
			sub.Wait(t, 20*time.Second, "orders at the broker", func() bool { return len(sub.Envelopes(prefix+"/events/orders")) >= sent })
			waitUntil(t, 20*time.Second, "the sent orders acknowledged by the broker", func() bool {
				n, _ := d.Core().Cloud.AwaitingReceiptOnly()
				return n == sent
			})
			if depth := ordersDepthLive(d); depth != tc.n {
				t.Fatalf("%d orders in the outbox before any receipt, want %d", depth, tc.n)
			}
			select {
			case <-stopAsync(stop):
			case <-time.After(40 * time.Second): // well inside the 60s drain deadline
				t.Fatalf("stop waited for receipts the cloud never sent\n%s", logs)
			}
			if !strings.Contains(logs.String(), "sinks drained") || strings.Contains(logs.String(), "drain deadline passed") {
				t.Errorf("want the drained line and no deadline line\n%s", logs)
			}
			if depth := ordersDepth(t, cfg); depth != tc.n {
				t.Errorf("%d orders in the outbox after the stop, want all %d (no receipt came)", depth, tc.n)
			}
		})
	}
}
