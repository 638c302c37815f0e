package daemon

import (
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/custom/sumuptest"
)

// The SumUp stand-in driver of TestCustomVendorsEndToEnd; its cases are in
// testdata/custom/sumup. An order spec is a card payment (sumupPayment),
// made a second ago; SumUp has no catalogue and sends no webhooks.
func init() { registerCustomStandIn("sumup", sumupCustomStandIn) }

// sumupPayment are the arguments of sumuptest.Server.Pay.
type sumupPayment struct {
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	PaymentType string `json:"payment_type"`
	CardType    string `json:"card_type"`
	Summary     string `json:"summary"`
}

func sumupCustomStandIn(t *testing.T) *customStandIn {
	srv := sumuptest.Start(t)
	return &customStandIn{creds: srv.Credentials(), settings: srv.Settings(),
		seed: func(t *testing.T, spec []byte) (string, int64) {
			var p sumupPayment
			decodeSpec(t, spec, &p)
			tx := srv.Pay(time.Now().UTC().Add(-time.Second), p.Amount, p.Currency, p.PaymentType, p.CardType, p.Summary)
			return tx.ID, minorOf(t, p.Amount)
		},
		writes: func() int { return 0 },
	}
}
