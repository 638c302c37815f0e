package clover

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// adjustmentName names the discount or service charge that carries a
// difference between Clover's order total and the figures derived from its
// lines (see README: "Totals").
const adjustmentName = "Clover total adjustment"

// revIndex maps Clover inventory ids back to Aura menu ids, from the
// mappings PushMenu wrote.
type revIndex struct {
	variation map[string][2]string // clover item id -> {aura item id, aura variation id}
	modifier  map[string][2]string // clover modifier id -> {aura group id, aura modifier id}
}

func (a *Adapter) reverseIndex() (*revIndex, error) {
	ix := &revIndex{variation: map[string][2]string{}, modifier: map[string][2]string{}}
	for kind, dst := range map[pos.ObjectKind]map[string][2]string{pos.KindVariation: ix.variation, pos.KindModifier: ix.modifier} {
		prefix := "map/" + string(kind) + "/"
		all, err := a.cfg.State.List(prefix)
		if err != nil {
			return nil, fmt.Errorf("clover: list mappings: %w", err)
		}
		for k, b := range all {
			var m pos.Mapping
			if json.Unmarshal(b, &m) != nil || m.VendorID == "" {
				continue
			}
			parent := m.Extra[extraItemID]
			if kind == pos.KindModifier {
				parent = m.Extra[extraGroupID]
			}
			dst[m.VendorID] = [2]string{parent, strings.TrimPrefix(k, prefix)}
		}
	}
	return ix, nil
}

func msTime(ms ...int64) time.Time {
	for _, v := range ms {
		if v > 0 {
			return time.UnixMilli(v).UTC()
		}
	}
	return time.Time{}
}

// roundHalfUp rounds to whole minor units, half away from zero (Clover:
// "round half up").
func roundHalfUp(d decimal.Decimal) int64 { return d.Round(0).IntPart() }

func percent(n string) (decimal.Decimal, bool) {
	if n == "" {
		return decimal.Zero, false
	}
	d, err := decimal.NewFromString(n)
	if err != nil {
		return decimal.Zero, false
	}
	return d, true
}

// discountAmount is Clover's own amount when given (stored negative;
// either sign accepted), else pct of base.
func discountAmount(d *cDiscount, base int64) (int64, string) {
	pct, hasPct := percent(d.Percentage.String())
	pctStr := ""
	if hasPct {
		pctStr = pct.String()
	}
	if d.Amount != nil && *d.Amount != 0 {
		v := *d.Amount
		if v < 0 {
			v = -v
		}
		return v, pctStr
	}
	if hasPct {
		return roundHalfUp(decimal.NewFromInt(base).Mul(pct).Div(decimal.NewFromInt(100))), pctStr
	}
	return 0, pctStr
}

// sortDiscounts returns percentage discounts first, then amount discounts
// (Clover applies them in that order).
func sortDiscounts(ds []cDiscount) []cDiscount {
	out := make([]cDiscount, 0, len(ds))
	for _, d := range ds {
		if d.Amount == nil || *d.Amount == 0 {
			out = append(out, d)
		}
	}
	for _, d := range ds {
		if d.Amount != nil && *d.Amount != 0 {
			out = append(out, d)
		}
	}
	return out
}

type lineCalc struct {
	net   int64
	qty   model.Quantity
	rates []cTaxRate
}

// normalize turns one Clover order into an Aura order whose Totals.Total is
// Clover's total plus the tips of its successful payments.
func (a *Adapter) normalize(o *cOrder, ix *revIndex) (*model.Order, error) {
	ord, tips, err := a.build(o, ix)
	if err != nil {
		return nil, err
	}
	if diff := o.Total - (ord.Totals.Total.Amount - tips); diff != 0 {
		level := "debug"
		if abs(diff) > int64(len(ord.LineItems)) {
			level = "warn" // beyond per-line rounding
		}
		a.logDiff(level, o.ID, o.Total, ord.Totals.Total.Amount-tips)
		reconcile(ord, diff, func(n int64) model.Money { return model.M(n, ord.Currency) })
		ord.ComputeTotals()
	}
	return ord, nil
}

