package clovertest

import (
	"fmt"
	"math/big"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Order is a Clover order as the stand-in stores it. Collections are plain
// slices here and are served wrapped as {"elements": [...]}.
type Order struct {
	ID            string
	Currency      string // default USD
	State         string // "open", "locked"; default "locked" when paid, else "open"
	PaymentState  string // OPEN, PAID, ...; default PAID when payments cover the total
	Title         string
	Note          string
	IsVat         bool
	TaxRemoved    bool
	CreatedTime   int64 // ms; 0 = now
	ModifiedTime  int64 // ms; 0 = CreatedTime
	LineItems     []LineItem
	Discounts     []Discount
	ServiceCharge *ServiceCharge
	Payments      []Payment
	Refunds       []Refund
	// Total is computed by SeedOrder with ComputeTotals unless
	// TotalOverride is set (to seed an order whose stored total disagrees
	// with its lines, as happens with rounding or legacy data).
	Total         int64
	TotalOverride *int64
}

// LineItem is one order line; Clover usually has one per unit sold.
type LineItem struct {
	ID            string
	ItemID        string // inventory item id, optional
	Name          string
	Price         int64 // cents; per unit of UnitQty for PER_UNIT items
	UnitQty       int64 // thousandths for PER_UNIT items; 0 = not priced by quantity
	Note          string
	Modifications []Modification
	Discounts     []Discount
	TaxRates      []TaxRate
}

// Modification is a modifier applied to a line.
type Modification struct {
	ID         string
	Name       string
	Amount     int64
	ModifierID string
}

// Discount is a line or order discount: Amount in cents, negative as Clover
// stores it, or Percentage (whole percent).
type Discount struct {
	ID         string
	Name       string
	Amount     int64
	Percentage int64
}

// ServiceCharge is the order's service charge; PercentageDecimal is percent
// x 10000 (18% = 180000).
type ServiceCharge struct {
	ID                string
	Name              string
	PercentageDecimal int64
}

// Payment is a payment on the order. Amount excludes the tip.
type Payment struct {
	ID             string
	Amount         int64
	TipAmount      int64
	TaxAmount      int64
	Result         string // default SUCCESS
	TenderLabel    string // default "Credit Card"
	TenderLabelKey string // default com.clover.tender.credit_card
	CardType       string // VISA, MC, AMEX...; empty means no cardTransaction
	Last4          string
	CreatedTime    int64
	ModifiedTime   int64
}

// Refund is a refund against a payment.
type Refund struct {
	ID          string
	PaymentID   string
	Amount      int64
	TaxAmount   int64
	TipAmount   int64
	CreatedTime int64
}

// Cash is a cash payment of amount.
func Cash(amount int64) Payment {
	return Payment{Amount: amount, TenderLabel: "Cash", TenderLabelKey: TenderCash}
}

// Card is a card payment of amount plus tip.
func Card(amount, tip int64, cardType, last4 string) Payment {
	return Payment{Amount: amount, TipAmount: tip, CardType: cardType, Last4: last4}
}

// Totals are the figures ComputeTotals derives, in cents.
type Totals struct {
	Subtotal      int64 // lines with modifiers, before discounts
	Discounts     int64 // line and order discounts
	ServiceCharge int64
	Tax           int64 // additive tax (0 for VAT orders)
	VAT           int64 // tax included in prices (VAT orders)
	Total         int64 // what Clover stores as order.total (no tips)
}

// ComputeTotals applies Clover's "Calculate order totals" rules: each line is
// price x unitQty plus modifiers; line percentage discounts, then line
// amount discounts; order percentage discounts on the subtotal after line
// discounts, then order amount discounts; a percentage service charge on the
// discounted subtotal (not taxed); tax per line and rate on the line's
// discounted amount with order discounts prorated, rounded half up. Tips
// are not part of the total (they live on payments).
func ComputeTotals(o *Order) Totals {
	var t Totals
	type line struct {
		net   *big.Rat
		qty   int64
		rates []TaxRate
	}
	var lines []line
	lineNet := new(big.Rat)
	for _, li := range o.LineItems {
		qty := li.UnitQty
		if qty <= 0 {
			qty = 1000
		}
		gross := roundRat(ratMul(li.Price, qty, 1000))
		for _, m := range li.Modifications {
			gross += roundRat(ratMul(m.Amount, qty, 1000))
		}
		t.Subtotal += gross
		net := gross
		for _, d := range li.Discounts {
			if d.Amount == 0 && d.Percentage != 0 {
				v := roundRat(ratMul(gross, d.Percentage, 100))
				t.Discounts += v
				net -= v
			}
		}
		for _, d := range li.Discounts {
			if d.Amount != 0 {
				t.Discounts += absI(d.Amount)
				net -= absI(d.Amount)
			}
		}
		net = max(net, 0)
		lineNet.Add(lineNet, big.NewRat(net, 1))
		lines = append(lines, line{net: big.NewRat(net, 1), qty: qty, rates: li.TaxRates})
	}
	ln := lineNet.Num().Int64()
	var od int64
	for _, d := range o.Discounts {
		if d.Amount == 0 && d.Percentage != 0 {
			od += roundRat(ratMul(ln, d.Percentage, 100))
		}
	}
	for _, d := range o.Discounts {
		if d.Amount != 0 {
			od += absI(d.Amount)
		}
	}
	t.Discounts += od
	after := max(ln-od, 0)
	if sc := o.ServiceCharge; sc != nil {
		t.ServiceCharge = roundRat(ratMul(after, sc.PercentageDecimal, 1_000_000))
	}
	if !o.TaxRemoved {
		for _, l := range lines {
			taxable := new(big.Rat).Set(l.net)
			if ln > 0 && od > 0 {
				taxable.Mul(taxable, big.NewRat(after, ln))
			}
			for _, r := range l.rates {
				switch {
				case r.Rate > 0 && o.IsVat:
					x := new(big.Rat).Mul(taxable, big.NewRat(r.Rate, 10_000_000+r.Rate))
					t.VAT += roundRat(x)
				case r.Rate > 0:
					x := new(big.Rat).Mul(taxable, big.NewRat(r.Rate, 10_000_000))
					t.Tax += roundRat(x)
				case r.TaxAmount > 0:
					t.Tax += roundRat(ratMul(r.TaxAmount, l.qty, 1000))
				}
			}
		}
	}
	t.Total = after + t.ServiceCharge + t.Tax
	return t
}

func ratMul(a, b, div int64) *big.Rat {
	return new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(a), big.NewInt(b)), big.NewInt(div))
}

