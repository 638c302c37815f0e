// Package lightspeedtest is a stand-in for the Lightspeed Retail X-Series
// API (2026-07) that follows the documented request and response shapes,
// keeps products, variant attributes and sales, rotates refresh tokens,
// records every request and injects faults, for tests and `aura-edge demo`.
//
// # Documents it follows
//
//   - Lightspeed Retail (X-Series) API 2026-07 OpenAPI description ("API
//     2026-07", OpenAPI 3.0.1, Apache-2.0, served by
//     x-series-api.lightspeedhq.com; read from github.com/api-evangelist/lightspeed
//     openapi/_original/lightspeed-x-series-openapi.json @ 899ac0fb and its
//     Sales tag openapi/lightspeed-sales-api-openapi.yml @ 3cc966a3, on
//     2026-12-03). Sales are served in its Sale shape: a line nests
//     product{id}, pricing{price, discount, discount_total, total},
//     tax{id, amount, total}, return{is_return} and
//     _metadata{sequence, tax_components}; a sale carries
//     _metadata.version, return{is_return, original_sale_id} and
//     source{outlet_id}. The flat 2.x line (product_id, price_total, tax as
//     a number, top-level version, return_for) is not served.
//     drivers/pos/lightspeed/testdata/openapi/sales-2026-07.yaml keeps the
//     sales excerpt, against which spec_test.go validates GET /sales and
//     GET /sales/{id} responses and the adapter's requests with
//     kin-openapi (strictly: undocumented fields fail).
//   - The developer pages on OAuth (POST /api/1.0/token, rotating refresh
//     tokens), webhooks (form-encoded payload, X-Signature) and rate limits.
//
// Start(t) runs it for one test; New() runs it outside tests (call Close).
// Point the adapter at BaseURL() (settings.base_url); the token endpoint is
// served at URL()+"/api/1.0/token", where the adapter derives it.
//
// Catalog reads for menus (categories.go) follow the X-Series API 2026-07
// reference: GET /product_categories ({"data": [...]}) and GET /products with
// the after/page_size version cursor; products keep product_category_id.
package lightspeedtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/postest"
)

// APIPrefix is the path prefix of the dated API.
const APIPrefix = "/api/2026-07"

// TokenPath is the OAuth token endpoint.
const TokenPath = "/api/1.0/token"

// Initial credentials of a new Server (override with WithCredentials).
const (
	ClientID     = "standin-client"
	ClientSecret = "standin-secret"
	RefreshToken = "rt-initial"
	DomainPrefix = "standin"
)

// Request is one recorded request; its Path is without APIPrefix for API
// calls.
type Request postest.Request

// IsWrite reports whether the request changes the catalog.
func (r Request) IsWrite() bool {
	return r.Method != http.MethodGet && r.Path != TokenPath
}

// Fault is an injected failure answered instead of the real response.
type Fault struct {
	Status     int
	RetryAfter string // Retry-After header value, if any
	Body       string // JSON body; default {"error":"..."}
	Path       string // only requests whose API path has this prefix ("" = all API requests)
	Method     string // only requests with this method ("" = every method)
}

// Common faults.
var (
	TooManyRequests = Fault{Status: http.StatusTooManyRequests, RetryAfter: "7", Body: `{"error":"Rate limit exceeded"}`}
	ServerError     = Fault{Status: http.StatusInternalServerError, Body: `{"error":"Internal Server Error"}`}
	Unauthorized    = Fault{Status: http.StatusUnauthorized, Body: `{"error":"invalid_token"}`}
)

// Product is a stored product (one per variant).
type Product struct {
	ID                string      `json:"id"`
	FamilyID          string      `json:"family_id"`
	Name              string      `json:"name"`
	VariantName       string      `json:"variant_name"`
	Description       string      `json:"description,omitempty"`
	SKU               string      `json:"sku,omitempty"`
	PriceExcludingTax json.Number `json:"price_excluding_tax,omitempty"`
	PriceIncludingTax json.Number `json:"price_including_tax,omitempty"`
	IsActive          bool        `json:"is_active"`
	HasVariants       bool        `json:"has_variants"`
	SourceID          string      `json:"source_id,omitempty"`
	SourceVariantID   string      `json:"source_variant_id,omitempty"`
	ProductCategoryID string      `json:"product_category_id,omitempty"`
	VariantOptions    []Option    `json:"variant_options"`
	Version           int64       `json:"version"`
}

// Option is a variant attribute value.
type Option struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

