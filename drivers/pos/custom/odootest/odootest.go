// Package odootest is a stand-in for Odoo's external JSON-RPC API with the
// Point of Sale models, written from Odoo's published documentation
// ("External API", Odoo 17.0 developer reference,
// https://www.odoo.com/documentation/17.0/developer/reference/external_api.html,
// and the point_of_sale model fields of Odoo 17.0): one endpoint, POST
// /jsonrpc, taking a JSON-RPC 2.0 envelope {"jsonrpc":"2.0","method":"call",
// "params":{"service","method","args"},"id"}; service "common" answers
// version and login, service "object" answers execute_kw(db, uid,
// password, model, method, args, kwargs) for search_read on pos.order,
// pos.order.line and pos.payment (domains of [field, operator, value];
// kwargs fields, limit, offset, order) and create/write on
// product.product. Failures are HTTP 200 with {"error":{"code":200,
// "message":"Odoo Server Error","data":{"name":"odoo.exceptions.AccessDenied",
// "message":...}}}. Dates are "YYYY-MM-DD HH:MM:SS" in UTC, many2one fields
// [id, display name], amounts floats in the company currency; a refund is a
// pos.order with negative quantities and amounts whose lines name the
// refunded line (refunded_orderline_id). It follows those documents, not
// the aura-edge manifest (configs/adapters/odoo-pos.yaml).
package odootest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos/postest"
)

// Defaults of a new Server.
const (
	DefaultDB     = "restaurant"
	DefaultUser   = "api@restaurant.example"
	DefaultAPIKey = "odoo-api-key-0123456789"
	DefaultUID    = 7
	DateLayout    = "2006-01-02 15:04:05"
)

// Request is one recorded request.
type Request = postest.Request

// Fault is an injected failure: an HTTP status (Status, RetryAfter) or,
// with Status 0, an Odoo server error named Name inside a 200 answer.
type Fault struct {
	Status     int
	RetryAfter string
	Name       string // e.g. odoo.exceptions.AccessDenied
	Model      string // only execute_kw calls on this model
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// record is one row of a model.
type record = map[string]any

// Server is the stand-in. Safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu     sync.Mutex
	now    func() time.Time
	apiKey string
	seq    int
	tables map[string][]record // model -> rows

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
	s := &Server{now: time.Now, apiKey: DefaultAPIKey, tables: map[string][]record{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// URL is the server root (settings.base_url).
func (s *Server) URL() string { return s.srv.URL }

// Credentials are what the Odoo manifest needs.
func (s *Server) Credentials() map[string]string { return map[string]string{"api_key": DefaultAPIKey} }

// Settings are base_url, database and uid.
func (s *Server) Settings() map[string]string {
	return map[string]string{"base_url": s.URL(), "database": DefaultDB, "uid": fmt.Sprint(DefaultUID)}
}

// RevokeKey makes the server refuse the API key.
func (s *Server) RevokeKey() {
	s.mu.Lock()
	s.apiKey = "revoked"
	s.mu.Unlock()
}

// Line is a line of a seeded order; Discount is a percentage, TaxRate a
// percentage added to the discounted line.
type Line struct {
	Product, Qty, Price, Discount, TaxRate string
}

// Pay is a payment of a seeded order by payment method name.
type Pay struct{ Method, Amount string }

func dec(s string) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	return decimal.RequireFromString(s)
}

func f(d decimal.Decimal) json.Number { return json.Number(d.String()) }

// SeedOrder adds a paid pos.order with its lines and payments, as the POS
// computes them (per line: subtotal = round(price x qty x (1 - discount%)),
// tax = round(subtotal x rate%); amount_total = sum of subtotal + tax).
// refundOf, when not 0, makes it a refund of that order: pass negative
// quantities. It returns the order id.
func (s *Server) SeedOrder(at time.Time, refundOf int, lines []Line, pays []Pay) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := s.seq
	name := fmt.Sprintf("Shop/%04d", id)
	var lineIDs []any
	total, tax := decimal.Zero, decimal.Zero
	for i, l := range lines {
		s.seq++
		qty, price := dec(l.Qty), dec(l.Price)
		sub := price.Mul(qty).Mul(decimal.NewFromInt(100).Sub(dec(l.Discount))).Div(decimal.NewFromInt(100)).Round(2)
		lt := sub.Mul(dec(l.TaxRate)).Div(decimal.NewFromInt(100)).Round(2)
		total, tax = total.Add(sub).Add(lt), tax.Add(lt)
		row := record{"id": s.seq, "order_id": []any{id, name}, "product_id": []any{100 + i, l.Product},
			"full_product_name": l.Product, "qty": f(qty), "price_unit": f(price), "discount": f(dec(l.Discount)),
			"price_subtotal": f(sub), "price_subtotal_incl": f(sub.Add(lt)), "tax_ids": []any{},
			"refunded_orderline_id": false, "customer_note": false, "write_date": at.UTC().Format(DateLayout)}
		if refundOf != 0 {
			row["refunded_orderline_id"] = []any{s.refundedLine(refundOf, i), "line"}
		}
		s.tables["pos.order.line"] = append(s.tables["pos.order.line"], row)
		lineIDs = append(lineIDs, s.seq)
	}
	var payIDs []any
	paid := decimal.Zero
	for _, p := range pays {
		s.seq++
		paid = paid.Add(dec(p.Amount))
		s.tables["pos.payment"] = append(s.tables["pos.payment"], record{"id": s.seq, "pos_order_id": []any{id, name},
			"amount": f(dec(p.Amount)), "payment_date": at.UTC().Format(DateLayout),
			"payment_method_id": []any{len(p.Method), p.Method}, "card_type": false, "transaction_id": false})
		payIDs = append(payIDs, s.seq)
	}
	s.tables["pos.order"] = append(s.tables["pos.order"], record{"id": id, "name": name,
		"pos_reference": fmt.Sprintf("Order 00001-001-%04d", id), "date_order": at.UTC().Format(DateLayout),
		"write_date": at.UTC().Format(DateLayout), "state": "paid", "amount_total": f(total), "amount_tax": f(tax),
		"amount_paid": f(paid), "amount_return": "0", "currency_id": []any{1, "EUR"}, "lines": lineIDs,
		"payment_ids": payIDs, "config_id": []any{1, "Bar"}, "session_id": []any{1, "POS/00001"}, "general_note": false})
	return id
}

// refundedLine is the id of the i-th line of order id (lock held).
func (s *Server) refundedLine(order, i int) int {
	n := 0
	for _, l := range s.tables["pos.order.line"] {
		if l["order_id"].([]any)[0] == order {
			if n == i {
				return l["id"].(int)
			}
			n++
		}
	}
	return 0
}

// Touch sets an order's state and write_date (an edit in the POS).
func (s *Server) Touch(id int, state string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.tables["pos.order"] {
		if o["id"] == id {
			o["state"], o["write_date"] = state, at.UTC().Format(DateLayout)
		}
	}
}

// Order returns a copy of pos.order id.
func (s *Server) Order(id int) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.tables["pos.order"] {
		if o["id"] == id {
			c := map[string]any{}
			for k, v := range o {
				c[k] = v
			}
			return c, true
		}
	}
	return nil, false
}

