package square

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// catalogRef is what a Square catalog id means in Aura terms.
type catalogRef struct{ auraID, parent string }

// reverseCatalog maps Square variation and modifier ids back to Aura ids
// using the push mappings, so pulled lines name Aura catalog objects.
func (a *Adapter) reverseCatalog() map[string]catalogRef {
	out := map[string]catalogRef{}
	for _, kind := range []pos.ObjectKind{pos.KindVariation, pos.KindModifier} {
		prefix := "map/" + string(kind) + "/"
		all, err := a.cfg.State.List(prefix)
		if err != nil {
			a.log.Warn("list mappings", "err", err)
			continue
		}
		for key, b := range all {
			var m pos.Mapping
			if json.Unmarshal(b, &m) != nil || m.VendorID == "" {
				continue
			}
			out[m.VendorID] = catalogRef{auraID: strings.TrimPrefix(key, prefix), parent: m.Extra["parent"]}
		}
	}
	return out
}

// uniqueIDs hands out ids that are unique within one order (the Aura model
// checks uniqueness across lines, modifiers, discounts, taxes and charges).
type uniqueIDs map[string]bool

func (u uniqueIDs) take(id, fallback string) string {
	if id == "" {
		id = fallback
	}
	base := id
	for i := 2; u[id]; i++ {
		id = base + "~" + strconv.Itoa(i)
	}
	u[id] = true
	return id
}

func firstCurrency(ms ...*money) string {
	for _, m := range ms {
		if m != nil && m.Currency != "" {
			return m.Currency
		}
	}
	return ""
}

func orderState(s string) model.OrderState {
	switch s {
	case "COMPLETED":
		return model.OrderCompleted
	case "CANCELED":
		return model.OrderCanceled
	default: // OPEN, DRAFT
		return model.OrderOpen
	}
}

