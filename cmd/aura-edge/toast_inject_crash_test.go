package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// killingToast is the Toast stand-in in front of which the daemon is killed
// with SIGKILL once Toast has created the order and before the daemon reads
// the answer.
type killingToast struct {
	srv  *toasttest.Server
	mu   sync.Mutex
	kill func()
	done bool
}

func (k *killingToast) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	k.srv.ServeHTTP(rec, r)
	k.mu.Lock()
	kill := !k.done && k.kill != nil && r.Method == "POST" && r.URL.Path == "/orders/v2/orders" && rec.Code == http.StatusOK
	if kill {
		k.done = true
		k.kill()
	}
	k.mu.Unlock()
	for key, v := range rec.Header() {
		w.Header()[key] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// TestToastInjectSurvivesKill9: order.inject reaches Toast (the order is
// created), the daemon is killed with SIGKILL before it reads Toast's
// answer, and restarts. The pending job runs again, finds the order by its
// externalId, and the redelivered command gets the same answer: Toast holds
// one order, and one outcome event names it.
func TestToastInjectSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	kt := &killingToast{srv: toasttest.New()}
	defer kt.srv.Close()
	kt.srv.SeedMenuItem("Latte", 4.50, false)
	hs := httptest.NewServer(kt)
	defer hs.Close()
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	const storeID = "toast-crash"
	prefix := "aura/v1/stores/" + storeID
	sub := cloudtest.Subscribe(t, mq.URL(), prefix+"/#", cloudtest.SubscriberOptions{})
	pub, priv, _ := ed25519.GenerateKey(nil)
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf("store_id: %s\ndata_dir: %s\napi:\n  listen: %s\ncloud:\n  broker: %s\n  reconnect_max: 2s\n  command_keys: [%q]\n"+
		"integrations:\n  - id: toast-1\n    vendor: toast\n    poll_interval: 24h\n    jitter: 1ns\nlog:\n  level: info\n",
		storeID, t.TempDir(), addr, mq.URL(), base64.StdEncoding.EncodeToString(pub)))
	admin := createToken(t, cfg, "admin")

	send := func(id, typ string, data any) {
		raw, _ := json.Marshal(data)
		now := time.Now().UTC()
		env := cloud.CommandEnvelope{SpecVersion: "1.0", ID: id, Type: typ, Time: now.Format(time.RFC3339),
			Expires: now.Add(5 * time.Minute).Format(time.RFC3339), Data: raw}
		env.Sign(storeID, priv)
		b, _ := env.Marshal()
		if err := sub.Publish(prefix+"/cmd/"+typ, b, false); err != nil {
			t.Fatal(err)
		}
	}
	results := func(id string) (rs []cloud.Result, outs []bridge.JobOutcome) {
		for _, env := range sub.Envelopes(prefix + "/cmd-results") {
			var r cloud.Result
			var o bridge.JobOutcome
			switch {
			case env.Type == cloud.ResultType && json.Unmarshal(env.Data, &r) == nil && r.CommandID == id:
				rs = append(rs, r)
			case env.Type == bridge.InjectResultType && json.Unmarshal(env.Data, &o) == nil && o.ID == id:
				outs = append(outs, o)
			}
		}
		return rs, outs
	}
	online := func(after time.Time) func() bool {
		return func() bool {
			for _, m := range sub.Messages(prefix + "/status") {
				var s struct {
					Online    bool
					StartedAt time.Time `json:"started_at"`
				}
				if json.Unmarshal(m.Payload, &s) == nil && s.Online && s.StartedAt.After(after) {
					return true
				}
			}
			return false
		}
	}

	started := time.Now().Add(-time.Second)
	cmd, logs := startDaemon(t, cfg, addr)
	sub.Wait(t, 20*time.Second, "daemon online", online(started))
	settings := kt.srv.Settings("USD")
	settings["base_url"] = hs.URL
	maps.Copy(settings, toasttest.InjectSettings())
	body, _ := json.Marshal(map[string]any{"id": "toast-1", "vendor": "toast", "name": "Crash Toast",
		"credentials": kt.srv.Credentials(), "settings": settings})
	req, _ := http.NewRequest("POST", "http://"+addr+"/integrations/pos/connect", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("connect: %v %v\n%s", resp, err, logs)
	}
	resp.Body.Close()

	order := model.Order{ID: "ord-toast-crash-1", Source: model.Source{Vendor: "aura", ExternalID: "ord-toast-crash-1", Version: "1"}, State: model.OrderOpen,
		Currency: "USD", CreatedAt: time.Now().UTC().Truncate(time.Second),
		LineItems: []model.LineItem{{ID: "l1", ItemID: "item-latte", Name: "Latte", Quantity: model.Q(2), UnitPrice: model.M(450, "USD")}},
		Totals:    model.Totals{Subtotal: model.M(900, "USD"), Total: model.M(900, "USD")}}
	data := map[string]any{"integration_id": "toast-1", "order": order, "payment": model.Payment{ID: "pay-toast-crash-1", Method: model.MethodCash,
		Amount: model.M(900, "USD"), Status: model.PaymentCompleted, CreatedAt: order.CreatedAt,
		Source: model.Source{Vendor: "aura", ExternalID: "pay-toast-crash-1", Version: "1"}}}
	exited := make(chan struct{})
	kt.mu.Lock()
	kt.kill = func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(exited)
	}
	kt.mu.Unlock()
	send("inject-1", "order.inject", data)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the daemon never created the order at Toast\n%s", logs)
	}
	if rs, outs := results("inject-1"); len(rs)+len(outs) != 0 {
		t.Fatalf("a result left before the kill: %+v %+v", rs, outs)
	}

	started = time.Now().Add(-time.Second)
	cmd2, logs2 := startDaemon(t, cfg, addr)
	defer func() { cmd2.Process.Signal(syscall.SIGTERM); cmd2.Wait() }()
	sub.Wait(t, 20*time.Second, "daemon online again", online(started))
	send("inject-1", "order.inject", data) // the cloud redelivers, too
	var outs []bridge.JobOutcome
	if err := sub.WaitErr(30*time.Second, func() bool { _, outs = results("inject-1"); return len(outs) > 0 }); err != nil {
		t.Fatalf("no outcome event after the restart\n%s", logs2)
	}
	o := outs[0]
	if len(outs) != 1 || o.Status != bridge.JobDone || o.VendorOrderID == "" || o.VendorPaymentID == "" || !o.Existing {
		t.Fatalf("outcome events: %+v", outs)
	}
	if got := kt.srv.OrdersByExternalID("AURA:ord-toast-crash-1"); len(got) != 1 || got[0] != o.VendorOrderID || kt.srv.Creates() != 1 {
		t.Fatalf("orders at Toast: %v (%d creates)", got, kt.srv.Creates())
	}
	if err := sub.WaitErr(20*time.Second, func() bool { rs, _ := results("inject-1"); return len(rs) >= 1 }); err != nil {
		t.Errorf("the redelivered command got no result")
	}
}
