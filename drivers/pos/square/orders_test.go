package square_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/square"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// checkTotals asserts that an Aura order carries Square's figures to the
// cent and is valid.
func checkTotals(t *testing.T, so squaretest.Order, o model.Order) {
	t.Helper()
	if ps := o.Validate(); ps != nil {
		t.Fatalf("order %s does not validate: %v", so.ID, ps)
	}
	tt := o.Totals
	if tt.Total.Amount != so.TotalMoney.Amount || tt.Total.Currency != so.TotalMoney.Currency {
		t.Errorf("total %v, Square %d %s", tt.Total, so.TotalMoney.Amount, so.TotalMoney.Currency)
	}
	if tt.Tax.Amount != so.TotalTaxMoney.Amount {
		t.Errorf("tax %d, Square %d", tt.Tax.Amount, so.TotalTaxMoney.Amount)
	}
	if tt.Tip.Amount != so.TotalTipMoney.Amount {
		t.Errorf("tip %d, Square %d", tt.Tip.Amount, so.TotalTipMoney.Amount)
	}
	var rounding int64
	if so.RoundingAdjustment != nil {
		rounding = so.RoundingAdjustment.AmountMoney.Amount
	}
	// Where Aura's per-unit rounding of fractional quantities differs
	// from Square's, the adapter adds a named adjustment.
	var adjDisc, adjSvc int64
	for _, d := range o.Discounts {
		if d.Name == "Square adjustment" {
			adjDisc += d.Amount.Amount
		}
	}
	for _, s := range o.ServiceCharges {
		if s.Name == "Square adjustment" {
			adjSvc += s.Amount.Amount
		}
	}
	if adjDisc+adjSvc > 1 {
		t.Errorf("adjustments of %d and %d cents: more than rounding", adjDisc, adjSvc)
	}
	if want := so.TotalDiscountMoney.Amount + max(0, -rounding) + adjDisc; tt.Discount.Amount != want {
		t.Errorf("discount %d, want %d", tt.Discount.Amount, want)
	}
	if want := so.TotalServiceChargeMoney.Amount + max(0, rounding) + adjSvc; tt.ServiceCharge.Amount != want {
		t.Errorf("service charge %d, want %d", tt.ServiceCharge.Amount, want)
	}
	if o.Source.Vendor != "square" || o.Source.IntegrationID != "int-1" || o.Source.ExternalID != so.ID ||
		o.Source.Version != itoa(int64(so.Version)) || o.Source.LocationID != so.LocationID {
		t.Errorf("source %+v", o.Source)
	}
	if len(so.Tenders) > 0 {
		var paid int64
		for _, p := range o.Payments {
			paid += p.Total().Amount
			if p.OrderID != o.ID {
				t.Errorf("payment %s order id %q, want %q", p.ID, p.OrderID, o.ID)
			}
		}
		if paid != so.TotalMoney.Amount {
			t.Errorf("payments add up to %d, Square total %d", paid, so.TotalMoney.Amount)
		}
	}
}

func fetchOne(t *testing.T, e *env, id string) model.Order {
	t.Helper()
	res, err := e.a.FetchOrders(context.Background(), []string{id})
	if err != nil {
		t.Fatalf("FetchOrders: %v", err)
	}
	if len(res.Orders) != 1 {
		t.Fatalf("FetchOrders returned %d orders", len(res.Orders))
	}
	return res.Orders[0]
}

var (
	latte     = squaretest.LineSpec{Name: "Latte", VariationName: "16oz", Price: 525, Quantity: "2", Modifiers: []squaretest.ModifierSpec{{Name: "Oat", Price: 75}}}
	croissant = squaretest.LineSpec{Name: "Croissant", VariationName: "Regular", Price: 325}
	salesTax  = squaretest.TaxSpec{Name: "Sales tax", Percentage: "8.875"}
)

