package customtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
)

// Acme's write API for orders and refunds (what the example manifest's
// order_create and refund_create blocks speak):
//
//   - POST /v1/locations/{id}/orders creates a closed order from
//     {external_id, note?, lines: [{item_id, quantity, unit_price}],
//     payment?: {method, amount, tip?}}; every item_id must be an item
//     written through the items API. 201 {"order": ...}.
//   - POST /v1/orders/{id}/refunds refunds {amount?, reason?} (amount
//     absent: what is left of the order's payments). 201 {"refund": ...}.
//
// Both need an Idempotency-Key header: the same key with the same body
// answers what the first request answered (status and body) without doing
// anything again; the same key with another body is 422
// idempotency_key_reused. Unknown fields are refused.

// Refund is a refund made through the API.
type Refund struct {
	ID      string `json:"id"`
	OrderID string `json:"order_id"`
	Amount  string `json:"amount"`
	Reason  string `json:"reason,omitempty"`
	Status  string `json:"status"`
}

type orderWrite struct {
	ExternalID string      `json:"external_id"`
	Note       string      `json:"note"`
	Lines      []lineWrite `json:"lines"`
	Payment    *struct {
		Method string `json:"method"`
		Amount string `json:"amount"`
		Tip    string `json:"tip"`
	} `json:"payment"`
}

type lineWrite struct {
	ItemID    string `json:"item_id"`
	Quantity  string `json:"quantity"`
	UnitPrice string `json:"unit_price"`
}

type refundWrite struct {
	Amount *string `json:"amount"`
	Reason string  `json:"reason"`
}

// idemAnswer is a stored answer to an idempotent request.
type idemAnswer struct {
	body   string
	status int
	answer []byte
}

// Refunds returns the refunds of an order.
func (s *Server) Refunds(orderID string) []Refund {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Refund(nil), s.refunds[orderID]...)
}

// OrdersWithExternalID returns the orders created with that external_id.
func (s *Server) OrdersWithExternalID(ext string) []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Order
	for _, o := range s.orders {
		if o.ExternalID == ext {
			out = append(out, *o)
		}
	}
	return out
}

