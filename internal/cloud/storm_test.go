package cloud

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// BenchmarkReconnectStorm runs many store links (the real Client, each over
// its own bbolt store and outbox, production reconnect settings) against
// one mosquitto, restarts the broker after an outage during which every
// store keeps capturing, and reports how the fleet comes back:
//
//	s-all-back       seconds from the broker's restart until every link is connected again
//	peak-connects/s  the most reconnects within one second
//	peak-connects/100ms
//	lost             events acknowledged by the outbox and never received
//
// STORM_LINKS sets the fleet size (default 500), STORM_OUTAGE the outage
// (default 5s). Run: go test -run '^$' -bench ReconnectStorm -benchtime 1x ./internal/cloud
func BenchmarkReconnectStorm(b *testing.B) {
	links := envInt("STORM_LINKS", 500)
	outage := 5 * time.Second
	if v := os.Getenv("STORM_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		outage = d
	}
	for range b.N {
		// The cloud's session persists across the restart, so what stores
		// publish before the cloud is back is queued for it.
		mq := cloudtest.StartMosquitto(b, cloudtest.MosquittoOptions{Persistence: true, Extra: "max_connections -1\n"})
		sub := cloudtest.Subscribe(b, mq.URL(), "aura/v1/stores/+/events/orders", cloudtest.SubscriberOptions{Persistent: true})
		type link struct {
			c  *Client
			ob *outbox.Outbox
		}
		fleet := make([]link, links)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{}, links)
		want := 0
		for i := range fleet {
			db, err := store.Open(b.TempDir(), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			ob, err := outbox.Open(db, outbox.Config{}, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			cfg := Config{Broker: mq.URL(), StatusInterval: time.Hour, CommandWorkers: 1} // production backoff and keep-alive
			c, err := New(cfg, Deps{StoreID: fmt.Sprintf("storm-%04d", i), DB: db, Queue: ob})
			if err != nil {
				b.Fatal(err)
			}
			fleet[i] = link{c: c, ob: ob}
			want += appendOrders(b, ob, 3, "before")
			go func() { c.Run(ctx); done <- struct{}{} }()
		}
		b.Cleanup(func() {
			cancel()
			for range links {
				<-done
			}
		})
		allConnected := func() bool {
			for _, l := range fleet {
				if !l.c.Connected() {
					return false
				}
			}
			return true
		}
		waitCond(b, 120*time.Second, "the fleet connected", allConnected)
		// Stores have been connected for a while when a broker restarts:
		// their backoff starts over (stableAfter).
		time.Sleep(stableAfter + time.Second)

		if err := mq.Stop(); err != nil {
			b.Fatal(err)
		}
		stopped := time.Now()
		for _, l := range fleet {
			want += appendOrders(b, l.ob, 2, "outage")
		}
		time.Sleep(time.Until(stopped.Add(outage)))
		b.ResetTimer()
		restart := time.Now()
		if err := mq.Start(); err != nil {
			b.Fatal(err)
		}
		waitCond(b, 300*time.Second, "the fleet back", func() bool {
			for _, l := range fleet {
				if !l.c.Connected() || l.c.State().ConnectedAt.Before(restart) {
					return false
				}
			}
			return true
		})
		b.StopTimer()
		var at []time.Time
		for _, l := range fleet {
			at = append(at, l.c.State().ConnectedAt)
		}
		slices.SortFunc(at, func(x, y time.Time) int { return x.Compare(y) })
		allBack := at[len(at)-1].Sub(restart)
		deadline := time.Now().Add(120 * time.Second)
		for countAll(sub, links) < want && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if got := countAll(sub, links); got < want {
			queued := 0
			for _, l := range fleet {
				queued += l.ob.Stats()[0].Depth
			}
			b.Errorf("%d of %d events received; %d still queued in the stores' outboxes", got, want, queued)
		}
		lost := want - countAll(sub, links)
		b.ReportMetric(allBack.Seconds(), "s-all-back")
		b.ReportMetric(float64(peak(at, time.Second)), "peak-connects/s")
		b.ReportMetric(float64(peak(at, 100*time.Millisecond)), "peak-connects/100ms")
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(links), "links")
	}
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return def
}

func appendOrders(tb testing.TB, ob *outbox.Outbox, n int, tag string) int {
	var es []outbox.Entry
	for i := range n {
		es = append(es, outbox.Entry{Stream: outbox.Orders, Type: "com.auraconnect.test.v1", Subject: tag, Data: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	if _, err := ob.Append(context.Background(), es...); err != nil {
		tb.Fatal(err)
	}
	return n
}

// countAll counts unique event ids over every store's orders topic.
func countAll(sub *cloudtest.Subscriber, links int) int {
	n := 0
	for i := range links {
		ids, _ := sub.UniqueIDs(fmt.Sprintf("aura/v1/stores/storm-%04d/events/orders", i))
		n += len(ids)
	}
	return n
}

// peak is the most times within any window w.
func peak(sorted []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range sorted {
		for sorted[i].Sub(sorted[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

func waitCond(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
