package toasttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// OrderSpec describes an order to seed; SeedOrder computes the selection,
// check and payment amounts the way the Toast Orders API v2 spec defines
// them (2-decimal numbers; Check.amount "includes discounts and service
// charges" and "does not include gratuity or taxes"; taxAmount includes
// service charge and item taxes; totalAmount "including discounts and
// taxes").
type OrderSpec struct {
	GUID          string    // generated when empty
	Modified      time.Time // default: the server clock's now
	Opened        time.Time // default: Modified - 10 min
	DisplayNumber string
	Voided        bool
	Deleted       bool
	Checks        []CheckSpec
}

// CheckSpec is one check.
type CheckSpec struct {
	GUID           string
	DisplayNumber  string
	Status         string // paymentStatus: CLOSED (default), PAID, OPEN
	Voided         bool
	Selections     []SelectionSpec
	Discount       *DiscountSpec // check-level, spread over the selections
	ServiceCharges []ServiceChargeSpec
	Payments       []PaymentSpec
}

// SelectionSpec is one menu item selection.
type SelectionSpec struct {
	Name      string
	Quantity  string // "1"
	UnitPrice string // per unit, before discounts, excl. tax, without modifiers
	Modifiers []ModifierSpec
	Discount  *DiscountSpec // item-level
	TaxRate   string        // e.g. "0.0825"
	TaxName   string        // default "Sales tax"
	Voided    bool
}

// ModifierSpec is a modifier: Price per unit of the parent selection.
type ModifierSpec struct {
	Name     string
	Price    string
	Quantity string // per unit of the parent, default "1"
}

// DiscountSpec is an applied discount amount.
type DiscountSpec struct {
	Name   string
	Amount string
}

// ServiceChargeSpec is an applied service charge.
type ServiceChargeSpec struct {
	Name     string
	Amount   string
	Gratuity bool
	TaxRate  string // taxable when set
}

// PaymentSpec is one payment; an empty Amount pays what is left of what
// the check owes (amount, tax and gratuity).
type PaymentSpec struct {
	Type     string // CASH, CREDIT, GIFTCARD, OTHER...
	Amount   string
	Tip      string
	CardType string
	Last4    string
	Status   string // paymentStatus, default CAPTURED (credit) or none
	Refund   string // refundAmount
}

func dec(s string) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		panic(fmt.Sprintf("toasttest: bad decimal %q", s))
	}
	return d
}

