package toast

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// Refunds. Toast's orders API has no refund operation for integrations. It
// documents "Void an order" (POST /orders/v2/orders/{orderGuid}/void;
// Toast Orders API 2.9.0 voidOrder and the developer guide page "Void an
// order"): the whole order and its payments are voided at once, with the
// body {"selections":{"voidAll":true},"payments":{"voidAll":true}}, and
// only when the order was paid with an OTHER payment type (not cash, card
// or gift card), has no discounts, is not already voided, deleted or
// restricted, was created by the same API client, and the client has the
// orders.channel:void scope. So a full refund of an order aura-edge
// created with an OTHER payment voids it; a partial refund, or an order
// paid otherwise, is unsupported with the reason. A retry reads the order
// first: already voided means done.

var _ pos.Refunder = (*Adapter)(nil)

type voidAll struct {
	VoidAll bool `json:"voidAll"`
}

type voidRequest struct {
	Selections voidAll `json:"selections"`
	Payments   voidAll `json:"payments"`
}

// RefundOrder voids the whole order (see above).
func (a *Adapter) RefundOrder(ctx context.Context, req pos.RefundRequest) (*pos.RefundResult, error) {
	path := "/orders/v2/orders/" + url.PathEscape(req.VendorOrderID)
	var o order
	if _, err := a.call(ctx, "get order", http.MethodGet, path, nil, nil, &o); err != nil {
		return nil, err
	}
	paid, other := a.paidTotal(&o, req.VendorPaymentID)
	res := &pos.RefundResult{VendorRefundID: o.GUID + ":void", Amount: paid, Status: "VOIDED"}
	if o.Voided {
		return res, nil // an earlier attempt voided it
	}
	unsupported := func(msg string) error {
		return &pos.VendorError{Vendor: Vendor, Op: "refund", Kind: pos.Unsupported, Message: msg}
	}
	if req.Amount.Amount != 0 && req.Amount.Amount != paid.Amount {
		return nil, unsupported(fmt.Sprintf("Toast can only void a whole order through its API (%s paid); refund %s on the Toast POS", paid, req.Amount))
	}
	if !other {
		return nil, unsupported("Toast voids through its API only orders paid with an OTHER (alternate) payment type; this order was paid otherwise: refund it on the Toast POS")
	}
	for _, c := range o.Checks {
		if len(c.AppliedDiscounts) > 0 {
			return nil, unsupported("Toast cannot void an order with discounts through its API: refund it on the Toast POS")
		}
	}
	var after order
	if _, err := a.call(ctx, "void order", http.MethodPost, path+"/void", nil,
		voidRequest{Selections: voidAll{true}, Payments: voidAll{true}}, &after); err != nil {
		// A lost answer: the next attempt reads the order first.
		return nil, err
	}
	return res, nil
}

// paidTotal sums the order's payments (only paymentGUID's when set) and
// reports whether every one is of type OTHER.
func (a *Adapter) paidTotal(o *order, paymentGUID string) (model.Money, bool) {
	var sum decimal.Decimal
	other, found := true, false
	for _, c := range o.Checks {
		for _, p := range c.Payments {
			if paymentGUID != "" && p.GUID != paymentGUID {
				continue
			}
			found = true
			if p.Type != "OTHER" {
				other = false
			}
			if p.Amount != nil {
				sum = sum.Add(*p.Amount)
			}
		}
	}
	digits := model.MinorDigits(a.currency)
	minorUnits := sum.Shift(int32(digits)).Round(0).IntPart()
	return model.M(minorUnits, a.currency), other && found
}
