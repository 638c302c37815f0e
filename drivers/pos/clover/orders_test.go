package clover_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
	"github.com/auraconnect/aura-edge/internal/model"
)

var (
	tax9    = clovertest.TaxRate{ID: "TAX9PCT000001", Name: "Sales tax", Rate: 900000}
	tax8875 = clovertest.TaxRate{ID: "TAXNYC0000001", Name: "NYC sales tax", Rate: 887500}
	tax8    = clovertest.TaxRate{ID: "TAX8PCT000001", Name: "Sales tax", Rate: 800000}
	vat20   = clovertest.TaxRate{ID: "VAT20PCT00001", Name: "VAT", Rate: 2000000}
)

func i64(n int64) *int64 { return &n }

type totals struct{ sub, disc, tax, incl, svc, tip, total int64 }

func totalsOf(o *model.Order) totals {
	t := o.Totals
	return totals{t.Subtotal.Amount, t.Discount.Amount, t.Tax.Amount, t.InclusiveTax.Amount, t.ServiceCharge.Amount, t.Tip.Amount, t.Total.Amount}
}

// TestNormalizeOrders seeds Clover orders and checks the Aura orders against
// figures worked out by hand from Clover's "Calculate order totals" rules.
func TestNormalizeOrders(t *testing.T) {
	tests := []struct {
		name  string
		order clovertest.Order
		pay   func(total int64) []clovertest.Payment
		want  totals
		tip   int64 // tips of successful payments
		check func(t *testing.T, o *model.Order)
	}{
		{
			name: "modifiers and per-line tax rounding",
			order: clovertest.Order{Title: "#12", Note: "no foam", LineItems: []clovertest.LineItem{
				{Name: "Latte 12oz", Price: 450, TaxRates: []clovertest.TaxRate{tax8875},
					Modifications: []clovertest.Modification{{Name: "Oat milk", Amount: 75}}},
				{Name: "Croissant", Price: 325, TaxRates: []clovertest.TaxRate{tax8875}},
			}},
			// 525 x 8.875% = 46.59 -> 47; 325 x 8.875% = 28.84 -> 29; 850 + 76 = 926
			pay: func(total int64) []clovertest.Payment {
				return []clovertest.Payment{clovertest.Card(total, 150, "VISA", "4242")}
			},
			want: totals{sub: 850, tax: 76, tip: 150, total: 1076},
			check: func(t *testing.T, o *model.Order) {
				li := o.LineItems[0]
				if li.Name != "Latte 12oz" || li.Quantity != model.Q(1) || li.UnitPrice.Amount != 450 || len(li.Modifiers) != 1 ||
					li.Modifiers[0].Name != "Oat milk" || li.Modifiers[0].UnitPrice.Amount != 75 || li.Gross.Amount != 525 {
					t.Errorf("line = %+v", li)
				}
				if o.Reference != "#12" || o.Note != "no foam" || o.State != model.OrderCompleted {
					t.Errorf("reference %q note %q state %s", o.Reference, o.Note, o.State)
				}
				if len(o.Taxes) != 1 || o.Taxes[0].Percentage != "8.875" || o.Taxes[0].ID != tax8875.ID {
					t.Errorf("taxes = %+v", o.Taxes)
				}
				p := o.Payments[0]
				if p.Method != model.MethodCard || p.CardBrand != "VISA" || p.Last4 != "4242" || p.Amount.Amount != 926 ||
					p.Tip.Amount != 150 || p.Status != model.PaymentCompleted || p.OrderID != o.ID {
					t.Errorf("payment = %+v", p)
				}
			},
		},
		{
			name: "line percentage, line amount and order amount discounts",
			order: clovertest.Order{
				LineItems: []clovertest.LineItem{
					{Name: "Latte", Price: 450, TaxRates: []clovertest.TaxRate{tax9},
						Discounts: []clovertest.Discount{{Name: "Happy hour", Percentage: 10}}},
					{Name: "Muffin", Price: 300, TaxRates: []clovertest.TaxRate{tax9},
						Discounts: []clovertest.Discount{{Name: "Day old", Amount: -50}}},
				},
				Discounts: []clovertest.Discount{{Name: "Coupon", Amount: -100}},
			},
			// nets 405 + 250 = 655; -100 -> 555; tax 405*555/655*9% = 30.9 -> 31, 250*555/655*9% = 19.1 -> 19
			pay:  func(total int64) []clovertest.Payment { return []clovertest.Payment{clovertest.Cash(total)} },
			want: totals{sub: 750, disc: 195, tax: 50, total: 605},
			check: func(t *testing.T, o *model.Order) {
				if len(o.Discounts) != 3 || o.Discounts[0].LineItemID != o.LineItems[0].ID || o.Discounts[0].Percentage != "10" ||
					o.Discounts[0].Amount.Amount != 45 || o.Discounts[2].LineItemID != "" || o.Discounts[2].Amount.Amount != 100 {
					t.Errorf("discounts = %+v", o.Discounts)
				}
				if o.Payments[0].Method != model.MethodCash {
					t.Errorf("method %s", o.Payments[0].Method)
				}
			},
		},
		{
			name: "order percentage discount, service charge and split payments with tips",
			order: clovertest.Order{
				LineItems: []clovertest.LineItem{
					{Name: "Burger", Price: 1200, TaxRates: []clovertest.TaxRate{tax8}},
					{Name: "Fries", Price: 400, TaxRates: []clovertest.TaxRate{tax8}},
				},
				Discounts:     []clovertest.Discount{{Name: "Staff", Percentage: 10}},
				ServiceCharge: &clovertest.ServiceCharge{Name: "Large party", PercentageDecimal: 180000},
			},
			// 1600 -10% = 1440; service 18% = 259.2 -> 259; tax 1080*8% = 86.4 -> 86, 360*8% = 28.8 -> 29
			pay: func(total int64) []clovertest.Payment {
				return []clovertest.Payment{clovertest.Cash(900), clovertest.Card(total-900, 200, "MC", "5454")}
			},
			want: totals{sub: 1600, disc: 160, svc: 259, tax: 115, tip: 200, total: 2014},
			check: func(t *testing.T, o *model.Order) {
				if len(o.Payments) != 2 || o.Payments[1].CardBrand != "MASTERCARD" || o.Payments[1].Amount.Amount != 914 {
					t.Errorf("payments = %+v", o.Payments)
				}
				if len(o.ServiceCharges) != 1 || o.ServiceCharges[0].Name != "Large party" {
					t.Errorf("service charges = %+v", o.ServiceCharges)
				}
			},
		},
		{
			name: "negative modifier becomes a line discount",
			order: clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Burger", Price: 900, TaxRates: []clovertest.TaxRate{tax9},
				Modifications: []clovertest.Modification{{Name: "No cheese", Amount: -50}}}}},
			// clover line 850; tax 76.5 -> 77
			pay:  func(total int64) []clovertest.Payment { return []clovertest.Payment{clovertest.Cash(total)} },
			want: totals{sub: 900, disc: 50, tax: 77, total: 927},
			check: func(t *testing.T, o *model.Order) {
				if m := o.LineItems[0].Modifiers[0]; m.Name != "No cheese" || m.UnitPrice.Amount != 0 {
					t.Errorf("modifier = %+v", m)
				}
				if len(o.Discounts) != 1 || o.Discounts[0].Name != "No cheese" || o.Discounts[0].LineItemID != o.LineItems[0].ID {
					t.Errorf("discounts = %+v", o.Discounts)
				}
			},
		},
		{
			name:  "VAT merchant: tax included in prices",
			order: clovertest.Order{Currency: "EUR", IsVat: true, LineItems: []clovertest.LineItem{{Name: "Flat white", Price: 450, TaxRates: []clovertest.TaxRate{vat20}}}},
			// 450 x 20/120 = 75 included
			pay: func(total int64) []clovertest.Payment {
				return []clovertest.Payment{clovertest.Card(total, 0, "VISA", "1111")}
			},
			want: totals{sub: 450, tax: 75, incl: 75, total: 450},
			check: func(t *testing.T, o *model.Order) {
				if o.Currency != "EUR" || !o.Taxes[0].Inclusive {
					t.Errorf("currency %s taxes %+v", o.Currency, o.Taxes)
				}
			},
		},
		{
			name:  "weighed item: unitQty in thousandths",
			order: clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Apples", Price: 299, UnitQty: 1500}}},
			// 299 x 1.5 = 448.5 -> 449
			pay:  func(total int64) []clovertest.Payment { return []clovertest.Payment{clovertest.Cash(total)} },
			want: totals{sub: 449, total: 449},
			check: func(t *testing.T, o *model.Order) {
				if o.LineItems[0].Quantity != 1500 {
					t.Errorf("quantity %s", o.LineItems[0].Quantity)
				}
			},
		},
		{
			name:  "tax removed on the order",
			order: clovertest.Order{TaxRemoved: true, LineItems: []clovertest.LineItem{{Name: "Latte", Price: 450, TaxRates: []clovertest.TaxRate{tax9}}}},
			pay:   func(total int64) []clovertest.Payment { return []clovertest.Payment{clovertest.Cash(total)} },
			want:  totals{sub: 450, total: 450},
		},
		{
			name:  "quick sale without line items",
			order: clovertest.Order{TotalOverride: i64(1000)},
			pay:   func(total int64) []clovertest.Payment { return []clovertest.Payment{clovertest.Cash(total)} },
			want:  totals{sub: 1000, total: 1000},
			check: func(t *testing.T, o *model.Order) {
				if len(o.LineItems) != 1 || o.LineItems[0].Name != "Custom amount" {
					t.Errorf("lines = %+v", o.LineItems)
				}
			},
		},
		{
			name:  "clover total one cent above the derived tax: tax follows clover",
			order: clovertest.Order{TotalOverride: i64(491), LineItems: []clovertest.LineItem{{Name: "Latte", Price: 450, TaxRates: []clovertest.TaxRate{tax8875}}}},
			// derived 450 + 40 = 490; clover says 491
			pay:  func(total int64) []clovertest.Payment { return []clovertest.Payment{clovertest.Cash(total)} },
			want: totals{sub: 450, tax: 41, total: 491},
		},
		{
			name:  "clover total below the lines without tax: adjustment discount",
			order: clovertest.Order{TotalOverride: i64(420), LineItems: []clovertest.LineItem{{Name: "Latte", Price: 450}}},
			pay:   func(total int64) []clovertest.Payment { return []clovertest.Payment{clovertest.Cash(total)} },
			want:  totals{sub: 450, disc: 30, total: 420},
			check: func(t *testing.T, o *model.Order) {
				if len(o.Discounts) != 1 || o.Discounts[0].Name != "Clover total adjustment" {
					t.Errorf("discounts = %+v", o.Discounts)
				}
			},
		},
		{
			name:  "voided payment's tip is not counted; refund mapped",
			order: clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Cake", Price: 600}}},
			pay: func(total int64) []clovertest.Payment {
				v := clovertest.Card(total, 300, "AMEX", "0005")
				v.Result = "VOIDED"
				return []clovertest.Payment{v, clovertest.Card(total, 100, "AMEX", "0005")}
			},
			want: totals{sub: 600, tip: 100, total: 700},
			check: func(t *testing.T, o *model.Order) {
				if o.Payments[0].Status != model.PaymentCanceled || o.Payments[1].CardBrand != "AMERICAN_EXPRESS" {
					t.Errorf("payments = %+v", o.Payments)
				}
			},
		},
		{
			name:  "open order without payments",
			order: clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Tea", Price: 250, TaxRates: []clovertest.TaxRate{tax9}}}},
			// 250 x 9% = 22.5 -> 23
			want: totals{sub: 250, tax: 23, total: 273},
			check: func(t *testing.T, o *model.Order) {
				if o.State != model.OrderOpen || len(o.Payments) != 0 || !o.ClosedAt.IsZero() {
					t.Errorf("state %s payments %d closed %v", o.State, len(o.Payments), o.ClosedAt)
				}
			},
		},
	}
	// Every case runs through both paths: the poll (the orders list) and
	// the webhook fetch (one order by id), which Clover documents with
	// different expansions.
	for _, path := range []string{"list", "webhook"} {
		for _, tc := range tests {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				e := setup(t, nil)
				o := tc.order
				if tc.pay != nil {
					total := clovertest.ComputeTotals(&o).Total
					if o.TotalOverride != nil {
						total = *o.TotalOverride
					}
					o.Payments = tc.pay(total)
				}
				stored := e.srv.SeedOrder(o)
				var res *pos.PullResult
				var err error
				if path == "list" {
					e.clock.Add(time.Second) // the window ends before now
					res, err = e.a.PullOrders(ctx(t), nil)
				} else {
					res, err = e.a.FetchOrders(ctx(t), []string{stored.ID})
				}
				if err != nil {
					t.Fatal(err)
				}
				if ig := e.srv.Ignored(); len(ig) > 0 {
					t.Errorf("adapter asked for undocumented expansions: %q", ig)
				}
				checkNormalized(t, e, res, stored, tc.want, tc.check)
			})
		}
	}
}