// normaliseOrder turns a Square order into an Aura order whose total equals
// Square's total_money to the cent. Square's total_money includes tips
// (tender amount_money includes tip_money, and tenders pay the order),
// additive taxes, service charges with their taxes, and the rounding
// adjustment; inclusive taxes are inside the prices. payments are Payment
// objects already known, by id, to fill in card details.
func (a *Adapter) normaliseOrder(so *order, payments map[string]*payment, cat map[string]catalogRef) (model.Order, error) {
	src := model.Source{Vendor: Vendor, IntegrationID: a.cfg.IntegrationID, ExternalID: so.ID,
		Version: strconv.FormatInt(so.Version, 10), LocationID: so.LocationID}
	cur := firstCurrency(so.TotalMoney, so.TotalTaxMoney, so.TotalTipMoney)
	for i := 0; cur == "" && i < len(so.LineItems); i++ {
		cur = firstCurrency(so.LineItems[i].BasePriceMoney, so.LineItems[i].TotalMoney)
	}
	o := model.Order{
		ID: src.DerivedID("ord_"), Source: src, State: orderState(so.State), Currency: cur,
		CreatedAt: parseTime(so.CreatedAt), UpdatedAt: parseTime(so.UpdatedAt), ClosedAt: parseTime(so.ClosedAt),
		Reference: so.ReferenceID,
	}
	if o.Reference == "" {
		o.Reference = so.TicketName
	}
	m := func(amount int64) model.Money { return model.M(amount, cur) }
	ids := uniqueIDs{}
	lineOf := map[string]string{} // Square line uid -> Aura line id
	discountLines := map[string][]string{}
	discountFromLines := map[string]int64{}
	taxFromLines := map[string]int64{}
	for i := range so.LineItems {
		sl := &so.LineItems[i]
		li := model.LineItem{
			ID:            ids.take(sl.UID, "line-"+strconv.Itoa(i+1)),
			Name:          sl.Name,
			VariationName: sl.VariationName,
			Note:          sl.Note,
			UnitPrice:     m(sl.BasePriceMoney.amount()),
		}
		if li.Name == "" {
			li.Name = sl.VariationName
		}
		if li.Name == "" {
			li.Name = "Custom amount"
		}
		if r, ok := cat[sl.CatalogObjectID]; ok {
			li.VariationID, li.ItemID = r.auraID, r.parent
		} else {
			li.VariationID = sl.CatalogObjectID
		}
		q, err := model.ParseQuantity(sl.Quantity)
		exact := err == nil
		if !exact {
			// Square allows 5 decimals, Aura 3: keep the money exact by
			// selling "1" of the line's total and say so in the note.
			q = model.Q(1)
			li.UnitPrice = m(sl.VariationTotalPriceMoney.amount())
			li.Note = strings.TrimSpace(li.Note + " (quantity " + sl.Quantity + ")")
		}
		if q <= 0 {
			continue // nothing sold on this line
		}
		li.Quantity = q
		for j, sm := range sl.Modifiers {
			mq, qerr := model.Q(1), error(nil)
			if sm.Quantity != "" {
				mq, qerr = model.ParseQuantity(sm.Quantity)
			}
			if qerr == nil && mq <= 0 {
				continue // "no cheese"
			}
			lm := model.LineModifier{
				ID:        ids.take(sm.UID, li.ID+"-mod-"+strconv.Itoa(j+1)),
				Name:      sm.Name,
				Quantity:  mq,
				UnitPrice: m(sm.BasePriceMoney.amount()),
			}
			switch {
			case !exact: // the line is "1" of its total, so is the modifier
				lm.Quantity, lm.UnitPrice = model.Q(1), m(sm.TotalPriceMoney.amount())
			case qerr != nil: // too many decimals: the total check below evens it out
				lm.Quantity = model.Q(1)
			}
			if r, ok := cat[sm.CatalogObjectID]; ok {
				lm.ModifierID, lm.GroupID = r.auraID, r.parent
			} else {
				lm.ModifierID = sm.CatalogObjectID
			}
			if lm.Name == "" {
				lm.Name = "Modifier"
			}
			li.Modifiers = append(li.Modifiers, lm)
		}
		lineOf[sl.UID] = li.ID
		for _, ad := range sl.AppliedDiscounts {
			discountLines[ad.DiscountUID] = append(discountLines[ad.DiscountUID], li.ID)
			discountFromLines[ad.DiscountUID] += ad.AppliedMoney.amount()
		}
		for _, at := range sl.AppliedTaxes {
			taxFromLines[at.TaxUID] += at.AppliedMoney.amount()
		}
		o.LineItems = append(o.LineItems, li)
	}
	for _, sc := range so.ServiceCharges {
		for _, at := range sc.AppliedTaxes {
			taxFromLines[at.TaxUID] += at.AppliedMoney.amount()
		}
	}
	for i, d := range so.Discounts {
		amt := discountFromLines[d.UID]
		if d.AppliedMoney != nil {
			amt = d.AppliedMoney.Amount
		}
		ad := model.Discount{ID: ids.take(d.UID, "discount-"+strconv.Itoa(i+1)), Name: d.Name, Percentage: d.Percentage, Amount: m(amt)}
		if ad.Name == "" {
			ad.Name = "Discount"
		}
		if d.Scope == "LINE_ITEM" && len(discountLines[d.UID]) == 1 {
			ad.LineItemID = discountLines[d.UID][0]
		}
		o.Discounts = append(o.Discounts, ad)
	}
	for i, t := range so.Taxes {
		amt := taxFromLines[t.UID]
		if t.AppliedMoney != nil {
			amt = t.AppliedMoney.Amount
		}
		at := model.AppliedTax{ID: ids.take(t.UID, "tax-"+strconv.Itoa(i+1)), Name: t.Name, Percentage: t.Percentage,
			Inclusive: t.Type == "INCLUSIVE", Amount: m(amt)}
		if at.Name == "" {
			at.Name = "Tax"
		}
		o.Taxes = append(o.Taxes, at)
	}
	for i, sc := range so.ServiceCharges {
		amt := sc.AmountMoney.amount()
		if sc.AppliedMoney != nil {
			amt = sc.AppliedMoney.Amount // without its taxes, which are in o.Taxes
		}
		s := model.ServiceCharge{ID: ids.take(sc.UID, "service-charge-"+strconv.Itoa(i+1)), Name: sc.Name, Amount: m(amt)}
		if s.Name == "" {
			s.Name = "Service charge"
		}
		o.ServiceCharges = append(o.ServiceCharges, s)
	}
	var tenderTips int64
	for _, t := range so.Tenders {
		tenderTips += t.TipMoney.amount()
	}
	o.Tip = m(tenderTips)
	if so.TotalTipMoney != nil {
		o.Tip = m(so.TotalTipMoney.Amount)
	}
	if ra := so.RoundingAdjustment; ra != nil && ra.AmountMoney.amount() != 0 {
		a.adjust(&o, ids, ra.AmountMoney.Amount, "Rounding adjustment")
	}
	o.ComputeTotals()
	if so.TotalMoney != nil {
		if diff := so.TotalMoney.Amount - o.Totals.Total.Amount; diff != 0 {
			// Rounding that Square does per line on fractional quantities,
			// or amounts the spec does not itemise: keep Square's total.
			a.log.Warn("square order total differs from its parts; adding an adjustment",
				"order_id", so.ID, "diff", diff)
			a.adjust(&o, ids, diff, "Square adjustment")
			o.ComputeTotals()
		}
	}
	// Payments (tenders) and refunds.
	payIDOfTender := map[string]string{}
	for _, t := range so.Tenders {
		if t.Type == "NO_SALE" {
			continue
		}
		p := a.tenderPayment(&t, so, &o, payments[t.PaymentID])
		payIDOfTender[t.ID] = p.ID
		o.Payments = append(o.Payments, p)
	}
	for _, r := range so.Refunds {
		rsrc := model.Source{Vendor: Vendor, IntegrationID: a.cfg.IntegrationID, ExternalID: r.ID, LocationID: so.LocationID}
		o.Refunds = append(o.Refunds, model.Refund{
			ID: rsrc.DerivedID("ref_"), Source: rsrc, PaymentID: payIDOfTender[r.TenderID],
			Amount: m(r.AmountMoney.amount()), Reason: r.Reason, Status: refundStatus(r.Status),
			CreatedAt: orTime(parseTime(r.CreatedAt), o.CreatedAt),
		})
	}
	if ps := o.Validate(); ps != nil {
		return o, ps
	}
	return o, nil
}

