package lightspeed

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/internal/model"
)

func TestPushMenuCreatesAll(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	rs, err := f.a.PushMenu(ctx, testMenu(), pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]pos.Status{
		"category/cat-coffee":     pos.StatusUnsupported,
		"tax/tax-gst":             pos.StatusUnsupported,
		"tax/tax-levy":            pos.StatusUnsupported,
		"item/item-latte":         pos.StatusCreated,
		"variation/var-latte-reg": pos.StatusCreated,
		"variation/var-latte-lg":  pos.StatusCreated,
		"item/item-muffin":        pos.StatusCreated,
		"variation/var-muffin":    pos.StatusCreated,
		"item/item-bag":           pos.StatusCreated,
		"variation/var-bag":       pos.StatusCreated,
		"modifier_group/grp-milk": pos.StatusUnsupported,
		"modifier/mod-oat":        pos.StatusCreated,
		"modifier/mod-whole":      pos.StatusUnsupported,
	}
	got := resultMap(rs)
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d: %s", len(got), len(want), statuses(rs))
	}
	for k, st := range want {
		if got[k].Status != st {
			t.Errorf("%s = %s (%s), want %s", k, got[k].Status, got[k].Reason, st)
		}
	}
	if r := got["modifier_group/grp-milk"]; !strings.Contains(r.Reason, ReasonNoGroups) {
		t.Errorf("group reason %q", r.Reason)
	}
	if r := got["modifier/mod-oat"]; r.Reason != ReasonAddOn || r.VendorID == "" {
		t.Errorf("add-on result %+v", r)
	}
	// Every variant has its own product id; the family item reports the first.
	if got["variation/var-latte-reg"].VendorID == got["variation/var-latte-lg"].VendorID {
		t.Error("variants share a product id")
	}
	if got["item/item-muffin"].VendorID != got["variation/var-muffin"].VendorID {
		t.Error("single-variation item and its variation should be one product")
	}

	// Payloads: the variant attribute is created once, then four products.
	golden(t, "push_create.golden", renderWrites(t, f.srv.Writes()))

	// Prices are JSON numbers, and only one of the two is sent.
	for _, p := range f.srv.Products() {
		if (p.PriceExcludingTax == "") == (p.PriceIncludingTax == "") {
			t.Errorf("product %s has both or neither price: %+v", p.Name, p)
		}
	}
	for _, r := range f.srv.Writes() {
		if r.Path == "/products" && strings.Contains(string(r.Body), `"price_including_tax":"`) {
			t.Errorf("price sent as a string: %s", r.Body)
		}
	}
}

