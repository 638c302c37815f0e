package custom

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// Cursor types.
const (
	CursorRFC3339 = "rfc3339"
	CursorUnix    = "unix"
	CursorUnixMS  = "unix_ms"
	CursorInteger = "integer"
)

// stream is a compiled StreamSpec.
type stream struct {
	field    string // pull_orders, pull_payments
	orders   bool
	req      request
	records  *program
	next     *program
	cursor   *program
	ctype    string
	cformat  string
	lookback time.Duration
	lookN    int64
	start    time.Duration
	startN   int64
	mapper   *program
	payments *program
	expand   []*expand
}

func (a *Adapter) buildStream(ps *problems, field string, s *StreamSpec, orders bool) *stream {
	st := &stream{field: field, orders: orders, ctype: orDefault(s.CursorType, CursorRFC3339), cformat: s.CursorFormat}
	switch st.ctype {
	case CursorRFC3339, CursorUnix, CursorUnixMS:
		st.lookback = duration(ps, field+".lookback", s.Lookback, 0)
		st.start = duration(ps, field+".start", s.Start, DefaultStart)
	case CursorInteger:
		st.lookN = integer(ps, field+".lookback", s.Lookback)
		st.startN = integer(ps, field+".start", s.Start)
	default:
		ps.add(field+".cursor_type", "must be rfc3339, unix, unix_ms or integer (got %q)", s.CursorType)
	}
	if st.cformat != "" && st.ctype != CursorRFC3339 {
		ps.add(field+".cursor_format", "applies to rfc3339 cursors only")
	}
	if st.cformat == "" {
		st.cformat = time.RFC3339Nano
	}
	st.req = *a.buildRequest(ps, field+".request", &s.Request, a.sampleData(nil))
	st.records = a.required(ps, field+".records", s.Records)
	if s.Next != "" {
		st.next = a.compile(ps, field+".next", s.Next)
	}
	if s.CursorField != "" {
		st.cursor = a.compile(ps, field+".cursor_field", s.CursorField)
	} else if s.Lookback != "" {
		ps.add(field+".lookback", "needs cursor_field")
	}
	for i := range s.Expand {
		st.expand = append(st.expand, a.buildExpand(ps, field, i, &s.Expand[i]))
	}
	st.mapper = a.required(ps, field+".map", s.Map)
	if s.Payments != "" {
		if !orders {
			ps.add(field+".payments", "is only for pull_orders (pull_payments maps payments with map)")
		} else {
			st.payments = a.compile(ps, field+".payments", s.Payments)
		}
	}
	return st
}

func integer(ps *problems, field, s string) int64 {
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		ps.add(field, "must be a non-negative integer for integer cursors (got %q)", s)
	}
	return n
}

// position is a cursor value: a time, or an integer for integer cursors.
// Cursors store positions in a canonical text form (RFC 3339 in UTC or a
// decimal integer).
type position struct {
	t time.Time
	n int64
}

func (s *stream) isTime() bool { return s.ctype != CursorInteger }

// parsePosition reads a record's cursor_field value.
func (s *stream) parsePosition(v any) (position, error) {
	switch s.ctype {
	case CursorInteger:
		d, err := toDecimal("cursor", v)
		if err != nil {
			return position{}, err
		}
		if !d.Equal(d.Truncate(0)) || !d.BigInt().IsInt64() {
			return position{}, fmt.Errorf("cursor %s is not an integer", d.String())
		}
		return position{n: d.IntPart()}, nil
	case CursorUnix, CursorUnixMS:
		t, err := parseTime(v, s.ctype)
		return position{t: t}, err
	default:
		t, err := parseTime(v, "")
		if err != nil && s.cformat != time.RFC3339Nano {
			t, err = parseTime(v, s.cformat)
		}
		return position{t: t}, err
	}
}

// text is the canonical form kept in cursors.
func (s *stream) text(p position) string {
	if s.isTime() {
		return p.t.UTC().Format(time.RFC3339Nano)
	}
	return strconv.FormatInt(p.n, 10)
}

