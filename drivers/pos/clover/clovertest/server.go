package clovertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/postest"
)

// Defaults for a new Server.
const (
	DefaultMerchant     = "MERCHANT00001"
	DefaultAccessToken  = "test-access-token"
	DefaultRefreshToken = "test-refresh-token"
	DefaultClientID     = "TESTAPPCLIENT"
	DefaultAuthCode     = "test-webhook-auth-code"
	DefaultAppID        = "TESTAPP000001"
)

// Request is one recorded request; IsWrite reports whether it changes
// state (every method but GET and HEAD).
type Request = postest.Request

// Fault is an injected failure answered instead of the real response.
type Fault struct {
	Status     int    // HTTP status to answer
	RetryAfter string // Retry-After header value, if any
	Message    string // body is {"message": Message}
	// Method and PathContains restrict which requests the fault hits; by
	// default it hits any /v3/ request (not the OAuth endpoint).
	Method       string
	PathContains string
}

// TooManyRequests is Clover's 429 with a Retry-After in seconds.
func TooManyRequests(retryAfter string) Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter, Message: "Too Many Requests"}
}

// ConcurrencyLimited is the 429 Clover sends over 5 concurrent requests per
// token; it carries retry-after.
func ConcurrencyLimited() Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: "1", Message: "Too many concurrent requests"}
}

// ServerError is a 500.
func ServerError() Fault {
	return Fault{Status: http.StatusInternalServerError, Message: "Internal Server Error"}
}

// TokenExpired is the 401 an expired access token gets.
func TokenExpired() Fault { return Fault{Status: http.StatusUnauthorized, Message: "401 Unauthorized"} }

// Option configures a Server.
type Option func(*Server)

// WithMerchant sets the merchant id (default DefaultMerchant).
func WithMerchant(id string) Option { return func(s *Server) { s.merchant = id } }

// WithTokens sets the initial access and refresh tokens.
func WithTokens(access, refresh string) Option {
	return func(s *Server) { s.initAccess, s.initRefresh = access, refresh }
}

// WithClientID sets the app (client) id the refresh endpoint accepts.
func WithClientID(id string) Option { return func(s *Server) { s.clientID = id } }

// WithAuthCode sets the webhook X-Clover-Auth code.
func WithAuthCode(code string) Option { return func(s *Server) { s.authCode = code } }

// WithClock sets the clock used for modifiedTime, createdTime and token
// expiry (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithTenderExpansion names the orders list's tender expansion (default
// "payment.tender", as the "Get all orders" parameter text spells it). Other
// readings ("payments.tender") test that the adapter still gets the tender
// when its expansion is ignored: the tender is then a bare {id}.
func WithTenderExpansion(name string) Option { return func(s *Server) { s.tenderExp = name } }

// WithTokenTTL sets how long refreshed access tokens live (default 1h).
func WithTokenTTL(d time.Duration) Option { return func(s *Server) { s.ttl = d } }

// WithRateLimit answers 429 (without Retry-After) to more than n requests
// per second per token, as Clover does over 16 req/s.
func WithRateLimit(n int) Option { return func(s *Server) { s.rateLimit = n } }

// WithConcurrencyLimit answers 429 with retry-after when more than n
// requests per token are in flight (Clover: 5).
func WithConcurrencyLimit(n int) Option { return func(s *Server) { s.concLimit = n } }