func TestPushMenuSecondPushUnchanged(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if _, err := f.a.PushMenu(ctx, testMenu(), pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	f.srv.ResetRequests()
	rs, err := f.a.PushMenu(ctx, testMenu(), pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Status != pos.StatusUnchanged && r.Status != pos.StatusUnsupported {
			t.Errorf("%s/%s = %s, want unchanged", r.Kind, r.AuraID, r.Status)
		}
	}
	if reqs := f.srv.Requests(); len(reqs) != 0 {
		t.Errorf("second push made %d requests: %+v", len(reqs), reqs[0])
	}
}

func TestPushMenuPriceChangeUpdatesOnlyThatObject(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(m *model.Menu)
		object string
		body   string
	}{
		{"family variant price", func(m *model.Menu) { m.Items[0].Variations[1].Price.Amount = 675 }, "variation/var-latte-lg",
			`{"details":{"price_including_tax":6.75,"is_active":true,"product_codes":[{"type":"CUSTOM","code":"LAT-LG"}],"variant_attribute_values":[{"attribute_id":"0a000000-0000-4000-8000-000000000002","attribute_value":"Large"}]}}`},
		{"single product price", func(m *model.Menu) { m.Items[2].Variations[0].Price.Amount = 15 }, "variation/var-bag",
			`{"details":{"price_excluding_tax":0.15,"is_active":true}}`},
		{"item name", func(m *model.Menu) { m.Items[1].Name = "Blueberry muffin" }, "item/item-muffin",
			`{"common":{"name":"Blueberry muffin","description":""}}`},
		{"add-on price", func(m *model.Menu) { m.ModifierGroups[0].Modifiers[0].Price.Amount = 90 }, "modifier/mod-oat",
			`{"common":{"name":"Milk: Oat","description":""},"details":{"price_including_tax":0.90,"is_active":true}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			ctx := context.Background()
			first, err := f.a.PushMenu(ctx, testMenu(), pos.PushOptions{})
			if err != nil {
				t.Fatal(err)
			}
			f.srv.ResetRequests()
			m := testMenu()
			tc.edit(m)
			rs, err := f.a.PushMenu(ctx, m, pos.PushOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				key := string(r.Kind) + "/" + r.AuraID
				switch {
				case key == tc.object && r.Status != pos.StatusUpdated:
					t.Errorf("%s = %s (%s), want updated", key, r.Status, r.Reason)
				case key != tc.object && r.Status != pos.StatusUnchanged && r.Status != pos.StatusUnsupported:
					t.Errorf("%s = %s, want unchanged", key, r.Status)
				}
			}
			w := f.srv.Writes()
			if len(w) != 1 {
				t.Fatalf("got %d writes, want 1: %+v", len(w), w)
			}
			if w[0].Method != http.MethodPut || w[0].Path != "/products/"+resultMap(first)[tc.object].VendorID {
				t.Errorf("write = %s %s", w[0].Method, w[0].Path)
			}
			if string(w[0].Body) != tc.body {
				t.Errorf("body = %s\nwant   %s", w[0].Body, tc.body)
			}
			// and a third push is all unchanged again
			f.srv.ResetRequests()
			if _, err := f.a.PushMenu(ctx, m, pos.PushOptions{}); err != nil {
				t.Fatal(err)
			}
			if n := len(f.srv.Writes()); n != 0 {
				t.Errorf("third push wrote %d times", n)
			}
		})
	}
}

func TestPushMenuDryRun(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	rs, err := f.a.PushMenu(ctx, testMenu(), pos.PushOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := resultMap(rs)["variation/var-latte-lg"].Status; got != pos.StatusCreated {
		t.Errorf("dry run plan for a new variant = %s, want created", got)
	}
	if w := f.srv.Writes(); len(w) != 0 {
		t.Fatalf("dry run wrote: %+v", w)
	}
	if _, err := f.a.PushMenu(ctx, testMenu(), pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	f.srv.ResetRequests()
	m := testMenu()
	m.Items[1].Variations[0].Price.Amount = 525
	rs, err = f.a.PushMenu(ctx, m, pos.PushOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := resultMap(rs)["variation/var-muffin"].Status; got != pos.StatusUpdated {
		t.Errorf("dry run plan for a price change = %s, want updated", got)
	}
	if w := f.srv.Writes(); len(w) != 0 {
		t.Fatalf("dry run wrote: %+v", w)
	}
	// The dry run did not record anything: the real push still updates.
	rs, err = f.a.PushMenu(ctx, m, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := resultMap(rs)["variation/var-muffin"].Status; got != pos.StatusUpdated {
		t.Errorf("push after dry run = %s, want updated", got)
	}
}

func TestPushMenuTaxModes(t *testing.T) {
	f := newFixture(t, nil)
	m := testMenu()
	m.Items = append(m.Items, model.Item{ID: "item-mixed", Name: "Mixed", TaxIDs: []string{"tax-gst", "tax-levy"},
		Variations: []model.Variation{{ID: "var-mixed", Name: "Regular", Price: model.M(100, "NZD")}}})
	rs, err := f.a.PushMenu(context.Background(), m, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := resultMap(rs)["item/item-mixed"]; r.Status != pos.StatusFailed || !strings.Contains(r.Reason, "mixes") {
		t.Errorf("mixed taxes: %+v", r)
	}
	for _, p := range f.srv.Products() {
		switch p.Name {
		case "Muffin":
			if p.PriceIncludingTax != "4.95" || p.PriceExcludingTax != "" {
				t.Errorf("inclusive item priced %+v", p)
			}
		case "Paper bag":
			if p.PriceExcludingTax != "0.10" || p.PriceIncludingTax != "" {
				t.Errorf("exclusive item priced %+v", p)
			}
		}
	}
}

func TestPushMenuStopsOnRateLimit(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.FailNext(1, lightspeedtest.Fault{Status: 429, RetryAfter: "30", Path: "/products"})
	rs, err := f.a.PushMenu(context.Background(), testMenu(), pos.PushOptions{})
	if pos.KindOf(err) != pos.Retryable || pos.RetryAfterOf(err).Seconds() != 30 {
		t.Fatalf("err = %v, want retryable with Retry-After 30s", err)
	}
	for _, r := range rs {
		if r.Status == pos.StatusCreated {
			t.Errorf("%s/%s created after the rate limit", r.Kind, r.AuraID)
		}
	}
	// Next push (after the back-off) creates everything.
	rs, err = f.a.PushMenu(context.Background(), testMenu(), pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := resultMap(rs)["item/item-latte"].Status; got != pos.StatusCreated {
		t.Errorf("retry push = %s", got)
	}
}

func TestDecimalPrice(t *testing.T) {
	tests := []struct {
		m    model.Money
		want string
	}{
		{model.M(450, "USD"), "4.50"},
		{model.M(5, "USD"), "0.05"},
		{model.M(0, "USD"), "0.00"},
		{model.M(1200, "JPY"), "1200"},
		{model.M(12345, "BHD"), "12.345"},
		{model.M(999999999999, "USD"), "9999999999.99"},
	}
	for _, tc := range tests {
		got := decimalPrice(tc.m)
		if string(got) != tc.want {
			t.Errorf("decimalPrice(%v) = %s, want %s", tc.m, got, tc.want)
		}
		b, _ := json.Marshal(struct{ P json.Number }{got})
		if !strings.Contains(string(b), ":"+tc.want+"}") {
			t.Errorf("encoded as %s", b)
		}
	}
}
