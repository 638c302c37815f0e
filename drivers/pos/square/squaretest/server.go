package squaretest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/postest"
)

// Defaults of a new Server.
const (
	DefaultAccessToken  = "EAAAtest-access-token"
	DefaultRefreshToken = "EQAAtest-refresh-token"
	DefaultClientID     = "sq0idp-aura-test"
	DefaultClientSecret = "sq0csp-aura-test-secret"
	DefaultLocationID   = "L1AURATEST"
	DefaultMerchantID   = "MLAURATEST01"
	DefaultSignatureKey = "aura-test-signature-key"
)

// Validator checks requests and responses against Square's OpenAPI
// description (squarespec.Load returns one). The stand-in answers an
// invalid request with 400 and Square's error shape, and records invalid
// responses as violations.
type Validator interface {
	ValidateRequest(r *http.Request, body []byte) error
	ValidateResponse(r *http.Request, reqBody []byte, status int, header http.Header, body []byte) error
}

// Option configures a Server.
type Option func(*Server)

// WithValidator turns on spec validation of every request and response.
func WithValidator(v Validator) Option { return func(s *Server) { s.validator = v } }

// WithClock sets the clock used for timestamps, versions and token expiry.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithLocations sets the seller's location ids (the first is the default
// location for seeded orders and payments).
func WithLocations(ids ...string) Option { return func(s *Server) { s.locations = ids } }

// WithCatalogWriteDelay makes each catalog write take d, so that tests can
// observe Square's one-write-at-a-time lock (a concurrent write gets 429).
func WithCatalogWriteDelay(d time.Duration) Option { return func(s *Server) { s.writeDelay = d } }

// WithRotatingRefreshToken makes every refresh return a new refresh token
// (PKCE-style single-use tokens) instead of the same one.
func WithRotatingRefreshToken() Option { return func(s *Server) { s.rotateRefresh = true } }

// Request is one request as the stand-in received it.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	Status int // the status the stand-in answered
}

// JSON decodes the request body into v.
func (r Request) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// Fault is an error the stand-in answers instead of serving a request.
type Fault struct {
	Status     int
	Category   string // Square error category
	Code       string // Square error code
	RetryAfter string // Retry-After header, if any
	Path       string // only requests whose path starts with Path ("" = any)
}

// RateLimited is a 429 RATE_LIMITED fault with a Retry-After header.
func RateLimited(retryAfter string) Fault {
	return Fault{Status: http.StatusTooManyRequests, Category: "RATE_LIMIT_ERROR", Code: "RATE_LIMITED", RetryAfter: retryAfter}
}

// ServerError is a 500 INTERNAL_SERVER_ERROR fault.
func ServerError() Fault {
	return Fault{Status: http.StatusInternalServerError, Category: "API_ERROR", Code: "INTERNAL_SERVER_ERROR"}
}

// Unavailable is a 503 SERVICE_UNAVAILABLE fault.
func Unavailable() Fault {
	return Fault{Status: http.StatusServiceUnavailable, Category: "API_ERROR", Code: "SERVICE_UNAVAILABLE"}
}

// VersionMismatch is the error Square gives a catalog write with a stale
// version (HTTP 400, code VERSION_MISMATCH: verify the status; the spec's
// ErrorCode enum omits this code although its descriptions use it).
func VersionMismatch() Fault {
	return Fault{Status: http.StatusBadRequest, Category: "INVALID_REQUEST_ERROR", Code: "VERSION_MISMATCH",
		Path: "/v2/catalog/batch-upsert"}
}

type token struct {
	expired bool
	expires time.Time
}

// Server is a stand-in for Square's Connect API: catalog, orders,
// payments, locations and OAuth token refresh, with state, pagination,
// request recording and fault injection. Use Start in tests, or New plus
// an http.Server (it is an http.Handler) elsewhere.
type Server struct {
	mu  sync.Mutex
	now func() time.Time
	hs  *httptest.Server
	url string
	mux *http.ServeMux

	validator  Validator
	violations []string
	requests   []Request

	postest.Faults[Fault] // FailNext

	locations     []string
	clientID      string
	clientSecret  string
	tokens        map[string]*token
	refreshTokens map[string]bool
	rotateRefresh bool
	tokenSeq      int

	// catalog
	objects     map[string]*CatalogObject // every live object, nested ones included, stored flat
	children    map[string][]string       // item -> variation ids, list -> modifier ids
	idSeq       int
	lastVersion int64
	writeDelay  time.Duration
	writing     bool
	idem        map[string]idemEntry

	// orders and payments
	orders   map[string]*Order
	payments map[string]*Payment
	seq      int
}

type idemEntry struct {
	bodyHash string
	status   int
	resp     []byte
}

