package bridge_test

import (
	"context"
	"log/slog"
	"maps"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/auraconnect/aura-edge/drivers/pos/toast"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

// TestToastInjectRetriesMenuRead: Toast's menus cannot be read (500) when
// the order is submitted: that is not an unknown item, so the job stays
// pending, is retried, and creates the order once the menus answer.
func TestToastInjectRetriesMenuRead(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := secrets.LoadOrCreateKey(filepath.Join(dir, "credential.key"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	ob, err := outbox.Open(db, outbox.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	ins := integrations.New(db, keys)
	sched := scheduler.New(log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sched.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	srv := toasttest.Start(t)
	srv.SeedMenuItem("Latte", 4.50, false)
	settings := srv.Settings("USD")
	maps.Copy(settings, toasttest.InjectSettings())
	creds := map[string]secrets.Secret{}
	for k, v := range srv.Credentials() {
		creds[k] = secrets.Secret(v)
	}
	if _, err := ins.Connect("toast-1", "toast", "Toast", creds, settings); err != nil {
		t.Fatal(err)
	}
	b := bridge.New(bridge.Deps{DB: db, Integrations: ins, Audit: audit.New(db, ob, audit.Config{}, log), Scheduler: sched, Log: log, Outbox: ob,
		Schedules: map[string]bridge.Schedule{"toast-1": {MaxAttempts: 5}}, JobBackoff: 10 * time.Millisecond})
	e := &jobEnv{b: b}

	srv.FailNext(2, toasttest.Fault{Status: 500, Path: "/menus/v2/menus"})
	out, err := b.InjectOrder(ctx, "cmd-toast-menu", "toast-1", latteOrder("ord-tm"), nil, "test")
	if err != nil || out.Status != bridge.JobPending {
		t.Fatalf("first attempt: %+v %v", out, err)
	}
	out = e.wait(t, "cmd-toast-menu", bridge.JobOutcome.Final)
	if out.Status != bridge.JobDone || out.VendorOrderID == "" {
		t.Fatalf("outcome: %+v", out)
	}
	if got := srv.OrdersByExternalID("AURA:ord-tm"); len(got) != 1 || got[0] != out.VendorOrderID {
		t.Errorf("orders at Toast: %v", got)
	}

	// An unknown item is refused at once, nothing stored as pending.
	o := latteOrder("ord-tu")
	o.LineItems = append(o.LineItems, model.LineItem{ID: "l2", ItemID: "item-bagel", Name: "Bagel", Quantity: model.Q(1), UnitPrice: model.M(300, "USD")})
	o.Totals = model.Totals{Subtotal: model.M(750, "USD"), Total: model.M(750, "USD")}
	out, err = b.InjectOrder(ctx, "cmd-toast-unknown", "toast-1", o, nil, "test")
	if err != nil || out.Status != bridge.JobRefused || srv.Creates() != 1 {
		t.Fatalf("unknown item: %+v %v (%d creates)", out, err, srv.Creates())
	}
}
