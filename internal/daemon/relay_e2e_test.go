package daemon

import (
	"encoding/base64"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/customtest"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/provision"
)

// relayCase is one vendor's relayed webhook: a delivery signed as the
// vendor signs it, the same delivery with a wrong signature, and an
// optional delivery the vendor's replay window refuses.
type relayCase struct {
	id, vendor      string
	creds, settings map[string]string
	good, bad       func(t *testing.T) (http.Header, []byte)
	stale           func(t *testing.T) (http.Header, []byte) // nil: no timestamp window
}

// relayCases starts the Clover, Lightspeed X-Series, Toast and custom
// (Acme manifest) stand-ins and describes a delivery of each.
func relayCases(t *testing.T) []relayCase {
	clover := clovertest.Start(t)
	cs := maps.Clone(clover.Settings())
	cs["base_url"] = clover.URL()
	cloverEvent := clovertest.OrderEvent("ORDER1", time.Now().UnixMilli())

	ls := lightspeedtest.Start(t)
	sale := ls.SeedSale(lightspeedtest.SaleSpec{Lines: []lightspeedtest.LineSpec{{ProductID: ls.AddProduct("Latte", "4.50"), Quantity: "1", UnitPrice: "4.50", TaxRate: "0"}}})

	toast := toasttest.Start(t)
	guid := toast.SeedOrder(toasttest.OrderSpec{DisplayNumber: "17", Checks: []toasttest.CheckSpec{{
		Selections: []toasttest.SelectionSpec{{Name: "Croissant", UnitPrice: "3.25", TaxRate: "0.08875"}}}}})
	toastAt := time.Now()

	acme := customtest.Start(t)
	manifest, err := os.ReadFile(filepath.Join("..", "..", "drivers", "pos", "custom", "testdata", "acme.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	as := maps.Clone(acme.Settings())
	as["manifest_yaml"] = string(manifest)
	order := acme.SeedOrder(customtest.Order{Lines: []customtest.Line{{Name: "Latte", Quantity: "1", UnitPrice: "4.50"}}})
	acmeEvent := customtest.Event{ID: "evt_relay_1", Type: "order.updated", OrderID: order.ID}
	acmeAt := time.Now()

	return []relayCase{
		{id: "clover-r", vendor: "clover", creds: clover.Credentials(), settings: cs,
			good: func(t *testing.T) (http.Header, []byte) { return clover.Webhook(cloverEvent) },
			bad: func(t *testing.T) (http.Header, []byte) {
				h, b := clover.Webhook(cloverEvent)
				h.Set("X-Clover-Auth", "not-the-auth-code")
				return h, b
			}},
		{id: "ls-r", vendor: "lightspeed", creds: ls.Credentials(), settings: ls.Settings("USD"),
			good: func(t *testing.T) (http.Header, []byte) { r := ls.Webhook(sale); return r.Header, r.Body },
			bad: func(t *testing.T) (http.Header, []byte) {
				r := ls.Webhook(sale, lightspeedtest.SignWith("not-the-client-secret"))
				return r.Header, r.Body
			}},
		{id: "toast-r", vendor: "toast", creds: toast.Credentials(), settings: toast.Settings("USD"),
			good: func(t *testing.T) (http.Header, []byte) {
				r := toast.Webhook(guid, toasttest.WebhookAt(toastAt), toasttest.EventGUID("evt-relay-toast-1"))
				return r.Header, r.Body
			},
			bad: func(t *testing.T) (http.Header, []byte) {
				r := toast.Webhook(guid, toasttest.WebhookAt(toastAt), toasttest.EventGUID("evt-relay-toast-1"),
					toasttest.WebhookSignedWith("not-the-webhook-secret"))
				return r.Header, r.Body
			}},
		{id: "acme-r", vendor: "custom", creds: acme.Credentials(), settings: as,
			good: func(t *testing.T) (http.Header, []byte) { return acme.WebhookAt(acmeAt, acmeEvent) },
			bad: func(t *testing.T) (http.Header, []byte) {
				h, b := acme.WebhookAt(acmeAt, acmeEvent)
				h.Set(customtest.SignatureHeader, customtest.Sign("not-the-secret", h.Get(customtest.TimestampHeader), b))
				return h, b
			},
			stale: func(t *testing.T) (http.Header, []byte) {
				// Signed correctly, 10 minutes old: outside the manifest's 5m tolerance.
				return acme.WebhookAt(time.Now().Add(-10*time.Minute), customtest.Event{ID: "evt_relay_old", Type: "order.updated", OrderID: order.ID})
			}},
	}
}

// TestWebhookRelayVendors: webhook.relay over mosquitto for Clover,
// Lightspeed X-Series, Toast and a custom manifest (Acme): the vendor's own
// signature verified exactly as for a direct delivery — a good one accepted,
// a bad one refused with bad_vendor_signature and audited as rejected, the
// same event relayed again answered duplicate (the bridge's replay
// memory), and for Acme a correctly signed but stale delivery refused by
// its timestamp window.
func TestWebhookRelayVendors(t *testing.T) {
	w := startInjectDaemon(t)
	for _, rc := range relayCases(t) {
		t.Run(rc.vendor, func(t *testing.T) {
			sealed, err := provision.Seal(w.provisioningKey(), w.store, rc.creds)
			if err != nil {
				t.Fatal(err)
			}
			if r := w.command(t, "c-connect-"+rc.id, "integration.connect", map[string]any{"id": rc.id, "vendor": rc.vendor,
				"name": rc.id, "settings": rc.settings, "sealed_credentials": sealed}, 1); r.Status != "ok" {
				t.Fatalf("integration.connect: %+v %s\n%s", r, r.Details, w.logs)
			}
			relay := func(h http.Header, body []byte) map[string]any {
				return map[string]any{"integration_id": rc.id, "url": "https://cloud.example/relay/" + rc.id,
					"headers": map[string][]string(h), "body": base64.StdEncoding.EncodeToString(body)}
			}
			if r := w.command(t, "r-bad-"+rc.id, "webhook.relay", relay(rc.bad(t)), 1); r.Status != "rejected" || r.Code != "bad_vendor_signature" {
				t.Errorf("bad signature: %+v %s", r, r.Details)
			}
			if r := w.command(t, "r-good-"+rc.id, "webhook.relay", relay(rc.good(t)), 1); r.Status != "ok" || !strings.Contains(string(r.Details), `"accepted"`) {
				t.Errorf("good signature: %+v %s\n%s", r, r.Details, w.logs)
			}
			if r := w.command(t, "r-again-"+rc.id, "webhook.relay", relay(rc.good(t)), 1); r.Status != "ok" || !strings.Contains(string(r.Details), `"duplicate"`) {
				t.Errorf("the same event relayed again: %+v %s", r, r.Details)
			}
			if rc.stale != nil {
				if r := w.command(t, "r-stale-"+rc.id, "webhook.relay", relay(rc.stale(t)), 1); r.Status != "rejected" {
					t.Errorf("stale delivery: %+v %s", r, r.Details)
				}
			}
			recs, err := w.d.Core().Audit.Query(audit.Filter{Type: "webhook"})
			if err != nil {
				t.Fatal(err)
			}
			var rejected, accepted bool
			for _, r := range recs {
				if r.Integration == rc.id {
					rejected = rejected || r.Status == audit.Rejected
					accepted = accepted || r.Status == audit.Success
				}
			}
			if !rejected || !accepted {
				t.Errorf("sync log for %s: rejected %v, accepted %v, want both: %+v", rc.id, rejected, accepted, recs)
			}
		})
	}
}
