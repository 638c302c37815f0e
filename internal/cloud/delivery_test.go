package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// brokers are the real brokers every delivery test runs against.
var brokers = []struct {
	name  string
	start func(t *testing.T) string // returns the broker URL
}{
	{"mochi", func(t *testing.T) string { return cloudtest.StartMochi(t).URL() }},
	{"mosquitto", func(t *testing.T) string { return cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{}).URL() }},
}

// TestDeliveryFIFO drains rows buffered before the first connection and
// rows appended while connected, on three streams, through each broker.
func TestDeliveryFIFO(t *testing.T) {
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			url := b.start(t)
			sub := cloudtest.Subscribe(t, url, testPrefix+"/#", cloudtest.SubscriberOptions{})
			e := newEnv(t, testConfig(url), func(d *Deps) {
				d.Status = StatusFactsFunc(func() any {
					return map[string]any{"printers": []string{"front"}, "online": "host must not win"}
				})
			})
			want := map[outbox.Stream][]string{}
			for _, s := range []outbox.Stream{outbox.Orders, outbox.Payments, outbox.SyncLogs} {
				want[s] = e.appendN(s, 150, string(s)+"-before")
			}
			e.start()
			for _, s := range []outbox.Stream{outbox.Orders, outbox.Payments, outbox.SyncLogs} {
				want[s] = append(want[s], e.appendN(s, 150, string(s)+"-live")...)
			}
			topic := func(s outbox.Stream) string { return testPrefix + "/events/" + string(s) }
			sub.Wait(t, 30*time.Second, "all events", func() bool {
				for s, ids := range want {
					if got, _ := sub.UniqueIDs(topic(s)); len(got) < len(ids) {
						return false
					}
				}
				return true
			})
			for s, ids := range want {
				if dups := checkFIFO(t, string(s), ids, sub.Envelopes(topic(s))); dups != 0 {
					t.Errorf("%s: %d duplicates without any reconnect", s, dups)
				}
			}
			waitUntil(t, 10*time.Second, "outbox empty", func() bool { return e.totalDepth() == 0 })
			// The book counts rows as delivered after their Ack commits, so
			// the outbox can be empty a moment before the counter moves:
			// wait for the count rather than read it at once.
			waitUntil(t, 10*time.Second, "900 delivered", func() bool { return e.c.State().Delivered >= 900 })

			env := sub.Envelopes(topic(outbox.Orders))[0]
			if env.SpecVersion != "1.0" || env.Source != "aura-edge://"+testStore || env.Type != "com.auraconnect.test.v1" ||
				env.Subject != "orders-before-0" || env.Sequence != 1 || env.DataContentType != "application/json" ||
				string(env.Data) != `{"tag":"orders-before","n":0}` {
				t.Errorf("envelope: %+v", env)
			}
			if _, err := time.Parse(time.RFC3339Nano, env.Time); err != nil {
				t.Errorf("time %q: %v", env.Time, err)
			}

			st := lastStatus(t, sub)
			if st["online"] != true || st["store_id"] != testStore || st["version"] != "test" || st["printers"] == nil || st["queues"] == nil {
				t.Errorf("online status: %v", st)
			}
			if s := e.c.State(); !s.Connected || s.Delivered != 900 {
				t.Errorf("state: %+v", s)
			}
			e.stop()
			sub.Wait(t, 10*time.Second, "offline status", func() bool { return lastStatus(t, sub)["online"] == false })
			if st := lastStatus(t, sub); st["reason"] != "shutdown" {
				t.Errorf("offline status: %v", st)
			}
		})
	}
}

func lastStatus(t testing.TB, sub *cloudtest.Subscriber) map[string]any {
	msgs := sub.Messages(testPrefix + "/status")
	if len(msgs) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(msgs[len(msgs)-1].Payload, &m); err != nil {
		t.Fatalf("status: %v", err)
	}
	return m
}

// TestLastWill checks that a link that vanishes without DISCONNECT leaves
// a retained offline status.
func TestLastWill(t *testing.T) {
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	proxy := cloudtest.StartProxy(t, fmt.Sprintf("127.0.0.1:%d", mq.Port))
	sub := cloudtest.Subscribe(t, mq.URL(), testPrefix+"/status", cloudtest.SubscriberOptions{})
	e := newEnv(t, testConfig(proxy.URL()), nil)
	e.start()
	sub.Wait(t, 10*time.Second, "online", func() bool { return lastStatus(t, sub)["online"] == true })
	proxy.Refuse(true)
	proxy.DropConnections()
	sub.Wait(t, 10*time.Second, "will", func() bool { return lastStatus(t, sub)["online"] == false })
	if st := lastStatus(t, sub); st["reason"] != "connection lost" {
		t.Errorf("will: %v", st)
	}
	proxy.Refuse(false)
	sub.Wait(t, 10*time.Second, "online again", func() bool { return lastStatus(t, sub)["online"] == true })
}

