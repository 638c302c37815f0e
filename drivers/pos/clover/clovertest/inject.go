package clovertest

import (
	"encoding/json"
	"net/http"
)

// Order injection, following the Clover Platform REST API v3 reference on
// docs.clover.com (read 2026-12-03):
//
//   - "Create an atomic order" (POST /v3/merchants/{mId}/atomic_order/orders):
//     body {"orderCart": {...}} with lineItems naming inventory items
//     (item.id) and their modifications (modifier.id), plus the order's
//     title and note; the answer is the created order with its total.
//     Clover has no idempotency keys: a repeated request creates a second
//     order.
//   - "Create a payment record on an order" (POST
//     /v3/merchants/{mId}/orders/{orderId}/payments, April 2023 changelog:
//     "log external tenders for bookkeeping purposes"): amount, tipAmount
//     and the merchant tender (tender.id) the payment was taken with.
//
// Clover's platform API offers no refund of such a payment record (refunds
// exist only for card payments taken through Clover).

type atomicBody struct {
	OrderCart *struct {
		Title     string `json:"title"`
		Note      string `json:"note"`
		Currency  string `json:"currency"`
		LineItems []struct {
			Item          *idRef `json:"item"`
			Note          string `json:"note"`
			Modifications []struct {
				Modifier *idRef `json:"modifier"`
			} `json:"modifications"`
		} `json:"lineItems"`
	} `json:"orderCart"`
}

type paymentRecordBody struct {
	Amount    *int64 `json:"amount"`
	TipAmount int64  `json:"tipAmount"`
	Tender    *idRef `json:"tender"`
}

// LoseNextInjectAnswer makes the next order creation or payment record
// commit and then answer 500, as when the answer is lost on the way back:
// the client cannot tell whether it happened.
func (s *Server) LoseNextInjectAnswer() {
	s.mu.Lock()
	s.loseInject = true
	s.mu.Unlock()
}

// lost reports (and clears) a pending LoseNextInjectAnswer; s.mu is held.
func (s *Server) lost() *apiError {
	if !s.loseInject {
		return nil
	}
	s.loseInject = false
	return errf(http.StatusInternalServerError, "Internal Server Error")
}

// routeInject serves the injection routes; s.mu is held.
func (s *Server) routeInject(method string, p []string, body []byte) (int, any, *apiError, bool) {
	switch {
	case method == http.MethodPost && len(p) == 2 && p[0] == "atomic_order" && p[1] == "orders":
		c, v, e := s.atomicOrder(body)
		return c, v, e, true
	case method == http.MethodPost && len(p) == 3 && p[0] == "orders" && p[2] == "payments":
		c, v, e := s.paymentRecord(p[1], body)
		return c, v, e, true
	}
	return 0, nil, nil, false
}

func (s *Server) atomicOrder(body []byte) (int, any, *apiError) {
	var req atomicBody
	if err := json.Unmarshal(body, &req); err != nil {
		return 0, nil, errf(400, "Invalid JSON: %v", err)
	}
	if req.OrderCart == nil {
		return 0, nil, errf(400, "orderCart is required")
	}
	if len(req.OrderCart.LineItems) == 0 {
		return 0, nil, errf(400, "orderCart.lineItems is required")
	}
	o := Order{Title: req.OrderCart.Title, Note: req.OrderCart.Note, Currency: req.OrderCart.Currency}
	for i, li := range req.OrderCart.LineItems {
		if li.Item == nil || li.Item.ID == "" {
			return 0, nil, errf(400, "orderCart.lineItems[%d].item.id is required", i)
		}
		it, ok := s.items[li.Item.ID]
		if !ok {
			return 0, nil, errf(400, "Item %s not found", li.Item.ID)
		}
		l := LineItem{ItemID: it.ID, Name: it.Name, Price: it.Price, Note: li.Note}
		for j, m := range li.Modifications {
			if m.Modifier == nil || s.modifiers[m.Modifier.ID] == nil {
				return 0, nil, errf(400, "orderCart.lineItems[%d].modifications[%d]: modifier not found", i, j)
			}
			md := s.modifiers[m.Modifier.ID]
			l.Modifications = append(l.Modifications, Modification{Name: md.Name, Amount: md.Price, ModifierID: md.ID})
		}
		o.LineItems = append(o.LineItems, l)
	}
	s.fill(&o)
	c := o
	s.orders[o.ID] = &c
	if e := s.lost(); e != nil {
		return 0, nil, e
	}
	return 200, orderJSON(&c, orderView{lineItems: true}), nil
}

func (s *Server) paymentRecord(orderID string, body []byte) (int, any, *apiError) {
	o, ok := s.orders[orderID]
	if !ok {
		return 0, nil, errf(404, "Order not found")
	}
	var req paymentRecordBody
	if err := json.Unmarshal(body, &req); err != nil {
		return 0, nil, errf(400, "Invalid JSON: %v", err)
	}
	if req.Amount == nil || *req.Amount <= 0 {
		return 0, nil, errf(400, "amount is required and must be positive")
	}
	if req.Tender == nil || req.Tender.ID == "" {
		return 0, nil, errf(400, "tender.id is required")
	}
	var key, label string
	for _, t := range builtinTenders {
		if t.id == req.Tender.ID {
			key, label = t.key, t.label
		}
	}
	if key == "" {
		return 0, nil, errf(400, "Tender %s not found", req.Tender.ID)
	}
	p := Payment{ID: s.nextID("PA"), Amount: *req.Amount, TipAmount: req.TipAmount, TenderLabel: label, TenderLabelKey: key,
		Result: "SUCCESS", CreatedTime: s.nowMs()}
	p.ModifiedTime = p.CreatedTime
	o.Payments = append(o.Payments, p)
	o.PaymentState, o.State = "", ""
	o.ModifiedTime = s.touch(o.ModifiedTime)
	s.fill(o)
	if e := s.lost(); e != nil {
		return 0, nil, e
	}
	return 200, paymentJSON(o, p, true, false), nil
}

// Orders returns every stored order, by id.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, id := range sortedKeys(s.orders) {
		out = append(out, *s.orders[id])
	}
	return out
}
