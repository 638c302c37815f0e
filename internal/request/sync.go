package request

import (
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/model"
)

// MenuPush pushes a menu to the POS: the body of POST
// /integrations/pos/sync/menu and the data of the menu.push command.
type MenuPush struct {
	IntegrationID string      `json:"integration_id,omitempty"`
	Menu          *model.Menu `json:"menu,omitempty"` // absent: the last menu received
	DryRun        bool        `json:"dry_run,omitempty"`
	// AllowDeletions lets the push delete more than menu.max_delete_share
	// of the objects pushed before.
	AllowDeletions bool `json:"allow_deletions,omitempty"`
}

// MenuOrLatest is the request's menu, or the last one received (latest)
// when it has none.
func (r *MenuPush) MenuOrLatest(latest func() (*model.Menu, error)) (*model.Menu, error) {
	if r.Menu != nil {
		return r.Menu, nil
	}
	if m, err := latest(); err == nil && m != nil {
		return m, nil
	}
	return nil, &Error{Code: "no_menu", Message: "no menu in the request and none received before", Field: "menu"}
}

// Options are the push options the request asks for.
func (r *MenuPush) Options() bridge.PushOptions {
	return bridge.PushOptions{DryRun: r.DryRun, AllowDeletions: r.AllowDeletions}
}

// SyncOrders pulls orders now: the body of POST
// /integrations/pos/sync/orders and the data of the orders.sync command.
type SyncOrders struct {
	IntegrationID string `json:"integration_id,omitempty"` // empty: every integration
}

// Inject creates an Aura order (and its payment) in the POS: the body of
// POST /integrations/pos/orders/inject and the data of order.inject.
type Inject struct {
	IntegrationID string         `json:"integration_id,omitempty"`
	Order         *model.Order   `json:"order"`
	Payment       *model.Payment `json:"payment,omitempty"`
}

// Validate checks that there is an order to create (the order itself is
// checked by the bridge before anything is sent to the vendor).
func (r *Inject) Validate() error {
	if r.Order == nil {
		return &Error{Code: "missing_field", Message: `send the order to create as "order"`, Field: "order"}
	}
	return nil
}

// Refund refunds an injected or pulled order at the POS: the body of
// POST /integrations/pos/orders/refund and the data of order.refund.
type Refund struct {
	IntegrationID string `json:"integration_id,omitempty"`
	bridge.RefundSpec
}
