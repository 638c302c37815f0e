package daemon

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/loyversetest"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/odootest"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/sumuptest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/model"
)

// customCase is one shipped manifest (configs/adapters) and its stand-in,
// seen through small functions.
type customCase struct {
	manifest string // file in configs/adapters
	vendor   string // the manifest's vendor: Source.Vendor of its orders
	creds    map[string]string
	settings map[string]string
	// seed stores an order at the vendor and returns its external id and
	// its total in minor units as the vendor states it.
	seed func(t *testing.T, n int) (string, int64)
	// currency of the seeded orders.
	currency string
	// pushes is false when the manifest reports menus unsupported.
	pushes  bool
	writes  func() int // catalogue writes so far
	webhook func(ext string, valid bool) (http.Header, []byte)
}

func loyverseCase(t *testing.T) customCase {
	srv := loyversetest.Start(t)
	settings := srv.Settings()
	settings["currency"] = "USD"
	return customCase{manifest: "loyverse.yaml", vendor: "loyverse", creds: srv.Credentials(), settings: settings, currency: "USD",
		seed: func(t *testing.T, n int) (string, int64) {
			num := "5-" + strconv.Itoa(5000+n)
			r := srv.SeedReceipt(loyversetest.Sale{Number: num, At: time.Now().UTC().Add(-time.Second),
				Lines: []loyversetest.SaleLine{{Name: "Latte", Variant: "16oz", Qty: "2", Price: "5.25",
					Modifiers: []loyversetest.SaleModifier{{Name: "Milk", Option: "Oat", Price: "0.75"}}},
					{Name: "Croissant", Qty: "1", Price: "3.25"}},
				Discount: "0.50", Taxes: []loyversetest.SaleTax{{Name: "Sales", Rate: "8.875"}}, Tip: "2.00",
				Payments: []loyversetest.SalePayment{{Type: "CARD", Name: "Card", Amount: "10.00"}, {Type: "CASH", Name: "Cash", Amount: "8.06"}}})
			return num, minorOf(t, string(r.TotalMoney))
		},
		pushes: true, writes: func() int { return len(srv.Writes()) },
		webhook: func(ext string, valid bool) (http.Header, []byte) {
			h, b := srv.Webhook(ext)
			if !valid {
				h.Set("X-Loyverse-Signature", loyversetest.Sign("not-the-secret", b))
			}
			return h, b
		},
	}
}

func sumupCase(t *testing.T) customCase {
	srv := sumuptest.Start(t)
	return customCase{manifest: "sumup.yaml", vendor: "sumup", creds: srv.Credentials(), settings: srv.Settings(), currency: "EUR",
		seed: func(t *testing.T, n int) (string, int64) {
			tx := srv.Pay(time.Now().UTC().Add(-time.Second), "18.90", "EUR", "POS", "VISA", "Table "+strconv.Itoa(n))
			return tx.ID, 1890
		},
		writes: func() int { return 0 },
	}
}

func odooCase(t *testing.T) customCase {
	srv := odootest.Start(t)
	return customCase{manifest: "odoo-pos.yaml", vendor: "odoo", creds: srv.Credentials(), settings: srv.Settings(), currency: "EUR",
		seed: func(t *testing.T, n int) (string, int64) {
			id := srv.SeedOrder(time.Now().UTC().Add(-time.Second), 0, []odootest.Line{
				{Product: "Pasta", Qty: "2", Price: "11.50", Discount: "10", TaxRate: "10"},
				{Product: "Water", Qty: "1", Price: "2.40", TaxRate: "10"},
			}, []odootest.Pay{{Method: "Bank card", Amount: "25.41"}})
			o, _ := srv.Order(id)
			return strconv.Itoa(id), minorOf(t, fmt.Sprint(o["amount_total"]))
		},
		pushes: true, writes: func() int {
			n := 0
			for _, r := range srv.Requests() {
				if len(r.Body) > 0 && (bytes.Contains(r.Body, []byte(`"create"`)) || bytes.Contains(r.Body, []byte(`"write"`))) {
					n++
				}
			}
			return n
		},
	}
}

func minorOf(t *testing.T, major string) int64 {
	t.Helper()
	d, err := decimal.NewFromString(major)
	if err != nil {
		t.Fatal(err)
	}
	return d.Shift(2).IntPart()
}

// TestCustomVendorsEndToEnd runs the three shipped manifests through the
// real daemon, each against its vendor's stand-in: connect through the
// local API's connect endpoint (vendor custom, manifest inline), the first
// scheduled pull, a pull by orders.sync command, a webhook (Loyverse signs
// them; SumUp and Odoo do not), a menu.push command, and each attempt in
// GET /v1/sync-logs.
func TestCustomVendorsEndToEnd(t *testing.T) {
	for _, mk := range []func(*testing.T) customCase{loyverseCase, sumupCase, odooCase} {
		cc := mk(t)
		t.Run(cc.vendor, func(t *testing.T) { runCustom(t, cc) })
	}
}

