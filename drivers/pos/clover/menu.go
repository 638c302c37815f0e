package clover

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// linkBatch bounds the elements of one item_modifier_groups or
// tax_rate_items request (Clover's limit is not documented; verify).
const linkBatch = 100

// Extra keys of item mappings, used to map order lines back to Aura ids.
const (
	extraItemID  = "item_id"
	extraGroupID = "group_id"
)

// PushMenu makes the merchant's Clover inventory match menu.
//
// Mapping: each Aura tax becomes a Clover tax rate; each modifier group a
// Clover modifier group with its modifiers; each Aura variation one Clover
// item ("Latte 12oz", sku and price from the variation); item<->group and
// item<->tax links are created with item_modifier_groups and
// tax_rate_items; each category a Clover category, its items linked with
// category_items. Aura items are reported with the combined status of their
// variations. Objects pushed before and gone from the menu are deleted
// (menu_delete.go). Objects are looked up by
// stored mapping, then (without one) by sku for items and by unique name for
// tax rates, modifier groups and modifiers, before anything is created.
func (a *Adapter) PushMenu(ctx context.Context, menu *model.Menu, opts pos.PushOptions) ([]pos.ObjectResult, error) {
	if ps := menu.Validate(); len(ps) > 0 {
		return nil, &pos.VendorError{Vendor: Name, Op: "push menu", Kind: pos.Invalid, Message: "menu is invalid", Err: ps}
	}
	p := &pusher{a: a, ctx: ctx, dry: opts.DryRun, lists: map[string][]json.RawMessage{}}
	catVID := map[string]string{}
	for _, c := range menu.Categories {
		catVID[c.ID] = p.upsert(object{
			kind: pos.KindCategory, auraID: c.ID, op: "category",
			payload:    categoryPayload{Name: c.Name},
			createPath: a.mpath("/categories"),
			updatePath: func(id string) string { return a.mpath("/categories/" + url.PathEscape(id)) },
			lookup: func() (string, json.RawMessage, error) {
				return p.findByName("categories", a.mpath("/categories"), c.Name)
			},
		})
	}
	taxVID := map[string]string{}
	for _, t := range menu.Taxes {
		rate, err := taxRate(t)
		if err != nil {
			p.add(pos.ObjectResult{Kind: pos.KindTax, AuraID: t.ID, Status: pos.StatusFailed, Reason: err.Error()})
			continue
		}
		taxVID[t.ID] = p.upsert(object{
			kind: pos.KindTax, auraID: t.ID, op: "tax rate",
			payload:    taxPayload{Name: t.Name, Rate: rate, IsDefault: false},
			createPath: a.mpath("/tax_rates"),
			updatePath: func(id string) string { return a.mpath("/tax_rates/" + url.PathEscape(id)) },
			lookup:     func() (string, json.RawMessage, error) { return p.findByName("taxes", a.mpath("/tax_rates"), t.Name) },
		})
	}
	groupVID := map[string]string{}
	for _, g := range menu.ModifierGroups {
		gp := groupPayload{Name: g.Name, MinRequired: g.Min}
		if g.Max > 0 {
			gp.MaxAllowed = &g.Max
		}
		gvid := p.upsert(object{
			kind: pos.KindModifierGroup, auraID: g.ID, op: "modifier group",
			payload:    gp,
			createPath: a.mpath("/modifier_groups"),
			updatePath: func(id string) string { return a.mpath("/modifier_groups/" + url.PathEscape(id)) },
			lookup: func() (string, json.RawMessage, error) {
				return p.findByName("groups", a.mpath("/modifier_groups"), g.Name)
			},
		})
		groupVID[g.ID] = gvid
		groupCreated := p.results[len(p.results)-1].Status == pos.StatusCreated
		for _, m := range g.Modifiers {
			if gvid == "" {
				p.add(pos.ObjectResult{Kind: pos.KindModifier, AuraID: m.ID, Status: pos.StatusFailed,
					Reason: "modifier group " + g.ID + " was not pushed"})
				continue
			}
			base := a.mpath("/modifier_groups/" + url.PathEscape(gvid) + "/modifiers")
			var lookup func() (string, json.RawMessage, error)
			if gvid != planned && !groupCreated { // a group created just now has no modifiers to find
				lookup = func() (string, json.RawMessage, error) { return p.findByName("mods:"+gvid, base, m.Name) }
			}
			p.upsert(object{
				kind: pos.KindModifier, auraID: m.ID, op: "modifier",
				payload:    modifierPayload{Name: m.Name, Price: m.Price.Amount, Available: m.Availability.IsAvailable()},
				parent:     gvid,
				createPath: base,
				updatePath: func(id string) string { return base + "/" + url.PathEscape(id) },
				lookup:     lookup,
				extra:      map[string]string{extraGroupID: g.ID},
			})
		}
	}
	var groupLinks, taxLinks, catLinks []link
	for _, it := range menu.Items {
		res := pos.ObjectResult{Kind: pos.KindItem, AuraID: it.ID, Status: pos.StatusUnchanged}
		for _, v := range it.Variations {
			vid := p.upsert(object{
				kind: pos.KindVariation, auraID: v.ID, op: "item",
				payload:    variationPayload(&it, &v),
				createPath: a.mpath("/items"),
				updatePath: func(id string) string { return a.mpath("/items/" + url.PathEscape(id)) },
				lookup:     p.skuLookup(v.SKU),
				extra:      map[string]string{extraItemID: it.ID},
			})
			last := p.results[len(p.results)-1]
			res.Status, res.Reason = combine(res.Status, res.Reason, last)
			if len(it.Variations) == 1 {
				res.VendorID = last.VendorID
			}
			for _, gid := range it.ModifierGroupIDs {
				groupLinks = append(groupLinks, link{auraID: v.ID + "/modifier_group/" + gid, item: vid, other: groupVID[gid], what: "modifier group " + gid})
			}
			for _, tid := range it.TaxIDs {
				taxLinks = append(taxLinks, link{auraID: v.ID + "/tax/" + tid, item: vid, other: taxVID[tid], what: "tax " + tid})
			}
			if it.CategoryID != "" {
				catLinks = append(catLinks, link{auraID: v.ID + "/category/" + it.CategoryID, item: vid, other: catVID[it.CategoryID],
					what: "category " + it.CategoryID})
			}
		}
		p.add(res)
	}
	p.links("item modifier groups", a.mpath("/item_modifier_groups"), groupLinks, func(l link) any {
		return itemGroupLink{ModifierGroup: ref{l.other}, Item: ref{l.item}}
	})
	p.links("tax rate items", a.mpath("/tax_rate_items"), taxLinks, func(l link) any {
		return taxItemLink{Item: ref{l.item}, TaxRate: ref{l.other}}
	})
	p.links("category items", a.mpath("/category_items"), catLinks, func(l link) any {
		return categoryItemLink{Category: ref{l.other}, Item: ref{l.item}}
	})
	p.deleteRemoved(menu)
	return p.results, p.abort
}