// Server is a stand-in Clover API. All methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu          sync.Mutex
	merchant    string
	appID       string
	clientID    string
	authCode    string
	initAccess  string
	initRefresh string
	now         func() time.Time
	ttl         time.Duration
	rateLimit   int
	concLimit   int

	access     map[string]int64 // access token -> expiry (unix s; 0 never)
	refresh    map[string]bool  // refresh tokens not yet used
	lastTokens [2]string
	refreshes  int
	hits       map[string][]time.Time // per token, for the rate limit
	inflight   map[string]int
	ignoreSort bool

	seq        map[string]int
	items      map[string]*Item
	groups     map[string]*ModifierGroup
	modifiers  map[string]*Modifier
	taxRates   map[string]*TaxRate
	itemGroups [][2]string // item id, group id
	taxItems   [][2]string // item id, tax rate id
	menu       *menuState  // categories (catalog_menu.go)
	orders     map[string]*Order
	ignored    []string // undocumented expansions asked for
	tenderExp  string   // the list route's tender expansion (default payment.tender)
	loseInject bool     // inject.go: LoseNextInjectAnswer

	postest.Recorder      // Requests, Writes, ResetRequests
	postest.Faults[Fault] // FailNext
}

// New builds a Server and starts it listening on a loopback port (as
// httptest.NewServer does). Close stops it.
func New(opts ...Option) *Server {
	s := NewHandler(opts...)
	s.srv = httptest.NewServer(s)
	return s
}

// NewHandler builds a Server without listening: use it as an http.Handler.
func NewHandler(opts ...Option) *Server {
	s := &Server{
		merchant: DefaultMerchant, appID: DefaultAppID, clientID: DefaultClientID, authCode: DefaultAuthCode,
		initAccess: DefaultAccessToken, initRefresh: DefaultRefreshToken, now: time.Now, ttl: time.Hour,
		access: map[string]int64{}, refresh: map[string]bool{}, hits: map[string][]time.Time{}, inflight: map[string]int{},
		seq: map[string]int{}, items: map[string]*Item{}, groups: map[string]*ModifierGroup{},
		modifiers: map[string]*Modifier{}, taxRates: map[string]*TaxRate{}, orders: map[string]*Order{},
	}
	for _, o := range opts {
		o(s)
	}
	s.access[s.initAccess] = 0
	if s.initRefresh != "" {
		s.refresh[s.initRefresh] = true
	}
	s.lastTokens = [2]string{s.initAccess, s.initRefresh}
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

// Merchant returns the merchant id.
func (s *Server) Merchant() string { return s.merchant }

// AuthCode returns the webhook auth code.
func (s *Server) AuthCode() string { return s.authCode }

// Credentials returns the credentials an adapter needs for this server.
func (s *Server) Credentials() map[string]string {
	return map[string]string{"access_token": s.initAccess, "refresh_token": s.initRefresh,
		"client_id": s.clientID, "webhook_auth_code": s.authCode}
}

// Settings returns the settings an adapter needs for this server.
func (s *Server) Settings() map[string]string {
	return map[string]string{"merchant_id": s.merchant, "base_url": s.URL(), "currency": "USD"}
}

// ExpireAccessTokens makes every access token issued so far invalid, so the
// next call gets 401 and the client must refresh.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	for k := range s.access {
		s.access[k] = -1
	}
	s.mu.Unlock()
}

// IgnoreOrderBy makes the orders list ignore orderBy and return orders
// newest created first (tests the adapter's fallback paging).
func (s *Server) IgnoreOrderBy(on bool) {
	s.mu.Lock()
	s.ignoreSort = on
	s.mu.Unlock()
}

// Tokens returns the newest access and refresh tokens issued and how many
// refreshes succeeded.
func (s *Server) Tokens() (access, refresh string, refreshes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastTokens[0], s.lastTokens[1], s.refreshes
}

func (s *Server) nextID(prefix string) string {
	s.seq[prefix]++
	return fmt.Sprintf("%s%011d", prefix, s.seq[prefix])
}

func (s *Server) nowMs() int64 { return s.now().UnixMilli() }

type apiError struct {
	status  int
	message string
}

func errf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, message: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, map[string]string{"message": e.message})
}

