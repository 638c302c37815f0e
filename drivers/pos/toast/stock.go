package toast

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// Availability at Toast goes through the stock API (Toast "Stock API"
// 1.0.0, toast-stock-openapi.yaml): PUT /stock/v1/inventory/update with
// MenuItemInventory objects {guid, status: OUT_OF_STOCK | IN_STOCK}.
// Modifiers are stocked through their option's item reference, which has a
// GUID of its own. Toast owns the menu, so an Aura object is found by the
// Toast GUID the caller names (vendor_id), by an earlier match, or by
// matching its names with the menus API (GET /menus/v2/menus), once; a
// match is remembered.

var _ pos.AvailabilitySetter = (*Adapter)(nil)

// menuItemInventory is the stock API's MenuItemInventory.
type menuItemInventory struct {
	GUID             string   `json:"guid,omitempty"`
	MultiLocationID  string   `json:"multiLocationId,omitempty"`
	Status           string   `json:"status"`
	Quantity         *float64 `json:"quantity,omitempty"`
	ItemGUIDValidity string   `json:"itemGuidValidity,omitempty"`
}

// toastMenus is the part of the menus API's Restaurant response used to
// match names: menu items (nested in groups) and modifier option
// references.
type toastMenus struct {
	Menus []struct {
		MenuGroups []toastGroup `json:"menuGroups"`
	} `json:"menus"`
	ModifierOptionReferences map[string]toastItem `json:"modifierOptionReferences"`
	// ModifierGroupReferences are the option groups, each listing the
	// referenceIds of its options (used by order creation).
	ModifierGroupReferences map[string]toastOptionGroup `json:"modifierGroupReferences"`
}

type toastOptionGroup struct {
	GUID                     string        `json:"guid"`
	ModifierOptionReferences []json.Number `json:"modifierOptionReferences"`
}

type toastGroup struct {
	GUID       string       `json:"guid"`
	MenuItems  []toastItem  `json:"menuItems"`
	MenuGroups []toastGroup `json:"menuGroups"`
}

type toastItem struct {
	GUID string `json:"guid"`
	Name string `json:"name"`
}

// SetAvailability implements pos.AvailabilitySetter through the stock API.
func (a *Adapter) SetAvailability(ctx context.Context, changes []pos.AvailabilityChange) ([]pos.ObjectResult, error) {
	maps := pos.Mappings{S: a.cfg.State}
	out := make([]pos.ObjectResult, len(changes))
	var body []menuItemInventory
	idx := map[string][]int{}
	var names map[string][]string // lower-case name -> guids
	for i, c := range changes {
		out[i] = pos.ObjectResult{Kind: c.Kind, AuraID: c.AuraID, VendorID: c.VendorID, Status: pos.StatusUpdated,
			Reason: "stock " + stockStatus(c.Available)}
		guid := c.VendorID
		if guid == "" && c.AuraID != "" {
			if m, err := maps.Get(c.Kind, c.AuraID); err == nil && m != nil {
				guid = m.VendorID
			}
		}
		if guid == "" && len(c.Names) > 0 {
			if names == nil {
				var err error
				if names, err = a.menuNames(ctx); err != nil {
					for j := range changes {
						out[j] = pos.ObjectResult{Kind: changes[j].Kind, AuraID: changes[j].AuraID, Status: pos.StatusFailed, Reason: "read Toast menus: " + err.Error()}
					}
					return out, err
				}
			}
			for _, n := range c.Names {
				if g := names[strings.ToLower(strings.TrimSpace(n))]; len(g) == 1 {
					guid = g[0]
					if c.AuraID != "" {
						_ = maps.Put(c.Kind, c.AuraID, pos.Mapping{VendorID: guid, Extra: map[string]string{"matched_name": n}})
					}
					break
				}
			}
		}
		if guid == "" {
			out[i].Status = pos.StatusFailed
			out[i].Reason = fmt.Sprintf("no Toast menu item matches %s %s (names %q); name its Toast GUID as vendor_id", c.Kind, c.AuraID, c.Names)
			continue
		}
		out[i].VendorID = guid
		if _, dup := idx[guid]; !dup {
			body = append(body, menuItemInventory{GUID: guid, Status: stockStatus(c.Available)})
		}
		idx[guid] = append(idx[guid], i)
	}
	if len(body) == 0 {
		return out, nil
	}
	var resp []menuItemInventory
	if _, err := a.call(ctx, "update stock", http.MethodPut, "/stock/v1/inventory/update", nil, body, &resp); err != nil {
		for _, is := range idx {
			for _, i := range is {
				out[i].Status, out[i].Reason = pos.StatusFailed, err.Error()
			}
		}
		if k := pos.KindOf(err); k == pos.Retryable || k == pos.Auth {
			return out, err
		}
		return out, nil
	}
	for _, r := range resp {
		if r.ItemGUIDValidity == "INVALID" {
			for _, i := range idx[r.GUID] {
				out[i].Status = pos.StatusFailed
				out[i].Reason = "Toast has no menu item " + r.GUID + " at this location (deleted or archived?)"
				_ = maps.Delete(changes[i].Kind, changes[i].AuraID)
			}
		}
	}
	return out, nil
}

func stockStatus(available bool) string {
	if available {
		return "IN_STOCK"
	}
	return "OUT_OF_STOCK"
}

// menuNames reads the published menus and indexes menu items and modifier
// option references by lower-case name.
func (a *Adapter) menuNames(ctx context.Context) (map[string][]string, error) {
	var m toastMenus
	if _, err := a.call(ctx, "get menus", http.MethodGet, "/menus/v2/menus", nil, nil, &m); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	add := func(it toastItem) {
		k := strings.ToLower(strings.TrimSpace(it.Name))
		for _, g := range out[k] {
			if g == it.GUID {
				return
			}
		}
		out[k] = append(out[k], it.GUID)
	}
	var walk func(gs []toastGroup)
	walk = func(gs []toastGroup) {
		for _, g := range gs {
			for _, it := range g.MenuItems {
				add(it)
			}
			walk(g.MenuGroups)
		}
	}
	for _, menu := range m.Menus {
		walk(menu.MenuGroups)
	}
	for _, it := range m.ModifierOptionReferences {
		add(it)
	}
	return out, nil
}
