package lightspeed

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/internal/model"
)

func lsInject(f *fixture, key, auraID string) pos.InjectRequest {
	latte := f.srv.AddProduct("Latte", "4.50")
	return pos.InjectRequest{Key: key,
		Order: model.Order{ID: auraID, Currency: "NZD", Note: "table 4"},
		Lines: []pos.InjectLine{{LineItem: model.LineItem{Name: "Latte", Quantity: model.Q(2), UnitPrice: model.M(450, "NZD"), Note: "extra hot"},
			VendorVariationID: latte}},
		Payment: &model.Payment{Method: model.MethodCard, Amount: model.M(900, "NZD")},
	}
}

func TestInjectSaleIdempotent(t *testing.T) {
	ctx := context.Background()
	for _, lose := range []bool{false, true} {
		name := map[bool]string{false: "same command twice", true: "answer lost"}[lose]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, lightspeedtest.InjectSettings())
			req := lsInject(f, "cmd-1", "aura-order-1")
			if lose {
				f.srv.LoseNextSaleAnswer()
			}
			first, err := f.a.InjectOrder(ctx, req)
			if lose {
				if pos.KindOf(err) != pos.Retryable {
					t.Fatalf("lost answer: %v, want retryable", err)
				}
			} else if err != nil || first.Existing || first.VendorPaymentID == "" {
				t.Fatalf("first: %+v %v", first, err)
			}
			again, err := f.a.InjectOrder(ctx, req)
			if err != nil || !again.Existing || again.VendorPaymentID == "" {
				t.Fatalf("retry: %+v %v", again, err)
			}
			ids := f.srv.SalesBySource("aura-order-1")
			if len(ids) != 1 || ids[0] != again.VendorOrderID {
				t.Fatalf("sales for aura-order-1: %v, result %+v", ids, again)
			}
			var sale struct {
				State     string `json:"state"`
				Note      string `json:"note"`
				LineItems []struct {
					Quantity json.Number `json:"quantity"`
					Note     string      `json:"note"`
				} `json:"line_items"`
				Payments []struct {
					Amount json.Number `json:"amount"`
					Type   struct {
						ConfigID string `json:"config_id"`
					} `json:"type"`
				} `json:"payments"`
				Totals struct {
					Price json.Number `json:"price"`
				} `json:"totals"`
			}
			if err := json.Unmarshal(f.srv.SaleJSON(ids[0]), &sale); err != nil {
				t.Fatal(err)
			}
			if sale.State != "closed" || sale.Note != "table 4" || len(sale.LineItems) != 1 || sale.LineItems[0].Quantity != "2" ||
				sale.LineItems[0].Note != "extra hot" || sale.Totals.Price != "9" || len(sale.Payments) != 1 ||
				sale.Payments[0].Amount != "9" || sale.Payments[0].Type.ConfigID != lightspeedtest.InjectPaymentTypeID {
				t.Errorf("sale %+v", sale)
			}
			if n := len(f.srv.Writes()); n != 1 {
				t.Errorf("%d writes, want 1 POST /sales", n)
			}
		})
	}
}

func TestInjectSaleRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	req := lsInject(f, "cmd-2", "aura-order-2")
	if _, err := f.a.InjectOrder(ctx, req); pos.KindOf(err) != pos.Invalid {
		t.Errorf("without inject settings: %v, want invalid", err)
	}
	f = newFixture(t, lightspeedtest.InjectSettings())
	req = lsInject(f, "cmd-3", "aura-order-3")
	req.Lines[0].Modifiers = []model.LineModifier{{Name: "Oat milk"}}
	req.Lines[0].VendorModifierIDs = []string{"m"}
	if _, err := f.a.InjectOrder(ctx, req); pos.KindOf(err) != pos.Invalid {
		t.Errorf("with modifiers: %v, want invalid", err)
	}
	if n := len(f.srv.Writes()); n != 0 {
		t.Errorf("%d writes for refused orders", n)
	}
}

func TestSaleIDIsAUUID(t *testing.T) {
	id := saleID("cmd-1")
	if len(id) != 36 || id[14] != '5' || id != saleID("cmd-1") || id == saleID("cmd-2") {
		t.Errorf("saleID %q", id)
	}
}
