package daemon

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
)

// The Toast stand-in driver of TestVendorsEndToEnd; its cases are in
// testdata/vendors/toast. Toast menus are read-only here: a push must make
// no request at all, so every request counts as a write.
func init() { registerStandIn("toast", toastStandIn) }

func toastStandIn(t *testing.T, _ string) *standIn {
	srv := toasttest.Start(t)
	return &standIn{
		creds: srv.Credentials(), settings: srv.Settings("USD"),
		writes: func() []vendorRequest {
			var out []vendorRequest
			for _, r := range srv.Requests() {
				out = append(out, vendorRequest{r.Method, r.Path, r.Body})
			}
			return out
		},
		seedOrder: func(t *testing.T, ref string, spec []byte) (string, int64) {
			var os toasttest.OrderSpec
			mustJSON(t, spec, &os)
			os.DisplayNumber = ref
			guid := srv.SeedOrder(os)
			// The vendor's figure, from the spec's definitions: Check.amount
			// (no gratuity, no tax) + taxAmount + gratuity charges + tips.
			// (Before: totalAmount + tips, with the gratuity inside amount.)
			var js struct {
				Checks []struct {
					Amount                json.Number `json:"amount"`
					TaxAmount             json.Number `json:"taxAmount"`
					AppliedServiceCharges []struct {
						ChargeAmount json.Number `json:"chargeAmount"`
						Gratuity     bool        `json:"gratuity"`
					} `json:"appliedServiceCharges"`
					Payments []struct {
						TipAmount json.Number `json:"tipAmount"`
					}
				}
			}
			decodeNumbers(t, srv.OrderJSON(guid), &js)
			var want int64
			for _, c := range js.Checks {
				want += cents(t, string(c.Amount)) + cents(t, string(c.TaxAmount))
				for _, sc := range c.AppliedServiceCharges {
					if sc.Gratuity {
						want += cents(t, string(sc.ChargeAmount))
					}
				}
				for _, p := range c.Payments {
					want += cents(t, string(p.TipAmount))
				}
			}
			return guid, want
		},
		fetches: func(guid string) int {
			n := 0
			for _, r := range srv.Requests() {
				if r.Method == "GET" && r.Path == "/orders/v2/orders/"+guid {
					n++
				}
			}
			return n
		},
		webhook: func(t *testing.T, guid string, sig sigMode) (http.Header, []byte) {
			// Every delivery is Toast's second retry: the event's original
			// signed timestamp, 15 minutes old (Toast retries after 5 and
			// then 10 more minutes). It must be accepted; the replay of it
			// is refused by its GUID, which the bridge keeps in bbolt.
			opts := []toasttest.WebhookOption{toasttest.WebhookAt(time.Now().Add(-15 * time.Minute)), toasttest.Attempt(3)}
			switch sig {
			case sigWrong:
				opts = append(opts, toasttest.WebhookSignedWith("not-the-webhook-secret"))
			case sigMissing:
				opts = append(opts, toasttest.WithoutSignature())
			}
			req := srv.Webhook(guid, opts...)
			return req.Header, req.Body
		},
		failNext: func(t *testing.T, raw []byte) {
			var f toasttest.Fault
			mustJSON(t, raw, &f)
			srv.FailNext(1, f)
		},
	}
}
