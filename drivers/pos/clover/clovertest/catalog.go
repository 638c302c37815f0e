package clovertest

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Item is an inventory item.
type Item struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Price           int64  `json:"price"`
	PriceType       string `json:"priceType"`
	SKU             string `json:"sku,omitempty"`
	Hidden          bool   `json:"hidden"`
	Available       bool   `json:"available"`
	DefaultTaxRates bool   `json:"defaultTaxRates"`
	ModifiedTime    int64  `json:"modifiedTime"`
}

// ModifierGroup is a modifier group; MaxAllowed nil means no limit.
type ModifierGroup struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	MinRequired  int      `json:"minRequired"`
	MaxAllowed   *int     `json:"maxAllowed,omitempty"`
	ModifiedTime int64    `json:"modifiedTime"`
	ModifierIDs  []string `json:"-"`
}

// Modifier is one modifier of a group.
type Modifier struct {
	ID           string `json:"id"`
	GroupID      string `json:"-"`
	Name         string `json:"name"`
	Price        int64  `json:"price"`
	Available    bool   `json:"available"`
	ModifiedTime int64  `json:"modifiedTime"`
}

// TaxRate is a tax rate (Rate is percent x 100000) or a flat TaxAmount per
// unit.
type TaxRate struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Rate         int64  `json:"rate"`
	IsDefault    bool   `json:"isDefault"`
	TaxAmount    int64  `json:"taxAmount,omitempty"`
	ModifiedTime int64  `json:"modifiedTime,omitempty"`
}

// Write payloads: pointer fields so that updates are partial, as on Clover.
type itemIn struct {
	Name            *string `json:"name"`
	Price           *int64  `json:"price"`
	PriceType       *string `json:"priceType"`
	SKU             *string `json:"sku"`
	Code            *string `json:"code"`
	AlternateName   *string `json:"alternateName"`
	Hidden          *bool   `json:"hidden"`
	Available       *bool   `json:"available"`
	DefaultTaxRates *bool   `json:"defaultTaxRates"`
}

type groupIn struct {
	Name          *string `json:"name"`
	AlternateName *string `json:"alternateName"`
	MinRequired   *int    `json:"minRequired"`
	MaxAllowed    *int    `json:"maxAllowed"`
	ShowByDefault *bool   `json:"showByDefault"`
}

type modifierIn struct {
	Name          *string `json:"name"`
	AlternateName *string `json:"alternateName"`
	Price         *int64  `json:"price"`
	Available     *bool   `json:"available"`
}

type taxIn struct {
	Name      *string `json:"name"`
	Rate      *int64  `json:"rate"`
	IsDefault *bool   `json:"isDefault"`
	TaxAmount *int64  `json:"taxAmount"`
}

type idRef struct {
	ID string `json:"id"`
}