// Products returns the product.product rows written through the API.
func (s *Server) Products() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, p := range s.tables["product.product"] {
		c := map[string]any{}
		for k, v := range p {
			c[k] = v
		}
		out = append(out, c)
	}
	return out
}

type rpcRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      any             `json:"id"`
}

type callParams struct {
	Service string            `json:"service"`
	Method  string            `json:"method"`
	Args    []json.RawMessage `json:"args"`
}

// odooError is the error member of a failed call.
func odooError(name, msg string) map[string]any {
	return map[string]any{"code": 200, "message": "Odoo Server Error",
		"data": map[string]any{"name": name, "debug": "Traceback (most recent call last): ...", "message": msg,
			"arguments": []any{msg}, "context": map[string]any{}}}
}

// ServeHTTP serves POST /jsonrpc.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.Record(postest.NewRequest(r, body))
	if r.URL.Path != "/jsonrpc" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	var req rpcRequest
	var p callParams
	if err := json.Unmarshal(body, &req); err != nil || req.JSONRPC != "2.0" || req.Method != "call" || json.Unmarshal(req.Params, &p) != nil {
		s.answer(w, req.ID, nil, map[string]any{"code": -32700, "message": "Invalid JSON-RPC request"})
		return
	}
	model := ""
	if p.Service == "object" && len(p.Args) > 3 {
		_ = json.Unmarshal(p.Args[3], &model)
	}
	if f, ok := s.TakeFault(func(f Fault) bool { return f.Model == "" || f.Model == model }); ok {
		if f.Status != 0 {
			postest.WriteFault(w, f.Status, f.RetryAfter, []byte("<html><body>"+http.StatusText(f.Status)+"</body></html>"))
			return
		}
		s.answer(w, req.ID, nil, odooError(f.Name, "injected failure"))
		return
	}
	switch {
	case p.Service == "common" && p.Method == "version":
		s.answer(w, req.ID, map[string]any{"server_version": "17.0", "protocol_version": 1}, nil)
	case p.Service == "common" && (p.Method == "login" || p.Method == "authenticate"):
		var db, user, key string
		if len(p.Args) >= 3 {
			_ = json.Unmarshal(p.Args[0], &db)
			_ = json.Unmarshal(p.Args[1], &user)
			_ = json.Unmarshal(p.Args[2], &key)
		}
		s.mu.Lock()
		ok := db == DefaultDB && user == DefaultUser && key == s.apiKey
		s.mu.Unlock()
		if !ok {
			s.answer(w, req.ID, false, nil)
			return
		}
		s.answer(w, req.ID, DefaultUID, nil)
	case p.Service == "object" && p.Method == "execute_kw":
		res, oerr := s.executeKW(p.Args)
		s.answer(w, req.ID, res, oerr)
	default:
		s.answer(w, req.ID, nil, odooError("builtins.NotImplementedError", "unknown service or method"))
	}
}

