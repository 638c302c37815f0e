package custom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

var (
	_ pos.OrderInjector   = (*Adapter)(nil)
	_ pos.Refunder        = (*Adapter)(nil)
	_ pos.WriteSupport    = (*Adapter)(nil)
	_ pos.InjectPreflight = (*Adapter)(nil)
)

// InjectUnsupported is why this manifest cannot create orders ("" when it
// declares order_create).
func (a *Adapter) InjectUnsupported() string {
	if a.create != nil {
		return ""
	}
	return orDefault(a.m.OrderCreateUnsupported, reasonNoCreate)
}

// MissingInjectSettings names the order_create.settings that are not set
// (pos.InjectPreflight).
func (a *Adapter) MissingInjectSettings(_ *model.Order, pay *model.Payment) []pos.MissingSetting {
	if a.create == nil || a.m.OrderCreate == nil {
		return nil
	}
	var out []pos.MissingSetting
	for _, s := range a.m.OrderCreate.Settings {
		if a.cfg.Setting(s.Name, "") != "" {
			continue
		}
		if s.OrForCash != "" && pay != nil && pay.Method == model.MethodCash && a.cfg.Setting(s.OrForCash, "") != "" {
			continue
		}
		out = append(out, pos.MissingSetting{Name: s.Name, Hint: s.Hint})
	}
	return out
}

// RefundUnsupported is why this manifest cannot refund ("" when it
// declares refund_create).
func (a *Adapter) RefundUnsupported() string {
	if a.refund != nil {
		return ""
	}
	return orDefault(a.m.RefundUnsupported, reasonNoRefund)
}

// LookupWindow is how far back .since reaches: lookups search the orders
// or refunds created since then for an earlier attempt.
const LookupWindow = 72 * time.Hour

// Default status lists of order_create and refund_create.
var defaultWriteSuccess = []int{http.StatusOK, http.StatusCreated}

// Reasons given without the blocks.
const (
	reasonNoCreate = "the manifest has no order_create block, so orders cannot be created in this POS"
	reasonNoRefund = "the manifest has no refund_create block, so refunds cannot be made in this POS"
)

// writeSpec is a compiled order_create or refund_create block.
type writeSpec struct {
	field     string
	req       *request
	id        *program
	paymentID *program // order_create
	amount    *program // refund_create
	status    *program // refund_create
	lookup    *lookup
	success   map[int]bool
	retryable map[int]bool
}

// lookup is a compiled LookupSpec.
type lookup struct {
	req       *request
	id        *program
	paymentID *program
}

func (a *Adapter) buildLookup(ps *problems, field string, l *LookupSpec, sample map[string]any) *lookup {
	lk := &lookup{req: a.buildRequest(ps, field+".request", &l.Request, sample)}
	lk.id = a.required(ps, field+".id", l.ID)
	if l.PaymentID != "" {
		lk.paymentID = a.compile(ps, field+".payment_id", l.PaymentID)
	}
	return lk
}

func (a *Adapter) buildWrite(ps *problems, field string, req RequestSpec, id string, lk *LookupSpec, success, retryable []int, sample map[string]any) *writeSpec {
	w := &writeSpec{field: field}
	if req.Method == "" {
		req.Method = http.MethodPost
	}
	w.req = a.buildRequest(ps, field+".request", &req, sample)
	w.id = a.required(ps, field+".id", id)
	if lk != nil {
		w.lookup = a.buildLookup(ps, field+".lookup", lk, sample)
	}
	w.success = statusList(ps, field+".success", success, defaultWriteSuccess)
	w.retryable = statusList(ps, field+".retryable", retryable, defaultRetryable)
	for s := range w.success {
		if w.retryable[s] {
			ps.add(field+".retryable", "%d is also listed in success", s)
		}
	}
	return w
}

// buildOrderCreate compiles order_create (and checks it against
// order_create_unsupported).
func (a *Adapter) buildOrderCreate(ps *problems) {
	m := a.m
	if m.OrderCreate == nil {
		return
	}
	if m.OrderCreateUnsupported != "" {
		ps.add("order_create_unsupported", "cannot be set together with order_create")
	}
	c := m.OrderCreate
	sample := a.sampleData(map[string]any{"key": "sample", "idempotency_key": "aura-sample", "order_id": "sample",
		"since": a.now().UTC().Format(time.RFC3339)})
	a.create = a.buildWrite(ps, "order_create", c.Request, c.ID, c.Lookup, c.Success, c.Retryable, sample)
	if c.PaymentID != "" {
		a.create.paymentID = a.compile(ps, "order_create.payment_id", c.PaymentID)
	}
}

