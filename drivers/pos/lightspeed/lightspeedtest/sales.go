package lightspeedtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// SaleSpec describes a sale to seed; SeedSale computes the line and sale
// totals the way X-Series reports them (tax-exclusive amounts with up to 5
// decimals) and stores the sale in the API 2026-07 Sale shape (see the
// package doc).
type SaleSpec struct {
	ID            string    // generated when empty
	State         string    // closed (default), parked, pending, voided
	Date          time.Time // default 2026-11-02T09:30:00Z
	ReceiptNumber string
	Note          string
	ReturnFor     string // original sale id of a return
	OutletID      string
	Lines         []LineSpec
	Payments      []PaymentSpec
	Tip           string // a TIP adjustment (paid on top of the sale total)
}

// LineSpec is one line: unit amounts exclusive of tax.
type LineSpec struct {
	ProductID    string
	Quantity     string // "1"; negative for returned items
	UnitPrice    string // retail unit price before discount, excl. tax
	UnitDiscount string // unit discount, excl. tax
	TaxRate      string // e.g. "0.15"
	TaxID        string // default "tax-gst"
	Status       string // e.g. VOIDED
	Note         string
}

// PaymentSpec is one payment; an empty Amount pays what is left.
type PaymentSpec struct {
	Type   string // payment type name: Cash, Credit Card, Gift Card...
	Amount string
}

func dec(s string) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		panic(fmt.Sprintf("lightspeedtest: bad decimal %q", s))
	}
	return d
}

// num renders a decimal as a JSON number.
func num(d decimal.Decimal) json.Number { return json.Number(d.String()) }

// SeedSale stores a sale built from spec with a new version and returns
// its id.
func (s *Server) SeedSale(spec SaleSpec) string {
	if spec.Date.IsZero() {
		spec.Date = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	}
	if spec.State == "" {
		spec.State = "closed"
	}
	var lines []map[string]any
	var totPrice, totTax decimal.Decimal
	taxByID := map[string]decimal.Decimal{}
	var taxOrder []string
	for i, l := range spec.Lines {
		q := dec(l.Quantity)
		if l.Quantity == "" {
			q = decimal.NewFromInt(1)
		}
		disc := dec(l.UnitDiscount)
		price := dec(l.UnitPrice).Sub(disc)
		unitTax := price.Mul(dec(l.TaxRate)).Round(5)
		priceTotal := price.Mul(q).Round(5)
		taxTotal := unitTax.Mul(q).Round(5)
		taxID := l.TaxID
		if taxID == "" {
			taxID = "tax-gst"
		}
		status := l.Status
		if status == "" {
			status = "CONFIRMED"
		}
		// The 2026-07 SaleResponseLineItem: product{id}, pricing{price
		// (unit, after discount, excl. tax), discount, discount_total,
		// total}, tax{id, amount (unit), total}, return{is_return},
		// _metadata{sequence, tax_components}.
		line := map[string]any{
			"id": fmt.Sprintf("line-%d", i+1), "product": map[string]any{"id": l.ProductID}, "quantity": num(q),
			"pricing": map[string]any{"price": num(price), "discount": num(disc),
				"discount_total": num(disc.Mul(q).Round(5)), "total": num(priceTotal)},
			"tax":    map[string]any{"id": taxID, "amount": num(unitTax), "total": num(taxTotal)},
			"return": map[string]any{"is_return": q.IsNegative()},
			"status": status,
			"_metadata": map[string]any{"sequence": i,
				"tax_components": []map[string]any{{"rate_id": taxID, "total_tax": num(taxTotal)}}},
		}
		if l.Note != "" {
			line["note"] = l.Note
		}
		lines = append(lines, line)
		if status == "VOIDED" {
			continue
		}
		totPrice, totTax = totPrice.Add(priceTotal), totTax.Add(taxTotal)
		if _, ok := taxByID[taxID]; !ok {
			taxOrder = append(taxOrder, taxID)
		}
		taxByID[taxID] = taxByID[taxID].Add(taxTotal)
	}
	total := totPrice.Add(totTax)
	due := total.Add(dec(spec.Tip)).Round(2)
	var pays []map[string]any
	paid := decimal.Zero
	for i, p := range spec.Payments {
		amt := dec(p.Amount)
		if p.Amount == "" {
			amt = due.Sub(paid)
		}
		paid = paid.Add(amt)
		pays = append(pays, map[string]any{
			"id": fmt.Sprintf("pay-%d", i+1), "amount": num(amt), "date": spec.Date.Format(time.RFC3339),
			"type": map[string]any{"id": "pt-" + strconv.Itoa(i+1), "name": p.Type},
		})
	}
	var taxes []map[string]any
	for _, id := range taxOrder {
		taxes = append(taxes, map[string]any{"id": id, "tax": num(taxByID[id])})
	}
	body := map[string]any{
		"date": spec.Date.Format(time.RFC3339), "created_at": spec.Date.Format(time.RFC3339),
		"updated_at": spec.Date.Format(time.RFC3339), "state": spec.State, "note": spec.Note,
		"receipt_number": spec.ReceiptNumber, "source": map[string]any{"outlet_id": spec.OutletID},
		"line_items": lines, "payments": pays, "taxes": taxes,
		"totals": map[string]any{"price": num(totPrice), "tax": num(totTax), "price_incl_tax": num(total)},
	}
	if spec.ReturnFor != "" {
		body["return"] = map[string]any{"is_return": true, "original_sale_id": spec.ReturnFor}
	}
	if spec.Tip != "" {
		body["adjustments"] = []map[string]any{{"adjustment_type": "TIP", "name": "Tip", "total": num(dec(spec.Tip))}}
	}
	return s.store(spec.ID, body)
}

// SeedRawSale stores a sale given as JSON (fields as X-Series returns them;
// id and _metadata.version are assigned when absent or overwritten) and
// returns its id.
func (s *Server) SeedRawSale(raw []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return "", err
	}
	id, _ := body["id"].(string)
	delete(body, "version")
	if md, ok := body["_metadata"].(map[string]any); ok {
		delete(md, "version")
	}
	return s.store(id, body), nil
}

func (s *Server) store(id string, body map[string]any) string {
	// Round-trip through JSON so stored values are plain JSON types.
	b, _ := json.Marshal(body)
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var clean map[string]any
	d.Decode(&clean)
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		id = s.newID()
	}
	delete(clean, "id")
	s.version++
	s.sales[id] = &storedSale{id: id, version: s.version, body: clean}
	return id
}

// UpdateSale changes a stored sale and gives it a new version.
func (s *Server) UpdateSale(id string, change func(body map[string]any)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sales[id]
	if !ok {
		return false
	}
	change(ss.body)
	s.version++
	ss.version = s.version
	return true
}

// SaleVersion returns a stored sale's current version.
func (s *Server) SaleVersion(id string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sales[id]; ok {
		return ss.version
	}
	return 0
}

// SaleJSON returns a stored sale as GET /sales/{id} renders its data.
func (s *Server) SaleJSON(id string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sales[id]
	if !ok {
		return nil
	}
	b, _ := json.Marshal(ss.render())
	return b
}
