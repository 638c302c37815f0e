package daemon

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest/squarespec"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/provision"
	"github.com/auraconnect/aura-edge/internal/store"
	"github.com/auraconnect/aura-edge/internal/testkit/cloudpeer"
)

// twoWay is a daemon on a real mosquitto with a Square stand-in that
// validates every request against Square's OpenAPI document.
type twoWay struct {
	d      *Daemon
	logs   *logBuffer
	mq     *cloudtest.Mosquitto
	peer   *cloudpeer.Peer
	sub    *cloudtest.Subscriber // peer.Sub
	store  string
	prefix string
	srv    *squaretest.Server
	dir    string
	mqDir  string
	base   string
	admin  string
}

// relayURL is where the cloud receives Square's webhooks (what Square signs).
const relayURL = "https://cloud.example/relay/square-1"

func startTwoWay(t *testing.T) *twoWay {
	t.Helper()
	spec, err := squarespec.Load()
	if err != nil {
		t.Fatal(err)
	}
	w := &twoWay{store: "twoway-store", srv: squaretest.Start(t, squaretest.WithValidator(spec))}
	w.prefix = "aura/v1/stores/" + w.store
	w.mqDir = t.TempDir()
	w.mq = cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{Persistence: true, Dir: w.mqDir})
	w.peer = cloudpeer.New(t, w.mq.URL(), w.store)
	w.sub = w.peer.Sub
	w.d, w.logs = startDaemon(t, func(c *config.Config) {
		c.StoreID = w.store
		c.Cloud.Broker = w.mq.URL()
		c.Cloud.CommandKeys = []string{w.peer.CommandKey()}
		c.Integrations = []config.Integration{{ID: "square-1", PollInterval: 24 * time.Hour, Jitter: time.Nanosecond, MaxAttempts: 3}}
		w.dir = c.DataDir
	})
	tok, _, err := auth.Create(w.d.Core().DB, auth.Admin, "twoway-admin")
	if err != nil {
		t.Fatal(err)
	}
	w.admin, w.base = tok, "http://"+w.d.APIAddr().String()
	w.sub.Wait(t, 20*time.Second, "daemon online", func() bool { return w.provisioningKey() != "" })
	return w
}

// provisioningKey reads the store's public sealing key from its status.
func (w *twoWay) provisioningKey() string {
	for _, m := range w.sub.Messages(w.prefix + "/status") {
		var s struct {
			Online bool
			Key    string `json:"provisioning_key"`
		}
		if json.Unmarshal(m.Payload, &s) == nil && s.Online && s.Key != "" {
			return s.Key
		}
	}
	return ""
}

// send publishes a signed command (again, when id was sent before).
func (w *twoWay) send(t *testing.T, id, typ string, data any) { w.peer.Send(t, id, typ, data) }

// results returns the command results (type ResultType) for id.
func (w *twoWay) results(id string) []cloud.Result { return w.peer.Results(id) }

// outcomes returns the job outcome events for id.
func (w *twoWay) outcomes(id string) []bridge.JobOutcome {
	var out []bridge.JobOutcome
	for _, env := range w.sub.Envelopes(w.prefix + "/cmd-results") {
		var o bridge.JobOutcome
		if (env.Type == bridge.InjectResultType || env.Type == bridge.RefundResultType) && json.Unmarshal(env.Data, &o) == nil && o.ID == id {
			out = append(out, o)
		}
	}
	return out
}

// command sends a command and waits for its n-th result.
func (w *twoWay) command(t *testing.T, id, typ string, data any, n int) cloud.Result {
	t.Helper()
	w.send(t, id, typ, data)
	r, err := w.peer.WaitResult(id, n, 30*time.Second)
	if err != nil {
		t.Fatalf("result %d of %s %s: %v\n%s", n, typ, id, err, w.logs)
	}
	return r
}

func injectData(orderID string, extra ...model.LineItem) map[string]any {
	o := model.Order{ID: orderID, Source: model.Source{Vendor: "aura", ExternalID: orderID, Version: "1"}, State: model.OrderOpen,
		Currency: "USD", CreatedAt: time.Now().UTC().Truncate(time.Second),
		LineItems: []model.LineItem{
			{ID: "l1", ItemID: "item-latte", VariationID: "var-latte-16", Name: "Latte", Quantity: model.Q(1), UnitPrice: model.M(525, "USD"),
				Modifiers: []model.LineModifier{{ModifierID: "mod-oat", Name: "Oat milk", Quantity: model.Q(1), UnitPrice: model.M(75, "USD")}}},
			{ID: "l2", ItemID: "item-croissant", VariationID: "var-croissant-plain", Name: "Croissant", Quantity: model.Q(2), UnitPrice: model.M(325, "USD")},
		}}
	o.LineItems = append(o.LineItems, extra...)
	var sub int64
	for _, l := range o.LineItems {
		g := l.UnitPrice.Amount
		for _, m := range l.Modifiers {
			g += m.UnitPrice.Amount
		}
		sub += g * l.Quantity.Milli() / 1000
	}
	o.Totals = model.Totals{Subtotal: model.M(sub, "USD"), Total: model.M(sub, "USD")}
	return map[string]any{"integration_id": "square-1", "order": o,
		"payment": model.Payment{ID: "pay-" + orderID, Method: model.MethodCard, Amount: model.M(sub, "USD"), Status: model.PaymentCompleted,
			Source: model.Source{Vendor: "aura", ExternalID: "pay-" + orderID, Version: "1"}, CreatedAt: o.CreatedAt}}
}

