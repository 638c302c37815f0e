package square_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/square"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest/squarespec"
	"github.com/auraconnect/aura-edge/internal/model"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

const notificationURL = "https://edge.example.test/webhooks/square/int-1"

// spec loads Square's OpenAPI description once per test binary.
func spec(t testing.TB) *squarespec.Spec {
	t.Helper()
	s, err := squarespec.Load()
	if err != nil {
		t.Fatalf("load square spec: %v", err)
	}
	return s
}

// clock is a settable clock shared by the stand-in and the adapter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one adapter wired to one stand-in.
type env struct {
	t     *testing.T
	srv   *squaretest.Server
	clk   *clock
	state *pos.MemState
	cfg   pos.Config
	a     *square.Adapter
}

type envOpt func(*env)

func withSettings(kv ...string) envOpt {
	return func(e *env) {
		for i := 0; i+1 < len(kv); i += 2 {
			e.cfg.Settings[kv[i]] = kv[i+1]
		}
	}
}

func withCredentials(kv ...string) envOpt {
	return func(e *env) {
		for i := 0; i+1 < len(kv); i += 2 {
			e.cfg.Credentials[kv[i]] = kv[i+1]
		}
	}
}

func withServerOptions(opts ...squaretest.Option) envOpt {
	return func(e *env) {
		e.srv = squaretest.Start(e.t, append(opts, squaretest.WithValidator(spec(e.t)), squaretest.WithClock(e.clk.Now))...)
	}
}

// tlog sends adapter logs to the test log.
type tlog struct{ t *testing.T }

func (w tlog) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	e := &env{t: t, clk: newClock(), state: pos.NewMemState()}
	e.cfg = pos.Config{
		IntegrationID: "int-1",
		Credentials: map[string]string{
			"access_token":          squaretest.DefaultAccessToken,
			"refresh_token":         squaretest.DefaultRefreshToken,
			"client_secret":         squaretest.DefaultClientSecret,
			"webhook_signature_key": squaretest.DefaultSignatureKey,
		},
		Settings: map[string]string{
			"location_id":    squaretest.DefaultLocationID,
			"client_id":      squaretest.DefaultClientID,
			"webhook_url":    notificationURL,
			"retry_backoff":  "1ms",
			"retry_max_wait": "100ms",
		},
		State:  e.state,
		Logger: slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    e.clk.Now,
	}
	for _, o := range opts {
		o(e)
	}
	if e.srv == nil {
		withServerOptions()(e)
	}
	e.cfg.Settings["base_url"] = e.srv.URL()
	e.a = e.adapter()
	return e
}

// adapter builds a fresh adapter on the env's config and state (as after a
// restart).
func (e *env) adapter() *square.Adapter {
	e.t.Helper()
	a, err := square.NewAdapter(e.cfg)
	if err != nil {
		e.t.Fatalf("NewAdapter: %v", err)
	}
	return a
}

func sampleMenu() *model.Menu {
	return &model.Menu{
		ID: "menu-1", Version: "v1", Currency: "USD", Name: "Cafe",
		Categories: []model.Category{{ID: "cat-coffee", Name: "Coffee"}, {ID: "cat-bakery", Name: "Bakery"}},
		Taxes: []model.Tax{
			{ID: "tax-sales", Name: "Sales tax", Percentage: "8.875"},
			{ID: "tax-vat", Name: "VAT", Percentage: "20", Inclusive: true},
		},
		ModifierGroups: []model.ModifierGroup{
			{ID: "grp-milk", Name: "Milk", Min: 0, Max: 1, Modifiers: []model.Modifier{
				{ID: "mod-oat", Name: "Oat", Price: model.M(75, "USD")},
				{ID: "mod-almond", Name: "Almond", Price: model.M(75, "USD"), Availability: model.SoldOut},
			}},
			{ID: "grp-extras", Name: "Extras", Min: 0, Max: 0, Modifiers: []model.Modifier{
				{ID: "mod-shot", Name: "Extra shot", Price: model.M(100, "USD")},
				{ID: "mod-syrup", Name: "Vanilla syrup", Price: model.M(50, "USD"), Availability: model.Unavailable},
			}},
		},
		Items: []model.Item{
			{ID: "item-latte", Name: "Latte", Description: "Espresso and steamed milk", CategoryID: "cat-coffee",
				ModifierGroupIDs: []string{"grp-milk", "grp-extras"}, TaxIDs: []string{"tax-sales"},
				Variations: []model.Variation{
					{ID: "var-latte-12", Name: "12oz", SKU: "LAT-12", Price: model.M(450, "USD")},
					{ID: "var-latte-16", Name: "16oz", SKU: "LAT-16", Price: model.M(525, "USD")},
				}},
			{ID: "item-croissant", Name: "Croissant", CategoryID: "cat-bakery", TaxIDs: []string{"tax-sales"},
				Variations: []model.Variation{{ID: "var-croissant", Name: "Regular", Price: model.M(325, "USD")}}},
			{ID: "item-cake", Name: "Seasonal cake", CategoryID: "cat-bakery", Availability: model.Unavailable,
				Variations: []model.Variation{{ID: "var-cake", Name: "Slice", Price: model.M(495, "USD"), Availability: model.Unavailable}}},
		},
	}
}

// resultMap indexes push results by Aura id.
func resultMap(t *testing.T, rs []pos.ObjectResult) map[string]pos.ObjectResult {
	t.Helper()
	m := map[string]pos.ObjectResult{}
	for _, r := range rs {
		if _, dup := m[r.AuraID]; dup {
			t.Fatalf("two results for %s", r.AuraID)
		}
		m[r.AuraID] = r
	}
	return m
}

func vendorErr(t *testing.T, err error) *pos.VendorError {
	t.Helper()
	var ve *pos.VendorError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *pos.VendorError", err, err)
	}
	return ve
}

// golden compares got (JSON-indented) with testdata/golden/name, or rewrites
// it with -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, b) {
		t.Errorf("%s differs from golden file (run go test -update to accept):\n--- got\n%s", path, b)
	}
}

// indentJSON re-encodes raw JSON for golden files.
func indentJSON(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("bad JSON %s: %v", raw, err)
	}
	return v
}
