// Package sumuptest is a stand-in for the SumUp REST API, written from
// SumUp's published reference (https://developer.sumup.com/api, the
// "SumUp REST API" OpenAPI document as of 2026: POST /token with the OAuth2
// client_credentials grant, GET /v2.1/merchants/{merchant_code}/transactions/history
// with order, limit, oldest_time/newest_time and oldest_ref/newest_ref
// and hypermedia "links" with rel "next" whose href is the query string of
// the next page, GET /v2.1/merchants/{merchant_code}/transactions?id=, and
// errors as {"error_code","message"}). Transactions are payments (type
// PAYMENT) and refunds (type REFUND, transaction_id naming the refunded
// payment); amounts are major units as JSON numbers. SumUp's public API has
// no product catalogue, so there is nothing to push a menu to. It follows
// those documents, not the aura-edge manifest (configs/adapters/sumup.yaml).
package sumuptest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/postest"
)

// Defaults of a new Server.
const (
	DefaultClientID     = "cc_sumup_test"
	DefaultClientSecret = "cc_sk_sumup_test_secret"
	DefaultMerchant     = "MH4H92C7"
	DefaultLimit        = 10
)

// Request is one recorded request.
type Request = postest.Request

// Fault is an injected failure for /v2.1 requests.
type Fault struct {
	Status       int
	RetryAfter   string
	Code         string
	Method       string
	PathContains string
}

// Transaction is a history entry as the API returns it.
type Transaction struct {
	ID                  string      `json:"id"`
	TransactionCode     string      `json:"transaction_code"`
	Amount              json.Number `json:"amount"`
	Currency            string      `json:"currency"`
	Timestamp           time.Time   `json:"timestamp"`
	Status              string      `json:"status"`       // SUCCESSFUL, CANCELLED, FAILED, PENDING, REFUNDED
	PaymentType         string      `json:"payment_type"` // POS, CASH, ECOM, ...
	InstallmentsCount   int         `json:"installments_count"`
	ProductSummary      string      `json:"product_summary,omitempty"`
	PayoutsTotal        int         `json:"payouts_total"`
	PayoutsReceived     int         `json:"payouts_received"`
	PayoutPlan          string      `json:"payout_plan"`
	TransactionID       string      `json:"transaction_id"`
	ClientTransactionID string      `json:"client_transaction_id,omitempty"`
	User                string      `json:"user"`
	Type                string      `json:"type"` // PAYMENT, REFUND, CHARGE_BACK
	CardType            string      `json:"card_type,omitempty"`
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithTokenTTL sets expires_in of issued tokens (default 1h).
func WithTokenTTL(d time.Duration) Option { return func(s *Server) { s.ttl = d } }

// Server is the stand-in. Safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	now      func() time.Time
	ttl      time.Duration
	tokens   map[string]time.Time
	tokenReq int
	seq      int
	txs      []*Transaction // in creation order

	postest.Recorder
	postest.Faults[Fault]
}

// Start starts a Server on a loopback port, closed when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := NewHandler(opts...)
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

// NewHandler builds a Server without listening.
func NewHandler(opts ...Option) *Server {
	s := &Server{now: time.Now, ttl: time.Hour, tokens: map[string]time.Time{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// URL is the API root (settings.base_url).
func (s *Server) URL() string { return s.srv.URL }

// Credentials are what the SumUp manifest needs.
func (s *Server) Credentials() map[string]string {
	return map[string]string{"client_id": DefaultClientID, "client_secret": DefaultClientSecret}
}

// Settings are base_url and merchant_code.
func (s *Server) Settings() map[string]string {
	return map[string]string{"base_url": s.URL(), "merchant_code": DefaultMerchant}
}

// TokenRequests is how many tokens were issued.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReq
}

// ExpireTokens revokes every issued token (a token expiring mid-walk).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	s.tokens = map[string]time.Time{}
	s.mu.Unlock()
}

// Pay records a card (paymentType POS) or CASH payment and returns it.
func (s *Server) Pay(at time.Time, amount, currency, paymentType, cardType, summary string) Transaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	tx := &Transaction{ID: fmt.Sprintf("tx-%04d", s.seq), TransactionCode: fmt.Sprintf("TCODE%04d", s.seq),
		Amount: json.Number(amount), Currency: currency, Timestamp: at.UTC(), Status: "SUCCESSFUL",
		PaymentType: paymentType, InstallmentsCount: 1, ProductSummary: summary, PayoutPlan: "SINGLE_PAYMENT",
		User: "owner@example.com", Type: "PAYMENT", CardType: cardType}
	tx.TransactionID = tx.ID
	s.txs = append(s.txs, tx)
	return *tx
}