type attribute struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type storedSale struct {
	id      string
	version int64
	body    map[string]any
}

// Server is the stand-in.
type Server struct {
	mu           sync.Mutex
	hs           *httptest.Server
	clientID     string
	clientSecret string
	refresh      string
	access       map[string]time.Time // valid access tokens and their expiry
	tokenTTL     time.Duration
	now          func() time.Time
	maxPage      int
	seq          int
	version      int64
	products     map[string]*Product
	categories   []ProductCategory // categories.go
	attrs        []attribute
	sales        map[string]*storedSale
	loseSale     bool // inject.go: LoseNextSaleAnswer
	loseUpdate   bool // return.go: LoseNextUpdateAnswer
	refreshes    int

	rec                   postest.Recorder
	postest.Faults[Fault] // FailNext
}

// ServerOption configures a Server.
type ServerOption func(*Server)

// WithCredentials sets the OAuth client and the initial refresh token.
func WithCredentials(clientID, clientSecret, refreshToken string) ServerOption {
	return func(s *Server) { s.clientID, s.clientSecret, s.refresh = clientID, clientSecret, refreshToken }
}

// WithTokenTTL sets the lifetime of issued access tokens (default 1 h).
func WithTokenTTL(d time.Duration) ServerOption { return func(s *Server) { s.tokenTTL = d } }

// WithClock sets the server's clock.
func WithClock(now func() time.Time) ServerOption { return func(s *Server) { s.now = now } }

// WithMaxPageSize caps page_size (default 10000).
func WithMaxPageSize(n int) ServerOption { return func(s *Server) { s.maxPage = n } }

// New starts a stand-in on a loopback port. Call Close when done.
func New(opts ...ServerOption) *Server {
	s := &Server{
		clientID: ClientID, clientSecret: ClientSecret, refresh: RefreshToken,
		access: map[string]time.Time{}, tokenTTL: time.Hour, now: time.Now, maxPage: 10000,
		version: 1000, products: map[string]*Product{}, sales: map[string]*storedSale{},
	}
	for _, o := range opts {
		o(s)
	}
	s.hs = httptest.NewServer(s)
	return s
}

// Start runs a stand-in for the duration of the test.
func Start(t testing.TB, opts ...ServerOption) *Server {
	t.Helper()
	s := New(opts...)
	t.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.hs.Close() }

// URL is the server's origin (scheme://host:port).
func (s *Server) URL() string { return s.hs.URL }

// BaseURL is the dated API root to use as settings.base_url.
func (s *Server) BaseURL() string { return s.hs.URL + APIPrefix }

// Credentials returns adapter credentials for the current refresh token.
func (s *Server) Credentials() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]string{"client_id": s.clientID, "client_secret": s.clientSecret, "refresh_token": s.refresh}
}

// Settings returns adapter settings pointing at this server.
func (s *Server) Settings(currency string) map[string]string {
	return map[string]string{"domain_prefix": DomainPrefix, "currency": currency, "base_url": s.BaseURL()}
}

// CurrentRefreshToken is the only refresh token the server accepts now.
func (s *Server) CurrentRefreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh
}

// Refreshes counts successful token refreshes.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// ExpireAccessTokens invalidates every issued access token, so the next API
// call answers 401 and the adapter must refresh.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = map[string]time.Time{}
}

// RevokeRefreshToken makes the current refresh token invalid (as when an
// operator disconnects the app): refreshing then fails with invalid_grant.
func (s *Server) RevokeRefreshToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh = "revoked-" + s.refresh
}

// Requests returns every request so far (API and token endpoint).
func (s *Server) Requests() []Request {
	var out []Request
	for _, r := range s.rec.Requests() {
		out = append(out, Request(r))
	}
	return out
}

// ResetRequests forgets recorded requests.
func (s *Server) ResetRequests() { s.rec.ResetRequests() }

// Writes returns the recorded catalog writes (POST/PUT/DELETE on the API).
func (s *Server) Writes() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.IsWrite() {
			out = append(out, r)
		}
	}
	return out
}

