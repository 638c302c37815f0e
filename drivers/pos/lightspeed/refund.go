package lightspeed

import (
	"context"
	"fmt"
	"net/http"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

var _ pos.Refunder = (*Adapter)(nil)

// Wire shapes of a sale as GET /sales/{id}, initReturnSale and UpdateSale
// answer it (Sale, X-Series API 2026-07): only what refunds read.

type rLine struct {
	ID       string          `json:"id"`
	Product  sRef            `json:"product"`
	Quantity decimal.Decimal `json:"quantity"`
	Pricing  struct {
		Price decimal.Decimal `json:"price"`
	} `json:"pricing"`
	Tax struct {
		ID     string          `json:"id"`
		Amount decimal.Decimal `json:"amount"`
	} `json:"tax"`
	Status string `json:"status"`
}

type rSale struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Source struct {
		ID string `json:"id"`
	} `json:"source"`
	LineItems []rLine `json:"line_items"`
	Payments  []struct {
		ID     string          `json:"id"`
		Amount decimal.Decimal `json:"amount"`
		Type   struct {
			ConfigID string `json:"config_id"`
		} `json:"type"`
	} `json:"payments"`
	Totals struct {
		PriceInclTax decimal.Decimal `json:"price_incl_tax"`
	} `json:"totals"`
	Return *struct {
		IsReturn      bool     `json:"is_return"`
		ReturnSaleIDs []string `json:"return_sale_ids"`
	} `json:"return"`
}

type rSaleDoc struct {
	Data *rSale `json:"data"`
}

// SaleUpdateRequest (UpdateSale, PUT /sales/{id}): only what the refund
// sends.
type updLine struct {
	ID       string `json:"id"`
	Product  sRef   `json:"product"`
	Quantity wnum   `json:"quantity"`
	Pricing  sPrice `json:"pricing"`
	Tax      sTax   `json:"tax"`
}

type saleUpdate struct {
	State     string     `json:"state"`
	Note      string     `json:"note,omitempty"`
	Source    sSource    `json:"source"`
	LineItems []updLine  `json:"line_items"`
	Payments  []sPayment `json:"payments"`
}

