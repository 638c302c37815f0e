package squaretest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
)

// Order injection: CreateOrder (POST /v2/orders), CreatePayment (POST
// /v2/payments, source_id EXTERNAL) and RefundPayment (POST /v2/refunds),
// following api.json (Square-Version 2025-08-20) and Square's guides
// "Create orders", "Take external payments" and "Refund payments":
//
//   - every call needs an idempotency_key; the same key with the same body
//     answers the first response again, with another body it is 400
//     IDEMPOTENCY_KEY_REUSED;
//   - line items name catalog item variations (catalog_object_id) and
//     modifiers that exist; unknown ids are 400 NOT_FOUND;
//   - an EXTERNAL payment needs external_details (type, source); with
//     autocomplete and the order's total paid, the order is COMPLETED;
//   - a refund is at most the payment's amount less what was refunded.
//
// When the server has a Validator, requests are also checked against the
// OpenAPI document before they reach these handlers.

// injectMu serialises the write handlers (they read, compute and store
// through the locked helpers of Server).
var injectMu sync.Mutex

func (s *Server) injectRoutes() {
	s.mux.HandleFunc("POST /v2/orders", s.createOrder)
	s.mux.HandleFunc("POST /v2/payments", s.createPayment)
	s.mux.HandleFunc("POST /v2/refunds", s.refundPayment)
}

// replay answers a repeated idempotency key. It reports whether the
// request was answered.
func (s *Server) replay(w http.ResponseWriter, scope, key string, body []byte) (string, bool) {
	h := sha256.Sum256(body)
	sum := hex.EncodeToString(h[:])
	s.mu.Lock()
	e, ok := s.idem[scope+"/"+key]
	s.mu.Unlock()
	if !ok {
		return sum, false
	}
	if e.bodyHash != sum {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "IDEMPOTENCY_KEY_REUSED",
			"The idempotency key can only be retried with the same request data.")
		return sum, true
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(e.resp)
	return sum, true
}

func (s *Server) remember(w http.ResponseWriter, scope, key, sum string, status int, v any) {
	b, _ := json.Marshal(v)
	s.mu.Lock()
	s.idem[scope+"/"+key] = idemEntry{bodyHash: sum, status: status, resp: b}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type createOrderBody struct {
	IdempotencyKey string `json:"idempotency_key"`
	Order          struct {
		LocationID  string       `json:"location_id"`
		ReferenceID string       `json:"reference_id"`
		Source      *OrderSource `json:"source"`
		LineItems   []struct {
			Quantity        string `json:"quantity"`
			CatalogObjectID string `json:"catalog_object_id"`
			Name            string `json:"name"`
			Note            string `json:"note"`
			Modifiers       []struct {
				CatalogObjectID string `json:"catalog_object_id"`
				Quantity        string `json:"quantity"`
			} `json:"modifiers"`
		} `json:"line_items"`
	} `json:"order"`
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	injectMu.Lock()
	defer injectMu.Unlock()
	body := readBody(r)
	var req createOrderBody
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "BAD_REQUEST", err.Error())
		return
	}
	if req.IdempotencyKey == "" {
		writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "MISSING_REQUIRED_PARAMETER", Field: "idempotency_key", Detail: "Missing required parameter."})
		return
	}
	sum, done := s.replay(w, "orders", req.IdempotencyKey, body)
	if done {
		return
	}
	if !s.knownLocation(req.Order.LocationID) {
		writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "NOT_FOUND", Field: "order.location_id", Detail: "Location not found."})
		return
	}
	if len(req.Order.LineItems) == 0 {
		writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "MISSING_REQUIRED_PARAMETER", Field: "order.line_items", Detail: "An order needs line items."})
		return
	}
	spec := OrderSpec{LocationID: req.Order.LocationID, State: "OPEN", ReferenceID: req.Order.ReferenceID}
	for i, li := range req.Order.LineItems {
		v, ok := s.Object(li.CatalogObjectID)
		if li.CatalogObjectID == "" || !ok || v.ItemVariationData == nil || v.IsDeleted {
			writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "NOT_FOUND",
				Field: fmt.Sprintf("order.line_items[%d].catalog_object_id", i), Detail: "Item variation " + li.CatalogObjectID + " not found."})
			return
		}
		ls := LineSpec{CatalogObjectID: li.CatalogObjectID, Quantity: li.Quantity, VariationName: v.ItemVariationData.Name, Note: li.Note}
		if it, ok := s.Object(v.ItemVariationData.ItemID); ok && it.ItemData != nil {
			ls.Name = it.ItemData.Name
		}
		if v.ItemVariationData.PriceMoney != nil {
			ls.Price = v.ItemVariationData.PriceMoney.Amount
		}
		for j, m := range li.Modifiers {
			mo, ok := s.Object(m.CatalogObjectID)
			if !ok || mo.ModifierData == nil {
				writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "NOT_FOUND",
					Field: fmt.Sprintf("order.line_items[%d].modifiers[%d].catalog_object_id", i, j), Detail: "Modifier " + m.CatalogObjectID + " not found."})
				return
			}
			ms := ModifierSpec{Name: mo.ModifierData.Name, CatalogObjectID: m.CatalogObjectID, Quantity: m.Quantity}
			if mo.ModifierData.PriceMoney != nil {
				ms.Price = mo.ModifierData.PriceMoney.Amount
			}
			ls.Modifiers = append(ls.Modifiers, ms)
		}
		spec.Lines = append(spec.Lines, ls)
	}
	o := s.SeedOrder(spec)
	if req.Order.Source != nil {
		o, _ = s.UpdateOrder(o.ID, s.now(), func(c *Order) { c.Source = req.Order.Source; c.Version = 0 })
	}
	s.remember(w, "orders", req.IdempotencyKey, sum, http.StatusOK, map[string]any{"order": o})
}

