package custom_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/customtest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// seedN stores n one-line orders, gap apart, and returns their ids.
func seedN(e *env, n int, gap time.Duration) []string {
	var ids []string
	for i := 0; i < n; i++ {
		e.clock.Add(gap)
		o := e.srv.SeedOrder(customtest.Order{Lines: []customtest.Line{{Name: "Espresso", Quantity: "1", UnitPrice: "3.00"}}})
		ids = append(ids, o.ID)
	}
	return ids
}

func TestPullPagesCursorAndOverlap(t *testing.T) {
	e := setup(t, func(c *pos.Config) { c.Settings["page_size"] = "2" })
	old := e.srv.SeedOrder(customtest.Order{CreatedAt: t0.Add(-48 * time.Hour), UpdatedAt: t0.Add(-48 * time.Hour),
		Lines: []customtest.Line{{Name: "Stale", Quantity: "1", UnitPrice: "1.00"}}})
	ids := seedN(e, 5, 5*time.Minute)

	// First round: start 24h back (the 48h-old order is not read), 3 pages of 2.
	pages, cursor := pullAll(t, e.a, nil)
	if got := orderIDs(pages); !slices.Equal(got, ids) {
		t.Fatalf("first round read %v, want %v", got, ids)
	}
	if len(pages) != 3 || !pages[0].More || !pages[1].More || pages[2].More {
		t.Fatalf("want 3 pages with More true, true, false; got %d pages", len(pages))
	}
	reqs := listRequests(e)
	if len(reqs) != 3 {
		t.Fatalf("%d list requests, want 3", len(reqs))
	}
	if got, want := reqs[0].Query.Get("updated_since"), e.clock.Now().Add(-24*time.Hour).Format(time.RFC3339Nano); got != want {
		t.Errorf("first updated_since %q, want %q", got, want)
	}
	for i, r := range reqs {
		if r.Query.Get("limit") != "2" || r.Query.Get("updated_since") != reqs[0].Query.Get("updated_since") {
			t.Errorf("request %d query %v: a round keeps its updated_since", i, r.Query)
		}
		if (i == 0) != (r.Query.Get("page_token") == "") {
			t.Errorf("request %d page_token %q", i, r.Query.Get("page_token"))
		}
		if r.Header.Get("Acme-Version") != customtest.APIVersion || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			t.Errorf("request %d headers %v", i, r.Header)
		}
	}
	_ = old

	// Next round starts lookback (10m) before the newest updated_at: a late
	// offline order stamped inside the overlap is read, along with the
	// orders already seen there (the host de-duplicates).
	last, _ := e.srv.Order(ids[4])
	e.clock.Add(time.Hour)
	late := e.srv.SeedOrder(customtest.Order{UpdatedAt: last.UpdatedAt.Add(-time.Minute), CreatedAt: last.UpdatedAt.Add(-time.Minute),
		Lines: []customtest.Line{{Name: "Offline", Quantity: "1", UnitPrice: "2.00"}}})
	fresh := e.srv.SeedOrder(customtest.Order{Lines: []customtest.Line{{Name: "New", Quantity: "1", UnitPrice: "2.00"}}})
	e.srv.ResetRequests()
	pages, cursor = pullAll(t, e.a, cursor)
	got := orderIDs(pages)
	for _, want := range []string{late.ID, fresh.ID, ids[4]} {
		if !slices.Contains(got, want) {
			t.Errorf("second round %v misses %s", got, want)
		}
	}
	if slices.Contains(got, ids[1]) {
		t.Errorf("second round re-read %s, outside the overlap", ids[1])
	}
	if since := listRequests(e)[0].Query.Get("updated_since"); since != last.UpdatedAt.Add(-10*time.Minute).Format(time.RFC3339Nano) {
		t.Errorf("second round updated_since %s, want newest - 10m", since)
	}

	// A round with nothing new keeps its start.
	e.srv.ResetRequests()
	res, err := e.a.PullOrders(ctx(t), cursor)
	if err != nil || res.More {
		t.Fatalf("PullOrders: %v more=%v", err, res != nil && res.More)
	}
	res2, err := e.a.PullOrders(ctx(t), res.Next)
	if err != nil {
		t.Fatal(err)
	}
	q := listRequests(e)
	if q[0].Query.Get("updated_since") != q[1].Query.Get("updated_since") {
		t.Errorf("idle rounds moved the cursor: %s then %s", q[0].Query.Get("updated_since"), q[1].Query.Get("updated_since"))
	}
	_ = res2
}

