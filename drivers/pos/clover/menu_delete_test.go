package clover_test

import (
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
)

// TestPushMenuDeletesRemovedObjects: the cake (one Clover item), the extras
// group (with its modifiers), the whole-milk modifier of a kept group and
// the category are deleted at Clover; a dry run first says "would delete".
func TestPushMenuDeletesRemovedObjects(t *testing.T) {
	e := setup(t, nil)
	menu := loadMenu(t)
	first, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cakeID := vendorID(t, first, pos.KindVariation, "var-cake")
	menu.Items = menu.Items[:2]
	menu.Items[0].ModifierGroupIDs = []string{"grp-milk"}
	menu.Items[0].CategoryID = ""
	menu.Categories = nil
	menu.ModifierGroups = menu.ModifierGroups[:1]
	menu.ModifierGroups[0].Modifiers = menu.ModifierGroups[0].Modifiers[:1]
	gone := map[string]pos.Status{
		"variation/var-cake": pos.StatusDeleted, "item/item-cake": pos.StatusDeleted,
		"modifier_group/grp-extras": pos.StatusDeleted, "modifier/mod-shot": pos.StatusDeleted,
		"modifier/mod-vanilla": pos.StatusDeleted, "modifier/mod-whole": pos.StatusDeleted,
		"category/cat-coffee": pos.StatusDeleted,
	}
	e.srv.ResetRequests()
	plan, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range plan {
		if w, ok := gone[string(r.Kind)+"/"+r.AuraID]; ok && (r.Status != w || r.Reason != pos.WouldDelete) {
			t.Errorf("dry run %s %s: %s %q, want %s (would delete)", r.Kind, r.AuraID, r.Status, r.Reason, w)
		}
	}
	if ws := e.srv.Writes(); len(ws) != 0 {
		t.Fatalf("dry run wrote: %s", writesJSON(t, ws))
	}
	res, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := statuses(res)
	for k, w := range gone {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}
	var deletes []string
	for _, r := range e.srv.Writes() {
		if r.Method == "DELETE" {
			deletes = append(deletes, r.Path)
		}
	}
	m := "/v3/merchants/" + e.srv.Merchant()
	if len(deletes) != 4 || deletes[1] != m+"/modifier_groups/"+vendorID(t, first, pos.KindModifierGroup, "grp-extras") ||
		deletes[2] != m+"/items/"+cakeID {
		t.Errorf("DELETE requests: %v", deletes)
	}
	if _, ok := e.srv.Item(cakeID); ok {
		t.Errorf("cake still at Clover")
	}
	if n := len(e.srv.ModifierGroups()); n != 1 {
		t.Errorf("%d modifier groups left, want 1", n)
	}
	if n := len(e.srv.Modifiers()); n != 1 {
		t.Errorf("%d modifiers left, want 1 (oat)", n)
	}
	if n := len(e.srv.Categories()); n != 0 {
		t.Errorf("%d categories left", n)
	}
	// Nothing more to delete the next time.
	res, err = e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status.IsRemoval() {
			t.Errorf("second push deletes %s %s again", r.Kind, r.AuraID)
		}
	}
}

// TestAvailabilityAndCatalog: 86ing an item sets available=false on the
// Clover items of its variations and back; the catalog read maps Clover
// ids back to Aura ids and shows a price changed on the device.
func TestAvailabilityAndCatalog(t *testing.T) {
	e := setup(t, nil)
	first, err := e.a.PushMenu(ctx(t), loadMenu(t), pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{vendorID(t, first, pos.KindVariation, "var-latte-12"), vendorID(t, first, pos.KindVariation, "var-latte-16")}
	for _, avail := range []bool{false, true} {
		res, err := e.a.SetAvailability(ctx(t), []pos.AvailabilityChange{
			{Kind: pos.KindItem, AuraID: "item-latte", Available: avail},
			{Kind: pos.KindModifier, AuraID: "mod-oat", Available: avail},
			{Kind: pos.KindVariation, AuraID: "var-never-pushed", Available: avail},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Status != pos.StatusUpdated || res[1].Status != pos.StatusUpdated || res[2].Status != pos.StatusFailed {
			t.Fatalf("availability %v: %+v", avail, res)
		}
		for _, id := range ids {
			if it, _ := e.srv.Item(id); it.Available != avail {
				t.Errorf("item %s available %v, want %v", id, it.Available, avail)
			}
		}
		for _, m := range e.srv.Modifiers() {
			if m.Name == "Oat milk" && m.Available != avail {
				t.Errorf("oat milk available %v, want %v", m.Available, avail)
			}
		}
	}
	e.srv.EditItem(ids[0], func(it *clovertest.Item) { it.Price = 499 })
	objs, err := e.a.ReadCatalog(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range objs {
		if o.AuraID == "var-latte-12" {
			found = o.Price != nil && *o.Price == 499 && o.Parent == "item-latte"
		}
	}
	if !found {
		t.Errorf("catalog: no var-latte-12 at 499 in %+v", objs)
	}
}