func checkNormalized(t *testing.T, e *env, res *pos.PullResult, stored clovertest.Order, want totals, check func(*testing.T, *model.Order)) {
	t.Helper()
	if len(res.Orders) != 1 {
		t.Fatalf("%d orders; logs:\n%s", len(res.Orders), e.logs)
	}
	got := &res.Orders[0]
	if ps := got.Validate(); ps != nil {
		t.Fatalf("normalised order invalid: %v", ps)
	}
	if tt := totalsOf(got); tt != want {
		t.Errorf("totals = %+v, want %+v", tt, want)
	}
	// The invariant: Aura's total is Clover's total plus tips.
	if got.Totals.Total.Amount != stored.Total+got.Tip.Amount {
		t.Errorf("total %d != clover total %d + tips %d", got.Totals.Total.Amount, stored.Total, got.Tip.Amount)
	}
	if got.Source.Vendor != "clover" || got.Source.IntegrationID != "int-clover-1" || got.Source.ExternalID != stored.ID ||
		got.Source.Version != itoa(stored.ModifiedTime) || got.Source.LocationID != e.srv.Merchant() {
		t.Errorf("source = %+v", got.Source)
	}
	if len(res.Payments) != len(got.Payments) {
		t.Errorf("result payments %d, order payments %d", len(res.Payments), len(got.Payments))
	}
	if check != nil {
		check(t, got)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestNormalizeRefund(t *testing.T) {
	e := setup(t, nil)
	o := clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Cake", Price: 600}}, Payments: []clovertest.Payment{clovertest.Card(600, 0, "VISA", "4242")}}
	stored := e.srv.SeedOrder(o)
	stored, _ = e.srv.UpdateOrder(stored.ID, func(o *clovertest.Order) {
		o.Refunds = []clovertest.Refund{{PaymentID: o.Payments[0].ID, Amount: 600}}
		o.PaymentState = "REFUNDED"
	})
	res, err := e.a.FetchOrders(ctx(t), []string{stored.ID})
	if err != nil || len(res.Orders) != 1 {
		t.Fatalf("fetch: %v %d", err, len(res.Orders))
	}
	got := res.Orders[0]
	if len(got.Refunds) != 1 || got.Refunds[0].Amount.Amount != 600 || got.Refunds[0].PaymentID != got.Payments[0].ID ||
		got.Refunds[0].Source.ExternalID != stored.Refunds[0].ID {
		t.Errorf("refunds = %+v", got.Refunds)
	}
	if ps := got.Validate(); ps != nil {
		t.Error(ps)
	}
}

func TestOrderLinesMapBackToMenu(t *testing.T) {
	e := setup(t, nil)
	res, err := e.a.PushMenu(ctx(t), loadMenu(t), pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	latte := vendorID(t, res, pos.KindVariation, "var-latte-16")
	oat := vendorID(t, res, pos.KindModifier, "mod-oat")
	stored := e.srv.SeedOrder(clovertest.Order{LineItems: []clovertest.LineItem{{ItemID: latte, Name: "Latte 16oz", Price: 525,
		Modifications: []clovertest.Modification{{Name: "Oat milk", Amount: 75, ModifierID: oat}}}}})
	pr, err := e.a.FetchOrders(ctx(t), []string{stored.ID})
	if err != nil || len(pr.Orders) != 1 {
		t.Fatalf("fetch: %v", err)
	}
	li := pr.Orders[0].LineItems[0]
	if li.ItemID != "item-latte" || li.VariationID != "var-latte-16" || li.Modifiers[0].ModifierID != "mod-oat" || li.Modifiers[0].GroupID != "grp-milk" {
		t.Errorf("line ids = item %q variation %q modifier %+v", li.ItemID, li.VariationID, li.Modifiers[0])
	}
}

func TestFetchOrdersSkipsDeleted(t *testing.T) {
	e := setup(t, nil)
	a := e.srv.SeedOrder(clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Tea", Price: 250}}})
	b := e.srv.SeedOrder(clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Tea", Price: 250}}})
	e.srv.DeleteOrder(b.ID)
	res, err := e.a.FetchOrders(ctx(t), []string{a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Orders) != 1 || res.Orders[0].Source.ExternalID != a.ID || res.Next != nil {
		t.Errorf("orders = %d, next = %s", len(res.Orders), res.Next)
	}
	// "Get a single order" documents lineItems and payments but not their
	// modifications, tax rates or tender: those come from the order's line
	// items and payments operations.
	r := e.srv.Requests()[0]
	if exp := r.Query.Get("expand"); !strings.Contains(exp, "lineItems") || !strings.Contains(exp, "payments") ||
		strings.Contains(exp, "lineItems.") {
		t.Errorf("expand = %q", exp)
	}
	if ig := e.srv.Ignored(); len(ig) > 0 {
		t.Errorf("undocumented expansions asked for: %q", ig)
	}
}

// pullAll pulls until More is false and returns the external ids seen per
// call and the final cursor.
func pullAll(t *testing.T, e *env, cur []byte) ([][]string, []byte) {
	t.Helper()
	var calls [][]string
	for i := 0; ; i++ {
		if i > 50 {
			t.Fatal("PullOrders never finished")
		}
		res, err := e.a.PullOrders(ctx(t), cur)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range res.Orders {
			if ps := o.Validate(); ps != nil {
				t.Errorf("order %s invalid: %v", o.Source.ExternalID, ps)
			}
			ids = append(ids, o.Source.ExternalID)
		}
		calls = append(calls, ids)
		if len(res.Next) == 0 {
			t.Fatal("PullOrders returned no cursor")
		}
		cur = res.Next
		if !res.More {
			return calls, cur
		}
	}
}

func flat(calls [][]string) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c...)
	}
	return out
}

func seedAt(e *env, at time.Time, name string) clovertest.Order {
	return e.srv.SeedOrder(clovertest.Order{CreatedTime: at.UnixMilli(), Title: name,
		LineItems: []clovertest.LineItem{{Name: name, Price: 100}}})
}

func TestPullOrdersPagesCursorAndOverlap(t *testing.T) {
	e := setup(t, func(c *pos.Config) {
		c.Settings["page_size"] = "3"
		c.Settings["overlap"] = "10m"
		c.Settings["initial_lookback"] = "2h"
	})
	old := seedAt(e, t0.Add(-3*time.Hour), "too old")
	var want []string
	for i := range 7 {
		want = append(want, seedAt(e, t0.Add(-time.Duration(70-i*10)*time.Minute), "o").ID)
	}
	calls, cur := pullAll(t, e, nil)
	if got := flat(calls); !slices.Equal(got, want) {
		t.Errorf("first pull = %v, want %v (not %s)", got, want, old.ID)
	}
	if len(calls) != 3 || len(calls[0]) != 3 || len(calls[2]) != 1 {
		t.Errorf("pages = %v, want 3+3+1", calls)
	}
	for _, r := range e.srv.Requests() {
		if r.Query.Get("limit") != "3" || r.Query.Get("orderBy") != "modifiedTime ASC" {
			t.Errorf("query %v", r.Query)
		}
	}
	first := e.srv.Requests()[0].Query["filter"]
	if !slices.Equal(first, []string{"modifiedTime>=" + itoa(t0.Add(-2*time.Hour).UnixMilli()), "modifiedTime<" + itoa(t0.UnixMilli())}) {
		t.Errorf("first filters = %v", first)
	}

	// Five minutes later: an offline order arrives stamped four minutes
	// before the previous window's end, and a new one is made.
	e.clock.Add(5 * time.Minute)
	late := seedAt(e, t0.Add(-4*time.Minute), "late offline order")
	fresh := seedAt(e, t0.Add(2*time.Minute), "new")
	e.srv.ResetRequests()
	calls, _ = pullAll(t, e, cur)
	got := flat(calls)
	if !slices.Contains(got, late.ID) || !slices.Contains(got, fresh.ID) {
		t.Errorf("second pull = %v, want the late %s and new %s", got, late.ID, fresh.ID)
	}
	// The window starts overlap (10m) before the previous end and re-reads
	// the last order of the first pull (t0-10m).
	if f := e.srv.Requests()[0].Query["filter"]; f[0] != "modifiedTime>="+itoa(t0.Add(-10*time.Minute).UnixMilli()) {
		t.Errorf("second window filters = %v", f)
	}
	if !slices.Contains(got, want[6]) {
		t.Errorf("overlap did not re-read %s: %v", want[6], got)
	}
	if slices.Contains(got, want[0]) {
		t.Errorf("re-read %s from outside the overlap", want[0])
	}
}

func TestPullOrdersSameMillisecondAcrossPages(t *testing.T) {
	e := setup(t, func(c *pos.Config) { c.Settings["page_size"] = "2" })
	at := t0.Add(-time.Minute)
	var want []string
	for range 5 {
		want = append(want, seedAt(e, at, "same ms").ID)
	}
	want = append(want, seedAt(e, at.Add(time.Second), "later").ID)
	calls, _ := pullAll(t, e, nil)
	got := flat(calls)
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want each once in order %v", got, want)
	}
}

func TestPullOrdersModifiedWhilePaging(t *testing.T) {
	e := setup(t, func(c *pos.Config) { c.Settings["page_size"] = "2" })
	var ids []string
	for i := range 5 {
		ids = append(ids, seedAt(e, t0.Add(-time.Duration(50-i)*time.Minute), "o").ID)
	}
	res, err := e.a.PullOrders(ctx(t), nil)
	if err != nil || !res.More {
		t.Fatalf("first page: %v more=%v", err, res.More)
	}
	// The first order is modified now: it leaves this window. Plain offset
	// paging would now skip ids[2].
	e.clock.Add(time.Second)
	if _, err := e.srv.UpdateOrder(ids[0], func(o *clovertest.Order) { o.Note = "extra napkins" }); err != nil {
		t.Fatal(err)
	}
	calls, cur := pullAll(t, e, res.Next)
	got := append([]string{res.Orders[0].Source.ExternalID, res.Orders[1].Source.ExternalID}, flat(calls)...)
	if !slices.Equal(got, ids) {
		t.Errorf("got %v, want %v", got, ids)
	}
	// The next window brings the modified order with its new version.
	e.clock.Add(time.Minute)
	calls, _ = pullAll(t, e, cur)
	if !slices.Contains(flat(calls), ids[0]) {
		t.Errorf("modified order not pulled again: %v", calls)
	}
}

func TestPullOrdersFallsBackWhenUnsorted(t *testing.T) {
	e := setup(t, func(c *pos.Config) { c.Settings["page_size"] = "2" })
	e.srv.IgnoreOrderBy(true) // newest first, whatever orderBy says
	var want []string
	for i := range 5 {
		want = append(want, seedAt(e, t0.Add(-time.Duration(50-i)*time.Minute), "o").ID)
	}
	calls, _ := pullAll(t, e, nil)
	got := flat(calls)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want all of %v", got, want)
	}
	if !strings.Contains(e.logs.String(), "plain offset paging") {
		t.Errorf("fallback not logged")
	}
}

func TestPullOrdersEmptyAndBadCursor(t *testing.T) {
	e := setup(t, nil)
	res, err := e.a.PullOrders(ctx(t), nil)
	if err != nil || res.More || len(res.Orders) != 0 || len(res.Next) == 0 {
		t.Fatalf("empty pull: %v %+v", err, res)
	}
	if _, err := e.a.PullOrders(ctx(t), []byte("not json")); err == nil {
		t.Error("bad cursor accepted")
	}
}

func TestPullOrdersSkipsEmptyOrders(t *testing.T) {
	e := setup(t, nil)
	e.srv.SeedOrder(clovertest.Order{CreatedTime: t0.Add(-time.Minute).UnixMilli()}) // opened, never used
	good := seedAt(e, t0.Add(-time.Minute), "tea")
	calls, _ := pullAll(t, e, nil)
	if got := flat(calls); !slices.Equal(got, []string{good.ID}) {
		t.Errorf("got %v", got)
	}
}

// TestDerivedTotalsAgreeWithClover seeds random orders whose totals the
// stand-in computes independently (math/big) and checks that the adapter's
// figures match without any reconciliation.
func TestDerivedTotalsAgreeWithClover(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { derivedTotals(t, seed) })
	}
}

