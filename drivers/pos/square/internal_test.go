package square

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// BenchmarkNormaliseOrder converts the split-tender fixture (two lines,
// modifier, discount, tax, service charge, two tenders) to an Aura order.
func BenchmarkNormaliseOrder(b *testing.B) {
	raw, err := os.ReadFile("testdata/orders/split_tender_discount.json")
	if err != nil {
		b.Fatal(err)
	}
	var so order
	if err := json.Unmarshal(raw, &so); err != nil {
		b.Fatal(err)
	}
	a, err := NewAdapter(pos.Config{IntegrationID: "bench", Credentials: map[string]string{"access_token": "t"},
		Settings: map[string]string{"location_id": "L1"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.normaliseOrder(&so, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzNormaliseOrder feeds arbitrary Square order JSON to the normaliser:
// it must not panic, and whatever it accepts is a valid Aura order whose
// total is Square's total_money.
func FuzzNormaliseOrder(f *testing.F) {
	// Small seeds: the minimiser is quadratic in the input size.
	f.Add([]byte(`{"id":"O","state":"COMPLETED","version":2,"created_at":"2026-01-01T00:00:00Z",` +
		`"line_items":[{"uid":"a","name":"L","quantity":"2","base_price_money":{"amount":450,"currency":"USD"},` +
		`"modifiers":[{"uid":"m","name":"M","base_price_money":{"amount":75,"currency":"USD"}}]}],` +
		`"discounts":[{"uid":"d","applied_money":{"amount":50,"currency":"USD"},"scope":"ORDER"}],` +
		`"taxes":[{"uid":"t","type":"ADDITIVE","applied_money":{"amount":80,"currency":"USD"}}],` +
		`"tenders":[{"id":"T","type":"CARD","amount_money":{"amount":1180,"currency":"USD"},"tip_money":{"amount":100,"currency":"USD"}}],` +
		`"total_money":{"amount":1180,"currency":"USD"},"total_tip_money":{"amount":100,"currency":"USD"}}`))
	f.Add([]byte(`{"id":"O","state":"OPEN","version":1,"created_at":"2026-01-01T00:00:00Z","line_items":[{"quantity":"1.123456","base_price_money":{"amount":5,"currency":"USD"}}],"total_money":{"amount":6,"currency":"USD"}}`))
	f.Add([]byte(`{"id":"O","created_at":"2026-01-01T00:00:00Z","line_items":[{"quantity":"2","base_price_money":{"amount":9223372036854775807,"currency":"USD"}}]}`))
	f.Add([]byte(`{"id":"O","created_at":"2026-01-01T00:00:00Z","rounding_adjustment":{"amount_money":{"amount":-3}},"line_items":[{"quantity":"1","modifiers":[{"quantity":"-1"}]}],"total_money":{"amount":-7,"currency":"JPY"}}`))
	a, err := NewAdapter(pos.Config{IntegrationID: "fuzz", Credentials: map[string]string{"access_token": "t"},
		Settings: map[string]string{"location_id": "L1"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var so order
		if json.Unmarshal(data, &so) != nil {
			return
		}
		o, err := a.normaliseOrder(&so, nil, nil)
		if err != nil {
			return
		}
		if ps := o.Validate(); ps != nil {
			t.Fatalf("accepted an invalid order: %v", ps)
		}
		if so.TotalMoney != nil && o.Totals.Total.Amount != so.TotalMoney.Amount {
			t.Fatalf("total %d, square %d", o.Totals.Total.Amount, so.TotalMoney.Amount)
		}
	})
}
