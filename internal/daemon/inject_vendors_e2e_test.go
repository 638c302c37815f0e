package daemon

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/provision"
	"github.com/auraconnect/aura-edge/internal/testkit/cloudpeer"
)

// startInjectDaemon is a daemon on a real mosquitto without any integration:
// the test connects one with integration.connect (scheduled pulls off).
func startInjectDaemon(t *testing.T) *twoWay {
	t.Helper()
	w := &twoWay{store: "inject-store"}
	w.prefix = "aura/v1/stores/" + w.store
	w.mqDir = t.TempDir()
	w.mq = cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{Persistence: true, Dir: w.mqDir})
	w.peer = cloudpeer.New(t, w.mq.URL(), w.store)
	w.sub = w.peer.Sub
	w.d, w.logs = startDaemon(t, func(c *config.Config) {
		c.StoreID = w.store
		c.Cloud.Broker = w.mq.URL()
		c.Cloud.CommandKeys = []string{w.peer.CommandKey()}
		// No scheduled pulls: a pull at a random moment (the first comes
		// within the jitter of connecting) would read an injected order
		// between two of its revisions, and each revision is audited as an
		// echo; the tests pull with orders.sync when they mean to.
		for _, id := range []string{"square-1", "clover-1", "lightspeed-1", "ls-1", "toast-1", "loyverse-1"} {
			c.Integrations = append(c.Integrations, config.Integration{ID: id, Disabled: true})
		}
		w.dir = c.DataDir
	})
	tok, _, err := auth.Create(w.d.Core().DB, auth.Admin, "inject-admin")
	if err != nil {
		t.Fatal(err)
	}
	w.admin, w.base = tok, "http://"+w.d.APIAddr().String()
	w.sub.Wait(t, 20*time.Second, "daemon online", func() bool { return w.provisioningKey() != "" })
	return w
}

// connectAndPush connects integration id (credentials sealed to the store)
// and pushes the café menu to it, which records the id mappings.
func (w *twoWay) connectAndPush(t *testing.T, id, vendor string, creds, settings map[string]string) {
	t.Helper()
	sealed, err := provision.Seal(w.provisioningKey(), w.store, creds)
	if err != nil {
		t.Fatal(err)
	}
	if r := w.command(t, "c-connect-"+id, "integration.connect", map[string]any{"id": id, "vendor": vendor, "name": id,
		"settings": settings, "sealed_credentials": sealed}, 1); r.Status != "ok" {
		t.Fatalf("integration.connect %s: %+v", id, r)
	}
	if r := w.command(t, "c-menu-"+id, "menu.push", menuPush{Menu: cafeMenu("v1", nil), IntegrationID: id}, 1); r.Status != "ok" {
		t.Fatalf("menu.push %s: %+v %s", id, r, r.Details)
	}
}

func injectFor(integration, orderID string) map[string]any {
	d := injectData(orderID)
	d["integration_id"] = integration
	return d
}

