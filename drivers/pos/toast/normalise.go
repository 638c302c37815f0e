package toast

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/internal/model"
)

// How a Toast order becomes an Aura order (README.md has worked examples):
//
//   - All non-voided, non-deleted checks of the order are summed into ONE
//     Aura order (the note lists the checks when there are several). A
//     voided or deleted order, or one whose checks are all voided, is an
//     Aura order in state canceled built from all its checks.
//   - Per check, Toast's own totals are the truth: Aura total (before tip)
//     = round(amount) + round(taxAmount), where amount is the selections +
//     service charges - discounts, excluding gratuity and tax (Orders API
//     v2 spec, Check.amount). Tips are the payments' tipAmount plus the
//     check's gratuity service charges (outside amount, so never a
//     discount). totalAmount is used only when amount is missing.
//     Everything is rounded half away from zero to the currency's minor
//     unit with shopspring/decimal.
//   - Each non-voided selection's Aura gross equals round(preDiscountPrice)
//     exactly (gross excl. tax, modifiers included). Modifier unit prices
//     are their preDiscountPrice (or price) spread per unit of the line;
//     the base unit price takes the rest. When the gross does not divide by
//     an integer quantity, the selection becomes two Aura lines (n-r units
//     at u, r units at u+1 minor units), so no amount is invented.
//   - Discounts: the check's gross minus its amount. Toast's item- and
//     check-level appliedDiscounts name it (nonTaxDiscountAmount when
//     given); a rounding residual goes on the largest one. Selection.price
//     is net of discounts, quantity and modifiers, so it is never added to
//     anything (it is only used when preDiscountPrice is missing).
//   - Taxes are grouped by tax rate over selections and service charges and
//     adjusted (largest group) to equal taxAmount; Toast amounts exclude tax
//     even for tax-inclusive menus, so Aura taxes are never inclusive.

type mcalc struct {
	digits int32
	err    error
}

func (m *mcalc) minor(d decimal.Decimal) int64 {
	bi := d.Round(m.digits).Shift(m.digits).BigInt()
	if !bi.IsInt64() {
		if m.err == nil {
			m.err = fmt.Errorf("amount %s out of range", d)
		}
		return 0
	}
	return bi.Int64()
}

func (m *mcalc) opt(d *decimal.Decimal) int64 {
	if d == nil {
		return 0
	}
	return m.minor(*d)
}

func qty(d *decimal.Decimal) (model.Quantity, error) {
	if d == nil || d.IsZero() {
		return 1000, nil
	}
	q := d.Abs().Round(3).Shift(3)
	if !q.BigInt().IsInt64() {
		return 0, fmt.Errorf("quantity %s out of range", d)
	}
	if q.IsZero() {
		return 1000, nil
	}
	return model.Quantity(q.IntPart()), nil
}

func firstTime(ss ...string) time.Time {
	for _, s := range ss {
		if t, ok := ParseTime(s); ok && t.Year() > 1970 {
			return t
		}
	}
	return time.Time{}
}

// builder accumulates one Aura order over several checks.
type builder struct {
	a       *Adapter
	m       *mcalc
	o       *model.Order
	taxes   map[string]*model.AppliedTax
	taxIDs  []string
	lineIDs map[string]bool
}