// fromText reads a canonical form back.
func (s *stream) fromText(v string) (position, error) {
	if s.isTime() {
		t, err := time.Parse(time.RFC3339Nano, v)
		return position{t: t}, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return position{n: n}, err
}

func (s *stream) less(a, b position) bool {
	if s.isTime() {
		return a.t.Before(b.t)
	}
	return a.n < b.n
}

// initial is the canonical start of the first round.
func (s *stream) initial(now time.Time) string {
	if s.isTime() {
		return s.text(position{t: now.Add(-s.start)})
	}
	return s.text(position{n: s.startN})
}

// render formats a canonical position as the vendor expects it in .cursor.
func (s *stream) render(canonical string) string {
	p, err := s.fromText(canonical)
	if err != nil {
		return canonical
	}
	switch s.ctype {
	case CursorUnix:
		return strconv.FormatInt(p.t.Unix(), 10)
	case CursorUnixMS:
		return strconv.FormatInt(p.t.UnixMilli(), 10)
	case CursorRFC3339:
		return p.t.UTC().Format(s.cformat)
	}
	return canonical
}

// advance is the start of the next round: lookback before the greatest
// position seen, but never before this round's start.
func (s *stream) advance(since, maxSeen string) string {
	if maxSeen == "" {
		return since
	}
	m, err := s.fromText(maxSeen)
	if err != nil {
		return since
	}
	if s.isTime() {
		m.t = m.t.Add(-s.lookback)
	} else {
		m.n -= s.lookN
	}
	if from, err := s.fromText(since); err == nil && s.less(m, from) {
		return since
	}
	return s.text(m)
}

// cursorState is PullOrders' opaque cursor: one position per stream. A
// round reads every page from Since; when every stream has finished its
// round, each starts the next round lookback before the greatest position
// it saw.
type cursorState struct {
	V        int           `json:"v"`
	Orders   streamCursor  `json:"orders"`
	Payments *streamCursor `json:"payments,omitempty"`
}

type streamCursor struct {
	Since string `json:"since,omitempty"` // canonical start of this round
	Next  string `json:"next,omitempty"`  // page token within the round
	Max   string `json:"max,omitempty"`   // greatest position seen this round
	Done  bool   `json:"done,omitempty"`  // round finished, other stream still paging
}

// PullOrders reads one page of each stream (orders, and payments when the
// manifest has pull_payments) whose round is not finished, maps the
// records, and returns the cursor for the next call. More is true until
// every stream has reached its last page.
func (a *Adapter) PullOrders(ctx context.Context, raw []byte) (*pos.PullResult, error) {
	c := cursorState{V: 1}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil || c.V != 1 {
			return nil, fmt.Errorf("%w: %s", ErrBadCursor, truncate(string(raw), 80))
		}
	}
	switch {
	case a.payments == nil:
		c.Payments = nil // the manifest no longer pulls payments
	case c.Payments == nil:
		c.Payments = &streamCursor{}
	}
	res := &pos.PullResult{Orders: []model.Order{}, Payments: []model.Payment{}}
	if !c.Orders.Done {
		if err := a.page(ctx, a.orders, &c.Orders, res); err != nil {
			return nil, err
		}
	}
	if a.payments != nil && !c.Payments.Done {
		if err := a.page(ctx, a.payments, c.Payments, res); err != nil {
			return nil, err
		}
	}
	done := c.Orders.Done && (c.Payments == nil || c.Payments.Done)
	if done {
		c.Orders.Done = false
		if c.Payments != nil {
			c.Payments.Done = false
		}
	}
	res.More = !done
	res.Next, _ = json.Marshal(c)
	return res, nil
}