// Refund refunds amount of payment id at the given time: a REFUND entry
// whose transaction_id is the payment's, and the payment becomes REFUNDED.
func (s *Server) Refund(at time.Time, id, amount string) (Transaction, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.txs {
		if p.ID != id || p.Type != "PAYMENT" {
			continue
		}
		s.seq++
		p.Status = "REFUNDED"
		r := &Transaction{ID: fmt.Sprintf("tx-%04d", s.seq), TransactionCode: p.TransactionCode, Amount: json.Number(amount),
			Currency: p.Currency, Timestamp: at.UTC(), Status: "SUCCESSFUL", PaymentType: p.PaymentType, InstallmentsCount: 1,
			PayoutPlan: p.PayoutPlan, TransactionID: p.ID, User: p.User, Type: "REFUND", CardType: p.CardType}
		s.txs = append(s.txs, r)
		return *r, true
	}
	return Transaction{}, false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error_code": code, "message": msg})
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.Record(postest.NewRequest(r, body))
	if r.URL.Path == "/token" && r.Method == http.MethodPost {
		s.token(w, body)
		return
	}
	if f, ok := s.TakeFault(func(f Fault) bool { return postest.Matches(r, f.Method, f.PathContains, "/v2.1/") }); ok {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		code := f.Code
		if code == "" {
			code = strings.ToUpper(strings.ReplaceAll(http.StatusText(f.Status), " ", "_"))
		}
		writeError(w, f.Status, code, http.StatusText(f.Status))
		return
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "NOT_AUTHORIZED", "Access token is invalid or expired")
		return
	}
	prefix := "/v2.1/merchants/" + DefaultMerchant + "/transactions"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == prefix+"/history":
		s.history(w, r.URL.Query())
	case r.Method == http.MethodGet && r.URL.Path == prefix:
		s.get(w, r.URL.Query().Get("id"))
	case strings.HasPrefix(r.URL.Path, "/v2.1/merchants/"):
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Merchant or resource not found")
	default:
		writeError(w, http.StatusNotFound, "NOT_FOUND", "No such endpoint")
	}
}

// token implements the client_credentials grant (client id and secret in
// the form body, as SumUp's authorization guide shows).
func (s *Server) token(w http.ResponseWriter, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"})
		return
	}
	if form.Get("client_id") != DefaultClientID || form.Get("client_secret") != DefaultClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed"})
		return
	}
	s.mu.Lock()
	s.tokenReq++
	tok := fmt.Sprintf("sumup-at-%d", s.tokenReq)
	s.tokens[tok] = s.now().Add(s.ttl)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(s.ttl.Seconds()), "scope": "transactions.history"})
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && s.now().Before(exp)
}

// history serves the transaction history: ascending or descending by
// timestamp; oldest_time/newest_time bound it (inclusive); oldest_ref
// (ascending) or newest_ref (descending) continue after a transaction id.
func (s *Server) history(w http.ResponseWriter, q url.Values) {
	limit := DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "INVALID", "limit must be a positive integer")
			return
		}
		limit = n
	}
	order := q.Get("order")
	if order == "" {
		order = "ascending"
	}
	if order != "ascending" && order != "descending" {
		writeError(w, http.StatusBadRequest, "INVALID", "order must be ascending or descending")
		return
	}
	var oldest, newest time.Time
	for name, dst := range map[string]*time.Time{"oldest_time": &oldest, "newest_time": &newest} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				writeError(w, http.StatusBadRequest, "INVALID", name+" must be an RFC 3339 date-time")
				return
			}
			*dst = t
		}
	}
	s.mu.Lock()
	var txs []Transaction
	for _, tx := range s.txs {
		if (!oldest.IsZero() && tx.Timestamp.Before(oldest)) || (!newest.IsZero() && tx.Timestamp.After(newest)) {
			continue
		}
		txs = append(txs, *tx)
	}
	s.mu.Unlock()
	sort.SliceStable(txs, func(i, j int) bool {
		if order == "descending" {
			return txs[i].Timestamp.After(txs[j].Timestamp)
		}
		return txs[i].Timestamp.Before(txs[j].Timestamp)
	})
	ref := q.Get("oldest_ref")
	if order == "descending" {
		ref = q.Get("newest_ref")
	}
	if ref != "" {
		found := false
		for i := range txs {
			if txs[i].ID == ref {
				txs, found = txs[i+1:], true
				break
			}
		}
		if !found {
			writeError(w, http.StatusBadRequest, "INVALID", "unknown reference "+ref)
			return
		}
	}
	page := txs[:min(limit, len(txs))]
	links := []map[string]string{}
	if len(txs) > limit {
		refName := "oldest_ref"
		if order == "descending" {
			refName = "newest_ref"
		}
		links = append(links, map[string]string{"rel": "next",
			"href": fmt.Sprintf("limit=%d&%s=%s&order=%s", limit, refName, page[len(page)-1].ID, order)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": append([]Transaction{}, page...), "links": links})
}

func (s *Server) get(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tx := range s.txs {
		if tx.ID == id {
			writeJSON(w, http.StatusOK, tx)
			return
		}
	}
	writeError(w, http.StatusNotFound, "NOT_FOUND", "Resource not found")
}
