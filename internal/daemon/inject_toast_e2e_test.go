package daemon

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest/squarespec"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/provision"
)

// connectToast connects a Toast integration (credentials sealed to the
// store) whose stand-in menu has the café's items, as configured in Toast
// Web: Toast menus are read-only, so nothing is pushed.
func (w *twoWay) connectToast(t *testing.T, id string) *toasttest.Server {
	t.Helper()
	srv := toasttest.Start(t)
	srv.SeedMenuItem("Latte", 5.25, false)
	srv.SeedMenuItem("Croissant", 3.25, false)
	srv.SeedMenuItem("Oat milk", 0.75, true)
	settings := srv.Settings("USD")
	maps.Copy(settings, toasttest.InjectSettings())
	sealed, err := provision.Seal(w.provisioningKey(), w.store, srv.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	if r := w.command(t, "c-connect-"+id, "integration.connect", map[string]any{"id": id, "vendor": "toast", "name": id,
		"settings": settings, "sealed_credentials": sealed}, 1); r.Status != "ok" {
		t.Fatalf("integration.connect %s: %+v", id, r)
	}
	return srv
}

// syncOrders pulls integration id now (orders.sync) and returns its result.
func (w *twoWay) syncOrders(t *testing.T, cmdID, id string) bridge.Result {
	t.Helper()
	res := w.command(t, cmdID, "orders.sync", ordersSync{IntegrationID: id}, 1)
	var details struct{ Results []bridge.Result }
	mustJSON(t, res.Details, &details)
	if res.Status != "ok" || len(details.Results) != 1 {
		t.Fatalf("orders.sync %s: %+v %s", id, res, res.Details)
	}
	return details.Results[0]
}

// orderEventsFor returns the order events published for a vendor order.
func (w *twoWay) orderEventsFor(vendor, externalID string) []model.Order {
	var out []model.Order
	for _, env := range w.sub.Envelopes(w.prefix + "/events/orders") {
		var o model.Order
		if json.Unmarshal(env.Data, &o) == nil && o.Source.Vendor == vendor && o.Source.ExternalID == externalID {
			out = append(out, o)
		}
	}
	return out
}

// echoAudits returns the order_echo audit records naming Aura order auraID.
func (w *twoWay) echoAudits(t *testing.T, auraID string) []audit.Record {
	t.Helper()
	rs, err := w.d.Core().Audit.Query(audit.Filter{Type: bridge.AuditEcho})
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	for _, r := range rs {
		var d struct {
			Aura string `json:"aura_order_id"`
		}
		if json.Unmarshal(r.Details, &d) == nil && d.Aura == auraID {
			out = append(out, r)
		}
	}
	return out
}

// TestInjectToastEndToEnd: order.inject over mosquitto into the Toast
// stand-in (which validates the create against the documented shape and
// its menu): the same command redelivered and a new command for the same
// Aura order give one Toast order (found by externalId); an unknown item is
// refused naming it with nothing created; a create whose answer is lost
// gives one order; a full refund voids the order (once), a partial one is
// unsupported; and the injected orders pulled back are echoes, not new
// store orders.
func TestInjectToastEndToEnd(t *testing.T) {
	w := startInjectDaemon(t)
	srv := w.connectToast(t, "toast-1")

	res := w.command(t, "t-inject-1", "order.inject", injectFor("toast-1", "ord-aura-t1"), 1)
	var out bridge.JobOutcome
	mustJSON(t, res.Details, &out)
	if res.Status != "ok" || out.Status != bridge.JobDone || out.VendorOrderID == "" || out.VendorPaymentID == "" {
		t.Fatalf("order.inject: %+v %s\n%s", res, res.Details, w.logs)
	}
	w.command(t, "t-inject-1", "order.inject", injectFor("toast-1", "ord-aura-t1"), 2)
	res = w.command(t, "t-inject-1b", "order.inject", injectFor("toast-1", "ord-aura-t1"), 1)
	var again bridge.JobOutcome
	mustJSON(t, res.Details, &again)
	if res.Status != "ok" || again.VendorOrderID != out.VendorOrderID || !again.Existing {
		t.Errorf("second command for the same order: %+v %s", res, res.Details)
	}
	if got := srv.OrdersByExternalID("AURA:ord-aura-t1"); len(got) != 1 || got[0] != out.VendorOrderID || srv.Creates() != 1 {
		t.Fatalf("orders at Toast for ord-aura-t1: %v (%d creates)", got, srv.Creates())
	}
	var created map[string]any
	json.Unmarshal(srv.OrderJSON(out.VendorOrderID), &created)
	chk := created["checks"].([]any)[0].(map[string]any)
	if n := len(chk["selections"].([]any)); n != 2 || chk["paymentStatus"] != "CLOSED" {
		t.Errorf("created order: %d selections, check %v", n, chk["paymentStatus"])
	}

	// An item Toast's menu does not have: refused naming it, nothing created.
	creates := srv.Creates()
	muffin := injectData("ord-aura-t2",
		model.LineItem{ID: "l3", ItemID: "item-muffin", Name: "Muffin", Quantity: model.Q(1), UnitPrice: model.M(300, "USD")})
	muffin["integration_id"] = "toast-1"
	res = w.command(t, "t-inject-2", "order.inject", muffin, 1)
	if res.Status != "error" || res.Code != bridge.JobRefused || !strings.Contains(res.Message, "Muffin") || strings.Contains(res.Message, "Latte") {
		t.Errorf("unknown item: %+v", res)
	}
	if srv.Creates() != creates || len(srv.RequestsTo(http.MethodGet, "/orders/v2/orders/AURA:ord-aura-t2")) != 0 {
		t.Errorf("requests reached Toast for a refused order")
	}

	// Toast creates the order but its answer is lost: one order.
	srv.FailAfterCreate(1, http.StatusInternalServerError)
	res = w.command(t, "t-inject-3", "order.inject", injectFor("toast-1", "ord-aura-t3"), 1)
	var lost bridge.JobOutcome
	mustJSON(t, res.Details, &lost)
	if res.Status != "ok" || lost.VendorOrderID == "" {
		t.Fatalf("lost answer: %+v %s", res, res.Details)
	}
	if got := srv.OrdersByExternalID("AURA:ord-aura-t3"); len(got) != 1 || got[0] != lost.VendorOrderID {
		t.Fatalf("orders at Toast for ord-aura-t3: %v", got)
	}

	// Refunds: Toast can only void a whole order paid with an OTHER payment.
	res = w.command(t, "t-refund-1", "order.refund", map[string]any{"integration_id": "toast-1", "order_id": "ord-aura-t1",
		"amount": model.M(100, "USD")}, 1)
	if res.Status != "error" || res.Code != bridge.JobUnsupported || !strings.Contains(res.Message, "whole order") {
		t.Errorf("partial refund at Toast: %+v %s, want unsupported", res, res.Details)
	}
	res = w.command(t, "t-refund-2", "order.refund", map[string]any{"integration_id": "toast-1", "order_id": "ord-aura-t1"}, 1)
	var ref bridge.JobOutcome
	mustJSON(t, res.Details, &ref)
	if res.Status != "ok" || ref.Status != bridge.JobDone || ref.VendorRefundID == "" || srv.Voids() != 1 {
		t.Errorf("full refund at Toast: %+v %s (%d voids)", res, res.Details, srv.Voids())
	}
	w.command(t, "t-refund-2", "order.refund", map[string]any{"integration_id": "toast-1", "order_id": "ord-aura-t1"}, 2)
	if srv.Voids() != 1 {
		t.Errorf("a redelivered refund voided again: %d voids", srv.Voids())
	}

	// Toast's webhook about the voided order: fetched, an echo, no order event.
	wh := srv.Webhook(out.VendorOrderID)
	req, _ := http.NewRequest(http.MethodPost, w.base+"/webhooks/toast-1", bytes.NewReader(wh.Body))
	req.Header = wh.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %d", resp.StatusCode)
	}
	if err := w.sub.WaitErr(15*time.Second, func() bool { return len(w.echoAudits(t, "ord-aura-t1")) > 0 }); err != nil {
		t.Fatalf("the webhook's fetch left no echo audit: %v\n%s", err, w.logs)
	}
	if ev := w.orderEventsFor("toast", out.VendorOrderID); len(ev) != 0 {
		t.Errorf("injected order raised by the webhook: %+v", ev)
	}

	// The next pull reads both injected orders back: echoes, not new orders.
	time.Sleep(5 * time.Millisecond) // step past the pull window's end millisecond
	r := w.syncOrders(t, "t-sync-1", "toast-1")
	if r.Status != "success" || r.New != 0 {
		t.Errorf("pull after injection: %+v", r)
	}
	for aura, guid := range map[string]string{"ord-aura-t1": out.VendorOrderID, "ord-aura-t3": lost.VendorOrderID} {
		if ev := w.orderEventsFor("toast", guid); len(ev) != 0 {
			t.Errorf("injected order %s raised as a store order: %+v", guid, ev)
		}
		if a := w.echoAudits(t, aura); len(a) != 1 || !strings.Contains(a[0].Message, guid) {
			t.Errorf("echo audit for %s: %+v", aura, a)
		}
	}
}

