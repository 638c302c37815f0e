package bridge

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

func testBridge(t testing.TB, now time.Time, opts MenuOptions) *Bridge {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := secrets.LoadOrCreateKey(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	return New(Deps{DB: db, Integrations: integrations.New(db, keys), Log: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return now }, Menu: opts})
}

func TestParseUntil(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	now := time.Date(2026, 12, 3, 20, 30, 0, 0, ny) // 20:30 in New York
	b := testBridge(t, now, MenuOptions{ClosingTime: "23:00", Location: ny})
	late := testBridge(t, time.Date(2026, 12, 3, 23, 30, 0, 0, ny), MenuOptions{ClosingTime: "02:00", Location: ny})
	noClose := testBridge(t, now, MenuOptions{})
	for _, tc := range []struct {
		b           *Bridge
		until, for_ string
		want        time.Time
		err         string
	}{
		{b: b, until: "close", want: time.Date(2026, 12, 3, 23, 0, 0, 0, ny)},
		{b: late, until: "close", want: time.Date(2026, 12, 4, 2, 0, 0, 0, ny)},
		{b: b, for_: "2h", want: now.Add(2 * time.Hour)},
		{b: b, until: "", want: time.Time{}},
		{b: b, until: "further_notice", want: time.Time{}},
		{b: b, until: "2026-12-04T09:00:00Z", want: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)},
		{b: b, until: "2020-01-01T00:00:00Z", err: "in the past"},
		{b: b, until: "tomorrow", err: "until must be"},
		{b: b, for_: "-1h", err: "positive duration"},
		{b: b, until: "close", for_: "1h", err: "not both"},
		{b: noClose, until: "close", err: "menu.closing_time"},
	} {
		got, err := tc.b.ParseUntil(tc.until, tc.for_)
		name := fmt.Sprintf("until=%q for=%q", tc.until, tc.for_)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrBadAvailability) {
				t.Errorf("%s: err %v, want %q", name, err, tc.err)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s: %s %v, want %s", name, got, err, tc.want)
		}
	}
}

func TestDeletionGuard(t *testing.T) {
	b := testBridge(t, time.Now(), MenuOptions{})
	plan := func(created, unchanged, deleted int) []pos.ObjectResult {
		var out []pos.ObjectResult
		for i := 0; i < created; i++ {
			out = append(out, pos.ObjectResult{Status: pos.StatusCreated})
		}
		for i := 0; i < unchanged; i++ {
			out = append(out, pos.ObjectResult{Status: pos.StatusUnchanged})
		}
		for i := 0; i < deleted; i++ {
			out = append(out, pos.ObjectResult{Status: pos.StatusDeleted})
		}
		return out
	}
	for _, tc := range []struct {
		created, unchanged, deleted int
		refuse                      bool
	}{
		{0, 8, 2, false}, // 2 of 10 = 20 %: allowed
		{0, 7, 3, true},  // 30 %
		{50, 1, 2, true}, // new objects do not dilute the share
		{5, 0, 0, false},
		{0, 0, 3, true}, // everything goes
	} {
		why := b.deletionGuard(plan(tc.created, tc.unchanged, tc.deleted))
		if (why != "") != tc.refuse {
			t.Errorf("%+v: %q", tc, why)
		}
	}
	strict := testBridge(t, time.Now(), MenuOptions{MaxDeleteShare: 0.05})
	if strict.deletionGuard(plan(0, 18, 2)) == "" {
		t.Errorf("10%% allowed with max_delete_share 0.05")
	}
}

