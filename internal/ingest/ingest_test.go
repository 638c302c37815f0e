package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

func newIngest(t testing.TB) (*Ingest, *outbox.Outbox) {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ob, err := outbox.Open(db, outbox.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return New(db, ob, slog.New(slog.DiscardHandler)), ob
}

func order(src model.Source, note string) model.Order {
	o := model.Order{Source: src, State: model.OrderOpen, Currency: "USD", CreatedAt: time.Unix(1_800_000_000, 0).UTC(), Note: note,
		LineItems: []model.LineItem{{ID: "l1", Name: "Tea", Quantity: model.Q(1), UnitPrice: model.M(300, "USD")}}}
	o.ComputeTotals()
	return o
}

func payment(src model.Source) model.Payment {
	return model.Payment{Source: src, Method: model.MethodCash, Amount: model.M(300, "USD"), Status: model.PaymentCompleted,
		CreatedAt: time.Unix(1_800_000_000, 0).UTC()}
}

func depth(ob *outbox.Outbox, s outbox.Stream) int {
	for _, st := range ob.Stats() {
		if st.Stream == s {
			return st.Depth
		}
	}
	return -1
}

// TestRevisions: which submissions are new events and which duplicates.
func TestRevisions(t *testing.T) {
	in, ob := newIngest(t)
	ctx := context.Background()
	src := model.Source{Vendor: "local", ExternalID: "1001"}
	capture := func(o []model.Order, p []model.Payment) []Result {
		t.Helper()
		res, err := in.Capture(ctx, o, p)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := capture([]model.Order{order(src, "")}, nil)[0]
	if first.Status != Buffered {
		t.Fatalf("first: %+v", first)
	}
	// The same record again, no version: a duplicate.
	if r := capture([]model.Order{order(src, "")}, nil)[0]; r.Status != Duplicate || r.EventID != first.EventID {
		t.Fatalf("identical resubmission: %+v", r)
	}
	// Changed content without a version: a new revision of the same order.
	if r := capture([]model.Order{order(src, "completed now")}, nil)[0]; r.Status != Buffered || r.ID != first.ID || r.Sequence != 2 {
		t.Fatalf("changed, no version: %+v", r)
	}
	// A payment numbered like its order is its own record, not a duplicate.
	if r := capture(nil, []model.Payment{payment(src)})[0]; r.Status != Buffered {
		t.Fatalf("payment with the order's number: %+v", r)
	}
	// Another terminal (location) with the same numbering: another order.
	other := src
	other.LocationID = "till-2"
	if r := capture([]model.Order{order(other, "")}, nil)[0]; r.Status != Buffered || r.ID == first.ID {
		t.Fatalf("other terminal: %+v (first %s)", r, first.ID)
	}
	if o, p := depth(ob, outbox.Orders), depth(ob, outbox.Payments); o != 3 || p != 1 {
		t.Fatalf("outbox orders %d payments %d, want 3 and 1", o, p)
	}
}

func TestPrune(t *testing.T) {
	in, _ := newIngest(t)
	ctx := context.Background()
	var orders []model.Order
	for i := 0; i < 2500; i++ {
		o := order(model.Source{Vendor: "local", ExternalID: fmt.Sprint(i)}, "")
		if i%2 == 0 {
			o.CreatedAt = time.Now().Add(-100 * 24 * time.Hour)
		} else {
			o.CreatedAt = time.Now()
		}
		orders = append(orders, o)
	}
	if _, err := in.Capture(ctx, orders, nil); err != nil {
		t.Fatal(err)
	}
	n, err := in.Prune(time.Now().Add(-RecordRetention))
	if err != nil || n != 1250 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if _, err := in.Order(orders[1].ID); err != nil {
		t.Fatalf("recent order gone: %v", err)
	}
	if _, err := in.Order(orders[0].ID); err == nil {
		t.Fatal("old order kept")
	}
}

// TestDurableOnOrder: the auto-print hook of an order survives a crash
// between the capture commit and the hook (simulated by a hook that has
// not returned when a second Ingest over the same store "restarts"), and
// is replayed once at the next start. Capture does not wait for the hook.
func TestDurableOnOrder(t *testing.T) {
	in, ob := newIngest(t)
	in.DurableOnOrder = true
	release := make(chan struct{})
	in.OnOrder = func(o model.Order) { <-release }
	if _, err := in.Capture(context.Background(), []model.Order{order(model.Source{Vendor: "local", ExternalID: "77"}, "")}, nil); err != nil {
		t.Fatal(err)
	}
	// "Restart" while the hook still hangs: the marker is in the store.
	var got []string
	again := New(in.db, ob, slog.New(slog.DiscardHandler))
	again.DurableOnOrder = true
	again.OnOrder = func(o model.Order) { got = append(got, o.Source.ExternalID) }
	n, err := again.ReplayPending()
	if err != nil || n != 1 || len(got) != 1 || got[0] != "77" {
		t.Fatalf("replay: %d %v %v", n, err, got)
	}
	if n, _ := again.ReplayPending(); n != 0 {
		t.Fatalf("replayed again: %d", n)
	}
	close(release)
	in.Wait()
	// A normal capture clears its marker itself, after its hook ran.
	if _, err := again.Capture(context.Background(), []model.Order{order(model.Source{Vendor: "local", ExternalID: "78"}, "")}, nil); err != nil {
		t.Fatal(err)
	}
	again.Wait()
	if len(got) != 2 || got[1] != "78" {
		t.Fatalf("hook calls: %v", got)
	}
	if n, _ := again.ReplayPending(); n != 0 || len(got) != 2 {
		t.Fatalf("marker left after a normal capture: %d %v", n, got)
	}
}

// TestSetDurableOnOrder: an Ingest started without durable hooks makes
// them durable once told (a runtime setting turned auto-print on): the
// order captured afterwards is replayed after a "crash" before its hook.
func TestSetDurableOnOrder(t *testing.T) {
	in, ob := newIngest(t)
	release := make(chan struct{})
	in.OnOrder = func(o model.Order) { <-release }
	in.SetDurableOnOrder()
	if _, err := in.Capture(context.Background(), []model.Order{order(model.Source{Vendor: "local", ExternalID: "91"}, "")}, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	again := New(in.db, ob, slog.New(slog.DiscardHandler))
	again.OnOrder = func(o model.Order) { got = append(got, o.Source.ExternalID) }
	if n, err := again.ReplayPending(); err != nil || n != 1 || len(got) != 1 || got[0] != "91" {
		t.Fatalf("replay: %d %v %v", n, err, got)
	}
	close(release)
	in.Wait()
}
