package toast

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// TestSetAvailabilityThroughStockAPI: objects are found by name in the
// Toast menus (once, then remembered) or by the GUID given, and marked
// OUT_OF_STOCK and IN_STOCK again with PUT /stock/v1/inventory/update.
func TestSetAvailabilityThroughStockAPI(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	large := f.srv.SeedMenuItem("Latte Large", 5.75, false)
	oat := f.srv.SeedMenuItem("Oat", 0.75, true)
	cake := f.srv.SeedMenuItem("Cake", 6, false)
	changes := []pos.AvailabilityChange{
		{Kind: pos.KindVariation, AuraID: "var-2", Names: []string{"Latte Large", "Large"}},
		{Kind: pos.KindModifier, AuraID: "mod-1", Names: []string{"Oat", "Milk: Oat"}},
		{Kind: pos.KindItem, VendorID: cake},
		{Kind: pos.KindItem, AuraID: "item-9", Names: []string{"Muffin"}},
	}
	res, err := f.a.SetAvailability(ctx, changes)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []pos.Status{pos.StatusUpdated, pos.StatusUpdated, pos.StatusUpdated, pos.StatusFailed} {
		if res[i].Status != want {
			t.Errorf("change %d: %+v, want %s", i, res[i], want)
		}
	}
	for _, g := range []string{large, oat, cake} {
		if st := f.srv.Stock(g); st != "OUT_OF_STOCK" {
			t.Errorf("%s is %s", g, st)
		}
	}
	var upd []map[string]any
	for _, r := range f.srv.Requests() {
		if r.Path == "/stock/v1/inventory/update" {
			if r.Method != "PUT" {
				t.Errorf("stock update with %s", r.Method)
			}
			upd = nil
			if err := json.Unmarshal(r.Body, &upd); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(upd) != 3 || upd[0]["status"] != "OUT_OF_STOCK" || upd[0]["quantity"] != nil {
		t.Errorf("stock update body: %v", upd)
	}
	// Back in stock: the match is remembered, the menus are not read again.
	f.srv.ResetRequests()
	for i := range changes {
		changes[i].Available = true
	}
	if res, err = f.a.SetAvailability(ctx, changes[:3]); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{large, oat, cake} {
		if st := f.srv.Stock(g); st != "IN_STOCK" {
			t.Errorf("%s is %s after restore", g, st)
		}
	}
	for _, r := range f.srv.Requests() {
		if r.Path == "/menus/v2/menus" {
			t.Errorf("menus read again for known objects")
		}
	}
	// A GUID Toast does not know is reported, not hidden.
	res, err = f.a.SetAvailability(ctx, []pos.AvailabilityChange{{Kind: pos.KindItem, VendorID: "0b000000-0000-4000-8000-999999999999"}})
	if err != nil || res[0].Status != pos.StatusFailed {
		t.Errorf("unknown guid: %+v %v", res, err)
	}
}
