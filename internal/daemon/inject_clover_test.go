package daemon

import (
	"maps"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
)

// The Clover stand-in driver of TestInjectEndToEnd; its cases are in
// testdata/inject/clover. An injected order is the one titled "Aura <id>".
func init() { registerInjectStandIn("clover", cloverInjectStandIn) }

func cloverInjectStandIn(t *testing.T) *injectStandIn {
	srv := clovertest.Start(t)
	settings := maps.Clone(srv.Settings())
	settings["base_url"] = srv.URL()
	find := func(vendorOrderID string) (clovertest.Order, bool) {
		for _, o := range srv.Orders() {
			if o.ID == vendorOrderID {
				return o, true
			}
		}
		return clovertest.Order{}, false
	}
	return &injectStandIn{vendor: "clover", creds: srv.Credentials(), settings: settings,
		ordersFor: func(auraID string) []string {
			var ids []string
			for _, o := range srv.Orders() {
				if o.Title == "Aura "+auraID {
					ids = append(ids, o.ID)
				}
			}
			return ids
		},
		checkOrder: func(t *testing.T, vendorOrderID string) {
			o, ok := find(vendorOrderID)
			if !ok || len(o.Payments) != 1 || len(o.LineItems) != 3 {
				t.Fatalf("order %s at Clover: %+v, want 3 line items and 1 payment", vendorOrderID, o)
			}
			if o.PaymentState != "PAID" {
				t.Errorf("payment state %q, want PAID (total %d, paid %d)", o.PaymentState, o.Total, o.Payments[0].Amount)
			}
		},
	}
}
