package pos

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/auraconnect/aura-edge/internal/model"
)

// Statuses of objects that were pushed before and are gone from the new
// menu.
const (
	// StatusDeleted: the vendor object was deleted. In a dry run the
	// reason says "would delete".
	StatusDeleted Status = "deleted"
	// StatusArchived: the vendor keeps the object but takes it off sale
	// (e.g. a deactivated Lightspeed product).
	StatusArchived Status = "archived"
)

// WouldDelete is the reason of a deletion reported by a dry run.
const WouldDelete = "would delete"

// IsRemoval reports whether s removes an object from sale.
func (s Status) IsRemoval() bool { return s == StatusDeleted || s == StatusArchived }

// AvailabilitySetter is implemented by adapters that can take a pushed item,
// variation or modifier off sale and put it back ("86ing") without a full
// menu push.
type AvailabilitySetter interface {
	// SetAvailability applies each change and returns one result per
	// change (StatusUpdated, StatusFailed or StatusUnsupported with the
	// reason). The error is for failures of the whole call (auth,
	// transport, rate limits).
	SetAvailability(ctx context.Context, changes []AvailabilityChange) ([]ObjectResult, error)
}

// AvailabilityChange marks one object available or not.
type AvailabilityChange struct {
	Kind      ObjectKind `json:"kind"` // item, variation or modifier
	AuraID    string     `json:"aura_id"`
	Available bool       `json:"available"`
	// VendorID names the vendor object directly, for vendors whose menus
	// are not pushed by Aura (Toast); otherwise the id mapping is used.
	VendorID string `json:"vendor_id,omitempty"`
	// Names are what the object may be called at a vendor that owns the
	// menu (Toast), most specific first ("Latte 16oz", "16oz"), filled in
	// by the host from the menu last received; adapters match them when
	// they have neither VendorID nor a mapping.
	Names []string `json:"names,omitempty"`
}

// CatalogReader is implemented by adapters that can read the vendor's
// catalog back, for drift detection.
type CatalogReader interface {
	// ReadCatalog returns the vendor's current catalog objects. Objects
	// Aura pushed carry their AuraID (from the id mappings); objects made
	// at the POS have only a VendorID.
	ReadCatalog(ctx context.Context) ([]CatalogObject, error)
}

// CatalogObject is one vendor catalog object as drift detection compares
// it with the menu last pushed.
type CatalogObject struct {
	Kind     ObjectKind `json:"kind"`
	AuraID   string     `json:"aura_id,omitempty"`
	VendorID string     `json:"vendor_id"`
	Name     string     `json:"name"`
	// Price in minor units, for variations and modifiers (nil when the
	// vendor has none, e.g. variable pricing).
	Price *int64 `json:"price,omitempty"`
	// Parent is the Aura (or vendor) id of the item or modifier group.
	Parent string `json:"parent,omitempty"`
}

// List returns the mappings of kind by Aura id.
func (m Mappings) List(kind ObjectKind) (map[string]Mapping, error) {
	prefix := mapKey(kind, "")
	raw, err := m.S.List(prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Mapping, len(raw))
	for k, v := range raw {
		var mp Mapping
		if json.Unmarshal(v, &mp) != nil {
			continue
		}
		out[strings.TrimPrefix(k, prefix)] = mp
	}
	return out, nil
}

// ExtraArchived marks a mapping whose vendor object was archived (taken off
// sale but kept): it is not removed again, and an update brings it back.
const ExtraArchived = "archived"

// Removed is an object that was pushed before and is not in the new menu.
type Removed struct {
	Kind    ObjectKind
	AuraID  string
	Mapping Mapping
}

// RemovedObjects lists the mapped objects of kinds that menu no longer has,
// sorted by kind (in the order given) and id.
func (m Mappings) RemovedObjects(menu *model.Menu, kinds ...ObjectKind) ([]Removed, error) {
	ids := MenuIDs(menu)
	var out []Removed
	for _, k := range kinds {
		all, err := m.List(k)
		if err != nil {
			return nil, err
		}
		var gone []string
		for id, mp := range all {
			if ids[id] != k && mp.VendorID != "" && mp.Extra[ExtraArchived] != "true" {
				gone = append(gone, id)
			}
		}
		sort.Strings(gone)
		for _, id := range gone {
			out = append(out, Removed{Kind: k, AuraID: id, Mapping: all[id]})
		}
	}
	return out, nil
}

// MenuIDs returns the kind of every object in menu by id.
func MenuIDs(menu *model.Menu) map[string]ObjectKind {
	ids := map[string]ObjectKind{}
	for _, c := range menu.Categories {
		ids[c.ID] = KindCategory
	}
	for _, t := range menu.Taxes {
		ids[t.ID] = KindTax
	}
	for _, g := range menu.ModifierGroups {
		ids[g.ID] = KindModifierGroup
		for _, mod := range g.Modifiers {
			ids[mod.ID] = KindModifier
		}
	}
	for _, it := range menu.Items {
		ids[it.ID] = KindItem
		for _, v := range it.Variations {
			ids[v.ID] = KindVariation
		}
	}
	return ids
}

// CatalogWebhooks is implemented by adapters whose vendor sends catalog or
// inventory webhooks. The host calls CatalogChanged after VerifyWebhook
// accepted the delivery; true schedules a (debounced) drift check.
type CatalogWebhooks interface {
	CatalogChanged(req WebhookRequest) bool
}