func derivedTotals(t *testing.T, seed uint64) {
	e := setup(t, func(c *pos.Config) { c.Settings["page_size"] = "1000" })
	rng := rand.New(rand.NewPCG(seed, 2))
	rates := []clovertest.TaxRate{tax9, tax8875, tax8, {ID: "TAXODD0000001", Name: "Odd", Rate: 712345}}
	want := map[string]int64{}
	for i := range 300 {
		o := clovertest.Order{CreatedTime: t0.Add(-time.Duration(i+1) * time.Second).UnixMilli(), IsVat: rng.IntN(10) == 0}
		for range 1 + rng.IntN(4) {
			li := clovertest.LineItem{Name: "x", Price: int64(rng.IntN(5000))}
			if rng.IntN(5) == 0 {
				li.UnitQty = int64(1 + rng.IntN(3000))
			}
			for range rng.IntN(3) {
				li.Modifications = append(li.Modifications, clovertest.Modification{Name: "m", Amount: int64(rng.IntN(300) - 50)})
			}
			if rng.IntN(3) == 0 {
				li.Discounts = append(li.Discounts, clovertest.Discount{Name: "p", Percentage: int64(1 + rng.IntN(50))})
			}
			if rng.IntN(4) == 0 {
				li.Discounts = append(li.Discounts, clovertest.Discount{Name: "a", Amount: -int64(rng.IntN(200))})
			}
			for _, r := range rates {
				if rng.IntN(2) == 0 {
					li.TaxRates = append(li.TaxRates, r)
				}
			}
			o.LineItems = append(o.LineItems, li)
		}
		if rng.IntN(3) == 0 {
			o.Discounts = append(o.Discounts, clovertest.Discount{Name: "op", Percentage: int64(1 + rng.IntN(30))})
		}
		if rng.IntN(4) == 0 {
			o.Discounts = append(o.Discounts, clovertest.Discount{Name: "oa", Amount: -int64(rng.IntN(300))})
		}
		if rng.IntN(4) == 0 {
			o.ServiceCharge = &clovertest.ServiceCharge{Name: "svc", PercentageDecimal: int64(rng.IntN(250000))}
		}
		total := clovertest.ComputeTotals(&o).Total
		if rng.IntN(2) == 0 {
			o.Payments = []clovertest.Payment{clovertest.Card(total, int64(rng.IntN(500)), "VISA", "4242")}
		}
		s := e.srv.SeedOrder(o)
		want[s.ID] = s.Total
	}
	calls, _ := pullAll(t, e, nil)
	res, err := e.a.FetchOrders(ctx(t), flat(calls))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, o := range res.Orders {
		if w, ok := want[o.Source.ExternalID]; ok {
			got++
			if o.Totals.Total.Amount-o.Tip.Amount != w {
				t.Errorf("order %s: total %d - tip %d != clover %d", o.Source.ExternalID, o.Totals.Total.Amount, o.Tip.Amount, w)
			}
		}
	}
	if got < 250 { // orders whose lines net to zero are skipped or trivial; most remain
		t.Errorf("only %d of %d orders normalised; logs:\n%s", got, len(want), e.logs)
	}
	if strings.Contains(e.logs.String(), "adjusted") {
		t.Errorf("reconciliation was needed: the adapter's rules differ from the stand-in's\n%s", e.logs)
	}
}