func runCustom(t *testing.T, cc customCase) {
	manifest, err := os.ReadFile(filepath.Join("..", "..", "configs", "adapters", cc.manifest))
	if err != nil {
		t.Fatal(err)
	}
	id := "custom-" + cc.vendor
	e := startVendorDaemon(t, id)
	extA, wantA := cc.seed(t, 1) // there before the integration: the first scheduled pull brings it

	settings := map[string]string{"manifest_yaml": string(manifest)}
	for k, v := range cc.settings {
		settings[k] = v
	}
	code, body := e.api(t, "POST", "/integrations/pos/connect", map[string]any{
		"id": id, "name": "E2E " + cc.vendor, "vendor": "custom", "credentials": cc.creds, "settings": settings})
	if code != http.StatusCreated {
		t.Fatalf("connect: %d %s", code, body)
	}
	assertNoSecrets(t, "connect answer", body, cc.creds)
	e.waitStatus(t, "first scheduled order pull", func(s bridge.IntegrationStatus) bool {
		return s.LastOrderSync != nil && s.LastOrderSync.Status == audit.Success
	})
	checkTotal := func(o model.Order, want int64) {
		t.Helper()
		if o.Totals.Total.Amount != want || o.Totals.Total.Currency != cc.currency || o.Source.IntegrationID != id {
			t.Errorf("order %s: total %v from %s, the vendor says %d %s", o.Source.ExternalID, o.Totals.Total, o.Source.IntegrationID, want, cc.currency)
		}
		if paid := e.paidWait(t, o.ID, want); paid != want {
			t.Errorf("order %s: payments add up to %d, want %d", o.Source.ExternalID, paid, want)
		}
	}
	checkTotal(e.waitOrder(t, cc.vendor, extA), wantA)

	// By command.
	extB, wantB := cc.seed(t, 2)
	time.Sleep(5 * time.Millisecond) // past the millisecond of the seed (see ordersSync)
	cr, results := e.command(t, "orders.sync", ordersSync{IntegrationID: id})
	if cr.Status != "ok" || len(results) != 1 || results[0].Status != "success" || results[0].New == 0 {
		t.Fatalf("orders.sync: %+v %+v", cr, results)
	}
	checkTotal(e.waitOrder(t, cc.vendor, extB), wantB)

	// By webhook.
	if cc.webhook != nil {
		extC, wantC := cc.seed(t, 3)
		h, b := cc.webhook(extC, true)
		if code, state := e.webhook(t, h, b); code != http.StatusOK || state != "accepted" {
			t.Fatalf("signed webhook: %d %s", code, state)
		}
		checkTotal(e.waitOrder(t, cc.vendor, extC), wantC)
		h, b = cc.webhook(extC, false)
		if code, state := e.webhook(t, h, b); code != http.StatusUnauthorized || state != "rejected" {
			t.Errorf("webhook with a wrong signature: %d %s", code, state)
		}
		e.d.Core().Bridge.WaitFetches()
	}

	// Menu push.
	n := cc.writes()
	res := e.pushMenu(t, cafeMenu("v1", nil))
	assertObjectsCover(t, res.Objects)
	if cc.pushes {
		if res.Status != "success" || cc.writes() == n {
			t.Errorf("menu push: %+v, %d writes", res, cc.writes()-n)
		}
		for _, o := range res.Objects {
			if o.Kind == pos.KindVariation && o.Status != pos.StatusCreated && o.Status != pos.StatusUpdated {
				t.Errorf("variation %s: %s (%s)", o.AuraID, o.Status, o.Reason)
			}
		}
		n = cc.writes()
		if res := e.pushMenu(t, cafeMenu("v1", nil)); res.Status != "success" || cc.writes() != n {
			t.Errorf("second push of v1: %+v, %d writes", res, cc.writes()-n)
		}
	} else if res.Status != "unsupported" {
		t.Errorf("menu push to %s: %+v", cc.vendor, res)
	}

	// Every attempt is in the audit log.
	wants := map[string]audit.Status{"integration_connect": audit.Success, "order_pull": audit.Success, "command": audit.Success}
	if cc.webhook != nil {
		wants["webhook"], wants["order_fetch"] = audit.Success, audit.Success
	}
	if cc.pushes {
		wants["menu_push"] = audit.Success
	} else {
		wants["menu_push"] = audit.Unsupported
	}
	for typ, st := range wants {
		found := false
		for _, r := range e.syncLogs(t, typ) {
			found = found || r.Status == st
		}
		if !found {
			t.Errorf("sync-logs: no %s record with status %s", typ, st)
		}
	}
	if cc.webhook != nil {
		rejected := false
		for _, r := range e.syncLogs(t, "webhook") {
			rejected = rejected || r.Status == audit.Rejected
		}
		if !rejected {
			t.Error("sync-logs: the badly signed webhook is not recorded as rejected")
		}
	}
	for k, v := range cc.creds {
		if len(v) >= 6 && strings.Contains(e.logs.String(), v) {
			t.Errorf("credential %s found in the daemon's logs", k)
		}
	}
}

// paidWait waits until the payments published for an Aura order add up
// to want (with tips) and returns what they add up to.
func (e *vendorE2E) paidWait(t *testing.T, orderID string, want int64) int64 {
	t.Helper()
	var paid int64
	_ = e.sub.WaitErr(10*time.Second, func() bool {
		paid = 0
		for _, p := range e.paymentEvents(orderID) {
			paid += p.Amount.Amount + p.Tip.Amount
		}
		return paid == want
	})
	return paid
}