func (a *Adapter) normalise(t *order) (*model.Order, error) {
	if t.GUID == "" {
		return nil, errors.New("order has no guid")
	}
	mod, ok := ParseTime(t.ModifiedDate)
	if !ok {
		return nil, fmt.Errorf("order %s: bad modifiedDate %q", t.GUID, t.ModifiedDate)
	}
	cur := a.currency
	src := model.Source{Vendor: Vendor, IntegrationID: a.cfg.IntegrationID, ExternalID: t.GUID,
		Version: FormatTime(mod), LocationID: a.restaurant}
	o := &model.Order{
		ID: src.DerivedID("ord_"), Source: src, Currency: cur,
		CreatedAt: firstTime(t.OpenedDate, t.CreatedDate, t.ModifiedDate),
		UpdatedAt: mod,
		Reference: t.DisplayNumber,
	}
	b := &builder{a: a, m: &mcalc{digits: int32(model.MinorDigits(cur))}, o: o,
		taxes: map[string]*model.AppliedTax{}, lineIDs: map[string]bool{}}

	var active []*check
	for i := range t.Checks {
		c := &t.Checks[i]
		if !c.Voided && !c.Deleted {
			active = append(active, c)
		}
	}
	canceled := t.Voided || t.Deleted || len(active) == 0
	use := active
	if canceled {
		use = nil
		for i := range t.Checks {
			if !t.Checks[i].Deleted || t.Deleted {
				use = append(use, &t.Checks[i])
			}
		}
	}
	closed := len(use) > 0
	var names []string
	for _, c := range use {
		if err := b.check(c, canceled); err != nil {
			return nil, fmt.Errorf("check %s: %w", c.GUID, err)
		}
		if s := strings.ToUpper(c.PaymentStatus); s != "CLOSED" && s != "PAID" {
			closed = false
		}
		n := c.DisplayNumber
		if n == "" {
			n = c.GUID
		}
		names = append(names, "#"+n)
	}
	if b.m.err != nil {
		return nil, b.m.err
	}
	if o.Reference == "" && len(use) > 0 {
		o.Reference = use[0].DisplayNumber
	}
	if len(use) > 1 {
		o.Note = fmt.Sprintf("%d checks: %s", len(use), strings.Join(names, ", "))
	}
	for _, id := range b.taxIDs {
		if b.taxes[id].Amount.Amount > 0 {
			o.Taxes = append(o.Taxes, *b.taxes[id])
		}
	}
	switch {
	case canceled:
		o.State = model.OrderCanceled
	case closed:
		o.State = model.OrderCompleted
		o.ClosedAt = firstTime(t.ClosedDate, t.PaidDate)
	default:
		o.State = model.OrderOpen
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = mod
	}
	o.ComputeTotals()
	if ps := o.Validate(); ps != nil {
		return nil, ps
	}
	return o, nil
}