// buildRefundCreate compiles refund_create.
func (a *Adapter) buildRefundCreate(ps *problems) {
	m := a.m
	if m.RefundCreate == nil {
		return
	}
	if m.RefundUnsupported != "" {
		ps.add("refund_unsupported", "cannot be set together with refund_create")
	}
	r := m.RefundCreate
	sample := a.sampleData(map[string]any{"key": "sample", "idempotency_key": "aura-sample", "vendor_order_id": "sample",
		"vendor_payment_id": "sample", "amount": "1.00", "since": a.now().UTC().Format(time.RFC3339)})
	a.refund = a.buildWrite(ps, "refund_create", r.Request, r.ID, r.Lookup, r.Success, r.Retryable, sample)
	if r.Amount != "" {
		a.refund.amount = a.compile(ps, "refund_create.amount", r.Amount)
	}
	if r.Status != "" {
		a.refund.status = a.compile(ps, "refund_create.status", r.Status)
	}
}

// unsupported is the error of a missing capability.
func (a *Adapter) unsupported(op, reason, def string) error {
	if reason == "" {
		reason = def
	}
	return &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Unsupported, Message: reason}
}

// InjectOrder creates req.Order at the vendor through the manifest's
// order_create block. With a lookup, the earlier attempt is searched first
// (by $job.order_id, the external reference) and returned when found;
// without one, the vendor is expected to honour .idempotency_key, which is
// the same on every attempt for req.Key.
func (a *Adapter) InjectOrder(ctx context.Context, req pos.InjectRequest) (*pos.InjectResult, error) {
	const op = "create order"
	if a.create == nil {
		return nil, a.unsupported(op, a.m.OrderCreateUnsupported, reasonNoCreate)
	}
	now := a.now()
	idem := pos.IdempotencyKey(req.Key, "order")
	job := map[string]any{"key": req.Key, "idempotency_key": idem, "order_id": req.Order.ID}
	vars := runVars{now: now, job: job}
	data := a.data(now, map[string]any{"key": req.Key, "idempotency_key": idem, "order_id": req.Order.ID,
		"since": now.Add(-LookupWindow).UTC().Format(time.RFC3339)})
	in, err := injectInput(req, idem)
	if err != nil {
		return nil, &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid, Message: "the order cannot be encoded", Err: err}
	}
	if lk := a.create.lookup; lk != nil {
		id, pay, err := a.find(ctx, "look up order", lk, data, in, vars)
		if err != nil {
			return nil, err
		}
		if id != "" {
			return &pos.InjectResult{VendorOrderID: id, VendorPaymentID: pay, Existing: true}, nil
		}
	}
	body, err := a.write(ctx, op, a.create, data, in, vars)
	if err != nil {
		return nil, err
	}
	id, err := a.selectID(ctx, a.create.id, body, vars)
	if err != nil || id == "" {
		return nil, &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid, Err: err,
			Message: "the vendor accepted the order but order_create.id found no order id in its answer; check the POS before sending the order again"}
	}
	res := &pos.InjectResult{VendorOrderID: id}
	if a.create.paymentID != nil {
		if res.VendorPaymentID, err = a.selectID(ctx, a.create.paymentID, body, vars); err != nil {
			a.log.Warn("payment id not read from the order_create answer", "order_id", req.Order.ID, "err", err)
		}
	}
	return res, nil
}

// RefundOrder refunds through the manifest's refund_create block, after its
// lookup (when declared) found no earlier attempt.
func (a *Adapter) RefundOrder(ctx context.Context, req pos.RefundRequest) (*pos.RefundResult, error) {
	const op = "refund"
	if a.refund == nil {
		return nil, a.unsupported(op, a.m.RefundUnsupported, reasonNoRefund)
	}
	now := a.now()
	idem := pos.IdempotencyKey(req.Key, "refund")
	job := map[string]any{"key": req.Key, "idempotency_key": idem, "vendor_order_id": req.VendorOrderID,
		"vendor_payment_id": req.VendorPaymentID}
	vars := runVars{now: now, job: job}
	amount := ""
	var amountIn any
	if req.Amount.Amount != 0 {
		cur := req.Amount.Currency
		if cur == "" {
			cur = a.env.currency
			req.Amount.Currency = cur
		}
		amount = decimal.New(req.Amount.Amount, -int32(model.MinorDigits(cur))).StringFixed(int32(model.MinorDigits(cur)))
		amountIn = req.Amount
	}
	data := a.data(now, map[string]any{"key": req.Key, "idempotency_key": idem, "vendor_order_id": req.VendorOrderID,
		"vendor_payment_id": req.VendorPaymentID, "amount": amount, "since": now.Add(-LookupWindow).UTC().Format(time.RFC3339)})
	in, err := toJQ(map[string]any{"vendor_order_id": req.VendorOrderID, "vendor_payment_id": req.VendorPaymentID,
		"amount": amountIn, "reason": req.Reason, "key": req.Key, "idempotency_key": idem})
	if err != nil {
		return nil, &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid, Message: "the refund cannot be encoded", Err: err}
	}
	if lk := a.refund.lookup; lk != nil {
		id, _, err := a.find(ctx, "look up refund", lk, data, in, vars)
		if err != nil {
			return nil, err
		}
		if id != "" {
			return &pos.RefundResult{VendorRefundID: id, Amount: req.Amount, Status: "completed"}, nil
		}
	}
	body, err := a.write(ctx, op, a.refund, data, in, vars)
	if err != nil {
		return nil, err
	}
	id, err := a.selectID(ctx, a.refund.id, body, vars)
	if err != nil || id == "" {
		return nil, &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid, Err: err,
			Message: "the vendor accepted the refund but refund_create.id found no refund id in its answer; check the POS before refunding again"}
	}
	res := &pos.RefundResult{VendorRefundID: id, Amount: req.Amount, Status: "completed"}
	if a.refund.amount != nil {
		v, err := a.refund.amount.optional(ctx, a.env, body, vars)
		var m model.Money
		if err == nil && v != nil {
			if err = json.Unmarshal(fromJQ(v), &m); err == nil && m.Currency != "" {
				res.Amount = m
			}
		}
		if err != nil {
			a.log.Warn("refunded amount not read from the refund_create answer", "refund_id", id, "err", err)
		}
	}
	if a.refund.status != nil {
		if s, err := a.selectID(ctx, a.refund.status, body, vars); err == nil && s != "" {
			res.Status = s
		}
	}
	return res, nil
}

