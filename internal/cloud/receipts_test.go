package cloud

import (
	"context"
	"encoding/json"
	"fmt"
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
			//
			// The copies the daemon sends right after the restart, before
			// this test's subscriber is back, often never reach it although
			// its session (clean session off, QoS 1) was restored from
			// mosquitto's persistence file: mosquitto (2.0.11 here) checks
			// its acl_file for a restored client only once the client has
			// connected again (a restored client has no username and no
			// ACL list yet, eclipse-mosquitto/mosquitto#384), so until then
			// every message for it is refused by the "read" check and not
			// queued. Without acl_file they are queued and delivered. The
			// broker acknowledged them, so only receipts mode gets them to
			// the cloud: the unconfirmed rows are sent again after their
			// timeout. Not a defect of the daemon; a caveat for a cloud
			// consumer behind an ACL (README, "Nothing lost").
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

// TestReceiptsFastCloudNoCopies: a cloud that confirms promptly gets each
// event once, also while events keep being captured during the drain.
//
// "Promptly" must hold on a loaded machine: the stand-in cloud confirms on
// a 20 ms tick, but the test failed once with 50 copies at load ~5.5 (on
// main's code and on a branch alike) with a 1 s receipt timeout, which a
// receipt delayed by the load can exceed; a resend is then the policy's
// right answer, not a defect. The timeout is therefore 5 s, which no
// receipt of this stand-in comes near: what the test checks is that nothing
// is sent again without a late receipt (on reconnect, while older rows are
// being confirmed, after a page refill).
func TestReceiptsFastCloudNoCopies(t *testing.T) {
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	sub := cloudtest.Subscribe(t, mq.URL(), testPrefix+"/#", cloudtest.SubscriberOptions{})
	cfg := testConfig(mq.URL())
	cfg.Receipts = ReceiptsConfig{Enabled: true, Timeout: 5 * time.Second}
	e := newEnv(t, cfg, nil)
	startReceiptCloud(t, sub)
	ids := e.appendN(outbox.Orders, 1000, "a")
	e.start()
	for i := range 20 {
		ids = append(ids, e.appendN(outbox.Orders, 50, fmt.Sprintf("b%d-", i))...)
		time.Sleep(50 * time.Millisecond) // capture goes on during the drain
	}
	topic := testPrefix + "/events/orders"
	sub.Wait(t, 30*time.Second, "every order", func() bool { got, _ := sub.UniqueIDs(topic); return len(got) >= len(ids) })
	waitUntil(t, 10*time.Second, "everything confirmed", func() bool { return e.totalDepth() == 0 })
	_, dups := sub.UniqueIDs(topic)
	t.Logf("%d orders, %d copies, %d overdue", len(ids), dups, e.c.State().Unconfirmed)
	if dups > 0 {
		t.Errorf("%d copies of %d orders for a cloud that confirms on a 20 ms tick (receipt timeout 5 s)", dups, len(ids))
	}
}
