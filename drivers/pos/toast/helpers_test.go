package toast

import (
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// clock is a settable time source shared by the adapter and the stand-in.
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
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingState is a real MemState that counts Puts per key.
type countingState struct {
	*pos.MemState
	mu   sync.Mutex
	puts map[string]int
}

func (c *countingState) Put(k string, v []byte) error {
	c.mu.Lock()
	c.puts[k]++
	c.mu.Unlock()
	return c.MemState.Put(k, v)
}

type fixture struct {
	srv   *toasttest.Server
	clk   *clock
	state *countingState
	a     *Adapter
}

func newFixture(t *testing.T, settings map[string]string) *fixture {
	t.Helper()
	clk := newClock()
	srv := toasttest.Start(t, toasttest.WithClock(clk.Now))
	st := &countingState{MemState: pos.NewMemState(), puts: map[string]int{}}
	f := &fixture{srv: srv, clk: clk, state: st}
	f.a = f.adapter(t, settings)
	return f
}

func (f *fixture) adapter(t *testing.T, settings map[string]string) *Adapter {
	t.Helper()
	s := f.srv.Settings("USD")
	for k, v := range settings {
		s[k] = v
	}
	ad, err := pos.Open("toast", pos.Config{IntegrationID: "int-t", Credentials: f.srv.Credentials(), Settings: s,
		State: f.state, Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return ad.(*Adapter)
}

func testMenu() *model.Menu {
	return &model.Menu{
		ID: "menu-1", Version: "v1", Currency: "USD",
		Categories:     []model.Category{{ID: "cat-1", Name: "Coffee"}},
		Taxes:          []model.Tax{{ID: "tax-1", Name: "Sales tax", Percentage: "8.25"}},
		ModifierGroups: []model.ModifierGroup{{ID: "grp-1", Name: "Milk", Max: 1, Modifiers: []model.Modifier{{ID: "mod-1", Name: "Oat", Price: model.M(75, "USD")}}}},
		Items: []model.Item{{ID: "item-1", Name: "Latte", CategoryID: "cat-1", TaxIDs: []string{"tax-1"}, ModifierGroupIDs: []string{"grp-1"},
			Variations: []model.Variation{{ID: "var-1", Name: "Regular", Price: model.M(525, "USD")}, {ID: "var-2", Name: "Large", Price: model.M(575, "USD")}}}},
	}
}
