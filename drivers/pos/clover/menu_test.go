package clover_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// allCreated is every object of testdata/menu.json after a first push.
var allCreated = map[string]pos.Status{
	"category/cat-coffee":                         pos.StatusCreated,
	"tax/tax-sales":                               pos.StatusCreated,
	"modifier_group/grp-milk":                     pos.StatusCreated,
	"modifier/mod-oat":                            pos.StatusCreated,
	"modifier/mod-whole":                          pos.StatusCreated,
	"modifier_group/grp-extras":                   pos.StatusCreated,
	"modifier/mod-shot":                           pos.StatusCreated,
	"modifier/mod-vanilla":                        pos.StatusCreated,
	"variation/var-latte-12":                      pos.StatusCreated,
	"variation/var-latte-16":                      pos.StatusCreated,
	"item/item-latte":                             pos.StatusCreated,
	"variation/var-croissant":                     pos.StatusCreated,
	"item/item-croissant":                         pos.StatusCreated,
	"variation/var-cake":                          pos.StatusCreated,
	"item/item-cake":                              pos.StatusCreated,
	"link/var-latte-12/modifier_group/grp-milk":   pos.StatusCreated,
	"link/var-latte-12/modifier_group/grp-extras": pos.StatusCreated,
	"link/var-latte-16/modifier_group/grp-milk":   pos.StatusCreated,
	"link/var-latte-16/modifier_group/grp-extras": pos.StatusCreated,
	"link/var-latte-12/tax/tax-sales":             pos.StatusCreated,
	"link/var-latte-16/tax/tax-sales":             pos.StatusCreated,
	"link/var-croissant/tax/tax-sales":            pos.StatusCreated,
	"link/var-latte-12/category/cat-coffee":       pos.StatusCreated,
	"link/var-latte-16/category/cat-coffee":       pos.StatusCreated,
}

func with(base map[string]pos.Status, st pos.Status, except map[string]pos.Status) map[string]pos.Status {
	out := map[string]pos.Status{}
	for k, v := range base {
		if v != pos.StatusUnsupported {
			v = st
		}
		out[k] = v
	}
	for k, v := range except {
		out[k] = v
	}
	return out
}

func checkStatuses(t *testing.T, got []pos.ObjectResult, want map[string]pos.Status) {
	t.Helper()
	g := statuses(got)
	for k, w := range want {
		if g[k] != w {
			t.Errorf("%s: status %q, want %q", k, g[k], w)
		}
	}
	for k := range g {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected result %s (%s)", k, g[k])
		}
	}
	for _, r := range got {
		if r.Status == pos.StatusFailed {
			t.Logf("failed %s %s: %s", r.Kind, r.AuraID, r.Reason)
		}
	}
}

type recorded struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Body   json.RawMessage `json:"body,omitempty"`
}

