package lightspeed

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// Availability at X-Series is the product's active flag (PUT
// /products/{product_id} with details.is_active; ProductUpdate21Request,
// API 2026-07). An Aura item maps to every product of its family, a
// variation to its variant product, a priced modifier to its add-on
// product. An inactive product cannot be sold at the register.

var _ pos.AvailabilitySetter = (*Adapter)(nil)

// SetAvailability implements pos.AvailabilitySetter.
func (a *Adapter) SetAvailability(ctx context.Context, changes []pos.AvailabilityChange) ([]pos.ObjectResult, error) {
	ps := &pushState{ctx: ctx}
	out := make([]pos.ObjectResult, len(changes))
	for i, c := range changes {
		out[i] = pos.ObjectResult{Kind: c.Kind, AuraID: c.AuraID, VendorID: c.VendorID, Status: pos.StatusUpdated}
		ids, err := a.availabilityProducts(c)
		if err != nil {
			out[i].Status, out[i].Reason = pos.StatusFailed, err.Error()
			continue
		}
		if len(ids) == 1 {
			out[i].VendorID = ids[0]
		}
		for _, id := range ids {
			if ps.stop != nil {
				out[i].Status, out[i].Reason = pos.StatusFailed, "not attempted: "+ps.stop.Error()
				break
			}
			if err := a.put(ps, id, productUpdate{Details: &detailsFields{IsActive: c.Available}}); err != nil {
				out[i].Status, out[i].Reason = pos.StatusFailed, fmt.Sprintf("product %s: %v", id, err)
				break
			}
		}
	}
	return out, ps.stop
}

func (a *Adapter) availabilityProducts(c pos.AvailabilityChange) ([]string, error) {
	if c.VendorID != "" {
		return []string{c.VendorID}, nil
	}
	switch c.Kind {
	case pos.KindItem:
		m, err := a.maps.Get(pos.KindItem, c.AuraID)
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, fmt.Errorf("item %s was never pushed to Lightspeed; push the menu first", c.AuraID)
		}
		if m.Extra["ids"] != "" {
			return strings.Split(m.Extra["ids"], ","), nil
		}
		vars, err := a.maps.List(pos.KindVariation)
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, v := range vars {
			if v.Extra["item"] == c.AuraID {
				ids = append(ids, v.VendorID)
			}
		}
		sort.Strings(ids)
		if len(ids) == 0 {
			ids = []string{m.VendorID}
		}
		return ids, nil
	case pos.KindVariation, pos.KindModifier:
		m, err := a.maps.Get(c.Kind, c.AuraID)
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, fmt.Errorf("%s %s was never pushed to Lightspeed (free modifiers are not pushed); push the menu first", c.Kind, c.AuraID)
		}
		return []string{m.VendorID}, nil
	}
	return nil, fmt.Errorf("%s objects have no availability at Lightspeed; name an item, variation or modifier", c.Kind)
}
