package lightspeedtest

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/shopspring/decimal"
)

// Sale creation, following CreateSale (POST /sales) of the X-Series API
// 2026-07 OpenAPI description (SaleRequest, read 2026-12-03 from the mirror
// named in the package doc): source.author_id and state are required; a
// line needs product.id, quantity, pricing.price and tax{id, amount}; a
// payment needs amount and type.config_id; the optional top-level id is a
// "user-provided sale ID" (uuid), and source.id the sale's id in the system
// it came from; pricing.adjustments may carry a TIP (SaleAdjustment:
// type, name, amount{type FIXED|PERCENT, value}). The answer is
// {"data": Sale}. Returns: see return.go.

type saleIn struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Note   string `json:"note"`
	Source *struct {
		AuthorID   string `json:"author_id"`
		ID         string `json:"id"`
		RegisterID string `json:"register_id"`
		Type       string `json:"type"`
	} `json:"source"`
	Pricing *struct {
		Adjustments []struct {
			Type   string `json:"type"`
			Name   string `json:"name"`
			Amount *struct {
				Type  string `json:"type"`
				Value string `json:"value"`
			} `json:"amount"`
		} `json:"adjustments"`
	} `json:"pricing"`
	LineItems []struct {
		ID      string `json:"id"`
		Product *struct {
			ID string `json:"id"`
		} `json:"product"`
		Quantity *decimal.Decimal `json:"quantity"`
		Pricing  *struct {
			Price *decimal.Decimal `json:"price"`
		} `json:"pricing"`
		Tax *struct {
			ID     string           `json:"id"`
			Amount *decimal.Decimal `json:"amount"`
		} `json:"tax"`
		Attributes []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"attributes"`
	} `json:"line_items"`
	Payments []struct {
		ID     string           `json:"id"`
		Amount *decimal.Decimal `json:"amount"`
		Type   *struct {
			ConfigID string `json:"config_id"`
		} `json:"type"`
	} `json:"payments"`
}

// LoseNextSaleAnswer makes the next POST /sales store the sale and answer
// 502, as when the answer is lost on the way back.
func (s *Server) LoseNextSaleAnswer() {
	s.mu.Lock()
	s.loseSale = true
	s.mu.Unlock()
}

func (s *Server) createSale(w http.ResponseWriter, body []byte) {
	var in saleIn
	if err := decodeStrict(body, &in); err != nil {
		writeJSON(w, 422, map[string]string{"error": "invalid sale: " + err.Error()})
		return
	}
	bad := func(msg string) { writeJSON(w, 422, map[string]string{"error": msg}) }
	if msg := numbersAreNumbers(body); msg != "" {
		bad(msg)
		return
	}
	switch {
	case in.Source == nil || in.Source.AuthorID == "":
		bad("source.author_id is required")
		return
	case in.State != "parked" && in.State != "pending" && in.State != "voided" && in.State != "closed":
		bad("state must be one of parked, pending, voided, closed")
		return
	}
	_, exists := s.sales[in.ID] // ServeHTTP holds s.mu
	if in.ID != "" && exists {
		bad("a sale with id " + in.ID + " already exists")
		return
	}
	var lines []map[string]any
	total, tax := decimal.Zero, decimal.Zero
	for i, l := range in.LineItems {
		if l.Product == nil || l.Quantity == nil || l.Pricing == nil || l.Pricing.Price == nil || l.Tax == nil || l.Tax.Amount == nil || l.Tax.ID == "" {
			bad("line_items: product, quantity, pricing.price and tax{id, amount} are required")
			return
		}
		_, ok := s.products[l.Product.ID]
		if !ok {
			bad("line_items: product " + l.Product.ID + " not found")
			return
		}
		q, p, t := *l.Quantity, *l.Pricing.Price, *l.Tax.Amount
		line := map[string]any{
			"id": s.newID(), "product": map[string]any{"id": l.Product.ID}, "quantity": num(q),
			"pricing": map[string]any{"price": num(p), "discount": num(decimal.Zero), "discount_total": num(decimal.Zero), "total": num(p.Mul(q))},
			"tax":     map[string]any{"id": l.Tax.ID, "amount": num(t), "total": num(t.Mul(q))},
			"return":  map[string]any{"is_return": q.IsNegative()}, "_metadata": map[string]any{"sequence": i},
		}
		for _, a := range l.Attributes {
			if a.Name == "line_note" {
				line["note"] = a.Value
			}
		}
		lines = append(lines, line)
		total, tax = total.Add(p.Mul(q)), tax.Add(t.Mul(q))
	}
	var pays []map[string]any
	for _, p := range in.Payments {
		if p.Amount == nil || p.Type == nil || p.Type.ConfigID == "" {
			bad("payments: amount and type.config_id are required")
			return
		}
		pays = append(pays, map[string]any{"id": s.newID(), "amount": num(*p.Amount), "type": map[string]any{"config_id": p.Type.ConfigID}})
	}
	adjs, msg := adjustments(in)
	if msg != "" {
		bad(msg)
		return
	}
	sale := map[string]any{
		"state": in.State, "note": in.Note, "line_items": lines, "payments": pays,
		"source": map[string]any{"id": in.Source.ID, "type": in.Source.Type, "register_id": in.Source.RegisterID},
		"totals": map[string]any{"price": num(total), "tax": num(tax), "price_incl_tax": num(total.Add(tax))},
		"return": map[string]any{"is_return": false},
		"date":   "2026-11-02T09:30:00Z",
	}
	if in.Source.RegisterID == "" {
		delete(sale["source"].(map[string]any), "register_id")
	}
	if len(adjs) > 0 {
		sale["adjustments"] = adjs
	}
	b, _ := json.Marshal(sale) // stored as plain JSON types, as store does
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var clean map[string]any
	_ = d.Decode(&clean)
	id := in.ID
	if id == "" {
		id = s.newID()
	}
	s.version++
	s.sales[id] = &storedSale{id: id, version: s.version, body: clean}
	lose := s.loseSale
	s.loseSale = false
	ss := s.sales[id].render()
	if lose {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "Bad Gateway"})
		return
	}
	writeJSON(w, 200, map[string]any{"data": ss})
}

// SalesBySource returns the ids of the stored sales whose source.id is sourceID.
func (s *Server) SalesBySource(sourceID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, ss := range s.sales {
		if src, ok := ss.body["source"].(map[string]any); ok && src["id"] == sourceID {
			out = append(out, id)
		}
	}
	return out
}

// Ids the stand-in's retailer has for injected sales: a cashier, the
// "No Tax" tax and two payment types.
const (
	InjectUserID          = "0adaafb3-6583-11e5-fb60-4ad1e7bf6e35"
	InjectNoTaxID         = "0adaafb3-6583-11e5-fb60-4ad1e7cd9f10"
	InjectPaymentTypeID   = "0adaafb3-6583-11e5-fb60-4ad1e7d1a111"
	InjectCashPaymentType = "0adaafb3-6583-11e5-fb60-4ad1e7d1a222"
)

// InjectSettings are the adapter settings order injection needs, for this
// stand-in.
func InjectSettings() map[string]string {
	return map[string]string{"inject_user_id": InjectUserID, "inject_tax_id": InjectNoTaxID,
		"inject_payment_type_id": InjectPaymentTypeID, "inject_cash_payment_type_id": InjectCashPaymentType}
}
