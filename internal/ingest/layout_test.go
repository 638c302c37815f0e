package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
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

// TestPendingMarkersOfBothForms: auto-print markers written before the
// order log (id -> {1}) and after it (log position -> id) are replayed
// once each and cleared; of two revisions of one order captured before
// their hooks ran, the hook of the first clears only its own marker.
func TestPendingMarkersOfBothForms(t *testing.T) {
	in, ob := newIngest(t)
	in.DurableOnOrder = true
	release := make(chan struct{})
	in.OnOrder = func(o model.Order) { <-release }
	ctx := context.Background()
	src := model.Source{Vendor: "local", ExternalID: "M-1"}
	res, err := in.Capture(ctx, []model.Order{order(src, "one")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	if _, err := in.Capture(ctx, []model.Order{order(src, "two")}, nil); err != nil {
		t.Fatal(err)
	}
	old, err := in.Capture(ctx, []model.Order{order(model.Source{Vendor: "local", ExternalID: "M-old"}, "")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Turn M-old's marker into the form the previous layout wrote.
	if err := in.db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(store.Records, pendingBucket)
		var k []byte
		_ = b.Scan(nil, func(key, v []byte) (bool, error) {
			if string(v) == old[0].ID {
				k = bytes.Clone(key)
			}
			return k == nil, nil
		})
		if err := b.Delete(k); err != nil {
			return err
		}
		return b.Put([]byte(old[0].ID), []byte{1})
	}); err != nil {
		t.Fatal(err)
	}
	markers := func() []string {
		var ids []string
		_ = in.db.View(func(tx *store.Tx) error {
			return tx.Bucket(store.Records, pendingBucket).ForEach(func(k, v []byte) error {
				ids = append(ids, pendingID(k, v))
				return nil
			})
		})
		slices.Sort(ids)
		return ids
	}
	if got := markers(); len(got) != 3 {
		t.Fatalf("markers %v, want 3", got)
	}
	// "Restart" while the hooks hang: each order replays once, at its
	// latest revision.
	var got []string
	again := New(in.db, ob, slog.New(slog.DiscardHandler))
	again.DurableOnOrder = true
	again.OnOrder = func(o model.Order) { got = append(got, o.Source.ExternalID+":"+o.Note) }
	n, err := again.ReplayPending()
	slices.Sort(got)
	if err != nil || n != 2 || !slices.Equal(got, []string{"M-1:two", "M-old:"}) {
		t.Fatalf("replay: %d %v %v", n, err, got)
	}
	if m := markers(); len(m) != 0 {
		t.Fatalf("markers left after the replay: %v", m)
	}
	close(release)
	in.Wait()

	// Two revisions queued for the hook: the first hook's clear leaves the
	// second revision's marker.
	hold := make(chan struct{})
	step := make(chan string, 4)
	in.OnOrder = func(o model.Order) { step <- o.Note; <-hold }
	if _, err := in.Capture(ctx, []model.Order{order(src, "three")}, nil); err != nil {
		t.Fatal(err)
	}
	if note := <-step; note != "three" {
		t.Fatalf("hook got %q", note)
	}
	if _, err := in.Capture(ctx, []model.Order{order(src, "four")}, nil); err != nil {
		t.Fatal(err)
	}
	if m := markers(); !slices.Equal(m, []string{id, id}) {
		t.Fatalf("markers %v, want two of %s", m, id)
	}
	hold <- struct{}{} // "three" done; its clear runs, then "four"'s hook starts
	if note := <-step; note != "four" {
		t.Fatalf("hook got %q", note)
	}
	if m := markers(); !slices.Equal(m, []string{id}) {
		t.Fatalf("markers while the second hook runs %v, want one of %s", m, id)
	}
	close(hold)
	in.Wait()
	if m := markers(); len(m) != 0 {
		t.Fatalf("markers left %v", m)
	}
}