// planned stands for the vendor id of an object a dry run would create.
const planned = "(planned)"

// variationPayload maps one Aura variation to one Clover item. A lone
// variation keeps the item's name; several are named "Item Variation".
func variationPayload(it *model.Item, v *model.Variation) itemPayload {
	name := it.Name
	if len(it.Variations) > 1 {
		name += " " + v.Name
	}
	avail := it.Availability
	if avail.IsAvailable() {
		avail = v.Availability
	}
	return itemPayload{
		Name: name, Price: v.Price.Amount, PriceType: "FIXED", SKU: v.SKU,
		Hidden:          avail == model.Unavailable,
		Available:       avail.IsAvailable(),
		DefaultTaxRates: false, // taxes are linked explicitly from the Aura menu
	}
}

// taxRate converts "8.875" (percent) into Clover's rate x 100000 (887500).
func taxRate(t model.Tax) (int64, error) {
	r, err := t.Rate()
	if err != nil {
		return 0, err
	}
	scaled := r.Mul(decimal.NewFromInt(100000))
	if !scaled.IsInteger() {
		return 0, fmt.Errorf("tax %s: percentage %s has more than 5 decimals, Clover cannot store it", t.ID, t.Percentage)
	}
	return scaled.IntPart(), nil
}

// combine folds a variation's result into its item's status.
func combine(st pos.Status, reason string, r pos.ObjectResult) (pos.Status, string) {
	rank := map[pos.Status]int{pos.StatusUnchanged: 0, pos.StatusUpdated: 1, pos.StatusCreated: 2, pos.StatusFailed: 3}
	if r.Status == pos.StatusFailed && reason == "" {
		reason = "variation " + r.AuraID + ": " + r.Reason
	}
	if rank[r.Status] > rank[st] {
		st = r.Status
	}
	return st, reason
}

type pusher struct {
	a       *Adapter
	ctx     context.Context
	dry     bool
	results []pos.ObjectResult
	abort   error                        // set by the first error that affects every later call
	lists   map[string][]json.RawMessage // name lookups, one list call per kind and push
}

