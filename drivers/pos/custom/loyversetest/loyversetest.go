// Package loyversetest is a stand-in for the Loyverse API v1.0, written
// from Loyverse's published API reference (https://developer.loyverse.com/docs/,
// "Loyverse API v1.0": bearer access tokens, GET /v1.0/receipts with
// created_at/updated_at filters, limit and an opaque cursor, GET
// /v1.0/receipts/{receipt_number}, POST /v1.0/receipts to create a receipt
// (store_id, order, source, receipt_date, note, line_items with variant_id,
// quantity and price, payments with payment_type_id and money_amount;
// unknown fields, unknown variants and payment types refused), POST
// /v1.0/items to create or update an item with its variants, errors as {"errors":[{"code","details"}]}, and
// webhooks signed with X-Loyverse-Signature, a base64 HMAC-SHA1 of the
// body). It follows those documents, not the aura-edge manifest
// (configs/adapters/loyverse.yaml) that talks to it.
//
// Receipts are kept as the API returns them: money in major units as JSON
// numbers, quantities as numbers, receipt_type SALE or REFUND (refund_for
// names the refunded receipt), line_modifiers, total_discounts,
// total_taxes (type ADDED or INCLUDED), tip, surcharge and payments.
// Totals are computed with exact decimals, independently of the adapter.
package loyversetest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos/postest"
)

// Defaults of a new Server.
const (
	DefaultToken         = "loyverse-test-token"
	DefaultWebhookSecret = "loyverse-webhook-secret"
	DefaultStore         = "6b365a0c-a2a8-4774-8904-06cedede22e6"
	DefaultLimit         = 10
	// PaymentTypeCash and PaymentTypeCard are the payment types the store
	// has (GET /v1.0/payment_types would list them).
	PaymentTypeCash = "42dd2ec6-1b0c-4d41-8b1a-0a0e8f2b0c01"
	PaymentTypeCard = "42dd2ec6-1b0c-4d41-8b1a-0a0e8f2b0c02"
	MaxLimit        = 250
)

// Request is one recorded request.
type Request = postest.Request

// Fault is an injected failure answered instead of the real response to
// /v1.0 requests (Method and PathContains narrow it).
type Fault struct {
	Status       int
	RetryAfter   string
	Code         string
	Method       string
	PathContains string
}

// Modifier is a line modifier option chosen on a line.
type Modifier struct {
	ID               string      `json:"id"`
	ModifierOptionID string      `json:"modifier_option_id"`
	Name             string      `json:"name"`
	Option           string      `json:"option"`
	Price            json.Number `json:"price"`
	MoneyAmount      json.Number `json:"money_amount"`
}

// Line is a receipt line item.
type Line struct {
	ID              string      `json:"id"`
	ItemID          string      `json:"item_id"`
	VariantID       string      `json:"variant_id"`
	ItemName        string      `json:"item_name"`
	VariantName     *string     `json:"variant_name"`
	SKU             string      `json:"sku"`
	Quantity        json.Number `json:"quantity"`
	Price           json.Number `json:"price"`
	GrossTotalMoney json.Number `json:"gross_total_money"`
	TotalMoney      json.Number `json:"total_money"`
	Cost            json.Number `json:"cost"`
	CostTotal       json.Number `json:"cost_total"`
	LineNote        *string     `json:"line_note"`
	LineTaxes       []any       `json:"line_taxes"`
	TotalDiscount   json.Number `json:"total_discount"`
	LineDiscounts   []any       `json:"line_discounts"`
	LineModifiers   []Modifier  `json:"line_modifiers"`
}

// Discount is a receipt-level discount.
type Discount struct {
	ID          string      `json:"id"`
	Type        string      `json:"type"` // FIXED_AMOUNT, FIXED_PERCENT
	Name        string      `json:"name"`
	Percentage  json.Number `json:"percentage,omitempty"`
	MoneyAmount json.Number `json:"money_amount"`
}

