package clover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// Expansions, each from the operation's documented list (Clover REST API
// v3 reference, docs.clover.com, read 2026-12-03). No orders operation
// documents line tax rates, and "Get a single order" documents neither line
// modifications nor line discounts nor the payment tender: those come from
// the order's line items and payments operations (see complete).
const (
	// GET /v3/merchants/{mId}/orders.
	listExpand = "lineItems,lineItems.modifications,lineItems.discounts,discounts,serviceCharge,payments,payment.tender,payment.cardTransaction,refunds"
	// GET /v3/merchants/{mId}/orders/{orderId}.
	getExpand = "lineItems,discounts,serviceCharge,payments,refunds"
	// GET /v3/merchants/{mId}/orders/{orderId}/line_items.
	lineItemsExpand = "taxRates,modifications,discounts"
	// GET /v3/merchants/{mId}/orders/{orderId}/payments.
	orderPaymentsExpand = "tender,cardTransaction"
)

// cursor is PullOrders' opaque position: a window [From, To) of modifiedTime
// in milliseconds, read in pages sorted by modifiedTime ascending. Within a
// window each page starts at the last modifiedTime seen and skips the Skip
// orders already returned at exactly that millisecond (keyset paging with
// Clover's offset), so orders modified while we page do not shift later
// pages. If Clover ever returns a page out of order, the window falls back
// to plain offset paging (Offset). To == 0 means: open a new window ending
// now at the next call.
type cursor struct {
	V      int   `json:"v"`
	From   int64 `json:"from"`
	To     int64 `json:"to,omitempty"`
	Skip   int   `json:"skip,omitempty"`
	Offset int   `json:"offset,omitempty"`
}

// PullOrders returns one page of orders modified since the cursor, with
// their payments. When a window is exhausted the next one starts overlap
// before its end, so late (offline) orders are read again; the host
// de-duplicates by Source.Key().
func (a *Adapter) PullOrders(ctx context.Context, raw []byte) (*pos.PullResult, error) {
	now := a.now().UnixMilli()
	c := cursor{V: 1, From: now - a.lookback.Milliseconds()}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil || c.V != 1 {
			return nil, fmt.Errorf("%w: %s", ErrBadCursor, truncate(string(raw), 80))
		}
	}
	if c.To == 0 {
		c.To = now
		c.Skip, c.Offset = 0, 0
	}
	if c.From >= c.To { // nothing can be new yet (or the clock went back)
		next := cursor{V: 1, From: c.From}
		return &pos.PullResult{Next: mustJSON(next)}, nil
	}
	q := url.Values{}
	q.Add("filter", "modifiedTime>="+strconv.FormatInt(c.From, 10))
	q.Add("filter", "modifiedTime<"+strconv.FormatInt(c.To, 10))
	q.Set("expand", listExpand)
	q.Set("orderBy", "modifiedTime ASC")
	q.Set("limit", strconv.Itoa(a.pageSize))
	q.Set("offset", strconv.Itoa(c.Skip+c.Offset))
	var page elements[json.RawMessage]
	if _, err := a.call(ctx, "list orders", http.MethodGet, a.mpath("/orders"), q, nil, &page); err != nil {
		return nil, err
	}
	res, times, err := a.convert(ctx, page.Elements, false)
	if err != nil {
		return nil, err
	}
	next := cursor{V: 1}
	switch {
	case len(page.Elements) < a.pageSize: // window done: re-read the overlap next time
		next.From = max(c.To-a.overlap.Milliseconds(), 0)
	case c.Offset == 0 && sorted(times):
		last := times[len(times)-1]
		n := 0
		for _, t := range times {
			if t == last {
				n++
			}
		}
		if last == c.From {
			n += c.Skip
		}
		next = cursor{V: 1, From: last, To: c.To, Skip: n}
		res.More = true
	default:
		if c.Offset == 0 {
			a.log.Warn("clover returned orders out of modifiedTime order; using plain offset paging for this window")
		}
		next = cursor{V: 1, From: c.From, To: c.To, Skip: c.Skip, Offset: c.Offset + len(page.Elements)}
		res.More = true
	}
	res.Next = mustJSON(next)
	a.log.Debug("orders pulled", "count", len(res.Orders), "from", time.UnixMilli(c.From).UTC(), "to", time.UnixMilli(c.To).UTC(), "more", res.More)
	return res, nil
}