// TestInjectedOrdersAreNotRaisedAgain: for every vendor that takes orders,
// an order injected by aura-edge and then pulled back is not raised to the
// cloud as a new store order; it is audited once as order_echo naming the
// Aura order.
func TestInjectedOrdersAreNotRaisedAgain(t *testing.T) {
	croissants := func(d map[string]any) map[string]any {
		o := d["order"].(model.Order)
		o.LineItems = o.LineItems[1:]
		o.Totals = model.Totals{Subtotal: model.M(650, "USD"), Total: model.M(650, "USD")}
		d["order"] = o
		p := d["payment"].(model.Payment)
		p.Amount = model.M(650, "USD")
		d["payment"] = p
		return d
	}
	cases := []struct {
		vendor  string
		connect func(t *testing.T, w *twoWay, id string)
		data    func(d map[string]any) map[string]any
	}{
		{"square", func(t *testing.T, w *twoWay, id string) {
			spec, err := squarespec.Load()
			if err != nil {
				t.Fatal(err)
			}
			srv := squaretest.Start(t, squaretest.WithValidator(spec))
			w.connectAndPush(t, id, "square", map[string]string{"access_token": squaretest.DefaultAccessToken},
				map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": srv.URL(), "write_retries": "0"})
		}, nil},
		{"clover", func(t *testing.T, w *twoWay, id string) {
			srv := clovertest.Start(t)
			settings := maps.Clone(srv.Settings())
			settings["base_url"] = srv.URL()
			w.connectAndPush(t, id, "clover", srv.Credentials(), settings)
		}, nil},
		{"lightspeed", func(t *testing.T, w *twoWay, id string) {
			srv := lightspeedtest.Start(t)
			settings := srv.Settings("USD")
			maps.Copy(settings, lightspeedtest.InjectSettings())
			w.connectAndPush(t, id, "lightspeed", srv.Credentials(), settings)
		}, croissants},
		{"toast", func(t *testing.T, w *twoWay, id string) { w.connectToast(t, id) }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.vendor, func(t *testing.T) {
			w := startInjectDaemon(t)
			id := tc.vendor + "-1"
			tc.connect(t, w, id)
			data := injectFor(id, "ord-echo-"+tc.vendor)
			if tc.data != nil {
				data = tc.data(data)
			}
			res := w.command(t, "e-inject-"+tc.vendor, "order.inject", data, 1)
			var out bridge.JobOutcome
			mustJSON(t, res.Details, &out)
			if res.Status != "ok" || out.VendorOrderID == "" {
				t.Fatalf("order.inject: %+v %s\n%s", res, res.Details, w.logs)
			}
			// A second order whose job's record of the vendor order id is
			// lost (as when the process dies between the vendor's answer and
			// the outcome): only the adapter's own marker can tell.
			data2 := injectFor(id, "ord-echo2-"+tc.vendor)
			if tc.data != nil {
				data2 = tc.data(data2)
			}
			res = w.command(t, "e-inject2-"+tc.vendor, "order.inject", data2, 1)
			var out2 bridge.JobOutcome
			mustJSON(t, res.Details, &out2)
			if res.Status != "ok" || out2.VendorOrderID == "" {
				t.Fatalf("order.inject 2: %+v %s", res, res.Details)
			}
			if err := w.d.Core().Integrations.State(id).Delete("echo/vendor/" + out2.VendorOrderID); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond) // step past the pull window's end millisecond
			r := w.syncOrders(t, "e-sync-"+tc.vendor, id)
			if r.Status != "success" || r.New != 0 {
				t.Errorf("pull after injection: %+v", r)
			}
			if ev := w.orderEventsFor(tc.vendor, out.VendorOrderID); len(ev) != 0 {
				t.Errorf("injected order %s raised as a store order: %+v", out.VendorOrderID, ev)
			}
			if a := w.echoAudits(t, "ord-echo-"+tc.vendor); len(a) != 1 {
				t.Errorf("echo audits: %+v (did the pull read the injected order back?)", a)
			}
			if ev := w.orderEventsFor(tc.vendor, out2.VendorOrderID); len(ev) != 0 || len(w.echoAudits(t, "ord-echo2-"+tc.vendor)) != 1 {
				t.Errorf("second injected order (recognised by the adapter only): %d order events, %d echo audits",
					len(ev), len(w.echoAudits(t, "ord-echo2-"+tc.vendor)))
			}
			// A second pull re-reads it (overlap): still no event, no new audit.
			w.syncOrders(t, "e-sync2-"+tc.vendor, id)
			if ev := w.orderEventsFor(tc.vendor, out.VendorOrderID); len(ev) != 0 {
				t.Errorf("injected order raised on the second pull: %+v", ev)
			}
			if a := w.echoAudits(t, "ord-echo-"+tc.vendor); len(a) != 1 {
				t.Errorf("echo audits after a second pull: %d", len(a))
			}
		})
	}
}
