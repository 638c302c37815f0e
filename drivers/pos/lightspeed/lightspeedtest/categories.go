package lightspeedtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
)

// ProductCategory is an X-Series product category as
// GET /product_categories lists it ({"data": [...]}); products are filed
// under one with ProductCreateBody.product_category_id.
type ProductCategory struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	DeletedAt *string `json:"deleted_at"`
}

// AddCategory stores a product category made in Lightspeed and returns its
// id.
func (s *Server) AddCategory(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := ProductCategory{ID: s.newID(), Name: name}
	s.categories = append(s.categories, c)
	return c.ID
}

func (s *Server) hasCategory(id string) bool {
	for _, c := range s.categories {
		if c.ID == id {
			return true
		}
	}
	return false
}

func (s *Server) listCategories(w http.ResponseWriter) {
	out := append([]ProductCategory{}, s.categories...)
	writeJSON(w, 200, map[string]any{"data": out})
}

// listProducts implements GET /products?after=&page_size=: products with
// version > after, ascending by version, and the page's version range, as
// the sales list pages (the documented version cursor).
func (s *Server) listProducts(w http.ResponseWriter, q url.Values) {
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	size, _ := strconv.Atoi(q.Get("page_size"))
	if size <= 0 || size > s.maxPage {
		size = s.maxPage
	}
	var all []*Product
	for _, p := range s.products {
		if p.Version > after {
			all = append(all, p)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Version < all[j].Version })
	if len(all) > size {
		all = all[:size]
	}
	data := []Product{}
	var vmin, vmax *int64
	for _, p := range all {
		data = append(data, *p)
		v := p.Version
		if vmin == nil {
			vmin = &v
		}
		vmax = &v
	}
	writeJSON(w, 200, map[string]any{"data": data, "version": map[string]any{"min": vmin, "max": vmax}})
}

// SetPrice changes a product's price as a retailer editing it in
// Lightspeed would (its version moves on).
func (s *Server) SetPrice(id, priceExcl string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.products[id]
	if !ok {
		return false
	}
	p.PriceExcludingTax, p.PriceIncludingTax = json.Number(priceExcl), ""
	s.version++
	p.Version = s.version
	return true
}
