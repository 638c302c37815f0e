package toast

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// injectOrder is an Aura order for the Toast stand-in's menu: 2 Latte Large
// with oat milk and a Croissant, paid by card elsewhere.
func injectOrder(id string) (model.Order, *model.Payment) {
	o := model.Order{ID: id, Source: model.Source{Vendor: "aura", ExternalID: id, Version: "1"}, State: model.OrderOpen, Currency: "USD",
		CreatedAt: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC),
		LineItems: []model.LineItem{
			{ID: "l1", ItemID: "item-1", VariationID: "var-2", Name: "Latte", VariationName: "Large", Quantity: model.Q(2), UnitPrice: model.M(575, "USD"),
				Modifiers: []model.LineModifier{{ModifierID: "mod-1", Name: "Oat", Quantity: model.Q(1), UnitPrice: model.M(75, "USD")}}},
			{ID: "l2", ItemID: "item-croissant", Name: "Croissant", Quantity: model.Q(1), UnitPrice: model.M(325, "USD")},
		}}
	o.Totals = model.Totals{Subtotal: model.M(1625, "USD"), Total: model.M(1625, "USD")}
	return o, &model.Payment{ID: "pay-" + id, Method: model.MethodCard, Amount: model.M(1625, "USD"), Tip: model.M(200, "USD"),
		Status: model.PaymentCompleted, Source: model.Source{Vendor: "aura", ExternalID: "pay-" + id}}
}

func seedInjectMenu(f *fixture) (large, oat, croissant string) {
	large = f.srv.SeedMenuItem("Latte Large", 5.75, false)
	f.srv.SeedMenuItem("Latte Regular", 5.25, false)
	oat = f.srv.SeedMenuItem("Oat", 0.75, true)
	croissant = f.srv.SeedMenuItem("Croissant", 3.25, false)
	return
}

func (f *fixture) inject(t *testing.T, key string, o model.Order, p *model.Payment) (*pos.InjectResult, error) {
	t.Helper()
	ctx := context.Background()
	lines, err := f.a.MapOrderLines(ctx, &o)
	if err != nil {
		return nil, err
	}
	return f.a.InjectOrder(ctx, pos.InjectRequest{Key: key, Order: o, Lines: lines, Payment: p})
}

