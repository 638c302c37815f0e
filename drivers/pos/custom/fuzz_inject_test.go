package custom

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// FuzzOrderCreateLoyverse feeds arbitrary Aura orders through the shipped
// Loyverse manifest's order_create body (no network): no panics, and for
// a valid order either a clear error or a body with store_id, the Aura
// order id as order, one line per order line with its variant id and
// quantity, and one payment of the order total.
func FuzzOrderCreateLoyverse(f *testing.F) {
	m, err := os.ReadFile(filepath.Join("..", "..", "..", "configs", "adapters", "loyverse.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	a, err := NewAdapter(pos.Config{IntegrationID: "fuzz", Credentials: map[string]string{"access_token": "t", "webhook_secret": "w"},
		Settings: map[string]string{"manifest_yaml": string(m), "store_id": "S", "base_url": "http://127.0.0.1:1",
			"payment_type_id": "P"}})
	if err != nil {
		f.Fatal(err)
	}
	seed := model.Order{ID: "ord-1", Currency: "USD", State: model.OrderOpen, CreatedAt: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC),
		Note: "pickup", LineItems: []model.LineItem{
			{ID: "l1", ItemID: "i", VariationID: "v", Name: "Latte", Quantity: model.Q(2), UnitPrice: model.M(525, "USD"), Note: "hot"},
			{ID: "l2", ItemID: "c", VariationID: "w", Name: "Beans", Quantity: 375, UnitPrice: model.M(3199, "USD")},
		}}
	seed.Totals = model.Totals{Subtotal: model.M(2250, "USD"), Total: model.M(2250, "USD")}
	b, _ := json.Marshal(seed)
	f.Add(b)
	f.Add([]byte(`{"id":"x","currency":"JPY","state":"open","created_at":"0001-01-01T00:00:00Z","line_items":[{"id":"l","variation_id":"v","name":"n","quantity":0.001,"unit_price":{"amount":1,"currency":"JPY"}}],"totals":{"total":{"amount":0,"currency":"JPY"}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var o model.Order
		if json.Unmarshal(raw, &o) != nil {
			return
		}
		lines := make([]pos.InjectLine, len(o.LineItems))
		for i, l := range o.LineItems {
			lines[i] = pos.InjectLine{LineItem: l, VendorVariationID: "var-" + l.ID}
		}
		req := pos.InjectRequest{Key: "k", Order: o, Lines: lines}
		in, err := injectInput(req, "aura-k")
		if err != nil {
			return
		}
		now := time.Unix(0, 0)
		data := a.data(now, map[string]any{"key": "k", "idempotency_key": "aura-k", "order_id": o.ID, "since": ""})
		p, err := a.prepare(context.Background(), a.create.req, data, in, runVars{now: now, job: map[string]any{"order_id": o.ID}})
		if err != nil || o.Validate() != nil {
			return
		}
		var body struct {
			StoreID   string `json:"store_id"`
			Order     string `json:"order"`
			LineItems []struct {
				VariantID string      `json:"variant_id"`
				Quantity  json.Number `json:"quantity"`
			} `json:"line_items"`
			Payments []struct {
				PaymentTypeID string `json:"payment_type_id"`
			} `json:"payments"`
		}
		if err := json.Unmarshal(p.Body, &body); err != nil {
			t.Fatalf("body is not a receipt: %v: %s", err, p.Body)
		}
		if body.StoreID != "S" || body.Order != o.ID || len(body.LineItems) != len(o.LineItems) || len(body.Payments) != 1 ||
			body.Payments[0].PaymentTypeID != "P" {
			t.Fatalf("body %s for order %s", p.Body, raw)
		}
		for i, l := range body.LineItems {
			q, err := model.ParseQuantity(string(l.Quantity))
			if l.VariantID != "var-"+o.LineItems[i].ID || err != nil || q != o.LineItems[i].Quantity {
				t.Fatalf("line %d: %+v for %+v", i, l, o.LineItems[i])
			}
		}
	})
}