// Tax is a tax applied to the receipt.
type Tax struct {
	ID          string      `json:"id"`
	Type        string      `json:"type"` // ADDED or INCLUDED
	Name        string      `json:"name"`
	Rate        json.Number `json:"rate"`
	MoneyAmount json.Number `json:"money_amount"`
}

// Payment is a payment (or, on a REFUND receipt, money paid back).
type Payment struct {
	PaymentTypeID  string      `json:"payment_type_id"`
	Name           string      `json:"name"`
	Type           string      `json:"type"` // CASH, NONCASH, CARD, ...
	MoneyAmount    json.Number `json:"money_amount"`
	PaidAt         time.Time   `json:"paid_at"`
	PaymentDetails any         `json:"payment_details"`
}

// Receipt is a Loyverse receipt as GET /v1.0/receipts returns it.
type Receipt struct {
	ReceiptNumber  string      `json:"receipt_number"`
	Note           *string     `json:"note"`
	ReceiptType    string      `json:"receipt_type"` // SALE or REFUND
	RefundFor      *string     `json:"refund_for"`
	Order          *string     `json:"order"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
	Source         string      `json:"source"`
	ReceiptDate    time.Time   `json:"receipt_date"`
	CancelledAt    *time.Time  `json:"cancelled_at"`
	TotalMoney     json.Number `json:"total_money"`
	TotalTax       json.Number `json:"total_tax"`
	PointsEarned   json.Number `json:"points_earned"`
	PointsDeducted json.Number `json:"points_deducted"`
	PointsBalance  json.Number `json:"points_balance"`
	CustomerID     *string     `json:"customer_id"`
	TotalDiscount  json.Number `json:"total_discount"`
	EmployeeID     string      `json:"employee_id"`
	StoreID        string      `json:"store_id"`
	PosDeviceID    string      `json:"pos_device_id"`
	DiningOption   string      `json:"dining_option"`
	TotalDiscounts []Discount  `json:"total_discounts"`
	TotalTaxes     []Tax       `json:"total_taxes"`
	Tip            json.Number `json:"tip"`
	Surcharge      json.Number `json:"surcharge"`
	LineItems      []Line      `json:"line_items"`
	Payments       []Payment   `json:"payments"`
}

// Item is an item as POST /v1.0/items stores it.
type Item struct {
	ID         string    `json:"id"`
	ItemName   string    `json:"item_name"`
	CategoryID *string   `json:"category_id"`
	TrackStock bool      `json:"track_stock"`
	Variants   []Variant `json:"variants"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Variant is an item variant with its per-store price.
type Variant struct {
	VariantID          string         `json:"variant_id"`
	ItemID             string         `json:"item_id"`
	SKU                string         `json:"sku"`
	Option1Value       *string        `json:"option1_value"`
	DefaultPricingType string         `json:"default_pricing_type"` // FIXED or VARIABLE
	DefaultPrice       *json.Number   `json:"default_price"`
	Stores             []VariantStore `json:"stores"`
}

// VariantStore is a variant's price and availability in one store.
type VariantStore struct {
	StoreID          string       `json:"store_id"`
	PricingType      string       `json:"pricing_type"`
	Price            *json.Number `json:"price"`
	AvailableForSale bool         `json:"available_for_sale"`
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithToken sets the accepted access token.
func WithToken(tok string) Option { return func(s *Server) { s.token = tok } }

// Server is the stand-in. Safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu            sync.Mutex
	now           func() time.Time
	token         string
	webhookSecret string
	store         string
	receipts      map[string]*Receipt
	items         map[string]*Item
	seq           int

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
	s := &Server{now: time.Now, token: DefaultToken, webhookSecret: DefaultWebhookSecret, store: DefaultStore,
		receipts: map[string]*Receipt{}, items: map[string]*Item{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// URL is the API root (settings.base_url).
func (s *Server) URL() string { return s.srv.URL }

// Store is the store id.
func (s *Server) Store() string { return s.store }

// Credentials are what the Loyverse manifest needs.
func (s *Server) Credentials() map[string]string {
	return map[string]string{"access_token": s.token, "webhook_secret": s.webhookSecret}
}

// Settings are base_url and store_id.
func (s *Server) Settings() map[string]string {
	return map[string]string{"base_url": s.URL(), "store_id": s.store}
}

// RevokeToken makes the server refuse the current token.
func (s *Server) RevokeToken() {
	s.mu.Lock()
	s.token = "revoked-" + s.token
	s.mu.Unlock()
}

// Sale describes a receipt to seed; amounts are decimal strings.
type Sale struct {
	Number    string
	Refund    string // the refunded receipt number: receipt_type REFUND
	At        time.Time
	Lines     []SaleLine
	Discount  string // order-level fixed discount
	Taxes     []SaleTax
	Surcharge string
	Tip       string
	Payments  []SalePayment // default: one CASH payment of the total
}

// SaleLine is a line of a Sale.
type SaleLine struct {
	Name, Variant, Qty, Price string
	Modifiers                 []SaleModifier
}

// SaleModifier is a chosen modifier option (once per unit).
type SaleModifier struct{ Name, Option, Price string }

// SaleTax is a tax rate in percent; Included taxes are part of the prices.
type SaleTax struct {
	Name, Rate string
	Included   bool
}

// SalePayment is a payment of a Sale.
type SalePayment struct{ Type, Name, Amount string }

func dec(s string) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	return decimal.RequireFromString(s)
}

func num(d decimal.Decimal) json.Number { return json.Number(d.String()) }

// r2 rounds to cents, half away from zero.
func r2(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// SeedReceipt adds (or replaces) a receipt built from sale, computing its
// totals: each line's gross is qty x price plus each modifier's price x
// qty, rounded to cents; taxes apply to subtotal less discount (added:
// rate/100, included: rate/(100+rate)); total_money = subtotal - discount
// + added taxes + surcharge + tip. It returns the stored receipt.
func (s *Server) SeedReceipt(sale Sale) Receipt {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	at := sale.At
	if at.IsZero() {
		at = s.now().UTC().Truncate(time.Millisecond)
	}
	typ := "SALE"
	var refundFor *string
	if sale.Refund != "" {
		typ, refundFor = "REFUND", &sale.Refund
	}
	r := &Receipt{ReceiptNumber: sale.Number, ReceiptType: typ, RefundFor: refundFor, CreatedAt: at, UpdatedAt: at,
		Source: "point of sale", ReceiptDate: at, StoreID: s.store, EmployeeID: "emp-1", PosDeviceID: "pos-1",
		DiningOption: "Dine in", PointsEarned: "0", PointsDeducted: "0", PointsBalance: "0",
		TotalDiscounts: []Discount{}, TotalTaxes: []Tax{}, Payments: []Payment{}}
	subtotal := decimal.Zero
	for i, l := range sale.Lines {
		qty, price := dec(l.Qty), dec(l.Price)
		gross := r2(qty.Mul(price))
		var mods []Modifier
		for j, m := range l.Modifiers {
			mp := dec(m.Price)
			gross = gross.Add(r2(mp.Mul(qty)))
			mods = append(mods, Modifier{ID: fmt.Sprintf("mod-%d-%d", i+1, j+1), ModifierOptionID: "opt-" + m.Option,
				Name: m.Name, Option: m.Option, Price: num(mp), MoneyAmount: num(r2(mp.Mul(qty)))})
		}
		if mods == nil {
			mods = []Modifier{}
		}
		var vn *string
		if l.Variant != "" {
			v := l.Variant
			vn = &v
		}
		subtotal = subtotal.Add(gross)
		r.LineItems = append(r.LineItems, Line{ID: fmt.Sprintf("%s-line-%d", sale.Number, i+1), ItemID: "item-" + l.Name,
			VariantID: "var-" + l.Name + l.Variant, ItemName: l.Name, VariantName: vn, SKU: fmt.Sprintf("SKU%d", i+1),
			Quantity: num(qty), Price: num(price), GrossTotalMoney: num(gross), TotalMoney: num(gross), Cost: "0",
			CostTotal: "0", LineTaxes: []any{}, TotalDiscount: "0", LineDiscounts: []any{}, LineModifiers: mods})
	}
	disc := dec(sale.Discount)
	if !disc.IsZero() {
		r.TotalDiscounts = append(r.TotalDiscounts, Discount{ID: "disc-1", Type: "FIXED_AMOUNT", Name: "Discount", MoneyAmount: num(disc)})
	}
	base := subtotal.Sub(disc)
	added, taxTotal := decimal.Zero, decimal.Zero
	for i, t := range sale.Taxes {
		rate := dec(t.Rate)
		var amt decimal.Decimal
		typ := "ADDED"
		if t.Included {
			typ = "INCLUDED"
			amt = r2(base.Mul(rate).Div(rate.Add(decimal.NewFromInt(100))))
		} else {
			amt = r2(base.Mul(rate).Div(decimal.NewFromInt(100)))
			added = added.Add(amt)
		}
		taxTotal = taxTotal.Add(amt)
		r.TotalTaxes = append(r.TotalTaxes, Tax{ID: fmt.Sprintf("tax-%d", i+1), Type: typ, Name: t.Name, Rate: num(rate), MoneyAmount: num(amt)})
	}
	sur, tip := dec(sale.Surcharge), dec(sale.Tip)
	total := base.Add(added).Add(sur).Add(tip)
	r.TotalMoney, r.TotalTax, r.TotalDiscount, r.Tip, r.Surcharge = num(total), num(taxTotal), num(disc), num(tip), num(sur)
	pays := sale.Payments
	if len(pays) == 0 {
		pays = []SalePayment{{Type: "CASH", Name: "Cash", Amount: total.String()}}
	}
	for i, p := range pays {
		r.Payments = append(r.Payments, Payment{PaymentTypeID: fmt.Sprintf("pt-%s-%d", strings.ToLower(p.Type), i),
			Name: p.Name, Type: p.Type, MoneyAmount: num(dec(p.Amount)), PaidAt: at})
	}
	s.receipts[r.ReceiptNumber] = r
	return *r
}

// Receipt returns the stored receipt numbered n.
func (s *Server) Receipt(n string) (Receipt, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.receipts[n]
	if !ok {
		return Receipt{}, false
	}
	return *r, true
}

// CancelReceipt cancels receipt n as the Loyverse POS does (cancelled_at
// and updated_at set to at); false when there is no such receipt.
func (s *Server) CancelReceipt(n string, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.receipts[n]
	if !ok {
		return false
	}
	at = at.UTC()
	r.CancelledAt, r.UpdatedAt = &at, at
	return true
}

// Items returns the items written through POST /v1.0/items, by id.
func (s *Server) Items() map[string]Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Item{}
	for k, v := range s.items {
		out[k] = *v
	}
	return out
}

// Webhook returns the headers and body of a receipts.update delivery
// naming receipts, signed as Loyverse signs them.
func (s *Server) Webhook(receipts ...string) (http.Header, []byte) {
	s.mu.Lock()
	var rs []Receipt
	for _, n := range receipts {
		if r, ok := s.receipts[n]; ok {
			rs = append(rs, *r)
		}
	}
	secret, at := s.webhookSecret, s.now().UTC()
	s.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"merchant_id": "merchant-1", "type": "receipts.update",
		"created_at": at.Format(time.RFC3339Nano), "receipts": rs})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Loyverse-Signature", Sign(secret, body))
	return h, body
}

// Sign is the X-Loyverse-Signature of body: base64 HMAC-SHA1 with the
// webhook secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, details string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]string{{"code": code, "details": details}}})
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.Record(postest.NewRequest(r, body))
	if f, ok := s.TakeFault(func(f Fault) bool { return postest.Matches(r, f.Method, f.PathContains, "/v1.0/") }); ok {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, f.Status, orDefault(f.Code, "INTERNAL_SERVER_ERROR"), http.StatusText(f.Status))
		return
	}
	s.mu.Lock()
	tok := s.token
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+tok {
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "The access token is invalid or expired")
		return
	}
	switch p := r.URL.Path; {
	case p == "/v1.0/receipts" && r.Method == http.MethodGet:
		s.listReceipts(w, r)
	case strings.HasPrefix(p, "/v1.0/receipts/") && r.Method == http.MethodGet:
		s.mu.Lock()
		rc, ok := s.receipts[strings.TrimPrefix(p, "/v1.0/receipts/")]
		var out Receipt
		if ok {
			out = *rc
		}
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "Receipt not found")
			return
		}
		writeJSON(w, http.StatusOK, out)
	case p == "/v1.0/receipts" && r.Method == http.MethodPost:
		s.postReceipt(w, body)
	case p == "/v1.0/items" && r.Method == http.MethodPost:
		s.postItem(w, body)
	default:
		writeError(w, http.StatusNotFound, "NOT_FOUND", "No such endpoint")
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// listReceipts serves GET /v1.0/receipts: filters created_at_min/max and
// updated_at_min/max (ISO 8601), store_id, limit (1-250, default 10) and
// cursor; newest first; "cursor" in the answer while more remain.
func (s *Server) listReceipts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			writeError(w, http.StatusBadRequest, "INVALID_VALUE", "limit must be between 1 and 250")
			return
		}
		limit = n
	}
	bound := func(name string) (time.Time, bool) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, true
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_VALUE", name+" must be an ISO 8601 date")
			return time.Time{}, false
		}
		return t, true
	}
	umin, ok1 := bound("updated_at_min")
	umax, ok2 := bound("updated_at_max")
	cmin, ok3 := bound("created_at_min")
	if !ok1 || !ok2 || !ok3 {
		return
	}
	offset := 0
	if c := q.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "INVALID_CURSOR", "cursor is invalid")
			return
		}
		offset = n
	}
	s.mu.Lock()
	var rs []Receipt
	for _, rc := range s.receipts {
		if (!umin.IsZero() && rc.UpdatedAt.Before(umin)) || (!umax.IsZero() && rc.UpdatedAt.After(umax)) ||
			(!cmin.IsZero() && rc.CreatedAt.Before(cmin)) {
			continue
		}
		if st := q.Get("store_id"); st != "" && st != rc.StoreID {
			continue
		}
		rs = append(rs, *rc)
	}
	s.mu.Unlock()
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].CreatedAt.Equal(rs[j].CreatedAt) {
			return rs[i].CreatedAt.After(rs[j].CreatedAt)
		}
		return rs[i].ReceiptNumber > rs[j].ReceiptNumber
	})
	if offset > len(rs) {
		offset = len(rs)
	}
	page := rs[offset:min(offset+limit, len(rs))]
	out := map[string]any{"receipts": append([]Receipt{}, page...)}
	if offset+limit < len(rs) {
		out["cursor"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset + limit)))
	}
	writeJSON(w, http.StatusOK, out)
}

