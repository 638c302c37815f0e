package daemon

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/custom/loyversetest"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/model"
)

// TestInjectCustomLoyverseEndToEnd: a custom integration with the shipped
// Loyverse manifest, connected with integration.connect; menu.push records
// the Loyverse variant ids; order.inject creates one receipt (POST
// /v1.0/receipts), the same command redelivered and a new command for the
// same Aura order find it by the manifest's lookup; an item the POS does
// not know is refused with nothing created; order.refund answers
// unsupported with the manifest's reason.
func TestInjectCustomLoyverseEndToEnd(t *testing.T) {
	w := startInjectDaemon(t)
	srv := loyversetest.Start(t)
	manifest, err := os.ReadFile(filepath.Join("..", "..", "configs", "adapters", "loyverse.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	settings := maps.Clone(srv.Settings())
	settings["manifest_yaml"] = string(manifest)
	settings["payment_type_id"] = loyversetest.PaymentTypeCard
	settings["cash_payment_type_id"] = loyversetest.PaymentTypeCash
	w.connectAndPush(t, "loyverse-1", "custom", srv.Credentials(), settings)

	croissants := func(orderID string) map[string]any {
		d := injectFor("loyverse-1", orderID)
		o := d["order"].(model.Order)
		o.LineItems = o.LineItems[1:] // no modifiers: Loyverse's manifest pushes none
		o.Totals = model.Totals{Subtotal: model.M(650, "USD"), Total: model.M(650, "USD")}
		d["order"] = o
		p := d["payment"].(model.Payment)
		p.Amount, p.Method = model.M(650, "USD"), model.MethodCash
		d["payment"] = p
		return d
	}
	res := w.command(t, "v-inject-1", "order.inject", croissants("ord-aura-v1"), 1)
	var out bridge.JobOutcome
	mustJSON(t, res.Details, &out)
	if res.Status != "ok" || out.Status != bridge.JobDone || out.VendorOrderID == "" {
		t.Fatalf("order.inject: %+v %s\n%s", res, res.Details, w.logs)
	}
	w.command(t, "v-inject-1", "order.inject", croissants("ord-aura-v1"), 2)
	res = w.command(t, "v-inject-1b", "order.inject", croissants("ord-aura-v1"), 1)
	var again bridge.JobOutcome
	mustJSON(t, res.Details, &again)
	if res.Status != "ok" || again.VendorOrderID != out.VendorOrderID || !again.Existing {
		t.Errorf("a new command for the same order: %+v %s", res, res.Details)
	}
	rs := srv.ReceiptsForOrder("ord-aura-v1")
	if len(rs) != 1 || rs[0].ReceiptNumber != out.VendorOrderID || rs[0].TotalMoney != "6.5" ||
		len(rs[0].Payments) != 1 || rs[0].Payments[0].PaymentTypeID != loyversetest.PaymentTypeCash {
		t.Fatalf("receipts at Loyverse for ord-aura-v1: %+v", rs)
	}

	unknown := croissants("ord-aura-v2")
	o := unknown["order"].(model.Order)
	o.LineItems = append(o.LineItems, model.LineItem{ID: "l9", ItemID: "item-ghost", VariationID: "var-ghost", Name: "Ghost pepper",
		Quantity: model.Q(1), UnitPrice: model.M(100, "USD")})
	o.Totals = model.Totals{Subtotal: model.M(750, "USD"), Total: model.M(750, "USD")}
	unknown["order"] = o
	res = w.command(t, "v-inject-2", "order.inject", unknown, 1)
	if res.Status != "error" || res.Code != bridge.JobRefused || !strings.Contains(res.Message, "Ghost pepper") {
		t.Errorf("unknown item: %+v", res)
	}
	if n := len(srv.ReceiptsForOrder("ord-aura-v2")); n != 0 {
		t.Errorf("%d receipts for a refused order", n)
	}

	res = w.command(t, "v-refund-1", "order.refund", map[string]any{"integration_id": "loyverse-1", "order_id": "ord-aura-v1"}, 1)
	if res.Status != "error" || res.Code != bridge.JobUnsupported || !strings.Contains(res.Message, "Loyverse") {
		t.Errorf("refund at Loyverse: %+v, want unsupported with the manifest's reason", res)
	}
	// Unsupported comes first: a refund of an order taken at the POS (not
	// injected) is unsupported, not refused as unknown.
	res = w.command(t, "v-refund-2", "order.refund", map[string]any{"integration_id": "loyverse-1", "order_id": "ord-never-injected"}, 1)
	if res.Status != "error" || res.Code != bridge.JobUnsupported {
		t.Errorf("refund of a POS order at Loyverse: %+v, want unsupported", res)
	}

	// The receipt created by order_create comes back on the next pull: it is
	// recognised by the receipt number the job recorded (the manifest has no
	// marker of its own), so it is an echo, not a new store order.
	time.Sleep(5 * time.Millisecond) // step past the pull window's end millisecond
	r := w.syncOrders(t, "v-sync-1", "loyverse-1")
	if r.Status != "success" || r.New != 0 {
		t.Errorf("pull after injection: %+v", r)
	}
	if ev := w.orderEventsFor("loyverse", out.VendorOrderID); len(ev) != 0 {
		t.Errorf("injected receipt raised as a store order: %+v", ev)
	}
	if a := w.echoAudits(t, "ord-aura-v1"); len(a) != 1 || !strings.Contains(a[0].Message, out.VendorOrderID) {
		t.Errorf("echo audits: %+v", a)
	}
	// Cancelled at the Loyverse POS: one event linked to the Aura order.
	if !srv.CancelReceipt(out.VendorOrderID, time.Now()) {
		t.Fatal("no receipt to cancel")
	}
	time.Sleep(5 * time.Millisecond)
	w.syncOrders(t, "v-sync-2", "loyverse-1")
	w.syncOrders(t, "v-sync-3", "loyverse-1")
	if err := w.sub.WaitErr(15*time.Second, func() bool { return len(w.posUpdates("ord-aura-v1")) > 0 }); err != nil {
		t.Fatalf("no %s event after the cancel: %v", bridge.UpdatedAtPOSType, err)
	}
	if u := w.posUpdates("ord-aura-v1"); len(u) != 1 || u[0].VendorOrderID != out.VendorOrderID || !slices.Contains(u[0].Changes, "voided at the POS") {
		t.Errorf("changes at Loyverse: %+v", u)
	}
}