// check adds one check's lines, discounts, taxes, service charges,
// payments and tips; its contribution to the Aura total is exactly
// round(totalAmount) + tips.
func (b *builder) check(c *check, canceled bool) error {
	m, o, cur := b.m, b.o, b.a.currency
	money := func(v int64) model.Money { return model.M(v, cur) }

	sels := make([]*selection, 0, len(c.Selections))
	for i := range c.Selections {
		if !c.Selections[i].Voided {
			sels = append(sels, &c.Selections[i])
		}
	}
	if len(sels) == 0 && canceled {
		for i := range c.Selections {
			sels = append(sels, &c.Selections[i])
		}
	}

	// Toast's totals for the check.
	var sumPrice, sumTax decimal.Decimal
	for _, s := range sels {
		if s.Price != nil {
			sumPrice = sumPrice.Add(*s.Price)
		}
		if s.Tax != nil {
			sumTax = sumTax.Add(*s.Tax)
		}
	}
	var taxC int64
	if c.TaxAmount != nil {
		taxC = m.minor(*c.TaxAmount)
	} else {
		taxC = m.minor(sumTax)
	}
	// Check.amount "includes discounts and service charges" and "does not
	// include gratuity or taxes" (Orders API v2 spec). totalAmount is
	// "including discounts and taxes" and silent on gratuity, so it is
	// read only when amount is missing.
	var amountC int64
	switch {
	case c.Amount != nil:
		amountC = m.minor(*c.Amount)
	case c.TotalAmount != nil:
		amountC = m.minor(*c.TotalAmount) - taxC
	default:
		amountC = m.minor(sumPrice)
	}

	// Service charges (excl. tax).
	var svc int64
	for i, sc := range c.AppliedServiceCharges {
		v := m.opt(sc.ChargeAmount)
		if v == 0 {
			continue
		}
		name := sc.Name
		if name == "" {
			name = "Service charge"
		}
		if sc.Gratuity && v > 0 {
			// A gratuity is outside Check.amount: it is the staff's, so it
			// is kept as tip, on top of the check's amount and tax.
			o.Tip.Amount += v
			o.Tip.Currency = cur
			continue
		}
		id := "sc_" + sc.GUID
		if sc.GUID == "" {
			id = "sc_" + c.GUID + "_" + strconv.Itoa(i)
		}
		if v < 0 {
			o.Discounts = append(o.Discounts, model.Discount{ID: id, Name: name, Amount: money(-v)})
			svc += v
			continue
		}
		o.ServiceCharges = append(o.ServiceCharges, model.ServiceCharge{ID: id, Name: name, Amount: money(v)})
		svc += v
	}

	// Lines: gross = preDiscountPrice exactly.
	type named struct {
		id, name, line string
		amt            int64
	}
	var reported []named
	var gross int64
	for i, s := range sels {
		g := m.opt(s.PreDiscountPrice)
		if s.PreDiscountPrice == nil {
			g = m.opt(s.Price)
		}
		base := "li_" + s.GUID
		if s.GUID == "" {
			base = "li_" + c.GUID + "_" + strconv.Itoa(i)
		}
		if g < 0 {
			// A credit line: keep the money right as a discount.
			reported = append(reported, named{"neg_" + base, "Credit: " + displayName(s), "", -g})
			continue
		}
		lines, err := b.lines(s, g, base)
		if err != nil {
			return err
		}
		o.LineItems = append(o.LineItems, lines...)
		gross += g
		for _, d := range allDiscounts(s) {
			reported = append(reported, named{discID(d, base), discName(d), lines[0].ID, m.minor(discAmount(d))})
		}
	}
	for i, d := range c.AppliedDiscounts {
		reported = append(reported, named{discID(d, c.GUID+"_"+strconv.Itoa(i)), discName(d), "", m.minor(discAmount(d))})
	}

	// Discounts = gross + service charges - amount; the names come from
	// Toast, the residual goes on the largest.
	want := gross + svc - amountC
	var got int64
	big := -1
	for i, r := range reported {
		got += r.amt
		if r.amt > 0 && (big < 0 || r.amt > reported[big].amt) {
			big = i
		}
	}
	if res := want - got; res != 0 {
		switch {
		case big >= 0 && reported[big].amt+res >= 0:
			reported[big].amt += res
		case res > 0:
			reported = append(reported, named{"disc_" + c.GUID, "Discount", "", res})
		default:
			o.ServiceCharges = append(o.ServiceCharges, model.ServiceCharge{ID: "adj_" + c.GUID, Name: "Price adjustment", Amount: money(-res)})
		}
	}
	for _, r := range reported {
		if r.amt > 0 {
			o.Discounts = append(o.Discounts, model.Discount{ID: r.id, Name: r.name, LineItemID: r.line, Amount: money(r.amt)})
		} else if r.amt < 0 {
			o.ServiceCharges = append(o.ServiceCharges, model.ServiceCharge{ID: r.id, Name: "Reversal: " + r.name, Amount: money(-r.amt)})
		}
	}

	// Taxes.
	if taxC < 0 {
		o.Discounts = append(o.Discounts, model.Discount{ID: "taxcredit_" + c.GUID, Name: "Tax credit", Amount: money(-taxC)})
		taxC = 0
	}
	b.addTaxes(c, sels, taxC)

	// Payments and tips.
	for _, p := range c.Payments {
		b.payment(c, &p)
	}
	return nil
}

func displayName(s *selection) string {
	if s.DisplayName != "" {
		return s.DisplayName
	}
	return "Item"
}

// allDiscounts returns the selection's item discounts and its modifiers'.
func allDiscounts(s *selection) []appliedDiscount {
	out := append([]appliedDiscount(nil), s.AppliedDiscounts...)
	for i := range s.Modifiers {
		if !s.Modifiers[i].Voided {
			out = append(out, allDiscounts(&s.Modifiers[i])...)
		}
	}
	return out
}

func discAmount(d appliedDiscount) decimal.Decimal {
	if d.NonTaxDiscountAmount != nil {
		return *d.NonTaxDiscountAmount
	}
	if d.DiscountAmount != nil {
		return *d.DiscountAmount
	}
	return decimal.Zero
}

func discID(d appliedDiscount, fallback string) string {
	if d.GUID != "" {
		return "disc_" + d.GUID
	}
	return "disc_" + fallback
}

func discName(d appliedDiscount) string {
	if d.Name != "" {
		return d.Name
	}
	return "Discount"
}