type createPaymentBody struct {
	SourceID        string `json:"source_id"`
	IdempotencyKey  string `json:"idempotency_key"`
	AmountMoney     *Money `json:"amount_money"`
	TipMoney        *Money `json:"tip_money"`
	Autocomplete    *bool  `json:"autocomplete"`
	OrderID         string `json:"order_id"`
	LocationID      string `json:"location_id"`
	ReferenceID     string `json:"reference_id"`
	ExternalDetails *struct {
		Type   string `json:"type"`
		Source string `json:"source"`
	} `json:"external_details"`
}

func (s *Server) createPayment(w http.ResponseWriter, r *http.Request) {
	injectMu.Lock()
	defer injectMu.Unlock()
	body := readBody(r)
	var req createPaymentBody
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "BAD_REQUEST", err.Error())
		return
	}
	sum, done := s.replay(w, "payments", req.IdempotencyKey, body)
	if done {
		return
	}
	bad := func(code, field, detail string) {
		writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: code, Field: field, Detail: detail})
	}
	switch {
	case req.IdempotencyKey == "":
		bad("MISSING_REQUIRED_PARAMETER", "idempotency_key", "Missing required parameter.")
		return
	case req.SourceID != "EXTERNAL":
		bad("INVALID_VALUE", "source_id", "The stand-in records payments taken elsewhere only (source_id EXTERNAL).")
		return
	case req.ExternalDetails == nil || req.ExternalDetails.Type == "" || req.ExternalDetails.Source == "":
		bad("MISSING_REQUIRED_PARAMETER", "external_details", "external_details with type and source is required when source_id is EXTERNAL.")
		return
	case req.AmountMoney == nil || req.AmountMoney.Amount <= 0:
		bad("INVALID_VALUE", "amount_money", "amount_money must be positive.")
		return
	}
	o, ok := s.Order(req.OrderID)
	if req.OrderID != "" && !ok {
		bad("NOT_FOUND", "order_id", "Order "+req.OrderID+" not found.")
		return
	}
	tip := int64(0)
	if req.TipMoney != nil {
		tip = req.TipMoney.Amount
	}
	now := stamp(s.now())
	s.mu.Lock()
	id := s.nextSeq("PAYX")
	p := &Payment{ID: id, CreatedAt: now, UpdatedAt: now, AmountMoney: req.AmountMoney, TotalMoney: &Money{req.AmountMoney.Amount + tip, req.AmountMoney.Currency},
		Status: "COMPLETED", SourceType: "EXTERNAL", LocationID: req.LocationID, OrderID: req.OrderID, VersionToken: "v1"}
	if req.TipMoney != nil {
		p.TipMoney = req.TipMoney
	}
	if req.Autocomplete != nil && !*req.Autocomplete {
		p.Status = "APPROVED"
	}
	s.payments[id] = p
	s.mu.Unlock()
	if ok {
		s.UpdateOrder(o.ID, s.now(), func(c *Order) {
			c.Tenders = append(c.Tenders, Tender{ID: "T" + id, LocationID: c.LocationID, CreatedAt: now, AmountMoney: req.AmountMoney,
				TipMoney: req.TipMoney, Type: "OTHER", PaymentID: id})
			if p.Status == "COMPLETED" && c.TotalMoney != nil && req.AmountMoney.Amount >= c.TotalMoney.Amount {
				c.State, c.ClosedAt = "COMPLETED", now
				c.NetAmountDueMoney = &Money{0, req.AmountMoney.Currency}
			}
		})
	}
	s.remember(w, "payments", req.IdempotencyKey, sum, http.StatusOK, map[string]any{"payment": p})
}