// TestOutage stops mosquitto while rows are being appended and starts it
// again on the same port: every row arrives, in order.
func TestOutage(t *testing.T) {
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{Persistence: true})
	// A persistent session, as the cloud's consumer has: the broker queues
	// for it across its own restart.
	sub := cloudtest.Subscribe(t, mq.URL(), testPrefix+"/events/#", cloudtest.SubscriberOptions{ClientID: "cloud-consumer", Persistent: true})
	e := newEnv(t, testConfig(mq.URL()), nil)
	e.start()

	const total = 1200
	var (
		mu   sync.Mutex
		want []string
	)
	appended := make(chan struct{})
	go func() {
		defer close(appended)
		for i := 0; i < total; i++ {
			a, err := e.ob.Append(context.Background(), outbox.Entry{Stream: outbox.Orders, Type: "com.auraconnect.order.v1", Subject: fmt.Sprintf("o-%d", i%13), Data: []byte(fmt.Sprintf(`{"n":%d}`, i))})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			want = append(want, a[0].ID)
			mu.Unlock()
			time.Sleep(time.Millisecond)
		}
	}()
	topic := testPrefix + "/events/orders"
	sub.Wait(t, 20*time.Second, "some delivered", func() bool { ids, _ := sub.UniqueIDs(topic); return len(ids) > 200 })
	if err := mq.Stop(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "client notices", func() bool { return !e.c.Connected() })
	time.Sleep(500 * time.Millisecond) // rows pile up in the outbox meanwhile
	if e.totalDepth() == 0 {
		t.Fatal("nothing buffered during the outage")
	}
	if err := mq.Start(); err != nil {
		t.Fatal(err)
	}
	<-appended
	sub.Wait(t, 60*time.Second, "all delivered", func() bool { ids, _ := sub.UniqueIDs(topic); return len(ids) >= total })
	mu.Lock()
	dups := checkFIFO(t, "orders", want, sub.Envelopes(topic))
	mu.Unlock()
	waitUntil(t, 10*time.Second, "outbox empty", func() bool { return e.totalDepth() == 0 })
	t.Logf("%d rows through a broker restart, %d duplicates, %d reconnects", total, dups, e.c.State().Reconnects)
	if e.c.State().Reconnects < 1 {
		t.Error("no reconnect recorded")
	}
}

// TestInFlightAtDisconnect withholds every PUBACK, so the broker has the
// messages but the client never hears so, then drops the connection: the
// rows must still be in the outbox and be delivered after the reconnect.
func TestInFlightAtDisconnect(t *testing.T) {
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			url := b.start(t)
			proxy := cloudtest.StartProxy(t, url[len("tcp://"):])
			sub := cloudtest.Subscribe(t, url, testPrefix+"/events/#", cloudtest.SubscriberOptions{})
			e := newEnv(t, testConfig(proxy.URL()), nil)
			e.start()
			waitUntil(t, 10*time.Second, "connected", e.c.Connected)

			proxy.WithholdPubAcks(true)
			want := e.appendN(outbox.Payments, 40, "pay")
			topic := testPrefix + "/events/payments"
			sub.Wait(t, 10*time.Second, "broker has every message", func() bool { ids, _ := sub.UniqueIDs(topic); return len(ids) == 40 })
			time.Sleep(200 * time.Millisecond)
			if d := e.depth(outbox.Payments); d != 40 {
				t.Fatalf("rows deleted without a PUBACK: depth %d, want 40", d)
			}
			if proxy.Withheld() < 40 {
				t.Fatalf("withheld %d PUBACKs", proxy.Withheld())
			}

			// Drop the connection and keep the client out for a moment.
			proxy.Refuse(true)
			proxy.DropConnections()
			waitUntil(t, 10*time.Second, "disconnected", func() bool { return !e.c.Connected() })
			time.Sleep(100 * time.Millisecond)
			if d := e.depth(outbox.Payments); d != 40 {
				t.Fatalf("rows deleted at disconnect: depth %d, want 40", d)
			}
			rows, err := e.ob.Peek(outbox.Payments, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if rows[0].Attempts != 1 {
				t.Errorf("attempts after a failed connection: %d, want 1", rows[0].Attempts)
			}

			proxy.WithholdPubAcks(false)
			proxy.Refuse(false)
			waitUntil(t, 20*time.Second, "redelivered and deleted", func() bool { return e.depth(outbox.Payments) == 0 })
			sub.Wait(t, 10*time.Second, "duplicates", func() bool { return len(sub.Envelopes(topic)) >= 80 })
			dups := checkFIFO(t, "payments", want, sub.Envelopes(topic))
			if dups != 40 {
				t.Errorf("duplicates %d, want 40 (each withheld row sent again once)", dups)
			}
		})
	}
}

// TestDeliveryPages drains more rows than one read takes (each page is
// read into the storage of the page before): every event arrives once, in
// order, with its own data.
func TestDeliveryPages(t *testing.T) {
	url := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{}).URL()
	sub := cloudtest.Subscribe(t, url, testPrefix+"/events/orders", cloudtest.SubscriberOptions{})
	e := newEnv(t, testConfig(url), nil)
	const before, live = 4*peekBatch + 37, 2*peekBatch + 5
	want := e.appendN(outbox.Orders, before, "before")
	e.start()
	want = append(want, e.appendN(outbox.Orders, live, "live")...)
	topic := testPrefix + "/events/orders"
	sub.Wait(t, 30*time.Second, "all events", func() bool {
		got, _ := sub.UniqueIDs(topic)
		return len(got) >= len(want)
	})
	envs := sub.Envelopes(topic)
	if dups := checkFIFO(t, "orders", want, envs); dups != 0 {
		t.Errorf("%d duplicates without any reconnect", dups)
	}
	for i, env := range envs {
		tag, n := "before", i
		if i >= before {
			tag, n = "live", i-before
		}
		if w := fmt.Sprintf(`{"tag":%q,"n":%d}`, tag, n); string(env.Data) != w || env.Subject != fmt.Sprintf("%s-%d", tag, n%7) {
			t.Fatalf("event #%d: subject %q, data %s; want %q, %s", i, env.Subject, env.Data, fmt.Sprintf("%s-%d", tag, n%7), w)
		}
	}
	waitUntil(t, 10*time.Second, "outbox empty", func() bool { return e.totalDepth() == 0 })
}