// TestTwoWayEndToEnd: remote provisioning with sealed credentials, menu
// push, order injection (twice: one order at Square), an unknown item
// refused with nothing created, partial refunds, relayed webhooks with good
// and bad signatures, and no credential in clear in the bbolt file, the
// logs or the broker's stored messages.
func TestTwoWayEndToEnd(t *testing.T) {
	w := startTwoWay(t)
	secret := squaretest.DefaultAccessToken
	sigKey := squaretest.DefaultSignatureKey

	// 1. integration.connect with credentials sealed to the store.
	sealed, err := provision.Seal(w.provisioningKey(), w.store, map[string]string{"access_token": secret, "webhook_signature_key": sigKey})
	if err != nil {
		t.Fatal(err)
	}
	res := w.command(t, "c-connect", "integration.connect", map[string]any{"id": "square-1", "vendor": "square", "name": "Remote Square",
		"settings":           map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": w.srv.URL(), "write_retries": "0", "webhook_url": relayURL},
		"sealed_credentials": sealed}, 1)
	if res.Status != "ok" {
		t.Fatalf("integration.connect: %+v", res)
	}
	// Sealed to another store: refused, nothing stored.
	other, _ := provision.Seal(w.provisioningKey(), "another-store", map[string]string{"access_token": secret})
	if r := w.command(t, "c-connect-bad", "integration.connect", map[string]any{"id": "square-2", "vendor": "square",
		"settings": map[string]string{"location_id": "L"}, "sealed_credentials": other}, 1); r.Status != "error" || r.Code != "bad_credentials" {
		t.Errorf("connect with another store's blob: %+v", r)
	}

	// 2. The menu push records the id mappings injection uses.
	if r := w.command(t, "c-menu", "menu.push", menuPush{Menu: cafeMenu("v1", nil), IntegrationID: "square-1"}, 1); r.Status != "ok" {
		t.Fatalf("menu.push: %+v", r)
	}

	// 3. order.inject, then the same command redelivered: one order.
	res = w.command(t, "c-inject-1", "order.inject", injectData("ord-aura-1"), 1)
	var out bridge.JobOutcome
	mustJSON(t, res.Details, &out)
	if res.Status != "ok" || out.Status != bridge.JobDone || out.VendorOrderID == "" || out.VendorPaymentID == "" {
		t.Fatalf("order.inject: %+v %s", res, res.Details)
	}
	w.command(t, "c-inject-1", "order.inject", injectData("ord-aura-1"), 2)
	if got := w.srv.OrdersByReference("ord-aura-1"); len(got) != 1 || got[0].ID != out.VendorOrderID || got[0].State != "COMPLETED" {
		t.Fatalf("orders at Square for ord-aura-1: %+v", got)
	}
	if n := len(w.srv.RequestsTo("POST", "/v2/orders")); n != 1 {
		t.Errorf("%d CreateOrder calls, want 1 (the redelivery must not call Square)", n)
	}
	if ev := w.outcomes("c-inject-1"); len(ev) != 1 || ev[0].VendorOrderID != out.VendorOrderID {
		t.Errorf("outcome events: %+v", ev)
	}

	// 4. An item the POS does not know: refused naming it, nothing created.
	before := len(w.srv.Requests())
	res = w.command(t, "c-inject-2", "order.inject", injectData("ord-aura-2",
		model.LineItem{ID: "l3", ItemID: "item-bagel", VariationID: "var-bagel", Name: "Bagel", Quantity: model.Q(1), UnitPrice: model.M(300, "USD")}), 1)
	if res.Status != "error" || res.Code != bridge.JobRefused || !strings.Contains(res.Message, "Bagel") {
		t.Errorf("unknown item: %+v", res)
	}
	if rs := w.srv.Requests()[before:]; len(rs) != 0 {
		t.Errorf("%d requests reached Square for a refused order: %s %s", len(rs), rs[0].Method, rs[0].Path)
	}

	// 4b. The local route: the same Idempotency-Key twice is one order; no
	// key is refused.
	local := func(key string) (int, bridge.JobOutcome) {
		b, _ := json.Marshal(injectData("ord-aura-local"))
		req, _ := http.NewRequest("POST", w.base+"/integrations/pos/orders/inject", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+w.admin)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var o bridge.JobOutcome
		json.NewDecoder(resp.Body).Decode(&o)
		return resp.StatusCode, o
	}
	c1, o1 := local("kiosk-7-0001")
	c2, o2 := local("kiosk-7-0001")
	if c1 != http.StatusCreated || c2 != http.StatusOK || o1.VendorOrderID == "" || o2.VendorOrderID != o1.VendorOrderID {
		t.Errorf("local inject: %d %+v then %d %+v", c1, o1, c2, o2)
	}
	if n := len(w.srv.OrdersByReference("ord-aura-local")); n != 1 {
		t.Errorf("%d orders at Square from the local route, want 1", n)
	}
	if c, _ := local(""); c != http.StatusBadRequest {
		t.Errorf("local inject without Idempotency-Key: %d", c)
	}

	// 5. A partial refund, redelivered: one refund.
	refund := map[string]any{"integration_id": "square-1", "order_id": "ord-aura-1", "amount": model.M(300, "USD"), "reason": "cold latte"}
	paymentID := out.VendorPaymentID
	res = w.command(t, "c-refund-1", "order.refund", refund, 1)
	mustJSON(t, res.Details, &out)
	if res.Status != "ok" || out.Status != bridge.JobDone || out.VendorRefundID == "" {
		t.Fatalf("order.refund: %+v", res)
	}
	w.command(t, "c-refund-1", "order.refund", refund, 2)
	if rf := w.srv.Refunds(paymentID); len(rf) != 1 || rf[0].AmountMoney.Amount != 300 {
		t.Errorf("refunds at Square: %+v, want one of 300", rf)
	}
	if n := len(w.srv.RequestsTo("POST", "/v2/refunds")); n != 1 {
		t.Errorf("%d RefundPayment calls, want 1", n)
	}

	// 6. Relayed webhooks: a bad vendor signature is refused and audited;
	// a good one is accepted, and the same event again is a duplicate.
	body := squaretest.Event("order.updated", squaretest.NewEventID(), time.Now(), "order", out.VendorOrderID, map[string]any{})
	good := squaretest.SignedDelivery(sigKey, relayURL, body)
	relay := func(h http.Header) map[string]any {
		return map[string]any{"integration_id": "square-1", "url": relayURL, "headers": h, "body": base64.StdEncoding.EncodeToString(body)}
	}
	badH := good.Header.Clone()
	badH.Set(squaretest.SignatureHeader, squaretest.Sign("not-the-key", relayURL, body))
	if r := w.command(t, "c-relay-bad", "webhook.relay", relay(badH), 1); r.Status != "rejected" || r.Code != "bad_vendor_signature" {
		t.Errorf("relay with a bad signature: %+v", r)
	}
	if r := w.command(t, "c-relay-good", "webhook.relay", relay(good.Header), 1); r.Status != "ok" || !strings.Contains(string(r.Details), `"accepted"`) {
		t.Errorf("relay with a good signature: %+v %s", r, r.Details)
	}
	if r := w.command(t, "c-relay-again", "webhook.relay", relay(good.Header), 1); r.Status != "ok" || !strings.Contains(string(r.Details), `"duplicate"`) {
		t.Errorf("relay of the same event again: %+v %s", r, r.Details)
	}
	recs, err := w.d.Core().Audit.Query(audit.Filter{Type: "webhook"})
	if err != nil {
		t.Fatal(err)
	}
	rejected := false
	for _, r := range recs {
		rejected = rejected || r.Status == audit.Rejected
	}
	if !rejected {
		t.Errorf("no rejected webhook in the sync log: %+v", recs)
	}

	// 7. integration.disconnect, then no secret in clear anywhere.
	if r := w.command(t, "c-disconnect", "integration.disconnect", map[string]any{"id": "square-1"}, 1); r.Status != "ok" {
		t.Errorf("disconnect: %+v", r)
	}
	w.sub.Wait(t, 10*time.Second, "injection outcome events", func() bool { return len(w.outcomes("c-refund-1")) == 1 })
	raw, err := os.ReadFile(filepath.Join(w.dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	w.mq.Stop() // mosquitto writes its persistence file on exit
	broker, err := os.ReadFile(filepath.Join(w.mqDir, "mosquitto.db"))
	if err != nil {
		t.Fatalf("mosquitto persistence file: %v", err)
	}
	topics := []string{"/status", "/cmd-results", "/events/sync-logs", "/cmd/integration.connect"}
	for _, s := range []string{secret, sigKey} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%q in clear in the bbolt file", s)
		}
		if strings.Contains(w.logs.String(), s) {
			t.Errorf("%q in clear in the logs", s)
		}
		if bytes.Contains(broker, []byte(s)) {
			t.Errorf("%q in clear in mosquitto's stored messages", s)
		}
		for _, topic := range topics {
			for _, m := range w.sub.Messages(w.prefix + topic) {
				if bytes.Contains(m.Payload, []byte(s)) {
					t.Errorf("%q in clear in a broker message on %s", s, topic)
				}
			}
		}
	}
}
