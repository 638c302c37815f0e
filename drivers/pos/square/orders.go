package square

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

const cursorVersion = 1

// maxPaymentLookups bounds GET /v2/payments/{id} calls per page of orders
// (made only for card tenders that carry no card details).
const maxPaymentLookups = 20

// pullCursor is the opaque cursor PullOrders hands the host.
type pullCursor struct {
	V int `json:"v"`
	// Since is the end of the last completed window.
	Since time.Time `json:"since,omitzero"`
	// LastDeep is the end of the last window that reached offline_lag back.
	LastDeep time.Time `json:"last_deep,omitzero"`
	// Window is the window being paged through, if any.
	Window *pullWindow `json:"window,omitempty"`
}

// pullWindow is one updated_at range [Start, End) read page by page. The
// query stays the same on every page, as Square requires with a cursor.
type pullWindow struct {
	Query    string     `json:"query"` // fingerprint of the settings the cursors belong to
	Start    time.Time  `json:"start"`
	End      time.Time  `json:"end"`
	Deep     bool       `json:"deep,omitempty"`
	Orders   pullStream `json:"orders"`
	Payments pullStream `json:"payments"`
}

type pullStream struct {
	Cursor   string `json:"cursor,omitempty"`
	Location int    `json:"location,omitempty"` // payments: index into location ids
	Done     bool   `json:"done,omitempty"`
}

// PullOrders returns one page of orders and one page of payments updated
// in the current window. See pos.Adapter and the package doc for windows.
func (a *Adapter) PullOrders(ctx context.Context, raw []byte) (*pos.PullResult, error) {
	var c pullCursor
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadCursor, err)
		}
		if c.V != cursorVersion {
			return nil, fmt.Errorf("%w: version %d", ErrBadCursor, c.V)
		}
	}
	c.V = cursorVersion
	if c.Window != nil && c.Window.Query != a.queryFingerprint() {
		// Locations or states changed mid-window: Square cursors belong to
		// their query, so start the window again.
		c.Window = nil
	}
	if c.Window == nil {
		c.Window = a.newWindow(&c)
	}
	w := c.Window
	res := &pos.PullResult{}
	if !w.Orders.Done {
		orders, next, err := a.searchOrders(ctx, w)
		if codeOf(err) == "INVALID_CURSOR" && w.Orders.Cursor != "" {
			a.log.Warn("square refused the order cursor; re-reading the window", "err", err)
			w.Orders.Cursor = ""
			orders, next, err = a.searchOrders(ctx, w)
		}
		if err != nil {
			return nil, err
		}
		res.Orders = a.normaliseOrders(ctx, orders, res)
		markEchoes(res, orders)
		w.Orders.Cursor, w.Orders.Done = next, next == ""
	}
	if !w.Payments.Done {
		pays, next, err := a.listPayments(ctx, w)
		if codeOf(err) == "INVALID_CURSOR" && w.Payments.Cursor != "" {
			a.log.Warn("square refused the payments cursor; re-reading the location", "err", err)
			w.Payments.Cursor = ""
			pays, next, err = a.listPayments(ctx, w)
		}
		if err != nil {
			return nil, err
		}
		for i := range pays {
			p := a.normalisePayment(&pays[i])
			if ps := p.Validate(); ps != nil {
				a.log.Warn("square payment set aside: it does not normalise", "payment_id", pays[i].ID, "err", ps)
				res.RejectValue("payment", pays[i].ID, &pays[i], ps)
				continue
			}
			res.Payments = append(res.Payments, p)
		}
		w.Payments.Cursor = next
		if next == "" {
			w.Payments.Location++
			w.Payments.Done = w.Payments.Location >= len(a.set.locationIDs)
		}
	}
	if w.Orders.Done && w.Payments.Done {
		c.Since = w.End
		if w.Deep {
			c.LastDeep = w.End
		}
		c.Window = nil
	} else {
		res.More = true
	}
	next, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	res.Next = next
	return res, nil
}

// newWindow starts the next window: from "overlap" before the last one
// ended, or from "offline_lag" back on the first pull and every
// "deep_rescan", because Square orders taken offline can arrive up to 72h
// late (verify whether they carry a late updated_at; the deep rescan covers
// both readings).
func (a *Adapter) newWindow(c *pullCursor) *pullWindow {
	now := a.now().UTC()
	w := &pullWindow{End: now, Query: a.queryFingerprint()}
	deepStart := now.Add(-a.set.offlineLag)
	switch {
	case c.Since.IsZero():
		w.Start, w.Deep = deepStart, true
	case now.Sub(c.LastDeep) >= a.set.deepRescan:
		w.Start, w.Deep = c.Since.Add(-a.set.overlap), true
		if deepStart.Before(w.Start) {
			w.Start = deepStart
		}
	default:
		w.Start = c.Since.Add(-a.set.overlap)
	}
	if a.set.payments == "off" {
		w.Payments.Done = true
	}
	return w
}

// queryFingerprint names the settings that shape the Square queries.
func (a *Adapter) queryFingerprint() string {
	return pos.Hash([]any{a.set.locationIDs, a.set.orderStates, a.set.orderLimit, a.set.paymentLimit, a.set.payments})[:12]
}