func TestNormaliseOrders(t *testing.T) {
	tests := []struct {
		name  string
		spec  squaretest.OrderSpec
		check func(t *testing.T, o model.Order)
	}{
		{"plain", squaretest.OrderSpec{Lines: []squaretest.LineSpec{croissant}, Tenders: []squaretest.TenderSpec{{Type: "CASH"}}},
			func(t *testing.T, o model.Order) {
				if o.State != model.OrderCompleted || len(o.Payments) != 1 || o.Payments[0].Method != model.MethodCash {
					t.Errorf("%+v", o)
				}
			}},
		{"modifiers with quantities", squaretest.OrderSpec{
			Lines: []squaretest.LineSpec{{Name: "Latte", Price: 450, Quantity: "3", Modifiers: []squaretest.ModifierSpec{
				{Name: "Oat", Price: 75}, {Name: "Extra shot", Price: 100, Quantity: "2"}, {Name: "No foam", Price: 0, Quantity: "0"}}}},
			Tenders: []squaretest.TenderSpec{{}}},
			func(t *testing.T, o model.Order) {
				li := o.LineItems[0]
				if li.Quantity != model.Q(3) || len(li.Modifiers) != 2 || li.Modifiers[1].Quantity != model.Q(2) {
					t.Errorf("line %+v", li)
				}
				if o.Totals.Subtotal.Amount != 3*(450+75+200) {
					t.Errorf("subtotal %d", o.Totals.Subtotal.Amount)
				}
			}},
		{"order percentage discount and additive tax", squaretest.OrderSpec{
			Lines: []squaretest.LineSpec{latte, croissant}, Discounts: []squaretest.DiscountSpec{{Name: "Happy hour", Percentage: "10"}},
			Taxes: []squaretest.TaxSpec{salesTax}, Tenders: []squaretest.TenderSpec{{Tip: 150}}}, nil},
		{"fixed order discount apportioned", squaretest.OrderSpec{
			Lines: []squaretest.LineSpec{latte, croissant, croissant}, Discounts: []squaretest.DiscountSpec{{Name: "Coupon", Amount: 333}},
			Taxes: []squaretest.TaxSpec{salesTax}, Tenders: []squaretest.TenderSpec{{}}}, nil},
		{"line discount", squaretest.OrderSpec{
			Lines: []squaretest.LineSpec{latte, croissant}, Discounts: []squaretest.DiscountSpec{{Name: "Day-old", Amount: 100, Lines: []int{1}}},
			Taxes: []squaretest.TaxSpec{salesTax}, Tenders: []squaretest.TenderSpec{{}}},
			func(t *testing.T, o model.Order) {
				if o.Discounts[0].LineItemID != o.LineItems[1].ID || o.Discounts[0].Amount.Amount != 100 {
					t.Errorf("discount %+v", o.Discounts[0])
				}
			}},
		{"inclusive VAT", squaretest.OrderSpec{Currency: "EUR",
			Lines: []squaretest.LineSpec{latte, croissant}, Taxes: []squaretest.TaxSpec{{Name: "VAT", Percentage: "19", Inclusive: true}},
			Tenders: []squaretest.TenderSpec{{}}},
			func(t *testing.T, o model.Order) {
				if !o.Taxes[0].Inclusive || o.Totals.InclusiveTax.Amount == 0 || o.Totals.Total.Amount != o.Totals.Subtotal.Amount {
					t.Errorf("taxes %+v totals %+v", o.Taxes, o.Totals)
				}
			}},
		{"two taxes, taxable service charge, tip", squaretest.OrderSpec{
			Lines: []squaretest.LineSpec{latte, croissant},
			Taxes: []squaretest.TaxSpec{salesTax, {Name: "City tax", Percentage: "0.5"}},
			ServiceCharges: []squaretest.ServiceChargeSpec{{Name: "Delivery", Amount: 299, Taxable: true},
				{Name: "Large party", Percentage: "18"}},
			Tenders: []squaretest.TenderSpec{{Tip: 200}}}, nil},
		{"split payment card and cash with tips", squaretest.OrderSpec{
			Lines: []squaretest.LineSpec{latte, croissant}, Taxes: []squaretest.TaxSpec{salesTax},
			Tenders: []squaretest.TenderSpec{{Type: "CARD", Amount: 1000, Tip: 150, CardBrand: "MASTERCARD", Last4: "4444"}, {Type: "CASH", Tip: 50}}},
			func(t *testing.T, o model.Order) {
				if len(o.Payments) != 2 {
					t.Fatalf("payments %+v", o.Payments)
				}
				c, k := o.Payments[0], o.Payments[1]
				if c.Method != model.MethodCard || c.CardBrand != "MASTERCARD" || c.Last4 != "4444" || c.Amount.Amount != 1000 || c.Tip.Amount != 150 {
					t.Errorf("card %+v", c)
				}
				if k.Method != model.MethodCash || k.Tip.Amount != 50 || c.ID == k.ID {
					t.Errorf("cash %+v", k)
				}
			}},
		{"card details only on the payment", squaretest.OrderSpec{
			Lines:   []squaretest.LineSpec{croissant},
			Tenders: []squaretest.TenderSpec{{CardBrand: "AMERICAN_EXPRESS", Last4: "0005", NoCardDetails: true}}},
			func(t *testing.T, o model.Order) {
				if p := o.Payments[0]; p.CardBrand != "AMERICAN_EXPRESS" || p.Last4 != "0005" {
					t.Errorf("payment %+v", p)
				}
			}},
		{"gift card and wallet", squaretest.OrderSpec{
			Lines:   []squaretest.LineSpec{latte},
			Tenders: []squaretest.TenderSpec{{Type: "SQUARE_GIFT_CARD", Amount: 500}, {Type: "WALLET", NoPayment: true}}},
			func(t *testing.T, o model.Order) {
				if o.Payments[0].Method != model.MethodGiftCard || o.Payments[1].Method != model.MethodWallet {
					t.Errorf("methods %s %s", o.Payments[0].Method, o.Payments[1].Method)
				}
			}},
		{"fractional quantities", squaretest.OrderSpec{
			Lines: []squaretest.LineSpec{{Name: "Coffee beans", VariationName: "per kg", Price: 2999, Quantity: "0.333",
				Modifiers: []squaretest.ModifierSpec{{Name: "Grinding", Price: 101, Quantity: "1.5"}}},
				{Name: "Cheese", Price: 1999, Quantity: "0.12345"}},
			Taxes: []squaretest.TaxSpec{salesTax}, Tenders: []squaretest.TenderSpec{{}}},
			func(t *testing.T, o model.Order) {
				if o.LineItems[0].Quantity != 333 || o.LineItems[1].Quantity != model.Q(1) {
					t.Errorf("quantities %v %v", o.LineItems[0].Quantity, o.LineItems[1].Quantity)
				}
			}},
		{"cash rounding down", squaretest.OrderSpec{Currency: "CAD",
			Lines: []squaretest.LineSpec{croissant}, Taxes: []squaretest.TaxSpec{{Name: "GST", Percentage: "5"}}, Rounding: -1,
			Tenders: []squaretest.TenderSpec{{Type: "CASH"}}}, nil},
		{"cash rounding up", squaretest.OrderSpec{Currency: "CAD",
			Lines: []squaretest.LineSpec{latte}, Rounding: 2, Tenders: []squaretest.TenderSpec{{Type: "CASH"}}}, nil},
		{"open order without tenders", squaretest.OrderSpec{State: "OPEN", Lines: []squaretest.LineSpec{latte}},
			func(t *testing.T, o model.Order) {
				if o.State != model.OrderOpen || len(o.Payments) != 0 || !o.ClosedAt.IsZero() {
					t.Errorf("%+v", o)
				}
			}},
		{"canceled", squaretest.OrderSpec{State: "CANCELED", Lines: []squaretest.LineSpec{croissant}},
			func(t *testing.T, o model.Order) {
				if o.State != model.OrderCanceled {
					t.Errorf("state %s", o.State)
				}
			}},
		{"yen", squaretest.OrderSpec{Currency: "JPY", Lines: []squaretest.LineSpec{{Name: "Matcha", Price: 480, Quantity: "2"}},
			Taxes: []squaretest.TaxSpec{{Name: "Consumption tax", Percentage: "10", Inclusive: true}}, Tenders: []squaretest.TenderSpec{{}}}, nil},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			so := e.srv.SeedOrder(tt.spec)
			o := fetchOne(t, e, so.ID)
			checkTotals(t, so, o)
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

// A hand-written order in Square's shape, with Square's own rounding (a
// 10% discount of 325 applied as 32): the adapter keeps Square's figures.
func TestNormaliseFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "orders", "*.json"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	e := newEnv(t)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var so squaretest.Order
			if err := json.Unmarshal(b, &so); err != nil {
				t.Fatal(err)
			}
			e.srv.PutOrder(so)
			o := fetchOne(t, e, so.ID)
			checkTotals(t, so, o)
			golden(t, "order_"+filepath.Base(f), o)
		})
	}
}

