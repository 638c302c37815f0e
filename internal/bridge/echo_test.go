package bridge

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

// TestPruneEchoes: echo marks past the retention go, the newest within the
// size bound stay, and marks in the older format (a bare Aura id) are given
// the current time rather than dropped.
func TestPruneEchoes(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := secrets.LoadOrCreateKey(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	ins := integrations.New(db, keys)
	if _, err := ins.Connect("sq", "square", "", map[string]secrets.Secret{"access_token": "t"},
		map[string]string{"location_id": "L1"}); err != nil {
		t.Fatal(err)
	}
	clk := &testClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	b := New(Deps{DB: db, Integrations: ins, Log: slog.New(slog.DiscardHandler), Now: clk.Now})
	st := ins.State("sq")
	now := clk.Now()
	put := func(key string, at time.Time) {
		t.Helper()
		if err := putMark(st, key, echoMark{Aura: "ord-1", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	put(injectedKey("V-old"), now.Add(-EchoRetention-time.Hour))
	put(injectedKey("V-new"), now.Add(-time.Hour))
	put(seenKey("square/V-old/1"), now.Add(-EchoRetention-time.Minute))
	if err := st.Put(echoKey("legacy"), []byte("ord-legacy")); err != nil { // older format
		t.Fatal(err)
	}
	if err := st.Put("token/other", []byte("x")); err != nil { // not echo bookkeeping
		t.Fatal(err)
	}
	defer func(n int) { echoMaxMarks = n }(echoMaxMarks)
	echoMaxMarks = 3
	for i := range 5 {
		put(stateKey(fmt.Sprintf("o%d", i)), now.Add(-time.Duration(5-i)*time.Minute))
	}

	n, err := b.PruneEchoes()
	if err != nil || n != 4 {
		t.Fatalf("pruned %d, %v; want 4 (two past the retention, the two oldest states)", n, err)
	}
	for key, want := range map[string]bool{
		injectedKey("V-old"): false, injectedKey("V-new"): true, seenKey("square/V-old/1"): false,
		echoKey("legacy"): true, "token/other": true,
		stateKey("o0"): false, stateKey("o1"): false, stateKey("o2"): true, stateKey("o3"): true, stateKey("o4"): true,
	} {
		if got := has(st, key); got != want {
			t.Errorf("%s kept: %v, want %v", key, got, want)
		}
	}
	if m, ok := getMark(st, echoKey("legacy")); !ok || m.Aura != "ord-legacy" || !m.At.Equal(now) {
		t.Errorf("legacy mark: %+v", m)
	}
	// The legacy mark ages out from the first prune.
	clk.Advance(EchoRetention + time.Second)
	if _, err := b.PruneEchoes(); err != nil {
		t.Fatal(err)
	}
	if has(st, echoKey("legacy")) || has(st, injectedKey("V-new")) {
		t.Error("marks past the retention kept")
	}
}

// TestEchoChanges: what counts as a change made at the POS.
func TestEchoChanges(t *testing.T) {
	inj := &Job{Order: &model.Order{LineItems: []model.LineItem{{Quantity: model.Q(1)}, {Quantity: model.Q(2)}}},
		Payment: &model.Payment{}}
	order := func(state model.OrderState, qty ...int64) *model.Order {
		o := &model.Order{State: state, Currency: "USD", Totals: model.Totals{Total: model.M(1000, "USD")}}
		for i, q := range qty {
			o.LineItems = append(o.LineItems, model.LineItem{Name: fmt.Sprint("item", i), Quantity: model.Q(q)})
		}
		return o
	}
	base := stateOf(order(model.OrderCompleted, 1, 2))
	refunded := order(model.OrderCompleted, 1, 2)
	refunded.Refunds = []model.Refund{{Amount: model.M(300, "USD"), Status: model.PaymentCompleted}}
	cases := []struct {
		name   string
		before *posState
		now    *model.Order
		want   int
	}{
		{"first sight, as injected", nil, order(model.OrderCompleted, 1, 2), 0},
		{"first sight, open (not yet completed)", nil, order(model.OrderOpen, 1, 2), 0},
		{"first sight, one line per unit", nil, order(model.OrderCompleted, 1, 1, 1), 0},
		{"first sight, voided", nil, order(model.OrderCanceled, 1, 2), 1},
		{"first sight, an item more", nil, order(model.OrderCompleted, 1, 3), 1},
		{"first sight, refunded", nil, refunded, 1},
		{"read again", &base, order(model.OrderCompleted, 1, 2), 0},
		{"voided", &base, order(model.OrderCanceled, 1, 2), 1},
		{"refunded", &base, refunded, 1},
		{"items changed", &base, order(model.OrderCompleted, 1), 1},
	}
	if got := changes(nil, stateOf(order(model.OrderCanceled, 1, 2)), nil, "USD"); got != nil {
		t.Errorf("first sight without the injection job: %q", got)
	}
	for _, tc := range cases {
		got := changes(tc.before, stateOf(tc.now), inj, "USD")
		if len(got) != tc.want {
			t.Errorf("%s: %q", tc.name, got)
		}
	}
}
