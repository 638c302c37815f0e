package squaretest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// OrderSpec describes an order to seed. The stand-in computes every amount
// the way Square reports it (line gross, per-line discounts and taxes, service
// charges with their taxes, tips from tenders, rounding) so that the totals
// an adapter reads are Square-shaped and self-consistent.
type OrderSpec struct {
	ID             string    // default: generated
	LocationID     string    // default: the first location
	State          string    // OPEN, COMPLETED (default), CANCELED, DRAFT
	Currency       string    // default USD
	CreatedAt      time.Time // default: now
	UpdatedAt      time.Time // default: CreatedAt
	ReferenceID    string
	Lines          []LineSpec
	Discounts      []DiscountSpec
	Taxes          []TaxSpec
	ServiceCharges []ServiceChargeSpec
	Tenders        []TenderSpec
	Rounding       int64 // rounding_adjustment amount (cash rounding)
}

// LineSpec is one line item.
type LineSpec struct {
	Name, VariationName string
	CatalogObjectID     string
	Quantity            string // decimal string, default "1"
	Price               int64  // base_price_money
	Modifiers           []ModifierSpec
	Note                string
}

// ModifierSpec is one modifier on a line (quantity per unit of the line).
type ModifierSpec struct {
	Name            string
	CatalogObjectID string
	Quantity        string // default "1"
	Price           int64
}

// DiscountSpec is a discount: a percentage or a fixed amount, on the whole
// order (Lines nil; a fixed amount is apportioned by line gross) or on the
// listed lines (indexes into Lines).
type DiscountSpec struct {
	Name       string
	Percentage string
	Amount     int64
	Lines      []int
}

// TaxSpec is an order-scoped tax applied to every line (and to taxable
// service charges).
type TaxSpec struct {
	Name       string
	Percentage string
	Inclusive  bool
}

// ServiceChargeSpec is a subtotal-phase service charge: a fixed amount or a
// percentage of the discounted subtotal.
type ServiceChargeSpec struct {
	Name       string
	Amount     int64
	Percentage string
	Taxable    bool
}

// TenderSpec is one (split) payment. Amount excludes the tip; 0 on the last
// tender means "the rest".
type TenderSpec struct {
	Type          string // CARD (default), CASH, SQUARE_GIFT_CARD, WALLET, ...
	Amount        int64
	Tip           int64
	CardBrand     string // default VISA for cards
	Last4         string // default 1111 for cards
	NoCardDetails bool   // omit card details from the tender (the Payment still has them)
	NoPayment     bool   // no Payment object behind the tender
}

func (s *Server) nextSeq(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%018d", prefix, s.seq)
}

func dec(s, def string) decimal.Decimal {
	if s == "" {
		s = def
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		panic(fmt.Sprintf("squaretest: bad decimal %q", s))
	}
	return d
}

func roundMinor(d decimal.Decimal) int64 { return d.Round(0).IntPart() }

