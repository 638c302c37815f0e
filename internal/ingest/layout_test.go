package ingest

import (
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
)

// TestUpgradeFromRecordsByID opens a store file made by aura-edge at
// 276f5a3 (schema 2: each captured record stored under records/<kind> by
// id, beside its outbox row): order A-1 captured and delivered (acked),
// order B-1 captured twice ("first", "second") with payment P-1, all
// three rows still queued. After the upgrade every record is found, the
// queue is intact, new revisions win over the stored ones, and pruning
// reaches both layouts.
func TestUpgradeFromRecordsByID(t *testing.T) {
	dir := t.TempDir()
	unpack(t, "testdata/store-276f5a3.db.gz", filepath.Join(dir, store.FileName))
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Version(); err != nil || v != store.SchemaVersion || v != 3 {
		t.Fatalf("schema %d (%v), want %d", v, err, store.SchemaVersion)
	}
	ob, err := outbox.Open(db, outbox.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	in := New(db, ob, slog.New(slog.DiscardHandler))
	a := model.Source{Vendor: "local", ExternalID: "A-1"}
	b := model.Source{Vendor: "local", ExternalID: "B-1"}
	aID, bID := localID(a, "ord_"), localID(b, "ord_")
	wantNote := func(id, note string) {
		t.Helper()
		o, err := in.Order(id)
		if err != nil || o.Note != note {
			t.Fatalf("order %s: %+v, %v; want note %q", id, o, err, note)
		}
	}
	wantNote(aID, "delivered")
	wantNote(bID, "second")
	if o, p := depth(ob, outbox.Orders), depth(ob, outbox.Payments); o != 2 || p != 1 {
		t.Fatalf("queued orders %d payments %d, want 2 and 1", o, p)
	}
	rows, err := ob.Peek(outbox.Orders, 0, 10)
	if err != nil || len(rows) != 2 || rows[0].SubjectSeq != 1 || rows[1].SubjectSeq != 2 {
		t.Fatalf("queued rows: %+v, %v", rows, err)
	}

	// An identical resubmission is still a duplicate of the stored one; a
	// changed one is the next revision and the record read from now on.
	ctx := context.Background()
	res, err := in.Capture(ctx, []model.Order{order(b, "second")}, nil)
	if err != nil || res[0].Status != Duplicate {
		t.Fatalf("resubmission: %+v, %v", res, err)
	}
	res, err = in.Capture(ctx, []model.Order{order(b, "third"), order(a, "changed")}, nil)
	if err != nil || res[0].Status != Buffered || res[0].Sequence != 3 || res[1].Sequence != 2 {
		t.Fatalf("new revisions: %+v, %v", res, err)
	}
	wantNote(bID, "third")
	wantNote(aID, "changed")

	// Delivered and read again after a restart.
	drainStream(t, ob, outbox.Orders)
	db.Close()
	db, err = store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if ob, err = outbox.Open(db, outbox.Config{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	in = New(db, ob, slog.New(slog.DiscardHandler))
	wantNote(bID, "third")
	wantNote(aID, "changed")

	// All were created in 2027 (order()); a cutoff after that prunes the
	// schema-2 copies (A, B, P) and the log's (B, A) alike.
	n, err := in.Prune(time.Unix(1_800_000_001, 0))
	if err != nil || n != 5 {
		t.Fatalf("pruned %d, %v; want 5", n, err)
	}
	if _, err := in.Order(bID); err == nil {
		t.Fatal("pruned order still found")
	}
}

// TestRecordAfterDelivery: a record is found by id while its event is
// queued, after the cloud acknowledged it, and after another event with
// the same subject (an order's later event on another stream).
func TestRecordAfterDelivery(t *testing.T) {
	in, ob := newIngest(t)
	ctx := context.Background()
	src := model.Source{Vendor: "local", ExternalID: "D-1"}
	res, err := in.Capture(ctx, []model.Order{order(src, "one")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	if _, err := ob.Append(ctx, outbox.Entry{Stream: outbox.Telemetry, Type: "com.auraconnect.edge.test", Subject: id, Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	drainStream(t, ob, outbox.Orders)
	drainStream(t, ob, outbox.Telemetry)
	if o, err := in.Order(id); err != nil || o.Note != "one" {
		t.Fatalf("after delivery: %+v, %v", o, err)
	}
	if res, err := in.Capture(ctx, []model.Order{order(src, "two")}, nil); err != nil || res[0].Sequence != 3 {
		t.Fatalf("next revision: %+v, %v", res, err)
	}
	if o, err := in.Order(id); err != nil || o.Note != "two" {
		t.Fatalf("next revision: %+v, %v", o, err)
	}
	if _, err := in.Order("ord_nosuchorder"); err == nil {
		t.Fatal("unknown order found")
	}
}

func drainStream(t *testing.T, ob *outbox.Outbox, s outbox.Stream) {
	t.Helper()
	for {
		rows, err := ob.Peek(s, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			return
		}
		seqs := make([]uint64, len(rows))
		for i, r := range rows {
			seqs[i] = r.Seq
		}
		if err := ob.Ack(s, seqs); err != nil {
			t.Fatal(err)
		}
	}
}

func unpack(t *testing.T, gz, dst string) {
	t.Helper()
	f, err := os.Open(gz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
