package lightspeed

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

var _ pos.OrderInjector = (*Adapter)(nil)

// Refunds: refund.go.

// Wire shapes of CreateSale (SaleRequest, X-Series API 2026-07): only what
// the adapter sends.

type sRef struct {
	ID string `json:"id"`
}

// wnum is a decimal sent as a JSON number: the 2026-07 request schemas
// type quantities, prices and amounts as number (double), and
// decimal.Decimal alone marshals as a string.
type wnum struct{ decimal.Decimal }

func (n wnum) MarshalJSON() ([]byte, error) { return []byte(n.Decimal.String()), nil }

type sPrice struct {
	Price wnum `json:"price"`
}

type sTax struct {
	ID     string `json:"id"`
	Amount wnum   `json:"amount"`
}

type sAttr struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type sLine struct {
	Product    sRef    `json:"product"`
	Quantity   wnum    `json:"quantity"`
	Pricing    sPrice  `json:"pricing"`
	Tax        sTax    `json:"tax"`
	Attributes []sAttr `json:"attributes,omitempty"`
}

type sPaymentType struct {
	ConfigID string `json:"config_id"`
}

type sPayment struct {
	Amount wnum         `json:"amount"`
	Type   sPaymentType `json:"type"`
}

type sSource struct {
	AuthorID   string `json:"author_id"`
	ID         string `json:"id,omitempty"`
	RegisterID string `json:"register_id,omitempty"`
	Type       string `json:"type,omitempty"`
}