func writesJSON(t *testing.T, rs []clovertest.Request) []byte {
	t.Helper()
	var out []recorded
	for _, r := range rs {
		if r.IsWrite() {
			out = append(out, recorded{Method: r.Method, Path: r.Path, Body: r.Body})
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestPushMenuCreatesEverything(t *testing.T) {
	e := setup(t, nil)
	res, err := e.a.PushMenu(ctx(t), loadMenu(t), pos.PushOptions{})
	if err != nil {
		t.Fatalf("PushMenu: %v", err)
	}
	checkStatuses(t, res, allCreated)
	golden(t, "push_create.golden.json", writesJSON(t, e.srv.Requests()))

	for _, r := range e.srv.Writes() {
		if got := r.Header.Get("Authorization"); got != "Bearer "+clovertest.DefaultAccessToken {
			t.Errorf("%s %s: Authorization %q", r.Method, r.Path, got)
		}
		if strings.Contains(r.Path, "/v3/merchants/") && !strings.HasPrefix(r.Path, "/v3/merchants/"+e.srv.Merchant()+"/") {
			t.Errorf("wrong merchant path %s", r.Path)
		}
	}

	items := map[string]clovertest.Item{}
	for _, it := range e.srv.Items() {
		items[it.Name] = it
	}
	for _, tc := range []struct {
		name      string
		price     int64
		sku       string
		hidden    bool
		available bool
	}{
		{"Latte 12oz", 450, "LAT-12", false, true},
		{"Latte 16oz", 525, "LAT-16", false, true},
		{"Croissant", 325, "CRO-1", false, true},
		{"Seasonal cake", 600, "", true, false},
	} {
		it, ok := items[tc.name]
		if !ok {
			t.Errorf("no clover item %q (have %v)", tc.name, items)
			continue
		}
		if it.Price != tc.price || it.SKU != tc.sku || it.Hidden != tc.hidden || it.Available != tc.available ||
			it.PriceType != "FIXED" || it.DefaultTaxRates {
			t.Errorf("item %q = %+v", tc.name, it)
		}
	}
	if len(items) != 4 {
		t.Errorf("%d clover items, want 4", len(items))
	}
	taxes := e.srv.TaxRates()
	if len(taxes) != 1 || taxes[0].Rate != 887500 || taxes[0].Name != "Sales tax" {
		t.Errorf("tax rates = %+v, want one 8.875%% = 887500", taxes)
	}
	groups := map[string]clovertest.ModifierGroup{}
	for _, g := range e.srv.ModifierGroups() {
		groups[g.Name] = g
	}
	if g := groups["Milk"]; g.MinRequired != 0 || g.MaxAllowed == nil || *g.MaxAllowed != 1 || len(g.ModifierIDs) != 2 {
		t.Errorf("Milk group = %+v", g)
	}
	if g := groups["Extras"]; g.MaxAllowed != nil || len(g.ModifierIDs) != 2 {
		t.Errorf("Extras group = %+v (max 0 must mean no maxAllowed)", g)
	}
	for _, m := range e.srv.Modifiers() {
		if m.Name == "Vanilla syrup" && m.Available {
			t.Errorf("sold-out modifier pushed as available")
		}
		if m.Name == "Oat milk" && m.Price != 75 {
			t.Errorf("oat milk price %d", m.Price)
		}
	}
	if n := len(e.srv.ItemModifierGroups()); n != 4 {
		t.Errorf("%d item<->group links, want 4", n)
	}
	if n := len(e.srv.TaxRateItems()); n != 3 {
		t.Errorf("%d item<->tax links, want 3", n)
	}
	if id := vendorID(t, res, pos.KindItem, "item-croissant"); id == "" {
		t.Errorf("single-variation item has no vendor id")
	}
}

func TestPushMenuSecondPushChangesNothing(t *testing.T) {
	e := setup(t, nil)
	menu := loadMenu(t)
	if _, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetRequests()
	// A new adapter on the same State, as after a restart.
	res, err := e.newAdapter(t).PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, res, with(allCreated, pos.StatusUnchanged, nil))
	if rs := e.srv.Requests(); len(rs) != 0 {
		t.Errorf("second push sent %d requests, want none: first %s %s", len(rs), rs[0].Method, rs[0].Path)
	}
}

func TestPushMenuPriceChangeUpdatesOnlyThatObject(t *testing.T) {
	e := setup(t, nil)
	menu := loadMenu(t)
	first, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.ResetRequests()
	menu.Items[0].Variations[1].Price = model.M(550, "USD")
	menu.ModifierGroups[0].Modifiers[0].Price = model.M(80, "USD")
	res, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, res, with(allCreated, pos.StatusUnchanged, map[string]pos.Status{
		"variation/var-latte-16": pos.StatusUpdated,
		"item/item-latte":        pos.StatusUpdated,
		"modifier/mod-oat":       pos.StatusUpdated,
	}))
	ws := e.srv.Writes()
	if len(ws) != 2 {
		t.Fatalf("%d writes, want 2: %s", len(ws), writesJSON(t, ws))
	}
	itemID := vendorID(t, first, pos.KindVariation, "var-latte-16")
	if ws[1].Path != "/v3/merchants/"+e.srv.Merchant()+"/items/"+itemID {
		t.Errorf("update path %s, want items/%s", ws[1].Path, itemID)
	}
	var body map[string]any
	if err := json.Unmarshal(ws[1].Body, &body); err != nil || body["price"] != float64(550) || body["name"] != "Latte 16oz" {
		t.Errorf("update body %s", ws[1].Body)
	}
	// And the third push is quiet again.
	e.srv.ResetRequests()
	if _, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("third push sent %d requests", n)
	}
}

func TestPushMenuDryRun(t *testing.T) {
	e := setup(t, nil)
	menu := loadMenu(t)
	res, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, res, allCreated)
	if ws := e.srv.Writes(); len(ws) != 0 {
		t.Fatalf("dry run wrote: %s", writesJSON(t, ws))
	}
	if m, _ := e.state.List("map/"); len(m) != 0 {
		t.Errorf("dry run stored %d mappings", len(m))
	}

	if _, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	menu.Items[1].Variations[0].Price = model.M(350, "USD")
	e.srv.ResetRequests()
	res, err = e.a.PushMenu(ctx(t), menu, pos.PushOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, res, with(allCreated, pos.StatusUnchanged, map[string]pos.Status{
		"variation/var-croissant": pos.StatusUpdated, "item/item-croissant": pos.StatusUpdated,
	}))
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("dry run of a mapped menu sent %d requests", n)
	}
	// The dry run did not record anything: the real push still updates.
	res, err = e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(res)["variation/var-croissant"]; st != pos.StatusUpdated {
		t.Errorf("real push after dry run: %s", st)
	}
}