// build derives the order from its lines, discounts, service charge, taxes
// and payments, without reconciling to Clover's total; tips is the sum of
// the tips of its successful payments.
func (a *Adapter) build(o *cOrder, ix *revIndex) (*model.Order, int64, error) {
	if o.ID == "" {
		return nil, 0, fmt.Errorf("order without id")
	}
	cur := strings.ToUpper(o.Currency)
	if cur == "" {
		cur = a.currency
	}
	money := func(n int64) model.Money { return model.M(n, cur) }
	src := model.Source{Vendor: Name, IntegrationID: a.cfg.IntegrationID, ExternalID: o.ID,
		Version: strconv.FormatInt(o.ModifiedTime, 10), LocationID: a.merchant}
	ord := &model.Order{
		ID: src.DerivedID("ord_"), Source: src, State: orderState(o), Currency: cur,
		CreatedAt: msTime(o.CreatedTime, o.ClientCreatedTime, o.ModifiedTime),
		UpdatedAt: msTime(o.ModifiedTime), Reference: o.Title, Note: o.Note,
	}
	if ord.CreatedAt.IsZero() {
		ord.CreatedAt = a.now().UTC()
	}

	var lines []lineCalc
	var lineNet int64
	for _, li := range o.LineItems.Elements {
		q := model.Q(1)
		if li.UnitQty != nil && *li.UnitQty > 0 {
			q = model.Quantity(*li.UnitQty)
		}
		// Aura prices are never negative: a negative price or modifier
		// (allowed by Clover) becomes 0 plus a line discount of that amount,
		// which keeps the line's net and the order total unchanged.
		var credits []model.Discount
		credit := func(name string, amount int64) {
			v, _ := model.MulQty(-amount, q)
			credits = append(credits, model.Discount{Name: name, LineItemID: li.ID, Amount: money(v)})
		}
		ml := model.LineItem{ID: li.ID, Name: nonEmpty(li.Name, "Custom item"), Quantity: q, UnitPrice: money(max(li.Price, 0)), Note: li.Note}
		if li.Price < 0 {
			credit(ml.Name, li.Price)
		}
		if li.Item != nil {
			if ids, ok := ix.variation[li.Item.ID]; ok {
				ml.ItemID, ml.VariationID = ids[0], ids[1]
			}
		}
		for _, m := range li.Modifications.Elements {
			lm := model.LineModifier{ID: m.ID, Name: nonEmpty(m.Name, "Modifier"), Quantity: model.Q(1), UnitPrice: money(max(m.Amount, 0))}
			if m.Amount < 0 {
				credit(lm.Name, m.Amount)
			}
			if m.Modifier != nil {
				if ids, ok := ix.modifier[m.Modifier.ID]; ok {
					lm.GroupID, lm.ModifierID = ids[0], ids[1]
				}
			}
			ml.Modifiers = append(ml.Modifiers, lm)
		}
		gross, ok := ml.LineGross()
		if !ok {
			return nil, 0, fmt.Errorf("order %s line %s: amount overflows", o.ID, li.ID)
		}
		ml.Gross = money(gross)
		net := gross // Clover's line subtotal: gross less the credits, never below zero
		for _, c := range credits {
			net -= c.Amount.Amount
		}
		for i := len(credits) - 1; i >= 0 && net < 0; i-- {
			cut := min(-net, credits[i].Amount.Amount)
			credits[i].Amount.Amount -= cut
			net += cut
		}
		ord.Discounts = append(ord.Discounts, credits...)
		base := net
		for _, d := range sortDiscounts(li.Discounts.Elements) {
			amt, pct := discountAmount(&d, max(base, 0))
			amt = min(amt, max(net, 0)) // a line is never discounted below zero
			ord.Discounts = append(ord.Discounts, model.Discount{ID: d.ID, Name: nonEmpty(d.Name, "Discount"),
				LineItemID: li.ID, Percentage: pct, Amount: money(amt)})
			net -= amt
		}
		net = max(net, 0)
		lineNet += net
		lines = append(lines, lineCalc{net: net, qty: q, rates: li.TaxRates.Elements})
		ord.LineItems = append(ord.LineItems, ml)
	}
	if len(ord.LineItems) == 0 {
		if o.Total <= 0 {
			return nil, 0, errEmptyOrder
		}
		// A quick sale without items: one line for the amount (no tax known).
		ord.LineItems = []model.LineItem{{ID: o.ID + "-amount", Name: "Custom amount", Quantity: model.Q(1),
			UnitPrice: money(o.Total), Gross: money(o.Total)}}
	} else {
		a.orderLevel(o, ord, lines, lineNet, money)
	}

	var tips int64
	var closed time.Time
	for i := range o.Payments.Elements {
		p := a.payment(&o.Payments.Elements[i], cur, ord)
		if p.Status == model.PaymentCompleted || p.Status == model.PaymentAuthorized {
			tips += p.Tip.Amount
			if p.CreatedAt.After(closed) {
				closed = p.CreatedAt
			}
		}
		ord.Payments = append(ord.Payments, p)
	}
	if ord.State == model.OrderCompleted {
		ord.ClosedAt = closed
	}
	for _, r := range o.Refunds.Elements {
		ord.Refunds = append(ord.Refunds, a.refund(&r, cur, ord))
	}
	ord.Tip = money(tips)
	ord.ComputeTotals()
	return ord, tips, nil
}

