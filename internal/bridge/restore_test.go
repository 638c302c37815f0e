package bridge

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/auraconnect/aura-edge/drivers/pos/square" // register the vendor
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestRestoreRetriesAfterVendorFailure: a restore that fails at the
// vendor stays in the schedule (audited as failed) and is retried after
// the backoff until Square confirms.
func TestRestoreRetriesAfterVendorFailure(t *testing.T) {
	srv := squaretest.Start(t)
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
	log := slog.New(slog.DiscardHandler)
	ob, err := outbox.Open(db, outbox.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	ins := integrations.New(db, keys)
	al := audit.New(db, ob, audit.Config{}, log)
	clk := &testClock{t: time.Now()}
	b := New(Deps{DB: db, Integrations: ins, Audit: al, Outbox: ob, Log: log, Now: clk.Now})
	if _, err := ins.Connect("sq", "square", "", map[string]secrets.Secret{"access_token": squaretest.DefaultAccessToken},
		map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": srv.URL(), "write_retries": "0"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	menu := &model.Menu{ID: "m", Version: "1", Currency: "USD", Items: []model.Item{{ID: "latte", Name: "Latte",
		Variations: []model.Variation{{ID: "latte-12", Name: "12oz", Price: model.M(450, "USD")}}}}}
	res, err := b.PushMenu(ctx, menu, "sq", false, "test")
	if err != nil || res[0].Status != "success" {
		t.Fatalf("push: %+v %v", res, err)
	}
	varID := res[0].Objects[1].VendorID
	until := clk.Now().Add(time.Hour)
	if res, err = b.SetAvailability(ctx, AvailabilityRequest{Objects: []AvailabilityObject{{Kind: "variation", ID: "latte-12"}}, Until: until}, "test"); err != nil || res[0].Status != "success" {
		t.Fatalf("86: %+v %v", res, err)
	}
	// A menu push sends the variation whole (a new price) and would put it
	// back on sale: the bridge takes it off again.
	menu.Version = "2"
	menu.Items[0].Variations[0].Price = model.M(475, "USD")
	if res, err := b.PushMenu(ctx, menu, "sq", false, "test"); err != nil || res[0].Status != "success" {
		t.Fatalf("push v2: %+v %v", res, err)
	}
	if absent, _ := srv.AbsentAt(varID); !slices.Equal(absent, []string{squaretest.DefaultLocationID}) {
		t.Fatalf("after a push the 86ed variation is absent at %v", absent)
	}
	if o, _ := srv.Object(varID); o.ItemVariationData == nil || o.ItemVariationData.PriceMoney.Amount != 475 {
		t.Fatalf("price not pushed: %+v", o)
	}
	if next := b.RestoreDue(ctx); !next.Equal(until) {
		t.Fatalf("next restore %s, want %s", next, until)
	}
	// At expiry Square fails once: the entry stays, with a later retry.
	clk.Advance(time.Hour + time.Second)
	f := squaretest.ServerError()
	f.Path = "/v2/catalog/batch-retrieve"
	srv.FailNext(1, f)
	next := b.RestoreDue(ctx)
	us, _ := b.Unavailables("sq")
	if len(us) != 1 || us[0].Failures != 1 || us[0].LastError == "" || !next.Equal(until.Add(restoreRetry)) {
		t.Fatalf("after a failed restore: %+v, next %s", us, next)
	}
	if absent, _ := srv.AbsentAt(varID); !slices.Equal(absent, []string{squaretest.DefaultLocationID}) {
		t.Fatalf("restored although Square failed: %v", absent)
	}
	rows, _ := al.Query(audit.Filter{Type: "menu_availability", Integration: "sq"})
	if len(rows) != 3 || rows[0].Status == audit.Success || !strings.Contains(rows[0].Message, "(expired)") {
		t.Errorf("audit after failure: %+v", rows)
	}
	// Not before the backoff; then it succeeds.
	if b.RestoreDue(ctx); len(must(b.Unavailables("sq"))) != 1 {
		t.Fatal("retried before the backoff")
	}
	clk.Advance(restoreRetry)
	if next := b.RestoreDue(ctx); !next.IsZero() {
		t.Errorf("next after success: %s", next)
	}
	if us := must(b.Unavailables("sq")); len(us) != 0 {
		t.Errorf("entries left: %+v", us)
	}
	if absent, _ := srv.AbsentAt(varID); len(absent) != 0 {
		t.Errorf("still absent at %v", absent)
	}
}

func must[T any](v T, _ error) T { return v }
