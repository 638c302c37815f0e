package lightspeed

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// How a sale becomes an Aura order (README.md explains it with examples):
//
//   - X-Series line money is tax-exclusive: price_total is the line after
//     discount, discount_total the discount, tax_total the tax. Amounts carry
//     up to 5 decimals, so each is rounded half away from zero to the
//     currency's minor unit and the rounding residual is put on the largest
//     line, so that net + tax equals the sale's total to the cent.
//   - The Aura order's total equals totals.price_incl_tax (or price + tax)
//     plus tips and fees; its tax equals totals.tax; Aura's subtotal minus
//     discounts equals the rest.
//   - An Aura unit price is derived from the line's gross (net + discount)
//     and quantity; when gross/quantity is not a whole number of minor
//     units, the unit price is rounded up and the excess is reported as a
//     "Unit price rounding" discount on that line, so totals stay exact.
//   - Returns: a sale whose total is negative is normalised with every sign
//     flipped (the Aura model has no negative amounts), its negative
//     payments become model.Refunds, and its note says "return". Lines running
//     against the sale's direction (the returned items of an exchange)
//     become order discounts named "Return: <product>".
//   - Add-on products that aura-edge created for Aura modifiers are attached
//     to the preceding item line as line modifiers when the quantities
//     divide exactly; otherwise they stay lines of their own.

// lineVoided are line statuses that do not count.
var lineVoided = map[string]bool{"VOIDED": true, "DELETED": true}

type mcalc struct {
	digits int32
	sign   decimal.Decimal
	err    error
}

// minor rounds d (already sign-flipped by the caller when needed) to minor
// units, half away from zero.
func (m *mcalc) minor(d decimal.Decimal) int64 {
	r := d.Round(m.digits).Shift(m.digits)
	bi := r.BigInt()
	if !bi.IsInt64() {
		if m.err == nil {
			m.err = fmt.Errorf("amount %s out of range", d)
		}
		return 0
	}
	return bi.Int64()
}

// flip applies the sale's direction.
func (m *mcalc) flip(d decimal.Decimal) decimal.Decimal { return d.Mul(m.sign) }

func first(ds ...*decimal.Decimal) (decimal.Decimal, bool) {
	for _, d := range ds {
		if d != nil {
			return *d, true
		}
	}
	return decimal.Zero, false
}

func mulOpt(d *decimal.Decimal, q decimal.Decimal) *decimal.Decimal {
	if d == nil {
		return nil
	}
	v := d.Mul(q)
	return &v
}

// lineMoney returns a line's net (after discount, excl. tax), discount and
// tax totals.
func (li *lineItem) money() (net, disc, tax decimal.Decimal) {
	q := li.Quantity
	var pTotal, pPrice, pDisc, pDiscTotal *decimal.Decimal
	if li.Pricing != nil {
		pTotal, pPrice, pDisc, pDiscTotal = li.Pricing.Total, li.Pricing.Price, li.Pricing.Discount, li.Pricing.DiscountTotal
	}
	net, _ = first(li.PriceTotal, pTotal, mulOpt(li.Price, q), mulOpt(pPrice, q))
	disc, _ = first(li.DiscountTotal, pDiscTotal, mulOpt(li.Discount, q), mulOpt(pDisc, q))
	tax, _ = first(li.TaxTotal, li.Tax.Total, mulOpt(li.Tax.Unit, q))
	return
}

func (li *lineItem) productID() string {
	if li.ProductID != "" {
		return li.ProductID
	}
	if li.Product != nil {
		return li.Product.ID
	}
	return ""
}