// orderLevel adds order discounts, the service charge and taxes, following
// Clover's "Calculate order totals": line discounts (percentages, then
// amounts), order discounts (percentages, then amounts) on the subtotal
// after line discounts, a percentage service charge on the discounted
// subtotal (not taxed), then taxes per line on the line's discounted amount
// with order discounts prorated, rounded half up per line and rate.
func (a *Adapter) orderLevel(o *cOrder, ord *model.Order, lines []lineCalc, lineNet int64, money func(int64) model.Money) {
	var orderDisc int64
	for _, d := range sortDiscounts(o.Discounts.Elements) {
		amt, pct := discountAmount(&d, lineNet)
		amt = min(amt, max(lineNet-orderDisc, 0)) // nor the order
		ord.Discounts = append(ord.Discounts, model.Discount{ID: d.ID, Name: nonEmpty(d.Name, "Discount"), Percentage: pct, Amount: money(amt)})
		orderDisc += amt
	}
	after := max(lineNet-orderDisc, 0)
	if sc := o.ServiceCharge; sc != nil && (sc.Enabled == nil || *sc.Enabled) {
		var pd decimal.Decimal // percent x 10000
		if sc.PercentageDecimal != nil {
			pd = decimal.NewFromInt(*sc.PercentageDecimal)
		} else if p, ok := percent(sc.Percentage.String()); ok {
			pd = p.Mul(decimal.NewFromInt(10000))
		}
		if amt := roundHalfUp(decimal.NewFromInt(after).Mul(pd).Div(decimal.NewFromInt(1_000_000))); amt > 0 {
			ord.ServiceCharges = append(ord.ServiceCharges, model.ServiceCharge{ID: sc.ID, Name: nonEmpty(sc.Name, "Service charge"), Amount: money(amt)})
		}
	}
	if o.TaxRemoved {
		return
	}
	type acc struct {
		rate cTaxRate
		amt  int64
	}
	var order []string
	byRate := map[string]*acc{}
	scale := decimal.NewFromInt(10_000_000) // rate is percent x 100000
	for _, l := range lines {
		// taxable = net x after / lineNet (order discounts prorated); every
		// tax is one exact division, rounded half up.
		num, den := decimal.NewFromInt(l.net), decimal.NewFromInt(1)
		if lineNet > 0 && orderDisc > 0 {
			num, den = num.Mul(decimal.NewFromInt(after)), decimal.NewFromInt(lineNet)
		}
		for _, r := range l.rates {
			key := r.ID
			if key == "" {
				key = r.Name + "/" + strconv.FormatInt(r.Rate, 10)
			}
			var t int64
			switch rate := decimal.NewFromInt(r.Rate); {
			case r.Rate > 0 && o.IsVat:
				t = num.Mul(rate).DivRound(den.Mul(scale.Add(rate)), 0).IntPart()
			case r.Rate > 0:
				t = num.Mul(rate).DivRound(den.Mul(scale), 0).IntPart()
			case r.TaxAmount > 0:
				t, _ = model.MulQty(r.TaxAmount, l.qty)
			}
			x, ok := byRate[key]
			if !ok {
				x = &acc{rate: r}
				byRate[key] = x
				order = append(order, key)
			}
			x.amt += t
		}
	}
	for _, k := range order {
		x := byRate[k]
		pct := ""
		if x.rate.Rate > 0 {
			pct = decimal.New(x.rate.Rate, -5).String()
		}
		ord.Taxes = append(ord.Taxes, model.AppliedTax{ID: x.rate.ID, Name: nonEmpty(x.rate.Name, "Tax"),
			Percentage: pct, Inclusive: o.IsVat, Amount: money(x.amt)})
	}
}

// reconcile makes the order's pre-tip total equal Clover's by moving diff
// into the largest additive tax (rounding), or else into an adjustment
// discount (diff < 0) or service charge (diff > 0).
func reconcile(ord *model.Order, diff int64, money func(int64) model.Money) {
	best := -1
	for i, t := range ord.Taxes {
		if !t.Inclusive && (best < 0 || t.Amount.Amount > ord.Taxes[best].Amount.Amount) {
			best = i
		}
	}
	switch {
	case best >= 0 && ord.Taxes[best].Amount.Amount+diff >= 0:
		ord.Taxes[best].Amount.Amount += diff
	case diff < 0:
		ord.Discounts = append(ord.Discounts, model.Discount{Name: adjustmentName, Amount: money(-diff)})
	default:
		ord.ServiceCharges = append(ord.ServiceCharges, model.ServiceCharge{Name: adjustmentName, Amount: money(diff)})
	}
}

