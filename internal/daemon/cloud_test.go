package daemon

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/testkit/cloudpeer"
)

// TestEndToEndMosquitto runs the daemon against a real mosquitto: orders
// captured on the local API arrive at the cloud subscriber in order, a
// signed command comes back with exactly one result, and a bad command gets
// an error result while the daemon keeps running.
func TestEndToEndMosquitto(t *testing.T) {
	cloudtest.NeedMosquitto(t)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	const storeID = "e2e-store"
	peer := cloudpeer.New(t, mq.URL(), storeID)
	prefix, sub := peer.Prefix, peer.Sub
	d, logs := startDaemon(t, func(c *config.Config) {
		c.StoreID = storeID
		c.Cloud.Broker = mq.URL()
		c.Cloud.CommandKeys = []string{peer.CommandKey()}
	})
	tok, _, _ := auth.Create(d.Core().DB, auth.Terminal, "till-1")
	base := "http://" + d.APIAddr().String()
	const n = 50
	var ids []string
	for i := 0; i < n; i++ {
		code, body := request(t, "POST", base+"/v1/orders", tok, orderBody(fmt.Sprintf("E2E-%03d", i)))
		if code != 202 {
			t.Fatalf("order %d: %d %s", i, code, body)
		}
		var r struct{ ID string }
		json.Unmarshal([]byte(body), &r)
		ids = append(ids, r.ID)
	}
	sub.Wait(t, 20*time.Second, "orders delivered", func() bool {
		return len(sub.Envelopes(prefix+"/events/orders")) >= n
	})
	envs := sub.Envelopes(prefix + "/events/orders")
	for i, env := range envs[:n] {
		if env.Subject != ids[i] || env.SpecVersion != "1.0" || env.Source != "aura-edge://"+storeID {
			t.Fatalf("envelope %d out of order or malformed: %+v", i, env)
		}
	}
	// A signed orders.sync with no integrations: exactly one error result.
	send := func(id, typ string, data string, sign bool) {
		t.Logf("%s send %s %s", time.Now().Format("15:04:05.000"), id, typ)
		if sign {
			peer.Send(t, id, typ, json.RawMessage(data))
		} else {
			peer.Publish(t, typ, peer.Unsigned(t, id, typ, json.RawMessage(data)))
		}
	}
	send("cmd-1", "orders.sync", `{}`, true)
	send("cmd-2", "menu.push", `{"menu":{"id":"m1"}}`, false) // unsigned: rejected
	send("cmd-3", "frobnicate", `{}`, true)                   // unknown
	sub.Wait(t, 20*time.Second, "first results", func() bool { return len(sub.Envelopes(prefix+"/cmd-results")) >= 3 })
	send("cmd-1", "orders.sync", `{}`, true) // replay after completion: the stored result again, not a re-run
	if err := sub.WaitErr(20*time.Second, func() bool { return len(sub.Envelopes(prefix+"/cmd-results")) >= 4 }); err != nil {
		for _, m := range sub.Messages(prefix + "/cmd-results") {
			t.Logf("%s result: %s", m.At.Format("15:04:05.000"), m.Payload)
		}
		t.Fatalf("command results: %v\n%s", err, logs)
	}
	results := map[string][]string{}
	for _, id := range []string{"cmd-1", "cmd-2", "cmd-3"} {
		for _, r := range peer.Results(id) {
			results[id] = append(results[id], r.Status+"/"+r.Code)
		}
	}
	if got := results["cmd-1"]; len(got) != 2 || got[0] != got[1] || !strings.HasPrefix(got[0], "error/no_integrations") {
		t.Errorf("cmd-1 results %v", got)
	}
	if got := results["cmd-2"]; len(got) != 1 || !strings.HasPrefix(got[0], "rejected/") {
		t.Errorf("cmd-2 (unsigned) results %v", got)
	}
	if got := results["cmd-3"]; len(got) != 1 || got[0] == "ok/ok" {
		t.Errorf("cmd-3 (unknown) results %v", got)
	}
	// The commands were audited and the daemon still serves.
	if code, _ := request(t, "GET", base+"/healthz", "", nil); code != 200 {
		t.Fatalf("healthz after bad commands: %d\n%s", code, logs)
	}
	recs, _ := d.Core().Audit.Query(auditFilterCommands())
	if len(recs) < 3 {
		t.Fatalf("only %d command audit records", len(recs))
	}
	// The retained status says online.
	var status struct {
		Online bool `json:"online"`
	}
	st := sub.Messages(prefix + "/status")
	if len(st) == 0 || json.Unmarshal(st[len(st)-1].Payload, &status) != nil || !status.Online {
		t.Fatalf("status messages: %d", len(st))
	}
}