// injectInput is what order_create's body sees: the Aura order, its lines
// with the vendor ids the menu push recorded, the payment, and the keys.
func injectInput(req pos.InjectRequest, idem string) (any, error) {
	lines := make([]any, 0, len(req.Lines))
	for _, l := range req.Lines {
		v, err := toJQ(l.LineItem)
		if err != nil {
			return nil, err
		}
		m, _ := v.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		m["vendor_item_id"], m["vendor_variation_id"] = l.VendorItemID, l.VendorVariationID
		ids := make([]any, 0, len(l.VendorModifierIDs))
		for i, id := range l.VendorModifierIDs {
			ids = append(ids, id)
			if mods, ok := m["modifiers"].([]any); ok && i < len(mods) {
				if mod, ok := mods[i].(map[string]any); ok {
					mod["vendor_id"] = id
				}
			}
		}
		m["vendor_modifier_ids"] = ids
		lines = append(lines, m)
	}
	order, err := toJQ(req.Order)
	if err != nil {
		return nil, err
	}
	var pay any
	if req.Payment != nil {
		if pay, err = toJQ(req.Payment); err != nil {
			return nil, err
		}
	}
	return map[string]any{"order": order, "lines": lines, "payment": pay, "key": req.Key,
		"idempotency_key": idem, "order_id": req.Order.ID}, nil
}

// find runs a lookup: the vendor id of an earlier attempt, or "" when there
// was none (no output, null, "" or a 404 answer).
func (a *Adapter) find(ctx context.Context, op string, lk *lookup, data map[string]any, in any, vars runVars) (id, paymentID string, err error) {
	_, body, err := a.call(ctx, op, lk.req, data, in, vars)
	if pos.IsStatus(err, http.StatusNotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("looking for an earlier attempt: %w", err)
	}
	if id, err = a.selectID(ctx, lk.id, body, vars); err != nil {
		return "", "", &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid, Message: "the lookup's id program failed", Err: err}
	}
	if id != "" && lk.paymentID != nil {
		if paymentID, err = a.selectID(ctx, lk.paymentID, body, vars); err != nil {
			a.log.Warn("payment id not read from the lookup answer", "vendor_id", id, "err", err)
		}
	}
	return id, paymentID, nil
}

// selectID runs an id program and renders its first output as a string.
func (a *Adapter) selectID(ctx context.Context, p *program, body any, vars runVars) (string, error) {
	v, err := p.optional(ctx, a.env, body, vars)
	if err != nil {
		return "", err
	}
	return scalarString(p.field, v)
}

// write sends a create request and classifies its failure: a status in
// the block's retryable list is retried later, any other vendor refusal is
// final, transport failures and timeouts are retried; a 2xx status not in
// success is final.
func (a *Adapter) write(ctx context.Context, op string, w *writeSpec, data map[string]any, in any, vars runVars) (any, error) {
	resp, body, err := a.call(ctx, op, w.req, data, in, vars)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	var ve *pos.VendorError
	if errors.As(err, &ve) && status == 0 {
		status = ve.Status
	}
	switch {
	case err == nil && w.success[status]:
		return body, nil
	case err == nil:
		return nil, &pos.VendorError{Vendor: a.m.Vendor, Op: op, Status: status, Kind: pos.Invalid,
			Message: fmt.Sprintf("the vendor answered HTTP %d, which %s.success does not list", status, w.field)}
	case ve == nil:
		return nil, err
	case status >= 300 && w.retryable[status]:
		ve.Kind = pos.Retryable
	case status >= 400 && ve.Kind == pos.Retryable:
		ve.Kind = pos.Invalid // not in the block's retryable list: final
	}
	return nil, err
}