func (p *pusher) add(r pos.ObjectResult) { p.results = append(p.results, r) }

// object is one Clover object to create or update.
type object struct {
	kind       pos.ObjectKind
	auraID     string
	op         string
	payload    any
	parent     string // vendor id of the parent (modifiers): part of the hash
	createPath string
	updatePath func(vendorID string) string
	lookup     func() (string, json.RawMessage, error) // finds an unmapped object; may be nil
	extra      map[string]string
}

// upsert creates or updates one object and records its result. It returns
// the vendor id ("" when it failed; planned when a dry run would create it).
func (p *pusher) upsert(o object) string {
	res := pos.ObjectResult{Kind: o.kind, AuraID: o.auraID}
	fail := func(err error) string {
		if isAbort(err) && p.abort == nil {
			p.abort = err
		}
		res.Status, res.Reason = pos.StatusFailed, err.Error()
		p.add(res)
		return ""
	}
	if p.abort != nil {
		return fail(fmt.Errorf("not attempted after an earlier error: %w", p.abort))
	}
	hash := pos.Hash([]any{o.payload, o.parent})
	m, err := p.a.maps.Get(o.kind, o.auraID)
	if err != nil {
		return fail(err)
	}
	if m != nil && m.Hash == hash {
		res.VendorID, res.Status = m.VendorID, pos.StatusUnchanged
		p.add(res)
		return m.VendorID
	}
	if m == nil && o.lookup != nil {
		id, raw, err := o.lookup()
		if err != nil {
			return fail(err)
		}
		if id != "" {
			if sameFields(raw, o.payload) {
				if !p.dry {
					if err := p.a.maps.Put(o.kind, o.auraID, pos.Mapping{VendorID: id, Hash: hash, Extra: o.extra}); err != nil {
						return fail(err)
					}
				}
				res.VendorID, res.Status = id, pos.StatusUnchanged
				p.add(res)
				return id
			}
			m = &pos.Mapping{VendorID: id}
		}
	}
	if p.dry {
		if m == nil {
			res.Status = pos.StatusCreated
			p.add(res)
			return planned
		}
		res.VendorID, res.Status = m.VendorID, pos.StatusUpdated
		p.add(res)
		return m.VendorID
	}
	var out created
	if m != nil {
		_, err := p.a.call(p.ctx, "update "+o.op, http.MethodPost, o.updatePath(m.VendorID), nil, o.payload, &out)
		switch {
		case pos.IsStatus(err, http.StatusNotFound):
			p.a.log.Info("mapped object gone from clover, creating it again", "kind", o.kind, "aura_id", o.auraID, "vendor_id", m.VendorID)
			m = nil
		case err != nil:
			return fail(err)
		default:
			res.Status = pos.StatusUpdated
			if out.ID == "" {
				out.ID = m.VendorID
			}
		}
	}
	if m == nil {
		if _, err := p.a.call(p.ctx, "create "+o.op, http.MethodPost, o.createPath, nil, o.payload, &out); err != nil {
			return fail(err)
		}
		if out.ID == "" {
			return fail(pos.Errorf(Name, "create "+o.op, pos.Invalid, "response has no id"))
		}
		res.Status = pos.StatusCreated
	}
	mp := pos.Mapping{VendorID: out.ID, Hash: hash, Extra: o.extra}
	if out.ModifiedTime != 0 {
		mp.Version = strconv.FormatInt(out.ModifiedTime, 10)
	}
	if err := p.a.maps.Put(o.kind, o.auraID, mp); err != nil {
		return fail(fmt.Errorf("clover: save mapping for %s %s (vendor id %s): %w", o.kind, o.auraID, out.ID, err))
	}
	res.VendorID = out.ID
	p.add(res)
	return out.ID
}

// sameFields reports whether the vendor object raw already carries the
// payload's values (decoded into the payload's own type).
func sameFields(raw json.RawMessage, payload any) bool {
	if len(raw) == 0 {
		return false
	}
	var got any
	switch payload.(type) {
	case itemPayload:
		var v itemPayload
		if json.Unmarshal(raw, &v) != nil {
			return false
		}
		got = v
	case groupPayload:
		var v groupPayload
		if json.Unmarshal(raw, &v) != nil {
			return false
		}
		got = v
	case modifierPayload:
		var v modifierPayload
		if json.Unmarshal(raw, &v) != nil {
			return false
		}
		got = v
	case taxPayload:
		var v taxPayload
		if json.Unmarshal(raw, &v) != nil {
			return false
		}
		got = v
	default:
		return false
	}
	return pos.Hash(got) == pos.Hash(payload)
}