func (s *Server) refundPayment(w http.ResponseWriter, r *http.Request) {
	injectMu.Lock()
	defer injectMu.Unlock()
	body := readBody(r)
	var req struct {
		IdempotencyKey string `json:"idempotency_key"`
		AmountMoney    *Money `json:"amount_money"`
		PaymentID      string `json:"payment_id"`
		Reason         string `json:"reason"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "BAD_REQUEST", err.Error())
		return
	}
	sum, done := s.replay(w, "refunds", req.IdempotencyKey, body)
	if done {
		return
	}
	p, ok := s.Payment(req.PaymentID)
	if !ok {
		writeErrors(w, http.StatusNotFound, Error{Category: "INVALID_REQUEST_ERROR", Code: "NOT_FOUND", Field: "payment_id", Detail: "Payment not found."})
		return
	}
	refunded := int64(0)
	for _, rf := range s.Refunds(p.ID) {
		refunded += rf.AmountMoney.Amount
	}
	if req.AmountMoney == nil || req.AmountMoney.Amount <= 0 || req.AmountMoney.Amount+refunded > p.AmountMoney.Amount {
		writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "REFUND_AMOUNT_INVALID", Field: "amount_money",
			Detail: "The refund amount exceeds what is left of the payment."})
		return
	}
	now := stamp(s.now())
	s.mu.Lock()
	rf := Refund{ID: s.nextSeq("RFX"), LocationID: p.LocationID, CreatedAt: now, Reason: req.Reason, AmountMoney: req.AmountMoney, Status: "COMPLETED"}
	s.mu.Unlock()
	refundsMu.Lock()
	refunds[s] = append(refunds[s], refundRec{paymentID: p.ID, Refund: rf})
	refundsMu.Unlock()
	out := map[string]any{"id": rf.ID, "status": rf.Status, "amount_money": rf.AmountMoney, "payment_id": p.ID,
		"location_id": p.LocationID, "created_at": now, "updated_at": now, "reason": req.Reason}
	if p.OrderID != "" {
		out["order_id"] = p.OrderID
	}
	s.remember(w, "refunds", req.IdempotencyKey, sum, http.StatusOK, map[string]any{"refund": out})
}

type refundRec struct {
	paymentID string
	Refund
}

var (
	refundsMu sync.Mutex
	refunds   = map[*Server][]refundRec{}
)

// Refunds returns the refunds of a payment made through RefundPayment.
func (s *Server) Refunds(paymentID string) []Refund {
	refundsMu.Lock()
	defer refundsMu.Unlock()
	var out []Refund
	for _, r := range refunds[s] {
		if r.paymentID == paymentID {
			out = append(out, r.Refund)
		}
	}
	return out
}

// OrdersByReference returns the orders whose reference_id is ref (an
// injected order's Aura id), oldest id first.
func (s *Server) OrdersByReference(ref string) []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Order
	for _, o := range s.orders {
		if o.ReferenceID == ref {
			out = append(out, *o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *Server) knownLocation(id string) bool {
	for _, l := range s.locations {
		if l == id {
			return true
		}
	}
	return false
}

func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}