func (a *Adapter) searchOrders(ctx context.Context, w *pullWindow) ([]order, string, error) {
	req := searchOrdersRequest{
		LocationIDs: a.set.locationIDs,
		Cursor:      w.Orders.Cursor,
		Limit:       a.set.orderLimit,
		Query: searchOrdersQuery{
			Filter: searchOrdersFilter{
				StateFilter:    &stateFilter{States: a.set.orderStates},
				DateTimeFilter: dateTimeFilter{UpdatedAt: timeRange{StartAt: sqTime(w.Start), EndAt: sqTime(w.End)}},
			},
			Sort: searchOrdersSort{SortField: "UPDATED_AT", SortOrder: "ASC"},
		},
	}
	var resp searchOrdersResponse
	if _, err := a.call(ctx, "search orders", http.MethodPost, "/v2/orders/search", nil, req, &resp); err != nil {
		return nil, "", err
	}
	return resp.Orders, resp.Cursor, nil
}

func (a *Adapter) listPayments(ctx context.Context, w *pullWindow) ([]payment, string, error) {
	q := url.Values{}
	q.Set("updated_at_begin_time", sqTime(w.Start))
	q.Set("updated_at_end_time", sqTime(w.End))
	q.Set("sort_field", "UPDATED_AT")
	q.Set("sort_order", "ASC")
	q.Set("location_id", a.set.locationIDs[w.Payments.Location])
	q.Set("limit", strconv.Itoa(a.set.paymentLimit))
	if w.Payments.Cursor != "" {
		q.Set("cursor", w.Payments.Cursor)
	}
	var resp listPaymentsResponse
	if _, err := a.call(ctx, "list payments", http.MethodGet, "/v2/payments", q, nil, &resp); err != nil {
		return nil, "", err
	}
	return resp.Payments, resp.Cursor, nil
}

// normaliseOrders converts a page of orders. An order that cannot be made
// valid is returned in res.Rejected (the host audits it and sets it aside),
// so that one odd order never blocks the stream (polling with overlap will
// offer it again after a fix).
func (a *Adapter) normaliseOrders(ctx context.Context, orders []order, res *pos.PullResult) []model.Order {
	if len(orders) == 0 {
		return nil
	}
	cat := a.reverseCatalog()
	pays := a.lookupPayments(ctx, orders)
	out := make([]model.Order, 0, len(orders))
	for i := range orders {
		o, err := a.normaliseOrder(&orders[i], pays, cat)
		if err != nil {
			a.log.Warn("square order set aside: it does not normalise", "order_id", orders[i].ID, "err", err)
			res.RejectValue("order", orders[i].ID, &orders[i], err)
			continue
		}
		out = append(out, o)
	}
	return out
}

// lookupPayments fetches the Payment of card tenders that carry no card
// details, so that brand and last 4 can still be reported. Failures only
// leave those fields empty.
func (a *Adapter) lookupPayments(ctx context.Context, orders []order) map[string]*payment {
	out := map[string]*payment{}
	n := 0
	for _, o := range orders {
		for _, t := range o.Tenders {
			if t.Type != "CARD" || t.PaymentID == "" || (t.CardDetails != nil && t.CardDetails.Card != nil) {
				continue
			}
			if _, done := out[t.PaymentID]; done || n >= maxPaymentLookups {
				continue
			}
			n++
			var resp getPaymentResponse
			_, err := a.call(ctx, "get payment", http.MethodGet, "/v2/payments/"+url.PathEscape(t.PaymentID), nil, nil, &resp)
			if err != nil || resp.Payment == nil {
				a.log.Debug("payment lookup failed", "payment_id", t.PaymentID, "err", err)
				out[t.PaymentID] = nil
				continue
			}
			out[t.PaymentID] = resp.Payment
		}
	}
	return out
}

// FetchOrders reads the named orders now (after a webhook) with
// POST /v2/orders/batch-retrieve, 100 ids per request.
func (a *Adapter) FetchOrders(ctx context.Context, externalIDs []string) (*pos.PullResult, error) {
	res := &pos.PullResult{}
	for start := 0; start < len(externalIDs); start += 100 {
		ids := externalIDs[start:min(start+100, len(externalIDs))]
		var resp batchRetrieveOrdersResponse
		if _, err := a.call(ctx, "batch retrieve orders", http.MethodPost, "/v2/orders/batch-retrieve", nil,
			batchRetrieveOrdersRequest{OrderIDs: ids}, &resp); err != nil {
			return res, err
		}
		res.Orders = append(res.Orders, a.normaliseOrders(ctx, resp.Orders, res)...)
		markEchoes(res, resp.Orders)
		// The orders' payments too, read the way a poll reads them (same
		// Payment object, same version), so the poll that follows finds
		// them already captured instead of sending a second revision.
		for _, o := range resp.Orders {
			for _, t := range o.Tenders {
				if t.PaymentID == "" {
					continue
				}
				var pr getPaymentResponse
				if _, err := a.call(ctx, "get payment", http.MethodGet, "/v2/payments/"+url.PathEscape(t.PaymentID), nil, nil, &pr); err != nil || pr.Payment == nil {
					a.log.Debug("payment of a fetched order not read; the next poll brings it", "payment_id", t.PaymentID, "err", err)
					continue
				}
				p := a.normalisePayment(pr.Payment)
				if ps := p.Validate(); ps != nil {
					a.log.Warn("skipping square payment that does not normalise", "payment_id", t.PaymentID, "err", ps)
					continue
				}
				res.Payments = append(res.Payments, p)
			}
		}
	}
	return res, nil
}

// markEchoes marks the orders InjectOrder created (source "Aura" with the
// Aura order id as reference_id) as echoes: they are not new store orders.
func markEchoes(res *pos.PullResult, orders []order) {
	for _, o := range orders {
		if o.Source != nil && o.Source.Name == "Aura" && o.ReferenceID != "" {
			res.MarkEchoOf(o.ID, o.ReferenceID)
		}
	}
}