// skuLookup finds an unmapped item by sku (GET /items?filter=sku=...).
func (p *pusher) skuLookup(sku string) func() (string, json.RawMessage, error) {
	if sku == "" {
		return nil
	}
	return func() (string, json.RawMessage, error) {
		var out elements[json.RawMessage]
		q := url.Values{"filter": {"sku=" + sku}, "limit": {"2"}}
		if _, err := p.a.call(p.ctx, "find item by sku", http.MethodGet, p.a.mpath("/items"), q, nil, &out); err != nil {
			return "", nil, err
		}
		return unique(out.Elements, func(raw json.RawMessage) bool {
			var v struct {
				SKU string `json:"sku"`
			}
			return json.Unmarshal(raw, &v) == nil && v.SKU == sku
		})
	}
}

// findByName lists path once per push (cached under key) and returns the
// only object named name; none or several give "".
func (p *pusher) findByName(key, path, name string) (string, json.RawMessage, error) {
	list, ok := p.lists[key]
	if !ok {
		var out elements[json.RawMessage]
		q := url.Values{"limit": {strconv.Itoa(MaxPageSize)}}
		if _, err := p.a.call(p.ctx, "list "+key, http.MethodGet, path, q, nil, &out); err != nil {
			return "", nil, err
		}
		list = out.Elements
		p.lists[key] = list
	}
	return unique(list, func(raw json.RawMessage) bool {
		var v struct {
			Name string `json:"name"`
		}
		return json.Unmarshal(raw, &v) == nil && v.Name == name
	})
}

func unique(list []json.RawMessage, match func(json.RawMessage) bool) (string, json.RawMessage, error) {
	var hit json.RawMessage
	n := 0
	for _, raw := range list {
		if match(raw) {
			hit, n = raw, n+1
		}
	}
	if n != 1 {
		return "", nil, nil
	}
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(hit, &v) != nil || v.ID == "" {
		return "", nil, nil
	}
	return v.ID, hit, nil
}

// link is one item<->group or item<->tax association. Links have no Clover
// id of their own; the mapping's VendorID is "itemID/otherID", so a link is
// created again when either side was re-created.
type link struct {
	auraID string
	item   string
	other  string
	what   string
}

func (p *pusher) links(op, path string, all []link, element func(link) any) {
	var todo []link
	for _, l := range all {
		res := pos.ObjectResult{Kind: pos.KindLink, AuraID: l.auraID}
		switch {
		case p.abort != nil:
			res.Status, res.Reason = pos.StatusFailed, "not attempted after an earlier error: "+p.abort.Error()
		case l.item == "":
			res.Status, res.Reason = pos.StatusFailed, "item was not pushed"
		case l.other == "":
			res.Status, res.Reason = pos.StatusFailed, l.what+" was not pushed"
		case l.item == planned || l.other == planned:
			res.Status = pos.StatusCreated
		default:
			want := l.item + "/" + l.other
			m, err := p.a.maps.Get(pos.KindLink, l.auraID)
			switch {
			case err != nil:
				res.Status, res.Reason = pos.StatusFailed, err.Error()
			case m != nil && m.VendorID == want:
				res.Status, res.VendorID = pos.StatusUnchanged, want
			case p.dry:
				res.Status = pos.StatusCreated
			default:
				todo = append(todo, l)
				continue
			}
		}
		p.add(res)
	}
	for len(todo) > 0 {
		n := min(len(todo), linkBatch)
		batch := todo[:n]
		todo = todo[n:]
		els := make([]any, len(batch))
		for i, l := range batch {
			els[i] = element(l)
		}
		var err error
		if p.abort != nil {
			err = fmt.Errorf("not attempted after an earlier error: %w", p.abort)
		} else {
			_, err = p.a.call(p.ctx, "create "+op, http.MethodPost, path, nil, map[string]any{"elements": els}, nil)
			if isAbort(err) && p.abort == nil {
				p.abort = err
			}
		}
		for _, l := range batch {
			res := pos.ObjectResult{Kind: pos.KindLink, AuraID: l.auraID, VendorID: l.item + "/" + l.other, Status: pos.StatusCreated}
			if err == nil {
				err2 := p.a.maps.Put(pos.KindLink, l.auraID, pos.Mapping{VendorID: res.VendorID})
				if err2 != nil {
					res.Status, res.Reason = pos.StatusFailed, err2.Error()
				}
			} else {
				res.VendorID, res.Status, res.Reason = "", pos.StatusFailed, err.Error()
			}
			p.add(res)
		}
	}
}