// roundRat rounds half away from zero.
func roundRat(r *big.Rat) int64 {
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

func absI(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// SeedOrder stores o (ids, times, state and total filled in) and returns the
// stored copy.
func (s *Server) SeedOrder(o Order) Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fill(&o)
	c := o
	s.orders[o.ID] = &c
	return o
}

// UpdateOrder edits a stored order and bumps its modifiedTime, as any change
// on a Clover device does. It returns the stored copy.
func (s *Server) UpdateOrder(id string, edit func(o *Order)) (Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, fmt.Errorf("clovertest: no order %s", id)
	}
	prev, ps, st := o.ModifiedTime, o.PaymentState, o.State
	edit(o)
	if o.ModifiedTime <= prev {
		o.ModifiedTime = s.touch(prev)
	}
	if o.PaymentState == ps && o.State == st { // derive them again from the edited payments
		o.PaymentState, o.State = "", ""
	}
	s.fill(o)
	return *o, nil
}

// DeleteOrder removes an order (it then answers 404).
func (s *Server) DeleteOrder(id string) {
	s.mu.Lock()
	delete(s.orders, id)
	s.mu.Unlock()
}

// Order returns a stored order.
func (s *Server) Order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	return *o, true
}

func (s *Server) fill(o *Order) {
	if o.ID == "" {
		o.ID = s.nextID("OR")
	}
	if o.Currency == "" {
		o.Currency = "USD"
	}
	if o.CreatedTime == 0 {
		o.CreatedTime = s.nowMs()
	}
	if o.ModifiedTime == 0 {
		o.ModifiedTime = o.CreatedTime
	}
	for i := range o.LineItems {
		li := &o.LineItems[i]
		if li.ID == "" {
			li.ID = s.nextID("LI")
		}
		for j := range li.Modifications {
			if li.Modifications[j].ID == "" {
				li.Modifications[j].ID = s.nextID("MD")
			}
		}
		for j := range li.Discounts {
			if li.Discounts[j].ID == "" {
				li.Discounts[j].ID = s.nextID("DI")
			}
		}
	}
	for j := range o.Discounts {
		if o.Discounts[j].ID == "" {
			o.Discounts[j].ID = s.nextID("DI")
		}
	}
	if o.ServiceCharge != nil && o.ServiceCharge.ID == "" {
		o.ServiceCharge.ID = s.nextID("SC")
	}
	for i := range o.Payments {
		p := &o.Payments[i]
		if p.ID == "" {
			p.ID = s.nextID("PA")
		}
		if p.Result == "" {
			p.Result = "SUCCESS"
		}
		if p.TenderLabel == "" && p.TenderLabelKey == "" {
			p.TenderLabel, p.TenderLabelKey = "Credit Card", TenderCreditCard
		}
		if p.CreatedTime == 0 {
			p.CreatedTime = o.ModifiedTime
		}
		if p.ModifiedTime == 0 {
			p.ModifiedTime = p.CreatedTime
		}
	}
	for i := range o.Refunds {
		if o.Refunds[i].ID == "" {
			o.Refunds[i].ID = s.nextID("RF")
		}
		if o.Refunds[i].CreatedTime == 0 {
			o.Refunds[i].CreatedTime = o.ModifiedTime
		}
	}
	if o.TotalOverride != nil {
		o.Total = *o.TotalOverride
	} else {
		o.Total = ComputeTotals(o).Total
	}
	var paid int64
	for _, p := range o.Payments {
		if p.Result == "SUCCESS" {
			paid += p.Amount
		}
	}
	if o.PaymentState == "" {
		switch {
		case len(o.Payments) > 0 && paid >= o.Total:
			o.PaymentState = "PAID"
		case paid > 0:
			o.PaymentState = "PARTIALLY_PAID"
		default:
			o.PaymentState = "OPEN"
		}
	}
	if o.State == "" {
		o.State = "open"
		if o.PaymentState == "PAID" {
			o.State = "locked"
		}
	}
}