// RefundOrder refunds a whole sale the X-Series way (API 2026-07, the
// "Returns" tutorial): POST /sales/{id}/actions/return (initReturnSale)
// makes a parked return sale with every line negated, then PUT
// /sales/{return id} (UpdateSale) closes it with one refund payment of its
// total, on the payment type of the original's first payment. The closed
// return carries source{id: a key derived from req.Key, type: "Aura"};
// before starting, the original's return.return_sale_ids are read and a
// closed return with that key is the earlier attempt (a retry after a lost
// answer or a restart). A return left parked by an interrupted attempt is
// voided by X-Series when the next one starts (2026-07 changelog: "Voiding
// of other parked returns"). X-Series returns items, not amounts: a
// partial amount is refused as unsupported.
func (a *Adapter) RefundOrder(ctx context.Context, req pos.RefundRequest) (*pos.RefundResult, error) {
	fail := func(kind pos.ErrorKind, msg string) error {
		return &pos.VendorError{Vendor: Vendor, Op: "refund sale", Kind: kind, Message: msg}
	}
	user := a.cfg.Setting("inject_user_id", "")
	if user == "" {
		return nil, fail(pos.Invalid, "setting inject_user_id (the X-Series user refunds are recorded under) is required to refund sales")
	}
	if req.VendorOrderID == "" {
		return nil, fail(pos.Invalid, "the X-Series sale to refund is not named")
	}
	ref := pos.IdempotencyKey(req.Key, "refund")
	cur := req.Amount.Currency
	if cur == "" {
		cur = a.currency
	}
	var orig rSaleDoc
	if _, err := a.call(ctx, "get sale", http.MethodGet, "/sales/"+pathEscape(req.VendorOrderID), nil, nil, &orig); err != nil {
		if pos.IsStatus(err, http.StatusNotFound) {
			return nil, fail(pos.Invalid, "X-Series has no sale "+req.VendorOrderID)
		}
		return nil, err
	}
	if orig.Data == nil {
		return nil, fail(pos.Invalid, "X-Series answered without the sale")
	}
	if orig.Data.Return != nil && orig.Data.Return.IsReturn {
		return nil, fail(pos.Invalid, "sale "+req.VendorOrderID+" is itself a return")
	}
	result := func(ret *rSale) *pos.RefundResult {
		amt := ret.Totals.PriceInclTax.Neg()
		if len(ret.Payments) > 0 {
			amt = decimal.Zero
			for _, p := range ret.Payments {
				amt = amt.Sub(p.Amount)
			}
		}
		return &pos.RefundResult{VendorRefundID: ret.ID, Status: "completed",
			Amount: model.Money{Amount: amt.Shift(int32(model.MinorDigits(cur))).Round(0).IntPart(), Currency: cur}}
	}
	if orig.Data.Return != nil {
		for _, rid := range orig.Data.Return.ReturnSaleIDs {
			var r rSaleDoc
			if _, err := a.call(ctx, "get return sale", http.MethodGet, "/sales/"+pathEscape(rid), nil, nil, &r); err != nil {
				if pos.IsStatus(err, http.StatusNotFound) {
					continue
				}
				return nil, fmt.Errorf("looking for an earlier attempt: %w", err)
			}
			if r.Data != nil && r.Data.State == "closed" && r.Data.Source.ID == ref {
				return result(r.Data), nil
			}
		}
	}
	if orig.Data.State != "closed" {
		return nil, fail(pos.Invalid, "sale "+req.VendorOrderID+" is "+orig.Data.State+"; only a closed sale can be returned")
	}
	if req.Amount.Amount != 0 {
		want, whole := decimal.New(req.Amount.Amount, -int32(model.MinorDigits(cur))), orig.Data.Totals.PriceInclTax
		if !want.Equal(whole) {
			return nil, fail(pos.Unsupported, fmt.Sprintf("X-Series refunds are returns of a sale's items: a partial amount (%s of %s) cannot be refunded through the API; refund the whole sale, or return the items on the register", want, whole))
		}
	}
	var ret rSaleDoc
	if _, err := a.call(ctx, "return sale", http.MethodPost, "/sales/"+pathEscape(req.VendorOrderID)+"/actions/return", nil, nil, &ret); err != nil {
		return nil, err
	}
	if ret.Data == nil || ret.Data.ID == "" {
		return nil, fail(pos.Invalid, "X-Series answered the return without the return sale")
	}
	total := ret.Data.Totals.PriceInclTax // negative
	cfgID := a.cfg.Setting("inject_payment_type_id", "")
	if len(orig.Data.Payments) > 0 && orig.Data.Payments[0].Type.ConfigID != "" {
		cfgID = orig.Data.Payments[0].Type.ConfigID
	}
	if cfgID == "" {
		return nil, fail(pos.Invalid, "the sale has no payment and setting inject_payment_type_id is not set: no payment type to refund to")
	}
	upd := saleUpdate{State: "closed", Note: req.Reason,
		Source:   sSource{AuthorID: user, ID: ref, Type: "Aura", RegisterID: a.cfg.Setting("inject_register_id", "")},
		Payments: []sPayment{{Amount: wnum{total}, Type: sPaymentType{ConfigID: cfgID}}}}
	for _, l := range ret.Data.LineItems {
		upd.LineItems = append(upd.LineItems, updLine{ID: l.ID, Product: l.Product, Quantity: wnum{l.Quantity},
			Pricing: sPrice{Price: wnum{l.Pricing.Price}}, Tax: sTax{ID: l.Tax.ID, Amount: wnum{l.Tax.Amount}}})
	}
	var done rSaleDoc
	if _, err := a.call(ctx, "close return sale", http.MethodPut, "/sales/"+pathEscape(ret.Data.ID), nil, upd, &done); err != nil {
		return nil, err
	}
	if done.Data == nil {
		done.Data = ret.Data
	}
	return result(done.Data), nil
}