// page reads one page of s at cursor c, appends the mapped records to res
// and moves c.
func (a *Adapter) page(ctx context.Context, s *stream, c *streamCursor, res *pos.PullResult) error {
	now := a.now()
	if c.Since == "" {
		c.Since = s.initial(now)
	}
	if _, err := s.fromText(c.Since); err != nil {
		return fmt.Errorf("%w: %s.since %q", ErrBadCursor, s.field, c.Since)
	}
	rendered := s.render(c.Since)
	vars := runVars{cursor: rendered, next: c.Next, now: now}
	data := a.data(now, map[string]any{"cursor": rendered, "next": c.Next})
	op := "list " + map[bool]string{true: "orders", false: "payments"}[s.orders]
	_, body, err := a.call(ctx, op, &s.req, data, jqData(data), vars)
	if err != nil {
		return err
	}
	recs, err := records(ctx, a.env, s.records, body, vars)
	if err != nil {
		return &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid, Message: "select records", Err: err}
	}
	if err := a.expandRecords(ctx, s.expand, recs, now, vars, op); err != nil {
		return err
	}
	maxSeen := c.Max
	for i, rec := range recs {
		version := ""
		if s.cursor != nil {
			p, err := a.position(ctx, s, rec, vars)
			if err != nil {
				a.log.Warn("record has no usable cursor value", "stream", s.field, "index", i, "err", err)
			} else {
				version = s.text(p)
				if m, err := s.fromText(maxSeen); maxSeen == "" || err != nil || s.less(m, p) {
					maxSeen = version
				}
			}
		}
		if s.orders {
			o, err := a.toOrder(ctx, rec, version, vars)
			if a.onRecord != nil {
				a.onRecord(rec, o, err)
			}
			if err != nil {
				a.log.Error("order set aside: cannot be mapped", "index", i, "version", version, "err", err)
				res.Reject("order", recordID(rec), fromJQ(rec), err)
				continue
			}
			res.Orders = append(res.Orders, *o)
			res.Payments = append(res.Payments, o.Payments...)
		} else {
			p, err := a.toPayment(ctx, rec, version, vars)
			if err != nil {
				a.log.Error("payment set aside: cannot be mapped", "index", i, "version", version, "err", err)
				res.Reject("payment", recordID(rec), fromJQ(rec), err)
				continue
			}
			res.Payments = append(res.Payments, *p)
		}
	}
	tok := ""
	if s.next != nil {
		v, err := s.next.optional(ctx, a.env, body, vars)
		if err == nil {
			tok, err = scalarString(s.field+".next", v)
		}
		if err != nil {
			return &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid, Message: "next page token", Err: err}
		}
	}
	c.Max = maxSeen
	if tok != "" && tok == c.Next {
		a.log.Warn("vendor repeated the page token; round ended", "stream", s.field)
		tok = ""
	}
	if tok != "" {
		c.Next = tok
		a.log.Debug("page pulled", "stream", s.field, "records", len(recs), "since", rendered)
		return nil
	}
	a.log.Debug("round pulled", "stream", s.field, "records", len(recs), "since", rendered, "max", maxSeen)
	*c = streamCursor{Since: s.advance(c.Since, c.Max), Done: true}
	return nil
}

// recordID guesses a vendor record's id for a rejected record (the
// manifest's map could not run, so the common "id" key is all there is).
func recordID(rec any) string {
	m, ok := rec.(map[string]any)
	if !ok {
		return ""
	}
	for _, k := range []string{"id", "ID", "Id", "uuid", "guid"} {
		if s, err := scalarString(k, m[k]); err == nil && s != "" {
			return s
		}
	}
	return ""
}

// records runs a record selector: arrays are flattened one level, nulls
// dropped.
func records(ctx context.Context, env *jqEnv, p *program, body any, vars runVars) ([]any, error) {
	out, err := p.all(ctx, env, body, vars)
	if err != nil {
		return nil, err
	}
	var recs []any
	for _, v := range out {
		switch x := v.(type) {
		case nil:
		case []any:
			for _, r := range x {
				if r != nil {
					recs = append(recs, r)
				}
			}
		default:
			recs = append(recs, x)
		}
	}
	return recs, nil
}

