package model

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleOrder() Order {
	o := Order{
		ID:        "ord_1",
		Source:    Source{Vendor: "local", ExternalID: "T1-0001", Version: "1"},
		State:     OrderCompleted,
		Currency:  "USD",
		CreatedAt: time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC),
		LineItems: []LineItem{
			{ID: "li1", Name: "Latte", VariationName: "12oz", Quantity: Q(2), UnitPrice: M(450, "USD"),
				Modifiers: []LineModifier{{Name: "Oat milk", Quantity: Q(1), UnitPrice: M(75, "USD")}}},
			{ID: "li2", Name: "Croissant", Quantity: Q(1), UnitPrice: M(325, "USD")},
		},
		Discounts:      []Discount{{ID: "d1", Name: "Staff", Amount: M(100, "USD")}},
		Taxes:          []AppliedTax{{ID: "t1", Name: "Sales tax", Percentage: "9", Amount: M(110, "USD")}},
		ServiceCharges: []ServiceCharge{{ID: "s1", Name: "Delivery", Amount: M(200, "USD")}},
		Tip:            M(150, "USD"),
		Payments: []Payment{{ID: "p1", Source: Source{Vendor: "local", ExternalID: "P1"}, Method: MethodCard,
			Amount: M(1585, "USD"), Tip: M(150, "USD"), CardBrand: "VISA", Last4: "4242", Status: PaymentCompleted,
			CreatedAt: time.Date(2026, 11, 2, 9, 31, 0, 0, time.UTC)}},
	}
	o.ComputeTotals()
	return o
}

func sampleMenu() Menu {
	return Menu{
		ID: "m1", Version: "v1", Currency: "EUR",
		Categories:     []Category{{ID: "c1", Name: "Coffee"}},
		ModifierGroups: []ModifierGroup{{ID: "g1", Name: "Milk", Min: 0, Max: 1, Modifiers: []Modifier{{ID: "mod1", Name: "Oat", Price: M(50, "EUR")}}}},
		Taxes:          []Tax{{ID: "tax1", Name: "VAT", Percentage: "19", Inclusive: true}},
		Items: []Item{{ID: "i1", Name: "Café Latte", CategoryID: "c1", ModifierGroupIDs: []string{"g1"}, TaxIDs: []string{"tax1"},
			Variations: []Variation{{ID: "v1", Name: "Regular", Price: M(390, "EUR")}, {ID: "v2", Name: "Large", Price: M(450, "EUR")}}}},
	}
}

func TestOrderTotals(t *testing.T) {
	o := sampleOrder()
	// 2x(450+75) + 325 = 1375; -100 +110 +200 +150 = 1735
	if o.Totals.Subtotal.Amount != 1375 || o.Totals.Total.Amount != 1735 {
		t.Fatalf("totals = %+v", o.Totals)
	}
	if ps := o.Validate(); ps != nil {
		t.Fatalf("valid order has problems: %v", ps)
	}
}

func TestOrderValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(o *Order)
		paths []string // every path that must be reported
	}{
		{"negative price", func(o *Order) { o.LineItems[1].UnitPrice.Amount = -325; o.ComputeTotals() }, []string{"line_items[1].unit_price.amount"}},
		{"unknown currency", func(o *Order) { o.Currency = "XXY" }, []string{"currency"}},
		{"mixed currency", func(o *Order) { o.LineItems[0].UnitPrice.Currency = "EUR" }, []string{"line_items[0].unit_price.currency"}},
		{"total does not add up", func(o *Order) { o.Totals.Total.Amount++ }, []string{"totals.total.amount"}},
		{"subtotal does not add up", func(o *Order) { o.Totals.Subtotal.Amount = 1 }, []string{"totals.subtotal.amount", "totals.total.amount"}},
		{"tax sum", func(o *Order) { o.Taxes[0].Amount.Amount = 111 }, []string{"totals.tax.amount"}},
		{"duplicate line id", func(o *Order) { o.LineItems[1].ID = "li1" }, []string{"line_items[1].id"}},
		{"zero quantity", func(o *Order) { o.LineItems[0].Quantity = 0; o.ComputeTotals() }, []string{"line_items[0].quantity"}},
		{"missing source", func(o *Order) { o.Source = Source{} }, []string{"source.vendor", "source.external_id"}},
		{"bad state", func(o *Order) { o.State = "done" }, []string{"state"}},
		{"bad gross", func(o *Order) { o.LineItems[0].Gross = M(1, "USD") }, []string{"line_items[0].gross.amount"}},
		{"discount on unknown line", func(o *Order) { o.Discounts[0].LineItemID = "nope" }, []string{"discounts[0].line_item_id"}},
		{"payment last4", func(o *Order) { o.Payments[0].Last4 = "42a" }, []string{"payments[0].last4"}},
		{"many at once", func(o *Order) {
			o.Currency = "usd"
			o.LineItems[0].Name = ""
			o.Tip.Amount = -1
		}, []string{"currency", "line_items[0].name", "tip.amount"}},
		{"overflow", func(o *Order) { o.LineItems[0].UnitPrice.Amount = 1 << 62 }, []string{"line_items[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := sampleOrder()
			tt.edit(&o)
			ps := o.Validate()
			got := map[string]bool{}
			for _, p := range ps {
				got[p.Path] = true
			}
			for _, want := range tt.paths {
				if !got[want] {
					t.Errorf("missing problem at %s; got %v", want, ps)
				}
			}
		})
	}
}

func TestMenuValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(m *Menu)
		paths []string
	}{
		{"valid", func(m *Menu) {}, nil},
		{"negative price", func(m *Menu) { m.Items[0].Variations[1].Price.Amount = -1 }, []string{"items[0].variations[1].price.amount"}},
		{"min above max", func(m *Menu) { m.ModifierGroups[0].Min = 2 }, []string{"modifier_groups[0].min"}},
		{"duplicate id across kinds", func(m *Menu) { m.Items[0].Variations[0].ID = "i1" }, []string{"items[0].variations[0].id"}},
		{"unknown group", func(m *Menu) { m.Items[0].ModifierGroupIDs = []string{"g9"} }, []string{"items[0].modifier_group_ids[0]"}},
		{"bad tax", func(m *Menu) { m.Taxes[0].Percentage = "abc" }, []string{"taxes[0].percentage"}},
		{"tax over 100", func(m *Menu) { m.Taxes[0].Percentage = "101" }, []string{"taxes[0].percentage"}},
		{"unknown currency", func(m *Menu) { m.Currency = "EUX" }, []string{"currency"}},
		{"no items", func(m *Menu) { m.Items = nil }, []string{"items"}},
		{"bad availability", func(m *Menu) { m.Items[0].Availability = "maybe" }, []string{"items[0].availability"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleMenu()
			tt.edit(&m)
			ps := m.Validate()
			if tt.paths == nil && ps != nil {
				t.Fatalf("want valid, got %v", ps)
			}
			got := map[string]bool{}
			for _, p := range ps {
				got[p.Path] = true
			}
			for _, want := range tt.paths {
				if !got[want] {
					t.Errorf("missing problem at %s; got %v", want, ps)
				}
			}
		})
	}
}

func TestRoundTripJSON(t *testing.T) {
	o := sampleOrder()
	m := sampleMenu()
	for _, v := range []any{&o, &m, &o.Payments[0]} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		back := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := json.Unmarshal(b, back); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if !reflect.DeepEqual(v, back) {
			t.Errorf("round trip changed value:\n%+v\n%+v", v, back)
		}
	}
}

func TestQuantityJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Quantity
		err  bool
	}{
		{`1`, 1000, false}, {`2.5`, 2500, false}, {`"0.125"`, 125, false}, {`"3"`, 3000, false},
		{`1.0000`, 1000, false}, {`1.2345`, 0, true}, {`"x"`, 0, true}, {`""`, 0, true}, {`1e3`, 0, true},
	}
	for _, tt := range tests {
		var q Quantity
		err := json.Unmarshal([]byte(tt.in), &q)
		if (err != nil) != tt.err || (!tt.err && q != tt.want) {
			t.Errorf("%s: got %v, %v", tt.in, q, err)
		}
	}
	if b, _ := json.Marshal(Quantity(2500)); string(b) != "2.5" {
		t.Errorf("marshal 2.5 = %s", b)
	}
}

func TestMoney(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{M(450, "USD"), "4.50 USD"}, {M(-5, "EUR"), "-0.05 EUR"}, {M(1200, "JPY"), "1200 JPY"}, {M(1234, "BHD"), "1.234 BHD"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("%v = %q, want %q", tt.m, got, tt.want)
		}
	}
	if g, _ := MulQty(333, 1500); g != 500 { // 499.5 rounds half away from zero
		t.Errorf("MulQty = %d", g)
	}
	if _, ok := MulQty(1<<62, 4000); ok {
		t.Error("overflow not detected")
	}
}

func TestDerivedIDStable(t *testing.T) {
	a := Source{Vendor: "square", ExternalID: "X", Version: "1"}.DerivedID("ord_")
	b := Source{Vendor: "square", ExternalID: "X", Version: "9"}.DerivedID("ord_")
	if a != b || !strings.HasPrefix(a, "ord_") || len(a) != 24 {
		t.Fatalf("%s %s", a, b)
	}
}

func FuzzOrderJSON(f *testing.F) {
	o := sampleOrder()
	b, _ := json.Marshal(o)
	f.Add(b)
	f.Add([]byte(`{"line_items":[{"quantity":"1e9999"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var o Order
		if json.Unmarshal(data, &o) != nil {
			return
		}
		_ = o.Validate() // must not panic
	})
}
