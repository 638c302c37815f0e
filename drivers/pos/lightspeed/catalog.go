package lightspeed

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

// Catalog read for drift detection: GET /products?after=<version>&page_size=
// (the version cursor, as for sales). Products aura-edge pushed are mapped
// back to Aura variations, items (their family) and modifiers (add-on
// products); active products it never pushed are reported as made at the
// POS. Deleted products (deleted_at set) count as gone.

var _ pos.CatalogReader = (*Adapter)(nil)

type catalogProduct struct {
	ID                string      `json:"id"`
	Name              string      `json:"name"`
	VariantName       string      `json:"variant_name"`
	PriceExcludingTax json.Number `json:"price_excluding_tax"`
	PriceIncludingTax json.Number `json:"price_including_tax"`
	IsActive          bool        `json:"is_active"`
	DeletedAt         *string     `json:"deleted_at"`
	Version           int64       `json:"version"`
}

// maxCatalogPages bounds one catalog read.
const maxCatalogPages = 200

// ReadCatalog implements pos.CatalogReader.
func (a *Adapter) ReadCatalog(ctx context.Context) ([]pos.CatalogObject, error) {
	type ref struct {
		kind   pos.ObjectKind
		auraID string
		item   string
	}
	reverse := map[string]ref{}
	for _, k := range []pos.ObjectKind{pos.KindVariation, pos.KindModifier} {
		all, err := a.maps.List(k)
		if err != nil {
			return nil, err
		}
		for id, m := range all {
			reverse[m.VendorID] = ref{kind: k, auraID: id, item: m.Extra["item"]}
		}
	}
	var out []pos.CatalogObject
	items := map[string]bool{}
	after := int64(0)
	for page := 0; page < maxCatalogPages; page++ {
		var resp struct {
			Data    []catalogProduct `json:"data"`
			Version struct {
				Max *int64 `json:"max"`
			} `json:"version"`
		}
		q := url.Values{"after": {strconv.FormatInt(after, 10)}, "page_size": {"1000"}}
		if _, err := a.call(ctx, "list products", http.MethodGet, "/products", q, nil, &resp); err != nil {
			return nil, err
		}
		if len(resp.Data) == 0 || resp.Version.Max == nil {
			return out, nil
		}
		for _, p := range resp.Data {
			if p.DeletedAt != nil && *p.DeletedAt != "" {
				continue
			}
			price := a.minor(p)
			r, mapped := reverse[p.ID]
			switch {
			case !mapped && p.IsActive:
				out = append(out, pos.CatalogObject{Kind: pos.KindItem, VendorID: p.ID, Name: p.VariantName, Price: price})
			case !mapped:
				// an inactive product nobody pushed: not on sale, not drift
			case r.kind == pos.KindModifier:
				out = append(out, pos.CatalogObject{Kind: pos.KindModifier, AuraID: r.auraID, VendorID: p.ID, Price: price})
			default:
				if r.item != "" && !items[r.item] {
					items[r.item] = true
					out = append(out, pos.CatalogObject{Kind: pos.KindItem, AuraID: r.item, VendorID: p.ID, Name: p.Name})
				}
				out = append(out, pos.CatalogObject{Kind: pos.KindVariation, AuraID: r.auraID, VendorID: p.ID, Price: price, Parent: r.item})
			}
		}
		after = *resp.Version.Max
	}
	return nil, fmt.Errorf("lightspeed catalog has more than %d pages; not compared", maxCatalogPages)
}

// minor returns the product's price (whichever of the two is set) in minor
// units, or nil.
func (a *Adapter) minor(p catalogProduct) *int64 {
	n := p.PriceIncludingTax
	if n == "" {
		n = p.PriceExcludingTax
	}
	d, err := decimal.NewFromString(string(n))
	if err != nil {
		return nil
	}
	v := d.Shift(int32(model.MinorDigits(a.currency))).Round(0).IntPart()
	return &v
}

var _ pos.CatalogWebhooks = (*Adapter)(nil)

// CatalogChanged implements pos.CatalogWebhooks for the product.update and
// inventory.update webhook types. The form's type may be outside the
// signature; a forged one can only cause a (debounced) catalog read.
func (a *Adapter) CatalogChanged(req pos.WebhookRequest) bool {
	form, _ := parseBody(req.Body)
	switch form.Get("type") {
	case "product.update", "inventory.update":
		return true
	}
	return false
}
