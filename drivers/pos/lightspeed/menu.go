package lightspeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// SourcePrefix marks the products aura-edge created: source_id is
// "edge:<aura id>" (X-Series has no idempotency key; source_id is the
// documented external reference).
const SourcePrefix = "edge:"

// Reasons reported for objects X-Series cannot hold.
const (
	ReasonNoGroups     = "X-Series has no modifier groups"
	ReasonAddOn        = "mapped to add-on product"
	ReasonFreeModifier = "modifier has no price: X-Series has no modifiers, and only priced modifiers become add-on products"
	ReasonCategory     = "X-Series product categories are linked by name, not created: create a product category with this name in Lightspeed and new products are filed under it"
	ReasonTax          = "taxes are not pushed: X-Series taxes are set per outlet in Lightspeed; prices are sent including or excluding tax per the Aura tax's inclusive flag"
	ReasonNewVariant   = "adding a variant to an existing X-Series product family is not supported by this adapter"
)

// productCreate is ProductCreateBody (POST /products). Exactly one of the
// two prices is set.
type productCreate struct {
	Name              string           `json:"name"`
	Description       string           `json:"description,omitempty"`
	SKU               string           `json:"sku,omitempty"`
	PriceExcludingTax json.Number      `json:"price_excluding_tax,omitempty"`
	PriceIncludingTax json.Number      `json:"price_including_tax,omitempty"`
	IsActive          bool             `json:"is_active"`
	SourceID          string           `json:"source_id"`
	SourceVariantID   string           `json:"source_variant_id,omitempty"`
	ProductCategoryID string           `json:"product_category_id,omitempty"`
	Variants          []variantPayload `json:"variants,omitempty"`
}

// variantPayload is ProductAddVariantPayload.
type variantPayload struct {
	SKU                string          `json:"sku,omitempty"`
	PriceExcludingTax  json.Number     `json:"price_excluding_tax,omitempty"`
	PriceIncludingTax  json.Number     `json:"price_including_tax,omitempty"`
	VariantDefinitions []variantDefDef `json:"variant_definitions"`
}

type variantDefDef struct {
	AttributeID string `json:"attribute_id"`
	Value       string `json:"value"`
}

// productUpdate is ProductUpdate21Request (PUT /products/{id}): common
// fields apply to the whole family, details to the one product.
type productUpdate struct {
	Common  *commonFields  `json:"common,omitempty"`
	Details *detailsFields `json:"details,omitempty"`
}

type commonFields struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type detailsFields struct {
	PriceExcludingTax      json.Number      `json:"price_excluding_tax,omitempty"`
	PriceIncludingTax      json.Number      `json:"price_including_tax,omitempty"`
	IsActive               bool             `json:"is_active"`
	ProductCodes           []productCode    `json:"product_codes,omitempty"`
	VariantAttributeValues []attributeValue `json:"variant_attribute_values,omitempty"`
}

type productCode struct {
	Type string `json:"type"`
	Code string `json:"code"`
}

type attributeValue struct {
	AttributeID    string `json:"attribute_id"`
	AttributeValue string `json:"attribute_value"`
}

// price is one amount, tax-inclusive or not.
type price struct {
	Inclusive bool
	Amount    json.Number
}

func (p price) set(ex, in *json.Number) {
	if p.Inclusive {
		*in = p.Amount
	} else {
		*ex = p.Amount
	}
}

// decimalPrice renders minor units as an exact JSON number in major units
// ("4.50"), never through float64.
func decimalPrice(m model.Money) json.Number {
	d := model.MinorDigits(m.Currency)
	return json.Number(decimal.New(m.Amount, -int32(d)).StringFixed(int32(d)))
}

// pushState is what one PushMenu carries between objects.
type pushState struct {
	ctx     context.Context
	menu    *model.Menu
	dry     bool
	results []pos.ObjectResult
	stop    error // a retryable or auth failure: stop writing
	attrID  string
	// categories are the X-Series product categories by lower-case name,
	// read once per push when a product with a category is created.
	categories map[string][]string
	catErr     error
}

func (ps *pushState) add(kind pos.ObjectKind, id, vid string, st pos.Status, reason string) {
	ps.results = append(ps.results, pos.ObjectResult{Kind: kind, AuraID: id, VendorID: vid, Status: st, Reason: reason})
}