func r2(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// num renders a money amount as a JSON number with 2 decimals.
func num(d decimal.Decimal) json.Number { return json.Number(d.StringFixed(2)) }

func qnum(d decimal.Decimal) json.Number { return json.Number(d.String()) }

func refTo(guid, typ string) map[string]any { return map[string]any{"guid": guid, "entityType": typ} }

// SeedOrder stores an order built from spec and returns its guid.
func (s *Server) SeedOrder(spec OrderSpec) string {
	s.mu.Lock()
	if spec.GUID == "" {
		spec.GUID = s.newGUID()
	}
	if spec.Modified.IsZero() {
		spec.Modified = s.now()
	}
	s.mu.Unlock()
	spec.Modified = spec.Modified.UTC().Truncate(time.Millisecond)
	if spec.Opened.IsZero() {
		spec.Opened = spec.Modified.Add(-10 * time.Minute)
	}
	ts := func(t time.Time) string { return t.UTC().Format(TimeLayout) }
	var checks []map[string]any
	for ci, c := range spec.Checks {
		checks = append(checks, s.buildCheck(spec, ci, c, ts))
	}
	body := map[string]any{
		"guid": spec.GUID, "entityType": "Order", "displayNumber": spec.DisplayNumber,
		"openedDate": ts(spec.Opened), "createdDate": ts(spec.Opened), "modifiedDate": ts(spec.Modified),
		"closedDate": ts(spec.Modified), "paidDate": ts(spec.Modified),
		"businessDate": spec.Modified.Year()*10000 + int(spec.Modified.Month())*100 + spec.Modified.Day(),
		"voided":       spec.Voided, "deleted": spec.Deleted, "deletedDate": "1970-01-01T00:00:00.000+0000",
		"diningOption": refTo("dining-dine-in", "DiningOption"), "checks": checks,
	}
	s.put(spec.GUID, spec.Modified, body)
	return spec.GUID
}

func (s *Server) buildCheck(spec OrderSpec, ci int, c CheckSpec, ts func(time.Time) string) map[string]any {
	cg := c.GUID
	if cg == "" {
		cg = fmt.Sprintf("%s-check-%d", spec.GUID, ci+1)
	}
	if c.Status == "" {
		c.Status = "CLOSED"
	}
	// Pre-discount gross and item discounts first, to spread the check
	// discount by the net before it.
	type selCalc struct {
		pre, itemDisc, share, price, tax decimal.Decimal
		mods                             []map[string]any
	}
	calcs := make([]selCalc, len(c.Selections))
	var netBefore decimal.Decimal
	for i, sel := range c.Selections {
		q := dec(sel.Quantity)
		if sel.Quantity == "" {
			q = decimal.NewFromInt(1)
		}
		pre := dec(sel.UnitPrice).Mul(q)
		for mi, m := range sel.Modifiers {
			mq := dec(m.Quantity)
			if m.Quantity == "" {
				mq = decimal.NewFromInt(1)
			}
			mg := r2(dec(m.Price).Mul(mq).Mul(q))
			pre = pre.Add(mg)
			calcs[i].mods = append(calcs[i].mods, map[string]any{
				"guid": fmt.Sprintf("%s-sel-%d-mod-%d", cg, i+1, mi+1), "entityType": "MenuItemSelection",
				"item": refTo("item-"+m.Name, "MenuItem"), "optionGroup": refTo("og-1", "MenuOptionGroup"),
				"displayName": m.Name, "quantity": qnum(mq), "preDiscountPrice": num(mg), "price": num(mg), "tax": num(decimal.Zero),
				"voided": false, "modifiers": []any{}, "appliedDiscounts": []any{}, "appliedTaxes": []any{},
			})
		}
		calcs[i].pre = r2(pre)
		if sel.Discount != nil {
			calcs[i].itemDisc = r2(dec(sel.Discount.Amount))
		}
		if !sel.Voided {
			netBefore = netBefore.Add(calcs[i].pre.Sub(calcs[i].itemDisc))
		}
	}
	var checkDisc decimal.Decimal
	if c.Discount != nil {
		checkDisc = r2(dec(c.Discount.Amount))
	}
	left := checkDisc
	last := -1
	for i, sel := range c.Selections {
		if !sel.Voided {
			last = i
		}
	}
	var amount, tax decimal.Decimal
	var sels []map[string]any
	for i, sel := range c.Selections {
		cc := &calcs[i]
		if !sel.Voided && !netBefore.IsZero() {
			if i == last {
				cc.share = left
			} else {
				cc.share = r2(checkDisc.Mul(cc.pre.Sub(cc.itemDisc)).Div(netBefore))
				left = left.Sub(cc.share)
			}
		}
		cc.price = cc.pre.Sub(cc.itemDisc).Sub(cc.share)
		cc.tax = r2(cc.price.Mul(dec(sel.TaxRate)))
		taxName := sel.TaxName
		if taxName == "" {
			taxName = "Sales tax"
		}
		var applied []map[string]any
		if sel.TaxRate != "" {
			applied = append(applied, map[string]any{"guid": fmt.Sprintf("%s-sel-%d-tax", cg, i+1), "entityType": "AppliedTaxRate",
				"taxRate": refTo("taxrate-"+taxName, "TaxRate"), "name": taxName, "rate": qnum(dec(sel.TaxRate)),
				"taxAmount": num(cc.tax), "type": "PERCENT"})
		}
		var discs []map[string]any
		if sel.Discount != nil {
			discs = append(discs, map[string]any{"guid": fmt.Sprintf("%s-sel-%d-disc", cg, i+1), "entityType": "AppliedDiscount",
				"name": sel.Discount.Name, "discountAmount": num(cc.itemDisc), "nonTaxDiscountAmount": num(cc.itemDisc),
				"discount": refTo("discount-"+sel.Discount.Name, "Discount"), "discountType": "FIXED"})
		}
		q := dec(sel.Quantity)
		if sel.Quantity == "" {
			q = decimal.NewFromInt(1)
		}
		mods := cc.mods
		if mods == nil {
			mods = []map[string]any{}
		}
		sels = append(sels, map[string]any{
			"guid": fmt.Sprintf("%s-sel-%d", cg, i+1), "entityType": "MenuItemSelection",
			"item": refTo("item-"+sel.Name, "MenuItem"), "itemGroup": refTo("group-1", "MenuGroup"),
			"displayName": sel.Name, "quantity": qnum(q), "preDiscountPrice": num(cc.pre), "price": num(cc.price),
			"tax": num(cc.tax), "voided": sel.Voided, "modifiers": mods, "appliedDiscounts": discs, "appliedTaxes": applied,
			"taxInclusion": "NOT_INCLUDED", "selectionType": "NONE",
		})
		if !sel.Voided {
			amount, tax = amount.Add(cc.price), tax.Add(cc.tax)
		}
	}
	var scs []map[string]any
	var gratuity decimal.Decimal
	for i, sc := range c.ServiceCharges {
		a := r2(dec(sc.Amount))
		if sc.Gratuity {
			gratuity = gratuity.Add(a) // Check.amount "does not include gratuity or taxes"
		} else {
			amount = amount.Add(a)
		}
		var applied []map[string]any
		if sc.TaxRate != "" {
			t := r2(a.Mul(dec(sc.TaxRate)))
			tax = tax.Add(t)
			applied = append(applied, map[string]any{"guid": fmt.Sprintf("%s-sc-%d-tax", cg, i+1), "entityType": "AppliedTaxRate",
				"taxRate": refTo("taxrate-Sales tax", "TaxRate"), "name": "Sales tax", "rate": qnum(dec(sc.TaxRate)),
				"taxAmount": num(t), "type": "PERCENT"})
		}
		scs = append(scs, map[string]any{"guid": fmt.Sprintf("%s-sc-%d", cg, i+1), "entityType": "AppliedServiceCharge",
			"name": sc.Name, "chargeAmount": num(a), "chargeType": "FIXED", "gratuity": sc.Gratuity, "taxable": sc.TaxRate != "",
			"serviceCharge": refTo("sc-"+sc.Name, "ServiceCharge"), "appliedTaxes": applied})
	}
	// totalAmount: "including discounts and taxes" (the spec says nothing
	// of gratuity; this stand-in leaves it out, GratuityInTotal puts it in).
	total := amount.Add(tax)
	owed := total.Add(gratuity)
	if s.gratuityInTotal {
		total = owed
	}
	var pays []map[string]any
	paid := decimal.Zero
	for i, p := range c.Payments {
		a := dec(p.Amount)
		if p.Amount == "" {
			a = owed.Sub(paid)
		}
		paid = paid.Add(a)
		st := p.Status
		if st == "" && p.Type == "CREDIT" {
			st = "CAPTURED"
		}
		pm := map[string]any{"guid": fmt.Sprintf("%s-pay-%d", cg, i+1), "entityType": "OrderPayment",
			"paidDate": ts(spec.Modified), "type": p.Type, "amount": num(a), "tipAmount": num(dec(p.Tip)),
			"amountTendered": num(a), "cardType": nilIfEmpty(p.CardType), "last4Digits": nilIfEmpty(p.Last4),
			"paymentStatus": nilIfEmpty(st), "refundStatus": "NONE", "orderGuid": spec.GUID, "checkGuid": cg}
		if p.Refund != "" {
			pm["refundStatus"] = "PARTIAL"
			pm["refund"] = map[string]any{"refundAmount": num(dec(p.Refund)), "tipRefundAmount": num(decimal.Zero),
				"refundDate": ts(spec.Modified)}
		}
		pays = append(pays, pm)
	}
	var discs []map[string]any
	if c.Discount != nil {
		discs = append(discs, map[string]any{"guid": cg + "-disc", "entityType": "AppliedDiscount", "name": c.Discount.Name,
			"discountAmount": num(checkDisc), "nonTaxDiscountAmount": num(checkDisc),
			"discount": refTo("discount-"+c.Discount.Name, "Discount"), "discountType": "FIXED"})
	}
	return map[string]any{
		"guid": cg, "entityType": "Check", "displayNumber": c.DisplayNumber, "openedDate": ts(spec.Opened),
		"closedDate": ts(spec.Modified), "modifiedDate": ts(spec.Modified), "deleted": false, "voided": c.Voided,
		"paymentStatus": c.Status, "amount": num(amount), "taxAmount": num(tax), "totalAmount": num(total),
		"selections": orEmpty(sels), "appliedDiscounts": orEmpty(discs), "appliedServiceCharges": orEmpty(scs),
		"payments": orEmpty(pays), "taxExempt": false,
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func orEmpty(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

func (s *Server) put(guid string, modified time.Time, body map[string]any) {
	b, _ := json.Marshal(body)
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var clean map[string]any
	d.Decode(&clean)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders[guid] = &storedOrder{guid: guid, modified: modified, body: clean}
}

// SeedRawOrder stores an order given as JSON (as Toast returns it); its
// modifiedDate decides which ordersBulk windows return it.
func (s *Server) SeedRawOrder(raw []byte) (string, error) {
	var o struct {
		GUID         string `json:"guid"`
		ModifiedDate string `json:"modifiedDate"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return "", err
	}
	mod, err := time.Parse(TimeLayout, o.ModifiedDate)
	if err != nil {
		return "", fmt.Errorf("modifiedDate: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var body map[string]any
	if err := d.Decode(&body); err != nil {
		return "", err
	}
	s.put(o.GUID, mod.UTC(), body)
	return o.GUID, nil
}

// TouchOrder sets an order's modifiedDate (a change in Toast).
func (s *Server) TouchOrder(guid string, modified time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[guid]
	if !ok {
		return false
	}
	o.modified = modified.UTC().Truncate(time.Millisecond)
	o.body["modifiedDate"] = o.modified.Format(TimeLayout)
	return true
}

// OrderJSON returns a stored order as GET /orders/v2/orders/{guid} renders it.
func (s *Server) OrderJSON(guid string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[guid]
	if !ok {
		return nil
	}
	b, _ := json.Marshal(o.body)
	return b
}