// TestInjectOrderCreatesOneToastOrder: lines map by name to the Toast menu
// (remembered), the create request names menu item, menu group, modifier
// option and option group GUIDs, the payment is OTHER with the alternate
// payment type, externalId is AURA:<id>; the same injection again finds
// the order by externalId and creates nothing.
func TestInjectOrderCreatesOneToastOrder(t *testing.T) {
	f := newFixture(t, toasttest.InjectSettings())
	large, oat, croissant := seedInjectMenu(f)
	o, p := injectOrder("ord-t1")
	res, err := f.inject(t, "job-1", o, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.VendorOrderID == "" || res.VendorPaymentID == "" || res.Existing {
		t.Fatalf("result %+v", res)
	}
	if got := f.srv.OrdersByExternalID("AURA:ord-t1"); len(got) != 1 || got[0] != res.VendorOrderID {
		t.Fatalf("orders with externalId AURA:ord-t1: %v", got)
	}
	posts := f.srv.RequestsTo("POST", "/orders/v2/orders")
	if len(posts) != 1 {
		t.Fatalf("%d creates", len(posts))
	}
	var body map[string]any
	if err := json.Unmarshal(posts[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	chk := body["checks"].([]any)[0].(map[string]any)
	sel := chk["selections"].([]any)
	s0 := sel[0].(map[string]any)
	if s0["item"].(map[string]any)["guid"] != large || s0["itemGroup"].(map[string]any)["guid"] != toasttest.MenuGroupGUID || s0["quantity"] != 2.0 {
		t.Errorf("first selection %v", s0)
	}
	mod := s0["modifiers"].([]any)[0].(map[string]any)
	if mod["item"].(map[string]any)["guid"] != oat || mod["optionGroup"].(map[string]any)["guid"] != toasttest.OptionGroupGUID {
		t.Errorf("modifier %v", mod)
	}
	if sel[1].(map[string]any)["item"].(map[string]any)["guid"] != croissant {
		t.Errorf("second selection %v", sel[1])
	}
	pay := chk["payments"].([]any)[0].(map[string]any)
	if pay["type"] != "OTHER" || pay["otherPayment"].(map[string]any)["guid"] != toasttest.AlternatePaymentGUID {
		t.Errorf("payment %v", pay)
	}
	if m, _ := (pos.Mappings{S: f.state}).Get(pos.KindVariation, "var-2"); m == nil || m.VendorID != large {
		t.Errorf("name match not remembered: %+v", m)
	}

	again, err := f.inject(t, "job-1", o, p)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing || again.VendorOrderID != res.VendorOrderID || again.VendorPaymentID != res.VendorPaymentID {
		t.Errorf("second attempt %+v, first %+v", again, res)
	}
	if n := f.srv.Creates(); n != 1 {
		t.Errorf("%d orders created", n)
	}
}

// TestInjectOrderLostAnswer: Toast creates the order but its answer is
// lost (500); the adapter looks the order up by externalId and returns it,
// and a later attempt finds it too: one order.
func TestInjectOrderLostAnswer(t *testing.T) {
	f := newFixture(t, toasttest.InjectSettings())
	seedInjectMenu(f)
	o, p := injectOrder("ord-t2")
	p.Method = model.MethodCash
	f.srv.FailAfterCreate(1, http.StatusInternalServerError)
	res, err := f.inject(t, "job-2", o, p)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Existing || res.VendorOrderID == "" {
		t.Fatalf("result %+v", res)
	}
	res2, err := f.inject(t, "job-2", o, p)
	if err != nil || res2.VendorOrderID != res.VendorOrderID {
		t.Fatalf("retry: %+v %v", res2, err)
	}
	if got := f.srv.OrdersByExternalID("AURA:ord-t2"); len(got) != 1 {
		t.Fatalf("orders: %v", got)
	}
	var body struct {
		Checks []struct {
			Payments []map[string]any `json:"payments"`
		} `json:"checks"`
	}
	json.Unmarshal(f.srv.RequestsTo("POST", "/orders/v2/orders")[0].Body, &body)
	if pm := body.Checks[0].Payments[0]; pm["type"] != "CASH" || pm["otherPayment"] != nil {
		t.Errorf("cash payment sent as %v", pm)
	}
}

// TestInjectOrderUnknownItem: an item and a modifier that no Toast menu
// item matches are both named, and nothing is created.
func TestInjectOrderUnknownItem(t *testing.T) {
	f := newFixture(t, toasttest.InjectSettings())
	f.srv.SeedMenuItem("Croissant", 3.25, false)
	o, _ := injectOrder("ord-t3")
	_, err := f.inject(t, "job-3", o, nil)
	var ue *pos.UnknownItemError
	if !errors.As(err, &ue) {
		t.Fatalf("err %v, want UnknownItemError", err)
	}
	msg := err.Error()
	for _, want := range []string{"Latte Large [var-2]", `modifier "Oat" of Latte`, "nothing was created"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not name %q", msg, want)
		}
	}
	if f.srv.Creates() != 0 || len(f.srv.RequestsTo("GET", "/orders/v2/orders/AURA:ord-t3")) != 0 {
		t.Errorf("requests made for a refused order")
	}
}

// TestInjectOrderSettingsRefused: without a dining option, or with a card
// payment and no alternate payment type, the order is refused before any
// create, saying which setting to fill in.
func TestInjectOrderSettingsRefused(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]string
		want     string
	}{
		{"no dining option", map[string]string{"other_payment_guid": toasttest.AlternatePaymentGUID}, "dining_option_guid"},
		{"no alternate payment", map[string]string{"dining_option_guid": toasttest.DiningOptionGUID}, "other_payment_guid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.settings)
			seedInjectMenu(f)
			o, p := injectOrder("ord-t4")
			_, err := f.inject(t, "job-4", o, p)
			if err == nil || pos.KindOf(err) != pos.Invalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want an invalid error naming %s", err, tc.want)
			}
			if f.srv.Creates() != 0 {
				t.Errorf("an order was created")
			}
		})
	}
}