// mod is one flattened modifier of a selection.
type mod struct {
	id, name string
	item     string // the option's Toast menu item GUID
	gross    int64
	q        model.Quantity
}

func (b *builder) flatten(s *selection, prefix string, out *[]mod) error {
	for i := range s.Modifiers {
		md := &s.Modifiers[i]
		if md.Voided {
			continue
		}
		q, err := qty(md.Quantity)
		if err != nil {
			return err
		}
		g := b.m.opt(md.PreDiscountPrice)
		if md.PreDiscountPrice == nil {
			g = b.m.opt(md.Price)
		}
		id := md.GUID
		if id == "" {
			id = strconv.Itoa(len(*out))
		}
		m := mod{id: "mod_" + id, name: prefix + displayName(md), gross: max(g, 0), q: q}
		if md.Item != nil {
			m.item = md.Item.GUID
		}
		*out = append(*out, m)
		if err := b.flatten(md, prefix+displayName(md)+" > ", out); err != nil {
			return err
		}
	}
	return nil
}

// lines turns one selection into one Aura line, or two when the gross does
// not divide by the (integer) quantity, with total gross exactly g.
func (b *builder) lines(s *selection, g int64, id string) ([]model.LineItem, error) {
	cur := b.a.currency
	q, err := qty(s.Quantity)
	if err != nil {
		return nil, err
	}
	var mods []mod
	if err := b.flatten(s, "", &mods); err != nil {
		return nil, err
	}
	for b.lineIDs[id] {
		id += "+"
	}
	b.lineIDs[id] = true
	li := model.LineItem{ID: id, Name: displayName(s), Quantity: q}
	if s.Item != nil {
		// The Toast menu item GUID: an order built from it can be
		// injected back (inject.go maps a GUID on the menu to itself).
		li.ItemID = s.Item.GUID
	}

	if q%1000 != 0 {
		// Weighed item: one line; modifiers (rare) keep their share per
		// unit, and a gross that no unit price reaches exactly gets a
		// rounding discount.
		var modTotal int64
		for _, md := range mods {
			mu := perUnit(md.gross, md.q, q)
			per, _ := model.MulQty(mu, md.q)
			ext, _ := model.MulQty(per, q)
			if modTotal+ext > g {
				mu, ext = 0, 0
			}
			modTotal += ext
			li.Modifiers = append(li.Modifiers, model.LineModifier{ID: md.id, ModifierID: md.item, Name: md.name, Quantity: md.q, UnitPrice: model.M(mu, cur)})
		}
		u, over, err := unitFor(g-modTotal, q)
		if err != nil {
			return nil, err
		}
		li.UnitPrice = model.M(u, cur)
		li.Gross = model.M(g+over, cur)
		if over > 0 {
			b.o.Discounts = append(b.o.Discounts, model.Discount{ID: "round_" + id, Name: "Unit price rounding", LineItemID: id, Amount: model.M(over, cur)})
		}
		return []model.LineItem{li}, nil
	}

	n := int64(q) / 1000
	base, r := g/n, g%n // per unit, and units that carry one more minor unit
	var modPer int64
	for _, md := range mods {
		mu := perUnit(md.gross, md.q, q)
		per, _ := model.MulQty(mu, md.q)
		modPer += per
		li.Modifiers = append(li.Modifiers, model.LineModifier{ID: md.id, ModifierID: md.item, Name: md.name, Quantity: md.q, UnitPrice: model.M(mu, cur)})
	}
	if modPer > base {
		// Modifier prices larger than the whole line (preDiscountPrice
		// without modifiers?): keep the names, put the money on the item.
		for i := range li.Modifiers {
			li.Modifiers[i].UnitPrice.Amount = 0
		}
		modPer = 0
	}
	li.UnitPrice = model.M(base-modPer, cur)
	li.Quantity = model.Quantity((n - r) * 1000)
	li.Gross = model.M((n-r)*base, cur)
	out := []model.LineItem{li}
	if r > 0 {
		l2 := li
		l2.ID = id + SplitSuffix
		b.lineIDs[l2.ID] = true
		l2.Quantity = model.Quantity(r * 1000)
		l2.UnitPrice = model.M(base-modPer+1, cur)
		l2.Gross = model.M(r*(base+1), cur)
		l2.Modifiers = make([]model.LineModifier, len(li.Modifiers))
		for i, lm := range li.Modifiers {
			lm.ID += SplitSuffix
			l2.Modifiers[i] = lm
		}
		out = append(out, l2)
	}
	return out, nil
}