// idempotent runs do once per Idempotency-Key (s.mu held).
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, scope string, body []byte, do func() (int, any)) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		writeError(w, http.StatusBadRequest, "idempotency_key_required", "the Idempotency-Key header is required")
		return
	}
	k := scope + "\x00" + key
	if a, ok := s.idem[k]; ok {
		if a.body != string(body) {
			writeError(w, http.StatusUnprocessableEntity, "idempotency_key_reused", "the Idempotency-Key was used with another request body")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		w.Write(a.answer)
		return
	}
	status, v := do()
	b, _ := json.Marshal(v)
	if status < 500 {
		s.idem[k] = idemAnswer{body: string(body), status: status, answer: b}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// add returns a + b for decimal strings.
func add(a, b, currency string) string {
	x, _ := rat(a)
	y, _ := rat(b)
	if x == nil || y == nil {
		return ""
	}
	return new(big.Rat).Add(x, y).FloatString(digits(currency))
}

func decodeStrict(body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request, loc string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idempotent(w, r, "orders", body, func() (int, any) {
		if loc != s.location {
			return http.StatusNotFound, errorBody("not_found", "location "+loc+" not found")
		}
		var in orderWrite
		if err := decodeStrict(body, &in); err != nil {
			return http.StatusBadRequest, errorBody("invalid_request", err.Error())
		}
		if in.ExternalID == "" || len(in.Lines) == 0 {
			return http.StatusBadRequest, errorBody("invalid_request", "external_id and lines are required")
		}
		s.seq++
		o := Order{ID: fmt.Sprintf("A-%d", 1000+s.seq), Number: fmt.Sprint(1000 + s.seq), Status: "closed",
			ExternalID: in.ExternalID, LocationID: loc, Currency: "USD", Note: in.Note, Tip: "0.00",
			Discounts: []Discount{}, Taxes: []Tax{}, Fees: []Fee{}, Payments: []Payment{}}
		now := s.now().UTC()
		o.CreatedAt, o.UpdatedAt, o.ClosedAt = now, now, &now
		for i, l := range in.Lines {
			it, ok := s.items[l.ItemID]
			if !ok {
				return http.StatusUnprocessableEntity, errorBody("unknown_item", fmt.Sprintf("lines[%d].item_id %q is not an item of this location", i, l.ItemID))
			}
			q, err := rat(l.Quantity)
			if err != nil || q.Sign() <= 0 {
				return http.StatusBadRequest, errorBody("invalid_request", fmt.Sprintf("lines[%d].quantity must be a positive decimal string", i))
			}
			if p, err := rat(l.UnitPrice); err != nil || p.Sign() < 0 || l.UnitPrice == "" {
				return http.StatusBadRequest, errorBody("invalid_request", fmt.Sprintf("lines[%d].unit_price must be a non-negative decimal string", i))
			}
			o.Lines = append(o.Lines, Line{ID: fmt.Sprintf("%s-L%d", o.ID, i+1), ItemID: it.ID, SKU: it.SKU, Name: it.Name,
				Quantity: l.Quantity, UnitPrice: l.UnitPrice, Options: []Modifier{}})
		}
		if p := in.Payment; p != nil {
			if p.Method != "cash" && p.Method != "card" && p.Method != "external" {
				return http.StatusBadRequest, errorBody("invalid_request", "payment.method must be cash, card or external")
			}
			if a, err := rat(p.Amount); err != nil || a.Sign() < 0 || p.Amount == "" {
				return http.StatusBadRequest, errorBody("invalid_request", "payment.amount must be a non-negative decimal string")
			}
			tip := p.Tip
			if tip == "" {
				tip = "0.00"
			}
			o.Tip = tip
			o.Payments = append(o.Payments, Payment{ID: o.ID + "-P1", Method: p.Method, Amount: p.Amount, Tip: tip,
				Status: "captured", CreatedAt: now})
		}
		if err := ComputeTotals(&o); err != nil {
			return http.StatusBadRequest, errorBody("invalid_request", err.Error())
		}
		cp := o
		s.orders[o.ID] = &cp
		return http.StatusCreated, map[string]any{"order": o}
	})
}

func (s *Server) createRefund(w http.ResponseWriter, r *http.Request, id string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idempotent(w, r, "refunds", body, func() (int, any) {
		o, ok := s.orders[id]
		if !ok {
			return http.StatusNotFound, errorBody("not_found", "order "+id+" not found")
		}
		var in refundWrite
		if err := decodeStrict(body, &in); err != nil {
			return http.StatusBadRequest, errorBody("invalid_request", err.Error())
		}
		paid := "0"
		for _, p := range o.Payments {
			paid = add(paid, add(p.Amount, p.Tip, o.Currency), o.Currency)
		}
		left := paid
		for _, rf := range s.refunds[id] {
			left = Sub(left, rf.Amount, o.Currency)
		}
		amount := left
		if in.Amount != nil {
			amount = *in.Amount
		}
		a, err := rat(amount)
		l, _ := rat(left)
		switch {
		case err != nil || a.Sign() <= 0:
			return http.StatusBadRequest, errorBody("invalid_request", "amount must be a positive decimal string")
		case a.Cmp(l) > 0:
			return http.StatusUnprocessableEntity, errorBody("amount_too_large", "the order has "+left+" left to refund")
		}
		s.seq++
		rf := Refund{ID: fmt.Sprintf("RF-%d", s.seq), OrderID: id, Amount: strings.TrimSpace(amount), Reason: in.Reason, Status: "completed"}
		s.refunds[id] = append(s.refunds[id], rf)
		return http.StatusCreated, map[string]any{"refund": rf}
	})
}