// New returns a Server that is not listening yet. It starts no goroutines.
func New(opts ...Option) *Server {
	s := &Server{
		now:           time.Now,
		locations:     []string{DefaultLocationID},
		clientID:      DefaultClientID,
		clientSecret:  DefaultClientSecret,
		tokens:        map[string]*token{},
		refreshTokens: map[string]bool{DefaultRefreshToken: true},
		objects:       map[string]*CatalogObject{},
		children:      map[string][]string{},
		idem:          map[string]idemEntry{},
		orders:        map[string]*Order{},
		payments:      map[string]*Payment{},
	}
	for _, o := range opts {
		o(s)
	}
	s.tokens[DefaultAccessToken] = &token{expires: s.now().Add(30 * 24 * time.Hour)}
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// Start returns a listening Server that is closed when the test ends. When
// it has a validator, any invalid response fails the test.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	s.Listen()
	t.Cleanup(func() {
		s.Close()
		for _, v := range s.Violations() {
			t.Errorf("square stand-in: %s", v)
		}
	})
	return s
}

// Listen starts serving on a loopback port (httptest).
func (s *Server) Listen() {
	s.hs = httptest.NewServer(s)
	s.url = s.hs.URL
}

// URL is the base URL to give the adapter as settings.base_url.
func (s *Server) URL() string { return s.url }

// SetURL records the base URL when the caller serves the handler itself.
func (s *Server) SetURL(u string) { s.url = u }

// Close stops the listener started by Listen or Start.
func (s *Server) Close() {
	if s.hs != nil {
		s.hs.Close()
	}
}

var _ http.Handler = (*Server)(nil)

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// RequestsTo returns the recorded requests with the given method and path.
func (s *Server) RequestsTo(method, path string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// CatalogWrites returns the recorded catalog write requests.
func (s *Server) CatalogWrites() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Method != http.MethodGet && (r.Path == "/v2/catalog/batch-upsert" || r.Path == "/v2/catalog/object" ||
			r.Path == "/v2/catalog/batch-delete" || strings.HasPrefix(r.Path, "/v2/catalog/update-")) {
			out = append(out, r)
		}
	}
	return out
}

// ClearRequests forgets the recorded requests.
func (s *Server) ClearRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// Violations returns spec violations seen so far (invalid requests and
// invalid responses), when a validator is set.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// ExpireAccessTokens marks every issued access token expired: the next
// call gets 401 ACCESS_TOKEN_EXPIRED until the adapter refreshes.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	for _, t := range s.tokens {
		t.expired = true
	}
	s.mu.Unlock()
}

// RevokeRefreshTokens makes every refresh attempt fail with 401.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	s.refreshTokens = map[string]bool{}
	s.mu.Unlock()
}

// ValidAccessTokens returns the access tokens that currently work.
func (s *Server) ValidAccessTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, t := range s.tokens {
		if !t.expired {
			out = append(out, k)
		}
	}
	return out
}

// recorder buffers a response so that it can be validated before it is
// sent.
type recorder struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// ServeHTTP records the request, applies faults, auth and validation, and
// routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &recorder{h: http.Header{}}
	invalid := s.serve(rec, r, body)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if s.validator != nil && !invalid { // an invalid request is already a violation
		if err := s.validator.ValidateResponse(r, body, rec.status, rec.h, rec.buf.Bytes()); err != nil {
			s.violate("response to %s %s (%d): %v", r.Method, r.URL.Path, rec.status, err)
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
		Header: r.Header.Clone(), Body: body, Status: rec.status})
	s.mu.Unlock()
	for k, v := range rec.h {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.buf.Bytes())
}

func (s *Server) violate(format string, args ...any) {
	s.mu.Lock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// serve answers one request; it reports whether the request failed spec
// validation.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte) (invalid bool) {
	if f, ok := s.TakeFault(func(f Fault) bool { return strings.HasPrefix(r.URL.Path, f.Path) }); ok {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, f.Status, f.Category, f.Code, "injected fault")
		return false
	}
	if s.validator != nil {
		if err := s.validator.ValidateRequest(r, body); err != nil {
			s.violate("request %s %s: %v", r.Method, r.URL.Path, err)
			writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "BAD_REQUEST", err.Error())
			return true
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if r.URL.Path != "/oauth2/token" && !s.authorized(w, r) {
		return false
	}
	s.mux.ServeHTTP(w, r)
	return false
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	s.mu.Lock()
	t := s.tokens[tok]
	s.mu.Unlock()
	switch {
	case !ok || t == nil:
		writeError(w, http.StatusUnauthorized, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "This request could not be authorized.")
		return false
	case t.expired || !s.now().Before(t.expires):
		writeError(w, http.StatusUnauthorized, "AUTHENTICATION_ERROR", "ACCESS_TOKEN_EXPIRED", "The access token has expired.")
		return false
	}
	return true
}

