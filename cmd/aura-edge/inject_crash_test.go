package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest/squarespec"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/model"
)

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
	srv := squaretest.New(squaretest.WithValidator(spec))
	c := startInjectCrash(t, injectCrashVendor{store: "inject-crash", id: "square-1", vendor: "square", name: "Crash Square",
		// killed once Square has taken the order's payment
		h:  srv,
		at: func(r *http.Request, _ int) bool { return r.Method == "POST" && r.URL.Path == "/v2/payments" },
		connect: func(url string) (creds, settings map[string]string) {
			return map[string]string{"access_token": squaretest.DefaultAccessToken, "webhook_signature_key": squaretest.DefaultSignatureKey},
				map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": url, "write_retries": "0"}
		}})
	menu := &model.Menu{ID: "m", Version: "v1", Currency: "USD", Name: "Café", Items: []model.Item{{ID: "item-latte", Name: "Latte",
		Variations: []model.Variation{{ID: "var-latte", Name: "12oz", Price: model.M(450, "USD")}}}}}
	c.send(t, "menu-1", "menu.push", map[string]any{"menu": menu, "integration_id": "square-1"})
	c.peer.Sub.Wait(t, 30*time.Second, "menu pushed", func() bool { rs, _ := c.results("menu-1"); return len(rs) == 1 && rs[0].Status == "ok" })

	order := model.Order{ID: "ord-crash-1", Source: model.Source{Vendor: "aura", ExternalID: "ord-crash-1", Version: "1"}, State: model.OrderOpen,
		Currency: "USD", CreatedAt: time.Now().UTC().Truncate(time.Second),
		LineItems: []model.LineItem{{ID: "l1", ItemID: "item-latte", VariationID: "var-latte", Name: "Latte", Quantity: model.Q(2), UnitPrice: model.M(450, "USD")}},
		Totals:    model.Totals{Subtotal: model.M(900, "USD"), Total: model.M(900, "USD")}}
	data := map[string]any{"integration_id": "square-1", "order": order, "payment": model.Payment{ID: "pay-crash-1", Method: model.MethodCash,
		Amount: model.M(900, "USD"), Status: model.PaymentCompleted, CreatedAt: order.CreatedAt,
		Source: model.Source{Vendor: "aura", ExternalID: "pay-crash-1", Version: "1"}}}
	outs := c.killAndRestart(t, data, "paid the order at Square")
	o := outs[0]
	if len(outs) != 1 || o.Status != bridge.JobDone || o.VendorOrderID == "" || o.VendorPaymentID == "" {
		t.Fatalf("outcome events: %+v", outs)
	}
	got := srv.OrdersByReference("ord-crash-1")
	if len(got) != 1 || got[0].ID != o.VendorOrderID || len(got[0].Tenders) != 1 || got[0].State != "COMPLETED" {
		t.Fatalf("orders at Square: %+v", got)
	}
	if n := len(srv.RequestsTo("POST", "/v2/orders")); n < 2 {
		t.Errorf("%d CreateOrder calls: the restart did not run the job again", n)
	}
	c.checkRedelivered(t)
	for _, v := range srv.Violations() {
		t.Errorf("square stand-in: %s", v)
	}
}
