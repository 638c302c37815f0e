package custom_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/odootest"
)

func seedOdoo(srv *odootest.Server, at time.Time, n int) (sale, refund int) {
	for i := range n {
		srv.SeedOrder(at.Add(time.Duration(i)*time.Minute), 0,
			[]odootest.Line{{Product: "Espresso", Qty: "1", Price: "2.20", TaxRate: "10"}},
			[]odootest.Pay{{Method: "Cash", Amount: "2.42"}})
	}
	// 3 x 4.35 = 13.05 less 15% = 11.09 (11.0925), +10% tax 1.11; 0.5 x 7.99 = 4.00 (3.995), +20% 0.80.
	sale = srv.SeedOrder(at.Add(-time.Hour), 0, []odootest.Line{
		{Product: "Pasta", Qty: "3", Price: "4.35", Discount: "15", TaxRate: "10"},
		{Product: "Wine (carafe)", Qty: "0.5", Price: "7.99", TaxRate: "20"},
	}, []odootest.Pay{{Method: "Bank card", Amount: "10.00"}, {Method: "Cash", Amount: "7.00"}})
	refund = srv.SeedOrder(at.Add(-30*time.Minute), sale, []odootest.Line{
		{Product: "Wine (carafe)", Qty: "-0.5", Price: "7.99", TaxRate: "20"},
	}, []odootest.Pay{{Method: "Cash", Amount: "-4.80"}})
	return sale, refund
}

func TestOdooPull(t *testing.T) {
	c := newClock()
	srv := odootest.Start(t, odootest.WithClock(c.Now))
	sale, refund := seedOdoo(srv, t0.Add(-5*time.Hour), 5)
	settings := srv.Settings()
	settings["page_size"] = "3"
	logs := &syncBuffer{}
	a := newShipped(t, shipped(t, "odoo-pos.yaml"), srv.Credentials(), settings, c, logs)
	if err := a.TestConnection(ctx(t)); err != nil {
		t.Fatalf("TestConnection: %v", err)
	}
	srv.ResetRequests()
	pages, _ := pullAll(t, a, nil)
	got := byRef(pages)
	if len(got) != 7 || len(pages) != 3 {
		t.Fatalf("%d orders in %d pages, want 7 in 3; logs:\n%s", len(got), len(pages), logs)
	}
	// One search_read per page for orders, one each for lines and payments.
	if n := len(srv.Requests()); n != 3*3 {
		t.Errorf("%d JSON-RPC calls, want 9", n)
	}
	body := string(srv.Requests()[0].Body)
	if !strings.Contains(body, `"execute_kw"`) || !strings.Contains(body, `"pos.order"`) || !strings.Contains(body, `"write_date","\u003e="`) {
		t.Errorf("first call: %s", body)
	}
	o := got[strconv.Itoa(sale)]
	raw, _ := srv.Order(sale)
	if raw["amount_total"] != "17.00" && o.Totals.Total != eur(1700) {
		t.Errorf("sale total %v, Odoo amount_total %v", o.Totals.Total, raw["amount_total"])
	}
	if o.Totals.Subtotal != eur(1705) || o.Totals.Discount != eur(196) || o.Totals.Tax != eur(191) || o.Totals.Total != eur(1700) {
		t.Errorf("sale totals %+v", o.Totals)
	}
	if len(o.LineItems) != 2 || len(o.Discounts) != 1 || len(o.Payments) != 2 || o.Payments[1].Amount != eur(700) {
		t.Errorf("sale: lines %d discounts %+v payments %+v", len(o.LineItems), o.Discounts, o.Payments)
	}
	r := got[strconv.Itoa(refund)]
	if r.Totals.Total != eur(480) || len(r.Refunds) != 1 || r.Refunds[0].Amount != eur(480) || len(r.Payments) != 0 ||
		r.LineItems[0].Quantity.Milli() != 500 {
		t.Errorf("refund: totals %+v refunds %+v payments %+v lines %+v", r.Totals, r.Refunds, r.Payments, r.LineItems)
	}
	res, err := a.FetchOrders(ctx(t), []string{strconv.Itoa(sale)})
	if err != nil || len(res.Orders) != 1 || res.Orders[0].Totals != o.Totals || len(res.Orders[0].Payments) != 2 {
		t.Errorf("FetchOrders: %+v %v", res, err)
	}
}

