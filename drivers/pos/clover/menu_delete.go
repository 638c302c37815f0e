package clover

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// categoryPayload is a Clover category (POST /v3/merchants/{mId}/categories).
type categoryPayload struct {
	Name string `json:"name"`
}

// categoryItemLink is one element of POST /v3/merchants/{mId}/category_items.
type categoryItemLink struct {
	Category ref `json:"category"`
	Item     ref `json:"item"`
}

// deleteRemoved deletes at Clover the objects pushed before that menu no
// longer has: DELETE /items/{id} for each variation (one Clover item per
// Aura variation), /modifier_groups/{id} (its modifiers go with it),
// /modifier_groups/{gid}/modifiers/{id} for a modifier removed from a kept
// group, /categories/{id} and /tax_rates/{id}. An object Clover no longer
// has (404) counts as deleted. A dry run reports "would delete".
func (p *pusher) deleteRemoved(menu *model.Menu) {
	gone, err := p.a.maps.RemovedObjects(menu, pos.KindModifier, pos.KindModifierGroup, pos.KindVariation, pos.KindCategory, pos.KindTax)
	if err != nil {
		p.a.log.Warn("list removed objects", "err", err)
		return
	}
	if len(gone) == 0 {
		return
	}
	removedGroup := map[string]bool{}
	for _, g := range gone {
		if g.Kind == pos.KindModifierGroup {
			removedGroup[g.AuraID] = true
		}
	}
	links, _ := p.a.maps.List(pos.KindLink)
	groupFailed := map[string]string{}
	itemState := map[string]string{} // removed Aura item -> first failure ("" ok)
	var itemOrder []string
	ids := pos.MenuIDs(menu)
	// Modifiers of removed groups are reported after their group.
	sort.SliceStable(gone, func(i, j int) bool { return order(gone[i], removedGroup) < order(gone[j], removedGroup) })
	for _, g := range gone {
		res := pos.ObjectResult{Kind: g.Kind, AuraID: g.AuraID, VendorID: g.Mapping.VendorID, Status: pos.StatusDeleted}
		path := ""
		switch g.Kind {
		case pos.KindVariation:
			path = p.a.mpath("/items/" + url.PathEscape(g.Mapping.VendorID))
		case pos.KindModifierGroup:
			path = p.a.mpath("/modifier_groups/" + url.PathEscape(g.Mapping.VendorID))
		case pos.KindCategory:
			path = p.a.mpath("/categories/" + url.PathEscape(g.Mapping.VendorID))
		case pos.KindTax:
			path = p.a.mpath("/tax_rates/" + url.PathEscape(g.Mapping.VendorID))
		case pos.KindModifier:
			gid := g.Mapping.Extra[extraGroupID]
			if removedGroup[gid] {
				res.Reason = "deleted with its modifier group"
				if why, bad := groupFailed[gid]; bad {
					res.Status, res.Reason = pos.StatusFailed, why
				} else if !p.dry {
					p.forget(g, links)
				}
				if p.dry {
					res.Reason = pos.WouldDelete
				}
				p.add(res)
				continue
			}
			gm, _ := p.a.maps.Get(pos.KindModifierGroup, gid)
			if gm == nil || gm.VendorID == "" {
				res.Status, res.Reason = pos.StatusFailed, "its modifier group "+gid+" is not mapped"
				p.add(res)
				continue
			}
			path = p.a.mpath("/modifier_groups/" + url.PathEscape(gm.VendorID) + "/modifiers/" + url.PathEscape(g.Mapping.VendorID))
		}
		switch {
		case p.dry:
			res.Reason = pos.WouldDelete
		case p.abort != nil:
			res.Status, res.Reason = pos.StatusFailed, "not attempted after an earlier error: "+p.abort.Error()
		default:
			_, err := p.a.call(p.ctx, "delete "+string(g.Kind), http.MethodDelete, path, nil, nil, nil)
			if pos.IsStatus(err, http.StatusNotFound) {
				res.Reason, err = "already gone from Clover", nil
			}
			if err != nil {
				if isAbort(err) && p.abort == nil {
					p.abort = err
				}
				res.Status, res.Reason = pos.StatusFailed, "delete: "+err.Error()
			} else {
				p.forget(g, links)
			}
		}
		if res.Status == pos.StatusFailed && g.Kind == pos.KindModifierGroup {
			groupFailed[g.AuraID] = res.Reason
		}
		if it := g.Mapping.Extra[extraItemID]; g.Kind == pos.KindVariation && it != "" {
			if _, inMenu := ids[it]; !inMenu {
				if _, seen := itemState[it]; !seen {
					itemOrder = append(itemOrder, it)
					itemState[it] = ""
				}
				if res.Status == pos.StatusFailed && itemState[it] == "" {
					itemState[it] = "variation " + g.AuraID + ": " + res.Reason
				}
			}
		}
		p.add(res)
	}
	// Aura items have no Clover object of their own: an item is deleted
	// when the Clover items of its variations are.
	for _, it := range itemOrder {
		res := pos.ObjectResult{Kind: pos.KindItem, AuraID: it, Status: pos.StatusDeleted, Reason: "its Clover items (one per variation) were deleted"}
		switch {
		case itemState[it] != "":
			res.Status, res.Reason = pos.StatusFailed, itemState[it]
		case p.dry:
			res.Reason = pos.WouldDelete
		}
		p.add(res)
	}
}

// order sorts deletions: modifiers of kept groups, groups, the modifiers
// that go with them, then items, categories and taxes.
func order(r pos.Removed, removedGroup map[string]bool) int {
	switch r.Kind {
	case pos.KindModifier:
		if removedGroup[r.Mapping.Extra[extraGroupID]] {
			return 2
		}
		return 0
	case pos.KindModifierGroup:
		return 1
	case pos.KindVariation:
		return 3
	case pos.KindCategory:
		return 4
	}
	return 5
}

// forget drops the mapping of a deleted object and of the links it had.
func (p *pusher) forget(g pos.Removed, links map[string]pos.Mapping) {
	if err := p.a.maps.Delete(g.Kind, g.AuraID); err != nil {
		p.a.log.Warn("delete mapping", "kind", g.Kind, "aura_id", g.AuraID, "err", err)
	}
	for id := range links {
		var hit bool
		switch g.Kind {
		case pos.KindVariation:
			hit = strings.HasPrefix(id, g.AuraID+"/")
		case pos.KindModifierGroup:
			hit = strings.HasSuffix(id, "/modifier_group/"+g.AuraID)
		case pos.KindTax:
			hit = strings.HasSuffix(id, "/tax/"+g.AuraID)
		case pos.KindCategory:
			hit = strings.HasSuffix(id, "/category/"+g.AuraID)
		}
		if hit {
			_ = p.a.maps.Delete(pos.KindLink, id)
		}
	}
}