// ServeHTTP records the request, applies faults and limits, authenticates
// and routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	s.Record(postest.NewRequest(r, body))
	if f, ok := s.TakeFault(func(f Fault) bool { return postest.Matches(r, f.Method, f.PathContains, "/v3/") }); ok {
		postest.WriteFault(w, f.Status, f.RetryAfter, map[string]string{"message": f.Message})
		return
	}

	if r.URL.Path == "/oauth/v2/refresh" {
		if r.Method != http.MethodPost {
			writeErr(w, errf(http.StatusMethodNotAllowed, "Method Not Allowed"))
			return
		}
		out, e := s.refreshTokens(body)
		if e != nil {
			writeErr(w, e)
			return
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v3/merchants/")
	if !ok {
		writeErr(w, errf(http.StatusNotFound, "Not Found"))
		return
	}
	tok, e := s.authenticate(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	release, e, retry := s.limit(tok)
	if e != nil {
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		writeErr(w, e)
		return
	}
	defer release()
	mID, rest, _ := strings.Cut(rest, "/")
	if mID != s.merchant {
		writeErr(w, errf(http.StatusForbidden, "Forbidden: unknown merchant %s", mID))
		return
	}
	var parts []string
	if rest != "" {
		parts = strings.Split(rest, "/")
	}
	status, out, e := s.route(r.Method, parts, r.URL.Query(), body)
	if e != nil {
		writeErr(w, e)
		return
	}
	writeJSON(w, status, out)
}

func (s *Server) authenticate(r *http.Request) (string, *apiError) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return "", errf(http.StatusUnauthorized, "401 Unauthorized")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.access[tok]
	if !ok || exp < 0 || (exp > 0 && s.now().Unix() >= exp) {
		return "", errf(http.StatusUnauthorized, "401 Unauthorized")
	}
	return tok, nil
}

func (s *Server) limit(tok string) (release func(), e *apiError, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rateLimit > 0 {
		now := time.Now()
		hs := s.hits[tok][:0]
		for _, t := range s.hits[tok] {
			if now.Sub(t) < time.Second {
				hs = append(hs, t)
			}
		}
		if len(hs) >= s.rateLimit {
			s.hits[tok] = hs
			return nil, errf(http.StatusTooManyRequests, "Too Many Requests"), ""
		}
		s.hits[tok] = append(hs, now)
	}
	if s.concLimit > 0 && s.inflight[tok] >= s.concLimit {
		return nil, errf(http.StatusTooManyRequests, "Too many concurrent requests"), "1"
	}
	s.inflight[tok]++
	return func() {
		s.mu.Lock()
		s.inflight[tok]--
		s.mu.Unlock()
	}, nil, ""
}

// refreshTokens implements POST /oauth/v2/refresh: the refresh token is
// single-use; a new access and refresh pair is returned.
func (s *Server) refreshTokens(body []byte) (any, *apiError) {
	var in struct {
		ClientID     string `json:"client_id"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := strictDecode(body, &in); err != nil {
		return nil, errf(http.StatusBadRequest, "invalid request: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ClientID != s.clientID {
		return nil, errf(http.StatusBadRequest, "invalid client_id")
	}
	if !s.refresh[in.RefreshToken] {
		return nil, errf(http.StatusUnauthorized, "invalid or already used refresh_token")
	}
	delete(s.refresh, in.RefreshToken)
	s.refreshes++
	access := fmt.Sprintf("access-%d", s.refreshes)
	refresh := fmt.Sprintf("refresh-%d", s.refreshes)
	now := s.now().Unix()
	exp := now + int64(s.ttl/time.Second)
	s.access[access] = exp
	s.refresh[refresh] = true
	s.lastTokens = [2]string{access, refresh}
	return map[string]any{
		"access_token": access, "access_token_expiration": exp,
		"refresh_token": refresh, "refresh_token_expiration": now + 365*24*3600,
	}, nil
}

// strictDecode decodes one JSON object and refuses unknown fields, so a
// misspelt field in a client payload is a 400 here rather than silently
// ignored.
func strictDecode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}
