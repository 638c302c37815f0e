package daemon

import (
	"net/http"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/custom/loyversetest"
)

// The Loyverse stand-in driver of TestCustomVendorsEndToEnd; its cases are
// in testdata/custom/loyverse. An order spec is a loyversetest.Sale (At is
// set to a second ago).
func init() { registerCustomStandIn("loyverse", loyverseCustomStandIn) }

func loyverseCustomStandIn(t *testing.T) *customStandIn {
	srv := loyversetest.Start(t)
	return &customStandIn{creds: srv.Credentials(), settings: srv.Settings(),
		seed: func(t *testing.T, spec []byte) (string, int64) {
			var sale loyversetest.Sale
			decodeSpec(t, spec, &sale)
			sale.At = time.Now().UTC().Add(-time.Second)
			r := srv.SeedReceipt(sale)
			return sale.Number, minorOf(t, string(r.TotalMoney))
		},
		writes: func() int { return len(srv.Writes()) },
		webhook: func(ext string, valid bool) (http.Header, []byte) {
			h, b := srv.Webhook(ext)
			if !valid {
				h.Set("X-Loyverse-Signature", loyversetest.Sign("not-the-secret", b))
			}
			return h, b
		},
	}
}
