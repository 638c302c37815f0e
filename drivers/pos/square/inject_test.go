package square_test

import (
	"context"
	"errors"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/internal/model"
)

func injectOrder() model.Order {
	return model.Order{ID: "ord_aura_1", Currency: "USD", LineItems: []model.LineItem{
		{ID: "l1", ItemID: "item-latte", VariationID: "var-latte-16", Name: "Latte", Quantity: model.Q(2),
			UnitPrice: model.M(525, "USD"), Modifiers: []model.LineModifier{{ModifierID: "mod-oat", Name: "Oat", Quantity: model.Q(1), UnitPrice: model.M(75, "USD")}}},
		{ID: "l2", ItemID: "item-croissant", VariationID: "var-croissant", Name: "Croissant", Quantity: model.Q(1), UnitPrice: model.M(325, "USD")},
	}}
}

// TestInjectOrderIdempotent: CreateOrder and CreatePayment (EXTERNAL) pass
// the OpenAPI validator, and the same key twice (a retry, a restart) leaves
// one order and one payment at Square.
func TestInjectOrderIdempotent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.a.PushMenu(ctx, sampleMenu(), pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	o := injectOrder()
	lines, err := pos.MapOrderLines(pos.Mappings{S: e.state}, &o)
	if err != nil {
		t.Fatal(err)
	}
	pay := &model.Payment{ID: "pay_aura_1", Method: model.MethodCard, Amount: model.M(1675, "USD"), Tip: model.M(200, "USD")}
	req := pos.InjectRequest{Key: "cmd-1", Order: o, Lines: lines, Payment: pay}
	r1, err := e.a.InjectOrder(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.adapter().InjectOrder(ctx, req) // a fresh adapter, as after a restart
	if err != nil {
		t.Fatal(err)
	}
	if r1.VendorOrderID == "" || r1.VendorOrderID != r2.VendorOrderID || r1.VendorPaymentID != r2.VendorPaymentID {
		t.Fatalf("retry gave %+v, first %+v", r2, r1)
	}
	got := e.srv.OrdersByReference("ord_aura_1")
	if len(got) != 1 {
		t.Fatalf("%d orders at Square, want 1", len(got))
	}
	so := got[0]
	if so.State != "COMPLETED" || so.TotalMoney == nil || len(so.Tenders) != 1 {
		t.Errorf("order at Square: state %s total %+v tenders %d", so.State, so.TotalMoney, len(so.Tenders))
	}
	p, ok := e.srv.Payment(r1.VendorPaymentID)
	if !ok || p.SourceType != "EXTERNAL" || p.AmountMoney.Amount != 1675 || p.TipMoney == nil || p.TipMoney.Amount != 200 {
		t.Errorf("payment at Square: %+v", p)
	}

	// Partial then full-rest refund; the partial one twice is one refund.
	rr := pos.RefundRequest{Key: "cmd-r1", VendorOrderID: r1.VendorOrderID, Amount: model.M(500, "USD"), Reason: "cold"}
	f1, err := e.a.RefundOrder(ctx, rr)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := e.a.RefundOrder(ctx, rr)
	if err != nil || f2.VendorRefundID != f1.VendorRefundID {
		t.Fatalf("refund retry: %+v %v (first %+v)", f2, err, f1)
	}
	if _, err := e.a.RefundOrder(ctx, pos.RefundRequest{Key: "cmd-r2", VendorOrderID: r1.VendorOrderID, VendorPaymentID: r1.VendorPaymentID,
		Amount: model.M(1675, "USD")}); pos.KindOf(err) != pos.Invalid {
		t.Errorf("refund over the rest: %v, want invalid", err)
	}
	if n := len(e.srv.Refunds(r1.VendorPaymentID)); n != 1 {
		t.Errorf("%d refunds, want 1", n)
	}
}

// TestMapOrderLinesUnknownItem: an order naming an item never pushed is
// refused naming it, before any call.
func TestMapOrderLinesUnknownItem(t *testing.T) {
	e := newEnv(t)
	if _, err := e.a.PushMenu(context.Background(), sampleMenu(), pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	e.srv.ClearRequests()
	o := injectOrder()
	o.LineItems = append(o.LineItems, model.LineItem{ID: "l3", ItemID: "item-bagel", VariationID: "var-bagel", Name: "Bagel", Quantity: model.Q(1)})
	_, err := pos.MapOrderLines(pos.Mappings{S: e.state}, &o)
	var ue *pos.UnknownItemError
	if !errors.As(err, &ue) || len(ue.Items) != 1 || ue.Items[0] != "Bagel (variation var-bagel)" {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d requests to Square", n)
	}
	_ = squaretest.DefaultLocationID
}
