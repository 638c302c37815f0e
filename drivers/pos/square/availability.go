package square

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// Availability at Square: the location-level sold_out flags
// (ItemVariationLocationOverrides.sold_out, ModifierLocationOverrides.sold_out)
// are documented as "Attempts by an application to set this attribute are
// ignored" (api.json, Square-Version 2025-08-20), so an 86 makes the
// variation or modifier absent at the integration's locations
// (CatalogObject.absent_at_location_ids) and putting it back removes them
// from that list. The full object is read first and sent back whole with
// its version, as Square has no sparse updates.

// AvailabilityNote explains the Square mapping in results.
const AvailabilityNote = "made absent at the location (Square ignores applications setting sold_out)"

var _ pos.AvailabilitySetter = (*Adapter)(nil)
var _ pos.CatalogReader = (*Adapter)(nil)

type rawRetrieveResponse struct {
	Errors  []sqError         `json:"errors"`
	Objects []json.RawMessage `json:"objects"`
}

type rawUpsertRequest struct {
	IdempotencyKey string           `json:"idempotency_key"`
	Batches        []map[string]any `json:"batches"`
}

// SetAvailability implements pos.AvailabilitySetter.
func (a *Adapter) SetAvailability(ctx context.Context, changes []pos.AvailabilityChange) ([]pos.ObjectResult, error) {
	results := make([]pos.ObjectResult, len(changes))
	want := map[string]bool{}   // square id -> available
	owner := map[string][]int{} // square id -> change indexes
	var ids []string
	for i, c := range changes {
		results[i] = pos.ObjectResult{Kind: c.Kind, AuraID: c.AuraID, VendorID: c.VendorID, Status: pos.StatusUpdated, Reason: AvailabilityNote}
		vids, err := a.availabilityTargets(c)
		if err != nil {
			results[i].Status, results[i].Reason = pos.StatusFailed, err.Error()
			continue
		}
		if results[i].VendorID == "" && len(vids) == 1 {
			results[i].VendorID = vids[0]
		}
		for _, id := range vids {
			if _, dup := want[id]; !dup {
				ids = append(ids, id)
			}
			want[id] = c.Available
			owner[id] = append(owner[id], i)
		}
	}
	if len(ids) == 0 {
		return results, nil
	}
	fail := func(id string, why string) {
		for _, i := range owner[id] {
			results[i].Status, results[i].Reason = pos.StatusFailed, why
		}
	}
	var got rawRetrieveResponse
	if _, err := a.call(ctx, "catalog batch-retrieve", http.MethodPost, "/v2/catalog/batch-retrieve", nil,
		batchRetrieveCatalogRequest{ObjectIDs: ids}, &got); err != nil {
		for _, id := range ids {
			fail(id, err.Error())
		}
		return results, err
	}
	found := map[string]bool{}
	var objs []map[string]any
	for _, raw := range got.Objects {
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil {
			continue
		}
		id, _ := o["id"].(string)
		if _, ok := want[id]; !ok {
			continue
		}
		found[id] = true
		delete(o, "updated_at")
		delete(o, "created_at")
		delete(o, "is_deleted")
		o["absent_at_location_ids"] = a.absentList(o["absent_at_location_ids"], want[id])
		objs = append(objs, o)
	}
	for _, id := range ids {
		if !found[id] {
			fail(id, "square has no catalog object "+id+" (deleted at the POS?)")
		}
	}
	if len(objs) == 0 {
		return results, nil
	}
	body, _ := json.Marshal(objs)
	sum := sha256.Sum256(body)
	req := rawUpsertRequest{IdempotencyKey: "aura-avail-" + hex.EncodeToString(sum[:])[:32],
		Batches: []map[string]any{{"objects": objs}}}
	var resp batchUpsertResponse
	_, err := a.callWrite(ctx, "catalog batch-upsert (availability)", http.MethodPost, "/v2/catalog/batch-upsert", req, &resp)
	if err == nil && len(resp.Errors) > 0 {
		err = classify(&pos.VendorError{Vendor: Vendor, Op: "catalog batch-upsert", Status: http.StatusOK,
			Code: resp.Errors[0].Code, Message: joinErrors(resp.Errors), Kind: pos.Invalid})
	}
	if err != nil {
		for _, o := range objs {
			fail(o["id"].(string), err.Error())
		}
		if k := pos.KindOf(err); k == pos.Retryable || k == pos.Auth {
			return results, err
		}
		return results, nil
	}
	// Keep the mappings' versions current so the next menu push is not stale.
	versions := map[string]int64{}
	walkObjects(resp.Objects, func(o *catalogObject) { versions[o.ID] = o.Version })
	for _, c := range changes {
		for _, kind := range []pos.ObjectKind{pos.KindVariation, pos.KindModifier} {
			all, _ := a.maps.List(kind)
			for auraID, m := range all {
				if v, ok := versions[m.VendorID]; ok && (auraID == c.AuraID || m.Extra["parent"] == c.AuraID) {
					m.Version = strconv.FormatInt(v, 10)
					_ = a.maps.Put(kind, auraID, m)
				}
			}
		}
	}
	return results, nil
}

