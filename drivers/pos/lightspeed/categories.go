package lightspeed

import (
	"net/http"
	"strings"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// Product categories: X-Series files products under product categories
// (ProductCreateBody.product_category_id; categories listed by
// GET /product_categories). aura-edge links an Aura category to the
// X-Series category of the same name, read when a product of that category
// is created, and remembers the link; it does not create categories.

type productCategory struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	DeletedAt *string `json:"deleted_at"`
}

// categoryID returns the X-Series category id for Aura category id ("" when
// none is linked or found).
func (a *Adapter) categoryID(ps *pushState, auraID string) string {
	if auraID == "" {
		return ""
	}
	if m, _ := a.maps.Get(pos.KindCategory, auraID); m != nil {
		return m.VendorID
	}
	var c *model.Category
	for i := range ps.menu.Categories {
		if ps.menu.Categories[i].ID == auraID {
			c = &ps.menu.Categories[i]
		}
	}
	if c == nil {
		return ""
	}
	if ps.categories == nil && ps.catErr == nil {
		var out struct {
			Data []productCategory `json:"data"`
		}
		if _, err := a.call(ps.ctx, "list product categories", http.MethodGet, "/product_categories", nil, nil, &out); err != nil {
			ps.catErr = err
			a.log.Warn("list product categories", "err", err)
			return ""
		}
		ps.categories = map[string][]string{}
		for _, pc := range out.Data {
			if pc.DeletedAt == nil || *pc.DeletedAt == "" {
				k := strings.ToLower(strings.TrimSpace(pc.Name))
				ps.categories[k] = append(ps.categories[k], pc.ID)
			}
		}
	}
	ids := ps.categories[strings.ToLower(strings.TrimSpace(c.Name))]
	if len(ids) != 1 {
		return ""
	}
	if !ps.dry {
		if err := a.maps.Put(pos.KindCategory, auraID, pos.Mapping{VendorID: ids[0], Extra: map[string]string{"name": c.Name}}); err != nil {
			a.log.Warn("store category link", "err", err)
		}
	}
	return ids[0]
}

// categoryResults reports each Aura category: linked (unchanged, with the
// X-Series id) or unsupported with the reason.
func (a *Adapter) categoryResults(ps *pushState) {
	var rs []pos.ObjectResult
	for _, c := range ps.menu.Categories {
		r := pos.ObjectResult{Kind: pos.KindCategory, AuraID: c.ID, Status: pos.StatusUnsupported, Reason: ReasonCategory}
		if m, _ := a.maps.Get(pos.KindCategory, c.ID); m != nil {
			r.VendorID, r.Status, r.Reason = m.VendorID, pos.StatusUnchanged, "linked to the X-Series product category of the same name"
		} else if ids := ps.categories[strings.ToLower(strings.TrimSpace(c.Name))]; len(ids) == 1 && ps.dry {
			r.VendorID, r.Status, r.Reason = ids[0], pos.StatusUnchanged, "would link to the X-Series product category of the same name"
		}
		rs = append(rs, r)
	}
	ps.results = append(rs, ps.results...)
}