// route dispatches /v3/merchants/{mId}/<parts...>.
func (s *Server) route(method string, p []string, q url.Values, body []byte) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	get, post := method == http.MethodGet, method == http.MethodPost
	n := len(p)
	if n > 0 && (p[0] == "orders" || p[0] == "tenders") && get {
		return s.routeOrders(p, q)
	}
	if code, v, e, ok := s.routeInject(method, p, body); ok {
		return code, v, e
	}
	if code, v, e, ok := s.routeMenu(method, p, q, body); ok {
		return code, v, e
	}
	switch {
	case n == 0 && get:
		return 200, map[string]any{"id": s.merchant, "name": "Stand-in Merchant", "defaultCurrency": "USD"}, nil
	case n == 1 && p[0] == "items" && get:
		return s.listItems(q)
	case n == 1 && p[0] == "items" && post:
		return s.writeItem("", body)
	case n == 2 && p[0] == "items" && get:
		it, ok := s.items[p[1]]
		if !ok {
			return 0, nil, errf(404, "Item not found")
		}
		return 200, it, nil
	case n == 2 && p[0] == "items" && post:
		return s.writeItem(p[1], body)
	case n == 2 && p[0] == "items" && method == http.MethodDelete:
		return s.deleteItem(p[1])
	case n == 1 && p[0] == "modifier_groups" && get:
		return s.listGroups(q)
	case n == 1 && p[0] == "modifier_groups" && post:
		return s.writeGroup("", body)
	case n == 2 && p[0] == "modifier_groups" && get:
		g, ok := s.groups[p[1]]
		if !ok {
			return 0, nil, errf(404, "ModifierGroup not found")
		}
		return 200, s.groupJSON(g, expands(q)["modifiers"]), nil
	case n == 2 && p[0] == "modifier_groups" && post:
		return s.writeGroup(p[1], body)
	case n == 3 && p[0] == "modifier_groups" && p[2] == "modifiers" && get:
		g, ok := s.groups[p[1]]
		if !ok {
			return 0, nil, errf(404, "ModifierGroup not found")
		}
		var els []any
		for _, id := range g.ModifierIDs {
			els = append(els, s.modifiers[id])
		}
		return 200, page(els, q), nil
	case n == 3 && p[0] == "modifier_groups" && p[2] == "modifiers" && post:
		return s.writeModifier(p[1], "", body)
	case n == 4 && p[0] == "modifier_groups" && p[2] == "modifiers" && post:
		return s.writeModifier(p[1], p[3], body)
	case n == 1 && p[0] == "item_modifier_groups" && post:
		return s.linkGroups(body)
	case n == 1 && p[0] == "tax_rates" && get:
		var els []any
		for _, id := range sortedKeys(s.taxRates) {
			els = append(els, s.taxRates[id])
		}
		return 200, page(els, q), nil
	case n == 1 && p[0] == "tax_rates" && post:
		return s.writeTax("", body)
	case n == 2 && p[0] == "tax_rates" && post:
		return s.writeTax(p[1], body)
	case n == 1 && p[0] == "tax_rate_items" && post:
		return s.linkTaxes(body)
	}
	for _, known := range []string{"", "items", "modifier_groups", "item_modifier_groups", "tax_rates", "tax_rate_items", "orders", "tenders"} {
		if n > 0 && p[0] == known {
			return 0, nil, errf(http.StatusMethodNotAllowed, "Method Not Allowed")
		}
	}
	return 0, nil, errf(404, "Not Found")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// page applies limit and offset and wraps the result as {"elements": [...]}.
func page(els []any, q url.Values) map[string]any {
	limit, offset := 100, 0
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = min(v, 1000)
	}
	if v, err := strconv.Atoi(q.Get("offset")); err == nil && v > 0 {
		offset = v
	}
	if offset > len(els) {
		offset = len(els)
	}
	end := min(offset+limit, len(els))
	out := els[offset:end]
	if out == nil {
		out = []any{}
	}
	return map[string]any{"elements": out}
}

// filters parses Clover's filter=field<op>value parameters.
type filter struct {
	field, op, value string
}

func parseFilters(q url.Values, allowed ...string) ([]filter, *apiError) {
	var fs []filter
	for _, f := range q["filter"] {
		i := strings.IndexAny(f, "<>=!")
		if i <= 0 {
			return nil, errf(400, "Invalid filter: %s", f)
		}
		field, rest := strings.TrimSpace(f[:i]), f[i:]
		op := ""
		for _, cand := range []string{">=", "<=", "!=", ">", "<", "="} {
			if strings.HasPrefix(rest, cand) {
				op = cand
				break
			}
		}
		if op == "" {
			return nil, errf(400, "Invalid filter: %s", f)
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == field
		}
		if !ok {
			return nil, errf(400, "Filtering on %s is not supported; allowed: %s", field, strings.Join(allowed, ","))
		}
		fs = append(fs, filter{field: field, op: op, value: strings.TrimSpace(rest[len(op):])})
	}
	return fs, nil
}

func (f filter) matchInt(v int64) bool {
	n, err := strconv.ParseInt(f.value, 10, 64)
	if err != nil {
		return false
	}
	switch f.op {
	case ">=":
		return v >= n
	case "<=":
		return v <= n
	case ">":
		return v > n
	case "<":
		return v < n
	case "=":
		return v == n
	}
	return v != n
}

