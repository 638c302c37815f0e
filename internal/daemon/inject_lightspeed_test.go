package daemon

import (
	"maps"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
)

// The Lightspeed X-Series stand-in driver of TestInjectEndToEnd; its cases
// are in testdata/inject/lightspeed. An injected order is a sale whose
// source id is the Aura order id; a refund is a return sale.
func init() { registerInjectStandIn("lightspeed", lightspeedInjectStandIn) }

func lightspeedInjectStandIn(t *testing.T) *injectStandIn {
	srv := lightspeedtest.Start(t)
	settings := srv.Settings("USD")
	maps.Copy(settings, lightspeedtest.InjectSettings())
	return &injectStandIn{vendor: "lightspeed", creds: srv.Credentials(), settings: settings,
		ordersFor: srv.SalesBySource,
		checkRefund: func(t *testing.T, vendorOrderID, refundID string) {
			if rs := srv.ReturnsOf(vendorOrderID); len(rs) != 1 || rs[refundID] != "closed" {
				t.Errorf("returns of the sale at Lightspeed: %v, want one closed (%s)", rs, refundID)
			}
		},
	}
}
