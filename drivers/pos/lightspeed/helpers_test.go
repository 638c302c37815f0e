package lightspeed

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/internal/model"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// countingState is a real MemState that counts Puts per key.
type countingState struct {
	*pos.MemState
	mu   sync.Mutex
	puts map[string]int
}

func newCountingState() *countingState {
	return &countingState{MemState: pos.NewMemState(), puts: map[string]int{}}
}

func (c *countingState) Put(k string, v []byte) error {
	c.mu.Lock()
	c.puts[k]++
	c.mu.Unlock()
	return c.MemState.Put(k, v)
}

func (c *countingState) Puts(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.puts[k]
}

type fixture struct {
	srv   *lightspeedtest.Server
	state *countingState
	a     *Adapter
}

func newFixture(t *testing.T, settings map[string]string, opts ...lightspeedtest.ServerOption) *fixture {
	t.Helper()
	srv := lightspeedtest.Start(t, opts...)
	st := newCountingState()
	s := srv.Settings("NZD")
	for k, v := range settings {
		s[k] = v
	}
	ad, err := pos.Open("vend", pos.Config{IntegrationID: "int-1", Credentials: srv.Credentials(), Settings: s, State: st})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, state: st, a: ad.(*Adapter)}
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// renderWrites prints write requests as "METHOD path" + indented JSON body.
func renderWrites(t *testing.T, reqs []lightspeedtest.Request) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, r := range reqs {
		b.WriteString(r.Method + " " + r.Path + "\n")
		var out bytes.Buffer
		if err := json.Indent(&out, r.Body, "", "  "); err != nil {
			t.Fatalf("body of %s %s is not JSON: %s", r.Method, r.Path, r.Body)
		}
		b.Write(out.Bytes())
		b.WriteString("\n\n")
	}
	return b.Bytes()
}

func testMenu() *model.Menu {
	return &model.Menu{
		ID: "menu-1", Version: "v1", Currency: "NZD",
		Categories: []model.Category{{ID: "cat-coffee", Name: "Coffee"}},
		Taxes: []model.Tax{
			{ID: "tax-gst", Name: "GST", Percentage: "15", Inclusive: true},
			{ID: "tax-levy", Name: "Levy", Percentage: "2"},
		},
		ModifierGroups: []model.ModifierGroup{{ID: "grp-milk", Name: "Milk", Min: 0, Max: 1, Modifiers: []model.Modifier{
			{ID: "mod-oat", Name: "Oat", Price: model.M(80, "NZD")},
			{ID: "mod-whole", Name: "Whole", Price: model.M(0, "NZD")},
		}}},
		Items: []model.Item{
			{ID: "item-latte", Name: "Latte", Description: "Double shot", CategoryID: "cat-coffee", TaxIDs: []string{"tax-gst"},
				ModifierGroupIDs: []string{"grp-milk"},
				Variations: []model.Variation{
					{ID: "var-latte-reg", Name: "Regular", SKU: "LAT-REG", Price: model.M(550, "NZD")},
					{ID: "var-latte-lg", Name: "Large", SKU: "LAT-LG", Price: model.M(650, "NZD")},
				}},
			{ID: "item-muffin", Name: "Muffin", TaxIDs: []string{"tax-gst"},
				Variations: []model.Variation{{ID: "var-muffin", Name: "Regular", SKU: "MUF", Price: model.M(495, "NZD")}}},
			{ID: "item-bag", Name: "Paper bag", TaxIDs: []string{"tax-levy"},
				Variations: []model.Variation{{ID: "var-bag", Name: "Regular", Price: model.M(10, "NZD")}}},
		},
	}
}

func resultMap(rs []pos.ObjectResult) map[string]pos.ObjectResult {
	m := map[string]pos.ObjectResult{}
	for _, r := range rs {
		m[string(r.Kind)+"/"+r.AuraID] = r
	}
	return m
}

func statuses(rs []pos.ObjectResult) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(string(r.Kind) + "/" + r.AuraID + "=" + string(r.Status) + " ")
	}
	return b.String()
}