func TestNormaliseUsesCatalogMappings(t *testing.T) {
	e := newEnv(t)
	res := push(t, e, sampleMenu(), false)
	so := e.srv.SeedOrder(squaretest.OrderSpec{Lines: []squaretest.LineSpec{{Name: "Latte", Price: 450,
		CatalogObjectID: res["var-latte-12"].VendorID,
		Modifiers:       []squaretest.ModifierSpec{{Name: "Oat", Price: 75, CatalogObjectID: res["mod-oat"].VendorID}}},
		{Name: "Off-menu", Price: 100, CatalogObjectID: "UNMAPPEDSQUAREID"}}, Tenders: []squaretest.TenderSpec{{}}})
	o := fetchOne(t, e, so.ID)
	li := o.LineItems[0]
	if li.VariationID != "var-latte-12" || li.ItemID != "item-latte" || li.Modifiers[0].ModifierID != "mod-oat" || li.Modifiers[0].GroupID != "grp-milk" {
		t.Errorf("line ids %+v", li)
	}
	if o.LineItems[1].VariationID != "UNMAPPEDSQUAREID" {
		t.Errorf("unmapped line %+v", o.LineItems[1])
	}
}

// searchBody is the part of a SearchOrders request the tests look at.
type searchBody struct {
	LocationIDs []string `json:"location_ids"`
	Cursor      string   `json:"cursor"`
	Limit       int      `json:"limit"`
	Query       struct {
		Filter struct {
			DateTimeFilter struct {
				UpdatedAt struct {
					StartAt string `json:"start_at"`
					EndAt   string `json:"end_at"`
				} `json:"updated_at"`
			} `json:"date_time_filter"`
		} `json:"filter"`
		Sort struct {
			SortField string `json:"sort_field"`
			SortOrder string `json:"sort_order"`
		} `json:"sort"`
	} `json:"query"`
}

