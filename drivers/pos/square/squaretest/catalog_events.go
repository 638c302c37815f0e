package squaretest

import "encoding/json"

// CatalogVersionEvent builds a catalog.version.updated event as Square
// sends it after any catalog change (api.json CatalogVersionUpdatedEvent:
// data {type: "catalog_version", object: {catalog_version: {updated_at}}},
// no id of the objects that changed).
func (s *Server) CatalogVersionEvent() []byte {
	now := s.now()
	env := map[string]any{
		"merchant_id": DefaultMerchantID,
		"type":        "catalog.version.updated",
		"event_id":    NewEventID(),
		"created_at":  stamp(now),
		"data": map[string]any{"type": "catalog_version",
			"object": map[string]any{"catalog_version": map[string]any{"updated_at": stamp(now)}}},
	}
	b, _ := json.Marshal(env)
	return b
}

// AbsentAt reports the locations where object id is absent
// (absent_at_location_ids), and whether it exists.
func (s *Server) AbsentAt(id string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[id]
	if !ok {
		return nil, false
	}
	return append([]string(nil), o.AbsentAtLocationIDs...), true
}
