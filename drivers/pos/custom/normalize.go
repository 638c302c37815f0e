package custom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

// toOrder maps one vendor order with pull_orders.map (and .payments), fills
// what the adapter owns (README.md, "What the adapter fills in") and
// validates the result.
func (a *Adapter) toOrder(ctx context.Context, rec any, version string, vars runVars) (*model.Order, error) {
	out, err := a.orders.mapper.one(ctx, a.env, rec, vars)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errMapping, err)
	}
	obj, ok := out.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: pull_orders.map: want an object, got %s", errMapping, typeName(out))
	}
	var o model.Order
	if err := strictDecode(obj, &o); err != nil {
		return nil, fmt.Errorf("%w: pull_orders.map: output does not fit an Aura order: %w", errMapping, err)
	}
	_, hasTotals := obj["totals"]
	if a.orders.payments != nil {
		ps, err := records(ctx, a.env, a.orders.payments, rec, vars)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errMapping, err)
		}
		for _, p := range ps {
			var pay model.Payment
			if err := strictDecode(p, &pay); err != nil {
				return nil, fmt.Errorf("%w: pull_orders.payments: output does not fit an Aura payment: %w", errMapping, err)
			}
			o.Payments = append(o.Payments, pay)
		}
	}
	if err := a.fillOrder(&o, version, hasTotals); err != nil {
		return nil, err
	}
	if ps := o.Validate(); len(ps) > 0 {
		return nil, fmt.Errorf("%w: order %s: %w", errMapping, o.Source.ExternalID, ps)
	}
	return &o, nil
}

// toPayment maps one vendor payment with pull_payments.map.
func (a *Adapter) toPayment(ctx context.Context, rec any, version string, vars runVars) (*model.Payment, error) {
	out, err := a.payments.mapper.one(ctx, a.env, rec, vars)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errMapping, err)
	}
	var p model.Payment
	if err := strictDecode(out, &p); err != nil {
		return nil, fmt.Errorf("%w: pull_payments.map: output does not fit an Aura payment: %w", errMapping, err)
	}
	if err := a.fillPayment(&p, nil, version); err != nil {
		return nil, err
	}
	if ps := p.Validate(); len(ps) > 0 {
		return nil, fmt.Errorf("%w: payment %s: %w", errMapping, p.Source.ExternalID, ps)
	}
	return &p, nil
}

// strictDecode decodes a program's output into v, refusing unknown fields
// (a misspelt key in a map program is an error, not a silent zero).
func strictDecode(out any, v any) error {
	if _, ok := out.(map[string]any); !ok {
		return fmt.Errorf("want an object, got %s", typeName(out))
	}
	d := json.NewDecoder(bytes.NewReader(fromJQ(out)))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// fillOrder sets the fields the adapter owns or defaults: source vendor
// and integration, version (the cursor value), ids, currency, money
// currencies, totals (computed when the map gives none), and the same for
// payments and refunds.
func (a *Adapter) fillOrder(o *model.Order, version string, hasTotals bool) error {
	if o.Source.ExternalID == "" {
		return fmt.Errorf("%w: pull_orders.map gave no source.external_id", errMapping)
	}
	o.Source.Vendor = a.m.Vendor
	o.Source.IntegrationID = a.cfg.IntegrationID
	if o.Source.Version == "" {
		o.Source.Version = version
	}
	if o.ID == "" {
		o.ID = o.Source.DerivedID("ord_")
	}
	if o.Currency == "" {
		o.Currency = a.env.currency
	}
	cur := o.Currency
	for i := range o.LineItems {
		li := &o.LineItems[i]
		fillMoney(cur, &li.UnitPrice, &li.Gross)
		for j := range li.Modifiers {
			fillMoney(cur, &li.Modifiers[j].UnitPrice)
		}
	}
	for i := range o.Discounts {
		fillMoney(cur, &o.Discounts[i].Amount)
	}
	for i := range o.Taxes {
		fillMoney(cur, &o.Taxes[i].Amount)
	}
	for i := range o.ServiceCharges {
		fillMoney(cur, &o.ServiceCharges[i].Amount)
	}
	fillMoney(cur, &o.Tip)
	if hasTotals {
		t := &o.Totals
		fillMoney(cur, &t.Subtotal, &t.Discount, &t.Tax, &t.InclusiveTax, &t.ServiceCharge, &t.Tip, &t.Total)
	} else {
		o.ComputeTotals()
	}
	for i := range o.Payments {
		if err := a.fillPayment(&o.Payments[i], o, o.Source.Version); err != nil {
			return err
		}
	}
	for i := range o.Refunds {
		r := &o.Refunds[i]
		if r.Source.ExternalID == "" {
			return fmt.Errorf("%w: refunds[%d] has no source.external_id", errMapping, i)
		}
		r.Source.Vendor, r.Source.IntegrationID = a.m.Vendor, a.cfg.IntegrationID
		if r.Source.Version == "" {
			r.Source.Version = o.Source.Version
		}
		if r.ID == "" {
			r.ID = r.Source.DerivedID("ref_")
		}
		fillMoney(cur, &r.Amount)
		if r.CreatedAt.IsZero() {
			r.CreatedAt = orderTime(o)
		}
	}
	return nil
}

// fillPayment does for a payment what fillOrder does for an order; o is
// the order it belongs to (nil for pull_payments).
func (a *Adapter) fillPayment(p *model.Payment, o *model.Order, version string) error {
	if p.Source.ExternalID == "" {
		return fmt.Errorf("%w: payment has no source.external_id", errMapping)
	}
	p.Source.Vendor, p.Source.IntegrationID = a.m.Vendor, a.cfg.IntegrationID
	if p.Source.Version == "" {
		p.Source.Version = version
	}
	if p.ID == "" {
		p.ID = p.Source.DerivedID("pay_")
	}
	cur := a.env.currency
	if o != nil {
		cur = o.Currency
		if p.OrderID == "" {
			p.OrderID = o.ID
		}
		if p.Source.LocationID == "" {
			p.Source.LocationID = o.Source.LocationID
		}
		if p.CreatedAt.IsZero() {
			p.CreatedAt = orderTime(o)
		}
	}
	fillMoney(cur, &p.Amount, &p.Tip)
	return nil
}

// orderTime is when an order was last touched.
func orderTime(o *model.Order) time.Time {
	switch {
	case !o.ClosedAt.IsZero():
		return o.ClosedAt
	case !o.UpdatedAt.IsZero():
		return o.UpdatedAt
	}
	return o.CreatedAt
}

// fillMoney gives a currency to non-zero amounts that lack one.
func fillMoney(cur string, ms ...*model.Money) {
	for _, m := range ms {
		if m.Currency == "" && m.Amount != 0 {
			m.Currency = cur
		}
	}
}