// TestDocumentedExampleOrder reads Clover's documented example order (Latte
// 450 with an Oat modification of 75, a 9% tax rate, total 572, a payment
// of 572 with a tip of 100) through the poll and the webhook fetch, paid by
// card and in cash. The tax must arrive as the line's 9% sales tax (not as
// a "total adjustment"), the modifier must stay on its line, and cash must
// be cash, although no orders operation documents line tax rates and
// "Get a single order" documents neither modifications nor tenders.
func TestDocumentedExampleOrder(t *testing.T) {
	for _, path := range []string{"list", "webhook"} {
		for _, tender := range []string{"card", "cash"} {
			t.Run(path+"/"+tender, func(t *testing.T) {
				e := setup(t, nil)
				pay := clovertest.Payment{ID: "PAY1", Amount: 572, TipAmount: 100, TaxAmount: 47, CardType: "VISA", Last4: "4242"}
				method := model.MethodCard
				if tender == "cash" {
					pay = clovertest.Cash(572)
					pay.ID, pay.TipAmount, pay.TaxAmount = "PAY1", 100, 47
					method = model.MethodCash
				}
				stored := e.srv.SeedOrder(clovertest.Order{ID: "ORD1", Currency: "USD", LineItems: []clovertest.LineItem{{
					ID: "LI1", ItemID: "IT1", Name: "Latte", Price: 450,
					Modifications: []clovertest.Modification{{Name: "Oat", Amount: 75, ModifierID: "MOD1"}},
					TaxRates:      []clovertest.TaxRate{{ID: "TX1", Name: "Sales tax", Rate: 900000}}}},
					Payments: []clovertest.Payment{pay}})
				if stored.Total != 572 {
					t.Fatalf("stand-in total %d, the documented example says 572", stored.Total)
				}
				var res *pos.PullResult
				var err error
				if path == "list" {
					e.clock.Add(time.Second)
					res, err = e.a.PullOrders(ctx(t), nil)
				} else {
					res, err = e.a.FetchOrders(ctx(t), []string{"ORD1"})
				}
				if err != nil {
					t.Fatal(err)
				}
				checkNormalized(t, e, res, stored, totals{sub: 525, tax: 47, tip: 100, total: 672}, func(t *testing.T, o *model.Order) {
					if len(o.Taxes) != 1 || o.Taxes[0].ID != "TX1" || o.Taxes[0].Name != "Sales tax" || o.Taxes[0].Percentage != "9" || o.Taxes[0].Amount.Amount != 47 {
						t.Errorf("taxes = %+v", o.Taxes)
					}
					if len(o.Discounts) != 0 || len(o.ServiceCharges) != 0 {
						t.Errorf("adjustments: discounts %+v, service charges %+v", o.Discounts, o.ServiceCharges)
					}
					if ms := o.LineItems[0].Modifiers; len(ms) != 1 || ms[0].Name != "Oat" || ms[0].UnitPrice.Amount != 75 {
						t.Errorf("modifiers = %+v", ms)
					}
					if p := o.Payments[0]; p.Method != method || p.Amount.Amount != 572 || p.Tip.Amount != 100 {
						t.Errorf("payment = %+v, want method %s", p, method)
					}
					if tender == "card" && (o.Payments[0].CardBrand != "VISA" || o.Payments[0].Last4 != "4242") {
						t.Errorf("card = %q %q", o.Payments[0].CardBrand, o.Payments[0].Last4)
					}
				})
				if ig := e.srv.Ignored(); len(ig) > 0 {
					t.Errorf("undocumented expansions asked for: %q", ig)
				}
			})
		}
	}
}

