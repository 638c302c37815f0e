package custom_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/customtest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// TestPushCreateThenUpdateByVendorID uses a create request (POST, the
// vendor picks the id) and an update request addressed by the vendor id
// read from the create response.
func TestPushCreateThenUpdateByVendorID(t *testing.T) {
	e := setup(t, editManifest(t, `  request:
    method: PUT
    path: /v1/locations/{{.settings.location_id | pathescape}}/items/{{.external_id | pathescape}}
`, `  create:
    method: POST
    path: /v1/locations/{{.settings.location_id | pathescape}}/items
  request:
    method: PUT
    path: /v1/locations/{{.settings.location_id | pathescape}}/items/{{.vendor_id | pathescape}}
`))
	menu := loadMenu(t)
	rs, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, r := range rs {
		if r.Kind == pos.KindVariation {
			if r.Status != pos.StatusCreated || !strings.HasPrefix(r.VendorID, "ITM-") {
				t.Errorf("%s: %s %q %s", r.AuraID, r.Status, r.VendorID, r.Reason)
			}
			ids[r.AuraID] = r.VendorID
		}
	}
	for _, w := range e.srv.Writes() {
		if w.Method != http.MethodPost {
			t.Errorf("first push sent %s %s", w.Method, w.Path)
		}
	}
	e.srv.ResetRequests()
	if rs, err = e.a.PushMenu(ctx(t), menu, pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.srv.Writes()); n != 0 {
		t.Errorf("second push made %d writes, want none", n)
	}
	menu.Items[1].Variations[0].Price.Amount = 350
	if rs, err = e.a.PushMenu(ctx(t), menu, pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	w := e.srv.Writes()
	if len(w) != 1 || w[0].Method != http.MethodPut || w[0].Path != "/v1/locations/LOC-1/items/"+ids["var-croissant"] {
		t.Errorf("update writes %+v", w)
	}
	if st := statuses(rs); st["variation/var-croissant"] != pos.StatusUpdated {
		t.Errorf("statuses %v", st)
	}
	if it := e.srv.Items()[ids["var-croissant"]]; it.Price != "3.50" || it.Version != 2 {
		t.Errorf("item %+v", it)
	}
}

// TestPushPerItem sends one request per Aura item.
func TestPushPerItem(t *testing.T) {
	e := setup(t, editManifest(t, `  per: variation
  request:
    method: PUT
    path: /v1/locations/{{.settings.location_id | pathescape}}/items/{{.external_id | pathescape}}
    body: |
      {
        name: (if (.item.variations | length) > 1 then "\(.item.name) \(.variation.name)" else .item.name end),
        sku: (.variation.sku // ""),
        price: major(.variation.price),`, `  per: item
  request:
    method: PUT
    path: /v1/locations/{{.settings.location_id | pathescape}}/items/{{.external_id | pathescape}}
    body: |
      {
        name: .item.name,
        sku: ([.item.variations[].sku // empty] | join(",")),
        price: (.item.variations | map(.price.amount) | min | major(.; "USD")),`))
	rs, err := e.a.PushMenu(ctx(t), loadMenu(t), pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := statuses(rs)
	if st["item/item-latte"] != pos.StatusCreated || st["variation/var-latte-12"] != pos.StatusCreated {
		t.Errorf("statuses %v", st)
	}
	if it := e.srv.Items()["item-latte"]; it.Price != "4.50" || it.SKU != "LAT-12,LAT-16" {
		t.Errorf("latte %+v", it)
	}
}

// TestPullPaymentsStream reads payments from their own endpoint with offset
// paging computed from $next, alongside orders.
func TestPullPaymentsStream(t *testing.T) {
	e := setup(t, func(c *pos.Config) {
		c.Settings["manifest_yaml"] += `
pull_payments:
  request:
    path: /v1/payments
    query: {updated_since: "{{.cursor}}", limit: "2", offset: "{{.next}}"}
  records: .payments
  next: 'if .has_more then (($next | if . == "" then 0 else tonumber end) + (.payments | length)) else null end'
  cursor_field: .updated_at
  map: |
    {
      source: {external_id: .id},
      order_id: aura_id("ord_"; .order_id),
      method: .method,
      amount: money(.amount; .currency),
      tip: money(.tip; .currency),
      status: (if .status == "captured" then "completed" else "pending" end),
      created_at: .created_at
    }
`
	})
	var orders []customtest.Order
	for i := 0; i < 3; i++ {
		e.clock.Add(time.Minute)
		o := e.srv.SeedOrder(customtest.Order{Lines: []customtest.Line{{Name: "Tea", UnitPrice: "2.00"}}})
		o, _ = e.srv.UpdateOrder(o.ID, func(o *customtest.Order) {
			o.Payments = []customtest.Payment{customtest.Cash(o.ID+"-P1", "1.00"), customtest.Cash(o.ID+"-P2", "1.00")}
			o.Payments[0].CreatedAt, o.Payments[1].CreatedAt = o.UpdatedAt, o.UpdatedAt
		})
		orders = append(orders, o)
	}
	pages, _ := pullAll(t, e.a, nil)
	var pays []model.Payment
	nOrders := 0
	for _, p := range pages {
		pays = append(pays, p.Payments...)
		nOrders += len(p.Orders)
	}
	// Orders come with their embedded payments (6) and the payments stream
	// reads the same 6 again, in 3 pages of 2.
	if nOrders != 3 || len(pays) != 12 || len(pages) != 3 {
		t.Fatalf("%d orders, %d payments in %d pages", nOrders, len(pays), len(pages))
	}
	var offsets []string
	for _, r := range e.srv.Requests() {
		if r.Path == "/v1/payments" {
			offsets = append(offsets, r.Query.Get("offset"))
		}
	}
	if !slices.Equal(offsets, []string{"", "2", "4"}) {
		t.Errorf("offsets %q", offsets)
	}
	byID := map[string]model.Payment{}
	for _, p := range pays {
		if prev, dup := byID[p.ID]; dup && (prev.OrderID != p.OrderID || prev.Source.Key() != p.Source.Key()) {
			t.Errorf("stream and embedded payment differ: %+v / %+v", prev, p)
		}
		byID[p.ID] = p
	}
	if len(byID) != 6 {
		t.Errorf("%d distinct payments", len(byID))
	}
}

// TestIntegerCursor pages a version-counter API (after=<version>) and
// re-reads lookback versions each round.
func TestIntegerCursor(t *testing.T) {
	var mu sync.Mutex
	versions := []int{3, 5, 8}
	var afters []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		after, _ := strconv.Atoi(r.URL.Query().Get("after"))
		afters = append(afters, r.URL.Query().Get("after"))
		var out []map[string]any
		for _, v := range versions {
			if v > after {
				out = append(out, map[string]any{"id": "S" + strconv.Itoa(v), "version": v, "total": "1.00", "at": 1793620800000})
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"sales": out})
	}))
	t.Cleanup(srv.Close)
	cfg := baseCfg(`vendor: counter
requester: {base_url: https://counter.example, auth: {type: none}}
pull_orders:
  request: {path: /sales, query: {after: "{{.cursor}}"}}
  records: .sales[]
  cursor_field: .version
  cursor_type: integer
  lookback: "1"
  start: "2"
  map: |
    {source: {external_id: .id}, state: "completed", created_at: rfc3339(.at; "unix_ms"),
     line_items: [{id: "1", name: "Sale", quantity: 1, unit_price: money(.total)}]}
`)
	cfg.Settings["base_url"] = srv.URL
	a, err := custom.NewAdapter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.PullOrders(ctx(t), nil)
	if err != nil || len(res.Orders) != 3 || res.More {
		t.Fatalf("first: %v %+v", err, res)
	}
	if o := res.Orders[2]; o.Source.Version != "8" || o.Totals.Total.Amount != 100 || o.CreatedAt.Unix() != 1793620800 {
		t.Errorf("order %+v", o)
	}
	mu.Lock()
	versions = append(versions, 9)
	mu.Unlock()
	res, err = a.PullOrders(ctx(t), res.Next)
	if err != nil || len(res.Orders) != 2 {
		t.Fatalf("second: %v %d orders", err, len(res.Orders))
	}
	if !slices.Equal(afters, []string{"2", "7"}) {
		t.Errorf("after values %q, want 2 then 8-1", afters)
	}
}
