package daemon

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/provision"
	"github.com/auraconnect/aura-edge/internal/testkit"
	"github.com/auraconnect/aura-edge/internal/testkit/cloudpeer"
)

// startInjectDaemon is a daemon on a real mosquitto without any integration:
// the test connects one with integration.connect.
//
// The integrations named in manual have their scheduled order pulls a day
// apart: the test pulls them itself (orders.sync) at known points. Left
// to the default schedule (every minute, the first within 6 s of
// connecting) a pull could land anywhere in the test, say between an
// injection and its refund, and read a revision the test does not expect
// (TestInjectToastEndToEnd saw two order_echo audits that way).
func startInjectDaemon(t *testing.T, manual ...string) *twoWay {
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
		for _, id := range manual {
			c.Integrations = append(c.Integrations, config.Integration{ID: id, PollInterval: 24 * time.Hour,
				Jitter: time.Nanosecond, MaxAttempts: 3, DriftInterval: "off"})
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

// waitFirstPull waits for the first order pull of integration id, which
// the scheduler runs as it is connected: after it, with polls a day apart
// (startInjectDaemon's manual), only the test's own pulls read the POS.
func (w *twoWay) waitFirstPull(t *testing.T, id string) {
	t.Helper()
	testkit.WaitFor(t, "the first order pull of "+id, 20*time.Second, func() bool {
		sts, err := w.d.Core().Bridge.Status(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sts {
			if s.ID == id && s.LastOrderSync != nil {
				return true
			}
		}
		return false
	})
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

// TestInjectCloverEndToEnd: order.inject over mosquitto into the Clover
// stand-in, the same command redelivered and a new command for the same
// Aura order (both one order at Clover, one payment record), and
// order.refund answered unsupported.
func TestInjectCloverEndToEnd(t *testing.T) {
	w := startInjectDaemon(t)
	srv := clovertest.Start(t)
	settings := maps.Clone(srv.Settings())
	settings["base_url"] = srv.URL()
	w.connectAndPush(t, "clover-1", "clover", srv.Credentials(), settings)

	res := w.command(t, "c-inject-1", "order.inject", injectFor("clover-1", "ord-aura-c1"), 1)
	var out bridge.JobOutcome
	mustJSON(t, res.Details, &out)
	if res.Status != "ok" || out.Status != bridge.JobDone || out.VendorOrderID == "" || out.VendorPaymentID == "" {
		t.Fatalf("order.inject: %+v %s\n%s", res, res.Details, w.logs)
	}
	w.command(t, "c-inject-1", "order.inject", injectFor("clover-1", "ord-aura-c1"), 2)
	// Another command for the same Aura order (the cloud retrying under a
	// new id): the adapter finds the order by its title.
	res = w.command(t, "c-inject-1b", "order.inject", injectFor("clover-1", "ord-aura-c1"), 1)
	var again bridge.JobOutcome
	mustJSON(t, res.Details, &again)
	if res.Status != "ok" || again.VendorOrderID != out.VendorOrderID {
		t.Errorf("second command for the same order: %+v %s", res, res.Details)
	}
	var mine []clovertest.Order
	for _, o := range srv.Orders() {
		if o.Title == "Aura ord-aura-c1" {
			mine = append(mine, o)
		}
	}
	if len(mine) != 1 || mine[0].ID != out.VendorOrderID || len(mine[0].Payments) != 1 || len(mine[0].LineItems) != 3 {
		t.Fatalf("orders at Clover for ord-aura-c1: %+v", mine)
	}
	if mine[0].PaymentState != "PAID" {
		t.Errorf("payment state %q, want PAID (total %d, paid %d)", mine[0].PaymentState, mine[0].Total, mine[0].Payments[0].Amount)
	}

	res = w.command(t, "c-refund-1", "order.refund", map[string]any{"integration_id": "clover-1", "order_id": "ord-aura-c1"}, 1)
	if res.Status != "error" || res.Code != bridge.JobUnsupported {
		t.Errorf("refund at Clover: %+v %s, want unsupported", res, res.Details)
	}
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
}