// TestTenderResolvedWhenNotExpanded: if the list's tender expansion is
// spelt otherwise than the adapter asks (the parameter text says
// payment.tender; the collection is payments), the tender arrives as a bare
// {id} and the adapter resolves it through the merchant's tenders, read
// once and cached.
func TestTenderResolvedWhenNotExpanded(t *testing.T) {
	e := setup(t, nil, clovertest.WithTenderExpansion("payments.tender"))
	for range 2 {
		e.srv.SeedOrder(clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Tea", Price: 250}},
			Payments: []clovertest.Payment{clovertest.Cash(250)}})
	}
	e.clock.Add(time.Second)
	res, err := e.a.PullOrders(ctx(t), nil)
	if err != nil || len(res.Orders) != 2 {
		t.Fatalf("pull: %v", err)
	}
	for _, o := range res.Orders {
		if m := o.Payments[0].Method; m != model.MethodCash {
			t.Errorf("order %s paid in cash recorded as %s", o.Source.ExternalID, m)
		}
	}
	if ig := e.srv.Ignored(); len(ig) != 1 || ig[0] != "list orders expand=payment.tender" {
		t.Errorf("ignored = %q", ig)
	}
	n := 0
	for _, r := range e.srv.Requests() {
		if strings.HasSuffix(r.Path, "/tenders") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("tenders read %d times, want once (cached)", n)
	}
}