// listOrders serves GET /orders with modifiedTime/createdTime filters,
// orderBy ("modifiedTime ASC" ...; default createdTime DESC), expand and
// limit/offset paging.
func (s *Server) listOrders(q url.Values) (int, any, *apiError) {
	fs, e := parseFilters(q, "modifiedTime", "createdTime", "state", "paymentState", "id")
	if e != nil {
		return 0, nil, e
	}
	var sel []*Order
	for _, o := range s.orders {
		ok := true
		for _, f := range fs {
			switch f.field {
			case "modifiedTime":
				ok = ok && f.matchInt(o.ModifiedTime)
			case "createdTime":
				ok = ok && f.matchInt(o.CreatedTime)
			case "state":
				ok = ok && f.matchString(o.State)
			case "paymentState":
				ok = ok && f.matchString(o.PaymentState)
			case "id":
				ok = ok && f.matchString(o.ID)
			}
		}
		if ok {
			sel = append(sel, o)
		}
	}
	field, dir := "createdTime", "DESC"
	if ob := strings.Fields(q.Get("orderBy")); len(ob) > 0 && !s.ignoreSort {
		field, dir = ob[0], "ASC"
		if len(ob) > 1 {
			dir = strings.ToUpper(ob[1])
		}
		if field != "modifiedTime" && field != "createdTime" {
			return 0, nil, errf(400, "Invalid orderBy %s", q.Get("orderBy"))
		}
	}
	key := func(o *Order) int64 {
		if field == "modifiedTime" {
			return o.ModifiedTime
		}
		return o.CreatedTime
	}
	sort.Slice(sel, func(i, j int) bool {
		a, b := key(sel[i]), key(sel[j])
		if a != b {
			if dir == "DESC" {
				return a > b
			}
			return a < b
		}
		return sel[i].ID < sel[j].ID
	})
	allowed := listOrderExpands
	if s.tenderExp != "" && s.tenderExp != "payment.tender" {
		allowed = map[string]bool{s.tenderExp: true}
		for k := range listOrderExpands {
			if k != "payment.tender" {
				allowed[k] = true
			}
		}
	}
	ex := s.documented("list orders", q, allowed)
	if s.tenderExp != "" {
		ex["payment.tender"] = ex[s.tenderExp]
	}
	v := listView(ex)
	els := make([]any, len(sel))
	for i, o := range sel {
		els[i] = orderJSON(o, v)
	}
	return 200, page(els, q), nil
}