func (f filter) matchString(v string) bool {
	if f.op == "!=" {
		return v != f.value
	}
	return f.op == "=" && v == f.value
}

func expands(q url.Values) map[string]bool {
	m := map[string]bool{}
	for _, v := range q["expand"] {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				m[e] = true
			}
		}
	}
	return m
}

func (s *Server) listItems(q url.Values) (int, any, *apiError) {
	fs, e := parseFilters(q, "sku", "name", "id", "modifiedTime")
	if e != nil {
		return 0, nil, e
	}
	var els []any
	for _, id := range sortedKeys(s.items) {
		it := s.items[id]
		ok := true
		for _, f := range fs {
			switch f.field {
			case "sku":
				ok = ok && f.matchString(it.SKU)
			case "name":
				ok = ok && f.matchString(it.Name)
			case "id":
				ok = ok && f.matchString(it.ID)
			case "modifiedTime":
				ok = ok && f.matchInt(it.ModifiedTime)
			}
		}
		if ok {
			els = append(els, it)
		}
	}
	return 200, page(els, q), nil
}

func (s *Server) touch(prev int64) int64 { return max(s.nowMs(), prev+1) }

func (s *Server) writeItem(id string, body []byte) (int, any, *apiError) {
	var in itemIn
	if err := strictDecode(body, &in); err != nil {
		return 0, nil, errf(400, "Invalid item: %v", err)
	}
	it := &Item{PriceType: "FIXED", Available: true, DefaultTaxRates: true}
	if id != "" {
		old, ok := s.items[id]
		if !ok {
			return 0, nil, errf(404, "Item not found")
		}
		c := *old
		it = &c
	} else if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return 0, nil, errf(400, "Item name is required")
	}
	if in.Name != nil {
		it.Name = *in.Name
	}
	if in.Price != nil {
		if *in.Price < 0 {
			return 0, nil, errf(400, "price must not be negative")
		}
		it.Price = *in.Price
	}
	if in.PriceType != nil {
		switch *in.PriceType {
		case "FIXED", "VARIABLE", "PER_UNIT":
			it.PriceType = *in.PriceType
		default:
			return 0, nil, errf(400, "Invalid priceType %s", *in.PriceType)
		}
	}
	if in.SKU != nil {
		it.SKU = *in.SKU
	}
	if in.Hidden != nil {
		it.Hidden = *in.Hidden
	}
	if in.Available != nil {
		it.Available = *in.Available
	}
	if in.DefaultTaxRates != nil {
		it.DefaultTaxRates = *in.DefaultTaxRates
	}
	if id == "" {
		it.ID = s.nextID("IT")
	}
	it.ModifiedTime = s.touch(it.ModifiedTime)
	s.items[it.ID] = it
	return 200, it, nil
}

func (s *Server) deleteItem(id string) (int, any, *apiError) {
	if _, ok := s.items[id]; !ok {
		return 0, nil, errf(404, "Item not found")
	}
	delete(s.items, id)
	s.itemGroups = dropLinks(s.itemGroups, id)
	s.taxItems = dropLinks(s.taxItems, id)
	return 200, map[string]any{}, nil
}

func dropLinks(ls [][2]string, itemID string) [][2]string {
	out := ls[:0]
	for _, l := range ls {
		if l[0] != itemID {
			out = append(out, l)
		}
	}
	return out
}

func (s *Server) groupJSON(g *ModifierGroup, withMods bool) map[string]any {
	m := map[string]any{"id": g.ID, "name": g.Name, "minRequired": g.MinRequired, "modifiedTime": g.ModifiedTime}
	if g.MaxAllowed != nil {
		m["maxAllowed"] = *g.MaxAllowed
	}
	if withMods {
		els := []any{}
		for _, id := range g.ModifierIDs {
			els = append(els, s.modifiers[id])
		}
		m["modifiers"] = map[string]any{"elements": els}
	}
	return m
}