// TestRequestsPerOrder pins the cost of reading what the orders operations
// do not inline: the webhook fetch reads an order, its line items and its
// payments (3 requests); the poll reads a page plus the line items of each
// order that may be taxed (an untaxed order costs nothing more).
func TestRequestsPerOrder(t *testing.T) {
	e := setup(t, nil)
	taxed := e.srv.SeedOrder(clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Tea", Price: 250, TaxRates: []clovertest.TaxRate{tax9}}},
		Payments: []clovertest.Payment{clovertest.Cash(273)}})
	e.srv.SeedOrder(clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Water", Price: 100}},
		Payments: []clovertest.Payment{clovertest.Cash(100)}})
	count := func() map[string]int {
		n := map[string]int{}
		for _, r := range e.srv.Requests() {
			p := r.Path[strings.Index(r.Path, "/orders"):]
			switch {
			case strings.HasSuffix(p, "/line_items"):
				n["line_items"]++
			case strings.HasSuffix(p, "/payments"):
				n["payments"]++
			case p == "/orders":
				n["list"]++
			default:
				n["order"]++
			}
		}
		e.srv.ResetRequests()
		return n
	}
	e.clock.Add(time.Second)
	e.srv.ResetRequests()
	if _, err := e.a.PullOrders(ctx(t), nil); err != nil {
		t.Fatal(err)
	}
	if n := count(); n["list"] != 1 || n["line_items"] != 1 || n["payments"] != 0 || n["order"] != 0 {
		t.Errorf("poll of one taxed and one untaxed order: %v", n)
	}
	if _, err := e.a.FetchOrders(ctx(t), []string{taxed.ID}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n["order"] != 1 || n["line_items"] != 1 || n["payments"] != 1 {
		t.Errorf("webhook fetch of one order: %v", n)
	}
}
