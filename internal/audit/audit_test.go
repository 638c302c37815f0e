package audit

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

func open(t *testing.T) (*Logger, *outbox.Outbox) {
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
	return New(db, ob, Config{MaxRows: 5}, slog.New(slog.DiscardHandler)), ob
}

func TestRecordQueryAndSendUp(t *testing.T) {
	l, ob := open(t)
	ctx := context.Background()
	for _, r := range []Record{
		{Type: "menu_push", Status: Success, Integration: "sq1", Message: "12 objects"},
		{Type: "order_pull", Status: Failed, Integration: "sq1", Message: "http 500"},
		{Type: "order_pull", Status: Success, Integration: "cl1"},
	} {
		if _, err := l.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		f    Filter
		want int
	}{
		{Filter{}, 3}, {Filter{Type: "order_pull"}, 2}, {Filter{Status: Failed}, 1},
		{Filter{Integration: "sq1"}, 2}, {Filter{Integration: "sq1", Type: "order_pull", Status: Success}, 0},
		{Filter{Limit: 1}, 1},
	}
	for _, tt := range tests {
		got, err := l.Query(tt.f)
		if err != nil || len(got) != tt.want {
			t.Errorf("%+v: %d records, %v", tt.f, len(got), err)
		}
	}
	last, _ := l.Last("sq1", "order_pull")
	if last == nil || last.Status != Failed {
		t.Fatalf("last = %+v", last)
	}
	rows, _ := ob.Peek(outbox.SyncLogs, 0, 10)
	if len(rows) != 3 || rows[0].Type != EventType {
		t.Fatalf("outbox rows %d", len(rows))
	}
}

func TestPrune(t *testing.T) {
	l, _ := open(t)
	ctx := context.Background()
	now := time.Now()
	l.now = func() time.Time { return now.Add(-40 * 24 * time.Hour) }
	l.Record(ctx, Record{Type: "old", Status: Success}) // UUIDv7 time is the real clock, so age by SyncedAt is not used
	l.now = time.Now
	for i := 0; i < 7; i++ {
		l.Record(ctx, Record{Type: "new", Status: Success})
	}
	n, err := l.Prune()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := l.Query(Filter{})
	if len(got) != 5 || n != 3 {
		t.Fatalf("after prune %d records, pruned %d", len(got), n)
	}
}
