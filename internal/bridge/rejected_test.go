package bridge_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest/squarespec"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

// TestRejectedRecordsAuditedAndSetAside: the Square stand-in serves one
// good order and one that cannot become an Aura order (no line items).
// The good one is captured; the bad one is audited once as rejected, kept
// in the store with the vendor's record, survives a reopen, is counted
// (not audited again) when a later pull offers it again, and leaves the
// list once the vendor fixes it.
func TestRejectedRecordsAuditedAndSetAside(t *testing.T) {
	spec, err := squarespec.Load()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	// One clock for the stand-in and the adapter, moved a minute between
	// steps (Square's time filters are in whole seconds).
	var mu sync.Mutex
	clock := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	tick := func() { mu.Lock(); clock = clock.Add(time.Minute); mu.Unlock() }
	srv := squaretest.Start(t, squaretest.WithValidator(spec), squaretest.WithClock(now))
	good := srv.SeedOrder(squaretest.OrderSpec{Lines: []squaretest.LineSpec{{Name: "Latte", Price: 450}}})
	bad := srv.SeedOrder(squaretest.OrderSpec{})

	open := func(first bool) (*bridge.Bridge, *audit.Logger, func()) {
		db, err := store.Open(dir, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		keys, err := secrets.LoadOrCreateKey(filepath.Join(dir, "credential.key"))
		if err != nil {
			t.Fatal(err)
		}
		ob, err := outbox.Open(db, outbox.Config{}, log)
		if err != nil {
			t.Fatal(err)
		}
		al := audit.New(db, ob, audit.Config{}, log)
		ins := integrations.New(db, keys)
		if first {
			if _, err := ins.Connect("sq-1", "square", "Square", map[string]secrets.Secret{"access_token": squaretest.DefaultAccessToken},
				map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": srv.URL(), "payments": "off"}); err != nil {
				t.Fatal(err)
			}
		}
		b := bridge.New(bridge.Deps{DB: db, Integrations: ins, Audit: al, Log: log, Outbox: ob, Ingest: ingest.New(db, ob, log), Now: now})
		return b, al, func() { db.Close() }
	}
	ctx := context.Background()
	rejectedAudits := func(al *audit.Logger) []audit.Record {
		t.Helper()
		recs, err := al.Query(audit.Filter{Type: "record_rejected", Integration: "sq-1"})
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}

	tick()
	b, al, closeDB := open(true)
	res, err := b.PullOrders(ctx, "sq-1", "test", "test", 1)
	if err != nil || res.Orders != 1 {
		t.Fatalf("pull: %+v %v", res, err)
	}
	recs := rejectedAudits(al)
	if len(recs) != 1 || recs[0].Status != audit.Rejected || !strings.Contains(recs[0].Message, bad.ID) ||
		!strings.Contains(recs[0].Message, "line item") {
		t.Fatalf("audit: %+v", recs)
	}
	list, err := b.Rejected("")
	if err != nil || len(list) != 1 {
		t.Fatalf("rejected: %+v %v", list, err)
	}
	r := list[0]
	if r.Kind != "order" || r.VendorID != bad.ID || r.Vendor != "square" || r.Seen != 1 || r.Raw != nil {
		t.Fatalf("rejected record: %+v", r)
	}
	closeDB()

	// After a restart the record is still there, with the vendor's record.
	b, al, closeDB = open(false)
	defer func() { closeDB() }()
	one, err := b.RejectedOne("sq-1", r.Key)
	if err != nil || !strings.Contains(string(one.Raw), bad.ID) {
		t.Fatalf("one: %+v %v", one, err)
	}
	if _, err := b.RejectedOne("sq-1", "order:nope"); err != bridge.ErrNoRejected {
		t.Fatalf("unknown key: %v", err)
	}

	// The vendor offers it again (touched): counted, not audited twice.
	tick()
	srv.UpdateOrder(bad.ID, time.Time{}, nil)
	tick()
	if _, err := b.PullOrders(ctx, "sq-1", "test", "test", 1); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.Rejected("sq-1"); len(list) != 1 || list[0].Seen != 2 {
		t.Fatalf("after the second offer: %+v", list)
	}
	if n := len(rejectedAudits(al)); n != 1 {
		t.Fatalf("audited %d times", n)
	}

	// Fixed at the vendor: captured, and no longer set aside.
	srv.UpdateOrder(bad.ID, time.Time{}, func(o *squaretest.Order) {
		id, v, created := o.ID, o.Version, o.CreatedAt
		*o = good
		o.ID, o.Version, o.CreatedAt = id, v, created
	})
	tick()
	if res, err := b.PullOrders(ctx, "sq-1", "test", "test", 1); err != nil || res.New != 1 {
		t.Fatalf("pull after the fix: %+v %v", res, err)
	}
	if list, _ := b.Rejected(""); len(list) != 0 {
		t.Fatalf("still set aside after the fix: %+v", list)
	}
}