func (a *Adapter) position(ctx context.Context, s *stream, rec any, vars runVars) (position, error) {
	v, err := s.cursor.one(ctx, a.env, rec, vars)
	if err != nil {
		return position{}, err
	}
	if v == nil {
		return position{}, fmt.Errorf("%s.cursor_field is null", s.field)
	}
	return s.parsePosition(v)
}

// fetchOrder is a compiled FetchSpec.
type fetchOrder struct {
	req    request
	record *program
}

func (a *Adapter) buildFetch(ps *problems, f *FetchSpec) *fetchOrder {
	fo := &fetchOrder{req: *a.buildRequest(ps, "fetch_order.request", &f.Request, a.sampleData(map[string]any{"id": "sample"}))}
	fo.record = a.compile(ps, "fetch_order.record", orDefault(f.Record, "."))
	return fo
}

// FetchOrders reads the named orders now (after a webhook) with the
// manifest's fetch_order. Orders the vendor answers 404 for are skipped;
// Next is nil: fetching by id does not move the poll cursor.
func (a *Adapter) FetchOrders(ctx context.Context, ids []string) (*pos.PullResult, error) {
	if a.fetch == nil {
		return nil, fmt.Errorf("%s: manifest has no fetch_order: %w", a.m.Vendor, pos.ErrUnsupported)
	}
	res := &pos.PullResult{Orders: []model.Order{}, Payments: []model.Payment{}}
	for _, id := range ids {
		if id == "" {
			continue
		}
		now := a.now()
		vars := runVars{now: now}
		data := a.data(now, map[string]any{"id": id})
		_, body, err := a.call(ctx, "get order", &a.fetch.req, data, jqData(data), vars)
		if pos.IsStatus(err, http.StatusNotFound) {
			a.log.Info("order not found, skipped", "order_id", id)
			continue
		}
		if err != nil {
			return nil, err
		}
		rec, err := a.fetch.record.one(ctx, a.env, body, vars)
		if err != nil {
			return nil, &pos.VendorError{Vendor: a.m.Vendor, Op: "get order", Kind: pos.Invalid, Message: "select record", Err: err}
		}
		if err := a.expandRecords(ctx, a.orders.expand, []any{rec}, now, vars, "get order"); err != nil {
			return nil, err
		}
		version := ""
		if a.orders.cursor != nil {
			if p, err := a.position(ctx, a.orders, rec, vars); err == nil {
				version = a.orders.text(p)
			}
		}
		o, err := a.toOrder(ctx, rec, version, vars)
		if err != nil {
			a.log.Error("order set aside: cannot be mapped", "order_id", id, "err", err)
			res.Reject("order", id, fromJQ(rec), err)
			continue
		}
		res.Orders = append(res.Orders, *o)
		res.Payments = append(res.Payments, o.Payments...)
	}
	return res, nil
}

// StartCursor is a PullOrders cursor whose first round starts at since
// instead of the manifest's start (time cursors only; nil for integer
// cursors): `aura-edge adapter try --since`.
func (a *Adapter) StartCursor(since time.Time) []byte {
	if !a.orders.isTime() {
		return nil
	}
	c := cursorState{V: 1, Orders: streamCursor{Since: a.orders.text(position{t: since})}}
	if a.payments != nil {
		c.Payments = &streamCursor{}
		if a.payments.isTime() {
			c.Payments.Since = a.payments.text(position{t: since})
		}
	}
	b, _ := json.Marshal(c)
	return b
}

// OnRecord makes PullOrders call f with every vendor order record (after
// expand) and what the manifest made of it: the Aura order, or why it was
// skipped. For `aura-edge adapter try`; set it before pulling.
func (a *Adapter) OnRecord(f func(record any, o *model.Order, err error)) { a.onRecord = f }

// Vendor is the manifest's vendor name.
func (a *Adapter) Vendor() string { return a.m.Vendor }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
