package squaretest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Square's documented batch-upsert limits.
const (
	maxObjectsPerBatch   = 1000
	maxObjectsPerRequest = 10000
)

// catalogError is a failed batch: its objects are not applied.
type catalogError struct {
	status int
	Error
}

func badValue(code, field, format string, args ...any) *catalogError {
	return &catalogError{status: http.StatusBadRequest, Error: Error{Category: "INVALID_REQUEST_ERROR", Code: code,
		Field: field, Detail: fmt.Sprintf(format, args...)}}
}

func (s *Server) nextVersion() int64 {
	v := s.now().UnixMilli()
	if v <= s.lastVersion {
		v = s.lastVersion + 1
	}
	s.lastVersion = v
	return v
}

func isClientID(id string) bool { return strings.HasPrefix(id, "#") }

// batchUpsert implements POST /v2/catalog/batch-upsert: idempotency keys,
// one catalog write at a time per seller (others get 429), limits, and
// all-or-nothing batches with optimistic versions.
func (s *Server) batchUpsert(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var req struct {
		IdempotencyKey string `json:"idempotency_key"`
		Batches        []struct {
			Objects []CatalogObject `json:"objects"`
		} `json:"batches"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "EXPECTED_JSON_BODY", err.Error())
		return
	}
	if req.IdempotencyKey == "" {
		writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "MISSING_REQUIRED_PARAMETER", Field: "idempotency_key"})
		return
	}
	sum := sha256.Sum256(raw)
	bodyHash := hex.EncodeToString(sum[:])

	s.mu.Lock()
	if e, ok := s.idem[req.IdempotencyKey]; ok {
		s.mu.Unlock()
		if e.bodyHash != bodyHash {
			writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "IDEMPOTENCY_KEY_REUSED",
				"idempotency key already used with a different request")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.status)
		_, _ = w.Write(e.resp)
		return
	}
	if s.writing {
		s.mu.Unlock()
		writeError(w, http.StatusTooManyRequests, "RATE_LIMIT_ERROR", "RATE_LIMITED",
			"only one catalog update is processed at a time per seller")
		return
	}
	s.writing = true
	s.mu.Unlock()
	if s.writeDelay > 0 {
		time.Sleep(s.writeDelay)
	}
	s.mu.Lock()
	defer func() { s.writing = false; s.mu.Unlock() }()

	total := 0
	for i, b := range req.Batches {
		n := countObjects(b.Objects)
		if n > maxObjectsPerBatch {
			writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "INVALID_ARRAY_LENGTH",
				Field: fmt.Sprintf("batches[%d].objects", i), Detail: fmt.Sprintf("a batch holds at most %d objects, got %d", maxObjectsPerBatch, n)})
			return
		}
		total += n
	}
	if total > maxObjectsPerRequest || len(req.Batches) == 0 {
		writeErrors(w, http.StatusBadRequest, Error{Category: "INVALID_REQUEST_ERROR", Code: "INVALID_ARRAY_LENGTH",
			Field: "batches", Detail: fmt.Sprintf("a request holds 1 to %d objects, got %d", maxObjectsPerRequest, total)})
		return
	}
	ids := map[string]string{}
	var out []CatalogObject
	var mappings []map[string]string
	for _, b := range req.Batches {
		objects, children := maps.Clone(s.objects), cloneChildren(s.children)
		before := len(mappings)
		top, err := s.applyBatch(b.Objects, ids, &mappings)
		if err != nil {
			s.objects, s.children = objects, children // all or nothing
			mappings = mappings[:before]
			writeErrors(w, err.status, err.Error)
			return
		}
		out = append(out, top...)
	}
	resp := map[string]any{"objects": out, "updated_at": stamp(s.now())}
	if len(mappings) > 0 { // Square leaves empty lists out
		resp["id_mappings"] = mappings
	}
	b, _ := json.Marshal(resp)
	s.idem[req.IdempotencyKey] = idemEntry{bodyHash: bodyHash, status: http.StatusOK, resp: b}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func cloneChildren(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func countObjects(objs []CatalogObject) int {
	n := 0
	for _, o := range objs {
		n++
		if o.ItemData != nil {
			n += len(o.ItemData.Variations)
		}
		if o.ModifierListData != nil {
			n += len(o.ModifierListData.Modifiers)
		}
	}
	return n
}

// applyBatch applies one batch. Client ids ("#...") get server ids first,
// so that objects may refer to each other in any order.
func (s *Server) applyBatch(objs []CatalogObject, ids map[string]string, mappings *[]map[string]string) ([]CatalogObject, *catalogError) {
	var assign func(o *CatalogObject) *catalogError
	assign = func(o *CatalogObject) *catalogError {
		if o.ID == "" {
			return badValue("MISSING_REQUIRED_PARAMETER", "id", "object without id")
		}
		if isClientID(o.ID) {
			if _, dup := ids[o.ID]; dup {
				return badValue("INVALID_VALUE", "id", "duplicate client object id %s", o.ID)
			}
			ids[o.ID] = s.newID("")
			*mappings = append(*mappings, map[string]string{"client_object_id": o.ID, "object_id": ids[o.ID]})
		}
		var nested []CatalogObject
		if o.ItemData != nil {
			nested = o.ItemData.Variations
		}
		if o.ModifierListData != nil {
			nested = o.ModifierListData.Modifiers
		}
		for i := range nested {
			if err := assign(&nested[i]); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range objs {
		if err := assign(&objs[i]); err != nil {
			return nil, err
		}
	}
	resolve := func(id, field string) (string, *catalogError) {
		if !isClientID(id) {
			return id, nil
		}
		if real, ok := ids[id]; ok {
			return real, nil
		}
		return "", badValue("INVALID_VALUE", field, "unknown client object id %s", id)
	}
	var top []string
	var items []string
	for i := range objs {
		id, err := s.upsert(objs[i], "", resolve)
		if err != nil {
			return nil, err
		}
		top = append(top, id)
		if objs[i].Type == "ITEM" {
			items = append(items, id)
		}
	}
	// References are checked once the whole batch is in.
	for _, id := range items {
		d := s.objects[id].ItemData
		for _, t := range d.TaxIDs {
			if o := s.objects[t]; o == nil || o.Type != "TAX" {
				return nil, badValue("INVALID_VALUE", "item_data.tax_ids", "tax %s not found", t)
			}
		}
		for _, c := range d.Categories {
			if o := s.objects[c.ID]; o == nil || o.Type != "CATEGORY" {
				return nil, badValue("INVALID_VALUE", "item_data.categories", "category %s not found", c.ID)
			}
		}
		for _, m := range d.ModifierListInfo {
			if o := s.objects[m.ModifierListID]; o == nil || o.Type != "MODIFIER_LIST" {
				return nil, badValue("INVALID_VALUE", "item_data.modifier_list_info", "modifier list %s not found", m.ModifierListID)
			}
		}
	}
	out := make([]CatalogObject, 0, len(top))
	for _, id := range top {
		out = append(out, s.render(id))
	}
	return out, nil
}

var wantData = map[string]func(*CatalogObject) bool{
	"ITEM":           func(o *CatalogObject) bool { return o.ItemData != nil },
	"ITEM_VARIATION": func(o *CatalogObject) bool { return o.ItemVariationData != nil },
	"MODIFIER_LIST":  func(o *CatalogObject) bool { return o.ModifierListData != nil },
	"MODIFIER":       func(o *CatalogObject) bool { return o.ModifierData != nil },
	"TAX":            func(o *CatalogObject) bool { return o.TaxData != nil },
	"CATEGORY":       func(o *CatalogObject) bool { return o.CategoryData != nil },
}

// upsert stores one object (and its nested children) and returns its id.
// parent is the enclosing item or modifier list for nested objects.
func (s *Server) upsert(o CatalogObject, parent string, resolve func(id, field string) (string, *catalogError)) (string, *catalogError) {
	has, ok := wantData[o.Type]
	if !ok {
		return "", badValue("INVALID_VALUE", "type", "the stand-in does not support %s objects", o.Type)
	}
	if !has(&o) {
		return "", badValue("MISSING_REQUIRED_PARAMETER", strings.ToLower(o.Type)+"_data", "%s %s has no data", o.Type, o.ID)
	}
	id, err := resolve(o.ID, "id")
	if err != nil {
		return "", err
	}
	old := s.objects[id]
	if !isClientID(o.ID) {
		if old == nil {
			return "", badValue("NOT_FOUND", "id", "catalog object %s not found", o.ID)
		}
		if old.Type != o.Type {
			return "", badValue("INVALID_VALUE", "type", "object %s is a %s, not a %s", id, old.Type, o.Type)
		}
		if o.Version != old.Version {
			return "", badValue("VERSION_MISMATCH", "version",
				"object %s: version %d does not match the latest version %d", id, o.Version, old.Version)
		}
	}
	o.ID, o.Version, o.UpdatedAt, o.IsDeleted = id, s.nextVersion(), stamp(s.now()), false
	switch o.Type {
	case "ITEM":
		d := *o.ItemData
		if len(d.Variations) == 0 {
			return "", badValue("INVALID_VALUE", "item_data.variations", "an item must have at least one variation")
		}
		for i, t := range d.TaxIDs {
			if d.TaxIDs[i], err = resolve(t, "item_data.tax_ids"); err != nil {
				return "", err
			}
		}
		d.Categories = append([]CatalogObjectCategory(nil), d.Categories...)
		for i := range d.Categories {
			if d.Categories[i].ID, err = resolve(d.Categories[i].ID, "item_data.categories"); err != nil {
				return "", err
			}
		}
		d.ModifierListInfo = append([]CatalogItemModifierListInfo(nil), d.ModifierListInfo...)
		for i := range d.ModifierListInfo {
			if d.ModifierListInfo[i].ModifierListID, err = resolve(d.ModifierListInfo[i].ModifierListID, "item_data.modifier_list_info"); err != nil {
				return "", err
			}
		}
		var kids []string
		for _, v := range d.Variations {
			if v.Type != "ITEM_VARIATION" {
				return "", badValue("INVALID_VALUE", "item_data.variations", "an item's variations must be ITEM_VARIATION objects")
			}
			vid, err := s.upsert(v, id, resolve)
			if err != nil {
				return "", err
			}
			kids = append(kids, vid)
		}
		d.Variations = nil
		o.ItemData = &d
		s.replaceChildren(id, kids)
	case "MODIFIER_LIST":
		d := *o.ModifierListData
		var kids []string
		for _, m := range d.Modifiers {
			if m.Type != "MODIFIER" {
				return "", badValue("INVALID_VALUE", "modifier_list_data.modifiers", "a list's modifiers must be MODIFIER objects")
			}
			mid, err := s.upsert(m, id, resolve)
			if err != nil {
				return "", err
			}
			kids = append(kids, mid)
		}
		d.Modifiers = nil
		o.ModifierListData = &d
		s.replaceChildren(id, kids)
	case "ITEM_VARIATION":
		d := *o.ItemVariationData
		item := parent
		if item == "" {
			if item, err = resolve(d.ItemID, "item_variation_data.item_id"); err != nil {
				return "", err
			}
			if p := s.objects[item]; p == nil || p.Type != "ITEM" {
				return "", badValue("INVALID_VALUE", "item_variation_data.item_id", "item %q not found", d.ItemID)
			}
			s.addChild(item, id)
		} else if d.ItemID != "" {
			if got, err := resolve(d.ItemID, "item_variation_data.item_id"); err != nil || got != item {
				return "", badValue("INVALID_VALUE", "item_variation_data.item_id", "item_id %s is not the enclosing item", d.ItemID)
			}
		}
		d.ItemID = item
		o.ItemVariationData = &d
	case "MODIFIER":
		d := *o.ModifierData
		list := parent
		if list == "" {
			if list, err = resolve(d.ModifierListID, "modifier_data.modifier_list_id"); err != nil {
				return "", err
			}
			if p := s.objects[list]; p == nil || p.Type != "MODIFIER_LIST" {
				return "", badValue("INVALID_VALUE", "modifier_data.modifier_list_id", "modifier list %q not found", d.ModifierListID)
			}
			s.addChild(list, id)
		}
		d.ModifierListID = list
		o.ModifierData = &d
	}
	s.objects[id] = &o
	return id, nil
}

// replaceChildren sets parent's children; children left out are deleted,
// as Square does for variations omitted from a full item update (verify).
func (s *Server) replaceChildren(parent string, kids []string) {
	keep := map[string]bool{}
	for _, k := range kids {
		keep[k] = true
	}
	for _, old := range s.children[parent] {
		if !keep[old] {
			delete(s.objects, old)
		}
	}
	s.children[parent] = kids
}

func (s *Server) addChild(parent, id string) {
	for _, k := range s.children[parent] {
		if k == id {
			return
		}
	}
	s.children[parent] = append(s.children[parent], id)
}

// render returns a copy of the object with its children nested.
func (s *Server) render(id string) CatalogObject {
	o := *s.objects[id]
	switch o.Type {
	case "ITEM":
		d := *o.ItemData
		d.Variations = nil
		for i, k := range s.children[id] {
			v := s.render(k)
			vd := *v.ItemVariationData
			vd.Ordinal = i + 1
			v.ItemVariationData = &vd
			d.Variations = append(d.Variations, v)
		}
		o.ItemData = &d
	case "MODIFIER_LIST":
		d := *o.ModifierListData
		d.Modifiers = nil
		for _, k := range s.children[id] {
			d.Modifiers = append(d.Modifiers, s.render(k))
		}
		o.ModifierListData = &d
	}
	return o
}

func (s *Server) batchRetrieveCatalog(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ObjectIDs []string `json:"object_ids"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []CatalogObject{}
	for _, id := range req.ObjectIDs {
		if _, ok := s.objects[id]; ok {
			out = append(out, s.render(id))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"objects": out})
}

func (s *Server) retrieveCatalogObject(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("object_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[id]; !ok {
		writeError(w, http.StatusNotFound, "INVALID_REQUEST_ERROR", "NOT_FOUND", "object "+id+" not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": s.render(id)})
}

// listCatalog implements GET /v2/catalog/list (types filter, 100 a page).
func (s *Server) listCatalog(w http.ResponseWriter, r *http.Request) {
	types := map[string]bool{}
	for _, t := range strings.Split(r.URL.Query().Get("types"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			types[strings.ToUpper(t)] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, o := range s.objects {
		nested := o.Type == "ITEM_VARIATION" || o.Type == "MODIFIER"
		if (len(types) == 0 && !nested) || types[o.Type] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	page, next, err := paginate(ids, r.URL.Query().Get("cursor"), "list", 100)
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "INVALID_CURSOR", err.Error())
		return
	}
	out := []CatalogObject{}
	for _, id := range page {
		out = append(out, s.render(id))
	}
	resp := map[string]any{"objects": out}
	if next != "" {
		resp["cursor"] = next
	}
	writeJSON(w, http.StatusOK, resp)
}

// Object returns the catalog object with id, children nested.
func (s *Server) Object(id string) (CatalogObject, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[id]; !ok {
		return CatalogObject{}, false
	}
	return s.render(id), true
}

// Objects returns every live catalog object of type typ, sorted by id.
func (s *Server) Objects(typ string) []CatalogObject {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, o := range s.objects {
		if o.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := make([]CatalogObject, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.render(id))
	}
	return out
}

// TouchObject bumps an object's version, as an edit in the Square
// Dashboard would, so that the adapter's next update is stale.
func (s *Server) TouchObject(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[id]
	if !ok {
		return false
	}
	c := *o
	c.Version, c.UpdatedAt = s.nextVersion(), stamp(s.now())
	s.objects[id] = &c
	return true
}

// DeleteObject deletes an object (and its children), as a seller could.
func (s *Server) DeleteObject(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[id]; !ok {
		return false
	}
	for _, k := range s.children[id] {
		delete(s.objects, k)
	}
	delete(s.children, id)
	delete(s.objects, id)
	for p, kids := range s.children {
		for i, k := range kids {
			if k == id {
				s.children[p] = append(kids[:i:i], kids[i+1:]...)
				break
			}
		}
	}
	return true
}

// batchDeleteCatalog implements POST /v2/catalog/batch-delete
// (BatchDeleteCatalogObjects): deletion cascades to children, the call
// succeeds for the ids it could delete and lists only those.
func (s *Server) batchDeleteCatalog(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ObjectIDs []string `json:"object_ids"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.ObjectIDs) == 0 {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST_ERROR", "MISSING_REQUIRED_PARAMETER", "object_ids is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	deleted := []string{}
	for _, id := range req.ObjectIDs {
		if _, ok := s.objects[id]; !ok {
			continue
		}
		deleted = append(deleted, id)
		for _, k := range s.children[id] {
			deleted = append(deleted, k)
		}
		s.deleteLocked(id)
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted_object_ids": deleted, "deleted_at": stamp(s.now())})
}

// deleteLocked removes id, its children and references to it as a child.
func (s *Server) deleteLocked(id string) {
	for _, k := range s.children[id] {
		delete(s.objects, k)
	}
	delete(s.children, id)
	delete(s.objects, id)
	for p, kids := range s.children {
		for i, k := range kids {
			if k == id {
				s.children[p] = append(kids[:i:i], kids[i+1:]...)
				break
			}
		}
	}
}

// EditObject changes a stored object as a seller editing it at the POS or
// in the Dashboard would (its version moves on). It reports whether the
// object exists.
func (s *Server) EditObject(id string, fn func(*CatalogObject)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[id]
	if !ok {
		return false
	}
	c := *o
	fn(&c)
	c.Version, c.UpdatedAt = s.nextVersion(), stamp(s.now())
	s.objects[id] = &c
	return true
}

// SeedItem creates an item with one variation as a seller would at the
// POS and returns the item's and the variation's ids.
func (s *Server) SeedItem(name, variation string, price Money) (itemID, variationID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	itemID, variationID = s.nextSeq("ITEM"), s.nextSeq("VAR")
	v := s.nextVersion()
	s.objects[itemID] = &CatalogObject{Type: "ITEM", ID: itemID, Version: v, UpdatedAt: stamp(s.now()),
		PresentAtAllLocations: boolPtr(true), ItemData: &CatalogItem{Name: name}}
	s.objects[variationID] = &CatalogObject{Type: "ITEM_VARIATION", ID: variationID, Version: v, UpdatedAt: stamp(s.now()),
		PresentAtAllLocations: boolPtr(true), ItemVariationData: &CatalogItemVariation{ItemID: itemID, Name: variation,
			PricingType: "FIXED_PRICING", PriceMoney: &price}}
	s.children[itemID] = []string{variationID}
	return itemID, variationID
}

func boolPtr(b bool) *bool { return &b }
