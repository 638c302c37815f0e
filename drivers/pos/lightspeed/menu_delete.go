package lightspeed

import (
	"fmt"
	"maps"
	"strings"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// ReasonArchived explains how X-Series takes a removed product off sale.
const ReasonArchived = "deactivated (is_active false): X-Series keeps the product and its sales history; pushing it again re-activates it"

// archiveRemoved deactivates the products of objects pushed before and gone
// from the menu (items, variants of kept items, add-on products of
// modifiers) with PUT /products/{id} {details: {is_active: false}}, and
// reports them archived. Their mappings are kept, marked archived, so that
// an object that comes back is updated (and re-activated), not created
// twice under the same source_id.
func (a *Adapter) archiveRemoved(ps *pushState) {
	gone, err := a.maps.RemovedObjects(ps.menu, pos.KindItem, pos.KindVariation, pos.KindModifier)
	if err != nil {
		a.log.Warn("list removed objects", "err", err)
		return
	}
	removedItem := map[string]bool{}
	for _, g := range gone {
		if g.Kind == pos.KindItem {
			removedItem[g.AuraID] = true
		}
	}
	for _, g := range gone {
		var ids []string
		switch {
		case g.Kind == pos.KindItem:
			ids = strings.Split(g.Mapping.Extra["ids"], ",")
			if g.Mapping.Extra["ids"] == "" {
				ids = []string{g.Mapping.VendorID}
			}
		case g.Kind == pos.KindVariation && removedItem[g.Mapping.Extra["item"]]:
			ids = nil // deactivated with its item
		default:
			ids = []string{g.Mapping.VendorID}
		}
		res := pos.ObjectResult{Kind: g.Kind, AuraID: g.AuraID, VendorID: g.Mapping.VendorID, Status: pos.StatusArchived, Reason: ReasonArchived}
		switch {
		case ps.dry:
			res.Reason = "would archive: " + ReasonArchived
		case ps.stop != nil:
			res.Status, res.Reason = pos.StatusFailed, "not attempted: "+ps.stop.Error()
		default:
			for _, id := range ids {
				if err := a.put(ps, id, productUpdate{Details: &detailsFields{IsActive: false}}); err != nil && !pos.IsStatus(err, 404) {
					res.Status, res.Reason = pos.StatusFailed, fmt.Sprintf("deactivate product %s: %v", id, err)
					break
				}
			}
			if res.Status == pos.StatusArchived {
				m := g.Mapping
				m.Extra = maps.Clone(m.Extra)
				if m.Extra == nil {
					m.Extra = map[string]string{}
				}
				m.Extra[pos.ExtraArchived] = "true"
				m.Hash = "" // differs from any real hash: a returning object is updated
				a.putMapping(ps, g.Kind, g.AuraID, m)
			}
		}
		ps.results = append(ps.results, res)
	}
}

// unarchive clears the archived mark of a mapping that is pushed again.
func unarchive(m *pos.Mapping) {
	if m != nil && m.Extra[pos.ExtraArchived] == "true" {
		m.Extra = maps.Clone(m.Extra)
		delete(m.Extra, pos.ExtraArchived)
	}
}
