package toasttest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// The stand-in's menus and stock follow Toast's "Menus API" v2
// (GET /menus/v2/menus: a Restaurant with menus -> menuGroups -> menuItems
// and modifierOptionReferences keyed by referenceId) and "Stock API" 1.0.0
// (toast-stock-openapi.yaml: PUT /stock/v1/inventory/update and
// GET /stock/v1/inventory with MenuItemInventory objects). Only the fields
// the adapter reads are served; menus stay read-only, as at Toast.

// MenuItem is a Toast menu item (or a modifier option's item reference).
type MenuItem struct {
	GUID            string  `json:"guid"`
	MultiLocationID string  `json:"multiLocationId"`
	Name            string  `json:"name"`
	Price           float64 `json:"price"`
	modifier        bool
}

// Inventory is a MenuItemInventory as the stock API stores it.
type Inventory struct {
	GUID            string   `json:"guid"`
	MultiLocationID string   `json:"multiLocationId"`
	Status          string   `json:"status"`
	Quantity        *float64 `json:"quantity"`
	Validity        string   `json:"itemGuidValidity,omitempty"`
}

// The stand-in's menu has one menu group holding every menu item and one
// option group holding every modifier option.
const (
	MenuGroupGUID   = "6e000000-0000-4000-8000-00000000a001"
	OptionGroupGUID = "6e000000-0000-4000-8000-00000000b001"
)

type menuState struct {
	items []*MenuItem
	stock map[string]Inventory // by guid; absent means IN_STOCK
}

func (s *Server) menuLocked() *menuState {
	if s.menu == nil {
		s.menu = &menuState{stock: map[string]Inventory{}}
	}
	return s.menu
}

// SeedMenuItem adds a menu item (modifier false) or a modifier option's
// item reference (modifier true), as configured in Toast Web, and returns
// its GUID.
func (s *Server) SeedMenuItem(name string, price float64, modifier bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.menuLocked()
	it := &MenuItem{GUID: s.newGUID(), Name: name, Price: price, modifier: modifier}
	it.MultiLocationID = "ml-" + it.GUID
	m.items = append(m.items, it)
	return it.GUID
}

// Stock returns the stock status of guid (IN_STOCK when never set).
func (s *Server) Stock(guid string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inv, ok := s.menuLocked().stock[guid]; ok {
		return inv.Status
	}
	return "IN_STOCK"
}

func (s *Server) serveMenu(w http.ResponseWriter, r *http.Request, path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.menuLocked()
	switch {
	case r.Method == http.MethodGet && path == "/menus/v2/menus":
		var items []*MenuItem
		refs := map[string]any{}
		var optRefs []int
		for i, it := range m.items {
			if it.modifier {
				refs[itoa(i+1)] = map[string]any{"referenceId": i + 1, "guid": it.GUID, "multiLocationId": it.MultiLocationID,
					"name": it.Name, "price": it.Price}
				optRefs = append(optRefs, i+1)
				continue
			}
			items = append(items, it)
		}
		groupRefs := map[string]any{}
		if len(optRefs) > 0 {
			// One option group holds every modifier option.
			groupRefs["1000"] = map[string]any{"referenceId": 1000, "guid": OptionGroupGUID, "name": "Options",
				"modifierOptionReferences": optRefs}
		}
		if items == nil {
			items = []*MenuItem{}
		}
		writeJSON(w, 200, map[string]any{
			"restaurantGuid": s.restaurant, "lastUpdated": s.now().UTC().Format("2006-01-02T15:04:05.000+0000"),
			"menus": []any{map[string]any{"guid": "menu-" + s.restaurant[:8], "name": "Stand-in menu",
				"menuGroups": []any{map[string]any{"guid": MenuGroupGUID, "name": "All", "menuItems": items, "menuGroups": []any{}}}}},
			"modifierGroupReferences":  groupRefs,
			"modifierOptionReferences": refs,
		})
	case r.Method == http.MethodPut && path == "/stock/v1/inventory/update":
		var in []Inventory
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || len(in) == 0 {
			writeJSON(w, 400, errorBody(400, "request body must be a non-empty array of MenuItemInventory"))
			return
		}
		out := make([]Inventory, 0, len(in))
		for _, inv := range in {
			switch {
			case inv.GUID == "" && inv.MultiLocationID == "":
				writeJSON(w, 400, errorBody(400, "each MenuItemInventory needs a guid or a multiLocationId"))
				return
			case inv.Status != "IN_STOCK" && inv.Status != "OUT_OF_STOCK" && inv.Status != "QUANTITY":
				writeJSON(w, 400, errorBody(400, "status must be IN_STOCK, OUT_OF_STOCK or QUANTITY"))
				return
			case inv.Status == "QUANTITY" && (inv.Quantity == nil || *inv.Quantity <= 0):
				writeJSON(w, 400, errorBody(400, "a QUANTITY status needs a quantity greater than 0"))
				return
			case inv.Status != "QUANTITY" && inv.Quantity != nil:
				writeJSON(w, 400, errorBody(400, "quantity is only allowed with the QUANTITY status"))
				return
			}
			it := m.find(inv.GUID, inv.MultiLocationID)
			if it == nil {
				inv.Validity = "INVALID"
				out = append(out, inv)
				continue
			}
			inv.GUID, inv.MultiLocationID, inv.Validity = it.GUID, it.MultiLocationID, "VALID"
			if inv.Status == "IN_STOCK" {
				delete(m.stock, it.GUID)
			} else {
				m.stock[it.GUID] = inv
			}
			out = append(out, inv)
		}
		writeJSON(w, 200, out)
	case r.Method == http.MethodGet && path == "/stock/v1/inventory":
		out := []Inventory{}
		for _, it := range m.items {
			if inv, ok := m.stock[it.GUID]; ok && (r.URL.Query().Get("status") == "" || r.URL.Query().Get("status") == inv.Status) {
				out = append(out, inv)
			}
		}
		writeJSON(w, 200, out)
	default:
		writeJSON(w, 404, errorBody(404, "Not found"))
	}
}

func (m *menuState) find(guid, ml string) *MenuItem {
	for _, it := range m.items {
		if (guid != "" && it.GUID == guid) || (ml != "" && it.MultiLocationID == ml) {
			return it
		}
	}
	return nil
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