// PushMenu makes the X-Series catalog match menu. Items become products
// (a product family with one variant per variation when an item has more
// than one), priced modifiers become add-on products, and modifier groups,
// categories and taxes are reported unsupported. See README.md.
func (a *Adapter) PushMenu(ctx context.Context, menu *model.Menu, opts pos.PushOptions) ([]pos.ObjectResult, error) {
	if ps := menu.Validate(); ps != nil {
		return nil, &pos.VendorError{Vendor: Vendor, Op: "push menu", Kind: pos.Invalid, Message: "menu is invalid", Err: ps}
	}
	ps := &pushState{ctx: ctx, menu: menu, dry: opts.DryRun}
	for _, t := range menu.Taxes {
		ps.add(pos.KindTax, t.ID, "", pos.StatusUnsupported, ReasonTax)
	}
	for i := range menu.Items {
		a.pushItem(ps, &menu.Items[i])
	}
	for i := range menu.ModifierGroups {
		g := &menu.ModifierGroups[i]
		ps.add(pos.KindModifierGroup, g.ID, "", pos.StatusUnsupported,
			fmt.Sprintf("%s (min %d, max %d not enforced)", ReasonNoGroups, g.Min, g.Max))
		inclusive := groupInclusive(menu, g.ID)
		for j := range g.Modifiers {
			a.pushModifier(ps, g, &g.Modifiers[j], inclusive)
		}
	}
	a.archiveRemoved(ps)
	a.categoryResults(ps)
	return ps.results, ps.stop
}

// inclusive reports whether an item's prices include tax: all its taxes
// inclusive, none, or (mixed) an error. Items without taxes follow the menu.
func itemInclusive(menu *model.Menu, it *model.Item) (bool, error) {
	if len(it.TaxIDs) == 0 {
		return menuInclusive(menu), nil
	}
	incl, excl := 0, 0
	for _, id := range it.TaxIDs {
		if t := menu.TaxByID(id); t != nil && t.Inclusive {
			incl++
		} else {
			excl++
		}
	}
	if incl > 0 && excl > 0 {
		return false, errors.New("item mixes tax-inclusive and tax-exclusive taxes; X-Series takes either price_including_tax or price_excluding_tax")
	}
	return incl > 0, nil
}

// menuInclusive is true when the menu has taxes and all are inclusive.
func menuInclusive(menu *model.Menu) bool {
	if len(menu.Taxes) == 0 {
		return false
	}
	for _, t := range menu.Taxes {
		if !t.Inclusive {
			return false
		}
	}
	return true
}

// groupInclusive follows the items that use the group when they agree, else
// the menu.
func groupInclusive(menu *model.Menu, groupID string) bool {
	seen, val := false, false
	for i := range menu.Items {
		it := &menu.Items[i]
		uses := false
		for _, g := range it.ModifierGroupIDs {
			uses = uses || g == groupID
		}
		if !uses {
			continue
		}
		inc, err := itemInclusive(menu, it)
		if err != nil || (seen && inc != val) {
			return menuInclusive(menu)
		}
		seen, val = true, inc
	}
	if !seen {
		return menuInclusive(menu)
	}
	return val
}

func active(a ...model.Availability) bool {
	for _, x := range a {
		if x == model.Unavailable {
			return false
		}
	}
	return true
}

// variationDetails is the per-product part of an item variation.
func variationDetails(it *model.Item, v *model.Variation, inclusive bool, family bool, attrID string) *detailsFields {
	d := &detailsFields{IsActive: active(it.Availability, v.Availability)}
	price{inclusive, decimalPrice(v.Price)}.set(&d.PriceExcludingTax, &d.PriceIncludingTax)
	if v.SKU != "" {
		d.ProductCodes = []productCode{{Type: "CUSTOM", Code: v.SKU}}
	}
	if family {
		d.VariantAttributeValues = []attributeValue{{AttributeID: attrID, AttributeValue: v.Name}}
	}
	return d
}

// hashDetails hashes what defines a variation in X-Series, independent of
// the attribute id (which is resolved only when writing).
func hashDetails(d *detailsFields) string {
	c := *d
	c.VariantAttributeValues = nil
	vals := make([]string, 0, len(d.VariantAttributeValues))
	for _, v := range d.VariantAttributeValues {
		vals = append(vals, v.AttributeValue)
	}
	return pos.Hash(struct {
		D      detailsFields
		Values []string
	}{c, vals})
}