// SeedOrder stores an order computed from spec and returns it. Panics on a
// malformed spec (it is test input).
func (s *Server) SeedOrder(spec OrderSpec) Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := spec.Currency
	if cur == "" {
		cur = "USD"
	}
	m := func(a int64) *Money { return &Money{Amount: a, Currency: cur} }
	if spec.ID == "" {
		spec.ID = s.nextSeq("ORD")
	}
	if spec.LocationID == "" {
		spec.LocationID = s.locations[0]
	}
	if spec.State == "" {
		spec.State = "COMPLETED"
	}
	if spec.CreatedAt.IsZero() {
		spec.CreatedAt = s.now()
	}
	if spec.UpdatedAt.IsZero() {
		spec.UpdatedAt = spec.CreatedAt
	}
	o := Order{ID: spec.ID, LocationID: spec.LocationID, ReferenceID: spec.ReferenceID, State: spec.State, Version: 1,
		CreatedAt: stamp(spec.CreatedAt), UpdatedAt: stamp(spec.UpdatedAt), Source: &OrderSource{Name: "Square Point of Sale"}}
	if spec.State == "COMPLETED" || spec.State == "CANCELED" {
		o.ClosedAt = o.UpdatedAt
	}
	n := len(spec.Lines)
	gross := make([]int64, n)
	net := make([]int64, n)
	for i, ls := range spec.Lines {
		q := dec(ls.Quantity, "1")
		li := LineItem{UID: fmt.Sprintf("li-%s-%d", o.ID, i+1), Name: ls.Name, VariationName: ls.VariationName,
			Quantity: q.String(), CatalogObjectID: ls.CatalogObjectID, Note: ls.Note, ItemType: "ITEM",
			BasePriceMoney: m(ls.Price)}
		vt := roundMinor(decimal.NewFromInt(ls.Price).Mul(q))
		li.VariationTotalPriceMoney = m(vt)
		g := vt
		for j, ms := range ls.Modifiers {
			mq := dec(ms.Quantity, "1")
			tot := roundMinor(decimal.NewFromInt(ms.Price).Mul(mq).Mul(q))
			li.Modifiers = append(li.Modifiers, LineItemModifier{UID: fmt.Sprintf("%s-m%d", li.UID, j+1),
				CatalogObjectID: ms.CatalogObjectID, Name: ms.Name, Quantity: mq.String(),
				BasePriceMoney: m(ms.Price), TotalPriceMoney: m(tot)})
			g += tot
		}
		gross[i], net[i] = g, g
		li.GrossSalesMoney = m(g)
		o.LineItems = append(o.LineItems, li)
	}
	var grossSum int64
	for _, g := range gross {
		grossSum += g
	}
	// Discounts, applied per line.
	lineDisc := make([]int64, n)
	var discTotal int64
	for k, ds := range spec.Discounts {
		d := OrderDiscount{UID: fmt.Sprintf("disc-%s-%d", o.ID, k+1), Name: ds.Name, Scope: "ORDER"}
		targets := ds.Lines
		if targets != nil {
			d.Scope = "LINE_ITEM"
		} else {
			for i := range spec.Lines {
				targets = append(targets, i)
			}
		}
		applied := make([]int64, n)
		switch {
		case ds.Percentage != "":
			d.Type, d.Percentage = "FIXED_PERCENTAGE", ds.Percentage
			p := dec(ds.Percentage, "0")
			for _, i := range targets {
				applied[i] = roundMinor(decimal.NewFromInt(gross[i]).Mul(p).Div(decimal.NewFromInt(100)))
			}
		case d.Scope == "LINE_ITEM":
			d.Type, d.AmountMoney = "FIXED_AMOUNT", m(ds.Amount)
			for _, i := range targets {
				applied[i] = min(ds.Amount, net[i])
			}
		default: // order-level fixed amount, apportioned by gross
			d.Type, d.AmountMoney = "FIXED_AMOUNT", m(ds.Amount)
			left := min(ds.Amount, grossSum)
			for idx, i := range targets {
				share := left
				if idx < len(targets)-1 && grossSum > 0 {
					share = min(left, ds.Amount*gross[i]/grossSum)
				}
				applied[i] = min(share, net[i])
				left -= applied[i]
			}
		}
		var sum int64
		for _, i := range targets {
			if applied[i] == 0 {
				continue
			}
			net[i] -= applied[i]
			lineDisc[i] += applied[i]
			sum += applied[i]
			o.LineItems[i].AppliedDiscounts = append(o.LineItems[i].AppliedDiscounts, AppliedDiscount{
				UID: fmt.Sprintf("%s-%s", o.LineItems[i].UID, d.UID), DiscountUID: d.UID, AppliedMoney: m(applied[i])})
		}
		d.AppliedMoney = m(sum)
		discTotal += sum
		o.Discounts = append(o.Discounts, d)
	}
	var netSum int64
	for _, v := range net {
		netSum += v
	}
	// Service charges (subtotal phase).
	for k, ss := range spec.ServiceCharges {
		amt := ss.Amount
		sc := ServiceCharge{UID: fmt.Sprintf("sc-%s-%d", o.ID, k+1), Name: ss.Name, CalculationPhase: "SUBTOTAL_PHASE",
			Taxable: ss.Taxable, Type: "CUSTOM", TreatmentType: "LINE_ITEM_TREATMENT", Scope: "ORDER"}
		if ss.Percentage != "" {
			sc.Percentage = ss.Percentage
			amt = roundMinor(decimal.NewFromInt(netSum).Mul(dec(ss.Percentage, "0")).Div(decimal.NewFromInt(100)))
		} else {
			sc.AmountMoney = m(amt)
		}
		sc.AppliedMoney = m(amt)
		o.ServiceCharges = append(o.ServiceCharges, sc)
	}
	// Taxes, per line and per taxable service charge.
	lineTax := make([]int64, n)
	lineAdd := make([]int64, n)
	scTax := make([]int64, len(o.ServiceCharges))
	scAdd := make([]int64, len(o.ServiceCharges))
	var taxTotal int64
	for k, ts := range spec.Taxes {
		t := OrderTax{UID: fmt.Sprintf("tax-%s-%d", o.ID, k+1), Name: ts.Name, Type: "ADDITIVE", Percentage: ts.Percentage, Scope: "ORDER"}
		if ts.Inclusive {
			t.Type = "INCLUSIVE"
		}
		p := dec(ts.Percentage, "0")
		taxOf := func(base int64) int64 {
			b := decimal.NewFromInt(base)
			if ts.Inclusive {
				return roundMinor(b.Mul(p).Div(p.Add(decimal.NewFromInt(100))))
			}
			return roundMinor(b.Mul(p).Div(decimal.NewFromInt(100)))
		}
		var sum int64
		for i := range o.LineItems {
			a := taxOf(net[i])
			lineTax[i] += a
			if !ts.Inclusive {
				lineAdd[i] += a
			}
			sum += a
			o.LineItems[i].AppliedTaxes = append(o.LineItems[i].AppliedTaxes, AppliedTax{
				UID: fmt.Sprintf("%s-%s", o.LineItems[i].UID, t.UID), TaxUID: t.UID, AppliedMoney: m(a)})
		}
		for j := range o.ServiceCharges {
			if !o.ServiceCharges[j].Taxable {
				continue
			}
			a := taxOf(o.ServiceCharges[j].AppliedMoney.Amount)
			scTax[j] += a
			if !ts.Inclusive {
				scAdd[j] += a
			}
			sum += a
			o.ServiceCharges[j].AppliedTaxes = append(o.ServiceCharges[j].AppliedTaxes, AppliedTax{
				UID: fmt.Sprintf("%s-%s", o.ServiceCharges[j].UID, t.UID), TaxUID: t.UID, AppliedMoney: m(a)})
		}
		t.AppliedMoney = m(sum)
		taxTotal += sum
		o.Taxes = append(o.Taxes, t)
	}
	var total, scTotal int64
	for i := range o.LineItems {
		li := &o.LineItems[i]
		li.TotalDiscountMoney, li.TotalTaxMoney = m(lineDisc[i]), m(lineTax[i])
		li.TotalMoney = m(net[i] + lineAdd[i])
		li.TotalServiceChargeMoney = m(0)
		total += net[i] + lineAdd[i]
	}
	for j := range o.ServiceCharges {
		sc := &o.ServiceCharges[j]
		sc.TotalTaxMoney = m(scTax[j])
		sc.TotalMoney = m(sc.AppliedMoney.Amount + scAdd[j])
		total += sc.TotalMoney.Amount
		scTotal += sc.AppliedMoney.Amount
	}
	var tips int64
	for _, ts := range spec.Tenders {
		tips += ts.Tip
	}
	total += tips + spec.Rounding
	if spec.Rounding != 0 {
		o.RoundingAdjustment = &RoundingAdjustment{UID: "rounding-" + o.ID, Name: "Cash rounding", AmountMoney: m(spec.Rounding)}
	}
	o.TotalMoney, o.TotalTaxMoney, o.TotalDiscountMoney = m(total), m(taxTotal), m(discTotal)
	o.TotalTipMoney, o.TotalServiceChargeMoney = m(tips), m(scTotal)
	o.NetAmounts = &MoneyAmounts{TotalMoney: m(total), TaxMoney: m(taxTotal), DiscountMoney: m(discTotal),
		TipMoney: m(tips), ServiceChargeMoney: m(scTotal)}
	// Tenders: amount_money includes the tip.
	paid := int64(0)
	for k, ts := range spec.Tenders {
		amt := ts.Amount
		if amt == 0 && k == len(spec.Tenders)-1 {
			amt = total - tips - paid
		}
		paid += amt
		if ts.Type == "" {
			ts.Type = "CARD"
		}
		t := Tender{ID: fmt.Sprintf("TND%s%d", o.ID, k+1), LocationID: o.LocationID, TransactionID: o.ID,
			CreatedAt: o.UpdatedAt, Type: ts.Type, AmountMoney: m(amt + ts.Tip)}
		if ts.Tip != 0 {
			t.TipMoney = m(ts.Tip)
		}
		var c *Card
		switch ts.Type {
		case "CARD", "SQUARE_GIFT_CARD":
			c = &Card{CardBrand: ts.CardBrand, Last4: ts.Last4}
			if c.CardBrand == "" {
				c.CardBrand = "VISA"
				if ts.Type == "SQUARE_GIFT_CARD" {
					c.CardBrand = "SQUARE_GIFT_CARD"
				}
			}
			if c.Last4 == "" {
				c.Last4 = "1111"
			}
			if !ts.NoCardDetails {
				t.CardDetails = &TenderCardDetails{Status: "CAPTURED", Card: c, EntryMethod: "EMV"}
			}
		case "CASH":
			t.CashDetails = &TenderCashDetails{BuyerTenderedMoney: m(amt + ts.Tip), ChangeBackMoney: m(0)}
		}
		if !ts.NoPayment && ts.Type != "NO_SALE" {
			p := &Payment{ID: fmt.Sprintf("PAY%s%d", o.ID, k+1), CreatedAt: o.UpdatedAt, UpdatedAt: o.UpdatedAt,
				AmountMoney: m(amt), TotalMoney: m(amt + ts.Tip), Status: "COMPLETED", SourceType: paymentSourceType(ts.Type),
				LocationID: o.LocationID, OrderID: o.ID, VersionToken: "v1"}
			if ts.Tip != 0 {
				p.TipMoney = m(ts.Tip)
			}
			if c != nil {
				p.CardDetails = &CardPaymentDetails{Status: "CAPTURED", Card: c, EntryMethod: "EMV"}
			}
			s.payments[p.ID] = p
			t.PaymentID = p.ID
		}
		o.Tenders = append(o.Tenders, t)
	}
	o.NetAmountDueMoney = m(max(0, total-paid-tips))
	s.orders[o.ID] = &o
	return o
}

