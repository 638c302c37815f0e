package model

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"time"
)

// Source says where a record came from: the vendor, the integration that
// pulled it, and the vendor's own id and version. Vendor + ExternalID +
// Version identify one revision of a record; resubmitting the same revision
// never creates a second event.
type Source struct {
	Vendor        string `json:"vendor"`                   // square, clover, toast, lightspeed, local, ...
	IntegrationID string `json:"integration_id,omitempty"` // the pos_integrations id that pulled it
	ExternalID    string `json:"external_id"`              // the vendor's id
	Version       string `json:"version,omitempty"`        // the vendor's revision (version, modified time)
	LocationID    string `json:"location_id,omitempty"`
}

// Key returns "vendor/external_id/version", the de-duplication key of one
// revision.
func (s Source) Key() string { return s.Vendor + "/" + s.ExternalID + "/" + s.Version }

// DerivedID returns a stable Aura id for the record the source names, the
// same for every revision: prefix + 20 base32 characters of a SHA-256 over
// vendor and external id. Adapters use it to cross-reference (a payment's
// order), so it depends on nothing else.
func (s Source) DerivedID(prefix string) string {
	h := sha256.Sum256([]byte(s.Vendor + "\x00" + s.ExternalID))
	return prefix + strings.ToLower(base32.StdEncoding.EncodeToString(h[:])[:20])
}

func (c checker) source(p string, s Source) {
	c.required(join(p, "vendor"), s.Vendor)
	c.required(join(p, "external_id"), s.ExternalID)
}

// OrderState is the life-cycle state of an order.
type OrderState string

// Order states.
const (
	OrderOpen      OrderState = "open"
	OrderCompleted OrderState = "completed"
	OrderCanceled  OrderState = "canceled"
)

// Order is a sale as the Aura cloud sees it, whatever system took it.
type Order struct {
	ID        string     `json:"id"`
	Source    Source     `json:"source"`
	State     OrderState `json:"state"`
	Currency  string     `json:"currency"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at,omitzero"`
	ClosedAt  time.Time  `json:"closed_at,omitzero"`
	Reference string     `json:"reference,omitempty"` // receipt or ticket number shown to staff
	Note      string     `json:"note,omitempty"`
	// Table, PickupName and Channel tell the kitchen where the food goes:
	// a table number, a pickup or delivery name, and how the order came in
	// ("dine-in", "takeaway", "delivery", "online", "kiosk", ...).
	Table          string          `json:"table,omitempty"`
	PickupName     string          `json:"pickup_name,omitempty"`
	Channel        string          `json:"channel,omitempty"`
	LineItems      []LineItem      `json:"line_items"`
	Discounts      []Discount      `json:"discounts,omitempty"`
	Taxes          []AppliedTax    `json:"taxes,omitempty"`
	ServiceCharges []ServiceCharge `json:"service_charges,omitempty"`
	Tip            Money           `json:"tip,omitzero"`
	Totals         Totals          `json:"totals"`
	Payments       []Payment       `json:"payments,omitempty"`
	Refunds        []Refund        `json:"refunds,omitempty"`
}

// LineItem is one ordered item. Quantity is in thousandths; UnitPrice is the
// price of one unit before modifiers and discounts.
type LineItem struct {
	ID            string         `json:"id"`
	ItemID        string         `json:"item_id,omitempty"`
	VariationID   string         `json:"variation_id,omitempty"`
	Name          string         `json:"name"`
	VariationName string         `json:"variation_name,omitempty"`
	Quantity      Quantity       `json:"quantity"`
	UnitPrice     Money          `json:"unit_price"`
	Modifiers     []LineModifier `json:"modifiers,omitempty"`
	Note          string         `json:"note,omitempty"`
	// Course is the course the line belongs to ("1", "2", "dessert") or
	// "fire" when the kitchen is to start it now; kitchen tickets show it.
	Course string `json:"course,omitempty"`
	// Gross is the line before discounts and taxes: quantity x (unit price +
	// modifiers). Optional; when present it must match.
	Gross Money `json:"gross,omitzero"`
}

// LineModifier is a chosen modifier. Quantity is per unit of the line item.
type LineModifier struct {
	ID         string   `json:"id,omitempty"`
	ModifierID string   `json:"modifier_id,omitempty"`
	GroupID    string   `json:"group_id,omitempty"`
	Name       string   `json:"name"`
	Quantity   Quantity `json:"quantity"`
	UnitPrice  Money    `json:"unit_price"`
}

