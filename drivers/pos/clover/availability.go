package clover

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// Availability at Clover: items and modifiers carry an `available` flag
// (docs.clover.com, Inventory: "available: Flag indicating whether the item
// is available for sale"), set with a partial update
// (POST /v3/merchants/{mId}/items/{itemId}, POST
// /modifier_groups/{gid}/modifiers/{modId}). An Aura item maps to the
// Clover items of all its variations.

var (
	_ pos.AvailabilitySetter = (*Adapter)(nil)
	_ pos.CatalogReader      = (*Adapter)(nil)
	_ pos.CatalogWebhooks    = (*Adapter)(nil)
)

type availablePayload struct {
	Available bool `json:"available"`
}

// SetAvailability implements pos.AvailabilitySetter.
func (a *Adapter) SetAvailability(ctx context.Context, changes []pos.AvailabilityChange) ([]pos.ObjectResult, error) {
	out := make([]pos.ObjectResult, len(changes))
	for i, c := range changes {
		out[i] = pos.ObjectResult{Kind: c.Kind, AuraID: c.AuraID, VendorID: c.VendorID, Status: pos.StatusUpdated}
		paths, err := a.availabilityPaths(c)
		if err != nil {
			out[i].Status, out[i].Reason = pos.StatusFailed, err.Error()
			continue
		}
		for _, path := range paths {
			_, err := a.call(ctx, "set availability", http.MethodPost, path, nil, availablePayload{Available: c.Available}, nil)
			if err != nil {
				out[i].Status, out[i].Reason = pos.StatusFailed, err.Error()
				if isAbort(err) {
					for j := i + 1; j < len(changes); j++ {
						out[j] = pos.ObjectResult{Kind: changes[j].Kind, AuraID: changes[j].AuraID, Status: pos.StatusFailed,
							Reason: "not attempted after an earlier error: " + err.Error()}
					}
					return out, err
				}
				break
			}
		}
	}
	return out, nil
}

func (a *Adapter) availabilityPaths(c pos.AvailabilityChange) ([]string, error) {
	item := func(id string) string { return a.mpath("/items/" + url.PathEscape(id)) }
	switch c.Kind {
	case pos.KindVariation:
		if c.VendorID != "" {
			return []string{item(c.VendorID)}, nil
		}
		m, err := a.maps.Get(pos.KindVariation, c.AuraID)
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, fmt.Errorf("variation %s was never pushed to Clover; push the menu first", c.AuraID)
		}
		return []string{item(m.VendorID)}, nil
	case pos.KindItem:
		if c.VendorID != "" {
			return []string{item(c.VendorID)}, nil
		}
		all, err := a.maps.List(pos.KindVariation)
		if err != nil {
			return nil, err
		}
		var paths []string
		for _, m := range all {
			if m.Extra[extraItemID] == c.AuraID {
				paths = append(paths, item(m.VendorID))
			}
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("item %s was never pushed to Clover; push the menu first", c.AuraID)
		}
		return paths, nil
	case pos.KindModifier:
		m, err := a.maps.Get(pos.KindModifier, c.AuraID)
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, fmt.Errorf("modifier %s was never pushed to Clover; push the menu first", c.AuraID)
		}
		g, err := a.maps.Get(pos.KindModifierGroup, m.Extra[extraGroupID])
		if err != nil || g == nil {
			return nil, fmt.Errorf("modifier %s: its group is not mapped", c.AuraID)
		}
		return []string{a.mpath("/modifier_groups/" + url.PathEscape(g.VendorID) + "/modifiers/" + url.PathEscape(m.VendorID))}, nil
	}
	return nil, fmt.Errorf("%s objects have no availability at Clover; name an item, variation or modifier", c.Kind)
}

type catalogItem struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Price int64  `json:"price"`
}

type catalogGroup struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Modifiers *struct {
		Elements []catalogItem `json:"elements"`
	} `json:"modifiers"`
}

// maxCatalogPages bounds one catalog read (1000 objects a page).
const maxCatalogPages = 50

