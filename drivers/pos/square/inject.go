package square

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

var (
	_ pos.OrderInjector = (*Adapter)(nil)
	_ pos.Refunder      = (*Adapter)(nil)
)

// Wire shapes of CreateOrder, CreatePayment and RefundPayment (api.json,
// Square-Version 2025-08-20): only the members the adapter sends or reads.

type injMoney struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type injModifier struct {
	CatalogObjectID string `json:"catalog_object_id"`
	Quantity        string `json:"quantity,omitempty"`
}

type injLine struct {
	Quantity        string        `json:"quantity"`
	CatalogObjectID string        `json:"catalog_object_id"`
	Note            string        `json:"note,omitempty"`
	Modifiers       []injModifier `json:"modifiers,omitempty"`
}

type injOrder struct {
	LocationID  string            `json:"location_id"`
	ReferenceID string            `json:"reference_id,omitempty"`
	SourceName  map[string]string `json:"source,omitempty"`
	LineItems   []injLine         `json:"line_items"`
}

type createOrderRequest struct {
	IdempotencyKey string   `json:"idempotency_key"`
	Order          injOrder `json:"order"`
}

type createdOrder struct {
	ID          string    `json:"id"`
	ReferenceID string    `json:"reference_id"`
	TotalMoney  *injMoney `json:"total_money"`
	State       string    `json:"state"`
}

type createOrderResponse struct {
	Order *createdOrder `json:"order"`
}

type externalDetails struct {
	Type   string `json:"type"`
	Source string `json:"source"`
}

type createPaymentRequest struct {
	SourceID        string           `json:"source_id"`
	IdempotencyKey  string           `json:"idempotency_key"`
	AmountMoney     injMoney         `json:"amount_money"`
	TipMoney        *injMoney        `json:"tip_money,omitempty"`
	Autocomplete    bool             `json:"autocomplete"`
	OrderID         string           `json:"order_id"`
	LocationID      string           `json:"location_id"`
	ReferenceID     string           `json:"reference_id,omitempty"`
	ExternalDetails *externalDetails `json:"external_details"`
}

type createdPayment struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

type createPaymentResponse struct {
	Payment *createdPayment `json:"payment"`
}

// externalType maps an Aura payment method to Square's external_details.type.
func externalType(m model.PaymentMethod) string {
	switch m {
	case model.MethodCard:
		return "CARD"
	case model.MethodCash:
		return "OTHER" // Square takes cash through source_id CASH; taken elsewhere it is OTHER
	case model.MethodGiftCard:
		return "STORED_BALANCE"
	case model.MethodWallet:
		return "EXTERNAL"
	}
	return "OTHER"
}

// InjectOrder creates the order with CreateOrder and records its payment
// with CreatePayment (source_id EXTERNAL, autocomplete), each with an
// idempotency key derived from req.Key: Square returns the first result
// for a repeated key, so a retry or a restart never creates a second order.
func (a *Adapter) InjectOrder(ctx context.Context, req pos.InjectRequest) (*pos.InjectResult, error) {
	if len(a.set.locationIDs) == 0 {
		return nil, &pos.VendorError{Vendor: "square", Op: "create order", Kind: pos.Invalid, Message: "settings.location_id is empty"}
	}
	o := injOrder{LocationID: a.set.locationIDs[0], ReferenceID: req.Order.ID, SourceName: map[string]string{"name": "Aura"}}
	for _, l := range req.Lines {
		id := l.VendorVariationID
		if id == "" {
			return nil, &pos.VendorError{Vendor: "square", Op: "create order", Kind: pos.Invalid,
				Message: fmt.Sprintf("line %q has no Square item variation (Square orders variations)", l.Name)}
		}
		il := injLine{Quantity: l.Quantity.String(), CatalogObjectID: id, Note: l.Note}
		for i, m := range l.Modifiers {
			q := m.Quantity
			if q == 0 {
				q = model.Q(1)
			}
			il.Modifiers = append(il.Modifiers, injModifier{CatalogObjectID: l.VendorModifierIDs[i], Quantity: q.String()})
		}
		o.LineItems = append(o.LineItems, il)
	}
	var cr createOrderResponse
	if _, err := a.callWrite(ctx, "create order", http.MethodPost, "/v2/orders",
		createOrderRequest{IdempotencyKey: pos.IdempotencyKey(req.Key, "order"), Order: o}, &cr); err != nil {
		return nil, err
	}
	if cr.Order == nil || cr.Order.ID == "" {
		return nil, &pos.VendorError{Vendor: "square", Op: "create order", Kind: pos.Retryable, Message: "Square answered without an order id"}
	}
	res := &pos.InjectResult{VendorOrderID: cr.Order.ID}
	if req.Payment == nil {
		return res, nil
	}
	p := req.Payment
	pr := createPaymentRequest{
		SourceID: "EXTERNAL", IdempotencyKey: pos.IdempotencyKey(req.Key, "payment"),
		AmountMoney: injMoney{p.Amount.Amount, p.Amount.Currency}, Autocomplete: true,
		OrderID: cr.Order.ID, LocationID: o.LocationID, ReferenceID: req.Order.ID,
		ExternalDetails: &externalDetails{Type: externalType(p.Method), Source: "Aura"},
	}
	if p.Tip.Amount != 0 {
		pr.TipMoney = &injMoney{p.Tip.Amount, p.Tip.Currency}
	}
	var pp createPaymentResponse
	if _, err := a.callWrite(ctx, "create payment", http.MethodPost, "/v2/payments", pr, &pp); err != nil {
		return res, fmt.Errorf("order %s created, its payment not recorded: %w", cr.Order.ID, err)
	}
	if pp.Payment != nil {
		res.VendorPaymentID = pp.Payment.ID
	}
	return res, nil
}

