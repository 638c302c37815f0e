package customtest

import (
	"bytes"
	"encoding/base64"
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

// Defaults for a new Server.
const (
	DefaultClientID      = "acme-test-client"
	DefaultClientSecret  = "acme-test-secret"
	DefaultWebhookSecret = "acme-test-webhook-secret"
	DefaultLocation      = "LOC-1"
	APIVersion           = "2026-10-01" // the Acme-Version header every /v1 request needs
	DefaultPageSize      = 50
	MaxPageSize          = 100
)

// Request is one recorded request; IsWrite reports whether it changes
// state (every method but GET and HEAD).
type Request = postest.Request

// Fault is an injected failure answered instead of the real response.
type Fault struct {
	Status     int
	RetryAfter string // Retry-After header, if any
	Code       string // body is {"error":{"code","message"}}
	Message    string
	// Method and PathContains restrict which requests the fault hits; by
	// default any /v1 request (not the token endpoint).
	Method       string
	PathContains string
}

// TooManyRequests is a 429 with Retry-After in seconds.
func TooManyRequests(retryAfter string) Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter, Code: "rate_limited", Message: "slow down"}
}

// ServerError is a 500.
func ServerError() Fault {
	return Fault{Status: http.StatusInternalServerError, Code: "internal", Message: "something broke"}
}

