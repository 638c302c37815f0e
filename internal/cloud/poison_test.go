package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

func TestPacketSize(t *testing.T) {
	for _, tt := range []struct{ topic, payload, want int }{
		{10, 100, 1 + 1 + 2 + 10 + 2 + 100},
		{10, 200, 1 + 2 + 2 + 10 + 2 + 200},
		{0, 16379, 1 + 2 + 2 + 2 + 16379},
		{0, 16380, 1 + 3 + 2 + 2 + 16380},
	} {
		if got := packetSize(strings.Repeat("t", tt.topic), tt.payload); got != tt.want {
			t.Errorf("packetSize(%d, %d) = %d, want %d", tt.topic, tt.payload, got, tt.want)
		}
	}
}

// TestPoisonEventBecomesDeadLetter: a real mosquitto whose max_packet_size
// (3,000 bytes) is below one 5 KB order. With the link's own limit set
// higher (the broker was reconfigured behind our back) the broker drops
// the connection on that order; it must be set aside after the configured
// strikes while every other order, the payments and the notice get
// through, in order. With the limit configured to match the broker, it is
// set aside at once, without losing a connection.
func TestPoisonEventBecomesDeadLetter(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxMessage int
		reconnects bool
	}{
		{"broker limit below ours", 1 << 20, true},
		{"limit configured", 3000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{Extra: "max_packet_size 3000\n"})
			sub := cloudtest.Subscribe(t, mq.URL(), testPrefix+"/#", cloudtest.SubscriberOptions{})
			cfg := testConfig(mq.URL())
			cfg.MaxMessageBytes = tc.maxMessage
			e := newEnv(t, cfg, nil)

			before := e.appendN(outbox.Orders, 5, "before")
			poison, err := e.ob.Append(context.Background(), outbox.Entry{Stream: outbox.Orders, Type: "com.auraconnect.test.v1",
				Subject: "big", Data: []byte(fmt.Sprintf(`{"note":%q}`, strings.Repeat("x", 5000)))})
			if err != nil {
				t.Fatal(err)
			}
			after := e.appendN(outbox.Orders, 21, "after")
			payments := e.appendN(outbox.Payments, 3, "pay")
			e.start()

			orders := append(before, after...)
			topic := func(s outbox.Stream) string { return testPrefix + "/events/" + string(s) }
			sub.Wait(t, 30*time.Second, "every order but the poison, and the payments", func() bool {
				o, _ := sub.UniqueIDs(topic(outbox.Orders))
				p, _ := sub.UniqueIDs(topic(outbox.Payments))
				return len(o) >= len(orders) && len(p) >= len(payments)
			})
			checkFIFO(t, "orders", orders, sub.Envelopes(topic(outbox.Orders)))
			checkFIFO(t, "payments", payments, sub.Envelopes(topic(outbox.Payments)))

			dls, err := e.ob.DeadLetters()
			if err != nil || len(dls) != 1 || dls[0].ID != poison[0].ID || dls[0].Stream != outbox.Orders || dls[0].Reason == "" {
				t.Fatalf("dead letters %+v, %v", dls, err)
			}
			t.Logf("reason: %s", dls[0].Reason)
			sub.Wait(t, 10*time.Second, "dead letter notice", func() bool {
				for _, env := range sub.Envelopes(topic(outbox.SyncLogs)) {
					var n struct {
						EventID string `json:"event_id"`
					}
					if env.Type == outbox.DeadLetterType && json.Unmarshal(env.Data, &n) == nil && n.EventID == poison[0].ID {
						return true
					}
				}
				return false
			})
			st := e.c.State()
			if st.DeadLetters != 1 {
				t.Errorf("state dead letters %d", st.DeadLetters)
			}
			if got := st.Reconnects > 0; got != tc.reconnects {
				t.Errorf("reconnects %d, want some: %v", st.Reconnects, tc.reconnects)
			}
			waitUntil(t, 10*time.Second, "outbox empty", func() bool { return e.totalDepth() == 0 })
		})
	}
}
