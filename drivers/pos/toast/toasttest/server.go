// Package toasttest is a stand-in for the Toast API (authentication,
// orders v2, restaurants) that follows the documented request and response
// shapes, keeps seeded orders, counts logins, records every request and
// injects faults (429 with Retry-After, 500, expired tokens, slowness), for
// tests and `aura-edge demo`.
//
// # Documents it follows
//
//   - Toast Orders API, Swagger 2.0 "Toast Orders API" info.version 2.9.0
//     (doc.toasttab.com/openapi/orders; the copy read is
//     github.com/api-evangelist/toast openapi/_original/toast-orders-openapi.yaml
//     @ 8076403eb79db81623228946df2c63f26b9bdb5a, read 2026-12-03): GET
//     /ordersBulk (startDate, endDate, businessDate, pageSize <= 100, page),
//     GET /orders/{guid}, the Order, Check, MenuItemSelection,
//     AppliedServiceCharge and Payment definitions. In particular
//     Check.amount "includes discounts and service charges" and "does not
//     include gratuity or taxes"; taxAmount "includes service charge and
//     item level taxes"; totalAmount is "including discounts and taxes" and
//     says nothing of gratuity, so the stand-in leaves gratuity out of it
//     and WithGratuityInTotal serves the other reading.
//   - Toast Authentication API (POST /authentication/v1/authentication/login)
//     and the developer guide's webhooks pages: order_updated events with
//     the whole order, Toast-Signature = base64(HMAC-SHA256(secret, body +
//     timestamp)), retries after 5 and then 10 more minutes with the same
//     event (Toast-Attempt-Number counts them).
//
// The Swagger file carries no licence and the mirror holding it has none,
// so it is not copied into this repository and the stand-in is not
// validated against it with kin-openapi (Square's is: squarespec); the
// shapes above are followed by hand.
//
// Start(t) runs it for one test; New() runs it outside tests (call Close).
// Point the adapter at URL() (settings.base_url).
//
// Order creation, pricing and voids (inject.go) follow the same Toast
// Orders API 2.9.0 (operations ordersPost POST /orders, pricesPost POST
// /prices, voidOrder POST /orders/{orderGuid}/void, and GET /orders/{guid}
// answering an externalId too, after the ExternalReference definition) and
// the Toast Developer Guide pages "Creating orders", "Submitting your first
// order to the orders API", "Order details based on the order dining
// option" and "Void an order" (doc.toasttab.com/doc/devguide, read
// 2026-12-03); inject.go lists what is validated.
//
// Menus and stock (menu.go) follow Toast's Menus API v2 (GET /menus/v2/menus)
// and Stock API 1.0.0 (toast-stock-openapi.yaml: PUT /stock/v1/inventory/update,
// GET /stock/v1/inventory).
package toasttest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
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

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/postest"
)

// Defaults of a new Server.
const (
	ClientID       = "toast-client"
	ClientSecret   = "toast-secret"
	WebhookSecret  = "toast-webhook-secret"
	RestaurantGUID = "7c1f0a4e-0000-4000-8000-000000000001"
)

// TimeLayout is the ISO-8601-with-millis format ordersBulk accepts.
const TimeLayout = "2006-01-02T15:04:05.000-0700"

// Request is one recorded request.
type Request = postest.Request

// Fault is an injected failure answered instead of the real response.
type Fault struct {
	Status     int
	RetryAfter string
	Body       string // default: a Toast ErrorMessage
	Path       string // only paths with this prefix ("" = every path but login)
}

// Common faults.
var (
	TooManyRequests = Fault{Status: http.StatusTooManyRequests, RetryAfter: "5"}
	ServerError     = Fault{Status: http.StatusInternalServerError}
	Unauthorized    = Fault{Status: http.StatusUnauthorized}
)

type storedOrder struct {
	guid     string
	modified time.Time
	body     map[string]any
}