type refundPaymentRequest struct {
	IdempotencyKey string   `json:"idempotency_key"`
	AmountMoney    injMoney `json:"amount_money"`
	PaymentID      string   `json:"payment_id"`
	Reason         string   `json:"reason,omitempty"`
}

type refundPaymentResponse struct {
	Refund *struct {
		ID          string   `json:"id"`
		Status      string   `json:"status"`
		AmountMoney injMoney `json:"amount_money"`
	} `json:"refund"`
}

type retrievedOrder struct {
	Order *struct {
		ID         string    `json:"id"`
		TotalMoney *injMoney `json:"total_money"`
		Tenders    []struct {
			PaymentID   string    `json:"payment_id"`
			AmountMoney *injMoney `json:"amount_money"`
		} `json:"tenders"`
	} `json:"order"`
}

// RefundOrder refunds a payment with RefundPayment (an idempotency key
// derived from req.Key). Without a payment id it refunds the order's first
// tender; a zero amount refunds that tender in full.
func (a *Adapter) RefundOrder(ctx context.Context, req pos.RefundRequest) (*pos.RefundResult, error) {
	payID, amount := req.VendorPaymentID, req.Amount
	if payID == "" || amount.Amount == 0 {
		var ro retrievedOrder
		if _, err := a.call(ctx, "retrieve order", http.MethodGet, "/v2/orders/"+url.PathEscape(req.VendorOrderID), nil, nil, &ro); err != nil {
			return nil, err
		}
		if ro.Order == nil || len(ro.Order.Tenders) == 0 || ro.Order.Tenders[0].PaymentID == "" {
			return nil, &pos.VendorError{Vendor: "square", Op: "refund payment", Kind: pos.Invalid,
				Message: "order " + req.VendorOrderID + " has no payment to refund"}
		}
		t := ro.Order.Tenders[0]
		if payID == "" {
			payID = t.PaymentID
		}
		if amount.Amount == 0 && t.AmountMoney != nil {
			amount = model.Money{Amount: t.AmountMoney.Amount, Currency: t.AmountMoney.Currency}
		}
	}
	if amount.Amount <= 0 {
		return nil, &pos.VendorError{Vendor: "square", Op: "refund payment", Kind: pos.Invalid, Message: "refund amount must be positive"}
	}
	var rr refundPaymentResponse
	_, err := a.callWrite(ctx, "refund payment", http.MethodPost, "/v2/refunds", refundPaymentRequest{
		IdempotencyKey: pos.IdempotencyKey(req.Key, "refund"), AmountMoney: injMoney{amount.Amount, amount.Currency},
		PaymentID: payID, Reason: req.Reason}, &rr)
	if err != nil {
		return nil, err
	}
	if rr.Refund == nil {
		return nil, errors.New("square refund: answer without a refund")
	}
	return &pos.RefundResult{VendorRefundID: rr.Refund.ID, Status: rr.Refund.Status,
		Amount: model.Money{Amount: rr.Refund.AmountMoney.Amount, Currency: rr.Refund.AmountMoney.Currency}}, nil
}
