package clover

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

var _ pos.OrderInjector = (*Adapter)(nil)

// Clover has no refund API for a payment recorded as taken outside Clover
// (refunds exist for card payments Clover processed), so the adapter does
// not implement pos.Refunder and refunds report unsupported.

// injectLookback is how far back a retry looks for the order an earlier
// attempt created (Clover has no idempotency keys).
const injectLookback = 72 * time.Hour

// injectTitle is the order title that carries the Aura order id, the
// external reference a retry looks up.
func injectTitle(auraID string) string { return "Aura " + auraID }

type atomicModification struct {
	Modifier ref `json:"modifier"`
}

type atomicLine struct {
	Item          ref                  `json:"item"`
	Note          string               `json:"note,omitempty"`
	Modifications []atomicModification `json:"modifications,omitempty"`
}

type atomicCart struct {
	Title     string       `json:"title"`
	Note      string       `json:"note,omitempty"`
	Currency  string       `json:"currency,omitempty"`
	LineItems []atomicLine `json:"lineItems"`
}

type atomicOrderRequest struct {
	OrderCart atomicCart `json:"orderCart"`
}

type injectedOrder struct {
	ID       string              `json:"id"`
	Title    string              `json:"title"`
	Total    int64               `json:"total"`
	Payments *elements[cPayment] `json:"payments"`
}

type paymentRecordRequest struct {
	Amount    int64 `json:"amount"`
	TipAmount int64 `json:"tipAmount,omitempty"`
	Tender    ref   `json:"tender"`
}

// InjectOrder creates the order with "Create an atomic order" (its title
// "Aura <order id>" is the external reference) and records the payment with
// "Create a payment record on an order" against the merchant's tender for
// the method (Cash, else External Payment). Clover has no idempotency keys,
// so every attempt first looks for an order with that title created in the
// last 72 hours, and for a payment already recorded on it.
func (a *Adapter) InjectOrder(ctx context.Context, req pos.InjectRequest) (*pos.InjectResult, error) {
	title := injectTitle(req.Order.ID)
	found, err := a.findInjected(ctx, title)
	if err != nil {
		return nil, fmt.Errorf("looking for an earlier attempt: %w", err)
	}
	res := &pos.InjectResult{}
	if found != nil {
		res.VendorOrderID, res.Existing = found.ID, true
		if found.Payments != nil && len(found.Payments.Elements) > 0 {
			res.VendorPaymentID = found.Payments.Elements[0].ID
			return res, nil
		}
	} else {
		cart := atomicCart{Title: title, Note: req.Order.Note}
		for _, l := range req.Lines {
			id := l.VendorVariationID // a menu push makes one Clover item per variation
			if id == "" {
				id = l.VendorItemID
			}
			if id == "" {
				return nil, &pos.VendorError{Vendor: "clover", Op: "create order", Kind: pos.Invalid,
					Message: fmt.Sprintf("line %q has no Clover inventory item", l.Name)}
			}
			q := l.Quantity.Milli()
			if q <= 0 || q%1000 != 0 {
				return nil, &pos.VendorError{Vendor: "clover", Op: "create order", Kind: pos.Invalid,
					Message: fmt.Sprintf("line %q has quantity %s: Clover orders whole units (one line item per unit)", l.Name, l.Quantity)}
			}
			al := atomicLine{Item: ref{ID: id}, Note: l.Note}
			for _, m := range l.VendorModifierIDs {
				al.Modifications = append(al.Modifications, atomicModification{Modifier: ref{ID: m}})
			}
			for range q / 1000 {
				cart.LineItems = append(cart.LineItems, al)
			}
		}
		var o injectedOrder
		if _, err := a.call(ctx, "create order", http.MethodPost, a.mpath("/atomic_order/orders"), nil,
			atomicOrderRequest{OrderCart: cart}, &o); err != nil {
			return nil, err
		}
		if o.ID == "" {
			return nil, &pos.VendorError{Vendor: "clover", Op: "create order", Kind: pos.Retryable, Message: "Clover answered without an order id"}
		}
		res.VendorOrderID = o.ID
	}
	if req.Payment == nil {
		return res, nil
	}
	tender, err := a.injectTender(ctx, req.Payment.Method)
	if err != nil {
		return res, fmt.Errorf("order %s created, its payment not recorded: %w", res.VendorOrderID, err)
	}
	var p cPayment
	if _, err := a.call(ctx, "record payment", http.MethodPost, a.mpath("/orders/"+url.PathEscape(res.VendorOrderID)+"/payments"), nil,
		paymentRecordRequest{Amount: req.Payment.Amount.Amount, TipAmount: req.Payment.Tip.Amount, Tender: ref{ID: tender}}, &p); err != nil {
		return res, fmt.Errorf("order %s created, its payment not recorded: %w", res.VendorOrderID, err)
	}
	res.VendorPaymentID = p.ID
	return res, nil
}

// findInjected returns the order titled title created within the lookback
// window (with its payments), or nil.
func (a *Adapter) findInjected(ctx context.Context, title string) (*injectedOrder, error) {
	since := a.now().Add(-injectLookback).UnixMilli()
	for offset := 0; ; {
		var page elements[injectedOrder]
		q := url.Values{"filter": {"createdTime>=" + strconv.FormatInt(since, 10)}, "expand": {"payments"},
			"limit": {strconv.Itoa(MaxPageSize)}, "offset": {strconv.Itoa(offset)}}
		if _, err := a.call(ctx, "find order", http.MethodGet, a.mpath("/orders"), q, nil, &page); err != nil {
			return nil, err
		}
		for i := range page.Elements {
			if page.Elements[i].Title == title {
				return &page.Elements[i], nil
			}
		}
		if len(page.Elements) < MaxPageSize {
			return nil, nil
		}
		offset += len(page.Elements)
	}
}

// injectTender picks the merchant tender a payment taken elsewhere is
// recorded with: Cash for cash, External Payment otherwise.
func (a *Adapter) injectTender(ctx context.Context, m model.PaymentMethod) (string, error) {
	key := "com.clover.tender.external_payment"
	if m == model.MethodCash {
		key = "com.clover.tender.cash"
	}
	if _, err := a.tender(ctx, "\x00"); err != nil { // (re)reads the merchant's tenders
		return "", err
	}
	a.tenderMu.Lock()
	defer a.tenderMu.Unlock()
	for id, t := range a.tenders {
		if t.LabelKey == key {
			return id, nil
		}
	}
	return "", &pos.VendorError{Vendor: "clover", Op: "record payment", Kind: pos.Invalid,
		Message: "the merchant has no tender " + key + ": enable it in the Clover Tenders settings"}
}