// itemWrite is the body POST /v1.0/items accepts (unknown fields refused).
type itemWrite struct {
	ID         string    `json:"id"`
	ItemName   string    `json:"item_name"`
	CategoryID *string   `json:"category_id"`
	TrackStock bool      `json:"track_stock"`
	Variants   []Variant `json:"variants"`
}

// postItem creates an item (no id) or updates the item with that id.
func (s *Server) postItem(w http.ResponseWriter, body []byte) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	var in itemWrite
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	if in.ItemName == "" {
		writeError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAMETER", "item_name is required")
		return
	}
	for _, v := range in.Variants {
		if v.DefaultPricingType != "FIXED" && v.DefaultPricingType != "VARIABLE" {
			writeError(w, http.StatusBadRequest, "INVALID_VALUE", "default_pricing_type must be FIXED or VARIABLE")
			return
		}
		if v.DefaultPricingType == "FIXED" && v.DefaultPrice == nil {
			writeError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAMETER", "default_price is required for FIXED pricing")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	status := http.StatusOK
	it, ok := s.items[in.ID]
	if in.ID != "" && !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Item not found")
		return
	}
	if !ok {
		s.seq++
		it = &Item{ID: fmt.Sprintf("item-%04d", s.seq), CreatedAt: now}
		s.items[it.ID] = it
		status = http.StatusCreated
	}
	it.ItemName, it.CategoryID, it.TrackStock, it.UpdatedAt = in.ItemName, in.CategoryID, in.TrackStock, now
	it.Variants = nil
	for i, v := range in.Variants {
		if v.VariantID == "" {
			v.VariantID = fmt.Sprintf("%s-v%d", it.ID, i+1)
		}
		v.ItemID = it.ID
		it.Variants = append(it.Variants, v)
	}
	writeJSON(w, status, it)
}

