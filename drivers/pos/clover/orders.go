package clover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// expand asks Clover to inline everything normalize reads. lineItems.taxRates
// is added to the documented list so per-line rates are present (verify).
const expand = "lineItems,lineItems.modifications,lineItems.discounts,lineItems.taxRates,discounts,payments,refunds,serviceCharge"

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
	q.Set("expand", expand)
	q.Set("orderBy", "modifiedTime ASC")
	q.Set("limit", strconv.Itoa(a.pageSize))
	q.Set("offset", strconv.Itoa(c.Skip+c.Offset))
	var page elements[json.RawMessage]
	if _, err := a.call(ctx, "list orders", http.MethodGet, a.mpath("/orders"), q, nil, &page); err != nil {
		return nil, err
	}
	res, times, err := a.convert(page.Elements)
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
		_, err := a.call(ctx, "get order", http.MethodGet, a.mpath("/orders/"+url.PathEscape(id)), url.Values{"expand": {expand}}, nil, &raw)
		if pos.IsStatus(err, http.StatusNotFound) {
			a.log.Info("order not found, skipped", "order_id", id)
			continue
		}
		if err != nil {
			return nil, err
		}
		raws = append(raws, raw)
	}
	res, _, err := a.convert(raws)
	return res, err
}

// convert normalises raw orders. An order that cannot be normalised is
// logged and skipped so one odd order never blocks the stream.
func (a *Adapter) convert(raws []json.RawMessage) (*pos.PullResult, []int64, error) {
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
			a.log.Error("order skipped: unreadable", "order_id", id.ID, "err", err)
			continue
		}
		times = append(times, o.ModifiedTime)
		ord, err := a.normalize(&o, ix)
		if errors.Is(err, errEmptyOrder) {
			a.log.Debug("empty order skipped", "order_id", o.ID)
			continue
		}
		if err == nil {
			err = ord.Validate().Err()
		}
		if err != nil {
			a.log.Error("order skipped: cannot be normalised", "order_id", o.ID, "err", err)
			continue
		}
		res.Orders = append(res.Orders, *ord)
		res.Payments = append(res.Payments, ord.Payments...)
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