func (s *Server) routes() {
	s.mux.HandleFunc("POST /oauth2/token", s.obtainToken)
	s.mux.HandleFunc("GET /v2/locations", s.listLocations)
	s.mux.HandleFunc("GET /v2/locations/{location_id}", s.retrieveLocation)
	s.mux.HandleFunc("POST /v2/catalog/batch-upsert", s.batchUpsert)
	s.mux.HandleFunc("POST /v2/catalog/batch-retrieve", s.batchRetrieveCatalog)
	s.mux.HandleFunc("GET /v2/catalog/object/{object_id}", s.retrieveCatalogObject)
	s.mux.HandleFunc("GET /v2/catalog/list", s.listCatalog)
	s.mux.HandleFunc("POST /v2/catalog/batch-delete", s.batchDeleteCatalog)
	s.mux.HandleFunc("POST /v2/orders/search", s.searchOrders)
	s.mux.HandleFunc("POST /v2/orders/batch-retrieve", s.batchRetrieveOrders)
	s.mux.HandleFunc("GET /v2/orders/{order_id}", s.retrieveOrder)
	s.mux.HandleFunc("GET /v2/payments", s.listPayments)
	s.mux.HandleFunc("GET /v2/payments/{payment_id}", s.getPayment)
	s.injectRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "INVALID_REQUEST_ERROR", "NOT_FOUND", "no such endpoint in the stand-in: "+r.Method+" "+r.URL.Path)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":[{"category":"API_ERROR","code":"INTERNAL_SERVER_ERROR"}]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, category, code, detail string) {
	writeErrors(w, status, Error{Category: category, Code: code, Detail: detail})
}

func writeErrors(w http.ResponseWriter, status int, errs ...Error) {
	writeJSON(w, status, map[string]any{"errors": errs})
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "EXPECTED_JSON_BODY", err.Error())
		return false
	}
	return true
}

// --- OAuth and locations ---

func (s *Server) obtainToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		GrantType    string `json:"grant_type"`
		RefreshToken string `json:"refresh_token"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.GrantType != "refresh_token" {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "INVALID_VALUE", "only refresh_token grants are supported")
		return
	}
	if req.ClientID != s.clientID || req.ClientSecret != s.clientSecret {
		writeError(w, http.StatusUnauthorized, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "bad client credentials")
		return
	}
	if !s.refreshTokens[req.RefreshToken] {
		writeError(w, http.StatusUnauthorized, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "refresh token revoked or unknown")
		return
	}
	s.tokenSeq++
	access := "EAAAtest-access-" + strconv.Itoa(s.tokenSeq)
	expires := s.now().Add(30 * 24 * time.Hour).UTC()
	s.tokens[access] = &token{expires: expires}
	refresh := req.RefreshToken
	if s.rotateRefresh {
		delete(s.refreshTokens, refresh)
		refresh = "EQAAtest-refresh-" + strconv.Itoa(s.tokenSeq)
		s.refreshTokens[refresh] = true
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "bearer", "expires_at": expires.Format(time.RFC3339),
		"merchant_id": DefaultMerchantID, "refresh_token": refresh,
	})
}

func (s *Server) location(id string) Location {
	return Location{ID: id, Name: "Aura test " + id, Status: "ACTIVE", Currency: "USD", MerchantID: DefaultMerchantID, Timezone: "UTC"}
}

func (s *Server) listLocations(w http.ResponseWriter, r *http.Request) {
	var ls []Location
	for _, id := range s.locations {
		ls = append(ls, s.location(id))
	}
	writeJSON(w, http.StatusOK, map[string]any{"locations": ls})
}

func (s *Server) retrieveLocation(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("location_id")
	if id == "main" && len(s.locations) > 0 {
		id = s.locations[0]
	}
	for _, l := range s.locations {
		if l == id {
			writeJSON(w, http.StatusOK, map[string]any{"location": s.location(id)})
			return
		}
	}
	writeError(w, http.StatusNotFound, "INVALID_REQUEST_ERROR", "NOT_FOUND", "location "+id+" not found")
}

// --- helpers shared by the handlers ---

// stamp returns a Square-style timestamp.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// newID returns a deterministic, Square-looking id (24 base32 characters).
func (s *Server) newID(prefix string) string {
	s.idSeq++
	h := sha256.Sum256([]byte(prefix + strconv.Itoa(s.idSeq)))
	return base32.StdEncoding.EncodeToString(h[:])[:24]
}
