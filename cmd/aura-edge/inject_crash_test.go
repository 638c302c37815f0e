package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest/squarespec"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/testkit/cloudpeer"
)

// killingSquare is the Square stand-in in front of which the daemon is
// killed with SIGKILL once Square has taken the order's payment and before
// the daemon reads the answer: the vendor has created everything, the
// daemon has recorded nothing of it.
type killingSquare struct {
	srv  *squaretest.Server
	mu   sync.Mutex
	kill func()
	done bool
}

func (k *killingSquare) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	k.srv.ServeHTTP(rec, r)
	k.mu.Lock()
	kill := !k.done && k.kill != nil && r.Method == "POST" && r.URL.Path == "/v2/payments"
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

// TestInjectSurvivesKill9: order.inject reaches Square (order and payment
// created), the daemon is killed with SIGKILL before it reads Square's
// answer, and restarts. The pending job runs again with the same
// idempotency keys and the command is redelivered: Square holds one order
// with one payment, and one outcome event names it.
func TestInjectSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	spec, err := squarespec.Load()
	if err != nil {
		t.Fatal(err)
	}
	ks := &killingSquare{srv: squaretest.New(squaretest.WithValidator(spec))}
	hs := httptest.NewServer(ks)
	defer hs.Close()
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	const storeID = "inject-crash"
	prefix := "aura/v1/stores/" + storeID
	peer := cloudpeer.New(t, mq.URL(), storeID)
	peer.TTL = 5 * time.Minute // redelivered after a kill -9 and a restart
	sub := peer.Sub
	addr := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf("store_id: %s\ndata_dir: %s\napi:\n  listen: %s\ncloud:\n  broker: %s\n  reconnect_max: 2s\n  command_keys: [%q]\n"+
		"integrations:\n  - id: square-1\n    vendor: square\n    poll_interval: 24h\n    jitter: 1ns\nlog:\n  level: info\n",
		storeID, t.TempDir(), addr, mq.URL(), peer.CommandKey()))
	admin := createToken(t, cfg, "admin")

	send := func(id, typ string, data any) { peer.Send(t, id, typ, data) }
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
	body, _ := json.Marshal(map[string]any{"id": "square-1", "vendor": "square", "name": "Crash Square",
		"credentials": map[string]string{"access_token": squaretest.DefaultAccessToken, "webhook_signature_key": squaretest.DefaultSignatureKey},
		"settings":    map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": hs.URL, "write_retries": "0"}})
	req, _ := http.NewRequest("POST", "http://"+addr+"/integrations/pos/connect", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("connect: %v %v\n%s", resp, err, logs)
	}
	resp.Body.Close()
	menu := &model.Menu{ID: "m", Version: "v1", Currency: "USD", Name: "Café", Items: []model.Item{{ID: "item-latte", Name: "Latte",
		Variations: []model.Variation{{ID: "var-latte", Name: "12oz", Price: model.M(450, "USD")}}}}}
	send("menu-1", "menu.push", map[string]any{"menu": menu, "integration_id": "square-1"})
	sub.Wait(t, 30*time.Second, "menu pushed", func() bool { rs, _ := results("menu-1"); return len(rs) == 1 && rs[0].Status == "ok" })

	order := model.Order{ID: "ord-crash-1", Source: model.Source{Vendor: "aura", ExternalID: "ord-crash-1", Version: "1"}, State: model.OrderOpen,
		Currency: "USD", CreatedAt: time.Now().UTC().Truncate(time.Second),
		LineItems: []model.LineItem{{ID: "l1", ItemID: "item-latte", VariationID: "var-latte", Name: "Latte", Quantity: model.Q(2), UnitPrice: model.M(450, "USD")}},
		Totals:    model.Totals{Subtotal: model.M(900, "USD"), Total: model.M(900, "USD")}}
	data := map[string]any{"integration_id": "square-1", "order": order, "payment": model.Payment{ID: "pay-crash-1", Method: model.MethodCash,
		Amount: model.M(900, "USD"), Status: model.PaymentCompleted, CreatedAt: order.CreatedAt,
		Source: model.Source{Vendor: "aura", ExternalID: "pay-crash-1", Version: "1"}}}
	exited := make(chan struct{})
	ks.mu.Lock()
	ks.kill = func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(exited)
	}
	ks.mu.Unlock()
	send("inject-1", "order.inject", data)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the daemon never paid the order at Square\n%s", logs)
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
	if len(outs) != 1 || o.Status != bridge.JobDone || o.VendorOrderID == "" || o.VendorPaymentID == "" {
		t.Fatalf("outcome events: %+v", outs)
	}
	got := ks.srv.OrdersByReference("ord-crash-1")
	if len(got) != 1 || got[0].ID != o.VendorOrderID || len(got[0].Tenders) != 1 || got[0].State != "COMPLETED" {
		t.Fatalf("orders at Square: %+v", got)
	}
	if n := len(ks.srv.RequestsTo("POST", "/v2/orders")); n < 2 {
		t.Errorf("%d CreateOrder calls: the restart did not run the job again", n)
	}
	if err := sub.WaitErr(20*time.Second, func() bool { rs, _ := results("inject-1"); return len(rs) >= 1 }); err != nil {
		t.Errorf("the redelivered command got no result")
	}
	for _, v := range ks.srv.Violations() {
		t.Errorf("square stand-in: %s", v)
	}
}