// Documented expansions, per operation (Clover REST API v3 reference on
// docs.clover.com, "expand" parameter of each operation, read 2026-12-03).
// Anything else in expand is ignored, as the real API may: it is not
// honoured, and Ignored reports it so tests can see an adapter asking for it.
var (
	// GET /v3/merchants/{mId}/orders ("Get all orders").
	listOrderExpands = set("employee", "payments", "refunds", "credits", "voids", "payment.tender",
		"payment.cardTransaction", "lineItems", "customers", "serviceCharge", "discounts", "orderType",
		"lineItems.discounts", "lineItems.modifications")
	// GET /v3/merchants/{mId}/orders/{orderId} ("Get a single order").
	getOrderExpands = set("lineItems", "serviceCharge", "discounts", "credits", "payments", "customers",
		"orderFulfillmentEvent", "refunds")
	// GET /v3/merchants/{mId}/orders/{orderId}/line_items ("Get all line
	// items for an order").
	lineItemExpands = set("employee", "orderType", "discounts", "modifications", "taxRates", "payments")
	// GET /v3/merchants/{mId}/orders/{orderId}/payments ("Get all payments
	// for an order").
	orderPaymentExpands = set("tender", "germanInfo", "lineItemPayments", "cardTransaction", "dccInfo", "employee",
		"refunds", "transactionInfo", "externalReferenceId", "oceanGatewayInfo", "taxRates", "additionalCharges",
		"appTracking", "paymentAttributes", "order")
)

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// documented keeps the expansions the operation documents and records the
// others as ignored.
func (s *Server) documented(op string, q url.Values, allowed map[string]bool) map[string]bool {
	ex := expands(q)
	for e := range ex {
		if !allowed[e] {
			delete(ex, e)
			s.ignored = append(s.ignored, op+" expand="+e)
		}
	}
	return ex
}

// Ignored returns the undocumented expansions requests asked for (and the
// stand-in ignored), as "<operation> expand=<name>".
func (s *Server) Ignored() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ignored...)
}

// Tender labelKeys Clover's built-in tenders use.
const (
	TenderCash       = "com.clover.tender.cash"
	TenderCreditCard = "com.clover.tender.credit_card"
	TenderDebitCard  = "com.clover.tender.debit_card"
	TenderExternal   = "com.clover.tender.external_payment"
	TenderGiftCard   = "com.clover.tender.external_gift_card"
)

var builtinTenders = []struct{ key, label, id string }{
	{TenderCash, "Cash", "TENDERCASH001"},
	{TenderCreditCard, "Credit Card", "TENDERCARD001"},
	{TenderDebitCard, "Debit Card", "TENDERDEBIT01"},
	{TenderExternal, "External Payment", "TENDEREXTPAY1"},
	{TenderGiftCard, "Gift Card", "TENDERGIFT001"},
}

// tenderID is the merchant tender id for a labelKey: built-in tenders have
// fixed ids, custom ones one derived from the key.
func tenderID(labelKey string) string {
	for _, t := range builtinTenders {
		if t.key == labelKey {
			return t.id
		}
	}
	id := "TC"
	for _, r := range strings.ToUpper(labelKey) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			id += string(r)
		}
	}
	if len(id) > 13 {
		id = id[len(id)-13:]
	}
	return id
}

// tendersJSON serves GET /tenders ("Get all tenders for a merchant"): the
// built-in tenders plus every custom tender a seeded payment used.
func (s *Server) tendersJSON(q url.Values) map[string]any {
	seen := map[string]bool{}
	var els []any
	add := func(key, label string) {
		id := tenderID(key)
		if seen[id] {
			return
		}
		seen[id] = true
		els = append(els, map[string]any{"id": id, "labelKey": key, "label": label, "enabled": true, "visible": true,
			"editable": !strings.HasPrefix(key, "com.clover.tender."), "opensCashDrawer": key == TenderCash})
	}
	for _, t := range builtinTenders {
		add(t.key, t.label)
	}
	for _, id := range sortedKeys(s.orders) {
		for _, p := range s.orders[id].Payments {
			add(p.TenderLabelKey, p.TenderLabel)
		}
	}
	return page(els, q)
}

func wrap(els []any) map[string]any {
	if els == nil {
		els = []any{}
	}
	return map[string]any{"elements": els}
}

