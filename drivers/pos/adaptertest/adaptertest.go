// Package adaptertest holds what the POS adapters' own tests share about
// our types (the fixture menu, results by object). It imports pos and
// model, so a vendor stand-in (squaretest, clovertest, ...), which is built
// from the vendor's documents and not from our adapter, never imports it.
//
// It imports testing: tests only (`make release-check`).
package adaptertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// LoadMenu reads the fixture menu testdata/menu.json, which must be valid.
func LoadMenu(tb testing.TB) *model.Menu {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "menu.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var m model.Menu
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	if ps := m.Validate(); ps != nil {
		tb.Fatalf("fixture menu invalid: %v", ps)
	}
	return &m
}

// Statuses renders results as "kind/aura_id" -> status.
func Statuses(rs []pos.ObjectResult) map[string]pos.Status {
	m := map[string]pos.Status{}
	for _, r := range rs {
		m[string(r.Kind)+"/"+r.AuraID] = r.Status
	}
	return m
}