func (s *Server) listGroups(q url.Values) (int, any, *apiError) {
	withMods := expands(q)["modifiers"]
	var els []any
	for _, id := range sortedKeys(s.groups) {
		els = append(els, s.groupJSON(s.groups[id], withMods))
	}
	return 200, page(els, q), nil
}

func (s *Server) writeGroup(id string, body []byte) (int, any, *apiError) {
	var in groupIn
	if err := strictDecode(body, &in); err != nil {
		return 0, nil, errf(400, "Invalid modifier group: %v", err)
	}
	g := &ModifierGroup{}
	if id != "" {
		old, ok := s.groups[id]
		if !ok {
			return 0, nil, errf(404, "ModifierGroup not found")
		}
		c := *old
		g = &c
	} else if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return 0, nil, errf(400, "Modifier group name is required")
	}
	if in.Name != nil {
		g.Name = *in.Name
	}
	if in.MinRequired != nil {
		g.MinRequired = *in.MinRequired
	}
	if in.MaxAllowed != nil {
		v := *in.MaxAllowed
		g.MaxAllowed = &v
	}
	if g.MinRequired < 0 || (g.MaxAllowed != nil && *g.MaxAllowed < g.MinRequired) {
		return 0, nil, errf(400, "minRequired/maxAllowed out of range")
	}
	if id == "" {
		g.ID = s.nextID("MG")
	}
	g.ModifiedTime = s.touch(g.ModifiedTime)
	s.groups[g.ID] = g
	return 200, s.groupJSON(g, false), nil
}

func (s *Server) writeModifier(groupID, id string, body []byte) (int, any, *apiError) {
	g, ok := s.groups[groupID]
	if !ok {
		return 0, nil, errf(404, "ModifierGroup not found")
	}
	var in modifierIn
	if err := strictDecode(body, &in); err != nil {
		return 0, nil, errf(400, "Invalid modifier: %v", err)
	}
	m := &Modifier{GroupID: groupID, Available: true}
	if id != "" {
		old, ok := s.modifiers[id]
		if !ok || old.GroupID != groupID {
			return 0, nil, errf(404, "Modifier not found")
		}
		c := *old
		m = &c
	} else if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return 0, nil, errf(400, "Modifier name is required")
	}
	if in.Name != nil {
		m.Name = *in.Name
	}
	if in.Price != nil {
		m.Price = *in.Price
	}
	if in.Available != nil {
		m.Available = *in.Available
	}
	if id == "" {
		m.ID = s.nextID("MO")
		g.ModifierIDs = append(g.ModifierIDs, m.ID)
	}
	m.ModifiedTime = s.touch(m.ModifiedTime)
	s.modifiers[m.ID] = m
	return 200, m, nil
}

func (s *Server) writeTax(id string, body []byte) (int, any, *apiError) {
	var in taxIn
	if err := strictDecode(body, &in); err != nil {
		return 0, nil, errf(400, "Invalid tax rate: %v", err)
	}
	t := &TaxRate{}
	if id != "" {
		old, ok := s.taxRates[id]
		if !ok {
			return 0, nil, errf(404, "TaxRate not found")
		}
		c := *old
		t = &c
	} else if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return 0, nil, errf(400, "Tax rate name is required")
	}
	if in.Name != nil {
		t.Name = *in.Name
	}
	if in.Rate != nil {
		if *in.Rate < 0 || *in.Rate > 10_000_000 {
			return 0, nil, errf(400, "rate out of range")
		}
		t.Rate = *in.Rate
	}
	if in.IsDefault != nil {
		t.IsDefault = *in.IsDefault
	}
	if in.TaxAmount != nil {
		t.TaxAmount = *in.TaxAmount
	}
	if id == "" {
		t.ID = s.nextID("TX")
	}
	t.ModifiedTime = s.touch(t.ModifiedTime)
	s.taxRates[t.ID] = t
	return 200, t, nil
}

