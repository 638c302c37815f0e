package daemon

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
)

// TestCommandsDuringDrain: a cloud command that arrives while the stop
// drains (intake stopped, the link still up) and needs intake parts gets a
// clear, retryable refusal at once, nothing is recorded for it, and the
// same command id runs normally after the restart; commands that need only
// the sinks (ping) still run.
func TestCommandsDuringDrain(t *testing.T) {
	cloudtest.NeedMosquitto(t)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	proxy := cloudtest.StartProxy(t, strings.TrimPrefix(mq.URL(), "tcp://"))
	const storeID = "gate-store"
	prefix := "aura/v1/stores/" + storeID
	sub := cloudtest.Subscribe(t, mq.URL(), prefix+"/#", cloudtest.SubscriberOptions{})
	pub, key, _ := ed25519.GenerateKey(nil)
	var dataDir string
	edit := func(broker string) func(*config.Config) {
		return func(c *config.Config) {
			c.StoreID = storeID
			c.Cloud.Broker = broker
			c.Cloud.CommandKeys = []string{base64.StdEncoding.EncodeToString(pub)}
			c.Shutdown.DrainTimeout = 60 * time.Second
			if dataDir != "" {
				c.DataDir = dataDir
			}
			dataDir = c.DataDir
		}
	}
	send := func(id, typ string) {
		t.Helper()
		now := time.Now().UTC()
		env := cloud.CommandEnvelope{SpecVersion: "1.0", ID: id, Type: typ, Time: now.Format(time.RFC3339),
			Expires: now.Add(time.Minute).Format(time.RFC3339), Data: json.RawMessage(`{}`)}
		env.Sign(storeID, key)
		b, err := env.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.Publish(prefix+"/cmd/"+typ, b, false); err != nil {
			t.Fatal(err)
		}
	}
	// results are the distinct results for id (a result the broker did
	// not acknowledge is sent again, under the same event id, after the
	// restart).
	results := func(id string) []cloud.Result {
		var out []cloud.Result
		seen := map[string]bool{}
		for _, env := range sub.Envelopes(prefix + "/cmd-results") {
			var r cloud.Result
			if env.Type == cloud.ResultType && !seen[env.ID] && json.Unmarshal(env.Data, &r) == nil && r.CommandID == id {
				seen[env.ID] = true
				out = append(out, r)
			}
		}
		return out
	}

	d, logs, stop := startDaemonStop(t, edit("tcp://"+proxy.Addr()))
	waitUntil(t, 15*time.Second, "cloud link connected", func() bool { return d.Core().Cloud.State().Connected })
	// The broker keeps its PUBACKs to itself: the order stays in the
	// outbox and holds the drain open while the link stays connected.
	proxy.WithholdPubAcks(true)
	captureOrders(t, d, "GATE", 1)
	done := stopAsync(stop)
	waitUntil(t, 15*time.Second, "intake stopped", func() bool { return strings.Contains(logs.String(), "intake stopped, draining") })

	send("sync-during-drain", "orders.sync")
	send("ping-during-drain", "ping")
	sub.Wait(t, 30*time.Second, "both results", func() bool {
		return len(results("sync-during-drain")) > 0 && len(results("ping-during-drain")) > 0
	})
	r := results("sync-during-drain")[0]
	if r.Status != cloud.StatusError || r.Code != cloud.CodeShuttingDown || !strings.Contains(r.Message, "shutting down") ||
		!strings.Contains(r.Message, "retry") {
		t.Errorf("orders.sync during the drain: %+v, want a shutting_down error saying the cloud will retry", r)
	}
	if p := results("ping-during-drain")[0]; p.Status != cloud.StatusOK {
		t.Errorf("ping during the drain: %+v, want ok", p)
	}
	select {
	case <-done:
		t.Fatal("the drain ended while the broker withheld the order's PUBACK")
	default:
	}
	// End the drain: the link goes down, what is left stays in the store.
	proxy.Refuse(true)
	proxy.DropConnections()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		t.Fatalf("stop did not return after the link went down\n%s", logs)
	}

	// The refusal recorded nothing: the cloud's retry with the same id
	// runs (here it finds no POS integration), it is not a replay.
	d2, _, _ := startDaemonStop(t, edit(mq.URL()))
	waitUntil(t, 15*time.Second, "cloud link connected (commands subscribed)", func() bool { return d2.Core().Cloud.State().Connected })
	send("sync-during-drain", "orders.sync")
	sub.Wait(t, 30*time.Second, "the retry's result", func() bool { return len(results("sync-during-drain")) > 1 })
	if r := results("sync-during-drain")[1]; r.Code == cloud.CodeShuttingDown || r.Code == cloud.CodeReplayed {
		t.Errorf("orders.sync sent again after the restart: %+v, want it run", r)
	}
}
