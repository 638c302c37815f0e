package clovertest

import (
	"net/http"
	"net/url"
	"strings"
)

// Category is an inventory category (docs.clover.com, "Manage categories":
// POST /v3/merchants/{mId}/categories {name}, items associated with
// POST /v3/merchants/{mId}/category_items {elements:[{category:{id},item:{id}}]}).
type Category struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	SortOrder int    `json:"sortOrder"`
}

type menuState struct {
	categories map[string]*Category
	catItems   [][2]string // item id, category id
}

type categoryIn struct {
	Name      *string `json:"name"`
	SortOrder *int    `json:"sortOrder"`
	ColorCode *string `json:"colorCode"`
}

// routeMenu serves the category endpoints and the documented DELETE
// endpoints of modifier groups, modifiers, categories and tax rates
// (DELETE /v3/merchants/{mId}/modifier_groups/{modGroupId},
// .../modifier_groups/{modGroupId}/modifiers/{modId}, .../categories/{catId},
// .../tax_rates/{taxId}). ok is false for every other route. s.mu is held.
func (s *Server) routeMenu(method string, p []string, q url.Values, body []byte) (code int, v any, e *apiError, ok bool) {
	if s.menu == nil {
		s.menu = &menuState{categories: map[string]*Category{}}
	}
	get, post, del := method == http.MethodGet, method == http.MethodPost, method == http.MethodDelete
	n := len(p)
	switch {
	case n == 1 && p[0] == "categories" && get:
		var els []any
		for _, id := range sortedKeys(s.menu.categories) {
			els = append(els, s.menu.categories[id])
		}
		return 200, page(els, q), nil, true
	case n == 1 && p[0] == "categories" && post:
		code, v, e = s.writeCategory("", body)
		return code, v, e, true
	case n == 2 && p[0] == "categories" && post:
		code, v, e = s.writeCategory(p[1], body)
		return code, v, e, true
	case n == 2 && p[0] == "categories" && del:
		if _, found := s.menu.categories[p[1]]; !found {
			return 0, nil, errf(404, "Category not found"), true
		}
		delete(s.menu.categories, p[1])
		s.menu.catItems = dropOther(s.menu.catItems, p[1])
		return 200, map[string]any{}, nil, true
	case n == 1 && p[0] == "category_items" && post:
		var in struct {
			Elements []struct {
				Category idRef `json:"category"`
				Item     idRef `json:"item"`
			} `json:"elements"`
		}
		if err := strictDecode(body, &in); err != nil || len(in.Elements) == 0 {
			return 0, nil, errf(400, "Invalid category items: elements of {category:{id}, item:{id}} are required"), true
		}
		for _, el := range in.Elements {
			if _, found := s.menu.categories[el.Category.ID]; !found {
				return 0, nil, errf(400, "Category %s not found", el.Category.ID), true
			}
			if _, found := s.items[el.Item.ID]; !found {
				return 0, nil, errf(400, "Item %s not found", el.Item.ID), true
			}
		}
		for _, el := range in.Elements {
			s.menu.catItems = appendLink(s.menu.catItems, [2]string{el.Item.ID, el.Category.ID})
		}
		return 200, map[string]any{}, nil, true
	case n == 2 && p[0] == "modifier_groups" && del:
		g, found := s.groups[p[1]]
		if !found {
			return 0, nil, errf(404, "ModifierGroup not found"), true
		}
		for _, id := range g.ModifierIDs {
			delete(s.modifiers, id)
		}
		delete(s.groups, p[1])
		s.itemGroups = dropOther(s.itemGroups, p[1])
		return 200, map[string]any{}, nil, true
	case n == 4 && p[0] == "modifier_groups" && p[2] == "modifiers" && del:
		g, found := s.groups[p[1]]
		m, mfound := s.modifiers[p[3]]
		if !found || !mfound || m.GroupID != g.ID {
			return 0, nil, errf(404, "Modifier not found"), true
		}
		delete(s.modifiers, p[3])
		kept := g.ModifierIDs[:0]
		for _, id := range g.ModifierIDs {
			if id != p[3] {
				kept = append(kept, id)
			}
		}
		g.ModifierIDs = kept
		return 200, map[string]any{}, nil, true
	case n == 2 && p[0] == "tax_rates" && del:
		if _, found := s.taxRates[p[1]]; !found {
			return 0, nil, errf(404, "TaxRate not found"), true
		}
		delete(s.taxRates, p[1])
		s.taxItems = dropOther(s.taxItems, p[1])
		return 200, map[string]any{}, nil, true
	case n == 2 && p[0] == "items" && del:
		if s.menu != nil {
			s.menu.catItems = dropLinks(s.menu.catItems, p[1])
		}
	}
	return 0, nil, nil, false
}

func (s *Server) writeCategory(id string, body []byte) (int, any, *apiError) {
	var in categoryIn
	if err := strictDecode(body, &in); err != nil {
		return 0, nil, errf(400, "Invalid category: %v", err)
	}
	c := &Category{}
	if id != "" {
		old, ok := s.menu.categories[id]
		if !ok {
			return 0, nil, errf(404, "Category not found")
		}
		cp := *old
		c = &cp
	} else if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return 0, nil, errf(400, "Category name is required")
	}
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.SortOrder != nil {
		c.SortOrder = *in.SortOrder
	} else if id == "" {
		c.SortOrder = len(s.menu.categories) + 1 // last, as Clover does
	}
	if id == "" {
		c.ID = s.nextID("CA")
	}
	s.menu.categories[c.ID] = c
	return 200, c, nil
}

func dropOther(ls [][2]string, otherID string) [][2]string {
	out := ls[:0]
	for _, l := range ls {
		if l[1] != otherID {
			out = append(out, l)
		}
	}
	return out
}

func appendLink(ls [][2]string, l [2]string) [][2]string {
	for _, x := range ls {
		if x == l {
			return ls
		}
	}
	return append(ls, l)
}

// Categories returns the categories, sorted by id.
func (s *Server) Categories() []Category {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Category
	if s.menu == nil {
		return out
	}
	for _, id := range sortedKeys(s.menu.categories) {
		out = append(out, *s.menu.categories[id])
	}
	return out
}

// CategoryItems returns the item<->category links as [item id, category id].
func (s *Server) CategoryItems() [][2]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.menu == nil {
		return nil
	}
	return append([][2]string(nil), s.menu.catItems...)
}

// Item returns the stored item with id.
func (s *Server) Item(id string) (Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[id]
	if !ok {
		return Item{}, false
	}
	return *it, true
}

// EditItem changes an item as a merchant editing it on the Clover device
// would; it reports whether the item exists.
func (s *Server) EditItem(id string, fn func(*Item)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[id]
	if !ok {
		return false
	}
	c := *it
	fn(&c)
	c.ModifiedTime = s.touch(c.ModifiedTime)
	s.items[id] = &c
	return true
}
