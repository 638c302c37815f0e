package lightspeed

import (
	"context"
	"fmt"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

func activeBySource(f *fixture) map[string]bool {
	out := map[string]bool{}
	for _, p := range f.srv.Products() {
		out[p.SourceID+"/"+p.VariantName] = p.IsActive
	}
	return out
}

// TestPushMenuArchivesRemovedProducts: products of removed items, variants
// and add-ons are deactivated and reported archived (a dry run says "would
// archive"); an item that comes back is re-activated, not created again.
func TestPushMenuArchivesRemovedProducts(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if _, err := f.a.PushMenu(ctx, testMenu(), pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	n := len(f.srv.Products())
	m := testMenu()
	m.Items = m.Items[:2] // the paper bag goes
	m.ModifierGroups = nil
	m.Items[0].ModifierGroupIDs = nil // so does the milk group (oat add-on)
	plan, err := f.a.PushMenu(ctx, m, pos.PushOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := resultMap(plan)["item/item-bag"]; r.Status != pos.StatusArchived || r.Reason[:13] != "would archive" {
		t.Errorf("dry run: %+v", r)
	}
	rs, err := f.a.PushMenu(ctx, m, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := resultMap(rs)
	for _, k := range []string{"item/item-bag", "variation/var-bag", "modifier/mod-oat"} {
		if got[k].Status != pos.StatusArchived {
			t.Errorf("%s: %+v, want archived", k, got[k])
		}
	}
	act := activeBySource(f)
	if act["edge:item-bag/Paper bag"] || act["edge:mod-oat/Milk: Oat"] || !act["edge:item-muffin/Muffin"] {
		t.Errorf("active after archive: %v", act)
	}
	// Pushing the same menu again archives nothing more.
	rs, _ = f.a.PushMenu(ctx, m, pos.PushOptions{})
	for _, r := range rs {
		if r.Status.IsRemoval() {
			t.Errorf("archived again: %s %s", r.Kind, r.AuraID)
		}
	}
	// The bag comes back: updated and active, no new product.
	rs, err = f.a.PushMenu(ctx, testMenu(), pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := resultMap(rs)["variation/var-bag"]; r.Status != pos.StatusUpdated {
		t.Errorf("returning bag: %+v", r)
	}
	if act := activeBySource(f); !act["edge:item-bag/Paper bag"] || !act["edge:mod-oat/Milk: Oat"] {
		t.Errorf("active after return: %v", act)
	}
	if len(f.srv.Products()) != n {
		t.Errorf("%d products, want %d (no duplicates)", len(f.srv.Products()), n)
	}
}

// TestSetAvailabilityActiveFlag: 86ing an item deactivates every product
// of its family; putting it back re-activates them.
func TestSetAvailabilityActiveFlag(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if _, err := f.a.PushMenu(ctx, testMenu(), pos.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, avail := range []bool{false, true} {
		rs, err := f.a.SetAvailability(ctx, []pos.AvailabilityChange{{Kind: pos.KindItem, AuraID: "item-latte", Available: avail},
			{Kind: pos.KindModifier, AuraID: "mod-whole", Available: avail}})
		if err != nil {
			t.Fatal(err)
		}
		if rs[0].Status != pos.StatusUpdated || rs[1].Status != pos.StatusFailed {
			t.Errorf("results: %+v", rs)
		}
		for _, p := range f.srv.Products() {
			if p.SourceID == "edge:item-latte" && p.IsActive != avail {
				t.Errorf("%s active %v, want %v", p.VariantName, p.IsActive, avail)
			}
		}
	}
}

// TestPushMenuLinksProductCategoryByName: a category Lightspeed has under
// the same name is linked and new products are filed under it; without one
// the category is unsupported with the reason.
func TestPushMenuLinksProductCategoryByName(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	rs, err := f.a.PushMenu(ctx, testMenu(), pos.PushOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := resultMap(rs)["category/cat-coffee"]; r.Status != pos.StatusUnsupported || r.Reason != ReasonCategory {
		t.Errorf("no such category: %+v", r)
	}
	cat := f.srv.AddCategory("coffee")
	rs, err = f.a.PushMenu(ctx, testMenu(), pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := resultMap(rs)["category/cat-coffee"]; r.Status != pos.StatusUnchanged || r.VendorID != cat {
		t.Errorf("linked category: %+v", r)
	}
	for _, p := range f.srv.Products() {
		want := ""
		if p.SourceID == "edge:item-latte" {
			want = cat
		}
		if p.ProductCategoryID != want {
			t.Errorf("%s: product_category_id %q, want %q", p.VariantName, p.ProductCategoryID, want)
		}
	}
}

// TestReadCatalogForDrift: pushed products map back to Aura ids with their
// prices; a price changed in Lightspeed shows; a product made there is
// reported without an Aura id.
func TestReadCatalogForDrift(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	rs, err := f.a.PushMenu(ctx, testMenu(), pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	muffin := resultMap(rs)["variation/var-muffin"].VendorID
	f.srv.SetPrice(muffin, "5.25")
	scone := f.srv.AddProduct("Scone", "3.00")
	objs, err := f.a.ReadCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range objs {
		p := int64(-1)
		if o.Price != nil {
			p = *o.Price
		}
		got[string(o.Kind)+"/"+o.AuraID+"/"+o.VendorID] = fmt.Sprint(p)
	}
	for k, want := range map[string]string{
		"variation/var-muffin/" + muffin: "525",
		"item//" + scone:                 "300",
		"modifier/mod-oat/" + resultMap(rs)["modifier/mod-oat"].VendorID:             "80",
		"variation/var-latte-lg/" + resultMap(rs)["variation/var-latte-lg"].VendorID: "650",
	} {
		if got[k] != want {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], want, got)
		}
	}
}
