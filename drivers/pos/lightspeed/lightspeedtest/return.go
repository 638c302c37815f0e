package lightspeedtest

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/shopspring/decimal"
)

// Returns, following the X-Series API 2026-07 OpenAPI description (Sales
// tag, read 2026-12-03 from the mirror named in the package doc) and the
// "Returns" tutorial (x-series-api.lightspeedhq.com/docs/sales_returns):
//
//   - POST /sales/{id}/actions/return (initReturnSale) takes an existing
//     closed sale and answers {"data": Sale} with a new parked return sale:
//     every line of the original with a negative quantity, no payments,
//     return.is_return and return.original_sale_id; the original lists it
//     in return.return_sale_ids. As the 2026-07 changelog entry "Voiding of
//     other parked returns" says, other parked returns of the same sale are
//     voided.
//   - PUT /sales/{id} (UpdateSale, SaleUpdateRequest = SaleRequestBase:
//     state and source.author_id required; line items and payments as in
//     CreateSale, with their existing ids) updates the sale. Closing a
//     return needs refund payments (negative amounts) that add up to its
//     total.

// numbersAreNumbers refuses a sale body whose quantities, prices and
// amounts are not JSON numbers (the 2026-07 schemas type them number,
// double; a decimal string is not one).
func numbersAreNumbers(body []byte) string {
	var in struct {
		Lines []struct {
			Quantity any `json:"quantity"`
			Pricing  struct {
				Price any `json:"price"`
			} `json:"pricing"`
			Tax struct {
				Amount any `json:"amount"`
			} `json:"tax"`
		} `json:"line_items"`
		Payments []struct {
			Amount any `json:"amount"`
		} `json:"payments"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&in) != nil {
		return ""
	}
	isNum := func(v any) bool { _, ok := v.(json.Number); return v == nil || ok }
	for _, l := range in.Lines {
		if !isNum(l.Quantity) || !isNum(l.Pricing.Price) || !isNum(l.Tax.Amount) {
			return "line_items: quantity, pricing.price and tax.amount must be numbers"
		}
	}
	for _, p := range in.Payments {
		if !isNum(p.Amount) {
			return "payments: amount must be a number"
		}
	}
	return ""
}

// adjustments validates pricing.adjustments and renders them as
// SaleResponseAdjustment totals.
func adjustments(in saleIn) ([]map[string]any, string) {
	if in.Pricing == nil {
		return nil, ""
	}
	var out []map[string]any
	for _, a := range in.Pricing.Adjustments {
		switch {
		case a.Type != "TIP" && a.Type != "DISCOUNT" && a.Type != "NON_CASH_FEE":
			return nil, "pricing.adjustments: type must be NON_CASH_FEE, DISCOUNT or TIP"
		case a.Amount == nil || (a.Amount.Type != "FIXED" && a.Amount.Type != "PERCENT"):
			return nil, "pricing.adjustments: amount{type FIXED|PERCENT, value} is required"
		}
		v, err := decimal.NewFromString(a.Amount.Value)
		if err != nil {
			return nil, "pricing.adjustments: amount.value must be a decimal string"
		}
		if a.Amount.Type == "FIXED" {
			out = append(out, map[string]any{"adjustment_type": a.Type, "name": a.Name, "total": num(v)})
		}
	}
	return out, ""
}

func clean(v any) map[string]any {
	b, _ := json.Marshal(v)
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out map[string]any
	_ = d.Decode(&out)
	return out
}

func jdec(v any) decimal.Decimal {
	switch x := v.(type) {
	case json.Number:
		return dec(x.String())
	case string:
		return dec(x)
	case float64:
		return decimal.NewFromFloat(x)
	}
	return decimal.Zero
}

// initReturn serves POST /sales/{id}/actions/return (s.mu held).
func (s *Server) initReturn(w http.ResponseWriter, id string) {
	orig, ok := s.sales[id]
	if !ok {
		writeJSON(w, 404, map[string]string{"error": "Sale not found"})
		return
	}
	if orig.body["state"] != "closed" {
		writeJSON(w, 422, map[string]string{"error": "only a closed sale can be returned"})
		return
	}
	ret, _ := orig.body["return"].(map[string]any)
	if ret == nil {
		ret = map[string]any{}
		orig.body["return"] = ret
	}
	if ret["is_return"] == true {
		writeJSON(w, 422, map[string]string{"error": "a return cannot be returned"})
		return
	}
	var ids []any
	if prev, ok := ret["return_sale_ids"].([]any); ok {
		ids = prev
	}
	for _, rid := range ids {
		if r, ok := s.sales[rid.(string)]; ok && r.body["state"] == "parked" {
			r.body["state"] = "voided"
			s.version++
			r.version = s.version
		}
	}
	var lines []map[string]any
	total, tax := decimal.Zero, decimal.Zero
	src, _ := orig.body["line_items"].([]any)
	for i, x := range src {
		l, _ := x.(map[string]any)
		if l == nil || l["status"] == "VOIDED" {
			continue
		}
		q := jdec(l["quantity"]).Neg()
		pr, _ := l["pricing"].(map[string]any)
		tx, _ := l["tax"].(map[string]any)
		p, t := jdec(pr["price"]), jdec(tx["amount"])
		lines = append(lines, map[string]any{
			"id": s.newID(), "product": l["product"], "quantity": num(q),
			"pricing": map[string]any{"price": num(p), "discount": num(decimal.Zero), "discount_total": num(decimal.Zero), "total": num(p.Mul(q))},
			"tax":     map[string]any{"id": tx["id"], "amount": num(t), "total": num(t.Mul(q))},
			"return":  map[string]any{"is_return": true}, "_metadata": map[string]any{"sequence": i},
		})
		total, tax = total.Add(p.Mul(q)), tax.Add(t.Mul(q))
	}
	rid := s.newID()
	body := clean(map[string]any{
		"state": "parked", "note": "", "line_items": lines, "payments": []any{},
		"source": map[string]any{}, "date": "2026-11-02T09:30:00Z",
		"totals": map[string]any{"price": num(total), "tax": num(tax), "price_incl_tax": num(total.Add(tax))},
		"return": map[string]any{"is_return": true, "original_sale_id": id},
	})
	s.version++
	s.sales[rid] = &storedSale{id: rid, version: s.version, body: body}
	ret["return_sale_ids"] = append(ids, rid)
	s.version++
	orig.version = s.version
	writeJSON(w, 200, map[string]any{"data": s.sales[rid].render()})
}

// updateSale serves PUT /sales/{id} (s.mu held).
func (s *Server) updateSale(w http.ResponseWriter, id string, body []byte) {
	ss, ok := s.sales[id]
	if !ok {
		writeJSON(w, 404, map[string]string{"error": "Sale not found"})
		return
	}
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
	case in.ID != "":
		bad("id is not an attribute of SaleUpdateRequest: the sale id is in the URL")
		return
	case in.Source == nil || in.Source.AuthorID == "":
		bad("source.author_id is required")
		return
	case in.State != "parked" && in.State != "pending" && in.State != "voided" && in.State != "closed":
		bad("state must be one of parked, pending, voided, closed")
		return
	case ss.body["state"] == "closed" || ss.body["state"] == "voided":
		bad("a " + ss.body["state"].(string) + " sale cannot be changed")
		return
	}
	old := map[string]map[string]any{}
	if ls, ok := ss.body["line_items"].([]any); ok {
		for _, x := range ls {
			if l, ok := x.(map[string]any); ok {
				old[l["id"].(string)] = l
			}
		}
	}
	isReturn := false
	if r, ok := ss.body["return"].(map[string]any); ok && r["is_return"] == true {
		isReturn = true
	}
	var lines []map[string]any
	total, tax := decimal.Zero, decimal.Zero
	for i, l := range in.LineItems {
		if l.Product == nil || l.Quantity == nil || l.Pricing == nil || l.Pricing.Price == nil || l.Tax == nil || l.Tax.Amount == nil || l.Tax.ID == "" {
			bad("line_items: product, quantity, pricing.price and tax{id, amount} are required")
			return
		}
		lid := l.ID
		if lid != "" {
			if _, ok := old[lid]; !ok {
				bad("line_items: line item " + lid + " is not on this sale")
				return
			}
		} else {
			lid = s.newID()
		}
		q, p, t := *l.Quantity, *l.Pricing.Price, *l.Tax.Amount
		if isReturn && q.IsPositive() {
			bad("line_items: a return's lines have negative quantities")
			return
		}
		lines = append(lines, map[string]any{
			"id": lid, "product": map[string]any{"id": l.Product.ID}, "quantity": num(q),
			"pricing": map[string]any{"price": num(p), "discount": num(decimal.Zero), "discount_total": num(decimal.Zero), "total": num(p.Mul(q))},
			"tax":     map[string]any{"id": l.Tax.ID, "amount": num(t), "total": num(t.Mul(q))},
			"return":  map[string]any{"is_return": q.IsNegative()}, "_metadata": map[string]any{"sequence": i},
		})
		total, tax = total.Add(p.Mul(q)), tax.Add(t.Mul(q))
	}
	var pays []map[string]any
	paid := decimal.Zero
	for _, p := range in.Payments {
		if p.Amount == nil || p.Type == nil || p.Type.ConfigID == "" {
			bad("payments: amount and type.config_id are required")
			return
		}
		pid := p.ID
		if pid == "" {
			pid = s.newID()
		}
		pays = append(pays, map[string]any{"id": pid, "amount": num(*p.Amount), "type": map[string]any{"config_id": p.Type.ConfigID}})
		paid = paid.Add(*p.Amount)
	}
	if in.State == "closed" && isReturn && !paid.Equal(total.Add(tax)) {
		bad("the refund payments (" + paid.String() + ") must add up to the return's total (" + total.Add(tax).String() + ")")
		return
	}
	adjs, msg := adjustments(in)
	if msg != "" {
		bad(msg)
		return
	}
	upd := map[string]any{
		"state": in.State, "note": in.Note, "line_items": lines, "payments": pays,
		"source": map[string]any{"id": in.Source.ID, "type": in.Source.Type},
		"totals": map[string]any{"price": num(total), "tax": num(tax), "price_incl_tax": num(total.Add(tax))},
	}
	if len(adjs) > 0 {
		upd["adjustments"] = adjs
	}
	for k, v := range clean(upd) {
		ss.body[k] = v
	}
	s.version++
	ss.version = s.version
	if s.loseUpdate {
		s.loseUpdate = false
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "Bad Gateway"})
		return
	}
	writeJSON(w, 200, map[string]any{"data": ss.render()})
}

// LoseNextUpdateAnswer makes the next PUT /sales/{id} apply the update and
// answer 502, as when the answer is lost on the way back.
func (s *Server) LoseNextUpdateAnswer() {
	s.mu.Lock()
	s.loseUpdate = true
	s.mu.Unlock()
}

// ReturnsOf returns the ids of the return sales of a sale and their states.
func (s *Server) ReturnsOf(id string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	ss, ok := s.sales[id]
	if !ok {
		return out
	}
	ret, _ := ss.body["return"].(map[string]any)
	ids, _ := ret["return_sale_ids"].([]any)
	for _, x := range ids {
		if r, ok := s.sales[x.(string)]; ok {
			out[r.id], _ = r.body["state"].(string)
		}
	}
	return out
}
