package pos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/auraconnect/aura-edge/internal/model"
)

// OrderInjector is implemented by adapters that can create an Aura order
// (and the payment taken for it elsewhere) in the vendor's POS. Adapters
// without it report Unsupported.
//
// InjectOrder must be idempotent for one req.Key: a second call with the
// same key, after a timeout or a restart, must find or return the order
// the first call created (vendor idempotency keys, or a lookup by external
// id where the vendor has none), never create a second one.
type OrderInjector interface {
	InjectOrder(ctx context.Context, req InjectRequest) (*InjectResult, error)
}

// LineMapper is implemented by adapters whose POS owns the menu (Toast:
// its menus are read-only through the API, so no menu push records ids).
// They map an order's lines themselves, from what they read of the POS's
// menu, instead of through MapOrderLines. An item the POS does not know is
// reported as an *UnknownItemError naming every such item, before anything
// is created; other errors (the menu could not be read) are retried.
type LineMapper interface {
	MapOrderLines(ctx context.Context, o *model.Order) ([]InjectLine, error)
}

// Refunder is implemented by adapters that can refund a payment at the
// vendor. Adapters without it report Unsupported.
type Refunder interface {
	RefundOrder(ctx context.Context, req RefundRequest) (*RefundResult, error)
}

// WriteSupport is implemented by adapters whose OrderInjector and Refunder
// depend on their configuration (custom manifests declare order_create and
// refund_create, or not): a non-empty reason means the capability is
// unsupported, for that reason. The host asks before anything else, so an
// unsupported order is not refused for its items first.
type WriteSupport interface {
	InjectUnsupported() string
	RefundUnsupported() string
}

// MissingSetting names an integration setting an adapter needs to create
// an order, and what to put there, in the installer's words.
type MissingSetting struct {
	Name string `json:"name"` // the settings key, e.g. "dining_option_guid"
	Hint string `json:"hint"`
}

// InjectPreflight is implemented by adapters that need settings to create
// orders. MissingInjectSettings names those that order (with pay, when not
// nil) needs and are not set; the host refuses the request before anything
// is stored or sent.
type InjectPreflight interface {
	MissingInjectSettings(order *model.Order, pay *model.Payment) []MissingSetting
}