// Item is an item written with PUT /v1/locations/{id}/items/{item}.
type Item struct {
	ID         string    `json:"id"`
	LocationID string    `json:"location_id"`
	Name       string    `json:"name"`
	SKU        string    `json:"sku"`
	Price      string    `json:"price"`
	Category   *string   `json:"category"`
	Available  bool      `json:"available"`
	TaxRates   []string  `json:"tax_rates"`
	Version    int       `json:"version"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// itemWrite is the body PUT accepts (unknown fields are refused).
type itemWrite struct {
	Name      string   `json:"name"`
	SKU       string   `json:"sku"`
	Price     string   `json:"price"`
	Category  *string  `json:"category"`
	Available *bool    `json:"available"`
	TaxRates  []string `json:"tax_rates"`
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock for timestamps and token expiry (default
// time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithClient sets the OAuth2 client credentials the token endpoint accepts.
func WithClient(id, secret string) Option {
	return func(s *Server) { s.clientID, s.clientSecret = id, secret }
}

// WithWebhookSecret sets the webhook signing secret.
func WithWebhookSecret(secret string) Option { return func(s *Server) { s.webhookSecret = secret } }

// WithTokenTTL sets the expires_in of issued tokens (default 1h).
func WithTokenTTL(d time.Duration) Option { return func(s *Server) { s.ttl = d } }

// WithLocation sets the location id (default DefaultLocation).
func WithLocation(id string) Option { return func(s *Server) { s.location = id } }

// Server is a stand-in Acme POS API. All methods are safe for concurrent
// use.
type Server struct {
	srv *httptest.Server

	mu            sync.Mutex
	now           func() time.Time
	clientID      string
	clientSecret  string
	webhookSecret string
	location      string
	ttl           time.Duration

	tokens   map[string]time.Time // token -> expiry
	tokenReq int
	seq      int
	orders   map[string]*Order
	items    map[string]*Item
	refunds  map[string][]Refund   // by order id
	idem     map[string]idemAnswer // Idempotency-Key answers

	postest.Recorder      // Requests, ResetRequests (Writes is below)
	postest.Faults[Fault] // FailNext
}

// New builds a Server listening on a loopback port. Close stops it.
func New(opts ...Option) *Server {
	s := NewHandler(opts...)
	s.srv = httptest.NewServer(s)
	return s
}

// NewHandler builds a Server without listening: use it as an http.Handler.
func NewHandler(opts ...Option) *Server {
	s := &Server{
		now: time.Now, clientID: DefaultClientID, clientSecret: DefaultClientSecret,
		webhookSecret: DefaultWebhookSecret, location: DefaultLocation, ttl: time.Hour,
		tokens: map[string]time.Time{}, orders: map[string]*Order{}, items: map[string]*Item{},
		refunds: map[string][]Refund{}, idem: map[string]idemAnswer{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start is New for tests: the server is closed when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	t.Cleanup(s.Close)
	return s
}

// URL is the base URL (use it as settings.base_url).
func (s *Server) URL() string {
	if s.srv == nil {
		return ""
	}
	return s.srv.URL
}

// Close stops the listener (if any).
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// Credentials returns what the example manifest needs for this server.
func (s *Server) Credentials() map[string]string {
	return map[string]string{"client_id": s.clientID, "client_secret": s.clientSecret, "webhook_secret": s.webhookSecret}
}

// Settings returns base_url and location_id for this server (add the
// manifest yourself).
func (s *Server) Settings() map[string]string {
	return map[string]string{"base_url": s.URL(), "location_id": s.location}
}

// Location returns the location id.
func (s *Server) Location() string { return s.location }

// Writes returns the recorded requests that change state, token requests
// excluded.
func (s *Server) Writes() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.IsWrite() && !strings.HasPrefix(r.Path, "/oauth/") {
			out = append(out, r)
		}
	}
	return out
}

// TokenRequests returns how many tokens were issued.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReq
}

// ExpireTokens revokes every issued token (the next call gets 401).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	s.tokens = map[string]time.Time{}
	s.mu.Unlock()
}

// Items returns the written items by id.
func (s *Server) Items() map[string]Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Item{}
	for k, v := range s.items {
		out[k] = *v
	}
	return out
}

// SeedOrder stores o and returns it as the API will serve it: id, number,
// status (closed), location, currency (USD), times (now) and totals are
// filled in when empty. It panics on a malformed decimal.
func (s *Server) SeedOrder(o Order) Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	if o.ID == "" {
		o.ID = fmt.Sprintf("A-%d", 1000+s.seq)
	}
	if o.Number == "" {
		o.Number = strconv.Itoa(1000 + s.seq)
	}
	if o.Status == "" {
		o.Status = "closed"
	}
	if o.LocationID == "" {
		o.LocationID = s.location
	}
	if o.Currency == "" {
		o.Currency = "USD"
	}
	now := s.now().UTC()
	if o.CreatedAt.IsZero() {
		o.CreatedAt = now
	}
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = now
	}
	if o.Status == "closed" && o.ClosedAt == nil {
		c := o.UpdatedAt
		o.ClosedAt = &c
	}
	for i := range o.Lines {
		if o.Lines[i].ID == "" {
			o.Lines[i].ID = fmt.Sprintf("%s-L%d", o.ID, i+1)
		}
		if o.Lines[i].Quantity == "" {
			o.Lines[i].Quantity = "1"
		}
	}
	for i := range o.Payments {
		if o.Payments[i].ID == "" {
			o.Payments[i].ID = fmt.Sprintf("%s-P%d", o.ID, i+1)
		}
		if o.Payments[i].CreatedAt.IsZero() {
			o.Payments[i].CreatedAt = o.UpdatedAt
		}
	}
	if err := ComputeTotals(&o); err != nil {
		panic("customtest: SeedOrder: " + err.Error())
	}
	cp := o
	s.orders[o.ID] = &cp
	return o
}

// UpdateOrder applies edit to a stored order, stamps updated_at = now and
// recomputes the totals.
func (s *Server) UpdateOrder(id string, edit func(*Order)) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	edit(o)
	o.UpdatedAt = s.now().UTC()
	if err := ComputeTotals(o); err != nil {
		panic("customtest: UpdateOrder: " + err.Error())
	}
	return *o, true
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

// SeedDemoOrders stores a few typical orders (for the demo).
func (s *Server) SeedDemoOrders() []Order {
	a := s.SeedOrder(Order{
		Lines: []Line{{Name: "Latte", Variant: "12oz", Quantity: "2", UnitPrice: "4.50",
			Options: []Modifier{{ID: "OPT-OAT", Name: "Oat milk", Price: "0.75", Quantity: 1}}}},
		Taxes: []Tax{{ID: "TX-1", Name: "Sales tax", Rate: "8.875"}},
		Tip:   "1.00",
	})
	s.UpdateOrder(a.ID, func(o *Order) { o.Payments = []Payment{Card(a.ID+"-P1", Sub(o.Total, o.Tip, o.Currency), o.Tip)} })
	b := s.SeedOrder(Order{Lines: []Line{{Name: "Croissant", Quantity: "1", UnitPrice: "3.25"}}})
	s.UpdateOrder(b.ID, func(o *Order) { o.Payments = []Payment{Cash(b.ID+"-P1", o.Total)} })
	a, _ = s.Order(a.ID)
	b, _ = s.Order(b.ID)
	return []Order{a, b}
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	s.Record(postest.NewRequest(r, body))
	if f, ok := s.TakeFault(func(f Fault) bool { return postest.Matches(r, f.Method, f.PathContains, "/v1/") }); ok {
		postest.WriteFault(w, f.Status, f.RetryAfter, errorBody(f.Code, f.Message))
		return
	}
	if r.URL.Path == "/oauth/token" {
		s.token(w, r, body)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
		return
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "unauthorized", "missing, unknown or expired access token")
		return
	}
	if r.Header.Get("Acme-Version") != APIVersion {
		writeError(w, http.StatusBadRequest, "version_required", "Acme-Version header must be "+APIVersion)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 3 && parts[1] == "locations":
		s.getLocation(w, parts[2])
	case r.Method == http.MethodGet && len(parts) == 4 && parts[1] == "locations" && parts[3] == "orders":
		s.listOrders(w, r, parts[2])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[1] == "orders":
		s.getOrder(w, parts[2])
	case r.Method == http.MethodGet && len(parts) == 2 && parts[1] == "payments":
		s.listPayments(w, r)
	case r.Method == http.MethodPost && len(parts) == 4 && parts[1] == "locations" && parts[3] == "orders":
		s.createOrder(w, r, parts[2], body)
	case r.Method == http.MethodPost && len(parts) == 4 && parts[1] == "orders" && parts[3] == "refunds":
		s.createRefund(w, r, parts[2], body)
	case r.Method == http.MethodPost && len(parts) == 4 && parts[1] == "locations" && parts[3] == "items":
		s.mu.Lock()
		s.seq++
		id := fmt.Sprintf("ITM-%d", s.seq)
		s.mu.Unlock()
		s.putItem(w, parts[2], id, body)
	case r.Method == http.MethodPut && len(parts) == 5 && parts[1] == "locations" && parts[3] == "items":
		s.putItem(w, parts[2], parts[4], body)
	default:
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody(code, msg))
}

func errorBody(code, msg string) map[string]any {
	return map[string]any{"error": map[string]string{"code": code, "message": msg}}
}

// token is POST /oauth/token (client_credentials; client auth by HTTP
// Basic or form fields).
func (s *Server) token(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if r.Method != http.MethodPost || err != nil || form.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != s.clientID || secret != s.clientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "unknown client or wrong secret"})
		return
	}
	s.tokenReq++
	tok := fmt.Sprintf("acme-token-%d", s.tokenReq)
	s.tokens[tok] = s.now().Add(s.ttl)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer",
		"expires_in": int(s.ttl / time.Second), "scope": form.Get("scope")})
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

func (s *Server) getLocation(w http.ResponseWriter, id string) {
	if id != s.location {
		writeError(w, http.StatusNotFound, "not_found", "location "+id+" not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"location": map[string]string{"id": id, "name": "Acme Test Cafe"}})
}

// pageToken encodes the last (updated_at, id) of a page.
func pageToken(o *Order) string {
	return base64.RawURLEncoding.EncodeToString([]byte(o.UpdatedAt.Format(time.RFC3339Nano) + "|" + o.ID))
}

func parsePageToken(tok string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return time.Time{}, "", err
	}
	ts, id, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, "", fmt.Errorf("bad token")
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	return t, id, err
}

func limit(q url.Values) (int, bool) {
	if q.Get("limit") == "" {
		return DefaultPageSize, true
	}
	n, err := strconv.Atoi(q.Get("limit"))
	return n, err == nil && n >= 1 && n <= MaxPageSize
}

// listOrders is GET /v1/locations/{id}/orders?updated_since=&limit=&page_token=:
// orders with updated_at >= updated_since, by (updated_at, id), with a
// keyset page token.
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request, loc string) {
	q := r.URL.Query()
	n, ok := limit(q)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request", "limit must be 1.."+strconv.Itoa(MaxPageSize))
		return
	}
	var since time.Time
	if v := q.Get("updated_since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", "updated_since must be RFC 3339")
			return
		}
		since = t
	}
	var afterT time.Time
	afterID := ""
	if tok := q.Get("page_token"); tok != "" {
		t, id, err := parsePageToken(tok)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", "bad page_token")
			return
		}
		afterT, afterID = t, id
	}
	s.mu.Lock()
	var list []*Order
	for _, o := range s.orders {
		if o.LocationID != loc || o.UpdatedAt.Before(since) {
			continue
		}
		if afterID != "" && (o.UpdatedAt.Before(afterT) || (o.UpdatedAt.Equal(afterT) && o.ID <= afterID)) {
			continue
		}
		cp := *o
		list = append(list, &cp)
	}
	s.mu.Unlock()
	sort.Slice(list, func(i, j int) bool {
		if !list[i].UpdatedAt.Equal(list[j].UpdatedAt) {
			return list[i].UpdatedAt.Before(list[j].UpdatedAt)
		}
		return list[i].ID < list[j].ID
	})
	var next any
	if len(list) > n {
		list = list[:n]
		next = pageToken(list[n-1])
	}
	page := make([]Order, 0, len(list))
	for _, o := range list {
		page = append(page, *o)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"orders": page}, "meta": map[string]any{"next_page_token": next}})
}

func (s *Server) getOrder(w http.ResponseWriter, id string) {
	o, ok := s.Order(id)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "order "+id+" not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"order": o})
}

// listedPayment is a payment as GET /v1/payments lists it.
type listedPayment struct {
	Payment
	OrderID   string    `json:"order_id"`
	Currency  string    `json:"currency"`
	UpdatedAt time.Time `json:"updated_at"`
}

// listPayments is GET /v1/payments?updated_since=&offset=&limit=: payments
// of orders updated since, by (updated_at, id), with offset paging and
// {"payments": [...], "has_more": bool}.
func (s *Server) listPayments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, ok := limit(q)
	off, err := strconv.Atoi(orZero(q.Get("offset")))
	if !ok || err != nil || off < 0 {
		writeError(w, http.StatusBadRequest, "invalid_request", "bad limit or offset")
		return
	}
	var since time.Time
	if v := q.Get("updated_since"); v != "" {
		if since, err = time.Parse(time.RFC3339Nano, v); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", "updated_since must be RFC 3339")
			return
		}
	}
	s.mu.Lock()
	var list []listedPayment
	for _, o := range s.orders {
		if o.UpdatedAt.Before(since) {
			continue
		}
		for _, p := range o.Payments {
			list = append(list, listedPayment{Payment: p, OrderID: o.ID, Currency: o.Currency, UpdatedAt: o.UpdatedAt})
		}
	}
	s.mu.Unlock()
	sort.Slice(list, func(i, j int) bool {
		if !list[i].UpdatedAt.Equal(list[j].UpdatedAt) {
			return list[i].UpdatedAt.Before(list[j].UpdatedAt)
		}
		return list[i].ID < list[j].ID
	})
	page := []listedPayment{}
	if off < len(list) {
		page = list[off:min(off+n, len(list))]
	}
	writeJSON(w, http.StatusOK, map[string]any{"payments": page, "has_more": off+len(page) < len(list)})
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// putItem is PUT /v1/locations/{id}/items/{item}: create (201) or replace
// (200) the item with that id. POST /v1/locations/{id}/items creates an
// item under a new id (ITM-n) the same way.
func (s *Server) putItem(w http.ResponseWriter, loc, id string, body []byte) {
	if loc != s.location {
		writeError(w, http.StatusNotFound, "not_found", "location "+loc+" not found")
		return
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	var in itemWrite
	if err := d.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if strings.TrimSpace(in.Name) == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "name is required")
		return
	}
	if p, err := rat(in.Price); err != nil || p.Sign() < 0 || in.Price == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "price must be a non-negative decimal string")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, exists := s.items[id]
	if !exists {
		it = &Item{ID: id, LocationID: loc}
		s.items[id] = it
	}
	it.Name, it.SKU, it.Price, it.Category, it.TaxRates = in.Name, in.SKU, in.Price, in.Category, in.TaxRates
	it.Available = in.Available == nil || *in.Available
	it.Version++
	it.UpdatedAt = s.now().UTC()
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"item": it})
}
