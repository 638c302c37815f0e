package clover_test

import (
	"context"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
	"github.com/auraconnect/aura-edge/internal/model"
)

func injectReq(e *env, key, auraID string, method model.PaymentMethod) pos.InjectRequest {
	latte := e.srv.SeedItem(clovertest.Item{ID: "ITLATTE000001", Name: "Latte", Price: 450, Available: true})
	return pos.InjectRequest{
		Key:   key,
		Order: model.Order{ID: auraID, Note: "table 4"},
		Lines: []pos.InjectLine{{LineItem: model.LineItem{Name: "Latte", Quantity: model.Q(2)}, VendorItemID: latte.ID}},
		Payment: &model.Payment{Method: method, Amount: model.Money{Amount: 900, Currency: "USD"},
			Tip: model.Money{Amount: 100, Currency: "USD"}},
	}
}

func TestInjectOrderIdempotent(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		before func(*clovertest.Server)
		// firstFails: the first attempt's answer is lost
		firstFails bool
	}{
		{name: "same command twice"},
		{name: "order answer lost", before: (*clovertest.Server).LoseNextInjectAnswer, firstFails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, nil)
			req := injectReq(e, "cmd-1", "aura-order-1", model.MethodCard)
			if tc.before != nil {
				tc.before(e.srv)
			}
			first, err := e.a.InjectOrder(ctx, req)
			if tc.firstFails {
				if err == nil || pos.KindOf(err) != pos.Retryable {
					t.Fatalf("first attempt: %v, want a retryable error", err)
				}
			} else if err != nil || first.Existing || first.VendorOrderID == "" || first.VendorPaymentID == "" {
				t.Fatalf("first attempt: %+v, %v", first, err)
			}
			again, err := e.a.InjectOrder(ctx, req)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if !again.Existing {
				t.Errorf("retry did not find the first order: %+v", again)
			}
			orders := e.srv.Orders()
			if len(orders) != 1 {
				t.Fatalf("%d orders at Clover, want 1", len(orders))
			}
			o := orders[0]
			if o.ID != again.VendorOrderID || o.Title != "Aura aura-order-1" || o.Note != "table 4" || len(o.LineItems) != 2 {
				t.Errorf("order %+v", o)
			}
			if len(o.Payments) != 1 || o.Payments[0].Amount != 900 || o.Payments[0].TipAmount != 100 ||
				o.Payments[0].TenderLabelKey != clovertest.TenderExternal || o.Payments[0].ID != again.VendorPaymentID {
				t.Errorf("payments %+v, result %+v", o.Payments, again)
			}
			if o.PaymentState != "PAID" {
				t.Errorf("payment state %q, want PAID", o.PaymentState)
			}
		})
	}
}

func TestInjectPaymentAnswerLost(t *testing.T) {
	ctx := context.Background()
	e := setup(t, nil)
	req := injectReq(e, "cmd-2", "aura-order-2", model.MethodCash)
	req.Payment.Tip = model.Money{}
	// An attempt that created the order but not its payment, then a
	// payment record whose answer is lost: the retry records it once.
	if _, err := e.a.InjectOrder(ctx, pos.InjectRequest{Key: req.Key, Order: req.Order, Lines: req.Lines}); err != nil {
		t.Fatal(err)
	}
	e.srv.LoseNextInjectAnswer()
	if _, err := e.a.InjectOrder(ctx, req); err == nil {
		t.Fatal("lost payment answer: no error")
	}
	res, err := e.a.InjectOrder(ctx, req)
	if err != nil || !res.Existing {
		t.Fatalf("retry: %+v %v", res, err)
	}
	o, _ := e.srv.Order(res.VendorOrderID)
	if n := len(e.srv.Orders()); n != 1 || len(o.Payments) != 1 || o.Payments[0].TenderLabelKey != clovertest.TenderCash {
		t.Fatalf("%d orders, payments %+v", n, o.Payments)
	}
}

func TestInjectRefusals(t *testing.T) {
	ctx := context.Background()
	e := setup(t, nil)
	req := injectReq(e, "cmd-3", "aura-order-3", model.MethodCard)
	req.Lines[0].Quantity = model.Quantity(1500)
	_, err := e.a.InjectOrder(ctx, req)
	if pos.KindOf(err) != pos.Invalid {
		t.Fatalf("half a latte: %v, want invalid", err)
	}
	if n := len(e.srv.Orders()); n != 0 {
		t.Fatalf("%d orders created for a refused order", n)
	}
	if _, ok := any(e.a).(pos.Refunder); ok {
		t.Error("Clover adapter claims refunds; Clover has no refund API for payments recorded from outside")
	}
}
