package toast

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// TimeLayout is Toast's ISO-8601 with milliseconds, e.g.
// 2016-01-01T14:13:12.000+0000.
const TimeLayout = "2006-01-02T15:04:05.000-0700"

// FormatTime renders t (in UTC) the way ordersBulk wants its dates.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads Toast dates (with or without millis, any offset form).
func ParseTime(s string) (time.Time, bool) {
	for _, l := range []string{TimeLayout, "2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05-0700", time.RFC3339Nano} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Wire types (orders API v2). Money is decimal.Decimal, whose
// UnmarshalJSON reads the number's text exactly (never float64).

type ref struct {
	GUID            string `json:"guid"`
	MultiLocationID string `json:"multiLocationId"`
	ExternalID      string `json:"externalId"`
	EntityType      string `json:"entityType"`
}

type order struct {
	GUID          string  `json:"guid"`
	ExternalID    string  `json:"externalId"`
	DisplayNumber string  `json:"displayNumber"`
	OpenedDate    string  `json:"openedDate"`
	CreatedDate   string  `json:"createdDate"`
	ModifiedDate  string  `json:"modifiedDate"`
	ClosedDate    string  `json:"closedDate"`
	PaidDate      string  `json:"paidDate"`
	BusinessDate  int     `json:"businessDate"`
	Voided        bool    `json:"voided"`
	Deleted       bool    `json:"deleted"`
	DiningOption  *ref    `json:"diningOption"`
	Checks        []check `json:"checks"`
}

type check struct {
	GUID                  string                 `json:"guid"`
	DisplayNumber         string                 `json:"displayNumber"`
	OpenedDate            string                 `json:"openedDate"`
	ClosedDate            string                 `json:"closedDate"`
	Voided                bool                   `json:"voided"`
	Deleted               bool                   `json:"deleted"`
	PaymentStatus         string                 `json:"paymentStatus"`
	Amount                *decimal.Decimal       `json:"amount"`
	TaxAmount             *decimal.Decimal       `json:"taxAmount"`
	TotalAmount           *decimal.Decimal       `json:"totalAmount"`
	Selections            []selection            `json:"selections"`
	AppliedDiscounts      []appliedDiscount      `json:"appliedDiscounts"`
	AppliedServiceCharges []appliedServiceCharge `json:"appliedServiceCharges"`
	Payments              []payment              `json:"payments"`
	TabName               string                 `json:"tabName"`
}

type selection struct {
	GUID             string            `json:"guid"`
	Item             *ref              `json:"item"`
	ItemGroup        *ref              `json:"itemGroup"`
	OptionGroup      *ref              `json:"optionGroup"`
	DisplayName      string            `json:"displayName"`
	Quantity         *decimal.Decimal  `json:"quantity"`
	PreDiscountPrice *decimal.Decimal  `json:"preDiscountPrice"`
	Price            *decimal.Decimal  `json:"price"`
	Tax              *decimal.Decimal  `json:"tax"`
	Voided           bool              `json:"voided"`
	SelectionType    string            `json:"selectionType"`
	Modifiers        []selection       `json:"modifiers"`
	AppliedDiscounts []appliedDiscount `json:"appliedDiscounts"`
	AppliedTaxes     []appliedTax      `json:"appliedTaxes"`
	TaxInclusion     string            `json:"taxInclusion"`
}

type appliedDiscount struct {
	GUID                 string           `json:"guid"`
	Name                 string           `json:"name"`
	DiscountAmount       *decimal.Decimal `json:"discountAmount"`
	NonTaxDiscountAmount *decimal.Decimal `json:"nonTaxDiscountAmount"`
	DiscountPercent      *decimal.Decimal `json:"discountPercent"`
	Discount             *ref             `json:"discount"`
}

type appliedTax struct {
	GUID      string           `json:"guid"`
	TaxRate   *ref             `json:"taxRate"`
	Name      string           `json:"name"`
	Rate      *decimal.Decimal `json:"rate"`
	TaxAmount *decimal.Decimal `json:"taxAmount"`
	Type      string           `json:"type"`
}

type appliedServiceCharge struct {
	GUID          string           `json:"guid"`
	Name          string           `json:"name"`
	ChargeAmount  *decimal.Decimal `json:"chargeAmount"`
	Gratuity      bool             `json:"gratuity"`
	AppliedTaxes  []appliedTax     `json:"appliedTaxes"`
	ServiceCharge *ref             `json:"serviceCharge"`
}

type payment struct {
	GUID          string           `json:"guid"`
	PaidDate      string           `json:"paidDate"`
	Type          string           `json:"type"`
	Amount        *decimal.Decimal `json:"amount"`
	TipAmount     *decimal.Decimal `json:"tipAmount"`
	CardType      string           `json:"cardType"`
	Last4Digits   string           `json:"last4Digits"`
	PaymentStatus string           `json:"paymentStatus"`
	RefundStatus  string           `json:"refundStatus"`
	Refund        *struct {
		RefundAmount    *decimal.Decimal `json:"refundAmount"`
		TipRefundAmount *decimal.Decimal `json:"tipRefundAmount"`
		RefundDate      string           `json:"refundDate"`
	} `json:"refund"`
}

// cursor is the opaque PullOrders cursor. End is the modified-time end of
// the last finished window; Window is set while paging through one.
type cursor struct {
	End    time.Time `json:"end,omitzero"`
	Window *window   `json:"window,omitempty"`
}

type window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Until time.Time `json:"until"` // the end of this pull (now when it began)
	Page  int       `json:"page"`
}

