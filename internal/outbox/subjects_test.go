package outbox

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/auraconnect/aura-edge/internal/store"
)

// TestSubjectIndexRollback: changes of a transaction that rolls back are
// never seen, whether it failed on its own or in a group commit where
// another function failed (bbolt then retries the others in a new
// transaction), and whether or not the next writer comes before anything
// else touched the index.
func TestSubjectIndexRollback(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	errBoom := errors.New("boom")
	// Alone: the append and the dedupe record roll back with the caller.
	err := db.Update(func(tx *store.Tx) error {
		if _, err := o.AppendTx(tx, scoped("ord_r", "k1", `1`)); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatal(err)
	}
	if a := mustAppend(t, o, scoped("ord_r", "k1", `1`))[0]; a.Duplicate || a.SubjectSeq != 1 {
		t.Fatalf("after a rollback: %+v, want a new append with subject seq 1", a)
	}
	// In a group commit: a failing function rolls back everyone's writes;
	// the others run again and commit once.
	var wg sync.WaitGroup
	results := make([][]Appended, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Batch(func(tx *store.Tx) error {
				res, err := o.AppendTx(tx, scoped(fmt.Sprintf("ord_b%d", i), fmt.Sprintf("b%d", i), `b`))
				if err != nil {
					return err
				}
				if i == 3 {
					return errBoom
				}
				results[i] = res
				return nil
			})
			if (i == 3) != errors.Is(err, errBoom) {
				t.Errorf("function %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	for i := range 8 {
		a := mustAppend(t, o, scoped(fmt.Sprintf("ord_b%d", i), fmt.Sprintf("b%d", i), `b`))[0]
		if i == 3 {
			if a.Duplicate || a.SubjectSeq != 1 {
				t.Errorf("the failed function's key: %+v, want new with subject seq 1", a)
			}
			continue
		}
		if !a.Duplicate || a.ID != results[i][0].ID || a.SubjectSeq != 1 {
			t.Errorf("key b%d: %+v, want a duplicate of %+v", i, a, results[i][0])
		}
	}
	// Merged, reopened: the same answers from the bucket.
	mergeSubjects(t, o)
	o2, err := Open(db, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := mustAppend(t, o2, scoped("ord_b3", "b3", `b`))[0]; !a.Duplicate {
		t.Fatalf("after the merge: %+v, want a duplicate", a)
	}
	if a := mustAppend(t, o2, order("ord_r", "", `x`))[0]; a.SubjectSeq != 2 {
		t.Fatalf("subject ord_r after the merge: seq %d, want 2", a.SubjectSeq)
	}
}

// TestSubjectIndexMergesInBackground: with a small merge threshold, merges
// run while appends and reads go on; every key stays a duplicate, every
// subject counts on, every ref is found, and the log ends merged.
func TestSubjectIndexMergesInBackground(t *testing.T) {
	db, o := openTest(t, Config{SubjectLogMerge: 16}, nil)
	const writers, each = 4, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(2)
		go func() { // appends, each with a ref
			defer wg.Done()
			for i := range each {
				subject := fmt.Sprintf("ord_%d_%d", w, i)
				err := db.Batch(func(tx *store.Tx) error {
					if _, err := o.AppendTx(tx, scoped(subject, "k/"+subject, `1`)); err != nil {
						return err
					}
					return o.SetSubjectRef(tx, subject, uint64(1000*w+i+1))
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
		go func() { // reads of what was acknowledged
			defer wg.Done()
			for i := range each {
				subject := fmt.Sprintf("ord_%d_%d", w, i)
				for {
					var ref uint64
					db.View(func(tx *store.Tx) error { ref = o.SubjectRef(tx, subject); return nil })
					if ref != 0 {
						if ref != uint64(1000*w+i+1) {
							t.Errorf("ref of %s: %d", subject, ref)
						}
						break
					}
					if t.Failed() {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for w := range writers {
		for i := range each {
			subject := fmt.Sprintf("ord_%d_%d", w, i)
			a := mustAppend(t, o, scoped(subject, "k/"+subject, `1`))[0]
			if !a.Duplicate || a.SubjectSeq != 1 {
				t.Fatalf("%s: %+v, want a duplicate with subject seq 1", subject, a)
			}
		}
	}
	mergeSubjects(t, o)
	var logged, merged int
	db.View(func(tx *store.Tx) error {
		tx.Bucket(store.Outbox, bucketSubjectLog).ForEach(func(k, v []byte) error { logged++; return nil })
		tx.Bucket(store.Outbox, bucketSubjects).ForEach(func(k, v []byte) error { merged++; return nil })
		return nil
	})
	if logged != 0 || merged != 2*writers*each {
		t.Fatalf("after MergeSubjects: %d changes in the log, %d records in the index; want 0 and %d", logged, merged, 2*writers*each)
	}
	o.subjects.mu.Lock()
	n := len(o.subjects.mem)
	o.subjects.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d changes still held in memory after the merge", n)
	}
}

// TestSubjectIndexDeletesBeforeMerge: a key deleted by pruning before it
// was merged stays deleted after the merge and after a reopen.
func TestSubjectIndexDeletesBeforeMerge(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	mustAppend(t, o, scoped("ord_d", "kd", `1`))
	k := scopedKey("ord_d", "kd")
	if err := db.Update(func(tx *store.Tx) error { return o.subjects.del(tx, k) }); err != nil {
		t.Fatal(err)
	}
	check := func(o *Outbox, when string) {
		t.Helper()
		db.View(func(tx *store.Tx) error {
			if v := o.subjects.get(tx, k); v != nil {
				t.Errorf("%s: deleted key reads %x", when, v)
			}
			return nil
		})
	}
	check(o, "before the merge")
	o2, err := Open(db, Config{}, nil) // loads the log
	if err != nil {
		t.Fatal(err)
	}
	check(o2, "reopened")
	mergeSubjects(t, o2)
	check(o2, "merged")
	db.View(func(tx *store.Tx) error {
		if tx.Bucket(store.Outbox, bucketSubjects).Has(k) {
			t.Error("deleted key in the bucket after the merge")
		}
		return nil
	})
}

// TestSubjectIndexNextWriterPublishes: bbolt runs commit handlers after it
// lets the next writer in, so the next write transaction may come before
// the last one's changes are published. It must then see them (published
// by itself, since the log shows they committed) — and must not see the
// changes of a transaction that rolled back.
func TestSubjectIndexNextWriterPublishes(t *testing.T) {
	db, o := openTest(t, Config{}, nil)
	x := o.subjects
	a := mustAppend(t, o, scoped("ord_p", "kp", `1`))[0]
	// As if the commit handler had not run yet.
	x.mu.Lock()
	c := x.cur
	c.done = false
	for k := range c.changes {
		delete(x.mem, k)
	}
	x.mu.Unlock()
	if b := mustAppend(t, o, scoped("ord_p", "kp", `1`))[0]; !b.Duplicate || b.ID != a.ID {
		t.Fatalf("next writer before the commit handler: %+v, want a duplicate of %+v", b, a)
	}
	// A rolled-back transaction whose changes are still the last ones:
	// the next writer drops them.
	errBoom := errors.New("boom")
	db.Update(func(tx *store.Tx) error {
		if _, err := o.AppendTx(tx, scoped("ord_q", "kq", `1`)); err != nil {
			return err
		}
		return errBoom
	})
	if b := mustAppend(t, o, scoped("ord_q", "kq", `1`))[0]; b.Duplicate || b.SubjectSeq != 1 {
		t.Fatalf("after a rollback: %+v, want a new append", b)
	}
}

func FuzzDecodeChange(f *testing.F) {
	f.Add(encodeChange([]byte("ord_1"), encodeSubject(3, 4, 5)))
	f.Add(encodeChange([]byte("ord_1\x00abc"), nil))
	f.Add(encodeChange([]byte{}, []byte{}))
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, v []byte) {
		key, val, ok := decodeChange(v)
		if !ok {
			return
		}
		again := encodeChange(key, val)
		k2, v2, ok2 := decodeChange(again)
		if !ok2 || !bytes.Equal(k2, key) || !bytes.Equal(v2, val) || (v2 == nil) != (val == nil) {
			t.Fatalf("round trip of %x: %x %x -> %x %x", v, key, val, k2, v2)
		}
	})
}
