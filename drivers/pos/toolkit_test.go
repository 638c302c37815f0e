package pos_test

import (
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

func TestSettingsReader(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]string
		dur      time.Duration
		n        int
		mode     string
		problems []string // substrings of the error; none: no error
	}{
		{name: "defaults", dur: 10 * time.Minute, n: 100, mode: "list"},
		{name: "set", settings: map[string]string{"poll": "90s", "page_size": " 20", "payments": "off"}, dur: 90 * time.Second, n: 20, mode: "off"},
		{name: "empty is default", settings: map[string]string{"poll": "", "page_size": ""}, dur: 10 * time.Minute, n: 100, mode: "list"},
		{name: "bad", settings: map[string]string{"poll": "ten minutes", "page_size": "1001", "payments": "maybe"},
			dur: 10 * time.Minute, n: 100, mode: "list",
			problems: []string{`settings.poll "ten minutes" must be a duration such as 10m from 1s to 24h`,
				`settings.page_size "1001" must be a whole number from 1 to 1000`, `settings.payments "maybe" is not one of list, off`}},
		{name: "below", settings: map[string]string{"poll": "0s", "page_size": "0"}, dur: 10 * time.Minute, n: 100, mode: "list",
			problems: []string{`settings.poll "0s"`, `settings.page_size "0"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := pos.Config{IntegrationID: "sq-1", Settings: tc.settings}
			set := cfg.Read("square")
			d := set.Duration("poll", time.Second, 24*time.Hour, 10*time.Minute)
			n := set.Int("page_size", 1, 1000, 100)
			mode := set.OneOf("payments", "list", "list", "off")
			if d != tc.dur || n != tc.n || mode != tc.mode {
				t.Errorf("got %v %d %q", d, n, mode)
			}
			err := set.Err()
			if len(tc.problems) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), "square integration sq-1: ") {
				t.Fatalf("error %v", err)
			}
			for _, p := range tc.problems {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("%q not in %q", p, err)
				}
			}
		})
	}
	cfg := pos.Config{Settings: map[string]string{"lag": "-1s", "n": "-2"}}
	set := cfg.Read("toast")
	set.Duration("lag", 0, pos.NoLimitDuration, time.Hour)
	set.Int("n", 0, pos.NoLimitInt, 1)
	if err := set.Err(); err == nil || !strings.Contains(err.Error(), `"-1s" must be a duration such as 1h of at least 0s`) ||
		!strings.Contains(err.Error(), `"-2" must be a whole number of at least 0`) {
		t.Fatalf("unbounded: %v", err)
	}
}

func TestUnsupportedAll(t *testing.T) {
	menu := &model.Menu{
		Categories:     []model.Category{{ID: "c"}},
		Taxes:          []model.Tax{{ID: "t"}},
		ModifierGroups: []model.ModifierGroup{{ID: "g", Modifiers: []model.Modifier{{ID: "m"}}}},
		Items:          []model.Item{{ID: "i", Variations: []model.Variation{{ID: "v1"}, {ID: "v2"}}}},
	}
	var got []string
	for _, r := range pos.UnsupportedAll(menu, "read-only") {
		if r.Status != pos.StatusUnsupported || r.Reason != "read-only" {
			t.Fatalf("%+v", r)
		}
		got = append(got, string(r.Kind)+"/"+r.AuraID)
	}
	want := "category/c tax/t modifier_group/g modifier/m item/i variation/v1 variation/v2"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v", got)
	}
}
