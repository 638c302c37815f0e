package lightspeedtest

import "net/http"

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
