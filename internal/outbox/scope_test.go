package outbox

import (
	"fmt"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/store"
)

func scoped(subject, key, data string) Entry {
	e := order(subject, key, data)
	e.DedupeScope = subject
	return e
}

// countKeys counts the dedupe records in keys and the scoped ones in
// subjects, once the deferred subjects index is merged.
func countKeys(t *testing.T, o *Outbox) (plain, inSubjects, positions int) {
	t.Helper()
	mergeSubjects(t, o)
	err := o.db.View(func(tx *store.Tx) error {
		if err := tx.Bucket(store.Outbox, bucketKeys).ForEach(func(k, v []byte) error { plain++; return nil }); err != nil {
			return err
		}
		if err := tx.Bucket(store.Outbox, bucketSubjects).ForEach(func(k, v []byte) error {
			if !isSubject(v) {
				inSubjects++
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(store.Outbox, bucketKeyOrder).ForEach(func(k, v []byte) error { positions++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return plain, inSubjects, positions
}

// TestDedupeScope: a scoped key is kept beside its subject's counter, is a
// duplicate within one call and across calls, keeps the subject sequence,
// and a key kept in keys before scopes existed is still found.
func TestDedupeScope(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	res := mustAppend(t, o, scoped("ord_1", "k1", `1`), scoped("ord_1", "k1", `1`), scoped("ord_1", "k2", `2`))
	if res[0].Duplicate || !res[1].Duplicate || res[1].ID != res[0].ID || res[2].Duplicate || res[2].SubjectSeq != 2 {
		t.Fatalf("first call: %+v", res)
	}
	again := mustAppend(t, o, scoped("ord_1", "k1", `1`))[0]
	if !again.Duplicate || again.ID != res[0].ID || again.SubjectSeq != 1 {
		t.Fatalf("resubmission: %+v, want a duplicate of %+v", again, res[0])
	}
	if plain, in, pos := countKeys(t, o); plain != 0 || in != 2 || pos != 2 {
		t.Fatalf("%d keys, %d scoped, %d positions; want 0, 2, 2", plain, in, pos)
	}
	// A key appended without a scope (a store from before scopes) is a
	// duplicate of a scoped append of the same key.
	old := mustAppend(t, o, order("ord_2", "k3", `3`))[0]
	if a := mustAppend(t, o, scoped("ord_2", "k3", `3`))[0]; !a.Duplicate || a.ID != old.ID {
		t.Fatalf("key kept before scopes: %+v, want a duplicate of %+v", a, old)
	}
	if a := mustAppend(t, o, scoped("ord_2", "k4", `4`))[0]; a.Duplicate || a.SubjectSeq != 2 {
		t.Fatalf("next revision: %+v", a)
	}
	checkCounters(t, db, o)
}

// TestDedupeScopeBounds: scoped keys are pruned like the others (age and
// count, never while their row is queued), and the subject sweep neither
// drops nor counts them.
func TestDedupeScopeBounds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db, o := openTest(t, Config{Now: func() time.Time { return now }, DedupeMaxAge: time.Hour, DedupeMaxKeys: 3, SubjectMaxAge: 30 * time.Minute}, nil)
	a := mustAppend(t, o, scoped("s_a", "a", `a`))[0]
	mustAppend(t, o, scoped("s_b", "b", `b`), order("s_p", "p", `p`))
	if err := o.Ack(Orders, []uint64{a.Seq}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	mustAppend(t, o, scoped("s_c", "c", `c`)) // prunes a (delivered, old); keeps b (queued)
	if res := mustAppend(t, o, scoped("s_b", "b", `b`))[0]; !res.Duplicate {
		t.Fatal("the scoped key of a queued row was forgotten")
	}
	if res := mustAppend(t, o, scoped("s_a", "a", `a2`))[0]; res.Duplicate {
		t.Fatal("an old delivered scoped key was not pruned")
	}
	rows, _ := o.Peek(Orders, 0, 100)
	var seqs []uint64
	for _, r := range rows {
		seqs = append(seqs, r.Seq)
	}
	if err := o.Ack(Orders, seqs); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		res := mustAppend(t, o, scoped(fmt.Sprintf("s_n%d", i), fmt.Sprintf("n%d", i), ``))
		if err := o.Ack(Orders, []uint64{res[0].Seq}); err != nil {
			t.Fatal(err)
		}
	}
	if plain, in, pos := countKeys(t, o); plain+in != 3 || pos != 3 {
		t.Fatalf("%d keys, %d scoped, %d positions; want 3 in all", plain, in, pos)
	}
	// The sweep forgot the idle counters but left the scoped keys to
	// pruneKeys: the newest still dedupes.
	now = now.Add(time.Hour)
	for i := range 8 {
		mustAppend(t, o, order(fmt.Sprintf("t%d", i), "", ``))
	}
	db.View(func(tx *store.Tx) error {
		if tx.Bucket(store.Outbox, bucketSubjects).Has([]byte("s_n4")) {
			t.Error("idle subject not swept")
		}
		return nil
	})
	if res := mustAppend(t, o, scoped("s_n4", "n4", ``))[0]; !res.Duplicate {
		t.Fatal("the sweep dropped a scoped key")
	}
}

func TestDedupeScopeInvalid(t *testing.T) {
	_, o := openTest(t, Config{}, nil)
	for _, e := range []Entry{
		{Stream: Orders, Type: "t", DedupeKey: "\x00k"},
		{Stream: Orders, Type: "t", DedupeKey: "k", DedupeScope: "a\x00b"},
	} {
		if _, err := o.Append(t.Context(), e); err == nil {
			t.Errorf("%q/%q accepted", e.DedupeScope, e.DedupeKey)
		}
	}
}

// mergeSubjects applies the deferred subjects index to its bucket, for
// tests that look into the bucket.
func mergeSubjects(t *testing.T, o *Outbox) {
	t.Helper()
	if err := o.MergeSubjects(t.Context()); err != nil {
		t.Fatal(err)
	}
}
