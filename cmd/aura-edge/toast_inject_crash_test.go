package main

import (
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/model"
)

// TestToastInjectSurvivesKill9: order.inject reaches Toast (the order is
// created), the daemon is killed with SIGKILL before it reads Toast's
// answer, and restarts. The pending job runs again, finds the order by its
// externalId, and the redelivered command gets the same answer: Toast holds
// one order, and one outcome event names it.
func TestToastInjectSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	srv := toasttest.New()
	t.Cleanup(srv.Close)
	srv.SeedMenuItem("Latte", 4.50, false)
	c := startInjectCrash(t, injectCrashVendor{store: "toast-crash", id: "toast-1", vendor: "toast", name: "Crash Toast",
		// killed once Toast has created the order
		h: srv,
		at: func(r *http.Request, code int) bool {
			return r.Method == "POST" && r.URL.Path == "/orders/v2/orders" && code == http.StatusOK
		},
		connect: func(url string) (creds, settings map[string]string) {
			settings = srv.Settings("USD")
			settings["base_url"] = url
			maps.Copy(settings, toasttest.InjectSettings())
			return srv.Credentials(), settings
		}})

	order := model.Order{ID: "ord-toast-crash-1", Source: model.Source{Vendor: "aura", ExternalID: "ord-toast-crash-1", Version: "1"}, State: model.OrderOpen,
		Currency: "USD", CreatedAt: time.Now().UTC().Truncate(time.Second),
		LineItems: []model.LineItem{{ID: "l1", ItemID: "item-latte", Name: "Latte", Quantity: model.Q(2), UnitPrice: model.M(450, "USD")}},
		Totals:    model.Totals{Subtotal: model.M(900, "USD"), Total: model.M(900, "USD")}}
	data := map[string]any{"integration_id": "toast-1", "order": order, "payment": model.Payment{ID: "pay-toast-crash-1", Method: model.MethodCash,
		Amount: model.M(900, "USD"), Status: model.PaymentCompleted, CreatedAt: order.CreatedAt,
		Source: model.Source{Vendor: "aura", ExternalID: "pay-toast-crash-1", Version: "1"}}}
	outs := c.killAndRestart(t, data, "created the order at Toast")
	o := outs[0]
	if len(outs) != 1 || o.Status != bridge.JobDone || o.VendorOrderID == "" || o.VendorPaymentID == "" || !o.Existing {
		t.Fatalf("outcome events: %+v", outs)
	}
	if got := srv.OrdersByExternalID("AURA:ord-toast-crash-1"); len(got) != 1 || got[0] != o.VendorOrderID || srv.Creates() != 1 {
		t.Fatalf("orders at Toast: %v (%d creates)", got, srv.Creates())
	}
	c.checkRedelivered(t)
}