// SplitSuffix marks the second Aura line of a selection whose gross does
// not divide by its quantity.
const SplitSuffix = "/2"

// perUnit spreads a modifier's line total over the line's quantity q and
// the modifier's own per-unit quantity mq, rounding down.
func perUnit(total int64, mq, q model.Quantity) int64 {
	if total <= 0 || mq <= 0 || q <= 0 {
		return 0
	}
	d := decimal.NewFromInt(total).Mul(decimal.NewFromInt(1_000_000)).
		Div(decimal.NewFromInt(int64(mq)).Mul(decimal.NewFromInt(int64(q)))).Floor()
	if !d.BigInt().IsInt64() {
		return 0
	}
	return d.IntPart()
}

// unitFor returns the smallest unit price u with MulQty(u, q) >= total and
// the excess.
func unitFor(total int64, q model.Quantity) (int64, int64, error) {
	if total <= 0 {
		return 0, -total, nil
	}
	est := decimal.NewFromInt(total).Mul(decimal.NewFromInt(1000)).Div(decimal.NewFromInt(int64(q)))
	// The plain quotient, rounded, when it lands exactly (3.00 x 0.5, not 2.99).
	if r := est.Round(0).IntPart(); r >= 0 {
		if v, ok := model.MulQty(r, q); ok && v == total {
			return r, 0, nil
		}
	}
	u := est.Floor().IntPart()
	for range 10000 {
		v, ok := model.MulQty(u, q)
		if !ok {
			return 0, 0, errors.New("unit price overflows")
		}
		if v < total {
			u++
			continue
		}
		if pv, _ := model.MulQty(u-1, q); u > 0 && pv >= total {
			u--
			continue
		}
		return u, v - total, nil
	}
	return 0, 0, errors.New("no unit price fits the line total")
}

// addTaxes groups applied tax rates and makes them add up to taxC.
func (b *builder) addTaxes(c *check, sels []*selection, taxC int64) {
	cur := b.a.currency
	type grp struct {
		key, name, pct string
		amt            decimal.Decimal
	}
	groups := map[string]*grp{}
	var order []string
	add := func(ts []appliedTax) {
		for _, t := range ts {
			if t.TaxAmount == nil {
				continue
			}
			key := t.Name
			if t.TaxRate != nil && t.TaxRate.GUID != "" {
				key = t.TaxRate.GUID
			}
			if key == "" {
				key = "tax"
			}
			g, ok := groups[key]
			if !ok {
				g = &grp{key: key, name: t.Name}
				if g.name == "" {
					g.name = "Tax"
				}
				if t.Rate != nil && (t.Type == "" || strings.EqualFold(t.Type, "PERCENT")) {
					r := *t.Rate
					if r.LessThanOrEqual(decimal.NewFromInt(1)) {
						r = r.Mul(decimal.NewFromInt(100)) // 0.0825 means 8.25% (verify)
					}
					g.pct = r.String()
				}
				groups[key] = g
				order = append(order, key)
			}
			g.amt = g.amt.Add(*t.TaxAmount)
		}
	}
	var walk func(s *selection)
	walk = func(s *selection) {
		if len(s.AppliedTaxes) > 0 {
			add(s.AppliedTaxes)
			return
		}
		for i := range s.Modifiers {
			if !s.Modifiers[i].Voided {
				walk(&s.Modifiers[i])
			}
		}
	}
	for _, s := range sels {
		walk(s)
	}
	for _, sc := range c.AppliedServiceCharges {
		add(sc.AppliedTaxes)
	}
	type part struct {
		id, name, pct string
		amt           int64
	}
	var parts []part
	var sum int64
	for _, k := range order {
		g := groups[k]
		v := b.m.minor(g.amt)
		parts = append(parts, part{"tax_" + k, g.name, g.pct, v})
		sum += v
	}
	if res := taxC - sum; res != 0 || len(parts) == 0 {
		big := -1
		for i := range parts {
			if big < 0 || parts[i].amt > parts[big].amt {
				big = i
			}
		}
		if big >= 0 && parts[big].amt+res >= 0 {
			parts[big].amt += res
		} else {
			parts = []part{{"tax", "Tax", "", taxC}}
		}
	}
	for _, p := range parts {
		if p.amt < 0 {
			continue
		}
		t, ok := b.taxes[p.id]
		if !ok {
			t = &model.AppliedTax{ID: p.id, Name: p.name, Percentage: p.pct, Amount: model.M(0, cur)}
			b.taxes[p.id] = t
			b.taxIDs = append(b.taxIDs, p.id)
		}
		t.Amount.Amount += p.amt
	}
}