func (a *Adapter) logDiff(level, id string, clover, derived int64) {
	args := []any{"order_id", id, "clover_total", clover, "derived_total", derived}
	if level == "warn" {
		a.log.Warn("order total differs from its lines; adjusted to clover's total", args...)
		return
	}
	a.log.Debug("order total rounding adjusted to clover's total", args...)
}

// orderState: paid or locked orders are completed; everything else is open
// (Clover has no cancelled order state; deleted orders disappear).
func orderState(o *cOrder) model.OrderState {
	switch strings.ToUpper(o.PaymentState) {
	case "PAID", "REFUNDED", "CREDITED", "PARTIALLY_REFUNDED":
		return model.OrderCompleted
	}
	switch strings.ToLower(o.State) {
	case "locked", "paid":
		return model.OrderCompleted
	}
	return model.OrderOpen
}

func (a *Adapter) payment(p *cPayment, cur string, ord *model.Order) model.Payment {
	src := model.Source{Vendor: Name, IntegrationID: a.cfg.IntegrationID, ExternalID: p.ID,
		Version: strconv.FormatInt(max(p.ModifiedTime, p.CreatedTime), 10), LocationID: a.merchant}
	mp := model.Payment{
		ID: src.DerivedID("pay_"), Source: src, OrderID: ord.ID,
		Method: paymentMethod(p), Amount: model.M(p.Amount, cur), Tip: model.M(p.TipAmount, cur),
		Status:    paymentStatus(p.Result),
		CreatedAt: msTime(p.CreatedTime, p.ClientCreatedTime, p.ModifiedTime),
	}
	if mp.CreatedAt.IsZero() {
		mp.CreatedAt = ord.CreatedAt
	}
	if ct := p.CardTransaction; ct != nil {
		mp.CardBrand = cardBrand(ct.CardType)
		if isLast4(ct.Last4) {
			mp.Last4 = ct.Last4
		}
	}
	return mp
}

func (a *Adapter) refund(r *cRefund, cur string, ord *model.Order) model.Refund {
	src := model.Source{Vendor: Name, IntegrationID: a.cfg.IntegrationID, ExternalID: r.ID,
		Version: strconv.FormatInt(r.CreatedTime, 10), LocationID: a.merchant}
	mr := model.Refund{ID: src.DerivedID("ref_"), Source: src, Amount: model.M(r.Amount, cur),
		Status: model.PaymentCompleted, CreatedAt: msTime(r.CreatedTime)}
	if r.Voided {
		mr.Status = model.PaymentCanceled
	}
	if r.Payment != nil && r.Payment.ID != "" {
		mr.PaymentID = model.Source{Vendor: Name, ExternalID: r.Payment.ID}.DerivedID("pay_")
	}
	if mr.CreatedAt.IsZero() {
		mr.CreatedAt = ord.UpdatedAt
		if mr.CreatedAt.IsZero() {
			mr.CreatedAt = ord.CreatedAt
		}
	}
	return mr
}

// paymentMethod reads tender.labelKey (com.clover.tender.cash, ...credit_card,
// ...debit_card, ...external_gift_card), then the card transaction, then
// the tender label.
func paymentMethod(p *cPayment) model.PaymentMethod {
	key, label := "", ""
	if p.Tender != nil {
		key, label = strings.ToLower(p.Tender.LabelKey), strings.ToLower(p.Tender.Label)
	}
	switch {
	case strings.HasSuffix(key, ".cash"):
		return model.MethodCash
	case strings.Contains(key, "gift") || strings.Contains(label, "gift"):
		return model.MethodGiftCard
	case strings.HasSuffix(key, "credit_card"), strings.HasSuffix(key, "debit_card"), p.CardTransaction != nil:
		return model.MethodCard
	case label == "cash":
		return model.MethodCash
	case strings.Contains(label, "card"):
		return model.MethodCard
	}
	return model.MethodOther
}

func paymentStatus(result string) model.PaymentStatus {
	switch strings.ToUpper(result) {
	case "SUCCESS", "VOID_FAILED":
		return model.PaymentCompleted
	case "AUTH", "AUTH_COMPLETED":
		return model.PaymentAuthorized
	case "FAIL":
		return model.PaymentFailed
	case "VOIDED":
		return model.PaymentCanceled
	}
	return model.PaymentPending // INITIATED, PENDING, OFFLINE_RETRYING, VOIDING, unknown
}

var brands = map[string]string{"MC": "MASTERCARD", "AMEX": "AMERICAN_EXPRESS", "DINERS_CLUB": "DINERS"}

func cardBrand(t string) string {
	t = strings.ToUpper(strings.TrimSpace(t))
	if b, ok := brands[t]; ok {
		return b
	}
	return t
}

func isLast4(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func nonEmpty(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