func (s *Server) linkGroups(body []byte) (int, any, *apiError) {
	var in struct {
		Elements []struct {
			ModifierGroup idRef `json:"modifierGroup"`
			Item          idRef `json:"item"`
		} `json:"elements"`
	}
	if err := strictDecode(body, &in); err != nil {
		return 0, nil, errf(400, "Invalid item_modifier_groups: %v", err)
	}
	if len(in.Elements) == 0 {
		return 0, nil, errf(400, "elements is required")
	}
	for _, e := range in.Elements {
		if s.items[e.Item.ID] == nil || s.groups[e.ModifierGroup.ID] == nil {
			return 0, nil, errf(400, "unknown item %q or modifier group %q", e.Item.ID, e.ModifierGroup.ID)
		}
	}
	for _, e := range in.Elements {
		s.itemGroups = addLink(s.itemGroups, [2]string{e.Item.ID, e.ModifierGroup.ID})
	}
	return 200, map[string]any{"elements": in.Elements}, nil
}

func (s *Server) linkTaxes(body []byte) (int, any, *apiError) {
	var in struct {
		Elements []struct {
			Item    idRef `json:"item"`
			TaxRate idRef `json:"taxRate"`
		} `json:"elements"`
	}
	if err := strictDecode(body, &in); err != nil {
		return 0, nil, errf(400, "Invalid tax_rate_items: %v", err)
	}
	if len(in.Elements) == 0 {
		return 0, nil, errf(400, "elements is required")
	}
	for _, e := range in.Elements {
		if s.items[e.Item.ID] == nil || s.taxRates[e.TaxRate.ID] == nil {
			return 0, nil, errf(400, "unknown item %q or tax rate %q", e.Item.ID, e.TaxRate.ID)
		}
	}
	for _, e := range in.Elements {
		s.taxItems = addLink(s.taxItems, [2]string{e.Item.ID, e.TaxRate.ID})
	}
	return 200, map[string]any{"elements": in.Elements}, nil
}

func addLink(ls [][2]string, l [2]string) [][2]string {
	for _, x := range ls {
		if x == l {
			return ls
		}
	}
	return append(ls, l)
}

// Items returns the inventory items, sorted by id.
func (s *Server) Items() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Item
	for _, id := range sortedKeys(s.items) {
		out = append(out, *s.items[id])
	}
	return out
}

// SeedItem adds an item as if the merchant had created it (for sku lookup
// tests); it returns the stored item.
func (s *Server) SeedItem(it Item) Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it.ID == "" {
		it.ID = s.nextID("IT")
	}
	if it.PriceType == "" {
		it.PriceType = "FIXED"
	}
	it.ModifiedTime = s.touch(it.ModifiedTime)
	s.items[it.ID] = &it
	return it
}

// DeleteItem removes an item, as a merchant might in the dashboard.
func (s *Server) DeleteItem(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, _ = s.deleteItem(id)
}

// ModifierGroups returns the modifier groups, sorted by id.
func (s *Server) ModifierGroups() []ModifierGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ModifierGroup
	for _, id := range sortedKeys(s.groups) {
		g := *s.groups[id]
		g.ModifierIDs = append([]string(nil), g.ModifierIDs...)
		out = append(out, g)
	}
	return out
}

// Modifiers returns the modifiers, sorted by id.
func (s *Server) Modifiers() []Modifier {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Modifier
	for _, id := range sortedKeys(s.modifiers) {
		out = append(out, *s.modifiers[id])
	}
	return out
}

// TaxRates returns the tax rates, sorted by id.
func (s *Server) TaxRates() []TaxRate {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []TaxRate
	for _, id := range sortedKeys(s.taxRates) {
		out = append(out, *s.taxRates[id])
	}
	return out
}

// ItemModifierGroups returns the item<->modifier group links as
// {itemID, groupID} pairs.
func (s *Server) ItemModifierGroups() [][2]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][2]string(nil), s.itemGroups...)
}

// TaxRateItems returns the item<->tax rate links as {itemID, taxRateID}.
func (s *Server) TaxRateItems() [][2]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][2]string(nil), s.taxItems...)
}