// Server is the stand-in.
type Server struct {
	mu              sync.Mutex
	hs              *httptest.Server
	clientID        string
	clientSecret    string
	webhookSecret   string
	restaurant      string
	tokenTTL        time.Duration
	now             func() time.Time
	slow            time.Duration
	seq             int
	tokens          map[string]time.Time
	logins          int
	orders          map[string]*storedOrder
	gratuityInTotal bool
	menu            *menuState        // menus and stock (menu.go)
	external        map[string]string // externalId -> order guid (inject.go)
	creates         int
	voids           int
	pricings        int
	guidOnly        bool // GET /orders/{guid} refuses an externalId (WithGUIDOnlyLookup)

	postest.Recorder      // Requests, ResetRequests
	postest.Faults[Fault] // FailNext
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the server's clock (token expiry, default modified dates).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithGratuityInTotal makes a check's totalAmount include its gratuity
// service charges. The spec describes totalAmount as "including discounts
// and taxes" without saying whether gratuity is in it; by default the
// stand-in leaves it out, and this option serves the other reading, so the
// adapter can be tested against both.
func WithGratuityInTotal() Option { return func(s *Server) { s.gratuityInTotal = true } }

// WithGUIDOnlyLookup makes GET /orders/v2/orders/{guid} refuse an
// externalId with 400 "The GUID was malformed" (the reading of Toast's
// documentation under which an externalId cannot be used there), so that
// the adapter's ordersBulk search is exercised.
func WithGUIDOnlyLookup() Option { return func(s *Server) { s.guidOnly = true } }

// WithTokenTTL sets expiresIn of issued tokens (default 24 h).
func WithTokenTTL(d time.Duration) Option { return func(s *Server) { s.tokenTTL = d } }

// New starts a stand-in on a loopback port. Call Close when done.
func New(opts ...Option) *Server {
	s := &Server{clientID: ClientID, clientSecret: ClientSecret, webhookSecret: WebhookSecret,
		restaurant: RestaurantGUID, tokenTTL: 24 * time.Hour, now: time.Now,
		tokens: map[string]time.Time{}, orders: map[string]*storedOrder{}, external: map[string]string{}}
	for _, o := range opts {
		o(s)
	}
	s.hs = httptest.NewServer(s)
	return s
}

// Start runs a stand-in for the duration of the test.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	t.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.hs.Close() }

// URL is the API root to use as settings.base_url.
func (s *Server) URL() string { return s.hs.URL }

// Credentials returns adapter credentials for this server.
func (s *Server) Credentials() map[string]string {
	return map[string]string{"client_id": s.clientID, "client_secret": s.clientSecret, "webhook_secret": s.webhookSecret}
}

// Settings returns adapter settings pointing at this server.
func (s *Server) Settings(currency string) map[string]string {
	return map[string]string{"restaurant_guid": s.restaurant, "currency": currency, "base_url": s.URL()}
}

// Slow delays every orders API response by d (Toast's can take 30 s).
func (s *Server) Slow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = d
}

// Logins counts login requests.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// ExpireTokens invalidates every issued token: the next call answers 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]time.Time{}
}

func (s *Server) newGUID() string {
	s.seq++
	return fmt.Sprintf("0b000000-0000-4000-8000-%012d", s.seq)
}