func (a *Adapter) pushItem(ps *pushState, it *model.Item) {
	inclusive, err := itemInclusive(ps.menu, it)
	if err != nil {
		ps.add(pos.KindItem, it.ID, "", pos.StatusFailed, err.Error())
		for _, v := range it.Variations {
			ps.add(pos.KindVariation, v.ID, "", pos.StatusFailed, "item failed: "+err.Error())
		}
		return
	}
	family := len(it.Variations) > 1
	common := &commonFields{Name: it.Name, Description: it.Description}
	itemHash := pos.Hash(struct {
		C      *commonFields
		Family bool
	}{common, family})

	im, err := a.maps.Get(pos.KindItem, it.ID)
	if err != nil {
		ps.add(pos.KindItem, it.ID, "", pos.StatusFailed, err.Error())
		return
	}
	if im == nil {
		a.createItem(ps, it, inclusive, family, common, itemHash)
		return
	}

	// Existing product: update the family-wide fields, then each variant.
	switch {
	case ps.stop != nil:
		ps.add(pos.KindItem, it.ID, im.VendorID, pos.StatusFailed, "not attempted: "+ps.stop.Error())
	case im.Hash == itemHash:
		ps.add(pos.KindItem, it.ID, im.VendorID, pos.StatusUnchanged, "")
	case ps.dry:
		ps.add(pos.KindItem, it.ID, im.VendorID, pos.StatusUpdated, "")
	default:
		if err := a.put(ps, im.VendorID, productUpdate{Common: common}); err != nil {
			ps.add(pos.KindItem, it.ID, im.VendorID, pos.StatusFailed, err.Error())
		} else {
			im.Hash = itemHash
			unarchive(im)
			a.putMapping(ps, pos.KindItem, it.ID, *im)
			ps.add(pos.KindItem, it.ID, im.VendorID, pos.StatusUpdated, "")
		}
	}
	for j := range it.Variations {
		v := &it.Variations[j]
		d := variationDetails(it, v, inclusive, family, "")
		h := hashDetails(d)
		vm, err := a.maps.Get(pos.KindVariation, v.ID)
		switch {
		case err != nil:
			ps.add(pos.KindVariation, v.ID, "", pos.StatusFailed, err.Error())
		case vm == nil:
			ps.add(pos.KindVariation, v.ID, "", pos.StatusUnsupported, ReasonNewVariant)
		case vm.Hash == h:
			ps.add(pos.KindVariation, v.ID, vm.VendorID, pos.StatusUnchanged, "")
		case ps.stop != nil:
			ps.add(pos.KindVariation, v.ID, vm.VendorID, pos.StatusFailed, "not attempted: "+ps.stop.Error())
		case ps.dry:
			ps.add(pos.KindVariation, v.ID, vm.VendorID, pos.StatusUpdated, "")
		default:
			if family {
				attr, err := a.variantAttribute(ps)
				if err != nil {
					ps.add(pos.KindVariation, v.ID, vm.VendorID, pos.StatusFailed, err.Error())
					continue
				}
				d = variationDetails(it, v, inclusive, family, attr)
			}
			if err := a.put(ps, vm.VendorID, productUpdate{Details: d}); err != nil {
				ps.add(pos.KindVariation, v.ID, vm.VendorID, pos.StatusFailed, err.Error())
				continue
			}
			vm.Hash = h
			unarchive(vm)
			a.putMapping(ps, pos.KindVariation, v.ID, *vm)
			ps.add(pos.KindVariation, v.ID, vm.VendorID, pos.StatusUpdated, "")
		}
	}
}

