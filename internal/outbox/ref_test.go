package outbox

import (
	"context"
	"errors"
	"testing"

	"github.com/auraconnect/aura-edge/internal/store"
)

// TestSubjectRef: a ref set after an append stays through later appends
// of the subject, is replaced by the next SetSubjectRef, reads as 0 for a
// counter written before refs (16 bytes), and cannot be set for a subject
// with no event.
func TestSubjectRef(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	ctx := context.Background()
	ref := func() uint64 {
		t.Helper()
		var r uint64
		if err := db.View(func(tx *store.Tx) error { r = o.SubjectRef(tx, "ord_1"); return nil }); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if err := db.Update(func(tx *store.Tx) error {
		if _, err := o.AppendTx(tx, order("ord_1", "k1", `{}`)); err != nil {
			return err
		}
		return o.SetSubjectRef(tx, "ord_1", 7)
	}); err != nil {
		t.Fatal(err)
	}
	if r := ref(); r != 7 {
		t.Fatalf("ref %d, want 7", r)
	}
	a, err := o.Append(ctx, Entry{Stream: Telemetry, Type: "t", Subject: "ord_1", Data: []byte(`{}`)})
	if err != nil || a[0].SubjectSeq != 2 {
		t.Fatalf("append: %+v, %v", a, err)
	}
	if r := ref(); r != 7 {
		t.Fatalf("ref after another append %d, want 7", r)
	}
	if err := db.Update(func(tx *store.Tx) error { return o.SetSubjectRef(tx, "ord_1", 9) }); err != nil {
		t.Fatal(err)
	}
	if r := ref(); r != 9 {
		t.Fatalf("ref %d, want 9", r)
	}
	// A counter as the layout before refs wrote it.
	mergeSubjects(t, o)
	if err := db.Update(func(tx *store.Tx) error {
		return tx.Bucket(store.Outbox, bucketSubjects).Put([]byte("ord_1"), encodeSubject(5, 1, 0)[:16])
	}); err != nil {
		t.Fatal(err)
	}
	if r := ref(); r != 0 {
		t.Fatalf("ref of an old counter %d, want 0", r)
	}
	if a, err := o.Append(ctx, order("ord_1", "k2", `{}`)); err != nil || a[0].SubjectSeq != 6 {
		t.Fatalf("append after an old counter: %+v, %v", a, err)
	}
	err = db.Update(func(tx *store.Tx) error { return o.SetSubjectRef(tx, "ord_none", 1) })
	if !errors.Is(err, ErrUnknownSubject) {
		t.Fatalf("ref of an unknown subject: %v", err)
	}
}

// TestEntryRef: an entry's Ref runs only when the entry is new, and its
// number is kept with the subject's counter in the same write.
func TestEntryRef(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	calls := 0
	appendRef := func(key string, ref uint64) Appended {
		t.Helper()
		var res []Appended
		err := db.Update(func(tx *store.Tx) error {
			e := scoped("ord_e", key, `{}`)
			e.Ref = func(*store.Tx) (uint64, error) { calls++; return ref, nil }
			var err error
			res, err = o.AppendTx(tx, e)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	refOf := func() (r uint64) {
		db.View(func(tx *store.Tx) error { r = o.SubjectRef(tx, "ord_e"); return nil })
		return r
	}
	if a := appendRef("k1", 11); a.SubjectSeq != 1 || refOf() != 11 || calls != 1 {
		t.Fatalf("first: %+v, ref %d, %d calls", a, refOf(), calls)
	}
	if a := appendRef("k1", 99); !a.Duplicate || refOf() != 11 || calls != 1 {
		t.Fatalf("duplicate: %+v, ref %d, %d calls; want the ref kept and no call", a, refOf(), calls)
	}
	if a := appendRef("k2", 12); a.SubjectSeq != 2 || refOf() != 12 || calls != 2 {
		t.Fatalf("second revision: %+v, ref %d, %d calls", a, refOf(), calls)
	}
	if _, err := o.Append(context.Background(), Entry{Stream: Orders, Type: "t", Data: []byte(`{}`),
		Ref: func(*store.Tx) (uint64, error) { return 1, nil }}); !errors.Is(err, ErrInvalidEntry) {
		t.Fatalf("a ref without a subject: %v", err)
	}
}