// TestInjectedOrderPulledBackIsAnEcho: the created order comes back in the
// next ordersBulk pull marked as the echo of its Aura order.
func TestInjectedOrderPulledBackIsAnEcho(t *testing.T) {
	f := newFixture(t, toasttest.InjectSettings())
	seedInjectMenu(f)
	seeded := f.srv.SeedOrder(toasttest.OrderSpec{Checks: []toasttest.CheckSpec{{Selections: []toasttest.SelectionSpec{{Name: "Tea", UnitPrice: "2.00"}},
		Payments: []toasttest.PaymentSpec{{Type: "CASH"}}}}})
	o, p := injectOrder("ord-t5")
	res, err := f.inject(t, "job-5", o, p)
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Second)
	pr, err := f.a.PullOrders(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Orders) != 2 {
		t.Fatalf("pulled %d orders", len(pr.Orders))
	}
	for _, po := range pr.Orders {
		switch po.Source.ExternalID {
		case res.VendorOrderID:
			if pr.Echoes[po.ID] != "ord-t5" {
				t.Errorf("injected order not marked: echoes %v", pr.Echoes)
			}
		case seeded:
			if _, ok := pr.Echoes[po.ID]; ok {
				t.Errorf("a store order marked as an echo")
			}
		}
	}
}

// TestInjectOrderByPulledGUIDs: pulled Toast lines carry the Toast menu
// item GUID as item_id (and the option's as modifier_id), and an order
// built from them maps by those GUIDs even when its names match nothing.
func TestInjectOrderByPulledGUIDs(t *testing.T) {
	f := newFixture(t, toasttest.InjectSettings())
	large, oat, croissant := seedInjectMenu(f)
	o, p := injectOrder("ord-t6")
	if _, err := f.inject(t, "job-6", o, p); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Second)
	pr, err := f.a.PullOrders(context.Background(), nil)
	if err != nil || len(pr.Orders) != 1 {
		t.Fatalf("pull: %v %+v", err, pr)
	}
	pulled := pr.Orders[0]
	ids := map[string]bool{}
	for _, li := range pulled.LineItems {
		ids[li.ItemID] = true
		for _, m := range li.Modifiers {
			ids[m.ModifierID] = true
		}
	}
	for _, g := range []string{large, oat, croissant} {
		if !ids[g] {
			t.Errorf("pulled lines do not carry %s: %+v", g, pulled.LineItems)
		}
	}
	next := model.Order{ID: "ord-t7", Currency: "USD"}
	for _, li := range pulled.LineItems {
		li.Name = "renamed " + li.Name
		for i := range li.Modifiers {
			li.Modifiers[i].Name = "renamed"
		}
		next.LineItems = append(next.LineItems, li)
	}
	lines, err := f.a.MapOrderLines(context.Background(), &next)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		if l.VendorItemID != next.LineItems[i].ItemID || l.VendorGroupID != toasttest.MenuGroupGUID {
			t.Errorf("line %d mapped to %s / %s", i, l.VendorItemID, l.VendorGroupID)
		}
	}
}