// Discount is an amount taken off, on the order or on one line.
type Discount struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name"`
	LineItemID string `json:"line_item_id,omitempty"` // empty: order level
	Percentage string `json:"percentage,omitempty"`   // informative; Amount is what counts
	Amount     Money  `json:"amount"`
}

// AppliedTax is tax charged on the order. Inclusive taxes are already part
// of the prices and do not add to the total.
type AppliedTax struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name"`
	Percentage string `json:"percentage,omitempty"`
	Inclusive  bool   `json:"inclusive,omitempty"`
	Amount     Money  `json:"amount"`
}

// ServiceCharge is a fee such as delivery or a large-party gratuity.
type ServiceCharge struct {
	ID     string `json:"id,omitempty"`
	Name   string `json:"name"`
	Amount Money  `json:"amount"`
}

// Totals are the order's sums. Total = Subtotal - Discount + Tax (less
// inclusive tax) + ServiceCharge + Tip.
type Totals struct {
	Subtotal      Money `json:"subtotal"`
	Discount      Money `json:"discount,omitzero"`
	Tax           Money `json:"tax,omitzero"`
	InclusiveTax  Money `json:"inclusive_tax,omitzero"`
	ServiceCharge Money `json:"service_charge,omitzero"`
	Tip           Money `json:"tip,omitzero"`
	Total         Money `json:"total"`
}

// LineGross computes quantity x (unit price + modifiers), rounding each
// product half away from zero; ok is false on overflow.
func (li *LineItem) LineGross() (int64, bool) {
	sum, ok := MulQty(li.UnitPrice.Amount, li.Quantity)
	if !ok {
		return 0, false
	}
	for _, m := range li.Modifiers {
		per, ok1 := MulQty(m.UnitPrice.Amount, m.Quantity)
		ext, ok2 := MulQty(per, li.Quantity)
		s, ok3 := addChecked(sum, ext)
		if !ok1 || !ok2 || !ok3 {
			return 0, false
		}
		sum = s
	}
	return sum, true
}

// ComputeTotals fills o.Totals from the lines, discounts, taxes, service
// charges and tip. Adapters that receive totals from a vendor keep the
// vendor's figures and let Validate check them instead.
func (o *Order) ComputeTotals() {
	var t Totals
	cur := o.Currency
	for i := range o.LineItems {
		g, _ := o.LineItems[i].LineGross()
		t.Subtotal.Amount += g
	}
	for _, d := range o.Discounts {
		t.Discount.Amount += d.Amount.Amount
	}
	for _, x := range o.Taxes {
		t.Tax.Amount += x.Amount.Amount
		if x.Inclusive {
			t.InclusiveTax.Amount += x.Amount.Amount
		}
	}
	for _, s := range o.ServiceCharges {
		t.ServiceCharge.Amount += s.Amount.Amount
	}
	t.Tip.Amount = o.Tip.Amount
	t.Total.Amount = t.Subtotal.Amount - t.Discount.Amount + t.Tax.Amount - t.InclusiveTax.Amount + t.ServiceCharge.Amount + t.Tip.Amount
	for _, m := range []*Money{&t.Subtotal, &t.Discount, &t.Tax, &t.InclusiveTax, &t.ServiceCharge, &t.Tip, &t.Total} {
		m.Currency = cur
	}
	o.Totals = t
}

var orderStates = []string{string(OrderOpen), string(OrderCompleted), string(OrderCanceled)}