// sAdjustment is a sale-level adjustment (SaleAdjustment): a TIP here.
type sAdjustment struct {
	Type   string `json:"type"`
	Name   string `json:"name,omitempty"`
	Amount struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"amount"`
}

type sPricing struct {
	Adjustments []sAdjustment `json:"adjustments"`
}

type saleRequest struct {
	ID        string     `json:"id"`
	State     string     `json:"state"`
	Note      string     `json:"note,omitempty"`
	Source    sSource    `json:"source"`
	Pricing   *sPricing  `json:"pricing,omitempty"`
	LineItems []sLine    `json:"line_items"`
	Payments  []sPayment `json:"payments,omitempty"`
}

type saleCreated struct {
	Data *struct {
		ID       string `json:"id"`
		Payments []struct {
			ID string `json:"id"`
		} `json:"payments"`
	} `json:"data"`
}

// saleID derives the user-provided sale id (a UUID, as SaleRequest.id
// requires) from the injection key, so every attempt names the same sale.
func saleID(key string) string {
	h := sha256.Sum256([]byte("aura-inject\x00" + key))
	h[6] = h[6]&0x0f | 0x50 // version 5 layout (name-based, SHA)
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// minor renders a minor-unit amount as the decimal X-Series expects.
func minor(amount int64, currency string) decimal.Decimal {
	return decimal.New(amount, -int32(model.MinorDigits(currency)))
}

// MissingInjectSettings names the settings an order needs that are not
// set (pos.InjectPreflight): the user and tax always, a payment type for a
// payment (for cash, inject_cash_payment_type_id does).
func (a *Adapter) MissingInjectSettings(_ *model.Order, pay *model.Payment) []pos.MissingSetting {
	var out []pos.MissingSetting
	if a.cfg.Setting("inject_user_id", "") == "" {
		out = append(out, pos.MissingSetting{Name: "inject_user_id", Hint: "the id of the X-Series user that sales from Aura are recorded under"})
	}
	if a.cfg.Setting("inject_tax_id", "") == "" {
		out = append(out, pos.MissingSetting{Name: "inject_tax_id", Hint: "the id of the X-Series tax for their lines, e.g. the id of \"No Tax\""})
	}
	if pay != nil && a.cfg.Setting("inject_payment_type_id", "") == "" &&
		(pay.Method != model.MethodCash || a.cfg.Setting("inject_cash_payment_type_id", "") == "") {
		out = append(out, pos.MissingSetting{Name: "inject_payment_type_id", Hint: "the id of the X-Series payment type that payments taken by Aura are recorded as"})
	}
	return out
}

// InjectOrder creates a closed sale with CreateSale (POST /sales) carrying
// its payment. The sale id is derived from req.Key and source.id is the
// Aura order id; before creating, the adapter reads GET /sales/{id}, so a
// retry after a lost answer or a restart finds the sale instead of creating
// a second one. Settings: inject_user_id (the cashier recorded as author,
// required), inject_tax_id (the retailer's tax for injected lines, usually
// "No Tax": Aura's prices are sent as they are, with tax 0),
// inject_payment_type_id (payment type config id) and optionally
// inject_cash_payment_type_id and inject_register_id. A tip on the payment
// is recorded as a sale-level TIP adjustment (SalePricing.adjustments,
// amount FIXED) and paid on top of the sale: the payment is amount + tip.
func (a *Adapter) InjectOrder(ctx context.Context, req pos.InjectRequest) (*pos.InjectResult, error) {
	invalid := func(msg string) error {
		return &pos.VendorError{Vendor: Vendor, Op: "create sale", Kind: pos.Invalid, Message: msg}
	}
	user, taxID := a.cfg.Setting("inject_user_id", ""), a.cfg.Setting("inject_tax_id", "")
	if user == "" || taxID == "" {
		return nil, invalid("settings inject_user_id (the X-Series user injected sales are recorded under) and inject_tax_id (the tax for their lines, e.g. the id of \"No Tax\") are required to create sales")
	}
	id := saleID(req.Key)
	var found saleCreated
	_, err := a.call(ctx, "get sale", http.MethodGet, "/sales/"+pathEscape(id), nil, nil, &found)
	switch {
	case err == nil && found.Data != nil:
		res := &pos.InjectResult{VendorOrderID: id, Existing: true}
		if len(found.Data.Payments) > 0 {
			res.VendorPaymentID = found.Data.Payments[0].ID
		}
		return res, nil
	case err != nil && !pos.IsStatus(err, http.StatusNotFound):
		return nil, fmt.Errorf("looking for an earlier attempt: %w", err)
	}
	cur := req.Order.Currency
	if cur == "" {
		cur = a.currency
	}
	sr := saleRequest{ID: id, State: "closed", Note: req.Order.Note,
		Source: sSource{AuthorID: user, ID: req.Order.ID, Type: "Aura", RegisterID: a.cfg.Setting("inject_register_id", "")}}
	for _, l := range req.Lines {
		pid := l.VendorVariationID
		if pid == "" {
			pid = l.VendorItemID
		}
		if pid == "" {
			return nil, invalid(fmt.Sprintf("line %q has no X-Series product", l.Name))
		}
		if len(l.Modifiers) > 0 {
			return nil, invalid(fmt.Sprintf("line %q has modifiers: X-Series products have no modifiers, so the order cannot be recorded as it was sold", l.Name))
		}
		sl := sLine{Product: sRef{ID: pid}, Quantity: wnum{decimal.New(l.Quantity.Milli(), -3)},
			Pricing: sPrice{Price: wnum{minor(l.UnitPrice.Amount, cur)}}, Tax: sTax{ID: taxID, Amount: wnum{decimal.Zero}}}
		if l.Note != "" {
			sl.Attributes = []sAttr{{Name: "line_note", Value: l.Note}}
		}
		sr.LineItems = append(sr.LineItems, sl)
	}
	if p := req.Payment; p != nil {
		cfgID := a.cfg.Setting("inject_payment_type_id", "")
		if p.Method == model.MethodCash {
			cfgID = a.cfg.Setting("inject_cash_payment_type_id", cfgID)
		}
		if cfgID == "" {
			return nil, invalid("setting inject_payment_type_id (the X-Series payment type that payments taken by Aura are recorded as) is required to record the payment")
		}
		sr.Payments = []sPayment{{Amount: wnum{minor(p.Amount.Amount+p.Tip.Amount, cur)}, Type: sPaymentType{ConfigID: cfgID}}}
		if p.Tip.Amount > 0 {
			tip := sAdjustment{Type: "TIP", Name: "Tip"}
			tip.Amount.Type, tip.Amount.Value = "FIXED", minor(p.Tip.Amount, cur).StringFixed(int32(model.MinorDigits(cur)))
			sr.Pricing = &sPricing{Adjustments: []sAdjustment{tip}}
		}
	}
	var created saleCreated
	if _, err := a.call(ctx, "create sale", http.MethodPost, "/sales", nil, sr, &created); err != nil {
		return nil, err
	}
	res := &pos.InjectResult{VendorOrderID: id}
	if created.Data != nil {
		if created.Data.ID != "" {
			res.VendorOrderID = created.Data.ID
		}
		if len(created.Data.Payments) > 0 {
			res.VendorPaymentID = created.Data.Payments[0].ID
		}
	}
	return res, nil
}