// listRequests returns the recorded order list requests.
func listRequests(e *env) []customtest.Request {
	var reqs []customtest.Request
	for _, r := range e.srv.Requests() {
		if strings.HasSuffix(r.Path, "/orders") {
			reqs = append(reqs, r)
		}
	}
	return reqs
}

func TestPullMapsOrdersExactly(t *testing.T) {
	e := setup(t, nil)
	seeded := e.srv.SeedOrder(customtest.Order{
		Note: "table 4",
		Lines: []customtest.Line{
			{ItemID: "var-latte-12", Name: "Latte", Variant: "12oz", Quantity: "2", UnitPrice: "4.50",
				Options: []customtest.Modifier{{ID: "OPT-OAT", Name: "Oat milk", Price: "0.75", Quantity: 1}, {ID: "OPT-SHOT", Name: "Extra shot", Price: "0.60", Quantity: 2}}},
			{Name: "Beans", Variant: "per kg", Quantity: "0.375", UnitPrice: "31.99"},
		},
		Discounts: []customtest.Discount{{ID: "D1", Name: "Staff", Amount: "1.25"}},
		Taxes:     []customtest.Tax{{ID: "TX1", Name: "Sales tax", Rate: "8.875"}, {ID: "TX2", Name: "City", Rate: "0.5"}},
		Fees:      []customtest.Fee{{ID: "F1", Name: "Delivery", Amount: "2.00"}},
		Tip:       "3.00",
	})
	// Split payment: cash for part, card with the tip for the rest.
	seeded, _ = e.srv.UpdateOrder(seeded.ID, func(o *customtest.Order) {
		noTip := customtest.Sub(o.Total, o.Tip, o.Currency)
		cash := "10.00"
		o.Payments = []customtest.Payment{
			customtest.Cash("", cash),
			customtest.Card("", customtest.Sub(noTip, cash, o.Currency), o.Tip),
		}
		o.Payments[0].ID, o.Payments[1].ID = o.ID+"-P1", o.ID+"-P2"
		o.Payments[0].CreatedAt, o.Payments[1].CreatedAt = t0, t0
	})
	res, err := e.a.PullOrders(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Orders) != 1 {
		t.Fatalf("%d orders, want 1; logs:\n%s", len(res.Orders), e.logs)
	}
	o := res.Orders[0]
	if ps := o.Validate(); ps != nil {
		t.Fatalf("invalid: %v", ps)
	}
	// Independent figures: lines 2x4.50=9.00, 2x0.75=1.50, 2x(2x0.60)=2.40,
	// 0.375x31.99=11.99625 -> 12.00; subtotal 24.90; less 1.25 = 23.65;
	// tax 8.875% = 2.0989 -> 2.10, 0.5% = 0.11825 -> 0.12; total 23.65 +
	// 2.22 + 2.00 fee + 3.00 tip = 30.87.
	want := model.Totals{
		Subtotal: model.M(2490, "USD"), Discount: model.M(125, "USD"), Tax: model.M(222, "USD"),
		InclusiveTax: model.M(0, "USD"), ServiceCharge: model.M(200, "USD"), Tip: model.M(300, "USD"), Total: model.M(3087, "USD"),
	}
	if o.Totals != want {
		t.Errorf("totals %+v\nwant   %+v", o.Totals, want)
	}
	if seeded.Total != "30.87" {
		t.Errorf("stand-in total %s", seeded.Total)
	}
	if o.Source != (model.Source{Vendor: "acme", IntegrationID: "int-acme-1", ExternalID: seeded.ID,
		Version: seeded.UpdatedAt.Format(time.RFC3339Nano), LocationID: customtest.DefaultLocation}) {
		t.Errorf("source %+v", o.Source)
	}
	if o.ID != o.Source.DerivedID("ord_") || o.State != model.OrderCompleted || o.Reference != seeded.Number || o.Note != "table 4" {
		t.Errorf("order header %s %s %s %q", o.ID, o.State, o.Reference, o.Note)
	}
	li := o.LineItems[0]
	if li.Quantity != model.Q(2) || li.UnitPrice != model.M(450, "USD") || li.VariationID != "var-latte-12" || len(li.Modifiers) != 2 ||
		li.Modifiers[1].Quantity != model.Q(2) || li.Modifiers[1].UnitPrice != model.M(60, "USD") {
		t.Errorf("line 0 %+v", li)
	}
	if q := o.LineItems[1].Quantity; q.Milli() != 375 {
		t.Errorf("weighed quantity %s", q)
	}
	if len(o.Taxes) != 2 || o.Taxes[0].Percentage != "8.875" || o.Taxes[0].Amount != model.M(210, "USD") {
		t.Errorf("taxes %+v", o.Taxes)
	}
	if len(res.Payments) != 2 || len(o.Payments) != 2 {
		t.Fatalf("payments %d/%d", len(res.Payments), len(o.Payments))
	}
	var paid int64
	for _, p := range o.Payments {
		if p.OrderID != o.ID || p.Source.Vendor != "acme" || p.ID != p.Source.DerivedID("pay_") {
			t.Errorf("payment %+v", p)
		}
		paid += p.Total().Amount
	}
	if paid != o.Totals.Total.Amount {
		t.Errorf("payments add up to %d, total %d", paid, o.Totals.Total.Amount)
	}
	card := o.Payments[1]
	if card.Method != model.MethodCard || card.CardBrand != "VISA" || card.Last4 != "4242" || card.Tip != model.M(300, "USD") ||
		card.Status != model.PaymentCompleted || o.Payments[0].Method != model.MethodCash {
		t.Errorf("card payment %+v", card)
	}
}

