package toast

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// vendorTotals reads a stored order's own figures, independently of the
// adapter: Σ round(amount) + round(taxAmount) over the checks that count
// (Check.amount excludes gratuity and taxes), Σ round(taxAmount), Σ tips of
// standing payments plus Σ gratuity service charges, and each selection's
// round(preDiscountPrice).
func vendorTotals(t *testing.T, raw []byte) (total, tax, tip int64, gross map[string]int64) {
	t.Helper()
	var o struct {
		Voided bool `json:"voided"`
		Checks []struct {
			Voided                bool            `json:"voided"`
			Amount                decimal.Decimal `json:"amount"`
			TaxAmount             decimal.Decimal `json:"taxAmount"`
			AppliedServiceCharges []struct {
				ChargeAmount decimal.Decimal `json:"chargeAmount"`
				Gratuity     bool            `json:"gratuity"`
			} `json:"appliedServiceCharges"`
			Selections []struct {
				GUID             string          `json:"guid"`
				Voided           bool            `json:"voided"`
				PreDiscountPrice decimal.Decimal `json:"preDiscountPrice"`
			} `json:"selections"`
			Payments []struct {
				TipAmount     decimal.Decimal `json:"tipAmount"`
				PaymentStatus *string         `json:"paymentStatus"`
			} `json:"payments"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	cents := func(d decimal.Decimal) int64 { return d.Round(2).Shift(2).IntPart() }
	gross = map[string]int64{}
	for _, c := range o.Checks {
		if c.Voided && !o.Voided {
			continue
		}
		total += cents(c.Amount) + cents(c.TaxAmount)
		tax += cents(c.TaxAmount)
		for _, sc := range c.AppliedServiceCharges {
			if sc.Gratuity {
				tip += cents(sc.ChargeAmount)
			}
		}
		for _, s := range c.Selections {
			if !s.Voided {
				gross["li_"+s.GUID] = cents(s.PreDiscountPrice)
			}
		}
		for _, p := range c.Payments {
			if p.PaymentStatus == nil || (*p.PaymentStatus != "VOIDED" && *p.PaymentStatus != "DENIED") {
				tip += cents(p.TipAmount)
			}
		}
	}
	return
}

func TestNormaliseOrders(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	card := func(tip string) toasttest.PaymentSpec {
		return toasttest.PaymentSpec{Type: "CREDIT", Tip: tip, CardType: "VISA", Last4: "4242"}
	}
	tests := []struct {
		name  string
		spec  *toasttest.OrderSpec
		raw   string
		check func(t *testing.T, o *model.Order)
	}{
		{name: "modifier, tax, tip", spec: &toasttest.OrderSpec{DisplayNumber: "7", Checks: []toasttest.CheckSpec{{
			Selections: []toasttest.SelectionSpec{{Name: "Latte", UnitPrice: "5.25", TaxRate: "0.09",
				Modifiers: []toasttest.ModifierSpec{{Name: "Oat", Price: "0.75"}}}},
			Payments: []toasttest.PaymentSpec{card("1.00")}}}},
			check: func(t *testing.T, o *model.Order) {
				li := o.LineItems[0]
				if li.UnitPrice.Amount != 525 || len(li.Modifiers) != 1 || li.Modifiers[0].UnitPrice.Amount != 75 || li.Modifiers[0].Name != "Oat" {
					t.Errorf("line %+v", li)
				}
				p := o.Payments[0]
				if p.Amount.Amount != 654 || p.Tip.Amount != 100 || p.CardBrand != "VISA" || p.Last4 != "4242" || p.Method != model.MethodCard {
					t.Errorf("payment %+v", p)
				}
				if o.Taxes[0].Name != "Sales tax" || o.Taxes[0].Percentage != "9" || o.Reference != "7" || o.State != model.OrderCompleted {
					t.Errorf("order %+v", o)
				}
			}},
		{name: "discounts, service charges, split payment", spec: &toasttest.OrderSpec{Checks: []toasttest.CheckSpec{{
			Selections: []toasttest.SelectionSpec{
				{Name: "Burger", Quantity: "2", UnitPrice: "12.50", TaxRate: "0.0825", Discount: &toasttest.DiscountSpec{Name: "Happy hour", Amount: "2.00"}},
				{Name: "Fries", UnitPrice: "4.25", TaxRate: "0.0825"},
			},
			Discount: &toasttest.DiscountSpec{Name: "10% off", Amount: "2.73"},
			ServiceCharges: []toasttest.ServiceChargeSpec{
				{Name: "Delivery", Amount: "3.00", TaxRate: "0.0825"},
				{Name: "Large party", Amount: "4.50", Gratuity: true},
			},
			Payments: []toasttest.PaymentSpec{{Type: "CASH", Amount: "20.00"}, card("3.50")}}}},
			check: func(t *testing.T, o *model.Order) {
				names := map[string]int64{}
				for _, d := range o.Discounts {
					names[d.Name] += d.Amount.Amount
				}
				if names["Happy hour"] != 200 || names["10% off"] != 273 {
					t.Errorf("discounts %+v", o.Discounts)
				}
				// The gratuity (4.50) is outside Check.amount: tip, not a
				// service charge nor a discount.
				if len(o.ServiceCharges) != 1 || o.ServiceCharges[0].Name != "Delivery" || len(o.Discounts) != 2 {
					t.Errorf("service charges %+v discounts %+v", o.ServiceCharges, o.Discounts)
				}
				if len(o.Payments) != 2 || o.Payments[0].Method != model.MethodCash || o.Tip.Amount != 350+450 {
					t.Errorf("payments %+v tip %d", o.Payments, o.Tip.Amount)
				}
			}},
		{name: "several checks, one voided", spec: &toasttest.OrderSpec{Checks: []toasttest.CheckSpec{
			{DisplayNumber: "1", Selections: []toasttest.SelectionSpec{{Name: "Soup", UnitPrice: "6.00", TaxRate: "0.0825"},
				{Name: "Bread", UnitPrice: "2.00", Voided: true}}, Payments: []toasttest.PaymentSpec{card("1.20")}},
			{DisplayNumber: "2", Selections: []toasttest.SelectionSpec{{Name: "Salad", UnitPrice: "9.00", TaxRate: "0.0825"}},
				Payments: []toasttest.PaymentSpec{{Type: "GIFTCARD"}}},
			{DisplayNumber: "3", Voided: true, Selections: []toasttest.SelectionSpec{{Name: "Wine", UnitPrice: "11.00"}}},
		}}, check: func(t *testing.T, o *model.Order) {
			if len(o.LineItems) != 2 || len(o.Payments) != 2 || !strings.HasPrefix(o.Note, "2 checks: #1, #2") {
				t.Errorf("lines %d payments %d note %q", len(o.LineItems), len(o.Payments), o.Note)
			}
			if len(o.Taxes) != 1 || o.Taxes[0].Amount.Amount != 50+74 {
				t.Errorf("taxes %+v", o.Taxes)
			}
			if o.Payments[1].Method != model.MethodGiftCard {
				t.Errorf("method %s", o.Payments[1].Method)
			}
		}},
		{name: "voided order", spec: &toasttest.OrderSpec{Voided: true, Checks: []toasttest.CheckSpec{{Voided: true,
			Selections: []toasttest.SelectionSpec{{Name: "Pie", UnitPrice: "5.00"}}}}},
			check: func(t *testing.T, o *model.Order) {
				if o.State != model.OrderCanceled {
					t.Errorf("state %s", o.State)
				}
			}},
		{name: "open check and refund", spec: &toasttest.OrderSpec{Checks: []toasttest.CheckSpec{{Status: "OPEN",
			Selections: []toasttest.SelectionSpec{{Name: "Cake", UnitPrice: "7.50", TaxRate: "0.05"}},
			Payments:   []toasttest.PaymentSpec{{Type: "CREDIT", Refund: "2.00", CardType: "AMEX"}}}}},
			check: func(t *testing.T, o *model.Order) {
				if o.State != model.OrderOpen || len(o.Refunds) != 1 || o.Refunds[0].Amount.Amount != 200 ||
					o.Refunds[0].PaymentID != o.Payments[0].ID {
					t.Errorf("state %s refunds %+v", o.State, o.Refunds)
				}
			}},
		{name: "quantity that does not divide, weighed item, voided selection", raw: "testdata/order_split_qty.json",
			check: func(t *testing.T, o *model.Order) {
				if len(o.LineItems) != 3 {
					t.Fatalf("lines %+v", o.LineItems)
				}
				a, b := o.LineItems[0], o.LineItems[1]
				if a.Quantity != model.Q(2) || b.Quantity != model.Q(1) || a.UnitPrice.Amount+1 != b.UnitPrice.Amount ||
					a.Modifiers[0].UnitPrice.Amount != 50 || b.ID != a.ID+SplitSuffix {
					t.Errorf("split lines %+v / %+v", a, b)
				}
				if o.LineItems[2].Quantity != 500 || o.LineItems[2].UnitPrice.Amount != 300 {
					t.Errorf("weighed %+v", o.LineItems[2])
				}
				if len(o.Discounts) != 0 || o.Taxes[0].ID != "tax_tr-state" {
					t.Errorf("discounts %+v taxes %+v", o.Discounts, o.Taxes)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var guid string
			if tc.raw != "" {
				b, err := os.ReadFile(tc.raw)
				if err != nil {
					t.Fatal(err)
				}
				if guid, err = f.srv.SeedRawOrder(b); err != nil {
					t.Fatal(err)
				}
			} else {
				guid = f.srv.SeedOrder(*tc.spec)
			}
			res, err := f.a.FetchOrders(ctx, []string{guid})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Orders) != 1 {
				t.Fatalf("got %d orders", len(res.Orders))
			}
			o := res.Orders[0]
			if ps := o.Validate(); ps != nil {
				t.Fatalf("invalid: %v", ps)
			}
			total, tax, tip, gross := vendorTotals(t, f.srv.OrderJSON(guid))
			if o.Totals.Total.Amount != total+tip || o.Totals.Tax.Amount != tax || o.Totals.Tip.Amount != tip {
				t.Errorf("totals %+v; vendor total %d + tip %d, tax %d", o.Totals, total, tip, tax)
			}
			got := map[string]int64{}
			for _, li := range o.LineItems {
				got[strings.TrimSuffix(li.ID, SplitSuffix)] += li.Gross.Amount
			}
			for id, g := range gross {
				if got[id] != g {
					t.Errorf("line %s gross %d, preDiscountPrice %d", id, got[id], g)
				}
			}
			if o.Source.Vendor != "toast" || o.Source.ExternalID != guid || o.Source.LocationID != toasttest.RestaurantGUID ||
				!strings.HasSuffix(o.Source.Version, "+0000") {
				t.Errorf("source %+v", o.Source)
			}
			tc.check(t, &o)
		})
	}
}

func TestPullPagingWindowsOverlap(t *testing.T) {
	f := newFixture(t, map[string]string{"initial_lookback": "36h", "max_window": "24h", "overlap": "10m"})
	ctx := context.Background()
	now := f.clk.Now()
	var seeded []string
	for i := range 250 {
		seeded = append(seeded, f.srv.SeedOrder(toasttest.OrderSpec{Modified: now.Add(-time.Duration(250-i) * time.Second),
			Checks: []toasttest.CheckSpec{{Selections: []toasttest.SelectionSpec{{Name: "Tea", UnitPrice: "3.00"}},
				Payments: []toasttest.PaymentSpec{{Type: "CASH"}}}}}))
	}
	old := f.srv.SeedOrder(toasttest.OrderSpec{Modified: now.Add(-30 * time.Hour),
		Checks: []toasttest.CheckSpec{{Selections: []toasttest.SelectionSpec{{Name: "Old", UnitPrice: "1.00"}}}}})

	pull := func(cur []byte) ([]string, []byte) {
		var got []string
		for range 20 {
			res, err := f.a.PullOrders(ctx, cur)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range res.Orders {
				got = append(got, o.Source.ExternalID)
			}
			cur = res.Next
			if !res.More {
				return got, cur
			}
		}
		t.Fatal("pull did not finish")
		return nil, nil
	}
	f.srv.ResetRequests()
	got, cur := pull(nil)
	if len(got) != 251 || got[0] != old || got[1] != seeded[0] || got[250] != seeded[249] {
		t.Fatalf("first pull got %d orders (first %v)", len(got), got[:2])
	}
	var qs []string
	for _, r := range f.srv.Requests() {
		if r.Path == "/orders/v2/ordersBulk" {
			qs = append(qs, r.Query.Get("startDate")+".."+r.Query.Get("endDate")+" p"+r.Query.Get("page")+" n"+r.Query.Get("pageSize"))
		}
	}
	want := []string{
		"2026-11-01T00:00:00.000+0000..2026-11-02T00:00:00.000+0000 p1 n100",
		"2026-11-02T00:00:00.000+0000..2026-11-02T12:00:00.000+0000 p1 n100",
		"2026-11-02T00:00:00.000+0000..2026-11-02T12:00:00.000+0000 p2 n100",
		"2026-11-02T00:00:00.000+0000..2026-11-02T12:00:00.000+0000 p3 n100",
	}
	if strings.Join(qs, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(qs, "\n"), strings.Join(want, "\n"))
	}
	var c cursor
	json.Unmarshal(cur, &c)
	if !c.End.Equal(now) || c.Window != nil {
		t.Errorf("cursor %s", cur)
	}

	// Five minutes later: an offline order reached Toast with a modified
	// time 3 minutes before the last pull's end. The overlap re-reads it.
	f.clk.Advance(5 * time.Minute)
	late := f.srv.SeedOrder(toasttest.OrderSpec{Modified: now.Add(-3 * time.Minute),
		Checks: []toasttest.CheckSpec{{Selections: []toasttest.SelectionSpec{{Name: "Late", UnitPrice: "2.00"}}}}})
	got, _ = pull(cur)
	found := false
	for _, g := range got {
		found = found || g == late
	}
	if !found {
		t.Errorf("late order not re-read; second pull got %d orders", len(got))
	}
	if len(got) > 251 {
		t.Errorf("second pull re-read too much: %d", len(got))
	}
}

func TestNormaliseRejectsBadOrders(t *testing.T) {
	f := newFixture(t, nil)
	res := &pos.PullResult{}
	f.a.normaliseAll([]json.RawMessage{
		json.RawMessage(`{"guid":"x"}`), // no modifiedDate
		json.RawMessage(`{"guid":"y","modifiedDate":"2026-11-02T11:00:00.000+0000","checks":[]}`), // no lines
		json.RawMessage(`not json`),
	}, res)
	if len(res.Orders) != 0 {
		t.Errorf("bad orders normalised: %+v", res.Orders)
	}
}

func BenchmarkNormaliseOrder(b *testing.B) {
	raw, err := os.ReadFile("testdata/order_split_qty.json")
	if err != nil {
		b.Fatal(err)
	}
	a, err := New(pos.Config{Credentials: map[string]string{"client_id": "a", "client_secret": "b"},
		Settings: map[string]string{"restaurant_guid": "r", "currency": "USD"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var o order
		if err := json.Unmarshal(raw, &o); err != nil {
			b.Fatal(err)
		}
		if _, err := a.normalise(&o); err != nil {
			b.Fatal(err)
		}
	}
}

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// The normalised Aura order for a fixture is pinned in a golden file
// (refresh with go test -update after checking the diff).
func TestNormaliseGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/order_split_qty.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(pos.Config{IntegrationID: "int-t", Credentials: map[string]string{"client_id": "a", "client_secret": "b"},
		Settings: map[string]string{"restaurant_guid": toasttest.RestaurantGUID, "currency": "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	var o order
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	ao, err := a.normalise(&o)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(ao, "", "  ")
	got = append(got, '\n')
	p := "testdata/order_split_qty.golden.json"
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != string(got) {
		t.Errorf("normalised order differs from %s:\n%s", p, got)
	}
}

// TestGratuityIsTip reads a check shaped as the Orders API v2 spec defines
// it: Burger 20.00 with 8.25% tax (1.65), an 18% gratuity service charge
// of 3.60, paid by card with a 2.00 tip. Check.amount (20.00) "does not
// include gratuity or taxes". The spec does not say whether totalAmount
// includes gratuity, so both readings (21.65 and 25.25) must give the same
// Aura order: subtotal 20.00, no discount, tax 1.65, tip 3.60 + 2.00,
// total 27.25 (what the guest paid: 25.25 + 2.00), to the cent.
func TestGratuityIsTip(t *testing.T) {
	raw, err := os.ReadFile("testdata/order_gratuity.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, total := range []string{"21.65", "25.25"} {
		t.Run("totalAmount="+total, func(t *testing.T) {
			f := newFixture(t, nil)
			body := strings.Replace(string(raw), `"totalAmount": 21.65`, `"totalAmount": `+total, 1)
			guid, err := f.srv.SeedRawOrder([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			res, err := f.a.FetchOrders(context.Background(), []string{guid})
			if err != nil || len(res.Orders) != 1 {
				t.Fatalf("fetch: %v", err)
			}
			o := res.Orders[0]
			tt := o.Totals
			if tt.Subtotal.Amount != 2000 || tt.Discount.Amount != 0 || tt.Tax.Amount != 165 || tt.ServiceCharge.Amount != 0 ||
				tt.Tip.Amount != 560 || tt.Total.Amount != 2725 {
				t.Errorf("totals %+v, want subtotal 20.00, tax 1.65, tip 5.60, total 27.25", tt)
			}
			if len(o.Discounts) != 0 {
				t.Errorf("phantom discount: %+v", o.Discounts)
			}
			var paid int64
			for _, p := range o.Payments {
				paid += p.Amount.Amount + p.Tip.Amount
			}
			if paid != tt.Total.Amount {
				t.Errorf("payments %d != total %d", paid, tt.Total.Amount)
			}
		})
	}
}

// TestGratuityBothReadingsOfTotalAmount: the stand-in's two readings of
// totalAmount (without and with gratuity) give the same Aura order.
func TestGratuityBothReadingsOfTotalAmount(t *testing.T) {
	spec := toasttest.OrderSpec{Checks: []toasttest.CheckSpec{{
		Selections:     []toasttest.SelectionSpec{{Name: "Steak", UnitPrice: "30.00", TaxRate: "0.0825"}},
		ServiceCharges: []toasttest.ServiceChargeSpec{{Name: "Auto gratuity", Amount: "5.40", Gratuity: true}},
		Payments:       []toasttest.PaymentSpec{{Type: "CREDIT", Tip: "1.00", CardType: "VISA", Last4: "4242"}}}}}
	var got []model.Totals
	for _, opts := range [][]toasttest.Option{nil, {toasttest.WithGratuityInTotal()}} {
		srv := toasttest.Start(t, opts...)
		a, err := pos.Open("toast", pos.Config{IntegrationID: "int-t", Credentials: srv.Credentials(), Settings: srv.Settings("USD")})
		if err != nil {
			t.Fatal(err)
		}
		guid := srv.SeedOrder(spec)
		res, err := a.(*Adapter).FetchOrders(context.Background(), []string{guid})
		if err != nil || len(res.Orders) != 1 {
			t.Fatalf("fetch: %v", err)
		}
		got = append(got, res.Orders[0].Totals)
	}
	// 30.00 + 2.48 tax + 5.40 gratuity + 1.00 tip = 38.88
	for _, tt := range got {
		if tt.Total.Amount != 3888 || tt.Tip.Amount != 640 || tt.Discount.Amount != 0 {
			t.Errorf("totals %+v, want total 38.88, tip 6.40, no discount", tt)
		}
	}
}