func (a *Adapter) createItem(ps *pushState, it *model.Item, inclusive, family bool, common *commonFields, itemHash string) {
	fail := func(reason string) {
		ps.add(pos.KindItem, it.ID, "", pos.StatusFailed, reason)
		for _, v := range it.Variations {
			ps.add(pos.KindVariation, v.ID, "", pos.StatusFailed, reason)
		}
	}
	if ps.stop != nil {
		fail("not attempted: " + ps.stop.Error())
		return
	}
	if ps.dry {
		ps.add(pos.KindItem, it.ID, "", pos.StatusCreated, "")
		for _, v := range it.Variations {
			ps.add(pos.KindVariation, v.ID, "", pos.StatusCreated, "")
		}
		return
	}
	body := productCreate{
		Name:              it.Name,
		Description:       it.Description,
		IsActive:          active(it.Availability),
		SourceID:          SourcePrefix + it.ID,
		ProductCategoryID: a.categoryID(ps, it.CategoryID),
	}
	attr := ""
	if family {
		var err error
		if attr, err = a.variantAttribute(ps); err != nil {
			fail(err.Error())
			return
		}
		for _, v := range it.Variations {
			vp := variantPayload{SKU: v.SKU, VariantDefinitions: []variantDefDef{{AttributeID: attr, Value: v.Name}}}
			price{inclusive, decimalPrice(v.Price)}.set(&vp.PriceExcludingTax, &vp.PriceIncludingTax)
			body.Variants = append(body.Variants, vp)
		}
	} else {
		v := it.Variations[0]
		body.SKU = v.SKU
		body.SourceVariantID = SourcePrefix + v.ID
		body.IsActive = active(it.Availability, v.Availability)
		price{inclusive, decimalPrice(v.Price)}.set(&body.PriceExcludingTax, &body.PriceIncludingTax)
	}
	ids, err := a.create(ps, body)
	if err != nil {
		fail(err.Error())
		return
	}
	if len(ids) != len(it.Variations) && !(len(ids) >= 1 && !family) {
		fail(fmt.Sprintf("create answered %d product ids for %d variants", len(ids), len(it.Variations)))
		return
	}
	a.putMapping(ps, pos.KindItem, it.ID, pos.Mapping{VendorID: ids[0], Hash: itemHash,
		Extra: map[string]string{"name": it.Name, "ids": strings.Join(ids, ",")}})
	ps.add(pos.KindItem, it.ID, ids[0], pos.StatusCreated, "")
	for j := range it.Variations {
		v := &it.Variations[j]
		vid := ids[min(j, len(ids)-1)]
		d := variationDetails(it, v, inclusive, family, attr)
		// A family is created active as a whole; an unavailable variant is
		// switched off right after.
		if family && !d.IsActive && body.IsActive {
			if err := a.put(ps, vid, productUpdate{Details: d}); err != nil {
				ps.add(pos.KindVariation, v.ID, vid, pos.StatusFailed, "created, but deactivating failed: "+err.Error())
				continue
			}
		}
		a.putMapping(ps, pos.KindVariation, v.ID, pos.Mapping{VendorID: vid, Hash: hashDetails(d),
			Extra: map[string]string{"item": it.ID, "name": it.Name, "variation": v.Name}})
		ps.add(pos.KindVariation, v.ID, vid, pos.StatusCreated, "")
	}
}

// addOn is the add-on product for one modifier.
func addOn(g *model.ModifierGroup, m *model.Modifier, inclusive bool) productCreate {
	p := productCreate{
		Name:            g.Name + ": " + m.Name,
		IsActive:        active(m.Availability),
		SourceID:        SourcePrefix + m.ID,
		SourceVariantID: "",
	}
	price{inclusive, decimalPrice(m.Price)}.set(&p.PriceExcludingTax, &p.PriceIncludingTax)
	return p
}

func (a *Adapter) pushModifier(ps *pushState, g *model.ModifierGroup, m *model.Modifier, inclusive bool) {
	if m.Price.Amount <= 0 {
		ps.add(pos.KindModifier, m.ID, "", pos.StatusUnsupported, ReasonFreeModifier)
		return
	}
	body := addOn(g, m, inclusive)
	h := pos.Hash(body)
	mp, err := a.maps.Get(pos.KindModifier, m.ID)
	if err != nil {
		ps.add(pos.KindModifier, m.ID, "", pos.StatusFailed, err.Error())
		return
	}
	vid := ""
	if mp != nil {
		vid = mp.VendorID
	}
	switch {
	case mp != nil && mp.Hash == h:
		ps.add(pos.KindModifier, m.ID, vid, pos.StatusUnchanged, ReasonAddOn)
		return
	case ps.stop != nil:
		ps.add(pos.KindModifier, m.ID, vid, pos.StatusFailed, "not attempted: "+ps.stop.Error())
		return
	case ps.dry && mp == nil:
		ps.add(pos.KindModifier, m.ID, "", pos.StatusCreated, ReasonAddOn)
		return
	case ps.dry:
		ps.add(pos.KindModifier, m.ID, vid, pos.StatusUpdated, ReasonAddOn)
		return
	}
	extra := map[string]string{"name": body.Name, "group": g.ID, "modifier_name": m.Name}
	if mp == nil {
		ids, err := a.create(ps, body)
		if err != nil {
			ps.add(pos.KindModifier, m.ID, "", pos.StatusFailed, err.Error())
			return
		}
		a.putMapping(ps, pos.KindModifier, m.ID, pos.Mapping{VendorID: ids[0], Hash: h, Extra: extra})
		ps.add(pos.KindModifier, m.ID, ids[0], pos.StatusCreated, ReasonAddOn)
		return
	}
	d := &detailsFields{IsActive: body.IsActive, PriceExcludingTax: body.PriceExcludingTax, PriceIncludingTax: body.PriceIncludingTax}
	if err := a.put(ps, vid, productUpdate{Common: &commonFields{Name: body.Name}, Details: d}); err != nil {
		ps.add(pos.KindModifier, m.ID, vid, pos.StatusFailed, err.Error())
		return
	}
	a.putMapping(ps, pos.KindModifier, m.ID, pos.Mapping{VendorID: vid, Hash: h, Extra: extra})
	ps.add(pos.KindModifier, m.ID, vid, pos.StatusUpdated, ReasonAddOn)
}

