package daemon

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/model"
)

// TestInjectEndToEnd runs order injection through the real daemon over
// mosquitto for every case directory testdata/inject/<vendor>/<case>/:
// connect with integration.connect and push the café menu; order.inject
// (redelivered: one result again, one order), optionally a new command for
// the same Aura order (found, not created again); the vendor holds exactly
// one order for it; optionally an order the POS cannot take, refused with
// nothing created; order.refund (done, or unsupported) and optionally a
// partial refund (unsupported).
//
// A case directory holds case.json (injectCase). The vendor's Go side is
// its stand-in driver in inject_<vendor>_test.go, registered with
// registerInjectStandIn: a new vendor adds that file and a directory. The
// Toast, custom-manifest and Lightspeed injection tests
// (inject_toast_e2e_test.go, inject_custom_e2e_test.go,
// TestInjectLightspeedEndToEnd) check more than this shape (a lost answer,
// the void's webhook, returns pulled back as echoes) and stay code.
func TestInjectEndToEnd(t *testing.T) {
	runCaseDirs(t, caseDirs{"inject", "inject stand-in driver", "registerInjectStandIn"}, injectStandIns,
		func(t *testing.T, v, dir string, start func(t *testing.T) *injectStandIn) {
			runInject(t, v, loadInjectCase(t, dir), start)
		})
}

// injectCase is case.json.
type injectCase struct {
	dir   string
	About string `json:"about"`
	// Order is the Aura order injected: "full" (a latte with oat milk and
	// two croissants) or "croissants" (the croissants alone, no modifiers).
	Order string `json:"order"`
	// PaymentRecorded: the outcome names the vendor's payment.
	PaymentRecorded bool `json:"payment_recorded"`
	// NewCommandSameOrder: a second command (new id) for the same Aura
	// order finds the vendor order instead of creating one.
	NewCommandSameOrder bool `json:"new_command_same_order"`
	// Refused is an order the POS cannot take (nil: none tried).
	Refused *struct {
		Order   string `json:"order"`   // as Order
		Message string `json:"message"` // the refusal says this
	} `json:"refused"`
	// Refund is what order.refund of the injected order answers.
	Refund struct {
		Reason string `json:"reason"`
		// Status is "done" (the vendor refunded Amount minor units; the
		// command is redelivered: one refund) or "unsupported".
		Status string `json:"status"`
		Amount int64  `json:"amount"`
	} `json:"refund"`
	// PartialRefund, when set, is an amount whose refund is unsupported.
	PartialRefund int64 `json:"partial_refund"`
}

// injectStandIn is one vendor's stand-in seen through small functions.
type injectStandIn struct {
	vendor          string // the integration's vendor
	creds, settings map[string]string
	// ordersFor returns the vendor's ids of its orders for Aura order id.
	ordersFor func(auraID string) []string
	// checkOrder checks vendor facts about the created order (nil: none).
	checkOrder func(t *testing.T, vendorOrderID string)
	// checkRefund checks the vendor's record of a done refund (nil: none).
	checkRefund func(t *testing.T, vendorOrderID, refundID string)
}

var injectStandIns = map[string]func(t *testing.T) *injectStandIn{}

// registerInjectStandIn adds a stand-in driver (from an init function in
// inject_<vendor>_test.go).
func registerInjectStandIn(name string, start func(t *testing.T) *injectStandIn) {
	if _, dup := injectStandIns[name]; dup {
		panic("two inject stand-in drivers for " + name)
	}
	injectStandIns[name] = start
}

func loadInjectCase(t *testing.T, dir string) *injectCase {
	t.Helper()
	c := &injectCase{dir: dir}
	readCaseFile(t, filepath.Join(dir, "case.json"), c)
	if c.Refund.Status != "done" && c.Refund.Status != "unsupported" {
		t.Fatalf("%s/case.json: refund.status is %q, want done or unsupported", dir, c.Refund.Status)
	}
	return c
}