var paymentStatus = map[string]model.PaymentStatus{
	"": model.PaymentCompleted, "CAPTURED": model.PaymentCompleted,
	"AUTHORIZED": model.PaymentAuthorized, "AUTHORIZED_AT_RISK": model.PaymentAuthorized,
	"OPEN": model.PaymentPending, "PROCESSING": model.PaymentPending, "CAPTURE_IN_PROGRESS": model.PaymentPending,
	"VOIDED": model.PaymentCanceled, "CANCELLED": model.PaymentCanceled, "PROCESSING_VOID": model.PaymentCanceled,
	"VOIDED_AT_RISK": model.PaymentCanceled,
	"DENIED":         model.PaymentFailed, "ERROR": model.PaymentFailed, "ERROR_NETWORK": model.PaymentFailed,
}

func paymentMethod(t string) model.PaymentMethod {
	switch strings.ToUpper(t) {
	case "CASH":
		return model.MethodCash
	case "CREDIT":
		return model.MethodCard
	case "GIFTCARD", "TOAST_SV", "REWARDCARD":
		return model.MethodGiftCard
	case "LEVELUP":
		return model.MethodWallet
	}
	return model.MethodOther
}

// payment adds one payment (and its refund); only payments that stand
// (completed, authorized, pending) add their tip to the order's tip.
func (b *builder) payment(c *check, p *payment) {
	m, o, cur := b.m, b.o, b.a.currency
	st, ok := paymentStatus[strings.ToUpper(p.PaymentStatus)]
	if !ok {
		st = model.PaymentPending
	}
	id := p.GUID
	if id == "" {
		id = c.GUID + "-" + strconv.Itoa(len(o.Payments))
	}
	src := model.Source{Vendor: Vendor, IntegrationID: o.Source.IntegrationID, ExternalID: id, Version: o.Source.Version, LocationID: o.Source.LocationID}
	at := firstTime(p.PaidDate)
	if at.IsZero() {
		at = o.CreatedAt
	}
	amt, tip := m.opt(p.Amount), m.opt(p.TipAmount)
	pay := model.Payment{ID: src.DerivedID("pay_"), Source: src, OrderID: o.ID, Method: paymentMethod(p.Type),
		Amount: model.M(max(amt, 0), cur), Tip: model.M(max(tip, 0), cur), Status: st, CreatedAt: at}
	if pay.Method == model.MethodCard && p.CardType != "" && !strings.EqualFold(p.CardType, "UNKNOWN") {
		pay.CardBrand = p.CardType
	}
	if l4 := p.Last4Digits; len(l4) == 4 && strings.Trim(l4, "0123456789") == "" {
		pay.Last4 = l4
	}
	o.Payments = append(o.Payments, pay)
	if st == model.PaymentCompleted || st == model.PaymentAuthorized || st == model.PaymentPending {
		o.Tip.Amount += max(tip, 0)
		o.Tip.Currency = cur
	}
	if p.Refund != nil {
		r := m.opt(p.Refund.RefundAmount) + m.opt(p.Refund.TipRefundAmount)
		if r > 0 {
			rsrc := src
			rsrc.ExternalID = id + ":refund"
			ra := firstTime(p.Refund.RefundDate)
			if ra.IsZero() {
				ra = at
			}
			o.Refunds = append(o.Refunds, model.Refund{ID: rsrc.DerivedID("ref_"), Source: rsrc, PaymentID: pay.ID,
				Amount: model.M(r, cur), Reason: "refund", Status: model.PaymentCompleted, CreatedAt: ra})
		}
	}
}