func orderBody(ext string) []byte {
	return []byte(fmt.Sprintf(`{"source":{"vendor":"local","external_id":%q,"version":"1"},"state":"completed","currency":"USD",
	"created_at":"2026-11-23T09:30:00Z","line_items":[{"id":"li1","name":"Latte","quantity":1,"unit_price":{"amount":450,"currency":"USD"}}],
	"totals":{"subtotal":{"amount":450,"currency":"USD"},"total":{"amount":450,"currency":"USD"}}}`, ext))
}

// TestTLSFailureKeepsCapturing: with an expired client certificate the
// link fails (a clear log line, retries) while the till's orders are still
// accepted and buffered; after the installer fixes the certificate and
// restarts, everything buffered is delivered over mutual TLS.
func TestTLSFailureKeepsCapturing(t *testing.T) {
	cloudtest.NeedMosquitto(t)
	pki := cloudtest.NewPKI(t)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{TLS: &cloudtest.TLSListener{
		CAFile: pki.CAFile, CertFile: pki.ServerCert, KeyFile: pki.ServerKey, RequireClientCert: true,
	}})
	const storeID = "tls-store"
	topic := "aura/v1/stores/" + storeID + "/events/orders"
	sub := cloudtest.Subscribe(t, mq.URL(), topic, cloudtest.SubscriberOptions{})
	dataDir := t.TempDir()
	edit := func(cert, key string) func(*config.Config) {
		return func(c *config.Config) {
			c.StoreID, c.DataDir = storeID, dataDir
			c.Cloud.Broker = mq.TLSURL()
			c.Cloud.TLS = cloud.TLSConfig{CAFile: pki.CAFile, CertFile: cert, KeyFile: key}
		}
	}
	d, logs, stop := startDaemonStop(t, edit(pki.ExpiredCert, pki.ExpiredKey))
	tok, _, _ := auth.Create(d.Core().DB, auth.Terminal, "till")
	for i := 0; i < 10; i++ {
		code, body := request(t, "POST", "http://"+d.APIAddr().String()+"/v1/orders", tok, orderBody(fmt.Sprintf("TLS-%03d", i)))
		if code != 202 {
			t.Fatalf("capture while the link fails: %d %s", code, body)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(logs.String(), "cloud TLS failure") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "cloud TLS failure") || !strings.Contains(logs.String(), "expired") {
		t.Fatalf("no clear TLS log line:\n%s", logs)
	}
	if depth := d.Core().Outbox.Stats()[0].Depth; depth != 10 {
		t.Fatalf("buffered %d orders, want 10", depth)
	}
	if n := len(sub.Messages(topic)); n != 0 {
		t.Fatalf("%d orders delivered with an expired certificate", n)
	}
	stop()
	// The installer fixes the certificate and restarts.
	startDaemonStop(t, edit(pki.ClientCert, pki.ClientKey))
	sub.Wait(t, 20*time.Second, "buffered orders delivered over mutual TLS", func() bool {
		ids, _ := sub.UniqueIDs(topic)
		return len(ids) >= 10
	})
}