func discountJSON(d Discount) map[string]any {
	m := map[string]any{"id": d.ID, "name": d.Name}
	if d.Amount != 0 {
		m["amount"] = d.Amount
	}
	if d.Percentage != 0 {
		m["percentage"] = d.Percentage
	}
	return m
}

// routeOrders serves the order operations (all GET): the list, one order,
// its line items and payments, and the merchant's tenders.
func (s *Server) routeOrders(p []string, q url.Values) (int, any, *apiError) {
	if p[0] == "tenders" {
		if len(p) != 1 {
			return 0, nil, errf(404, "Not Found")
		}
		return 200, s.tendersJSON(q), nil
	}
	if len(p) == 1 {
		return s.listOrders(q)
	}
	o, ok := s.orders[p[1]]
	if !ok {
		return 0, nil, errf(404, "Order not found")
	}
	switch {
	case len(p) == 2:
		ex := s.documented("get order", q, getOrderExpands)
		return 200, orderJSON(o, orderView{
			lineItems: ex["lineItems"], discounts: ex["discounts"], serviceCharge: ex["serviceCharge"],
			payments: ex["payments"], refunds: ex["refunds"],
		}), nil
	case len(p) == 3 && p[2] == "line_items":
		ex := s.documented("get line items", q, lineItemExpands)
		els := make([]any, 0, len(o.LineItems))
		for _, li := range o.LineItems {
			els = append(els, lineJSON(o, li, ex["modifications"], ex["discounts"], ex["taxRates"]))
		}
		return 200, page(els, q), nil
	case len(p) == 3 && p[2] == "payments":
		ex := s.documented("get order payments", q, orderPaymentExpands)
		els := make([]any, 0, len(o.Payments))
		for _, pm := range o.Payments {
			els = append(els, paymentJSON(o, pm, ex["tender"], ex["cardTransaction"]))
		}
		return 200, page(els, q), nil
	}
	return 0, nil, errf(404, "Not Found")
}

// orderView says which collections an order response inlines.
type orderView struct {
	lineItems, lineMods, lineDiscounts, discounts, serviceCharge bool
	payments, tender, cardTransaction, refunds                   bool
}

func listView(ex map[string]bool) orderView {
	return orderView{
		lineItems: ex["lineItems"], lineMods: ex["lineItems.modifications"], lineDiscounts: ex["lineItems.discounts"],
		discounts: ex["discounts"], serviceCharge: ex["serviceCharge"], payments: ex["payments"],
		tender: ex["payment.tender"], cardTransaction: ex["payment.cardTransaction"], refunds: ex["refunds"],
	}
}

// lineJSON renders one line item. Tax rates appear only where an operation
// documents them as an expansion (the line items operations), never on the
// orders operations.
func lineJSON(o *Order, li LineItem, mods, discounts, taxRates bool) map[string]any {
	l := map[string]any{"id": li.ID, "name": li.Name, "price": li.Price, "orderRef": map[string]any{"id": o.ID}}
	if li.ItemID != "" {
		l["item"] = map[string]any{"id": li.ItemID}
	}
	if li.UnitQty > 0 {
		l["unitQty"] = li.UnitQty
	}
	if li.Note != "" {
		l["note"] = li.Note
	}
	if mods {
		var ms []any
		for _, md := range li.Modifications {
			x := map[string]any{"id": md.ID, "name": md.Name, "amount": md.Amount}
			if md.ModifierID != "" {
				x["modifier"] = map[string]any{"id": md.ModifierID}
			}
			ms = append(ms, x)
		}
		l["modifications"] = wrap(ms)
	}
	if discounts {
		var ds []any
		for _, d := range li.Discounts {
			ds = append(ds, discountJSON(d))
		}
		l["discounts"] = wrap(ds)
	}
	if taxRates {
		var trs []any
		for _, r := range li.TaxRates {
			x := map[string]any{"id": r.ID, "name": r.Name, "rate": r.Rate, "isDefault": r.IsDefault}
			if r.TaxAmount != 0 {
				x["taxAmount"] = r.TaxAmount
			}
			trs = append(trs, x)
		}
		l["taxRates"] = wrap(trs)
	}
	return l
}

