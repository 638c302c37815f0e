package cloud

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// aclFile writes a mosquitto ACL (anonymous clients) that lets the store
// publish everything but payments unless allowPayments; the broker
// acknowledges denied QoS 1 publishes (MQTT 3.1.1) and drops them.
func aclFile(t *testing.T, dir string, allowPayments bool) string {
	t.Helper()
	acl := "topic read #\n" +
		"topic write " + testPrefix + "/events/orders\n" +
		"topic write " + testPrefix + "/events/sync-logs\n" +
		"topic write " + testPrefix + "/cmd-results\n" +
		"topic write " + testPrefix + "/status\n" +
		"topic write " + testPrefix + "/receipts\n"
	if allowPayments {
		acl += "topic write " + testPrefix + "/events/payments\n"
	}
	p := filepath.Join(dir, "acl")
	if err := os.WriteFile(p, []byte(acl), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// startReceiptCloud is the cloud's side of receipts: it confirms every
// event id it receives, in batches, on <prefix>/receipts.
func startReceiptCloud(t *testing.T, sub *cloudtest.Subscriber) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() {
		confirmed := map[string]bool{}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var ids []string
			for _, s := range []outbox.Stream{outbox.Orders, outbox.Payments, outbox.SyncLogs} {
				for _, e := range sub.Envelopes(testPrefix + "/events/" + string(s)) {
					if !confirmed[e.ID] {
						confirmed[e.ID] = true
						ids = append(ids, e.ID)
					}
				}
			}
			if len(ids) > 0 {
				b, _ := json.Marshal(map[string]any{"ids": ids})
				_ = sub.Publish(testPrefix+"/receipts", b, false)
			}
		}
	})
}

// TestReceiptsSurviveACLDenial: a broker whose ACL denies the payments
// topic acknowledges the publishes and drops them. Without receipts the
// payments leave the outbox and reach no one; with receipts they stay,
// are sent again, the misses are logged and counted, and once the ACL is
// fixed they arrive: nothing acknowledged is lost.
func TestReceiptsSurviveACLDenial(t *testing.T) {
	for _, receipts := range []bool{false, true} {
		name := map[bool]string{false: "PUBACK only loses them", true: "receipts keep them"}[receipts]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			acl := aclFile(t, dir, false)
			// The cloud's session survives the broker restart below, so it
			// misses nothing published before it is back.
			mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{Persistence: true, Extra: "acl_file " + acl + "\n"})
			sub := cloudtest.Subscribe(t, mq.URL(), testPrefix+"/#", cloudtest.SubscriberOptions{Persistent: true})
			cfg := testConfig(mq.URL())
			cfg.Receipts = ReceiptsConfig{Enabled: receipts, Timeout: time.Second}
			e := newEnv(t, cfg, nil)
			if receipts {
				startReceiptCloud(t, sub)
			}
			orders := e.appendN(outbox.Orders, 20, "o")
			payments := e.appendN(outbox.Payments, 5, "p")
			e.start()

			topic := func(s outbox.Stream) string { return testPrefix + "/events/" + string(s) }
			sub.Wait(t, 10*time.Second, "the orders", func() bool { ids, _ := sub.UniqueIDs(topic(outbox.Orders)); return len(ids) >= len(orders) })
			payDepth := func() int { return e.ob.Stats()[1].Depth }
			if !receipts {
				waitUntil(t, 10*time.Second, "outbox empty", func() bool { return e.totalDepth() == 0 })
				if got, _ := sub.UniqueIDs(topic(outbox.Payments)); len(got) != 0 {
					t.Fatalf("the denied payments arrived: %v", got)
				}
				t.Logf("without receipts: %d acknowledged payments deleted from the outbox, 0 delivered", len(payments))
				return
			}
			waitUntil(t, 10*time.Second, "orders confirmed", func() bool { return e.ob.Stats()[0].Depth == 0 })
			waitUntil(t, 10*time.Second, "the missing receipts counted", func() bool { return e.c.State().Unconfirmed >= uint64(len(payments)) })
			if d := payDepth(); d != len(payments) {
				t.Fatalf("payments in the outbox: %d, want %d", d, len(payments))
			}
			if !e.logs.has("not confirmed by the cloud") {
				t.Error("the missing receipts were not logged")
			}
			// The operator fixes the ACL; the broker restarts.
			aclFile(t, dir, true)
			if err := mq.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := mq.Start(); err != nil {
				t.Fatal(err)
			}
			sub.Wait(t, 20*time.Second, "the payments", func() bool { ids, _ := sub.UniqueIDs(topic(outbox.Payments)); return len(ids) >= len(payments) })
			checkFIFO(t, "payments", payments, sub.Envelopes(topic(outbox.Payments)))
			waitUntil(t, 10*time.Second, "everything confirmed", func() bool { return e.totalDepth() == 0 })
			if st := e.c.State(); st.AwaitingReceipt != 0 {
				t.Errorf("state %+v", st)
			}
		})
	}
}

// TestReceiptBookPubacked: only the broker's acknowledgement of an event's
// latest publish counts it as waiting for nothing but its receipt; a lost
// connection or a receipt ends that.
func TestReceiptBookPubacked(t *testing.T) {
	rb := newReceiptBook(ReceiptsConfig{Timeout: time.Minute, MaxPending: 10})
	now := time.Now()
	a, b := &outbox.Row{ID: "a", Seq: 1}, &outbox.Row{ID: "b", Seq: 2}
	first := rb.sending(outbox.Orders, a, now)
	rb.sending(outbox.Orders, b, now)
	if got := rb.ackedLen(); got != 0 {
		t.Fatalf("before any PUBACK: %d acknowledged", got)
	}
	rb.pubacked("a", first)
	if got := rb.ackedLen(); got != 1 {
		t.Fatalf("after a's PUBACK: %d acknowledged, want 1", got)
	}
	again := rb.sending(outbox.Orders, a, now.Add(time.Minute)) // its receipt was late
	if got := rb.ackedLen(); got != 0 {
		t.Fatalf("a published again: %d acknowledged, want 0", got)
	}
	rb.pubacked("a", first) // the earlier publish's PUBACK says nothing of this one
	if got := rb.ackedLen(); got != 0 {
		t.Fatalf("stale PUBACK counted: %d acknowledged, want 0", got)
	}
	rb.pubacked("a", again)
	rb.pubacked("b", 1)
	if got := rb.ackedLen(); got != 2 {
		t.Fatalf("both acknowledged: %d, want 2", got)
	}
	rb.connectionEnded()
	if got := rb.ackedLen(); got != 0 {
		t.Fatalf("after the connection ended: %d acknowledged, want 0 (due again)", got)
	}
	rb.sending(outbox.Orders, b, now)
	rb.pubacked("b", 2)
	rb.take([]string{"b"})
	rb.pubacked("b", 2)
	if got := rb.ackedLen(); got != 0 {
		t.Fatalf("after b's receipt: %d acknowledged, want 0", got)
	}
}