func TestDiffCatalog(t *testing.T) {
	menu := &model.Menu{Items: []model.Item{{ID: "i1", Name: "Latte", Variations: []model.Variation{
		{ID: "v1", Name: "12oz", Price: model.M(450, "USD")}, {ID: "v2", Name: "16oz", Price: model.M(525, "USD")}}}},
		ModifierGroups: []model.ModifierGroup{{ID: "g1", Name: "Milk", Modifiers: []model.Modifier{{ID: "m1", Name: "Oat", Price: model.M(75, "USD")}}}}}
	p := func(v int64) *int64 { return &v }
	got := DiffCatalog(menu, []pos.CatalogObject{
		{Kind: pos.KindItem, AuraID: "i1", VendorID: "I", Name: "Latte"},
		{Kind: pos.KindVariation, AuraID: "v1", VendorID: "V1", Name: "12oz", Price: p(475)},
		{Kind: pos.KindModifierGroup, AuraID: "g1", VendorID: "G", Name: "Milk choice"},
		{Kind: pos.KindModifier, AuraID: "m1", VendorID: "M", Name: "Oat", Price: p(75)},
		{Kind: pos.KindItem, VendorID: "NEW", Name: "Muffin"},
	})
	var s []string
	for _, c := range got {
		s = append(s, fmt.Sprintf("%s %s %s%s %v>%v", c.Change, c.Kind, c.AuraID, c.VendorID, c.Pushed, c.AtPOS))
	}
	want := []string{
		"added_at_pos item NEW <nil>><nil>",
		"deleted_at_pos variation v2 <nil>><nil>",
		"price_changed variation v1V1 450>475",
		"renamed modifier_group g1G Milk>Milk choice",
	}
	if strings.Join(s, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}
	if len(DiffCatalog(menu, []pos.CatalogObject{{Kind: pos.KindItem, AuraID: "i1", Name: "Latte"},
		{Kind: pos.KindVariation, AuraID: "v1", Price: p(450)}, {Kind: pos.KindVariation, AuraID: "v2", Price: p(525)},
		{Kind: pos.KindModifierGroup, AuraID: "g1"}, {Kind: pos.KindModifier, AuraID: "m1", Price: p(75)}})) != 0 {
		t.Errorf("a matching catalog has a diff")
	}
}

// BenchmarkDiffCatalog compares a 1,000-item menu (3 variations each, 20
// modifier groups of 10) with a vendor catalog that differs in 1 %.
func BenchmarkDiffCatalog(b *testing.B) {
	menu := &model.Menu{}
	var objs []pos.CatalogObject
	for i := range 1000 {
		it := model.Item{ID: fmt.Sprintf("i%d", i), Name: fmt.Sprintf("Item %d", i)}
		objs = append(objs, pos.CatalogObject{Kind: pos.KindItem, AuraID: it.ID, VendorID: "V" + it.ID, Name: it.Name})
		for j := range 3 {
			v := model.Variation{ID: fmt.Sprintf("i%dv%d", i, j), Name: fmt.Sprint(j), Price: model.M(int64(100+j), "USD")}
			it.Variations = append(it.Variations, v)
			p := v.Price.Amount
			if i%100 == 0 {
				p++
			}
			objs = append(objs, pos.CatalogObject{Kind: pos.KindVariation, AuraID: v.ID, VendorID: "V" + v.ID, Name: v.Name, Price: &p})
		}
		menu.Items = append(menu.Items, it)
	}
	for g := range 20 {
		grp := model.ModifierGroup{ID: fmt.Sprintf("g%d", g), Name: "G"}
		objs = append(objs, pos.CatalogObject{Kind: pos.KindModifierGroup, AuraID: grp.ID, Name: "G"})
		for m := range 10 {
			mod := model.Modifier{ID: fmt.Sprintf("g%dm%d", g, m), Name: "M", Price: model.M(50, "USD")}
			grp.Modifiers = append(grp.Modifiers, mod)
			p := int64(50)
			objs = append(objs, pos.CatalogObject{Kind: pos.KindModifier, AuraID: mod.ID, Name: "M", Price: &p})
		}
		menu.ModifierGroups = append(menu.ModifierGroups, grp)
	}
	b.ReportAllocs()
	for b.Loop() {
		if n := len(DiffCatalog(menu, objs)); n != 30 {
			b.Fatalf("%d changes", n)
		}
	}
}
