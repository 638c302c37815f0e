package custom_test

import (
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/loyversetest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// shipped reads a manifest from configs/adapters.
func shipped(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "configs", "adapters", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newShipped(t *testing.T, manifest string, creds, settings map[string]string, c *clock, logs *syncBuffer) *custom.Adapter {
	t.Helper()
	settings["manifest_yaml"] = manifest
	a, err := custom.NewAdapter(pos.Config{IntegrationID: "int-" + t.Name(), Credentials: creds, Settings: settings,
		State: pos.NewMemState(), Now: c.Now,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatalf("NewAdapter: %v", err)
	}
	return a
}

func byRef(pages []*pos.PullResult) map[string]model.Order {
	m := map[string]model.Order{}
	for _, p := range pages {
		for _, o := range p.Orders {
			m[o.Source.ExternalID] = o
		}
	}
	return m
}

// seedLoyverse seeds n plain sales plus one of every shape: modifiers, a
// discount, added and included tax, surcharge, tip, a split payment, and
// a refund receipt of the split sale.
func seedLoyverse(srv *loyversetest.Server, at time.Time, n int) {
	for i := range n {
		srv.SeedReceipt(loyversetest.Sale{Number: "1-" + itoa(1000+i), At: at.Add(time.Duration(i) * time.Minute),
			Lines: []loyversetest.SaleLine{{Name: "Espresso", Qty: "1", Price: "2.80"}}})
	}
	srv.SeedReceipt(loyversetest.Sale{Number: "2-2001", At: at.Add(-time.Hour),
		Lines: []loyversetest.SaleLine{
			{Name: "Latte", Variant: "Large", Qty: "2", Price: "4.50",
				Modifiers: []loyversetest.SaleModifier{{Name: "Milk", Option: "Oat", Price: "0.75"}, {Name: "Syrup", Option: "Vanilla", Price: "0.35"}}},
			{Name: "Beans", Qty: "0.375", Price: "31.99"},
		},
		Discount: "1.00", Taxes: []loyversetest.SaleTax{{Name: "Sales", Rate: "8.875"}, {Name: "VAT", Rate: "20", Included: true}},
		Surcharge: "2.00", Tip: "1.50",
		Payments: []loyversetest.SalePayment{{Type: "CARD", Name: "Card", Amount: "20.00"}, {Type: "CASH", Name: "Cash", Amount: "7.67"}},
	})
	srv.SeedReceipt(loyversetest.Sale{Number: "2-2002", Refund: "2-2001", At: at.Add(-30 * time.Minute),
		Lines:    []loyversetest.SaleLine{{Name: "Latte", Variant: "Large", Qty: "1", Price: "4.50"}},
		Payments: []loyversetest.SalePayment{{Type: "CARD", Name: "Card", Amount: "4.50"}}})
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestLoyversePull(t *testing.T) {
	c := newClock()
	srv := loyversetest.Start(t, loyversetest.WithClock(c.Now))
	seedLoyverse(srv, t0.Add(-5*time.Hour), 12)
	settings := srv.Settings()
	settings["page_size"] = "5"
	logs := &syncBuffer{}
	a := newShipped(t, shipped(t, "loyverse.yaml"), srv.Credentials(), settings, c, logs)
	if err := a.TestConnection(ctx(t)); err != nil {
		t.Fatalf("TestConnection: %v", err)
	}
	pages, _ := pullAll(t, a, nil)
	if len(pages) != 3 {
		t.Errorf("%d pages, want 3 (14 receipts, 5 a page)", len(pages))
	}
	got := byRef(pages)
	if len(got) != 14 {
		t.Fatalf("%d orders, want 14; logs:\n%s", len(got), logs)
	}
	sale := got["2-2001"]
	// Receipt total_money 27.67: 2x(4.50+0.75+0.35)=11.20, 0.375x31.99=12.00 (11.99625),
	// less 1.00, +8.875% of 22.20 = 1.97 (20% VAT included: 3.70), + surcharge 2.00 + tip 1.50.
	want := model.Totals{
		Subtotal: usd(2320), Discount: usd(100), Tax: usd(567), InclusiveTax: usd(370),
		ServiceCharge: usd(200), Tip: usd(150), Total: usd(2767),
	}
	rc := mustReceipt(t, srv, "2-2001")
	if rc.TotalMoney != "27.67" {
		t.Errorf("stand-in total_money %s", rc.TotalMoney)
	}
	if sale.Totals != want {
		t.Errorf("totals %+v\nwant %+v (receipt total_money %s, total_tax %s)", sale.Totals, want, rc.TotalMoney, rc.TotalTax)
	}
	if len(sale.Payments) != 2 || sale.Payments[0].Method != model.MethodCard || sale.Payments[1].Method != model.MethodCash {
		t.Errorf("payments %+v", sale.Payments)
	}
	if n := len(sale.LineItems[0].Modifiers); n != 2 || sale.LineItems[0].Modifiers[0].Name != "Milk: Oat" {
		t.Errorf("modifiers %+v", sale.LineItems[0].Modifiers)
	}
	ref := got["2-2002"]
	if len(ref.Refunds) != 1 || ref.Refunds[0].Amount != usd(450) || len(ref.Payments) != 0 {
		t.Errorf("refund receipt: refunds %+v payments %+v", ref.Refunds, ref.Payments)
	}
	if ref.Refunds[0].PaymentID != sale.Payments[0].ID {
		t.Errorf("refund payment id %q, want the sale's first payment %q", ref.Refunds[0].PaymentID, sale.Payments[0].ID)
	}
	for _, o := range got {
		if ps := o.Validate(); ps != nil {
			t.Errorf("%s invalid: %v", o.Source.ExternalID, ps)
		}
	}
}

func usd(n int64) model.Money { return model.Money{Amount: n, Currency: "USD"} }

func mustReceipt(t *testing.T, srv *loyversetest.Server, n string) loyversetest.Receipt {
	t.Helper()
	r, ok := srv.Receipt(n)
	if !ok {
		t.Fatalf("no receipt %s", n)
	}
	return r
}

func TestLoyverseFailures(t *testing.T) {
	c := newClock()
	srv := loyversetest.Start(t, loyversetest.WithClock(c.Now))
	seedLoyverse(srv, t0.Add(-time.Hour), 2)
	a := newShipped(t, shipped(t, "loyverse.yaml"), srv.Credentials(), srv.Settings(), c, &syncBuffer{})

	srv.FailNext(1, loyversetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "7", Code: "RATE_LIMITED"})
	_, err := a.PullOrders(ctx(t), nil)
	var ve *pos.VendorError
	if !errors.As(err, &ve) || ve.Kind != pos.Retryable || ve.RetryAfter != 7*time.Second || ve.Code != "RATE_LIMITED" {
		t.Errorf("429: %#v", err)
	}
	srv.FailNext(1, loyversetest.Fault{Status: http.StatusInternalServerError})
	if _, err := a.PullOrders(ctx(t), nil); pos.KindOf(err) != pos.Retryable {
		t.Errorf("500: %v", err)
	}
	srv.RevokeToken()
	_, err = a.PullOrders(ctx(t), nil)
	if pos.KindOf(err) != pos.Auth || !errors.As(err, &ve) || ve.Code != "UNAUTHORIZED" {
		t.Errorf("401: %v", err)
	}
}

func TestLoyversePushAndWebhook(t *testing.T) {
	c := newClock()
	srv := loyversetest.Start(t, loyversetest.WithClock(c.Now))
	seedLoyverse(srv, t0.Add(-time.Hour), 1)
	a := newShipped(t, shipped(t, "loyverse.yaml"), srv.Credentials(), srv.Settings(), c, &syncBuffer{})
	menu := loadMenu(t)
	rs, err := a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatalf("PushMenu: %v", err)
	}
	st := statuses(rs)
	if st["item/item-latte"] != pos.StatusCreated || st["category/cat-coffee"] != pos.StatusUnsupported {
		t.Errorf("statuses %v", st)
	}
	items := srv.Items()
	if len(items) != len(menu.Items) {
		t.Fatalf("%d items at Loyverse, want %d", len(items), len(menu.Items))
	}
	var latte loyversetest.Item
	for _, r := range rs {
		if r.AuraID == "item-latte" {
			latte = items[r.VendorID]
		}
	}
	if latte.ItemName != "Latte" || len(latte.Variants) != 2 || string(*latte.Variants[1].DefaultPrice) != "5.25" {
		t.Errorf("latte at Loyverse: %+v", latte)
	}
	rs, err = a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil || statuses(rs)["item/item-latte"] != pos.StatusUnchanged {
		t.Errorf("second push: %v %v", statuses(rs), err)
	}
	menu.Items[0].Variations[0].Price.Amount = 475
	rs, err = a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil || statuses(rs)["item/item-latte"] != pos.StatusUpdated || len(srv.Items()) != len(menu.Items) {
		t.Errorf("price change: %v %v, %d items", statuses(rs), err, len(srv.Items()))
	}

	h, body := srv.Webhook("2-2001")
	ev, err := a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: h, Body: body})
	if err != nil || len(ev.OrderIDs) != 1 || ev.OrderIDs[0] != "2-2001" {
		t.Fatalf("VerifyWebhook: %+v %v", ev, err)
	}
	h.Set("X-Loyverse-Signature", loyversetest.Sign("wrong", body))
	if _, err := a.VerifyWebhook(ctx(t), pos.WebhookRequest{Header: h, Body: body}); !errors.Is(err, pos.ErrBadSignature) {
		t.Errorf("bad signature: %v", err)
	}
	res, err := a.FetchOrders(ctx(t), []string{"2-2001", "9-9999"})
	if err != nil || len(res.Orders) != 1 || res.Orders[0].Totals.Total != usd(2767) {
		t.Errorf("FetchOrders: %+v %v", res, err)
	}
}