func TestPullSkipsUnmappableOrders(t *testing.T) {
	e := setup(t, nil)
	e.clock.Add(time.Second)
	good := e.srv.SeedOrder(customtest.Order{Lines: []customtest.Line{{Name: "Tea", Quantity: "1", UnitPrice: "2.50"}}})
	e.clock.Add(time.Second)
	bad := e.srv.SeedOrder(customtest.Order{Status: "mystery", Lines: []customtest.Line{{Name: "Tea", Quantity: "1", UnitPrice: "2.50"}}})
	e.clock.Add(time.Second)
	// Three decimals in USD: minor() refuses to round silently.
	sub := e.srv.SeedOrder(customtest.Order{Lines: []customtest.Line{{Name: "Odd", Quantity: "1", UnitPrice: "2.505"}}})
	pages, cursor := pullAll(t, e.a, nil)
	if got := orderIDs(pages); !slices.Equal(got, []string{good.ID}) {
		t.Fatalf("got %v, want only %s", got, good.ID)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "unknown order status mystery") || !strings.Contains(logs, "2.505 has more than 2 decimals for USD") {
		t.Errorf("skips not logged:\n%s", logs)
	}
	// The cursor still moves past them.
	var c struct {
		Orders struct{ Since string } `json:"orders"`
	}
	if err := json.Unmarshal(cursor, &c); err != nil {
		t.Fatal(err)
	}
	if want := sub.UpdatedAt.Add(-10 * time.Minute).Format(time.RFC3339Nano); c.Orders.Since != want {
		t.Errorf("cursor since %s, want %s", c.Orders.Since, want)
	}
	_ = bad
}

func TestPullBadCursor(t *testing.T) {
	e := setup(t, nil)
	for _, c := range []string{`nope`, `{"v":2}`, `{"v":1,"orders":{"since":"yesterday"}}`} {
		if _, err := e.a.PullOrders(ctx(t), []byte(c)); !errors.Is(err, custom.ErrBadCursor) {
			t.Errorf("cursor %s: err %v, want ErrBadCursor", c, err)
		}
	}
}

func TestFetchOrders(t *testing.T) {
	e := setup(t, nil)
	o := e.srv.SeedOrder(customtest.Order{Lines: []customtest.Line{{Name: "Tea", Quantity: "1", UnitPrice: "2.50"}}})
	res, err := e.a.FetchOrders(ctx(t), []string{o.ID, "A-404"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Orders) != 1 || res.Orders[0].Source.ExternalID != o.ID || res.Next != nil {
		t.Fatalf("FetchOrders %+v", res)
	}
	if res.Orders[0].Source.Version != o.UpdatedAt.Format(time.RFC3339Nano) {
		t.Errorf("version %q", res.Orders[0].Source.Version)
	}
	// Through New, the adapter is an OrderFetcher only with fetch_order.
	a, err := custom.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.(pos.OrderFetcher); !ok {
		t.Error("adapter with fetch_order is not an OrderFetcher")
	}
	cfg := e.cfg
	cfg.Settings = clone(e.cfg.Settings)
	editManifest(t, "fetch_order:\n  request:\n    method: GET\n    path: /v1/orders/{{.id | pathescape}}\n  record: .order\n", "")(&cfg)
	a, err = custom.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.(pos.OrderFetcher); ok {
		t.Error("adapter without fetch_order is an OrderFetcher")
	}
}

func clone(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