// ReceiptsForOrder returns the receipts whose order field is order (the
// external reference order_create sends), oldest first.
func (s *Server) ReceiptsForOrder(order string) []Receipt {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Receipt
	for _, r := range s.receipts {
		if r.Order != nil && *r.Order == order {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// receiptWrite is the body POST /v1.0/receipts accepts (unknown fields
// refused).
type receiptWrite struct {
	StoreID        string         `json:"store_id"`
	EmployeeID     *string        `json:"employee_id"`
	CustomerID     *string        `json:"customer_id"`
	Order          *string        `json:"order"`
	Source         *string        `json:"source"`
	ReceiptDate    *time.Time     `json:"receipt_date"`
	Note           *string        `json:"note"`
	DiningOption   *string        `json:"dining_option"`
	TotalDiscounts []any          `json:"total_discounts"`
	LineItems      []lineWrite    `json:"line_items"`
	Payments       []paymentWrite `json:"payments"`
}

type lineWrite struct {
	VariantID     string       `json:"variant_id"`
	Quantity      *json.Number `json:"quantity"`
	Price         *json.Number `json:"price"`
	Cost          *json.Number `json:"cost"`
	LineNote      *string      `json:"line_note"`
	LineDiscounts []any        `json:"line_discounts"`
	LineTaxes     []any        `json:"line_taxes"`
}

type paymentWrite struct {
	PaymentTypeID string       `json:"payment_type_id"`
	MoneyAmount   *json.Number `json:"money_amount"`
	PaidAt        *time.Time   `json:"paid_at"`
}

// postReceipt creates a SALE receipt from a POST /v1.0/receipts body. Each
// variant must exist (written through POST /v1.0/items); a line's price
// defaults to the variant's store price; a payment's money_amount
// defaults to the receipt total. Only one payment type per receipt.
func (s *Server) postReceipt(w http.ResponseWriter, body []byte) {
	jd := json.NewDecoder(strings.NewReader(string(body)))
	jd.DisallowUnknownFields()
	jd.UseNumber()
	var in receiptWrite
	if err := jd.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case in.StoreID == "":
		writeError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAMETER", "store_id is required")
		return
	case in.StoreID != s.store:
		writeError(w, http.StatusNotFound, "NOT_FOUND", "The resource with ID '"+in.StoreID+"' not found - field: object.store_id")
		return
	case len(in.LineItems) == 0:
		writeError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAMETER", "line_items is required")
		return
	case len(in.Payments) == 0:
		writeError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAMETER", "payments is required")
		return
	case len(in.Payments) > 1:
		writeError(w, http.StatusBadRequest, "INVALID_VALUE", "a receipt created through the API takes one payment")
		return
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	s.seq++
	n := fmt.Sprintf("9-%04d", s.seq)
	at := now
	if in.ReceiptDate != nil {
		at = in.ReceiptDate.UTC()
	}
	src := "API"
	if in.Source != nil {
		src = *in.Source
	}
	r := &Receipt{ReceiptNumber: n, ReceiptType: "SALE", Order: in.Order, Note: in.Note, CreatedAt: now, UpdatedAt: now,
		Source: src, ReceiptDate: at, StoreID: s.store, EmployeeID: "emp-1", PosDeviceID: "", CustomerID: in.CustomerID,
		DiningOption: "", PointsEarned: "0", PointsDeducted: "0", PointsBalance: "0", TotalDiscounts: []Discount{},
		TotalTaxes: []Tax{}, Payments: []Payment{}, Tip: "0", Surcharge: "0", TotalTax: "0", TotalDiscount: "0"}
	total := decimal.Zero
	for i, l := range in.LineItems {
		field := fmt.Sprintf("object.line_items[%d]", i)
		v, it := s.variant(l.VariantID)
		if v == nil {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "The resource with ID '"+l.VariantID+"' not found - field: "+field+".variant_id")
			return
		}
		if l.Quantity == nil {
			writeError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAMETER", field+".quantity is required")
			return
		}
		qty, err := decimal.NewFromString(l.Quantity.String())
		if err != nil || !qty.IsPositive() {
			writeError(w, http.StatusBadRequest, "INVALID_VALUE", field+".quantity must be a positive number")
			return
		}
		var price decimal.Decimal
		switch {
		case l.Price != nil:
			if price, err = decimal.NewFromString(l.Price.String()); err != nil || price.IsNegative() {
				writeError(w, http.StatusBadRequest, "INVALID_VALUE", field+".price must be a non-negative number")
				return
			}
		case v.DefaultPrice != nil:
			price = dec(v.DefaultPrice.String())
		default:
			writeError(w, http.StatusBadRequest, "MISSING_REQUIRED_PARAMETER", field+".price is required for a variant with variable pricing")
			return
		}
		gross := r2(qty.Mul(price))
		total = total.Add(gross)
		var vn *string
		if v.Option1Value != nil {
			vn = v.Option1Value
		}
		r.LineItems = append(r.LineItems, Line{ID: fmt.Sprintf("%s-line-%d", n, i+1), ItemID: it.ID, VariantID: v.VariantID,
			ItemName: it.ItemName, VariantName: vn, SKU: v.SKU, Quantity: num(qty), Price: num(price), GrossTotalMoney: num(gross),
			TotalMoney: num(gross), Cost: "0", CostTotal: "0", LineNote: l.LineNote, LineTaxes: []any{}, TotalDiscount: "0",
			LineDiscounts: []any{}, LineModifiers: []Modifier{}})
	}
	for i, p := range in.Payments {
		field := fmt.Sprintf("object.payments[%d]", i)
		typ := map[string]string{PaymentTypeCash: "CASH", PaymentTypeCard: "NONCASH"}[p.PaymentTypeID]
		if typ == "" {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "The resource with ID '"+p.PaymentTypeID+"' not found - field: "+field+".payment_type_id")
			return
		}
		amt := total
		if p.MoneyAmount != nil {
			var err error
			if amt, err = decimal.NewFromString(p.MoneyAmount.String()); err != nil || amt.IsNegative() {
				writeError(w, http.StatusBadRequest, "INVALID_VALUE", field+".money_amount must be a non-negative number")
				return
			}
		}
		paid := at
		if p.PaidAt != nil {
			paid = p.PaidAt.UTC()
		}
		r.Payments = append(r.Payments, Payment{PaymentTypeID: p.PaymentTypeID, Name: strings.ToLower(typ), Type: typ,
			MoneyAmount: num(amt), PaidAt: paid})
	}
	r.TotalMoney = num(total)
	s.receipts[n] = r
	writeJSON(w, http.StatusOK, r)
}

// variant finds a variant written through POST /v1.0/items (s.mu held).
func (s *Server) variant(id string) (*Variant, *Item) {
	for _, it := range s.items {
		for i := range it.Variants {
			if it.Variants[i].VariantID == id {
				return &it.Variants[i], it
			}
		}
	}
	return nil, nil
}