// TestRefundVoidsWholeOtherPaidOrder: a full refund of an order paid with
// an OTHER payment voids it (once, even when asked again); a partial
// refund, or an order paid in cash, is unsupported with the reason.
func TestRefundVoidsWholeOtherPaidOrder(t *testing.T) {
	f := newFixture(t, toasttest.InjectSettings())
	seedInjectMenu(f)
	ctx := context.Background()
	o, p := injectOrder("ord-r1")
	res, err := f.inject(t, "job-r1", o, p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.a.RefundOrder(ctx, pos.RefundRequest{Key: "ref-1", VendorOrderID: res.VendorOrderID, Amount: model.M(500, "USD")})
	if pos.KindOf(err) != pos.Unsupported || !strings.Contains(err.Error(), "whole order") {
		t.Errorf("partial refund: %v", err)
	}
	for i := range 2 {
		rr, err := f.a.RefundOrder(ctx, pos.RefundRequest{Key: "ref-2", VendorOrderID: res.VendorOrderID, VendorPaymentID: res.VendorPaymentID})
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if rr.Status != "VOIDED" || rr.Amount != p.Amount {
			t.Errorf("attempt %d: %+v, want VOIDED %s", i, rr, p.Amount)
		}
	}
	if f.srv.Voids() != 1 {
		t.Errorf("%d voids", f.srv.Voids())
	}
	var voided struct {
		Voided bool `json:"voided"`
	}
	json.Unmarshal(f.srv.OrderJSON(res.VendorOrderID), &voided)
	if !voided.Voided {
		t.Errorf("order not voided at Toast")
	}

	cash, cp := injectOrder("ord-r2")
	cp.Method = model.MethodCash
	res2, err := f.inject(t, "job-r2", cash, cp)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.a.RefundOrder(ctx, pos.RefundRequest{Key: "ref-3", VendorOrderID: res2.VendorOrderID})
	if pos.KindOf(err) != pos.Unsupported || !strings.Contains(err.Error(), "OTHER") {
		t.Errorf("cash order: %v", err)
	}
	if f.srv.Voids() != 1 {
		t.Errorf("a cash order was voided")
	}
}

// TestInjectOrderPriceCheck: Toast prices the order first (POST
// /orders/v2/prices); a payment that differs is created anyway by default,
// and refused with both amounts, nothing created, under
// price_mismatch: refuse.
func TestInjectOrderPriceCheck(t *testing.T) {
	settings := toasttest.InjectSettings()
	settings["price_mismatch"] = "refuse"
	f := newFixture(t, settings)
	seedInjectMenu(f)
	o, p := injectOrder("ord-p1")
	p.Amount = model.M(1500, "USD")
	_, err := f.inject(t, "job-p1", o, p)
	if pos.KindOf(err) != pos.Invalid || !strings.Contains(err.Error(), "16.25 USD") || !strings.Contains(err.Error(), "15.00 USD") {
		t.Fatalf("err %v, want a refusal naming both amounts", err)
	}
	if f.srv.Creates() != 0 || f.srv.Pricings() != 1 {
		t.Errorf("%d creates, %d pricings", f.srv.Creates(), f.srv.Pricings())
	}
	f.a = f.adapter(t, toasttest.InjectSettings())
	res, err := f.inject(t, "job-p1", o, p)
	if err != nil || res.VendorOrderID == "" || f.srv.Creates() != 1 {
		t.Fatalf("default accepts: %+v %v", res, err)
	}
	o2, p2 := injectOrder("ord-p2")
	if _, err := f.inject(t, "job-p2", o2, p2); err != nil {
		t.Fatal(err)
	}
	if f.srv.Pricings() != 3 {
		t.Errorf("%d pricings, want one per created order", f.srv.Pricings())
	}
}

// TestMapOrderLinesMenuCache: the menus read is reused within a minute,
// and an item added in Toast Web since is found by a fresh read before an
// order is refused.
func TestMapOrderLinesMenuCache(t *testing.T) {
	f := newFixture(t, toasttest.InjectSettings())
	f.srv.SeedMenuItem("Croissant", 3.25, false)
	ctx := context.Background()
	croissant := model.Order{ID: "o1", LineItems: []model.LineItem{{ID: "l1", Name: "Croissant", Quantity: model.Q(1)}}}
	for range 2 {
		if _, err := f.a.MapOrderLines(ctx, &croissant); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.srv.RequestsTo("GET", "/menus/v2/menus")); n != 1 {
		t.Errorf("%d menus reads for two mappings within a minute", n)
	}
	muffin := f.srv.SeedMenuItem("Muffin", 2.5, false)
	lines, err := f.a.MapOrderLines(ctx, &model.Order{ID: "o2", LineItems: []model.LineItem{{ID: "l1", Name: "Muffin", Quantity: model.Q(1)}}})
	if err != nil || lines[0].VendorItemID != muffin {
		t.Fatalf("new item: %+v %v", lines, err)
	}
	f.clk.Advance(2 * time.Minute)
	f.a.MapOrderLines(ctx, &croissant)
	if n := len(f.srv.RequestsTo("GET", "/menus/v2/menus")); n != 3 {
		t.Errorf("%d menus reads, want 3 (first, refresh on a miss, after a minute)", n)
	}
}

// TestStandInRefusesUndocumentedCreates: the stand-in refuses creates that
// do not follow the documented shape or name what its menu lacks.
func TestStandInRefusesUndocumentedCreates(t *testing.T) {
	f := newFixture(t, nil)
	large, _, _ := seedInjectMenu(f)
	sel := func(item, group string, q any) map[string]any {
		return map[string]any{"entityType": "MenuItemSelection", "item": map[string]any{"guid": item}, "itemGroup": map[string]any{"guid": group}, "quantity": q}
	}
	order := func(sels ...any) map[string]any {
		return map[string]any{"entityType": "Order", "diningOption": map[string]any{"guid": toasttest.DiningOptionGUID},
			"checks": []any{map[string]any{"selections": sels}}}
	}
	for _, tc := range []struct {
		name   string
		body   any
		status int
	}{
		{"quantity as a string", order(sel(large, toasttest.MenuGroupGUID, "1")), 400},
		{"no itemGroup", order(map[string]any{"item": map[string]any{"guid": large}, "quantity": 1}), 400},
		{"unknown item", order(sel("0b000000-0000-4000-8000-999999999999", toasttest.MenuGroupGUID, 1)), 404},
		{"wrong group", order(sel(large, "6e000000-0000-4000-8000-00000000ffff", 1)), 404},
		{"no checks", map[string]any{"diningOption": map[string]any{"guid": toasttest.DiningOptionGUID}, "checks": []any{}}, 400},
		{"unknown dining option", map[string]any{"diningOption": map[string]any{"guid": "nope"}, "checks": []any{map[string]any{"selections": []any{sel(large, toasttest.MenuGroupGUID, 1)}}}}, 404},
		{"misspelt field", map[string]any{"diningOptions": map[string]any{"guid": toasttest.DiningOptionGUID}}, 400},
	} {
		_, err := f.a.call(context.Background(), "create order", http.MethodPost, "/orders/v2/orders", nil, tc.body, nil)
		if !pos.IsStatus(err, tc.status) {
			t.Errorf("%s: %v, want %d", tc.name, err, tc.status)
		}
	}
	if f.srv.Creates() != 0 {
		t.Errorf("%d orders created", f.srv.Creates())
	}
}

// TestInjectOrderSearchesWhenExternalIDLookupRefused: where GET
// /orders/v2/orders/{externalId} is refused as a malformed GUID, the
// adapter finds an earlier attempt through ordersBulk: a lost answer and a
// retry still give one order.
func TestInjectOrderSearchesWhenExternalIDLookupRefused(t *testing.T) {
	clk := newClock()
	f := &fixture{srv: toasttest.Start(t, toasttest.WithClock(clk.Now), toasttest.WithGUIDOnlyLookup()), clk: clk,
		state: &countingState{MemState: pos.NewMemState(), puts: map[string]int{}}}
	f.a = f.adapter(t, toasttest.InjectSettings())
	seedInjectMenu(f)
	o, p := injectOrder("ord-s1")
	f.srv.FailAfterCreate(1, http.StatusServiceUnavailable)
	res, err := f.inject(t, "job-s1", o, p)
	if err != nil || !res.Existing || res.VendorOrderID == "" {
		t.Fatalf("lost answer: %+v %v", res, err)
	}
	clk.Advance(time.Hour)
	again, err := f.inject(t, "job-s1", o, p)
	if err != nil || again.VendorOrderID != res.VendorOrderID {
		t.Fatalf("retry: %+v %v", again, err)
	}
	if f.srv.Creates() != 1 || len(f.srv.RequestsTo("GET", "/orders/v2/ordersBulk")) == 0 {
		t.Errorf("%d creates, %d ordersBulk searches", f.srv.Creates(), len(f.srv.RequestsTo("GET", "/orders/v2/ordersBulk")))
	}
}