// errorBody is Toast's ErrorMessage.
func errorBody(status int, msg string) map[string]any {
	return map[string]any{"status": status, "code": status * 100, "message": msg, "messageKey": nil, "fieldName": nil,
		"link": nil, "requestId": "req-standin", "developerMessage": msg, "errors": []any{},
		"canRetry": status == 429 || status >= 500}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// ServeHTTP serves the stand-in API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	path := r.URL.Path
	s.Record(postest.NewRequest(r, body))
	s.mu.Lock()
	if path == "/authentication/v1/authentication/login" && r.Method == http.MethodPost {
		s.login(w, body)
		s.mu.Unlock()
		return
	}
	if f, ok := s.TakeFault(func(f Fault) bool { return f.Path == "" || strings.HasPrefix(path, f.Path) }); ok {
		s.mu.Unlock()
		var out any = errorBody(f.Status, http.StatusText(f.Status))
		if f.Body != "" {
			out = []byte(f.Body)
		}
		postest.WriteFault(w, f.Status, f.RetryAfter, out)
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, ok := s.tokens[tok]; !ok || !s.now().Before(exp) {
		s.mu.Unlock()
		writeJSON(w, 401, errorBody(401, "Access token is missing, invalid or expired"))
		return
	}
	if r.Header.Get("Toast-Restaurant-External-ID") != s.restaurant {
		s.mu.Unlock()
		writeJSON(w, 400, errorBody(400, "Toast-Restaurant-External-ID header is missing or unknown"))
		return
	}
	slow := s.slow
	s.mu.Unlock()

	switch {
	case r.Method == http.MethodGet && path == "/restaurants/v1/restaurants/"+s.restaurant:
		writeJSON(w, 200, map[string]any{"guid": s.restaurant, "general": map[string]any{"name": "Stand-in Diner"}})
	case r.Method == http.MethodGet && path == "/orders/v2/ordersBulk":
		if !sleep(r.Context(), slow) {
			return
		}
		s.ordersBulk(w, r.URL.Query())
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/orders/v2/orders/"):
		if !sleep(r.Context(), slow) {
			return
		}
		s.mu.Lock()
		id := strings.TrimPrefix(path, "/orders/v2/orders/")
		o, ok := s.orders[id]
		if !ok && strings.Contains(id, ":") { // an externalId (inject.go)
			if s.guidOnly {
				s.mu.Unlock()
				writeJSON(w, 400, errorBody(400, "The GUID was malformed"))
				return
			}
			o, ok = s.orders[s.external[id]]
		}
		var out map[string]any
		if ok {
			out = o.body
		}
		b, _ := json.Marshal(out)
		s.mu.Unlock()
		if !ok {
			writeJSON(w, 404, errorBody(404, "Order not found"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "/orders/v2/orders/") && strings.HasSuffix(path, "/void"):
		s.voidOrder(w, strings.TrimSuffix(strings.TrimPrefix(path, "/orders/v2/orders/"), "/void"), body)
	case r.Method == http.MethodPost && path == "/orders/v2/prices":
		s.prices(w, r, body)
	case r.Method == http.MethodPost && path == "/orders/v2/orders":
		if !sleep(r.Context(), slow) {
			return
		}
		s.createOrder(w, r, body)
	case strings.HasPrefix(path, "/menus/v2/") || strings.HasPrefix(path, "/stock/v1/"):
		s.serveMenu(w, r, path, body)
	default:
		writeJSON(w, 404, errorBody(404, "Not found"))
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// login implements POST /authentication/v1/authentication/login. Called
// with mu held.
func (s *Server) login(w http.ResponseWriter, body []byte) {
	s.logins++
	var in struct {
		ClientID       string `json:"clientId"`
		ClientSecret   string `json:"clientSecret"`
		UserAccessType string `json:"userAccessType"`
	}
	if json.Unmarshal(body, &in) != nil || in.UserAccessType != "TOAST_MACHINE_CLIENT" {
		writeJSON(w, 400, errorBody(400, "userAccessType must be TOAST_MACHINE_CLIENT"))
		return
	}
	if in.ClientID != s.clientID || in.ClientSecret != s.clientSecret {
		writeJSON(w, 401, errorBody(401, "Invalid client credentials"))
		return
	}
	s.seq++
	tok := fmt.Sprintf("jwt-%d", s.seq)
	s.tokens[tok] = s.now().Add(s.tokenTTL)
	writeJSON(w, 200, map[string]any{
		"@class": ".SuccessfulResponse", "status": "SUCCESS",
		"token": map[string]any{"tokenType": "Bearer", "scope": "orders:read restaurants:read", "expiresIn": int64(s.tokenTTL / time.Second),
			"accessToken": tok, "idToken": nil, "refreshToken": nil},
	})
}

// ordersBulk implements GET /orders/v2/ordersBulk: modified in
// [startDate, endDate), sorted by modified date, pageSize <= 100, page >= 1.
func (s *Server) ordersBulk(w http.ResponseWriter, q url.Values) {
	start, err1 := time.Parse(TimeLayout, q.Get("startDate"))
	end, err2 := time.Parse(TimeLayout, q.Get("endDate"))
	if err1 != nil || err2 != nil {
		writeJSON(w, 400, errorBody(400, "startDate and endDate must be ISO-8601 with milliseconds, e.g. 2016-01-01T14:13:12.000+0000"))
		return
	}
	size, page := 100, 1
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeJSON(w, 400, errorBody(400, "pageSize must be between 1 and 100"))
			return
		}
		size = n
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeJSON(w, 400, errorBody(400, "page must be at least 1"))
			return
		}
		page = n
	}
	s.mu.Lock()
	var hits []*storedOrder
	for _, o := range s.orders {
		if !o.modified.Before(start) && o.modified.Before(end) {
			hits = append(hits, o)
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if !hits[i].modified.Equal(hits[j].modified) {
			return hits[i].modified.Before(hits[j].modified)
		}
		return hits[i].guid < hits[j].guid
	})
	out := []map[string]any{}
	for i := (page - 1) * size; i < len(hits) && i < page*size; i++ {
		out = append(out, hits[i].body)
	}
	b, _ := json.Marshal(out)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// WebhookOption changes a webhook delivery.
type WebhookOption func(*webhookOpts)

type webhookOpts struct {
	at        *time.Time
	inHeader  bool
	secret    string
	noSig     bool
	eventGUID string
	attempt   int
}

// WebhookAt sets the signed timestamp (default: the server clock's now).
func WebhookAt(t time.Time) WebhookOption { return func(o *webhookOpts) { o.at = &t } }

// TimestampInHeader sends the timestamp as a Toast-Timestamp header
// instead of in the payload.
func TimestampInHeader() WebhookOption { return func(o *webhookOpts) { o.inHeader = true } }

// WebhookSignedWith signs with another secret.
func WebhookSignedWith(secret string) WebhookOption {
	return func(o *webhookOpts) { o.secret = secret }
}

// WithoutSignature omits the Toast-Signature header.
func WithoutSignature() WebhookOption { return func(o *webhookOpts) { o.noSig = true } }

// Attempt sets Toast-Attempt-Number: Toast retries a failed delivery after
// 5 and then 10 more minutes, resending the same event (same guid, same
// signed timestamp); pass WebhookAt with the original time and EventGUID
// with the original guid to model a retry.
func Attempt(n int) WebhookOption { return func(o *webhookOpts) { o.attempt = n } }

// EventGUID sets the event's guid (default: a new one per delivery, so
// pass the same one to model a redelivery).
func EventGUID(g string) WebhookOption { return func(o *webhookOpts) { o.eventGUID = g } }

// Webhook builds an order_updated delivery with the complete stored order:
// {"timestamp","eventCategory":"orders","eventType":"order_updated","guid",
// "details":{"restaurantGuid","order"}} with
// Toast-Signature = base64(HMAC-SHA256(secret, body + timestamp)).
func (s *Server) Webhook(orderGUID string, opts ...WebhookOption) pos.WebhookRequest {
	s.mu.Lock()
	o := webhookOpts{secret: s.webhookSecret}
	for _, f := range opts {
		f(&o)
	}
	at := s.now()
	if o.at != nil {
		at = *o.at
	}
	if o.eventGUID == "" {
		o.eventGUID = s.newGUID()
	}
	var order any = map[string]any{"guid": orderGUID}
	if so, ok := s.orders[orderGUID]; ok {
		order = so.body
	}
	s.mu.Unlock()
	ts := at.UTC().Format(TimeLayout)
	env := map[string]any{"eventCategory": "orders", "eventType": "order_updated", "guid": o.eventGUID,
		"details": map[string]any{"restaurantGuid": s.restaurant, "order": order}}
	if !o.inHeader {
		env["timestamp"] = ts
	}
	body, _ := json.Marshal(env)
	mac := hmac.New(sha256.New, []byte(o.secret))
	mac.Write(body)
	mac.Write([]byte(ts))
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Toast-Event-Type", "order_updated")
	h.Set("Toast-Event-Category", "orders")
	h.Set("Toast-Restaurant-External-ID", s.restaurant)
	h.Set("Toast-Attempt-Number", strconv.Itoa(max(o.attempt, 1)))
	if !o.noSig {
		h.Set("Toast-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	if o.inHeader {
		h.Set("Toast-Timestamp", ts)
	}
	return pos.WebhookRequest{URL: "https://edge.example/webhooks/toast", Header: h, Body: body}
}