func searches(t *testing.T, srv *squaretest.Server) []searchBody {
	t.Helper()
	var out []searchBody
	for _, r := range srv.RequestsTo("POST", "/v2/orders/search") {
		var b searchBody
		if err := r.JSON(&b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// pullAll calls PullOrders until More is false and returns what came back.
func pullAll(t *testing.T, e *env, cursor []byte) ([]model.Order, []model.Payment, []byte, int) {
	t.Helper()
	var orders []model.Order
	var pays []model.Payment
	calls := 0
	for {
		calls++
		res, err := e.a.PullOrders(context.Background(), cursor)
		if err != nil {
			t.Fatalf("PullOrders call %d: %v", calls, err)
		}
		orders = append(orders, res.Orders...)
		pays = append(pays, res.Payments...)
		cursor = res.Next
		if !res.More {
			return orders, pays, cursor, calls
		}
		if calls > 50 {
			t.Fatal("PullOrders never finished")
		}
	}
}

func externalIDs(os []model.Order) map[string]int {
	m := map[string]int{}
	for _, o := range os {
		m[o.Source.ExternalID]++
	}
	return m
}

func TestPullOrdersPagesCursorAndOverlap(t *testing.T) {
	e := newEnv(t, withSettings("order_page_size", "3", "payment_page_size", "2"))
	t0 := e.clk.Now()
	for i := range 7 {
		e.srv.SeedOrder(squaretest.OrderSpec{UpdatedAt: t0.Add(-10*time.Hour + time.Duration(i)*time.Minute),
			Lines: []squaretest.LineSpec{croissant}, Taxes: []squaretest.TaxSpec{salesTax}, Tenders: []squaretest.TenderSpec{{Tip: int64(i)}}})
	}
	// Out of reach of the first (72h) window.
	old := e.srv.SeedOrder(squaretest.OrderSpec{UpdatedAt: t0.Add(-100 * time.Hour), Lines: []squaretest.LineSpec{croissant}})

	orders, pays, cursor, calls := pullAll(t, e, nil)
	if calls != 4 { // orders: 3+3+1, payments: 2+2+2+1
		t.Errorf("%d calls, want 4", calls)
	}
	got := externalIDs(orders)
	if len(got) != 7 || len(orders) != 7 || got[old.ID] != 0 {
		t.Errorf("orders %v", got)
	}
	if len(pays) != 7 {
		t.Errorf("%d payments, want 7", len(pays))
	}
	for _, o := range orders {
		if ps := o.Validate(); ps != nil {
			t.Errorf("order %s: %v", o.Source.ExternalID, ps)
		}
	}
	ss := searches(t, e.srv)
	if ss[0].Cursor != "" || ss[1].Cursor == "" || ss[2].Cursor == "" {
		t.Errorf("cursors %q %q %q", ss[0].Cursor, ss[1].Cursor, ss[2].Cursor)
	}
	for i, s := range ss {
		if s.Query != ss[0].Query || s.Limit != 3 || s.LocationIDs[0] != squaretest.DefaultLocationID {
			t.Errorf("page %d query differs: %+v", i, s)
		}
	}
	q := ss[0].Query
	if q.Sort.SortField != "UPDATED_AT" || q.Sort.SortOrder != "ASC" ||
		q.Filter.DateTimeFilter.UpdatedAt.StartAt != "2026-10-30T12:00:00.000Z" ||
		q.Filter.DateTimeFilter.UpdatedAt.EndAt != "2026-11-02T12:00:00.000Z" {
		t.Errorf("first window query %+v, want the 72h deep window", q)
	}
	for _, r := range e.srv.RequestsTo("GET", "/v2/payments") {
		if r.Query.Get("updated_at_begin_time") != "2026-10-30T12:00:00.000Z" || r.Query.Get("sort_field") != "UPDATED_AT" ||
			r.Query.Get("sort_order") != "ASC" || r.Query.Get("location_id") != squaretest.DefaultLocationID {
			t.Errorf("payments query %v", r.Query)
		}
	}

	// Routine pull: only the overlap window is re-read. An order updated
	// just before the last window ended (it reached Square's index late)
	// is caught; one updated 30h ago (offline) waits for the deep rescan.
	e.srv.ClearRequests()
	e.clk.Advance(5 * time.Minute)
	late := e.srv.SeedOrder(squaretest.OrderSpec{UpdatedAt: t0.Add(-2 * time.Minute), Lines: []squaretest.LineSpec{croissant}})
	offline := e.srv.SeedOrder(squaretest.OrderSpec{CreatedAt: t0.Add(-31 * time.Hour), UpdatedAt: t0.Add(-30 * time.Hour),
		Lines: []squaretest.LineSpec{latte}, Tenders: []squaretest.TenderSpec{{Type: "CASH"}}})
	fresh := e.srv.SeedOrder(squaretest.OrderSpec{UpdatedAt: t0.Add(time.Minute), Lines: []squaretest.LineSpec{croissant}})
	orders, _, cursor, _ = pullAll(t, e, cursor)
	got = externalIDs(orders)
	if got[late.ID] != 1 || got[fresh.ID] != 1 || got[offline.ID] != 0 || len(got) != 2 {
		t.Errorf("routine pull got %v", got)
	}
	if s := searches(t, e.srv)[0]; s.Query.Filter.DateTimeFilter.UpdatedAt.StartAt != "2026-11-02T11:50:00.000Z" {
		t.Errorf("routine window starts %s, want since - 10m", s.Query.Filter.DateTimeFilter.UpdatedAt.StartAt)
	}

	// Six hours later the deep rescan re-reads 72h and finds the offline
	// order (and re-reads the rest: the host de-duplicates by Source.Key).
	e.srv.ClearRequests()
	e.clk.Advance(6 * time.Hour)
	orders, _, _, _ = pullAll(t, e, cursor)
	got = externalIDs(orders)
	if got[offline.ID] != 1 || len(got) != 10 {
		t.Errorf("deep pull got %d orders: %v", len(got), got)
	}
}

func TestPullPaymentsAcrossLocations(t *testing.T) {
	e := newEnv(t, withServerOptions(squaretest.WithLocations("L1", "L2")), withSettings("location_id", "L1, L2", "payment_page_size", "1"))
	a := e.srv.SeedOrder(squaretest.OrderSpec{LocationID: "L1", UpdatedAt: e.clk.Now().Add(-time.Hour), Lines: []squaretest.LineSpec{croissant},
		Tenders: []squaretest.TenderSpec{{Amount: 100, Tip: 20}, {Type: "CASH"}}})
	b := e.srv.SeedOrder(squaretest.OrderSpec{LocationID: "L2", UpdatedAt: e.clk.Now().Add(-time.Hour), Lines: []squaretest.LineSpec{latte},
		Tenders: []squaretest.TenderSpec{{CardBrand: "DISCOVER", Last4: "1117"}}})
	orders, pays, _, _ := pullAll(t, e, nil)
	if len(orders) != 2 || len(pays) != 3 {
		t.Fatalf("%d orders, %d payments", len(orders), len(pays))
	}
	byID := map[string]model.Payment{}
	for _, p := range pays {
		if ps := p.Validate(); ps != nil {
			t.Errorf("payment %s: %v", p.Source.ExternalID, ps)
		}
		byID[p.Source.ExternalID] = p
	}
	card := byID[a.Tenders[0].PaymentID]
	if card.Amount.Amount != 100 || card.Tip.Amount != 20 || card.Method != model.MethodCard || card.CardBrand != "VISA" ||
		card.OrderID != (model.Source{Vendor: "square", ExternalID: a.ID}).DerivedID("ord_") || card.Source.Version == "" {
		t.Errorf("card payment %+v", card)
	}
	if p := byID[b.Tenders[0].PaymentID]; p.Source.LocationID != "L2" || p.Last4 != "1117" {
		t.Errorf("L2 payment %+v", p)
	}
	if p := byID[a.Tenders[1].PaymentID]; p.Method != model.MethodCash {
		t.Errorf("cash payment %+v", p)
	}
	// The order embeds the same payments under the same Aura ids.
	for _, o := range orders {
		for _, p := range o.Payments {
			if _, ok := byID[p.Source.ExternalID]; !ok || byID[p.Source.ExternalID].ID != p.ID {
				t.Errorf("embedded payment %s not matching the listed one", p.Source.ExternalID)
			}
		}
	}
}

func TestPullOrdersErrors(t *testing.T) {
	tests := []struct {
		name       string
		fault      squaretest.Fault
		kind       pos.ErrorKind
		retryAfter time.Duration
	}{
		{"429 with Retry-After", squaretest.RateLimited("7"), pos.Retryable, 7 * time.Second},
		{"429 with a date", squaretest.Fault{Status: 429, Category: "RATE_LIMIT_ERROR", Code: "RATE_LIMITED",
			RetryAfter: "Mon, 02 Nov 2026 12:01:00 GMT"}, pos.Retryable, time.Minute},
		{"500", squaretest.ServerError(), pos.Retryable, 0},
		{"503", squaretest.Unavailable(), pos.Retryable, 0},
		{"400", squaretest.Fault{Status: 400, Category: "INVALID_REQUEST_ERROR", Code: "INVALID_VALUE"}, pos.Invalid, 0},
		{"403", squaretest.Fault{Status: 403, Category: "AUTHENTICATION_ERROR", Code: "INSUFFICIENT_SCOPES"}, pos.Auth, 0},
		{"409", squaretest.Fault{Status: 409, Category: "INVALID_REQUEST_ERROR", Code: "CONFLICT"}, pos.Conflict, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.FailNext(1, tt.fault)
			res, err := e.a.PullOrders(context.Background(), nil)
			if res != nil {
				t.Errorf("result on error: %+v", res)
			}
			ve := vendorErr(t, err)
			if ve.Kind != tt.kind || ve.RetryAfter != tt.retryAfter || ve.Status != tt.fault.Status || ve.Code != tt.fault.Code {
				t.Errorf("error %+v, want kind %s retry after %s", ve, tt.kind, tt.retryAfter)
			}
			if pos.KindOf(err) != tt.kind {
				t.Errorf("KindOf = %s", pos.KindOf(err))
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		e := newEnv(t)
		e.srv.Close()
		_, err := e.a.PullOrders(context.Background(), nil)
		if ve := vendorErr(t, err); ve.Kind != pos.Retryable || ve.Status != 0 {
			t.Errorf("error %+v", ve)
		}
	})
	t.Run("bad cursor", func(t *testing.T) {
		e := newEnv(t)
		for _, c := range []string{`{`, `{"v":99}`, `[]`} {
			if _, err := e.a.PullOrders(context.Background(), []byte(c)); !errors.Is(err, square.ErrBadCursor) {
				t.Errorf("cursor %s: %v", c, err)
			}
		}
	})
	t.Run("refused cursor re-reads the window", func(t *testing.T) {
		e := newEnv(t, withSettings("order_page_size", "2"))
		for i := range 3 {
			e.srv.SeedOrder(squaretest.OrderSpec{UpdatedAt: e.clk.Now().Add(-time.Duration(i+1) * time.Minute), Lines: []squaretest.LineSpec{croissant}})
		}
		res, err := e.a.PullOrders(context.Background(), nil)
		if err != nil || !res.More {
			t.Fatalf("%v %+v", err, res)
		}
		e.srv.FailNext(1, squaretest.Fault{Status: 400, Category: "INVALID_REQUEST_ERROR", Code: "INVALID_CURSOR", Path: "/v2/orders/search"})
		orders, _, _, _ := pullAll(t, e, res.Next)
		if got := externalIDs(append(res.Orders, orders...)); len(got) != 3 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("settings change mid-window restarts it", func(t *testing.T) {
		e := newEnv(t, withServerOptions(squaretest.WithLocations(squaretest.DefaultLocationID, "L2")), withSettings("order_page_size", "1"))
		for i := range 2 {
			e.srv.SeedOrder(squaretest.OrderSpec{UpdatedAt: e.clk.Now().Add(-time.Duration(i+1) * time.Minute), Lines: []squaretest.LineSpec{croissant}})
		}
		res, err := e.a.PullOrders(context.Background(), nil)
		if err != nil || !res.More {
			t.Fatalf("%v %+v", err, res)
		}
		e.cfg.Settings["location_id"] = squaretest.DefaultLocationID + ",L2"
		e.a = e.adapter()
		orders, _, _, _ := pullAll(t, e, res.Next)
		if len(externalIDs(orders)) != 2 {
			t.Errorf("after the change got %v", externalIDs(orders))
		}
	})
	t.Run("error mid-window keeps the page", func(t *testing.T) {
		e := newEnv(t, withSettings("order_page_size", "1"))
		for i := range 3 {
			e.srv.SeedOrder(squaretest.OrderSpec{UpdatedAt: e.clk.Now().Add(-time.Duration(i+1) * time.Minute), Lines: []squaretest.LineSpec{croissant}})
		}
		res, err := e.a.PullOrders(context.Background(), nil)
		if err != nil || !res.More {
			t.Fatalf("%v %+v", err, res)
		}
		e.srv.FailNext(1, squaretest.ServerError())
		if _, err := e.a.PullOrders(context.Background(), res.Next); pos.KindOf(err) != pos.Retryable {
			t.Fatalf("want a retryable error, got %v", err)
		}
		orders, _, _, _ := pullAll(t, e, res.Next) // the host retries with the same cursor
		if len(orders)+len(res.Orders) != 3 {
			t.Errorf("got %d + %d orders", len(res.Orders), len(orders))
		}
	})
}

func TestFetchOrdersManyIDs(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for range 130 {
		ids = append(ids, e.srv.SeedOrder(squaretest.OrderSpec{Lines: []squaretest.LineSpec{croissant}}).ID)
	}
	ids = append(ids, "MISSING")
	res, err := e.a.FetchOrders(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Orders) != 130 || res.More || res.Next != nil {
		t.Errorf("%d orders, more %v", len(res.Orders), res.More)
	}
	if n := len(e.srv.RequestsTo("POST", "/v2/orders/batch-retrieve")); n != 2 {
		t.Errorf("%d batch-retrieve requests, want 2", n)
	}
}