// TestInjectLightspeedEndToEnd: order.inject over mosquitto into the
// Lightspeed X-Series stand-in (a closed sale with its payment), the same
// command redelivered (one sale), a line with modifiers refused with
// nothing created, and order.refund as an X-Series return (redelivered:
// one return).
func TestInjectLightspeedEndToEnd(t *testing.T) {
	w := startInjectDaemon(t)
	srv := lightspeedtest.Start(t)
	settings := srv.Settings("USD")
	maps.Copy(settings, lightspeedtest.InjectSettings())
	w.connectAndPush(t, "ls-1", "lightspeed", srv.Credentials(), settings)

	croissants := func(orderID string) map[string]any {
		d := injectFor("ls-1", orderID)
		o := d["order"].(model.Order)
		o.LineItems = o.LineItems[1:] // the croissants: no modifiers
		o.Totals = model.Totals{Subtotal: model.M(650, "USD"), Total: model.M(650, "USD")}
		d["order"] = o
		p := d["payment"].(model.Payment)
		p.Amount = model.M(650, "USD")
		d["payment"] = p
		return d
	}
	res := w.command(t, "l-inject-1", "order.inject", croissants("ord-aura-l1"), 1)
	var out bridge.JobOutcome
	mustJSON(t, res.Details, &out)
	if res.Status != "ok" || out.Status != bridge.JobDone || out.VendorOrderID == "" || out.VendorPaymentID == "" {
		t.Fatalf("order.inject: %+v %s\n%s", res, res.Details, w.logs)
	}
	w.command(t, "l-inject-1", "order.inject", croissants("ord-aura-l1"), 2)
	if ids := srv.SalesBySource("ord-aura-l1"); len(ids) != 1 || ids[0] != out.VendorOrderID {
		t.Fatalf("sales for ord-aura-l1: %v, want [%s]", ids, out.VendorOrderID)
	}

	res = w.command(t, "l-inject-2", "order.inject", injectFor("ls-1", "ord-aura-l2"), 1)
	if res.Status != "error" || !strings.Contains(res.Message, "modifiers") {
		t.Errorf("latte with oat milk: %+v", res)
	}
	if ids := srv.SalesBySource("ord-aura-l2"); len(ids) != 0 {
		t.Errorf("sales created for a refused order: %v", ids)
	}

	res = w.command(t, "l-refund-1", "order.refund", map[string]any{"integration_id": "ls-1", "order_id": "ord-aura-l1", "reason": "spilled"}, 1)
	var rf bridge.JobOutcome
	mustJSON(t, res.Details, &rf)
	if res.Status != "ok" || rf.Status != bridge.JobDone || rf.VendorRefundID == "" || rf.RefundAmount != model.M(650, "USD") {
		t.Fatalf("refund at Lightspeed: %+v %s\n%s", res, res.Details, w.logs)
	}
	w.command(t, "l-refund-1", "order.refund", map[string]any{"integration_id": "ls-1", "order_id": "ord-aura-l1", "reason": "spilled"}, 2)
	if rs := srv.ReturnsOf(out.VendorOrderID); len(rs) != 1 || rs[rf.VendorRefundID] != "closed" {
		t.Errorf("returns of the sale at Lightspeed: %v, want one closed (%s)", rs, rf.VendorRefundID)
	}
	res = w.command(t, "l-refund-2", "order.refund", map[string]any{"integration_id": "ls-1", "order_id": "ord-aura-l1",
		"amount": model.M(100, "USD")}, 1)
	if res.Status != "error" || res.Code != bridge.JobUnsupported {
		t.Errorf("partial refund at Lightspeed: %+v %s, want unsupported", res, res.Details)
	}

	// The return sale the refund created comes back on the next pull as a
	// negative sale: recognised as ours (by the return id the job recorded),
	// an echo of Aura order ord-aura-l1, not a new store order and not a
	// change made at the POS.
	time.Sleep(5 * time.Millisecond) // step past the pull window's end millisecond
	r := w.syncOrders(t, "l-sync-1", "ls-1")
	if r.Status != "success" || r.New != 0 {
		t.Errorf("pull after the refund: %+v", r)
	}
	if ev := w.orderEventsFor("lightspeed", rf.VendorRefundID); len(ev) != 0 {
		t.Errorf("the return sale raised as a store order: %+v", ev)
	}
	var returnAudit bool
	for _, a := range w.echoAudits(t, "ord-aura-l1") {
		returnAudit = returnAudit || strings.Contains(a.Message, rf.VendorRefundID)
	}
	if !returnAudit {
		t.Errorf("no echo audit naming the return sale %s and ord-aura-l1: %+v", rf.VendorRefundID, w.echoAudits(t, "ord-aura-l1"))
	}
	if u := w.posUpdates("ord-aura-l1"); len(u) != 0 {
		t.Errorf("the refund made through order.refund raised as a change at the POS: %+v", u)
	}
}