// FetchOrders fetches the named orders now (after a webhook). Orders Clover
// no longer has (404) are skipped. The result's Next is nil: fetching by id
// does not move the poll cursor.
func (a *Adapter) FetchOrders(ctx context.Context, ids []string) (*pos.PullResult, error) {
	var raws []json.RawMessage
	for _, id := range ids {
		if id == "" {
			continue
		}
		var raw json.RawMessage
		_, err := a.call(ctx, "get order", http.MethodGet, a.mpath("/orders/"+url.PathEscape(id)), url.Values{"expand": {getExpand}}, nil, &raw)
		if pos.IsStatus(err, http.StatusNotFound) {
			a.log.Info("order not found, skipped", "order_id", id)
			continue
		}
		if err != nil {
			return nil, err
		}
		raws = append(raws, raw)
	}
	res, _, err := a.convert(ctx, raws, true)
	return res, err
}

// convert normalises raw orders, completing each first (see complete;
// byID: the orders came from "Get a single order"). An order that cannot be
// normalised is returned in Rejected (the host audits it and sets it
// aside) so one odd order never blocks the stream.
func (a *Adapter) convert(ctx context.Context, raws []json.RawMessage, byID bool) (*pos.PullResult, []int64, error) {
	return a.convertWith(raws, func(o *cOrder, ix *revIndex) (bool, error) { return a.complete(ctx, o, ix, byID) })
}

// convertWith is convert with its completion step given (nil: none, the
// orders are normalised as decoded).
func (a *Adapter) convertWith(raws []json.RawMessage, complete func(*cOrder, *revIndex) (gone bool, err error)) (*pos.PullResult, []int64, error) {
	res := &pos.PullResult{Orders: []model.Order{}, Payments: []model.Payment{}}
	times := make([]int64, 0, len(raws))
	if len(raws) == 0 {
		return res, times, nil
	}
	ix, err := a.reverseIndex()
	if err != nil {
		return nil, nil, err
	}
	for _, raw := range raws {
		var o cOrder
		if err := json.Unmarshal(raw, &o); err != nil {
			var id struct {
				ID           string `json:"id"`
				ModifiedTime int64  `json:"modifiedTime"`
			}
			_ = json.Unmarshal(raw, &id)
			times = append(times, id.ModifiedTime)
			a.log.Error("order set aside: unreadable", "order_id", id.ID, "err", err)
			res.Reject("order", id.ID, raw, pos.Unreadable("order", err))
			continue
		}
		times = append(times, o.ModifiedTime)
		if complete != nil {
			gone, err := complete(&o, ix)
			if err != nil {
				return nil, nil, err
			}
			if gone {
				a.log.Info("order not found, skipped", "order_id", o.ID)
				continue
			}
		}
		ord, err := a.normalize(&o, ix)
		if errors.Is(err, errEmptyOrder) {
			a.log.Debug("empty order skipped", "order_id", o.ID)
			continue
		}
		if err == nil {
			err = ord.Validate().Err()
		}
		if err != nil {
			a.log.Error("order set aside: cannot be normalised", "order_id", o.ID, "err", err)
			res.Reject("order", o.ID, raw, err)
			continue
		}
		res.Orders = append(res.Orders, *ord)
		res.Payments = append(res.Payments, ord.Payments...)
		if id, ok := strings.CutPrefix(o.Title, injectTitle("")); ok && id != "" {
			res.MarkEcho(ord.ID, id) // created by InjectOrder: not a new store order
		}
	}
	return res, times, nil
}

