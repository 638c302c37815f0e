package bridge_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/internal/audit"
)

// A signed delivery is accepted and its sale fetched at once; a wrong or a
// missing signature is refused with 401 (two refusals within the window
// make one audit record); a replay of the signed delivery is acknowledged
// as a duplicate and fetches nothing. The bridge half of
// TestVendorsEndToEnd's 5_webhooks step, without the daemon's HTTP server.
func TestWebhookSignatureReplayAndFetch(t *testing.T) {
	e := newPushEnv(t)
	if r := e.push(t, latteMenu("v1", 450)); r.Status != "success" {
		t.Fatalf("push: %+v", r)
	}
	var latte string
	for _, p := range e.srv.Products() {
		if p.SourceID == "edge:item-latte" && p.SKU == "LAT12" {
			latte = p.ID
		}
	}
	if latte == "" {
		t.Fatalf("no 12oz latte at the stand-in: %+v", e.srv.Products())
	}
	sale := e.srv.SeedSale(lightspeedtest.SaleSpec{ReceiptNumber: "W-1",
		Lines:    []lightspeedtest.LineSpec{{ProductID: latte, Quantity: "1", UnitPrice: "4.50", TaxRate: "0.08875"}},
		Payments: []lightspeedtest.PaymentSpec{{Type: "Cash"}}})
	fetches := func() int {
		n := 0
		for _, r := range e.srv.Requests() {
			if r.Method == http.MethodGet && r.Path == "/sales/"+sale {
				n++
			}
		}
		return n
	}
	count := func(typ string, st audit.Status) int {
		rs, err := e.al.Query(audit.Filter{Type: typ, Status: st, Integration: pushID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	ctx := context.Background()

	good := e.srv.Webhook(sale)
	if r := e.b.Webhook(ctx, pushID, good); r.Status != http.StatusOK || r.State != "accepted" {
		t.Fatalf("signed webhook: %+v", r)
	}
	e.b.WaitFetches()
	if n := fetches(); n != 1 {
		t.Errorf("the stand-in saw %d fetches of the sale, want 1", n)
	}
	if n := count("order_fetch", audit.Success); n != 1 {
		t.Errorf("%d successful order_fetch records, want 1", n)
	}
	for name, opt := range map[string]lightspeedtest.WebhookOption{
		"wrong signature": lightspeedtest.SignWith("not-the-client-secret"),
		"no signature":    lightspeedtest.SignatureHeader(""),
	} {
		if r := e.b.Webhook(ctx, pushID, e.srv.Webhook(sale, opt)); r.Status != http.StatusUnauthorized || r.State != "rejected" {
			t.Errorf("webhook with %s: %+v", name, r)
		}
	}
	if r := e.b.Webhook(ctx, pushID, good); r.Status != http.StatusOK || r.State != "duplicate" {
		t.Errorf("replayed webhook: %+v", r)
	}
	e.b.WaitFetches()
	if n := fetches(); n != 1 {
		t.Errorf("after refused and replayed webhooks the stand-in saw %d fetches, want 1", n)
	}
	if n := count("webhook", audit.Success); n != 1 {
		t.Errorf("%d accepted webhook records, want exactly 1 (the replay is a duplicate)", n)
	}
	if n := count("webhook", audit.Rejected); n != 1 {
		t.Errorf("%d rejected webhook records, want 1 for both refusals within the window", n)
	}
}