func paymentSourceType(tenderType string) string {
	switch tenderType {
	case "CARD", "SQUARE_GIFT_CARD":
		return "CARD"
	case "CASH":
		return "CASH"
	case "WALLET":
		return "WALLET"
	case "BANK_ACCOUNT":
		return "BANK_ACCOUNT"
	default:
		return "EXTERNAL"
	}
}

// UpdateOrder applies fn to a stored order and bumps its version and
// updated_at (to at, or now when at is zero), as any change in Square
// would.
func (s *Server) UpdateOrder(id string, at time.Time, fn func(*Order)) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	c := *o
	if fn != nil {
		fn(&c)
	}
	if at.IsZero() {
		at = s.now()
	}
	c.Version++
	c.UpdatedAt = stamp(at)
	s.orders[id] = &c
	return c, true
}

// UpdatePayment applies fn to a stored payment and sets its updated_at (to
// at, or now when at is zero).
func (s *Server) UpdatePayment(id string, at time.Time, fn func(*Payment)) (Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return Payment{}, false
	}
	c := *p
	if fn != nil {
		fn(&c)
	}
	if at.IsZero() {
		at = s.now()
	}
	c.UpdatedAt = stamp(at)
	s.payments[id] = &c
	return c, true
}

// PutOrder stores an order exactly as given (for hand-written fixtures).
func (s *Server) PutOrder(o Order) {
	s.mu.Lock()
	s.orders[o.ID] = &o
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

// Payment returns a stored payment.
func (s *Server) Payment(id string) (Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return Payment{}, false
	}
	return *p, true
}