// adjust adds a positive amount as a service charge and a negative one as
// a discount, so that Aura's sums stay consistent.
func (a *Adapter) adjust(o *model.Order, ids uniqueIDs, amount int64, name string) {
	slug := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	if amount > 0 {
		o.ServiceCharges = append(o.ServiceCharges, model.ServiceCharge{ID: ids.take(slug, slug), Name: name, Amount: model.M(amount, o.Currency)})
	} else if amount < 0 {
		o.Discounts = append(o.Discounts, model.Discount{ID: ids.take(slug, slug), Name: name, Amount: model.M(-amount, o.Currency)})
	}
}

func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

func refundStatus(s string) model.PaymentStatus {
	switch s {
	case "APPROVED", "COMPLETED":
		return model.PaymentCompleted
	case "REJECTED", "FAILED":
		return model.PaymentFailed
	default:
		return model.PaymentPending
	}
}

func tenderMethod(typ string, c *card) model.PaymentMethod {
	if c != nil && c.CardBrand == "SQUARE_GIFT_CARD" {
		return model.MethodGiftCard
	}
	switch typ {
	case "CARD", "THIRD_PARTY_CARD":
		return model.MethodCard
	case "CASH":
		return model.MethodCash
	case "SQUARE_GIFT_CARD":
		return model.MethodGiftCard
	case "WALLET":
		return model.MethodWallet
	default: // BANK_ACCOUNT, BUY_NOW_PAY_LATER, SQUARE_ACCOUNT, OTHER
		return model.MethodOther
	}
}