// Validate returns every problem of the order with its JSON path: required
// fields, unknown or mixed currencies, negative prices and quantities,
// duplicate ids, and totals that do not add up.
func (o *Order) Validate() Problems {
	var ps Problems
	c := checker{&ps}
	c.source("source", o.Source)
	c.oneOf("state", string(o.State), orderStates...)
	cur := o.Currency
	if !ValidCurrency(cur) {
		c.add("currency", "unknown currency %q", cur)
		cur = ""
	}
	if o.CreatedAt.IsZero() {
		c.add("created_at", "is required")
	}
	if len(o.LineItems) == 0 {
		c.add("line_items", "an order needs at least one line item")
	}
	seen := map[string]string{}
	lines := map[string]bool{}
	var subtotal int64
	overflow := false
	for i := range o.LineItems {
		li := &o.LineItems[i]
		p := idx("line_items", i)
		c.uniqueID(join(p, "id"), li.ID, seen)
		lines[li.ID] = true
		c.required(join(p, "name"), li.Name)
		if li.Quantity <= 0 {
			c.add(join(p, "quantity"), "must be positive (got %s)", li.Quantity)
		}
		c.money(join(p, "unit_price"), li.UnitPrice, cur, false)
		for j, m := range li.Modifiers {
			mp := idx(join(p, "modifiers"), j)
			if m.ID != "" {
				c.uniqueID(join(mp, "id"), m.ID, seen)
			}
			c.required(join(mp, "name"), m.Name)
			if m.Quantity <= 0 {
				c.add(join(mp, "quantity"), "must be positive (got %s)", m.Quantity)
			}
			c.money(join(mp, "unit_price"), m.UnitPrice, cur, false)
		}
		g, ok := li.LineGross()
		if !ok {
			c.add(p, "line amount overflows")
			overflow = true
			continue
		}
		if li.Gross.Currency != "" || li.Gross.Amount != 0 {
			c.money(join(p, "gross"), li.Gross, cur, false)
			if li.Gross.Amount != g {
				c.add(join(p, "gross.amount"), "is %d, but quantity x (unit price + modifiers) is %d", li.Gross.Amount, g)
			}
		}
		var ok2 bool
		if subtotal, ok2 = addChecked(subtotal, g); !ok2 {
			overflow = true
		}
	}
	var disc, tax, incl, svc int64
	for i, d := range o.Discounts {
		p := idx("discounts", i)
		if d.ID != "" {
			c.uniqueID(join(p, "id"), d.ID, seen)
		}
		c.required(join(p, "name"), d.Name)
		c.money(join(p, "amount"), d.Amount, cur, false)
		if d.LineItemID != "" && !lines[d.LineItemID] {
			c.add(join(p, "line_item_id"), "unknown line item %q", d.LineItemID)
		}
		disc += d.Amount.Amount
	}
	for i, x := range o.Taxes {
		p := idx("taxes", i)
		if x.ID != "" {
			c.uniqueID(join(p, "id"), x.ID, seen)
		}
		c.required(join(p, "name"), x.Name)
		c.money(join(p, "amount"), x.Amount, cur, false)
		tax += x.Amount.Amount
		if x.Inclusive {
			incl += x.Amount.Amount
		}
	}
	for i, s := range o.ServiceCharges {
		p := idx("service_charges", i)
		if s.ID != "" {
			c.uniqueID(join(p, "id"), s.ID, seen)
		}
		c.required(join(p, "name"), s.Name)
		c.money(join(p, "amount"), s.Amount, cur, false)
		svc += s.Amount.Amount
	}
	c.money("tip", o.Tip, cur, false)

	t := o.Totals
	for _, f := range []struct {
		name string
		m    Money
		want int64
	}{
		{"subtotal", t.Subtotal, subtotal},
		{"discount", t.Discount, disc},
		{"tax", t.Tax, tax},
		{"inclusive_tax", t.InclusiveTax, incl},
		{"service_charge", t.ServiceCharge, svc},
		{"tip", t.Tip, o.Tip.Amount},
	} {
		p := join("totals", f.name)
		c.money(p, f.m, cur, false)
		if !overflow && f.m.Amount != f.want {
			c.add(join(p, "amount"), "is %d, but the %s add up to %d", f.m.Amount, sumName[f.name], f.want)
		}
	}
	c.money("totals.total", t.Total, cur, false)
	want := t.Subtotal.Amount - t.Discount.Amount + t.Tax.Amount - t.InclusiveTax.Amount + t.ServiceCharge.Amount + t.Tip.Amount
	if !overflow && t.Total.Amount != want {
		c.add("totals.total.amount", "is %d, but subtotal - discount + tax - inclusive tax + service charge + tip is %d", t.Total.Amount, want)
	}
	for i := range o.Payments {
		for _, p := range o.Payments[i].validate(cur) {
			ps = append(ps, Problem{Path: idx("payments", i) + "." + p.Path, Message: p.Message})
		}
	}
	for i := range o.Refunds {
		for _, p := range o.Refunds[i].validate(cur) {
			ps = append(ps, Problem{Path: idx("refunds", i) + "." + p.Path, Message: p.Message})
		}
	}
	return ps
}

var sumName = map[string]string{
	"subtotal":       "line items",
	"discount":       "discounts",
	"tax":            "taxes",
	"inclusive_tax":  "inclusive taxes",
	"service_charge": "service charges",
	"tip":            "tips",
}
