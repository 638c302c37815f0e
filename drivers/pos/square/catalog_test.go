package square_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// upsertBody is the part of a batch-upsert request the tests look at.
type upsertBody struct {
	IdempotencyKey string `json:"idempotency_key"`
	Batches        []struct {
		Objects []squaretest.CatalogObject `json:"objects"`
	} `json:"batches"`
}

func upserts(t *testing.T, srv *squaretest.Server) []upsertBody {
	t.Helper()
	var out []upsertBody
	for _, r := range srv.RequestsTo("POST", "/v2/catalog/batch-upsert") {
		var b upsertBody
		if err := r.JSON(&b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func push(t *testing.T, e *env, m *model.Menu, dry bool) map[string]pos.ObjectResult {
	t.Helper()
	rs, err := e.a.PushMenu(context.Background(), m, pos.PushOptions{DryRun: dry})
	if err != nil {
		t.Fatalf("PushMenu: %v", err)
	}
	return resultMap(t, rs)
}

func TestPushMenuCreatesEverything(t *testing.T) {
	e := newEnv(t)
	res := push(t, e, sampleMenu(), false)
	if len(res) != 17 {
		t.Fatalf("got %d results, want 17", len(res))
	}
	for id, r := range res {
		if r.Status != pos.StatusCreated || r.VendorID == "" || strings.HasPrefix(r.VendorID, "#") {
			t.Errorf("%s: %+v, want created with a Square id", id, r)
		}
	}
	if r := res["mod-almond"]; !strings.Contains(r.Reason, "sold_out") {
		t.Errorf("sold-out modifier reason = %q", r.Reason)
	}
	reqs := e.srv.RequestsTo("POST", "/v2/catalog/batch-upsert")
	if len(reqs) != 1 {
		t.Fatalf("%d batch-upsert requests, want 1", len(reqs))
	}
	h := reqs[0].Header
	if h.Get("Square-Version") != "2025-08-20" || h.Get("Authorization") != "Bearer "+squaretest.DefaultAccessToken {
		t.Errorf("headers: Square-Version %q, Authorization %q", h.Get("Square-Version"), h.Get("Authorization"))
	}
	golden(t, "push_create.json", indentJSON(t, reqs[0].Body))

	// What Square now holds.
	items := e.srv.Objects("ITEM")
	if len(items) != 3 {
		t.Fatalf("stand-in has %d items", len(items))
	}
	latte, ok := e.srv.Object(res["item-latte"].VendorID)
	if !ok {
		t.Fatal("latte not in the stand-in")
	}
	d := latte.ItemData
	if len(d.Variations) != 2 || d.Variations[1].ItemVariationData.PriceMoney.Amount != 525 ||
		d.Variations[0].ItemVariationData.ItemID != latte.ID {
		t.Errorf("latte variations: %+v", d.Variations)
	}
	if len(d.TaxIDs) != 1 || d.TaxIDs[0] != res["tax-sales"].VendorID {
		t.Errorf("latte tax ids %v", d.TaxIDs)
	}
	if len(d.ModifierListInfo) != 2 || d.ModifierListInfo[0].ModifierListID != res["grp-milk"].VendorID {
		t.Errorf("latte modifier lists %+v", d.ModifierListInfo)
	}
	if len(d.Categories) != 1 || d.Categories[0].ID != res["cat-coffee"].VendorID {
		t.Errorf("latte categories %+v", d.Categories)
	}
	cake, _ := e.srv.Object(res["item-cake"].VendorID)
	if cake.ItemData.IsArchived == nil || !*cake.ItemData.IsArchived {
		t.Error("unavailable item is not archived")
	}
	syrup, _ := e.srv.Object(res["mod-syrup"].VendorID)
	if syrup.PresentAtAllLocations == nil || *syrup.PresentAtAllLocations {
		t.Error("unavailable modifier is present at all locations")
	}
	// Mappings carry the version Square assigned.
	m, err := pos.Mappings{S: e.state}.Get(pos.KindVariation, "var-latte-16")
	if err != nil || m == nil {
		t.Fatalf("mapping: %v %v", m, err)
	}
	v, _ := e.srv.Object(m.VendorID)
	if m.Version == "" || m.Version != itoa(v.Version) || m.Extra["parent"] != "item-latte" {
		t.Errorf("mapping %+v, Square version %d", m, v.Version)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestPushMenuSecondPushChangesNothing(t *testing.T) {
	e := newEnv(t)
	push(t, e, sampleMenu(), false)
	e.srv.ClearRequests()
	res := push(t, e, sampleMenu(), false)
	for id, r := range res {
		if r.Status != pos.StatusUnchanged || r.VendorID == "" {
			t.Errorf("%s: %+v, want unchanged", id, r)
		}
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("second push made %d requests, want none", n)
	}
	// Also after a restart (mappings come from State).
	e.a = e.adapter()
	res = push(t, e, sampleMenu(), false)
	if res["item-latte"].Status != pos.StatusUnchanged || len(e.srv.Requests()) != 0 {
		t.Error("push after restart was not a no-op")
	}
}

func TestPushMenuSingleChange(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(m *model.Menu)
		changed  []string // Aura ids reported updated
		sentType string   // the one top-level object sent
		sentLen  int      // objects in the request, nested included
		golden   string
	}{
		{"variation price", func(m *model.Menu) { m.Items[0].Variations[1].Price.Amount = 550 },
			[]string{"var-latte-16"}, "ITEM_VARIATION", 1, "push_price_change.json"},
		{"modifier price", func(m *model.Menu) { m.ModifierGroups[0].Modifiers[0].Price.Amount = 80 },
			[]string{"mod-oat"}, "MODIFIER", 1, ""},
		{"tax rate", func(m *model.Menu) { m.Taxes[0].Percentage = "9" },
			[]string{"tax-sales"}, "TAX", 1, ""},
		{"item name sends the whole item", func(m *model.Menu) { m.Items[0].Name = "Caffè latte" },
			[]string{"item-latte"}, "ITEM", 3, ""},
		{"group limits send the whole list", func(m *model.Menu) { m.ModifierGroups[1].Max = 3 },
			[]string{"grp-extras"}, "MODIFIER_LIST", 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			push(t, e, sampleMenu(), false)
			e.srv.ClearRequests()
			m := sampleMenu()
			m.Version = "v2"
			tt.edit(m)
			res := push(t, e, m, false)
			want := map[string]bool{}
			for _, id := range tt.changed {
				want[id] = true
			}
			for id, r := range res {
				switch {
				case want[id] && r.Status != pos.StatusUpdated:
					t.Errorf("%s: %+v, want updated", id, r)
				case !want[id] && r.Status != pos.StatusUnchanged:
					t.Errorf("%s: %+v, want unchanged", id, r)
				}
			}
			ups := upserts(t, e.srv)
			if len(ups) != 1 || len(ups[0].Batches) != 1 || len(ups[0].Batches[0].Objects) != 1 {
				t.Fatalf("want one upsert with one object, got %+v", ups)
			}
			obj := ups[0].Batches[0].Objects[0]
			n := 1
			if obj.ItemData != nil {
				n += len(obj.ItemData.Variations)
			}
			if obj.ModifierListData != nil {
				n += len(obj.ModifierListData.Modifiers)
			}
			if obj.Type != tt.sentType || n != tt.sentLen || obj.Version == 0 || strings.HasPrefix(obj.ID, "#") {
				t.Errorf("sent %s %s v%d with %d objects, want an update of a %s with %d", obj.Type, obj.ID, obj.Version, n, tt.sentType, tt.sentLen)
			}
			if len(e.srv.CatalogWrites()) != 1 {
				t.Errorf("%d catalog writes", len(e.srv.CatalogWrites()))
			}
			if tt.golden != "" {
				golden(t, tt.golden, indentJSON(t, e.srv.CatalogWrites()[0].Body))
			}
			// And the next push is a no-op again.
			e.srv.ClearRequests()
			push(t, e, m, false)
			if len(e.srv.Requests()) != 0 {
				t.Error("push after the change was not a no-op")
			}
		})
	}
}

func TestPushMenuDryRun(t *testing.T) {
	e := newEnv(t)
	res := push(t, e, sampleMenu(), true)
	for id, r := range res {
		if r.Status != pos.StatusCreated || r.VendorID != "" {
			t.Errorf("dry run %s: %+v, want created without id", id, r)
		}
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Fatalf("dry run made %d requests", n)
	}
	push(t, e, sampleMenu(), false)
	e.srv.ClearRequests()
	m := sampleMenu()
	m.Items[1].Variations[0].Price.Amount = 350
	res = push(t, e, m, true)
	if r := res["var-croissant"]; r.Status != pos.StatusUpdated || r.VendorID == "" {
		t.Errorf("dry run of a price change: %+v", r)
	}
	if r := res["item-croissant"]; r.Status != pos.StatusUnchanged {
		t.Errorf("dry run item: %+v", r)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("dry run made %d requests", n)
	}
	// The dry run changed no mapping: the real push still updates.
	if r := push(t, e, m, false)["var-croissant"]; r.Status != pos.StatusUpdated {
		t.Errorf("push after dry run: %+v", r)
	}
}

func TestPushMenuStructuralChanges(t *testing.T) {
	e := newEnv(t)
	first := push(t, e, sampleMenu(), false)
	m := sampleMenu()
	// Add a variation, drop another, add a modifier.
	m.Items[0].Variations = []model.Variation{m.Items[0].Variations[0],
		{ID: "var-latte-20", Name: "20oz", Price: model.M(575, "USD")}}
	m.ModifierGroups[0].Modifiers = append(m.ModifierGroups[0].Modifiers, model.Modifier{ID: "mod-soy", Name: "Soy", Price: model.M(60, "USD")})
	res := push(t, e, m, false)
	if res["item-latte"].Status != pos.StatusUpdated || res["var-latte-20"].Status != pos.StatusCreated ||
		res["var-latte-12"].Status != pos.StatusUnchanged || res["mod-soy"].Status != pos.StatusCreated ||
		res["grp-milk"].Status != pos.StatusUpdated {
		t.Errorf("results: %+v", res)
	}
	if _, ok := e.srv.Object(first["var-latte-16"].VendorID); ok {
		t.Error("dropped variation still in Square")
	}
	if mp, _ := (pos.Mappings{S: e.state}).Get(pos.KindVariation, "var-latte-16"); mp != nil {
		t.Errorf("mapping of the dropped variation kept: %+v", mp)
	}
	latte, _ := e.srv.Object(res["item-latte"].VendorID)
	if len(latte.ItemData.Variations) != 2 || latte.ItemData.Variations[1].ID != res["var-latte-20"].VendorID {
		t.Errorf("latte now: %+v", latte.ItemData.Variations)
	}
	if res["var-latte-12"].VendorID != first["var-latte-12"].VendorID {
		t.Error("kept variation changed id")
	}
}

func TestPushMenuConflicts(t *testing.T) {
	t.Run("version mismatch re-reads and retries once", func(t *testing.T) {
		e := newEnv(t)
		first := push(t, e, sampleMenu(), false)
		e.srv.TouchObject(first["var-latte-12"].VendorID) // a Dashboard edit
		e.srv.ClearRequests()
		m := sampleMenu()
		m.Items[0].Variations[0].Price.Amount = 475
		res := push(t, e, m, false)
		if r := res["var-latte-12"]; r.Status != pos.StatusUpdated {
			t.Fatalf("result %+v", r)
		}
		var paths []string
		for _, r := range e.srv.Requests() {
			paths = append(paths, r.Path+"="+itoa(int64(r.Status)))
		}
		want := "/v2/catalog/batch-upsert=400 /v2/catalog/batch-retrieve=200 /v2/catalog/batch-upsert=200"
		if strings.Join(paths, " ") != want {
			t.Errorf("requests %v, want %s", paths, want)
		}
		ups := upserts(t, e.srv)
		if ups[0].IdempotencyKey == ups[1].IdempotencyKey {
			t.Error("retry reused the idempotency key with a different body")
		}
		v, _ := e.srv.Object(first["var-latte-12"].VendorID)
		if v.ItemVariationData.PriceMoney.Amount != 475 {
			t.Errorf("price in Square %d", v.ItemVariationData.PriceMoney.Amount)
		}
	})
	t.Run("second mismatch fails the objects", func(t *testing.T) {
		e := newEnv(t)
		push(t, e, sampleMenu(), false)
		e.srv.FailNext(2, squaretest.VersionMismatch())
		m := sampleMenu()
		m.Items[0].Variations[0].Price.Amount = 475
		rs, err := e.a.PushMenu(context.Background(), m, pos.PushOptions{})
		if err != nil {
			t.Fatalf("PushMenu: %v", err)
		}
		if r := resultMap(t, rs)["var-latte-12"]; r.Status != pos.StatusFailed || !strings.Contains(r.Reason, "VERSION_MISMATCH") {
			t.Errorf("result %+v", r)
		}
		// The mapping still holds the old hash: the next push tries again.
		if r := push(t, e, m, true)["var-latte-12"]; r.Status != pos.StatusUpdated {
			t.Errorf("dry run after failure: %+v", r)
		}
	})
	t.Run("object deleted in Square is created again", func(t *testing.T) {
		e := newEnv(t)
		first := push(t, e, sampleMenu(), false)
		e.srv.DeleteObject(first["item-croissant"].VendorID)
		m := sampleMenu()
		m.Items[1].Name = "Butter croissant"
		res := push(t, e, m, false)
		if r := res["item-croissant"]; r.Status != pos.StatusCreated || r.VendorID == first["item-croissant"].VendorID {
			t.Errorf("item result %+v", r)
		}
		if r := res["var-croissant"]; r.Status != pos.StatusCreated {
			t.Errorf("variation result %+v", r)
		}
		if _, ok := e.srv.Object(res["item-croissant"].VendorID); !ok {
			t.Error("item not re-created")
		}
	})
}

func TestPushMenuRetriesAndLimits(t *testing.T) {
	t.Run("catalog lock 429 is retried", func(t *testing.T) {
		e := newEnv(t)
		e.srv.FailNext(2, squaretest.RateLimited("0"))
		res := push(t, e, sampleMenu(), false)
		if res["item-latte"].Status != pos.StatusCreated {
			t.Fatalf("%+v", res["item-latte"])
		}
		ups := upserts(t, e.srv)
		if len(ups) != 3 || ups[0].IdempotencyKey != ups[2].IdempotencyKey {
			t.Errorf("want 3 attempts with one idempotency key, got %d", len(ups))
		}
	})
	t.Run("long Retry-After goes to the scheduler", func(t *testing.T) {
		e := newEnv(t)
		e.srv.FailNext(1, squaretest.RateLimited("120"))
		rs, err := e.a.PushMenu(context.Background(), sampleMenu(), pos.PushOptions{})
		ve := vendorErr(t, err)
		if ve.Kind != pos.Retryable || ve.RetryAfter != 120*time.Second || ve.Status != 429 {
			t.Errorf("error %+v", ve)
		}
		for _, r := range rs {
			if r.Status != pos.StatusFailed {
				t.Errorf("%s: %+v, want failed", r.AuraID, r)
			}
		}
	})
	t.Run("server errors exhaust retries", func(t *testing.T) {
		e := newEnv(t, withSettings("write_retries", "2"))
		e.srv.FailNext(3, squaretest.ServerError())
		_, err := e.a.PushMenu(context.Background(), sampleMenu(), pos.PushOptions{})
		if ve := vendorErr(t, err); ve.Kind != pos.Retryable || ve.Status != 500 {
			t.Errorf("error %+v", ve)
		}
		if n := len(upserts(t, e.srv)); n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
	})
	t.Run("chunks respect batch_size and resolve ids across requests", func(t *testing.T) {
		e := newEnv(t, withSettings("batch_size", "4"))
		res := push(t, e, sampleMenu(), false)
		for id, r := range res {
			if r.Status != pos.StatusCreated {
				t.Errorf("%s: %+v", id, r)
			}
		}
		ups := upserts(t, e.srv)
		keys := map[string]bool{}
		for i, u := range ups {
			n := 0
			for _, o := range u.Batches[0].Objects {
				n++
				if o.ItemData != nil {
					n += len(o.ItemData.Variations)
					for _, tid := range o.ItemData.TaxIDs {
						if strings.HasPrefix(tid, "#") {
							t.Errorf("request %d refers to tax %s created in an earlier request by client id", i, tid)
						}
					}
				}
				if o.ModifierListData != nil {
					n += len(o.ModifierListData.Modifiers)
				}
			}
			if n > 4 {
				t.Errorf("request %d has %d objects", i, n)
			}
			keys[u.IdempotencyKey] = true
		}
		if len(ups) < 4 || len(keys) != len(ups) {
			t.Errorf("%d requests, %d distinct keys", len(ups), len(keys))
		}
		if latte, _ := e.srv.Object(res["item-latte"].VendorID); latte.ItemData.TaxIDs[0] != res["tax-sales"].VendorID {
			t.Error("latte tax not resolved")
		}
	})
	t.Run("invalid batch fails its objects and dependants only", func(t *testing.T) {
		e := newEnv(t, withSettings("batch_size", "5"))
		e.srv.FailNext(1, squaretest.Fault{Status: 400, Category: "INVALID_REQUEST_ERROR", Code: "INVALID_VALUE",
			Path: "/v2/catalog/batch-upsert"})
		rs, err := e.a.PushMenu(context.Background(), sampleMenu(), pos.PushOptions{})
		if err != nil {
			t.Fatalf("PushMenu: %v", err)
		}
		res := resultMap(t, rs)
		// The first chunk held both taxes and both categories: every item
		// refers to one of them, so items fail as dependants; the modifier
		// lists do not depend on them and are created.
		if res["tax-sales"].Status != pos.StatusFailed || !strings.Contains(res["tax-sales"].Reason, "INVALID_VALUE") {
			t.Errorf("tax: %+v", res["tax-sales"])
		}
		if res["grp-milk"].Status != pos.StatusCreated {
			t.Errorf("group: %+v", res["grp-milk"])
		}
		if r := res["item-latte"]; r.Status != pos.StatusFailed || !strings.Contains(r.Reason, "depends on") {
			t.Errorf("latte: %+v", r)
		}
	})
	t.Run("expired token is refreshed mid-push", func(t *testing.T) {
		e := newEnv(t)
		e.srv.ExpireAccessTokens()
		if res := push(t, e, sampleMenu(), false); res["item-latte"].Status != pos.StatusCreated {
			t.Errorf("%+v", res["item-latte"])
		}
	})
	t.Run("invalid menu", func(t *testing.T) {
		e := newEnv(t)
		m := sampleMenu()
		m.Items[0].TaxIDs = []string{"nope"}
		_, err := e.a.PushMenu(context.Background(), m, pos.PushOptions{})
		if ve := vendorErr(t, err); ve.Kind != pos.Invalid {
			t.Errorf("error %+v", ve)
		}
		if len(e.srv.Requests()) != 0 {
			t.Error("invalid menu reached Square")
		}
	})
}

// Two integrations of one seller push at once: Square serialises catalog
// writes and answers the loser 429; the adapter backs off and succeeds.
func TestPushMenuConcurrentSellerLock(t *testing.T) {
	e := newEnv(t, withServerOptions(squaretest.WithCatalogWriteDelay(30*time.Millisecond)),
		withSettings("retry_backoff", "20ms", "write_retries", "6"))
	cfg2 := e.cfg
	cfg2.IntegrationID = "int-2"
	cfg2.State = pos.NewMemState()
	e2 := *e
	e2.cfg = cfg2
	b := e2.adapter()
	m2 := sampleMenu()
	m2.ID = "menu-2"
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, errs[0] = e.a.PushMenu(context.Background(), sampleMenu(), pos.PushOptions{})
	}()
	go func() { defer wg.Done(); _, errs[1] = b.PushMenu(context.Background(), m2, pos.PushOptions{}) }()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("push %d: %v", i, err)
		}
	}
	saw429 := false
	for _, r := range e.srv.RequestsTo("POST", "/v2/catalog/batch-upsert") {
		saw429 = saw429 || r.Status == 429
	}
	if !saw429 {
		t.Log("the two writes did not overlap; lock not exercised this run")
	}
	if n := len(e.srv.Objects("ITEM")); n != 6 {
		t.Errorf("%d items in Square, want 6", n)
	}
}