func TestPushMenuAdoptsExistingObjects(t *testing.T) {
	tests := []struct {
		name   string
		price  int64
		want   pos.Status
		writes int // writes to that item
	}{
		{"identical item is adopted unchanged", 450, pos.StatusUnchanged, 0},
		{"different price is updated in place", 400, pos.StatusUpdated, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, nil)
			seeded := e.srv.SeedItem(clovertest.Item{Name: "Latte 12oz", Price: tc.price, PriceType: "FIXED", SKU: "LAT-12", Available: true})
			res, err := e.a.PushMenu(ctx(t), loadMenu(t), pos.PushOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if st := statuses(res)["variation/var-latte-12"]; st != tc.want {
				t.Errorf("status %s, want %s", st, tc.want)
			}
			if id := vendorID(t, res, pos.KindVariation, "var-latte-12"); id != seeded.ID {
				t.Errorf("vendor id %s, want the existing %s", id, seeded.ID)
			}
			n := 0
			for _, w := range e.srv.Writes() {
				if strings.HasSuffix(w.Path, "/items/"+seeded.ID) {
					n++
				}
			}
			if n != tc.writes {
				t.Errorf("%d writes to the existing item, want %d", n, tc.writes)
			}
			if got := len(e.srv.Items()); got != 4 {
				t.Errorf("%d items, want 4 (no duplicate)", got)
			}
		})
	}
}

func TestPushMenuRecreatesItemDeletedInClover(t *testing.T) {
	e := setup(t, nil)
	menu := loadMenu(t)
	first, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	old := vendorID(t, first, pos.KindVariation, "var-croissant")
	e.srv.DeleteItem(old)
	menu.Items[1].Variations[0].Price = model.M(350, "USD")
	res, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, res, with(allCreated, pos.StatusUnchanged, map[string]pos.Status{
		"variation/var-croissant":          pos.StatusCreated,
		"item/item-croissant":              pos.StatusCreated,
		"link/var-croissant/tax/tax-sales": pos.StatusCreated,
	}))
	if id := vendorID(t, res, pos.KindVariation, "var-croissant"); id == old || id == "" {
		t.Errorf("vendor id %q after re-create (old %q)", id, old)
	}
}

func TestPushMenuStopsOnRateLimit(t *testing.T) {
	e := setup(t, nil)
	menu := loadMenu(t)
	e.srv.FailNext(1, clovertest.Fault{Status: 429, RetryAfter: "7", Message: "Too Many Requests", Method: "POST", PathContains: "/modifier_groups"})
	res, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	var ve *pos.VendorError
	if !errors.As(err, &ve) || ve.Kind != pos.Retryable || ve.RetryAfter != 7*time.Second {
		t.Fatalf("err = %v, want retryable with RetryAfter 7s", err)
	}
	st := statuses(res)
	if st["tax/tax-sales"] != pos.StatusCreated || st["modifier_group/grp-milk"] != pos.StatusFailed ||
		st["variation/var-cake"] != pos.StatusFailed || st["link/var-croissant/tax/tax-sales"] != pos.StatusFailed {
		t.Errorf("statuses after 429: %v", st)
	}
	if len(res) != len(allCreated) {
		t.Errorf("%d results, want one per object (%d)", len(res), len(allCreated))
	}
	// The scheduler retries later: what was created is not created twice.
	res, err = e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkStatuses(t, res, with(allCreated, pos.StatusCreated, map[string]pos.Status{"tax/tax-sales": pos.StatusUnchanged,
		"category/cat-coffee": pos.StatusUnchanged}))
	if n := len(e.srv.TaxRates()); n != 1 {
		t.Errorf("%d tax rates, want 1", n)
	}
}

func TestPushMenuPerObjectFailures(t *testing.T) {
	e := setup(t, nil)
	menu := loadMenu(t)
	menu.Taxes[0].Percentage = "8.8751234" // more precision than Clover stores
	e.srv.FailNext(1, clovertest.Fault{Status: 400, Message: "Invalid name", Method: "POST", PathContains: "/modifier_groups"})
	res, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatalf("an invalid object must not fail the push: %v", err)
	}
	checkStatuses(t, res, with(allCreated, pos.StatusCreated, map[string]pos.Status{
		"tax/tax-sales":                             pos.StatusFailed,
		"modifier_group/grp-milk":                   pos.StatusFailed,
		"modifier/mod-oat":                          pos.StatusFailed,
		"modifier/mod-whole":                        pos.StatusFailed,
		"link/var-latte-12/modifier_group/grp-milk": pos.StatusFailed,
		"link/var-latte-16/modifier_group/grp-milk": pos.StatusFailed,
		"link/var-latte-12/tax/tax-sales":           pos.StatusFailed,
		"link/var-latte-16/tax/tax-sales":           pos.StatusFailed,
		"link/var-croissant/tax/tax-sales":          pos.StatusFailed,
	}))
	for _, r := range res {
		if r.Status == pos.StatusFailed && r.Reason == "" {
			t.Errorf("%s %s failed without a reason", r.Kind, r.AuraID)
		}
	}
}

func TestPushMenuRejectsInvalidMenu(t *testing.T) {
	e := setup(t, nil)
	menu := loadMenu(t)
	menu.Items[0].Variations[0].Price = model.M(-1, "USD")
	_, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if pos.KindOf(err) != pos.Invalid {
		t.Fatalf("err = %v, want kind invalid", err)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("invalid menu sent %d requests", n)
	}
}