// availabilityTargets returns the Square ids an availability change
// touches: the variation or modifier, or every variation of an item.
func (a *Adapter) availabilityTargets(c pos.AvailabilityChange) ([]string, error) {
	if c.VendorID != "" {
		return []string{c.VendorID}, nil
	}
	switch c.Kind {
	case pos.KindVariation, pos.KindModifier:
		m, err := a.maps.Get(c.Kind, c.AuraID)
		if err != nil {
			return nil, err
		}
		if m == nil || m.VendorID == "" {
			return nil, fmt.Errorf("%s %s was never pushed to Square; push the menu first", c.Kind, c.AuraID)
		}
		return []string{m.VendorID}, nil
	case pos.KindItem:
		all, err := a.maps.List(pos.KindVariation)
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, m := range all {
			if m.Extra["parent"] == c.AuraID && m.VendorID != "" {
				ids = append(ids, m.VendorID)
			}
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("item %s was never pushed to Square; push the menu first", c.AuraID)
		}
		slices.Sort(ids)
		return ids, nil
	}
	return nil, fmt.Errorf("%s objects have no availability at Square; name an item, variation or modifier", c.Kind)
}

// absentList adds (unavailable) or removes (available) the integration's
// locations in a decoded absent_at_location_ids value.
func (a *Adapter) absentList(v any, available bool) []string {
	var out []string
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if s, ok := x.(string); ok && !(available && slices.Contains(a.set.locationIDs, s)) {
				out = append(out, s)
			}
		}
	}
	if !available {
		for _, l := range a.set.locationIDs {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

type listCatalogResponse struct {
	Errors  []sqError       `json:"errors"`
	Objects []catalogObject `json:"objects"`
	Cursor  string          `json:"cursor"`
}

// maxCatalogPages bounds one catalog read (100 objects a page).
const maxCatalogPages = 200

// ReadCatalog implements pos.CatalogReader with GET /v2/catalog/list
// (items with their variations, modifier lists with their modifiers).
func (a *Adapter) ReadCatalog(ctx context.Context) ([]pos.CatalogObject, error) {
	reverse := map[string]string{} // square id -> aura id
	for _, k := range []pos.ObjectKind{pos.KindItem, pos.KindVariation, pos.KindModifierGroup, pos.KindModifier} {
		all, err := a.maps.List(k)
		if err != nil {
			return nil, err
		}
		for auraID, m := range all {
			reverse[m.VendorID] = auraID
		}
	}
	var out []pos.CatalogObject
	add := func(kind pos.ObjectKind, o *catalogObject, name string, price *money, parent string) {
		co := pos.CatalogObject{Kind: kind, AuraID: reverse[o.ID], VendorID: o.ID, Name: name, Parent: parent}
		if price != nil {
			co.Price = &price.Amount
		}
		out = append(out, co)
	}
	q := url.Values{"types": {"ITEM,MODIFIER_LIST"}}
	for page := 0; page < maxCatalogPages; page++ {
		var resp listCatalogResponse
		if _, err := a.call(ctx, "catalog list", http.MethodGet, "/v2/catalog/list", q, nil, &resp); err != nil {
			return nil, err
		}
		for i := range resp.Objects {
			o := &resp.Objects[i]
			if o.IsDeleted {
				continue
			}
			parent := reverse[o.ID]
			if parent == "" {
				parent = o.ID
			}
			switch {
			case o.ItemData != nil:
				add(pos.KindItem, o, o.ItemData.Name, nil, "")
				for j := range o.ItemData.Variations {
					v := &o.ItemData.Variations[j]
					if v.ItemVariationData != nil && !v.IsDeleted {
						add(pos.KindVariation, v, v.ItemVariationData.Name, v.ItemVariationData.PriceMoney, parent)
					}
				}
			case o.ModifierListData != nil:
				add(pos.KindModifierGroup, o, o.ModifierListData.Name, nil, "")
				for j := range o.ModifierListData.Modifiers {
					m := &o.ModifierListData.Modifiers[j]
					if m.ModifierData != nil && !m.IsDeleted {
						add(pos.KindModifier, m, m.ModifierData.Name, m.ModifierData.PriceMoney, parent)
					}
				}
			}
		}
		if resp.Cursor == "" {
			return out, nil
		}
		q.Set("cursor", resp.Cursor)
	}
	return nil, fmt.Errorf("square catalog has more than %d pages; not compared", maxCatalogPages)
}

// CatalogChanged implements pos.CatalogWebhooks: Square's
// catalog.version.updated and inventory.count.updated events (api.json
// CatalogVersionUpdatedEvent, InventoryCountUpdatedEvent).
func (a *Adapter) CatalogChanged(req pos.WebhookRequest) bool {
	var env struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(req.Body, &env) != nil {
		return false
	}
	return env.Type == "catalog.version.updated" || env.Type == "inventory.count.updated"
}