func (s *Server) answer(w http.ResponseWriter, id, result any, err map[string]any) {
	out := map[string]any{"jsonrpc": "2.0", "id": id}
	if err != nil {
		out["error"] = err
	} else {
		out["result"] = result
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// executeKW runs execute_kw(db, uid, password, model, method, args, kwargs).
func (s *Server) executeKW(args []json.RawMessage) (any, map[string]any) {
	if len(args) < 5 {
		return nil, odooError("builtins.TypeError", "execute_kw() takes at least 5 arguments")
	}
	var db, key, model, method string
	var uid int
	if json.Unmarshal(args[0], &db) != nil || json.Unmarshal(args[1], &uid) != nil || json.Unmarshal(args[2], &key) != nil ||
		json.Unmarshal(args[3], &model) != nil || json.Unmarshal(args[4], &method) != nil {
		return nil, odooError("builtins.TypeError", "bad execute_kw arguments")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if db != DefaultDB {
		return nil, odooError("psycopg2.OperationalError", fmt.Sprintf("database %q does not exist", db))
	}
	if uid != DefaultUID || key != s.apiKey {
		return nil, odooError("odoo.exceptions.AccessDenied", "Access Denied")
	}
	var pos []json.RawMessage
	if len(args) > 5 {
		if err := json.Unmarshal(args[5], &pos); err != nil {
			return nil, odooError("builtins.TypeError", "args must be a list")
		}
	}
	kw := map[string]json.RawMessage{}
	if len(args) > 6 {
		if err := json.Unmarshal(args[6], &kw); err != nil {
			return nil, odooError("builtins.TypeError", "kwargs must be an object")
		}
	}
	switch {
	case method == "search_read" && (model == "pos.order" || model == "pos.order.line" || model == "pos.payment"):
		return s.searchRead(model, pos, kw)
	case method == "create" && model == "product.product":
		if len(pos) != 1 {
			return nil, odooError("builtins.TypeError", "create takes one dict of values")
		}
		var vals map[string]any
		if err := json.Unmarshal(pos[0], &vals); err != nil {
			return nil, odooError("builtins.TypeError", "create values must be a dict")
		}
		if e := checkProduct(vals, true); e != nil {
			return nil, e
		}
		s.seq++
		vals["id"] = s.seq
		s.tables[model] = append(s.tables[model], vals)
		return s.seq, nil
	case method == "write" && model == "product.product":
		var ids []int
		var vals map[string]any
		if len(pos) != 2 || json.Unmarshal(pos[0], &ids) != nil || json.Unmarshal(pos[1], &vals) != nil {
			return nil, odooError("builtins.TypeError", "write takes a list of ids and a dict of values")
		}
		if e := checkProduct(vals, false); e != nil {
			return nil, e
		}
		for _, id := range ids {
			found := false
			for _, row := range s.tables[model] {
				if row["id"] == id {
					for k, v := range vals {
						row[k] = v
					}
					found = true
				}
			}
			if !found {
				return nil, odooError("odoo.exceptions.MissingError", fmt.Sprintf("Record does not exist or has been deleted. (Record: product.product(%d,))", id))
			}
		}
		return true, nil
	}
	return nil, odooError("odoo.exceptions.AccessError", fmt.Sprintf("You are not allowed to call %s on %s", method, model))
}

var productFields = map[string]bool{"name": true, "list_price": true, "default_code": true, "available_in_pos": true,
	"sale_ok": true, "active": true, "detailed_type": true, "taxes_id": true}

func checkProduct(vals map[string]any, create bool) map[string]any {
	for k := range vals {
		if !productFields[k] {
			return odooError("ValueError", fmt.Sprintf("Invalid field %q on model 'product.product'", k))
		}
	}
	if create {
		if n, _ := vals["name"].(string); n == "" {
			return odooError("odoo.exceptions.ValidationError", "The operation cannot be completed: name is required")
		}
	}
	return nil
}

// searchRead implements search_read(domain, fields=, limit=, offset=, order=).
func (s *Server) searchRead(model string, pos []json.RawMessage, kw map[string]json.RawMessage) (any, map[string]any) {
	var domain []json.RawMessage
	if len(pos) > 0 {
		if err := json.Unmarshal(pos[0], &domain); err != nil {
			return nil, odooError("ValueError", "Invalid domain")
		}
	}
	var fields []string
	var limit, offset int
	order := "id"
	if v, ok := kw["fields"]; ok && json.Unmarshal(v, &fields) != nil {
		return nil, odooError("ValueError", "fields must be a list")
	}
	if v, ok := kw["limit"]; ok && json.Unmarshal(v, &limit) != nil {
		return nil, odooError("ValueError", "limit must be an integer")
	}
	if v, ok := kw["offset"]; ok && json.Unmarshal(v, &offset) != nil {
		return nil, odooError("ValueError", "offset must be an integer")
	}
	if v, ok := kw["order"]; ok && json.Unmarshal(v, &order) != nil {
		return nil, odooError("ValueError", "order must be a string")
	}
	type leaf struct {
		field, op string
		want      any
		raw       json.RawMessage
	}
	var leaves []leaf
	for _, term := range domain {
		var t []json.RawMessage
		var l leaf
		if json.Unmarshal(term, &t) != nil || len(t) != 3 || json.Unmarshal(t[0], &l.field) != nil ||
			json.Unmarshal(t[1], &l.op) != nil || json.Unmarshal(t[2], &l.want) != nil {
			return nil, odooError("ValueError", "Invalid leaf "+string(term))
		}
		l.raw = term
		leaves = append(leaves, l)
	}
	var rows []record
	for _, row := range s.tables[model] {
		ok := true
		for _, l := range leaves {
			if _, known := row[l.field]; !known {
				return nil, odooError("ValueError", fmt.Sprintf("Invalid field %s.%s in leaf %s", model, l.field, l.raw))
			}
			m, err := match(row[l.field], l.op, l.want)
			if err != nil {
				return nil, odooError("ValueError", err.Error())
			}
			ok = ok && m
		}
		if ok {
			rows = append(rows, row)
		}
	}
	keys := strings.Split(order, ",")
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range keys {
			parts := strings.Fields(k)
			if len(parts) == 0 {
				continue
			}
			c := compare(rows[i][parts[0]], rows[j][parts[0]])
			if len(parts) > 1 && strings.EqualFold(parts[1], "desc") {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	if offset > len(rows) {
		offset = len(rows)
	}
	rows = rows[offset:]
	if limit > 0 && limit < len(rows) {
		rows = rows[:limit]
	}
	out := make([]map[string]any, 0, len(rows))
	for _, row := range rows {
		o := map[string]any{"id": row["id"]}
		for k, v := range row {
			if len(fields) == 0 || contains(fields, k) {
				o[k] = v
			}
		}
		out = append(out, o)
	}
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// key is the comparable form of a field value: a many2one compares by id.
func key(v any) any {
	switch x := v.(type) {
	case []any:
		if len(x) == 2 {
			return key(x[0])
		}
	case int:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	case float64:
		return x
	}
	return v
}

func compare(a, b any) int {
	ka, kb := key(a), key(b)
	switch x := ka.(type) {
	case float64:
		y, _ := kb.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		y, _ := kb.(string)
		return strings.Compare(x, y)
	}
	return 0
}

func match(v any, op string, want any) (bool, error) {
	if op == "in" || op == "not in" {
		list, ok := want.([]any)
		if !ok {
			return false, fmt.Errorf("operator %s needs a list", op)
		}
		in := false
		for _, w := range list {
			if compare(v, w) == 0 {
				in = true
			}
		}
		return in == (op == "in"), nil
	}
	c := compare(v, want)
	switch op {
	case "=":
		return c == 0, nil
	case "!=":
		return c != 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	}
	return false, fmt.Errorf("Invalid operator %q", op)
}