// paymentJSON renders one payment: the tender is a bare {id} unless
// expanded, and the card transaction appears only when expanded.
func paymentJSON(o *Order, p Payment, tender, card bool) map[string]any {
	x := map[string]any{"id": p.ID, "order": map[string]any{"id": o.ID}, "amount": p.Amount, "tipAmount": p.TipAmount,
		"taxAmount": p.TaxAmount, "result": p.Result, "createdTime": p.CreatedTime, "clientCreatedTime": p.CreatedTime,
		"modifiedTime": p.ModifiedTime, "tender": map[string]any{"id": tenderID(p.TenderLabelKey)}}
	if tender {
		x["tender"] = map[string]any{"id": tenderID(p.TenderLabelKey), "label": p.TenderLabel, "labelKey": p.TenderLabelKey}
	}
	if card && p.CardType != "" {
		x["cardTransaction"] = map[string]any{"cardType": p.CardType, "last4": p.Last4, "type": "AUTH", "entryType": "EMV_CONTACT"}
	}
	return x
}

// orderJSON renders o as Clover does, inlining only the collections v asks
// for.
func orderJSON(o *Order, v orderView) map[string]any {
	m := map[string]any{
		"id": o.ID, "currency": o.Currency, "total": o.Total, "state": o.State, "paymentState": o.PaymentState,
		"isVat": o.IsVat, "taxRemoved": o.TaxRemoved, "createdTime": o.CreatedTime, "clientCreatedTime": o.CreatedTime,
		"modifiedTime": o.ModifiedTime, "manualTransaction": false, "groupLineItems": true,
	}
	if o.Title != "" {
		m["title"] = o.Title
	}
	if o.Note != "" {
		m["note"] = o.Note
	}
	if v.lineItems {
		var lis []any
		for _, li := range o.LineItems {
			lis = append(lis, lineJSON(o, li, v.lineMods, v.lineDiscounts, false))
		}
		m["lineItems"] = wrap(lis)
	}
	if v.discounts {
		var ds []any
		for _, d := range o.Discounts {
			ds = append(ds, discountJSON(d))
		}
		m["discounts"] = wrap(ds)
	}
	if v.serviceCharge && o.ServiceCharge != nil {
		m["serviceCharge"] = map[string]any{"id": o.ServiceCharge.ID, "name": o.ServiceCharge.Name, "enabled": true,
			"percentageDecimal": o.ServiceCharge.PercentageDecimal}
	}
	if v.payments {
		var ps []any
		for _, p := range o.Payments {
			ps = append(ps, paymentJSON(o, p, v.tender, v.cardTransaction))
		}
		m["payments"] = wrap(ps)
	}
	if v.refunds {
		var rs []any
		for _, r := range o.Refunds {
			rs = append(rs, map[string]any{"id": r.ID, "amount": r.Amount, "taxAmount": r.TaxAmount, "tipAmount": r.TipAmount,
				"createdTime": r.CreatedTime, "payment": map[string]any{"id": r.PaymentID}, "orderRef": map[string]any{"id": o.ID}})
		}
		m["refunds"] = wrap(rs)
	}
	return m
}

// SeedDemoOrders seeds n varied paid orders ending now, for the demo.
func (s *Server) SeedDemoOrders(n int) []Order {
	tax := TaxRate{ID: "DEMOTAX000001", Name: "Sales tax", Rate: 887500}
	out := make([]Order, 0, n)
	now := s.now()
	for i := range n {
		o := Order{
			Title:       "#" + strconv.Itoa(100+i),
			CreatedTime: now.Add(-time.Duration(n-i) * time.Minute).UnixMilli(),
			LineItems: []LineItem{
				{Name: "Latte 12oz", Price: 450, TaxRates: []TaxRate{tax},
					Modifications: []Modification{{Name: "Oat milk", Amount: 75}}},
				{Name: "Croissant", Price: 325, TaxRates: []TaxRate{tax}},
			},
		}
		if i%3 == 1 {
			o.Discounts = []Discount{{Name: "Loyalty", Percentage: 10}}
		}
		total := ComputeTotals(&o).Total
		if i%2 == 0 {
			o.Payments = []Payment{Card(total, 100, "VISA", "4242")}
		} else {
			o.Payments = []Payment{Cash(total / 2), Card(total-total/2, 50, "MC", "5454")}
		}
		out = append(out, s.SeedOrder(o))
	}
	return out
}