func TestOdooErrorsInsideSuccess(t *testing.T) {
	c := newClock()
	srv := odootest.Start(t, odootest.WithClock(c.Now))
	seedOdoo(srv, t0.Add(-time.Hour), 1)
	a := newShipped(t, shipped(t, "odoo-pos.yaml"), srv.Credentials(), srv.Settings(), c, &syncBuffer{})

	srv.FailNext(1, odootest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "12"})
	_, err := a.PullOrders(ctx(t), nil)
	var ve *pos.VendorError
	if !errors.As(err, &ve) || ve.Kind != pos.Retryable || ve.RetryAfter != 12*time.Second {
		t.Errorf("429: %v", err)
	}
	srv.FailNext(1, odootest.Fault{Status: http.StatusInternalServerError})
	if _, err := a.PullOrders(ctx(t), nil); pos.KindOf(err) != pos.Retryable {
		t.Errorf("500: %v", err)
	}
	srv.FailNext(1, odootest.Fault{Name: "psycopg2.errors.SerializationFailure", Model: "pos.order.line"})
	if _, err := a.PullOrders(ctx(t), nil); pos.KindOf(err) != pos.Retryable || !errors.As(err, &ve) || ve.Code != "psycopg2.errors.SerializationFailure" {
		t.Errorf("serialization failure inside a 200: %v", err)
	}
	srv.RevokeKey()
	err = a.TestConnection(ctx(t))
	if pos.KindOf(err) != pos.Auth || !errors.As(err, &ve) || ve.Message != "Access Denied" {
		t.Errorf("revoked key: %v", err)
	}
}

func TestOdooPushMenu(t *testing.T) {
	c := newClock()
	srv := odootest.Start(t, odootest.WithClock(c.Now))
	a := newShipped(t, shipped(t, "odoo-pos.yaml"), srv.Credentials(), srv.Settings(), c, &syncBuffer{})
	menu := loadMenu(t)
	rs, err := a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatalf("PushMenu: %v", err)
	}
	st := statuses(rs)
	if st["variation/var-latte-12"] != pos.StatusCreated || st["item/item-latte"] != pos.StatusCreated {
		t.Errorf("statuses %v", st)
	}
	ps := srv.Products()
	nvars := 0
	for _, it := range menu.Items {
		nvars += len(it.Variations)
	}
	if len(ps) != nvars {
		t.Fatalf("%d products, want %d", len(ps), nvars)
	}
	if ps[0]["name"] != "Latte 12oz" || ps[0]["list_price"] != 4.5 || ps[0]["default_code"] != "LAT-12" {
		t.Errorf("first product %v", ps[0])
	}
	rs, _ = a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if statuses(rs)["variation/var-latte-12"] != pos.StatusUnchanged {
		t.Errorf("second push %v", statuses(rs))
	}
	menu.Items[0].Variations[0].Price.Amount = 495
	rs, err = a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil || statuses(rs)["variation/var-latte-12"] != pos.StatusUpdated || srv.Products()[0]["list_price"] != 4.95 || len(srv.Products()) != nvars {
		t.Errorf("update: %v %v %v", statuses(rs), err, srv.Products()[0])
	}
	// A write Odoo refuses inside a 200 fails that object only.
	srv.FailNext(1, odootest.Fault{Name: "odoo.exceptions.ValidationError", Model: "product.product"})
	menu.Items[0].Variations[0].Price.Amount = 500
	rs, err = a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil || statuses(rs)["variation/var-latte-12"] != pos.StatusFailed {
		t.Errorf("refused write: %v %v", statuses(rs), err)
	}
}
