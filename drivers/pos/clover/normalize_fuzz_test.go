package clover

import (
	"encoding/json"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// FuzzConvertOrder feeds arbitrary order JSON to the normaliser: it must not
// panic, and every order it returns must be valid with a total equal to
// Clover's total plus the tips it counted.
func FuzzConvertOrder(f *testing.F) {
	a, err := NewAdapter(pos.Config{Credentials: map[string]string{"access_token": "x"}, Settings: map[string]string{"merchant_id": "M1"}})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{"id":"O1","currency":"USD","total":572,"state":"locked","paymentState":"PAID","modifiedTime":1718153645000,
		  "lineItems":{"elements":[{"id":"LI1","item":{"id":"IT1"},"name":"Latte","price":450,
		   "modifications":{"elements":[{"name":"Oat","amount":75,"modifier":{"id":"MOD1"}}]},
		   "discounts":{"elements":[]},"taxRates":{"elements":[{"id":"TX1","name":"Sales tax","rate":900000}]}}]},
		  "payments":{"elements":[{"id":"PAY1","amount":572,"tipAmount":100,"taxAmount":47,"result":"SUCCESS","tender":{"id":"T","label":"Credit Card"}}]}}`,
		`{"id":"O2","total":1814,"lineItems":{"elements":[{"id":"a","name":"Burger","price":1200,"taxRates":{"elements":[{"id":"t","rate":800000}]}},
		  {"id":"b","name":"Fries","price":400,"unitQty":1500,"discounts":{"elements":[{"id":"d","name":"x","percentage":"12.5"}]}}]},
		  "discounts":{"elements":[{"id":"od","name":"Staff","percentage":10},{"id":"od2","name":"c","amount":-100}]},
		  "serviceCharge":{"id":"sc","name":"Party","percentageDecimal":180000}}`,
		`{"id":"O3","isVat":true,"total":450,"lineItems":{"elements":[{"id":"a","name":"x","price":450,"taxRates":{"elements":[{"id":"v","rate":2000000}]}}]}}`,
		`{"id":"O4","total":-5}`,
		`{"id":"O5","total":9223372036854775807,"lineItems":{"elements":[{"id":"a","price":9223372036854775807,"unitQty":9223372036854775807}]}}`,
		`{}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, _, err := a.convertWith([]json.RawMessage{body}, nil)
		if err != nil {
			t.Fatal(err) // only State failures may error
		}
		var o cOrder
		for _, ord := range res.Orders {
			if json.Unmarshal(body, &o) != nil {
				t.Fatal("returned an order from undecodable JSON")
			}
			if ps := ord.Validate(); ps != nil {
				t.Fatalf("invalid order returned: %v", ps)
			}
			if ord.Totals.Total.Amount != o.Total+ord.Tip.Amount {
				t.Fatalf("total %d, clover %d + tips %d", ord.Totals.Total.Amount, o.Total, ord.Tip.Amount)
			}
		}
	})
}