func cardStatus(s string) model.PaymentStatus {
	switch s {
	case "AUTHORIZED":
		return model.PaymentAuthorized
	case "VOIDED":
		return model.PaymentCanceled
	case "FAILED":
		return model.PaymentFailed
	default: // CAPTURED
		return model.PaymentCompleted
	}
}

func paymentStatus(s string) model.PaymentStatus {
	switch s {
	case "APPROVED":
		return model.PaymentAuthorized
	case "COMPLETED":
		return model.PaymentCompleted
	case "CANCELED":
		return model.PaymentCanceled
	case "FAILED":
		return model.PaymentFailed
	default:
		return model.PaymentPending
	}
}

func last4(c *card) string {
	if c == nil || len(c.Last4) != 4 {
		return ""
	}
	for _, r := range c.Last4 {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return c.Last4
}

// tenderPayment is one split payment of an order. Tender amount_money
// includes the tip; Aura's Payment.Amount does not.
func (a *Adapter) tenderPayment(t *tender, so *order, o *model.Order, sp *payment) model.Payment {
	ext := t.PaymentID
	if ext == "" {
		ext = t.ID
	}
	src := model.Source{Vendor: Vendor, IntegrationID: a.cfg.IntegrationID, ExternalID: ext, LocationID: so.LocationID}
	tip := t.TipMoney.amount()
	p := model.Payment{
		ID: src.DerivedID("pay_"), Source: src, OrderID: o.ID,
		Amount:    model.M(t.AmountMoney.amount()-tip, o.Currency),
		Tip:       model.M(tip, o.Currency),
		Status:    model.PaymentCompleted,
		CreatedAt: orTime(parseTime(t.CreatedAt), o.CreatedAt),
	}
	var c *card
	if t.CardDetails != nil {
		c = t.CardDetails.Card
		p.Status = cardStatus(t.CardDetails.Status)
	}
	if sp != nil {
		if c == nil && sp.CardDetails != nil {
			c = sp.CardDetails.Card
		}
		p.Status = paymentStatus(sp.Status)
		p.Source.Version = sp.UpdatedAt
	}
	p.Method = tenderMethod(t.Type, c)
	if c != nil {
		p.CardBrand, p.Last4 = c.CardBrand, last4(c)
	}
	return p
}

// normalisePayment turns a Square Payment into an Aura payment.
func (a *Adapter) normalisePayment(sp *payment) model.Payment {
	src := model.Source{Vendor: Vendor, IntegrationID: a.cfg.IntegrationID, ExternalID: sp.ID,
		Version: sp.UpdatedAt, LocationID: sp.LocationID}
	cur := firstCurrency(sp.AmountMoney, sp.TotalMoney, sp.TipMoney)
	p := model.Payment{
		ID: src.DerivedID("pay_"), Source: src,
		Amount:    model.M(sp.AmountMoney.amount(), cur),
		Tip:       model.M(sp.TipMoney.amount(), cur),
		Status:    paymentStatus(sp.Status),
		CreatedAt: parseTime(sp.CreatedAt),
	}
	if p.Tip.Amount == 0 {
		p.Tip = model.Money{}
	}
	if sp.OrderID != "" {
		p.OrderID = model.Source{Vendor: Vendor, ExternalID: sp.OrderID}.DerivedID("ord_")
	}
	var c *card
	if sp.CardDetails != nil {
		c = sp.CardDetails.Card
	}
	switch sp.SourceType {
	case "CARD":
		p.Method = tenderMethod("CARD", c)
	case "CASH":
		p.Method = model.MethodCash
	case "WALLET":
		p.Method = model.MethodWallet
	default:
		p.Method = model.MethodOther
	}
	if c != nil {
		p.CardBrand, p.Last4 = c.CardBrand, last4(c)
	}
	return p
}