// PullOrders reads one page of GET /orders/v2/ordersBulk. A pull covers
// [last end - overlap, now) on modified time (the first pull starts
// initial_lookback ago), split into windows of at most max_window, paged
// until a page has fewer than 100 orders. The host de-duplicates the
// re-read overlap by Source.Key (order guid + modified date).
func (a *Adapter) PullOrders(ctx context.Context, cur []byte) (*pos.PullResult, error) {
	var c cursor
	if len(bytes.TrimSpace(cur)) > 0 {
		if err := json.Unmarshal(cur, &c); err != nil {
			return nil, &pos.VendorError{Vendor: Vendor, Op: "pull orders", Kind: pos.Invalid, Message: "bad cursor", Err: err}
		}
	}
	now := a.now().UTC().Truncate(time.Millisecond)
	w := c.Window
	if w == nil {
		start := now.Add(-a.lookback)
		if !c.End.IsZero() {
			start = c.End.Add(-a.overlap)
		}
		w = &window{Start: start, End: now, Until: now, Page: 1}
	}
	if w.End.Sub(w.Start) > a.maxWindow {
		w.End = w.Start.Add(a.maxWindow)
	}
	if w.Until.Before(w.End) {
		w.Until = w.End
	}
	q := url.Values{
		"startDate": {FormatTime(w.Start)},
		"endDate":   {FormatTime(w.End)},
		"pageSize":  {strconv.Itoa(PageSize)},
		"page":      {strconv.Itoa(w.Page)},
	}
	var raws []json.RawMessage
	if _, err := a.call(ctx, "orders bulk", http.MethodGet, "/orders/v2/ordersBulk", q, nil, &raws); err != nil {
		return nil, err
	}
	res := &pos.PullResult{}
	a.normaliseAll(raws, res)
	next := cursor{End: c.End}
	switch {
	case len(raws) >= PageSize:
		next.Window = &window{Start: w.Start, End: w.End, Until: w.Until, Page: w.Page + 1}
		res.More = true
	case w.End.Before(w.Until):
		// The span was capped by max_window: the next window follows.
		next.End = w.End
		next.Window = &window{Start: w.End, End: w.Until, Until: w.Until, Page: 1}
		res.More = true
	default:
		next.End = w.End
	}
	b, _ := json.Marshal(next)
	res.Next = b
	return res, nil
}

// FetchOrders reads the named orders now (after a webhook).
func (a *Adapter) FetchOrders(ctx context.Context, guids []string) (*pos.PullResult, error) {
	var raws []json.RawMessage
	for _, g := range guids {
		var raw json.RawMessage
		if _, err := a.call(ctx, "get order", http.MethodGet, "/orders/v2/orders/"+url.PathEscape(g), nil, nil, &raw); err != nil {
			if pos.IsStatus(err, http.StatusNotFound) {
				a.log.Warn("order not found", "order_guid", g)
				continue
			}
			return nil, err
		}
		raws = append(raws, raw)
	}
	res := &pos.PullResult{}
	a.normaliseAll(raws, res)
	return res, nil
}

// normaliseAll converts what it can; an order that cannot be represented is
// returned in res.Rejected (audited and set aside by the host) so that it
// does not block the cursor.
func (a *Adapter) normaliseAll(raws []json.RawMessage, res *pos.PullResult) {
	for _, raw := range raws {
		var o order
		if err := json.Unmarshal(raw, &o); err != nil {
			a.log.Error("order undecodable, set aside", "err", err)
			var id struct {
				GUID string `json:"guid"`
			}
			_ = json.Unmarshal(raw, &id)
			res.Reject("order", id.GUID, raw, pos.Unreadable("order", err))
			continue
		}
		ao, err := a.normalise(&o)
		if err != nil {
			a.log.Error("order not representable, set aside", "order_guid", o.GUID, "err", err)
			res.Reject("order", o.GUID, raw, err)
			continue
		}
		res.Orders = append(res.Orders, *ao)
		res.Payments = append(res.Payments, ao.Payments...)
		if id := a.injectedAuraID(o.ExternalID); id != "" {
			res.MarkEcho(ao.ID, id) // created by InjectOrder: not a new store order
		}
	}
}