// orderData is the order.inject data of a case's order kind.
func (c *injectCase) orderData(t *testing.T, integration, orderID, kind string) map[string]any {
	t.Helper()
	d := injectFor(integration, orderID)
	switch kind {
	case "full":
	case "croissants":
		o := d["order"].(model.Order)
		o.LineItems = o.LineItems[1:]
		o.Totals = model.Totals{Subtotal: model.M(650, "USD"), Total: model.M(650, "USD")}
		d["order"] = o
		p := d["payment"].(model.Payment)
		p.Amount = model.M(650, "USD")
		d["payment"] = p
	default:
		t.Fatalf("%s/case.json: order %q, want full or croissants", c.dir, kind)
	}
	return d
}

func runInject(t *testing.T, name string, c *injectCase, start func(t *testing.T) *injectStandIn) {
	w := startInjectDaemon(t)
	si := start(t)
	id := name + "-1"
	w.connectAndPush(t, id, si.vendor, si.creds, si.settings)
	aura := "ord-aura-" + name + "-1"

	res := w.command(t, name+"-inject-1", "order.inject", c.orderData(t, id, aura, c.Order), 1)
	var out bridge.JobOutcome
	mustJSON(t, res.Details, &out)
	if res.Status != "ok" || out.Status != bridge.JobDone || out.VendorOrderID == "" || (c.PaymentRecorded && out.VendorPaymentID == "") {
		t.Fatalf("order.inject: %+v %s\n%s", res, res.Details, w.logs)
	}
	w.command(t, name+"-inject-1", "order.inject", c.orderData(t, id, aura, c.Order), 2)
	if c.NewCommandSameOrder {
		// Another command for the same Aura order (the cloud retrying
		// under a new id): the adapter finds the order.
		res = w.command(t, name+"-inject-1b", "order.inject", c.orderData(t, id, aura, c.Order), 1)
		var again bridge.JobOutcome
		mustJSON(t, res.Details, &again)
		if res.Status != "ok" || again.VendorOrderID != out.VendorOrderID {
			t.Errorf("second command for the same order: %+v %s", res, res.Details)
		}
	}
	if ids := si.ordersFor(aura); len(ids) != 1 || ids[0] != out.VendorOrderID {
		t.Fatalf("orders at %s for %s: %v, want [%s]", name, aura, ids, out.VendorOrderID)
	}
	if si.checkOrder != nil {
		si.checkOrder(t, out.VendorOrderID)
	}

	if r := c.Refused; r != nil {
		refused := "ord-aura-" + name + "-2"
		res = w.command(t, name+"-inject-2", "order.inject", c.orderData(t, id, refused, r.Order), 1)
		if res.Status != "error" || !strings.Contains(res.Message, r.Message) {
			t.Errorf("order the POS cannot take: %+v, want an error saying %q", res, r.Message)
		}
		if ids := si.ordersFor(refused); len(ids) != 0 {
			t.Errorf("orders created for a refused order: %v", ids)
		}
	}

	refund := map[string]any{"integration_id": id, "order_id": aura}
	if c.Refund.Reason != "" {
		refund["reason"] = c.Refund.Reason
	}
	res = w.command(t, name+"-refund-1", "order.refund", refund, 1)
	if c.Refund.Status == "unsupported" {
		if res.Status != "error" || res.Code != bridge.JobUnsupported {
			t.Errorf("refund at %s: %+v %s, want unsupported", name, res, res.Details)
		}
	} else {
		var rf bridge.JobOutcome
		mustJSON(t, res.Details, &rf)
		if res.Status != "ok" || rf.Status != bridge.JobDone || rf.VendorRefundID == "" || rf.RefundAmount != model.M(c.Refund.Amount, "USD") {
			t.Fatalf("refund at %s: %+v %s\n%s", name, res, res.Details, w.logs)
		}
		w.command(t, name+"-refund-1", "order.refund", refund, 2)
		if si.checkRefund != nil {
			si.checkRefund(t, out.VendorOrderID, rf.VendorRefundID)
		}
	}
	if c.PartialRefund != 0 {
		res = w.command(t, name+"-refund-2", "order.refund", map[string]any{"integration_id": id, "order_id": aura,
			"amount": model.M(c.PartialRefund, "USD")}, 1)
		if res.Status != "error" || res.Code != bridge.JobUnsupported {
			t.Errorf("partial refund at %s: %+v %s, want unsupported", name, res, res.Details)
		}
	}
}