// ReadCatalog implements pos.CatalogReader: GET /items and
// GET /modifier_groups?expand=modifiers, paged by offset. Clover item
// names ("Latte 12oz") are not compared with Aura variation names.
func (a *Adapter) ReadCatalog(ctx context.Context) ([]pos.CatalogObject, error) {
	reverse := map[string]pos.Removed{} // vendor id -> kind, aura id, mapping
	for _, k := range []pos.ObjectKind{pos.KindVariation, pos.KindModifierGroup, pos.KindModifier} {
		all, err := a.maps.List(k)
		if err != nil {
			return nil, err
		}
		for id, m := range all {
			reverse[string(k)+"/"+m.VendorID] = pos.Removed{Kind: k, AuraID: id, Mapping: m}
		}
	}
	var out []pos.CatalogObject
	items := map[string]bool{}
	err := pageAll(ctx, a, a.mpath("/items"), nil, func(raw json.RawMessage) {
		var it catalogItem
		if json.Unmarshal(raw, &it) != nil {
			return
		}
		price := it.Price
		co := pos.CatalogObject{Kind: pos.KindVariation, VendorID: it.ID, Name: it.Name, Price: &price}
		if r, ok := reverse[string(pos.KindVariation)+"/"+it.ID]; ok {
			co.AuraID, co.Name, co.Parent = r.AuraID, "", r.Mapping.Extra[extraItemID]
			if p := co.Parent; p != "" && !items[p] {
				items[p] = true
				out = append(out, pos.CatalogObject{Kind: pos.KindItem, AuraID: p, VendorID: it.ID})
			}
		} else {
			co.Kind = pos.KindItem // a Clover item made at the POS
		}
		out = append(out, co)
	})
	if err != nil {
		return nil, err
	}
	err = pageAll(ctx, a, a.mpath("/modifier_groups"), url.Values{"expand": {"modifiers"}}, func(raw json.RawMessage) {
		var g catalogGroup
		if json.Unmarshal(raw, &g) != nil {
			return
		}
		co := pos.CatalogObject{Kind: pos.KindModifierGroup, VendorID: g.ID, Name: g.Name}
		if r, ok := reverse[string(pos.KindModifierGroup)+"/"+g.ID]; ok {
			co.AuraID = r.AuraID
		}
		out = append(out, co)
		if g.Modifiers == nil {
			return
		}
		for _, m := range g.Modifiers.Elements {
			price := m.Price
			mo := pos.CatalogObject{Kind: pos.KindModifier, VendorID: m.ID, Name: m.Name, Price: &price, Parent: firstNonEmpty(co.AuraID, g.ID)}
			if r, ok := reverse[string(pos.KindModifier)+"/"+m.ID]; ok {
				mo.AuraID = r.AuraID
			}
			out = append(out, mo)
		}
	})
	return out, err
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func pageAll(ctx context.Context, a *Adapter, path string, q url.Values, fn func(json.RawMessage)) error {
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", strconv.Itoa(MaxPageSize))
	for page := 0; page < maxCatalogPages; page++ {
		q.Set("offset", strconv.Itoa(page*MaxPageSize))
		var out elements[json.RawMessage]
		if _, err := a.call(ctx, "list catalog", http.MethodGet, path, q, nil, &out); err != nil {
			return err
		}
		for _, raw := range out.Elements {
			fn(raw)
		}
		if len(out.Elements) < MaxPageSize {
			return nil
		}
	}
	return fmt.Errorf("clover catalog has more than %d pages; not compared", maxCatalogPages)
}

// CatalogChanged implements pos.CatalogWebhooks: Clover's inventory
// events carry objectIds prefixed "I:" (docs.clover.com, Webhooks).
func (a *Adapter) CatalogChanged(req pos.WebhookRequest) bool {
	var body struct {
		Merchants map[string][]struct {
			ObjectID string `json:"objectId"`
		} `json:"merchants"`
	}
	if json.Unmarshal(req.Body, &body) != nil {
		return false
	}
	for _, evs := range body.Merchants {
		for _, ev := range evs {
			if strings.HasPrefix(ev.ObjectID, "I:") {
				return true
			}
		}
	}
	return false
}