// note records err and stops further writes when retrying later is the
// only sensible thing (429, 5xx, auth).
func (ps *pushState) note(err error) error {
	if k := pos.KindOf(err); k == pos.Retryable || k == pos.Auth {
		ps.stop = err
	}
	return err
}

func (a *Adapter) create(ps *pushState, body productCreate) ([]string, error) {
	var out struct {
		Data []string `json:"data"`
	}
	if _, err := a.call(ps.ctx, "create product", http.MethodPost, "/products", nil, body, &out); err != nil {
		return nil, ps.note(err)
	}
	if len(out.Data) == 0 {
		return nil, pos.Errorf(Vendor, "create product", pos.Invalid, "response has no product id")
	}
	return out.Data, nil
}

func (a *Adapter) put(ps *pushState, id string, body productUpdate) error {
	_, err := a.call(ps.ctx, "update product", http.MethodPut, "/products/"+pathEscape(id), nil, body, nil)
	if err != nil {
		return ps.note(err)
	}
	return nil
}

func (a *Adapter) putMapping(ps *pushState, kind pos.ObjectKind, id string, m pos.Mapping) {
	if err := a.maps.Put(kind, id, m); err != nil {
		// The vendor has the object but we could not record it: the next
		// push would create a duplicate, so stop here.
		ps.stop = fmt.Errorf("lightspeed: store mapping %s/%s: %w", kind, id, err)
	}
}

// variantAttributeKey caches the X-Series variant attribute id by name.
func variantAttributeKey(name string) string { return "variant_attribute/" + strings.ToLower(name) }

// variantAttribute returns the id of the variant attribute (default "Size")
// that Aura variation names are stored under, creating it if needed.
func (a *Adapter) variantAttribute(ps *pushState) (string, error) {
	if ps.attrID != "" {
		return ps.attrID, nil
	}
	key := variantAttributeKey(a.attrName)
	if b, err := a.cfg.State.Get(key); err == nil && len(b) > 0 {
		ps.attrID = string(b)
		return ps.attrID, nil
	}
	var list struct {
		Data []struct {
			ID        string  `json:"id"`
			Name      string  `json:"name"`
			DeletedAt *string `json:"deleted_at"`
		} `json:"data"`
	}
	if _, err := a.call(ps.ctx, "list variant attributes", http.MethodGet, "/variant_attributes", nil, nil, &list); err != nil {
		return "", ps.note(err)
	}
	for _, v := range list.Data {
		if strings.EqualFold(v.Name, a.attrName) && (v.DeletedAt == nil || *v.DeletedAt == "") {
			ps.attrID = v.ID
		}
	}
	if ps.attrID == "" {
		var out struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if _, err := a.call(ps.ctx, "create variant attribute", http.MethodPost, "/variant_attributes", nil,
			map[string]string{"name": a.attrName}, &out); err != nil {
			return "", ps.note(err)
		}
		if out.Data.ID == "" {
			return "", pos.Errorf(Vendor, "create variant attribute", pos.Invalid, "response has no id")
		}
		ps.attrID = out.Data.ID
	}
	if err := a.cfg.State.Put(key, []byte(ps.attrID)); err != nil {
		a.log.Warn("cache variant attribute id", "err", err)
	}
	return ps.attrID, nil
}