// PartialInjectSettings reports the injection settings (Driver.InjectSettings)
// of vendor that are missing when some of them are set: an integration
// meant to take orders from Aura but not set up completely. nil when all or
// none are set, or the vendor declares none.
func PartialInjectSettings(vendor string, settings map[string]string) []string {
	d, err := Lookup(vendor)
	if err != nil || len(d.InjectSettings) == 0 {
		return nil
	}
	var set, missing []string
	for _, k := range d.InjectSettings {
		if strings.TrimSpace(settings[k]) != "" {
			set = append(set, k)
		} else {
			missing = append(missing, k)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return missing
}

// InjectLine is one line of an order to inject, already mapped to the
// vendor's catalog ids.
type InjectLine struct {
	model.LineItem
	// VendorVariationID (or VendorItemID for vendors without variations)
	// is the vendor catalog id of what is ordered.
	VendorItemID      string
	VendorVariationID string
	// VendorModifierIDs are parallel to LineItem.Modifiers.
	VendorModifierIDs []string
	// VendorGroupID is the vendor menu group the item is ordered from, and
	// VendorModifierGroupIDs (parallel to VendorModifierIDs) the option
	// group of each modifier, for vendors whose orders name them (Toast
	// itemGroup and optionGroup).
	VendorGroupID          string
	VendorModifierGroupIDs []string
}

// InjectRequest is an order to create at the vendor.
type InjectRequest struct {
	// Key is stable for one injection across retries and restarts (derived
	// from the command id); adapters derive their idempotency keys from it.
	Key string
	// Order is the Aura order; Order.ID is the external reference stored at
	// the vendor (Square reference_id, Clover/Toast external id).
	Order model.Order
	Lines []InjectLine
	// Payment, when set, is recorded at the vendor as taken elsewhere.
	Payment *model.Payment
}

// InjectResult is what the vendor created.
type InjectResult struct {
	VendorOrderID   string `json:"vendor_order_id"`
	VendorPaymentID string `json:"vendor_payment_id,omitempty"`
	// Existing is true when the order was found already created (a retry).
	Existing bool `json:"existing,omitempty"`
}

// RefundRequest asks for a full (Amount zero) or partial refund.
type RefundRequest struct {
	Key             string // stable across retries (from the command id)
	VendorOrderID   string
	VendorPaymentID string // empty: the adapter finds the order's payment
	Amount          model.Money
	Reason          string
}

// RefundResult is the vendor's refund.
type RefundResult struct {
	VendorRefundID string      `json:"vendor_refund_id"`
	Amount         model.Money `json:"amount"`
	Status         string      `json:"status"`
}

// IdempotencyKey derives a vendor idempotency key (at most 45 characters,
// Square's limit for payments) from an injection key and a purpose.
func IdempotencyKey(key, purpose string) string {
	h := sha256.Sum256([]byte(key + "\x00" + purpose))
	return "aura-" + hex.EncodeToString(h[:20])
}

// UnknownItemError refuses an order naming items the POS does not know
// (never pushed by a menu push to this integration).
type UnknownItemError struct {
	Items []string // "Latte (item-latte / var-latte-99)"
	// Hint says what to do (default: push the menu that contains it first,
	// or remove it from the order).
	Hint string
}

func (e *UnknownItemError) Error() string {
	hint := e.Hint
	if hint == "" {
		hint = "push the menu that contains it first, or remove it from the order"
	}
	return fmt.Sprintf("the POS does not know %s: %s; nothing was created", strings.Join(e.Items, ", "), hint)
}

// MapOrderLines maps an order's Aura ids to the vendor's through the menu
// push mappings. Every unknown item is named in one UnknownItemError, so
// that nothing is created for an order the POS cannot take. A line with a
// variation id maps through KindVariation (its parent item's vendor id comes
// from the mapping's Extra["parent_id"] when the adapter recorded one), a
// line with only an item id through KindItem, modifiers through
// KindModifier.
func MapOrderLines(m Mappings, o *model.Order) ([]InjectLine, error) {
	var unknown []string
	lines := make([]InjectLine, 0, len(o.LineItems))
	for _, li := range o.LineItems {
		l := InjectLine{LineItem: li}
		name := li.Name
		if name == "" {
			name = "line " + li.ID
		}
		switch {
		case li.VariationID != "":
			mp, err := m.Get(KindVariation, li.VariationID)
			if err != nil {
				return nil, err
			}
			if mp == nil {
				unknown = append(unknown, fmt.Sprintf("%s (variation %s)", name, li.VariationID))
				continue
			}
			l.VendorVariationID = mp.VendorID
			if mp.Extra["parent_id"] != "" {
				l.VendorItemID = mp.Extra["parent_id"]
			}
		case li.ItemID != "":
			mp, err := m.Get(KindItem, li.ItemID)
			if err != nil {
				return nil, err
			}
			if mp == nil {
				unknown = append(unknown, fmt.Sprintf("%s (item %s)", name, li.ItemID))
				continue
			}
			l.VendorItemID = mp.VendorID
		default:
			unknown = append(unknown, fmt.Sprintf("%s (no menu item id)", name))
			continue
		}
		for _, mod := range li.Modifiers {
			if mod.ModifierID == "" {
				unknown = append(unknown, fmt.Sprintf("modifier %q of %s (no menu modifier id)", mod.Name, name))
				continue
			}
			mp, err := m.Get(KindModifier, mod.ModifierID)
			if err != nil {
				return nil, err
			}
			if mp == nil {
				unknown = append(unknown, fmt.Sprintf("modifier %q of %s (%s)", mod.Name, name, mod.ModifierID))
				continue
			}
			l.VendorModifierIDs = append(l.VendorModifierIDs, mp.VendorID)
		}
		lines = append(lines, l)
	}
	if len(unknown) > 0 {
		return nil, &UnknownItemError{Items: unknown}
	}
	return lines, nil
}