// Products returns the stored products sorted by id.
func (s *Server) Products() []Product {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Product
	for _, p := range s.products {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AddProduct stores a product made in Lightspeed (not by aura-edge) and
// returns its id.
func (s *Server) AddProduct(name, priceExcl string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID()
	s.version++
	s.products[id] = &Product{ID: id, FamilyID: id, Name: name, VariantName: name,
		PriceExcludingTax: json.Number(priceExcl), IsActive: true, Version: s.version}
	return id
}

func (s *Server) newID() string {
	s.seq++
	return fmt.Sprintf("0a000000-0000-4000-8000-%012d", s.seq)
}

// ServeHTTP serves the stand-in API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	path := r.URL.Path
	api := strings.HasPrefix(path, APIPrefix+"/")
	if api {
		path = strings.TrimPrefix(path, APIPrefix)
	}
	req := postest.NewRequest(r, body)
	req.Path = path
	s.rec.Record(req)
	s.mu.Lock()
	defer s.mu.Unlock()

	if path == TokenPath && r.Method == http.MethodPost {
		s.token(w, r, body)
		return
	}
	if !api {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	if f, ok := s.TakeFault(func(f Fault) bool {
		return (f.Path == "" || strings.HasPrefix(path, f.Path)) && (f.Method == "" || f.Method == r.Method)
	}); ok {
		b := f.Body
		if b == "" {
			b = fmt.Sprintf(`{"error":%q}`, http.StatusText(f.Status))
		}
		postest.WriteFault(w, f.Status, f.RetryAfter, []byte(b))
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, valid := s.access[tok]; !ok || !valid || !s.now().Before(exp) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	w.Header().Set("X-RateLimit-Limit", "350")
	w.Header().Set("X-RateLimit-Remaining", "349")
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case path == "/retailer" && r.Method == http.MethodGet:
		writeJSON(w, 200, map[string]any{"data": map[string]any{"id": "retailer-1", "name": "Stand-in Retailer", "domain_prefix": DomainPrefix}})
	case path == "/variant_attributes" && r.Method == http.MethodGet:
		writeJSON(w, 200, map[string]any{"data": s.attrs})
	case path == "/variant_attributes" && r.Method == http.MethodPost:
		s.createAttribute(w, body)
	case path == "/products" && r.Method == http.MethodGet:
		s.listProducts(w, r.URL.Query())
	case path == "/product_categories" && r.Method == http.MethodGet:
		s.listCategories(w)
	case path == "/products" && r.Method == http.MethodPost:
		s.createProduct(w, body)
	case len(seg) == 2 && seg[0] == "products" && r.Method == http.MethodPut:
		s.updateProduct(w, seg[1], body)
	case len(seg) == 2 && seg[0] == "products" && r.Method == http.MethodGet:
		p, ok := s.products[seg[1]]
		if !ok {
			writeJSON(w, 404, map[string]string{"error": "Product not found"})
			return
		}
		writeJSON(w, 200, map[string]any{"data": p})
	case path == "/sales" && r.Method == http.MethodGet:
		s.listSales(w, r.URL.Query())
	case path == "/sales" && r.Method == http.MethodPost:
		s.createSale(w, body) // inject.go
	case len(seg) == 4 && seg[0] == "sales" && seg[2] == "actions" && seg[3] == "return" && r.Method == http.MethodPost:
		s.initReturn(w, seg[1]) // return.go
	case len(seg) == 2 && seg[0] == "sales" && r.Method == http.MethodPut:
		s.updateSale(w, seg[1], body) // return.go
	case len(seg) == 2 && seg[0] == "sales" && r.Method == http.MethodGet:
		ss, ok := s.sales[seg[1]]
		if !ok {
			writeJSON(w, 404, map[string]string{"error": "Sale not found"})
			return
		}
		writeJSON(w, 200, map[string]any{"data": ss.render()})
	default:
		writeJSON(w, 404, map[string]string{"error": "Not found"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// token implements POST /api/1.0/token with grant_type=refresh_token:
// form body only, and each use revokes the refresh token it consumed.
func (s *Server) token(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.URL.RawQuery != "" {
		writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "parameters must be sent in the body"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "form body expected"})
		return
	}
	f, err := url.ParseQuery(string(body))
	if err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	if f.Get("client_id") != s.clientID || f.Get("client_secret") != s.clientSecret {
		writeJSON(w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	if f.Get("grant_type") != "refresh_token" {
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if f.Get("refresh_token") == "" || f.Get("refresh_token") != s.refresh {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "refresh token is invalid or revoked"})
		return
	}
	s.refreshes++
	s.seq++
	at := fmt.Sprintf("at-%d", s.seq)
	s.refresh = fmt.Sprintf("rt-%d", s.seq)
	s.access = map[string]time.Time{at: s.now().Add(s.tokenTTL)}
	writeJSON(w, 200, map[string]any{
		"access_token": at, "token_type": "Bearer", "expires": s.now().Add(s.tokenTTL).Unix(),
		"expires_in": int64(s.tokenTTL / time.Second), "refresh_token": s.refresh, "domain_prefix": DomainPrefix,
	})
}

func (s *Server) createAttribute(w http.ResponseWriter, body []byte) {
	var in struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(body, &in) != nil || in.Name == "" {
		writeJSON(w, 422, map[string]string{"error": "name is required"})
		return
	}
	for _, a := range s.attrs {
		if strings.EqualFold(a.Name, in.Name) {
			writeJSON(w, 422, map[string]string{"error": "variant attribute already exists"})
			return
		}
	}
	a := attribute{ID: s.newID(), Name: in.Name}
	s.attrs = append(s.attrs, a)
	writeJSON(w, 201, map[string]any{"data": a})
}

func (s *Server) attrName(id string) (string, bool) {
	for _, a := range s.attrs {
		if a.ID == id {
			return a.Name, true
		}
	}
	return "", false
}

// decodeStrict decodes JSON keeping numbers as json.Number and rejecting
// prices sent as strings (X-Series prices are JSON numbers).
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

type variantIn struct {
	SKU                string      `json:"sku"`
	PriceExcludingTax  json.Number `json:"price_excluding_tax"`
	PriceIncludingTax  json.Number `json:"price_including_tax"`
	SupplyPrice        json.Number `json:"supply_price"`
	VariantDefinitions []struct {
		AttributeID string `json:"attribute_id"`
		Value       string `json:"value"`
	} `json:"variant_definitions"`
}

type productIn struct {
	Name              string      `json:"name"`
	Description       string      `json:"description"`
	Handle            string      `json:"handle"`
	SKU               string      `json:"sku"`
	PriceExcludingTax json.Number `json:"price_excluding_tax"`
	PriceIncludingTax json.Number `json:"price_including_tax"`
	SupplyPrice       json.Number `json:"supply_price"`
	IsActive          *bool       `json:"is_active"`
	SourceID          string      `json:"source_id"`
	SourceVariantID   string      `json:"source_variant_id"`
	ProductCategoryID string      `json:"product_category_id"`
	Variants          []variantIn `json:"variants"`
}

func validPrice(n json.Number) bool {
	if n == "" {
		return true
	}
	d, err := decimal.NewFromString(string(n))
	return err == nil && !d.IsNegative()
}

func (s *Server) createProduct(w http.ResponseWriter, body []byte) {
	var in productIn
	if err := decodeStrict(body, &in); err != nil {
		writeJSON(w, 422, map[string]string{"error": "invalid product: " + err.Error()})
		return
	}
	if strings.TrimSpace(in.Name) == "" {
		writeJSON(w, 422, map[string]string{"error": "name is required"})
		return
	}
	both := func(ex, in json.Number) bool { return ex != "" && in != "" }
	if both(in.PriceExcludingTax, in.PriceIncludingTax) {
		writeJSON(w, 422, map[string]string{"error": "cannot include both price_including_tax and price_excluding_tax"})
		return
	}
	if !validPrice(in.PriceExcludingTax) || !validPrice(in.PriceIncludingTax) {
		writeJSON(w, 422, map[string]string{"error": "invalid price"})
		return
	}
	active := in.IsActive == nil || *in.IsActive
	if in.ProductCategoryID != "" && !s.hasCategory(in.ProductCategoryID) {
		writeJSON(w, 422, map[string]string{"error": "unknown product_category_id " + in.ProductCategoryID})
		return
	}
	if len(in.Variants) == 0 {
		id := s.newID()
		s.version++
		s.products[id] = &Product{ID: id, FamilyID: id, Name: in.Name, VariantName: in.Name, Description: in.Description,
			SKU: in.SKU, PriceExcludingTax: in.PriceExcludingTax, PriceIncludingTax: in.PriceIncludingTax,
			IsActive: active, SourceID: in.SourceID, SourceVariantID: in.SourceVariantID, VariantOptions: []Option{}, Version: s.version,
			ProductCategoryID: in.ProductCategoryID}
		writeJSON(w, 200, map[string]any{"data": []string{id}})
		return
	}
	var ps []*Product
	family := ""
	for _, v := range in.Variants {
		if both(v.PriceExcludingTax, v.PriceIncludingTax) {
			writeJSON(w, 422, map[string]string{"error": "variant: cannot include both price_including_tax and price_excluding_tax"})
			return
		}
		if !validPrice(v.PriceExcludingTax) || !validPrice(v.PriceIncludingTax) {
			writeJSON(w, 422, map[string]string{"error": "variant: invalid price"})
			return
		}
		if len(v.VariantDefinitions) == 0 {
			writeJSON(w, 422, map[string]string{"error": "variant_definitions are required"})
			return
		}
		var opts []Option
		names := []string{in.Name}
		for _, d := range v.VariantDefinitions {
			n, ok := s.attrName(d.AttributeID)
			if !ok {
				writeJSON(w, 422, map[string]string{"error": "unknown variant attribute " + d.AttributeID})
				return
			}
			opts = append(opts, Option{ID: d.AttributeID, Name: n, Value: d.Value})
			names = append(names, d.Value)
		}
		p := &Product{ID: s.newID(), Name: in.Name, VariantName: strings.Join(names, " / "), Description: in.Description,
			SKU: v.SKU, PriceExcludingTax: v.PriceExcludingTax, PriceIncludingTax: v.PriceIncludingTax,
			IsActive: active, HasVariants: true, SourceID: in.SourceID, VariantOptions: opts, ProductCategoryID: in.ProductCategoryID}
		if family == "" {
			family = p.ID
		}
		p.FamilyID = family
		ps = append(ps, p)
	}
	var ids []string
	for _, p := range ps {
		s.version++
		p.Version = s.version
		s.products[p.ID] = p
		ids = append(ids, p.ID)
	}
	writeJSON(w, 200, map[string]any{"data": ids})
}

func (s *Server) updateProduct(w http.ResponseWriter, id string, body []byte) {
	p, ok := s.products[id]
	if !ok {
		writeJSON(w, 404, map[string]string{"error": "Product not found"})
		return
	}
	var in struct {
		Common *struct {
			Name        *string `json:"name"`
			Description *string `json:"description"`
		} `json:"common"`
		Details *struct {
			PriceExcludingTax      json.Number                   `json:"price_excluding_tax"`
			PriceIncludingTax      json.Number                   `json:"price_including_tax"`
			IsActive               *bool                         `json:"is_active"`
			ProductCodes           []struct{ Type, Code string } `json:"product_codes"`
			VariantAttributeValues []struct {
				AttributeID    string `json:"attribute_id"`
				AttributeValue string `json:"attribute_value"`
			} `json:"variant_attribute_values"`
		} `json:"details"`
	}
	if err := decodeStrict(body, &in); err != nil {
		writeJSON(w, 422, map[string]string{"error": "invalid update: " + err.Error()})
		return
	}
	if in.Common == nil && in.Details == nil {
		writeJSON(w, 422, map[string]string{"error": "nothing to update"})
		return
	}
	if d := in.Details; d != nil {
		if d.PriceExcludingTax != "" && d.PriceIncludingTax != "" {
			writeJSON(w, 422, map[string]string{"error": "cannot include both price_including_tax and price_excluding_tax"})
			return
		}
		if !validPrice(d.PriceExcludingTax) || !validPrice(d.PriceIncludingTax) {
			writeJSON(w, 422, map[string]string{"error": "invalid price"})
			return
		}
		for _, v := range d.VariantAttributeValues {
			if _, ok := s.attrName(v.AttributeID); !ok || !p.HasVariants {
				writeJSON(w, 422, map[string]string{"error": "variant attribute is not on the product family"})
				return
			}
		}
	}
	s.version++
	if c := in.Common; c != nil {
		for _, q := range s.products {
			if q.FamilyID != p.FamilyID {
				continue
			}
			if c.Name != nil {
				q.Name = *c.Name
			}
			if c.Description != nil {
				q.Description = *c.Description
			}
			q.Version = s.version
		}
	}
	if d := in.Details; d != nil {
		if d.PriceExcludingTax != "" {
			p.PriceExcludingTax, p.PriceIncludingTax = d.PriceExcludingTax, ""
		}
		if d.PriceIncludingTax != "" {
			p.PriceIncludingTax, p.PriceExcludingTax = d.PriceIncludingTax, ""
		}
		if d.IsActive != nil {
			p.IsActive = *d.IsActive
		}
		if len(d.ProductCodes) > 0 {
			p.SKU = d.ProductCodes[0].Code
		}
		for _, v := range d.VariantAttributeValues {
			for i := range p.VariantOptions {
				if p.VariantOptions[i].ID == v.AttributeID {
					p.VariantOptions[i].Value = v.AttributeValue
				}
			}
		}
		p.Version = s.version
	}
	writeJSON(w, 200, map[string]any{"data": p})
}

// listSales implements GET /sales?after=&before=&page_size=: sales with
// after < version (< before), ascending, at most page_size, and the
// version range of the page (null when empty).
func (s *Server) listSales(w http.ResponseWriter, q url.Values) {
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	size, _ := strconv.Atoi(q.Get("page_size"))
	if size <= 0 || size > s.maxPage {
		size = s.maxPage
	}
	var all []*storedSale
	for _, ss := range s.sales {
		if ss.version > after && (before == 0 || ss.version < before) {
			all = append(all, ss)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].version < all[j].version })
	if len(all) > size {
		all = all[:size]
	}
	data := []map[string]any{}
	var vmin, vmax *int64
	for _, ss := range all {
		data = append(data, ss.render())
		v := ss.version
		if vmin == nil {
			vmin = &v
		}
		vmax = &v
	}
	writeJSON(w, 200, map[string]any{"data": data, "version": map[string]any{"min": vmin, "max": vmax}})
}

// render is the sale as API 2026-07 serves it: the version is
// _metadata.version (the flat top-level version belongs to the 2.x paths).
func (ss *storedSale) render() map[string]any {
	out := make(map[string]any, len(ss.body)+1)
	for k, v := range ss.body {
		out[k] = v
	}
	out["id"] = ss.id
	md := map[string]any{}
	if m, ok := ss.body["_metadata"].(map[string]any); ok {
		for k, v := range m {
			md[k] = v
		}
	}
	md["version"] = ss.version
	out["_metadata"] = md
	return out
}

// WebhookOption changes how Webhook signs a delivery.
type WebhookOption func(*webhookOpts)

type webhookOpts struct {
	signPayload bool
	base64      bool
	secret      string
	signature   *string
	typ         string
}

// SignDecodedPayload signs the decoded payload field instead of the raw
// form body.
func SignDecodedPayload() WebhookOption { return func(o *webhookOpts) { o.signPayload = true } }

// SignBase64 encodes the signature in base64 instead of hex.
func SignBase64() WebhookOption { return func(o *webhookOpts) { o.base64 = true } }

// SignWith signs with another secret (to test rejection).
func SignWith(secret string) WebhookOption { return func(o *webhookOpts) { o.secret = secret } }

// SignatureHeader sets the X-Signature header verbatim ("" removes it).
func SignatureHeader(v string) WebhookOption { return func(o *webhookOpts) { o.signature = &v } }

// EventType sets the form's type field (default sale.update).
func EventType(t string) WebhookOption { return func(o *webhookOpts) { o.typ = t } }

// Webhook builds a signed sale.update delivery for a stored sale: a
// form-encoded body with the sale as JSON in the payload field and
// X-Signature: signature=<hex HMAC-SHA256 of the raw body>,algorithm=HMAC-SHA256
// keyed with the client secret (the primary assumption; see options).
func (s *Server) Webhook(saleID string, opts ...WebhookOption) pos.WebhookRequest {
	s.mu.Lock()
	o := webhookOpts{secret: s.clientSecret, typ: "sale.update"}
	var payload []byte
	if ss, ok := s.sales[saleID]; ok {
		payload, _ = json.Marshal(ss.render())
	} else {
		payload, _ = json.Marshal(map[string]any{"id": saleID})
	}
	s.mu.Unlock()
	for _, f := range opts {
		f(&o)
	}
	form := url.Values{"type": {o.typ}, "domain_prefix": {DomainPrefix}, "environment": {"prod"},
		"retailer_id": {"retailer-1"}, "payload": {string(payload)}}
	body := []byte(form.Encode())
	signed := body
	if o.signPayload {
		signed = payload
	}
	mac := hmac.New(sha256.New, []byte(o.secret))
	mac.Write(signed)
	sum := mac.Sum(nil)
	sig := hex.EncodeToString(sum)
	if o.base64 {
		sig = base64.StdEncoding.EncodeToString(sum)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("X-Signature", "signature="+sig+",algorithm=HMAC-SHA256")
	if o.signature != nil {
		if *o.signature == "" {
			h.Del("X-Signature")
		} else {
			h.Set("X-Signature", *o.signature)
		}
	}
	return pos.WebhookRequest{URL: "https://edge.example/webhooks/lightspeed", Header: h, Body: body}
}