func sorted(ts []int64) bool {
	for i := 1; i < len(ts); i++ {
		if ts[i] < ts[i-1] {
			return false
		}
	}
	return true
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // cursor is plain ints
	}
	return b
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// complete fetches what the order's own operation cannot inline, from the
// documented sub-resources:
//   - line tax rates (and, for an order read by id, line modifications and
//     discounts): GET /orders/{id}/line_items?expand=taxRates,modifications,discounts.
//     On the list path, whose documented expansions include the lines'
//     modifications and discounts, the lines are fetched only when the order
//     may carry tax: a VAT order, or a total above what its lines, discounts
//     and service charge explain.
//   - for an order read by id, its payments with tender and card
//     transaction: GET /orders/{id}/payments?expand=tender,cardTransaction.
//   - any tender still a bare {id}: the merchant's tenders (GET /tenders,
//     cached).
//
// gone reports that the order disappeared meanwhile (404).
func (a *Adapter) complete(ctx context.Context, o *cOrder, ix *revIndex, byID bool) (gone bool, err error) {
	base := a.mpath("/orders/" + url.PathEscape(o.ID))
	if len(o.LineItems.Elements) > 0 && (byID || a.mayHaveTax(o, ix)) {
		var lines elements[cLineItem]
		q := url.Values{"expand": {lineItemsExpand}, "limit": {strconv.Itoa(MaxPageSize)}}
		_, err := a.call(ctx, "get order line items", http.MethodGet, base+"/line_items", q, nil, &lines)
		if pos.IsStatus(err, http.StatusNotFound) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		o.LineItems = lines
	}
	if byID && len(o.Payments.Elements) > 0 {
		var pays elements[cPayment]
		q := url.Values{"expand": {orderPaymentsExpand}, "limit": {strconv.Itoa(MaxPageSize)}}
		_, err := a.call(ctx, "get order payments", http.MethodGet, base+"/payments", q, nil, &pays)
		if pos.IsStatus(err, http.StatusNotFound) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		o.Payments = pays
	}
	for i := range o.Payments.Elements {
		p := &o.Payments.Elements[i]
		if p.Tender == nil || p.Tender.ID == "" || p.Tender.LabelKey != "" || p.Tender.Label != "" {
			continue
		}
		t, err := a.tender(ctx, p.Tender.ID)
		if err != nil {
			return false, err
		}
		if t != nil {
			p.Tender = t
		}
	}
	return false, nil
}

// mayHaveTax reports whether a listed order (whose lines come without tax
// rates) needs its lines' tax rates: it is a VAT order (tax inside the
// prices), or its total exceeds what the lines, discounts and service
// charge explain.
func (a *Adapter) mayHaveTax(o *cOrder, ix *revIndex) bool {
	if o.TaxRemoved {
		return false
	}
	for _, li := range o.LineItems.Elements {
		if len(li.TaxRates.Elements) > 0 {
			return false // the rates are already here
		}
	}
	if o.IsVat {
		return true
	}
	ord, tips, err := a.build(o, ix)
	if err != nil {
		return true
	}
	return o.Total > ord.Totals.Total.Amount-tips
}

// tender resolves a bare tender id through the merchant's tenders, read
// once and again when an id is unknown (a tender added since). It returns
// nil for an id the merchant does not list.
func (a *Adapter) tender(ctx context.Context, id string) (*cTender, error) {
	a.tenderMu.Lock()
	defer a.tenderMu.Unlock()
	if t, ok := a.tenders[id]; ok {
		return &t, nil
	}
	if a.tenders != nil && a.now().Sub(a.tendersAt) < time.Minute {
		return nil, nil // just re-read: not a tender of this merchant
	}
	all := map[string]cTender{}
	for offset := 0; ; {
		var page elements[cTender]
		q := url.Values{"limit": {strconv.Itoa(MaxPageSize)}, "offset": {strconv.Itoa(offset)}}
		if _, err := a.call(ctx, "list tenders", http.MethodGet, a.mpath("/tenders"), q, nil, &page); err != nil {
			return nil, err
		}
		for _, t := range page.Elements {
			all[t.ID] = t
		}
		if len(page.Elements) < MaxPageSize {
			break
		}
		offset += len(page.Elements)
	}
	a.tenders, a.tendersAt = all, a.now()
	if t, ok := all[id]; ok {
		return &t, nil
	}
	a.log.Warn("payment tender not among the merchant's tenders; recorded as other", "tender_id", id)
	return nil, nil
}