// --- pagination ---

type cursorState struct {
	Scope  string `json:"s"`
	Offset int    `json:"o"`
}

var errBadCursor = errors.New("cursor does not belong to this query")

// paginate returns the page of ids at cursor and the next cursor. scope
// ties a cursor to its query: Square requires the same query on every page.
func paginate(ids []string, cursor, scope string, limit int) ([]string, string, error) {
	off := 0
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		var c cursorState
		if err != nil || json.Unmarshal(b, &c) != nil || c.Scope != scope || c.Offset < 0 {
			return nil, "", errBadCursor
		}
		off = c.Offset
	}
	if off > len(ids) {
		off = len(ids)
	}
	end := min(off+limit, len(ids))
	next := ""
	if end < len(ids) {
		b, _ := json.Marshal(cursorState{Scope: scope, Offset: end})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	return ids[off:end], next, nil
}

func fingerprint(v any) string {
	b, _ := json.Marshal(v)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

func parseStamp(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// --- handlers ---

type timeRange struct {
	StartAt string `json:"start_at,omitempty"`
	EndAt   string `json:"end_at,omitempty"`
}

func inRange(ts string, r *timeRange) (bool, error) {
	if r == nil {
		return true, nil
	}
	t, err := parseStamp(ts)
	if err != nil {
		return false, nil
	}
	if r.StartAt != "" {
		st, err := parseStamp(r.StartAt)
		if err != nil {
			return false, err
		}
		if t.Before(st) {
			return false, nil
		}
	}
	if r.EndAt != "" {
		en, err := parseStamp(r.EndAt)
		if err != nil {
			return false, err
		}
		if !t.Before(en) {
			return false, nil
		}
	}
	return true, nil
}

// searchOrders implements POST /v2/orders/search: location_ids (1..10),
// state and updated_at/created_at/closed_at filters, sort (whose field
// must match the date filter), limit (default 500, max 1000) and cursors
// bound to the query.
func (s *Server) searchOrders(w http.ResponseWriter, r *http.Request) {
	var req struct {
		LocationIDs []string `json:"location_ids"`
		Cursor      string   `json:"cursor"`
		Limit       int      `json:"limit"`
		Query       *struct {
			Filter *struct {
				StateFilter *struct {
					States []string `json:"states"`
				} `json:"state_filter"`
				DateTimeFilter *struct {
					CreatedAt *timeRange `json:"created_at"`
					UpdatedAt *timeRange `json:"updated_at"`
					ClosedAt  *timeRange `json:"closed_at"`
				} `json:"date_time_filter"`
			} `json:"filter"`
			Sort *struct {
				SortField string `json:"sort_field"`
				SortOrder string `json:"sort_order"`
			} `json:"sort"`
		} `json:"query"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.LocationIDs) == 0 || len(req.LocationIDs) > 10 {
		writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "INVALID_VALUE",
			Field: "location_ids", Detail: "between 1 and 10 location ids are required"})
		return
	}
	limit := req.Limit
	if limit == 0 {
		limit = 500
	}
	if limit < 1 || limit > 1000 {
		writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "INVALID_VALUE", Field: "limit",
			Detail: "limit must be between 1 and 1000"})
		return
	}
	sortField, sortOrder := "CREATED_AT", "DESC"
	states := map[string]bool{}
	var created, updated, closed *timeRange
	if q := req.Query; q != nil {
		if q.Sort != nil {
			sortField = q.Sort.SortField
			if q.Sort.SortOrder != "" {
				sortOrder = q.Sort.SortOrder
			}
		}
		if f := q.Filter; f != nil {
			if f.StateFilter != nil {
				for _, st := range f.StateFilter.States {
					states[st] = true
				}
			}
			if d := f.DateTimeFilter; d != nil {
				created, updated, closed = d.CreatedAt, d.UpdatedAt, d.ClosedAt
			}
		}
	}
	want := map[*timeRange]string{created: "CREATED_AT", updated: "UPDATED_AT", closed: "CLOSED_AT"}
	for tr, field := range want {
		if tr != nil && field != sortField {
			writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "INVALID_VALUE",
				Field: "query.sort.sort_field", Detail: "sort_field must match the date_time_filter field " + field})
			return
		}
	}
	locs := map[string]bool{}
	for _, l := range req.LocationIDs {
		locs[l] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type keyed struct {
		id, key string
	}
	var hits []keyed
	for id, o := range s.orders {
		if !locs[o.LocationID] || (len(states) > 0 && !states[o.State]) {
			continue
		}
		ok := true
		for _, c := range []struct {
			ts string
			tr *timeRange
		}{{o.CreatedAt, created}, {o.UpdatedAt, updated}, {o.ClosedAt, closed}} {
			in, err := inRange(c.ts, c.tr)
			if err != nil {
				writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "INVALID_TIME_RANGE", err.Error())
				return
			}
			ok = ok && in
		}
		if !ok {
			continue
		}
		key := o.CreatedAt
		switch sortField {
		case "UPDATED_AT":
			key = o.UpdatedAt
		case "CLOSED_AT":
			key = o.ClosedAt
		}
		hits = append(hits, keyed{id, key})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].key != hits[j].key {
			if sortOrder == "DESC" {
				return hits[i].key > hits[j].key
			}
			return hits[i].key < hits[j].key
		}
		return hits[i].id < hits[j].id
	})
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	scope := fingerprint([]any{req.LocationIDs, req.Query, req.Limit})
	page, next, err := paginate(ids, req.Cursor, scope, limit)
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "INVALID_CURSOR", err.Error())
		return
	}
	orders := []Order{}
	for _, id := range page {
		orders = append(orders, *s.orders[id])
	}
	resp := map[string]any{"orders": orders}
	if next != "" {
		resp["cursor"] = next
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) batchRetrieveOrders(w http.ResponseWriter, r *http.Request) {
	var req struct {
		LocationID string   `json:"location_id"`
		OrderIDs   []string `json:"order_ids"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.OrderIDs) == 0 || len(req.OrderIDs) > 100 {
		writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "INVALID_VALUE",
			Field: "order_ids", Detail: "between 1 and 100 order ids are required"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	orders := []Order{}
	for _, id := range req.OrderIDs {
		if o, ok := s.orders[id]; ok {
			orders = append(orders, *o)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"orders": orders})
}

func (s *Server) retrieveOrder(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("order_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		writeError(w, http.StatusNotFound, "INVALID_REQUEST_ERROR", "NOT_FOUND", "order "+id+" not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": o})
}

// listPayments implements GET /v2/payments with location_id (default: the
// main location), begin/end_time (created_at), updated_at_begin/end_time,
// sort_field, sort_order (default DESC), limit (max 100) and cursor.
func (s *Server) listPayments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	loc := q.Get("location_id")
	if loc == "" {
		loc = s.locations[0]
	}
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "INVALID_VALUE", Field: "limit"})
			return
		}
		limit = min(n, 100)
	}
	created := &timeRange{StartAt: q.Get("begin_time"), EndAt: q.Get("end_time")}
	updated := &timeRange{StartAt: q.Get("updated_at_begin_time"), EndAt: q.Get("updated_at_end_time")}
	field, order := q.Get("sort_field"), q.Get("sort_order")
	if field == "" {
		field = "CREATED_AT"
	}
	if order == "" {
		order = "DESC"
	}
	if order != "ASC" && order != "DESC" {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "INVALID_SORT_ORDER", "sort_order must be ASC or DESC")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type keyed struct{ id, key string }
	var hits []keyed
	for id, p := range s.payments {
		if p.LocationID != loc {
			continue
		}
		a, err1 := inRange(p.CreatedAt, created)
		b, err2 := inRange(p.UpdatedAt, updated)
		if err := errors.Join(err1, err2); err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "INVALID_TIME_RANGE", err.Error())
			return
		}
		if !a || !b {
			continue
		}
		key := p.CreatedAt
		if field == "UPDATED_AT" {
			key = p.UpdatedAt
		}
		hits = append(hits, keyed{id, key})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].key != hits[j].key {
			if order == "DESC" {
				return hits[i].key > hits[j].key
			}
			return hits[i].key < hits[j].key
		}
		return hits[i].id < hits[j].id
	})
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	scope := maps.Clone(q)
	scope.Del("cursor")
	page, next, err := paginate(ids, q.Get("cursor"), fingerprint(scope.Encode()), limit)
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "INVALID_CURSOR", err.Error())
		return
	}
	pays := []Payment{}
	for _, id := range page {
		pays = append(pays, *s.payments[id])
	}
	resp := map[string]any{"payments": pays}
	if next != "" {
		resp["cursor"] = next
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getPayment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("payment_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		writeError(w, http.StatusNotFound, "INVALID_REQUEST_ERROR", "NOT_FOUND", "payment "+id+" not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"payment": p})
}
