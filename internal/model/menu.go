package model

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Availability says whether something can be sold now. The zero value is
// "available".
type Availability string

// Availability values.
const (
	Available   Availability = "available"
	Unavailable Availability = "unavailable" // hidden from sale
	SoldOut     Availability = "sold_out"    // shown but cannot be ordered today
)

// IsAvailable reports whether a is available (the empty value counts as
// available).
func (a Availability) IsAvailable() bool { return a == "" || a == Available }

// Menu is one versioned menu as the Aura cloud publishes it. Versions are
// opaque strings that change whenever anything in the menu changes.
type Menu struct {
	ID             string          `json:"id"`
	Version        string          `json:"version"`
	Currency       string          `json:"currency"`
	Name           string          `json:"name,omitempty"`
	UpdatedAt      time.Time       `json:"updated_at,omitzero"`
	Categories     []Category      `json:"categories,omitempty"`
	Items          []Item          `json:"items"`
	ModifierGroups []ModifierGroup `json:"modifier_groups,omitempty"`
	Taxes          []Tax           `json:"taxes,omitempty"`
}

// Category groups items for display.
type Category struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Item is a sellable product with one or more variations (sizes).
type Item struct {
	ID               string       `json:"id"`
	Name             string       `json:"name"`
	Description      string       `json:"description,omitempty"`
	CategoryID       string       `json:"category_id,omitempty"`
	Variations       []Variation  `json:"variations"`
	ModifierGroupIDs []string     `json:"modifier_group_ids,omitempty"`
	TaxIDs           []string     `json:"tax_ids,omitempty"`
	Availability     Availability `json:"availability,omitempty"`
}

// Variation is one size or variant of an item, with its own price.
type Variation struct {
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	SKU          string       `json:"sku,omitempty"`
	Price        Money        `json:"price"`
	Availability Availability `json:"availability,omitempty"`
}

// ModifierGroup is a set of choices such as "Milk", with the number of
// choices a customer must and may pick.
type ModifierGroup struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Min       int        `json:"min"`
	Max       int        `json:"max"` // 0 means no upper limit
	Modifiers []Modifier `json:"modifiers"`
}

// Modifier is one choice within a group, with a price (possibly zero).
type Modifier struct {
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	Price        Money        `json:"price"`
	Availability Availability `json:"availability,omitempty"`
}

// Tax is a tax rate. Percentage is a decimal string such as "8.875".
type Tax struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Percentage string `json:"percentage"`
	Inclusive  bool   `json:"inclusive,omitempty"` // the price already contains the tax
}

// Rate returns the percentage as an exact decimal.
func (t Tax) Rate() (decimal.Decimal, error) {
	d, err := decimal.NewFromString(t.Percentage)
	if err != nil {
		return decimal.Zero, fmt.Errorf("tax %s: percentage %q is not a decimal", t.ID, t.Percentage)
	}
	return d, nil
}

var availabilities = []string{"", string(Available), string(Unavailable), string(SoldOut)}

// Validate returns every problem of the menu with its JSON path: missing
// ids and names, duplicate ids, negative prices, unknown or mixed currencies,
// impossible modifier limits, references to groups, taxes or categories that
// do not exist.
func (m *Menu) Validate() Problems {
	var ps Problems
	c := checker{&ps}
	c.required("id", m.ID)
	c.required("version", m.Version)
	if !ValidCurrency(m.Currency) {
		c.add("currency", "unknown currency %q", m.Currency)
	}
	cur := m.Currency
	seen := map[string]string{} // every id in a menu is unique across kinds
	cats := map[string]bool{}
	for i, cat := range m.Categories {
		p := idx("categories", i)
		c.uniqueID(join(p, "id"), cat.ID, seen)
		c.required(join(p, "name"), cat.Name)
		cats[cat.ID] = true
	}
	groups := map[string]bool{}
	for i, g := range m.ModifierGroups {
		p := idx("modifier_groups", i)
		c.uniqueID(join(p, "id"), g.ID, seen)
		c.required(join(p, "name"), g.Name)
		groups[g.ID] = true
		if g.Min < 0 {
			c.add(join(p, "min"), "must not be negative (got %d)", g.Min)
		}
		if g.Max < 0 {
			c.add(join(p, "max"), "must not be negative (got %d)", g.Max)
		}
		if g.Max > 0 && g.Min > g.Max {
			c.add(join(p, "min"), "is %d, more than max %d", g.Min, g.Max)
		}
		if g.Min > len(g.Modifiers) {
			c.add(join(p, "min"), "is %d, but the group has only %d modifiers", g.Min, len(g.Modifiers))
		}
		for j, mod := range g.Modifiers {
			mp := idx(join(p, "modifiers"), j)
			c.uniqueID(join(mp, "id"), mod.ID, seen)
			c.required(join(mp, "name"), mod.Name)
			c.money(join(mp, "price"), mod.Price, cur, false)
			c.oneOf(join(mp, "availability"), string(mod.Availability), availabilities...)
		}
	}
	taxes := map[string]bool{}
	for i, t := range m.Taxes {
		p := idx("taxes", i)
		c.uniqueID(join(p, "id"), t.ID, seen)
		c.required(join(p, "name"), t.Name)
		r, err := t.Rate()
		switch {
		case err != nil:
			c.add(join(p, "percentage"), "must be a decimal such as \"8.875\" (got %q)", t.Percentage)
		case r.IsNegative() || r.GreaterThan(decimal.NewFromInt(100)):
			c.add(join(p, "percentage"), "must be between 0 and 100 (got %s)", t.Percentage)
		}
		taxes[t.ID] = true
	}
	if len(m.Items) == 0 {
		c.add("items", "a menu needs at least one item")
	}
	for i, it := range m.Items {
		p := idx("items", i)
		c.uniqueID(join(p, "id"), it.ID, seen)
		c.required(join(p, "name"), it.Name)
		c.oneOf(join(p, "availability"), string(it.Availability), availabilities...)
		if it.CategoryID != "" && !cats[it.CategoryID] {
			c.add(join(p, "category_id"), "unknown category %q", it.CategoryID)
		}
		if len(it.Variations) == 0 {
			c.add(join(p, "variations"), "an item needs at least one variation")
		}
		for j, v := range it.Variations {
			vp := idx(join(p, "variations"), j)
			c.uniqueID(join(vp, "id"), v.ID, seen)
			c.required(join(vp, "name"), v.Name)
			c.money(join(vp, "price"), v.Price, cur, false)
			c.oneOf(join(vp, "availability"), string(v.Availability), availabilities...)
		}
		for j, g := range it.ModifierGroupIDs {
			if !groups[g] {
				c.add(idx(join(p, "modifier_group_ids"), j), "unknown modifier group %q", g)
			}
		}
		for j, t := range it.TaxIDs {
			if !taxes[t] {
				c.add(idx(join(p, "tax_ids"), j), "unknown tax %q", t)
			}
		}
	}
	return ps
}

// Group returns the modifier group with the given id, or nil.
func (m *Menu) Group(id string) *ModifierGroup {
	for i := range m.ModifierGroups {
		if m.ModifierGroups[i].ID == id {
			return &m.ModifierGroups[i]
		}
	}
	return nil
}

// TaxByID returns the tax with the given id, or nil.
func (m *Menu) TaxByID(id string) *Tax {
	for i := range m.Taxes {
		if m.Taxes[i].ID == id {
			return &m.Taxes[i]
		}
	}
	return nil
}