func (li *lineItem) seq() int {
	if li.Sequence != nil {
		return *li.Sequence
	}
	if li.Meta != nil && li.Meta.Sequence != nil {
		return *li.Meta.Sequence
	}
	return 0
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05", "2006-01-02T15:04:05"}

func parseTime(ss ...string) time.Time {
	for _, s := range ss {
		if s == "" {
			continue
		}
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}

// work is one line on its way to the Aura order.
type work struct {
	li      *lineItem
	id      string
	q       model.Quantity
	net     int64 // cents after flip
	disc    int64 // cents, >= 0
	reverse bool
	credit  int64
	ref     prodRef
	known   bool
}

// normalise turns one sale into an Aura order whose totals equal the sale's.
func (a *Adapter) normalise(s *sale, lk *lookup) (*model.Order, error) {
	if s.ID == "" {
		return nil, errors.New("sale has no id")
	}
	ver, ok := s.version()
	if !ok {
		return nil, errors.New("sale has no version")
	}
	cur := a.currency
	m := &mcalc{digits: int32(model.MinorDigits(cur)), sign: decimal.NewFromInt(1)}

	// Lines in sequence order, voided lines dropped.
	var lines []*lineItem
	for i := range s.LineItems {
		if !lineVoided[strings.ToUpper(s.LineItems[i].Status)] {
			lines = append(lines, &s.LineItems[i])
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].seq() < lines[j].seq() })

	var sumNet, sumTax decimal.Decimal
	for _, li := range lines {
		n, _, t := li.money()
		sumNet, sumTax = sumNet.Add(n), sumTax.Add(t)
	}
	var tp, tt, ti, tpt, ttt *decimal.Decimal
	if s.Totals != nil {
		tp, tt, ti, tpt, ttt = s.Totals.Price, s.Totals.Tax, s.Totals.PriceInclTax, s.Totals.TotalPrice, s.Totals.TotalTax
	}
	price, hasPrice := first(tp, tpt, s.TotalPrice)
	if !hasPrice {
		price = sumNet
	}
	tax, hasTax := first(tt, ttt, s.TotalTax)
	if !hasTax {
		tax = sumTax
	}
	total, hasTotal := first(ti)
	if !hasTotal {
		total = price.Add(tax)
	}
	// Tips and fees (2026-07 sale-level adjustments); DISCOUNT adjustments
	// are already inside the line prices. Assumed outside totals (verify).
	var tips decimal.Decimal
	type fee struct {
		name string
		amt  decimal.Decimal
	}
	var fees []fee
	for _, adj := range s.Adjustments {
		if adj.Total == nil || adj.Total.IsZero() {
			continue
		}
		switch strings.ToUpper(adj.Type) {
		case "TIP":
			tips = tips.Add(*adj.Total)
		case "DISCOUNT":
		default:
			n := adj.Name
			if n == "" {
				n = strings.ToLower(strings.ReplaceAll(adj.Type, "_", " "))
			}
			fees = append(fees, fee{n, *adj.Total})
		}
	}
	grand := total.Add(tips)
	for _, f := range fees {
		grand = grand.Add(f.amt)
	}
	if grand.IsNegative() || (grand.IsZero() && sumNet.IsNegative()) {
		m.sign = decimal.NewFromInt(-1)
	}
	isReturn := m.sign.IsNegative()

	totalC := m.minor(m.flip(total))
	taxC := m.minor(m.flip(tax))
	netC := totalC - taxC

	// Lines to cents.
	var ws []*work
	seen := map[string]bool{}
	for i, li := range lines {
		net, disc, _ := li.money()
		net, disc = m.flip(net), m.flip(disc)
		qd := li.Quantity.Abs().Round(3).Shift(3)
		if !qd.BigInt().IsInt64() {
			return nil, fmt.Errorf("line %s: quantity %s out of range", li.ID, li.Quantity)
		}
		q := model.Quantity(qd.IntPart())
		if q == 0 {
			if net.IsZero() && disc.IsZero() {
				continue
			}
			q = 1000
		}
		id := "li_" + li.ID
		if li.ID == "" || seen[id] {
			id = "li_" + strconv.Itoa(i)
		}
		seen[id] = true
		w := &work{li: li, id: id, q: q}
		if net.IsNegative() {
			w.reverse = true
			w.credit = m.minor(net.Neg())
		} else {
			w.net = m.minor(net)
			if disc.IsPositive() {
				w.disc = m.minor(disc) // a negative discount (mark-up) is already in net
			}
		}
		w.ref, w.known = lk.ref(li.productID())
		ws = append(ws, w)
	}
	if m.err != nil {
		return nil, m.err
	}
	// Put the rounding residual on the largest forward line.
	var got int64
	var largest *work
	for _, w := range ws {
		if w.reverse {
			got -= w.credit
			continue
		}
		got += w.net
		if largest == nil || w.net > largest.net {
			largest = w
		}
	}
	if res := netC - got; res != 0 {
		if largest == nil || largest.net+res < 0 {
			return nil, fmt.Errorf("lines (%d) cannot carry the sale's net total (%d)", got, netC)
		}
		largest.net += res
	}
	if largest == nil {
		return nil, errors.New("sale has no sold lines")
	}

	src := model.Source{Vendor: Vendor, IntegrationID: a.cfg.IntegrationID, ExternalID: s.ID,
		Version: strconv.FormatInt(ver, 10), LocationID: s.OutletID}
	if src.LocationID == "" && s.Source != nil {
		src.LocationID = s.Source.OutletID
	}
	o := &model.Order{
		ID:        src.DerivedID("ord_"),
		Source:    src,
		Currency:  cur,
		CreatedAt: parseTime(s.SaleDate, s.Date, s.CreatedAt, s.UpdatedAt),
		UpdatedAt: parseTime(s.UpdatedAt),
		Reference: s.ReceiptNumber,
	}
	if o.Reference == "" {
		o.Reference = s.InvoiceNumber
	}
	if o.CreatedAt.IsZero() {
		return nil, errors.New("sale has no date")
	}
	switch {
	case s.DeletedAt != "" || strings.EqualFold(s.State, "voided") || strings.EqualFold(s.Status, "VOIDED"):
		o.State = model.OrderCanceled
	case strings.EqualFold(s.State, "closed") || strings.HasPrefix(strings.ToUpper(s.Status), "CLOSED"):
		o.State = model.OrderCompleted
		o.ClosedAt = o.CreatedAt
	default:
		o.State = model.OrderOpen
	}
	o.Note = s.Note
	if isReturn {
		orig := s.ReturnFor
		if orig == "" && s.Return != nil {
			orig = s.Return.OriginalSaleID
		}
		n := "return"
		if orig != "" {
			n += " for sale " + orig
		}
		if o.Note != "" {
			n += "; " + o.Note
		}
		o.Note = n
	}
	money := func(v int64) model.Money { return model.M(v, cur) }

	// Build Aura lines, attaching add-on modifier lines to their item line.
	discount := func(id, name, line string, amt int64) {
		if amt > 0 {
			o.Discounts = append(o.Discounts, model.Discount{ID: id, Name: name, LineItemID: line, Amount: money(amt)})
		}
	}
	type pending struct{ disc, rounding int64 }
	var pend []pending // parallel to o.LineItems
	var prevW *work
	for _, w := range ws {
		if w.reverse {
			continue
		}
		gross := w.net + w.disc
		if w.known && w.ref.Kind == pos.KindModifier && prevW != nil && prevW.ref.Kind != pos.KindModifier &&
			(int64(w.q)*1000)%int64(prevW.q) == 0 {
			mq := model.Quantity(int64(w.q) * 1000 / int64(prevW.q))
			mu, r, err := unitFor(gross, mq, prevW.q)
			if err != nil {
				return nil, fmt.Errorf("line %s: %w", w.li.ID, err)
			}
			name := w.ref.ModName
			if name == "" {
				name = w.ref.Name
			}
			k := len(o.LineItems) - 1
			o.LineItems[k].Modifiers = append(o.LineItems[k].Modifiers, model.LineModifier{
				ID: "mod_" + strings.TrimPrefix(w.id, "li_"), ModifierID: w.ref.AuraID, GroupID: w.ref.ModGroupID,
				Name: name, Quantity: mq, UnitPrice: money(mu)})
			pend[k].disc += w.disc
			pend[k].rounding += r
			continue
		}
		u, r, err := unitFor(gross, w.q)
		if err != nil {
			return nil, fmt.Errorf("line %s: %w", w.li.ID, err)
		}
		li := model.LineItem{ID: w.id, Quantity: w.q, UnitPrice: money(u), Note: w.li.Note}
		if err := a.nameLine(&li, w, lk); err != nil {
			return nil, err
		}
		o.LineItems = append(o.LineItems, li)
		pend = append(pend, pending{disc: w.disc, rounding: r})
		prevW = w
	}
	for k := range o.LineItems {
		li := &o.LineItems[k]
		g, _ := li.LineGross()
		li.Gross = money(g)
		discount("disc_"+li.ID, "Discount", li.ID, pend[k].disc)
		discount("round_"+li.ID, "Unit price rounding", li.ID, pend[k].rounding)
	}
	for _, w := range ws {
		if !w.reverse {
			continue
		}
		li := model.LineItem{}
		if err := a.nameLine(&li, w, lk); err != nil {
			return nil, err
		}
		label := "Return: "
		if isReturn {
			label = "Exchange: "
		}
		discount("ret_"+w.id, label+li.Name, "", w.credit)
	}

	// Taxes.
	if taxC < 0 {
		discount("tax_credit", "Tax credit", "", -taxC)
		taxC = 0
	}
	o.Taxes = a.taxes(s, m, taxC)

	// Tips and fees.
	tipC := m.minor(m.flip(tips))
	if tipC < 0 {
		discount("tip_reversal", "Tip reversal", "", -tipC)
		tipC = 0
	}
	o.Tip = money(tipC)
	for i, f := range fees {
		c := m.minor(m.flip(f.amt))
		if c < 0 {
			discount("fee_reversal_"+strconv.Itoa(i), "Reversal: "+f.name, "", -c)
			continue
		}
		o.ServiceCharges = append(o.ServiceCharges, model.ServiceCharge{ID: "fee_" + strconv.Itoa(i), Name: f.name, Amount: money(c)})
	}

	a.payments(s, m, o, src, tipC)
	if m.err != nil {
		return nil, m.err
	}
	o.ComputeTotals()
	want := totalC + tipC
	for _, sc := range o.ServiceCharges {
		want += sc.Amount.Amount
	}
	for _, d := range o.Discounts {
		if strings.HasPrefix(d.ID, "tip_reversal") || strings.HasPrefix(d.ID, "fee_reversal") {
			want -= d.Amount.Amount
		}
	}
	if o.Totals.Total.Amount != want {
		return nil, fmt.Errorf("normalised total %d differs from the sale's %d", o.Totals.Total.Amount, want)
	}
	if ps := o.Validate(); ps != nil {
		return nil, ps
	}
	return o, nil
}

// nameLine fills the Aura ids and names of a line.
func (a *Adapter) nameLine(li *model.LineItem, w *work, lk *lookup) error {
	if w.known {
		switch w.ref.Kind {
		case pos.KindVariation:
			li.ItemID, li.VariationID, li.VariationName = w.ref.ItemID, w.ref.AuraID, w.ref.Variation
		case pos.KindItem:
			li.ItemID = w.ref.AuraID
		}
		li.Name = w.ref.Name
	}
	if li.Name == "" {
		li.Name = w.li.Name
	}
	if li.Name == "" && w.li.Product != nil {
		li.Name = w.li.Product.Name
	}
	if li.Name == "" {
		n, err := lk.name(w.li.productID())
		if err != nil {
			return err
		}
		li.Name = n
	}
	if li.Name == "" {
		li.Name = "Product " + w.li.productID()
		if w.li.productID() == "" {
			li.Name = "Item"
		}
	}
	return nil
}

// taxes splits taxC over the sale's taxes[] (residual on the largest), or
// reports one "Tax" line.
func (a *Adapter) taxes(s *sale, m *mcalc, taxC int64) []model.AppliedTax {
	if taxC == 0 {
		return nil
	}
	cur := a.currency
	var out []model.AppliedTax
	var sum int64
	for i, t := range s.Taxes {
		d, ok := first(t.Tax, t.Amount)
		if !ok {
			continue
		}
		c := m.minor(m.flip(d))
		if c < 0 {
			return []model.AppliedTax{{ID: "tax", Name: "Tax", Amount: model.M(taxC, cur)}}
		}
		if c == 0 {
			continue
		}
		id := "tax_" + t.ID
		if t.ID == "" {
			id = "tax_" + strconv.Itoa(i)
		}
		name := t.Name
		if name == "" {
			name = "Tax"
		}
		out = append(out, model.AppliedTax{ID: id, Name: name, Amount: model.M(c, cur)})
		sum += c
	}
	if len(out) == 0 {
		return []model.AppliedTax{{ID: "tax", Name: "Tax", Amount: model.M(taxC, cur)}}
	}
	if res := taxC - sum; res != 0 {
		big := 0
		for i := range out {
			if out[i].Amount.Amount > out[big].Amount.Amount {
				big = i
			}
		}
		if out[big].Amount.Amount+res < 0 {
			return []model.AppliedTax{{ID: "tax", Name: "Tax", Amount: model.M(taxC, cur)}}
		}
		out[big].Amount.Amount += res
	}
	return out
}

// payments fills o.Payments and o.Refunds: positive amounts are payments,
// negative ones (change given, a return's refund) are refunds. The tip is
// taken out of the last payments (Aura payment amounts exclude tips).
func (a *Adapter) payments(s *sale, m *mcalc, o *model.Order, src model.Source, tipC int64) {
	cur := a.currency
	status := model.PaymentCompleted
	if o.State == model.OrderCanceled {
		status = model.PaymentCanceled
	}
	for _, p := range s.Payments {
		if p.DeletedAt != "" {
			continue
		}
		// The raw sign decides, whatever the sale's direction: money
		// received is a payment, money handed back (change, a return's
		// refund) is a refund.
		c := m.minor(p.Amount)
		if c == 0 {
			continue
		}
		id := p.ID
		if id == "" {
			id = s.ID + "-" + strconv.Itoa(len(o.Payments)+len(o.Refunds))
		}
		psrc := model.Source{Vendor: Vendor, IntegrationID: src.IntegrationID, ExternalID: id, Version: src.Version, LocationID: src.LocationID}
		at := parseTime(p.Date, p.PaymentDate)
		if at.IsZero() {
			at = o.CreatedAt
		}
		if c < 0 {
			o.Refunds = append(o.Refunds, model.Refund{ID: psrc.DerivedID("ref_"), Source: psrc, Amount: model.M(-c, cur),
				Reason: "refund", Status: status, CreatedAt: at})
			continue
		}
		name := p.Name
		if p.Type != nil && p.Type.Name != "" {
			name = p.Type.Name
		}
		pay := model.Payment{ID: psrc.DerivedID("pay_"), Source: psrc, OrderID: o.ID, Method: method(name),
			Amount: model.M(c, cur), Status: status, CreatedAt: at}
		for _, ea := range p.ExternalAttributes {
			if l4 := ea.CardLastFourDigits; len(l4) == 4 && strings.Trim(l4, "0123456789") == "" {
				pay.Last4 = l4
			}
		}
		o.Payments = append(o.Payments, pay)
	}
	left := tipC
	for i := len(o.Payments) - 1; i >= 0 && left > 0; i-- {
		t := min(left, o.Payments[i].Amount.Amount)
		o.Payments[i].Tip = model.M(t, cur)
		o.Payments[i].Amount.Amount -= t
		left -= t
	}
}

// method maps an X-Series payment type name to an Aura method.
func method(name string) model.PaymentMethod {
	n := strings.ToLower(name)
	has := func(ws ...string) bool {
		for _, w := range ws {
			if strings.Contains(n, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("cash"):
		return model.MethodCash
	case has("gift", "voucher"):
		return model.MethodGiftCard
	case has("apple pay", "google pay", "wallet", "paypal", "afterpay", "alipay", "wechat"):
		return model.MethodWallet
	case has("card", "credit", "debit", "eftpos", "visa", "master", "amex", "american express", "tap", "tyro",
		"stripe", "adyen", "worldpay", "vantiv", "payments"):
		return model.MethodCard
	}
	return model.MethodOther
}

// unitFor returns the rounded quotient when it is exact, else the smallest
// unit price u >= 0 with f(u) >= total, where
// f multiplies u by each quantity in turn with Aura's rounding (so the line
// gross of u is f(u)), and the rounding excess f(u) - total.
func unitFor(total int64, qs ...model.Quantity) (unit, excess int64, err error) {
	if total <= 0 {
		return 0, -total, nil
	}
	f := func(u int64) (int64, bool) {
		v := u
		for _, q := range qs {
			var ok bool
			if v, ok = model.MulQty(v, q); !ok {
				return 0, false
			}
		}
		return v, true
	}
	est := decimal.NewFromInt(total)
	for _, q := range qs {
		est = est.Mul(decimal.NewFromInt(1000)).Div(decimal.NewFromInt(int64(q)))
	}
	if !est.BigInt().IsInt64() {
		return 0, 0, errors.New("unit price out of range")
	}
	// The plain quotient, rounded, when it lands exactly (3.00 x 0.5, not 2.99).
	if v, ok := f(est.Round(0).IntPart()); ok && v == total {
		return est.Round(0).IntPart(), 0, nil
	}
	u := est.Floor().IntPart()
	for range 10000 {
		v, ok := f(u)
		if !ok {
			return 0, 0, errors.New("unit price overflows")
		}
		if v < total {
			u++
			continue
		}
		if u > 0 {
			if pv, ok := f(u - 1); ok && pv >= total {
				u--
				continue
			}
		}
		return u, v - total, nil
	}
	return 0, 0, errors.New("no unit price fits the line total")
}
