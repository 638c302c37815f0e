package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestGroupCommit: concurrent Batch calls share transactions; a function
// that fails gets its own error and writes nothing, one that panics gets
// an error (the process goes on), and every other call commits once.
func TestGroupCommit(t *testing.T) {
	db, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const calls = 200
	var commits atomic.Int64
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, calls)
	for i := range calls {
		wg.Go(func() {
			errs[i] = db.Batch(func(tx *Tx) error {
				tx.OnCommit(func() { commits.Add(1) })
				if err := tx.Bucket(Cursors).Put(fmt.Appendf(nil, "k%03d", i), []byte("v")); err != nil {
					return err
				}
				switch i {
				case 17:
					return errBoom
				case 42:
					panic("a bug in a batched function")
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		switch {
		case i == 17 && !errors.Is(err, errBoom):
			t.Errorf("call 17: %v, want its own error", err)
		case i == 42 && (err == nil || !strings.Contains(err.Error(), "panic")):
			t.Errorf("call 42: %v, want the panic as an error", err)
		case i != 17 && i != 42 && err != nil:
			t.Errorf("call %d: %v", i, err)
		}
	}
	n := 0
	db.View(func(tx *Tx) error {
		return tx.Bucket(Cursors).ForEach(func(k, v []byte) error {
			if string(k) == "k017" || string(k) == "k042" {
				t.Errorf("%s written by a failed call", k)
			}
			n++
			return nil
		})
	})
	if n != calls-2 {
		t.Fatalf("%d keys, want %d", n, calls-2)
	}
	// OnCommit runs once per function per committed transaction: fewer
	// transactions than calls means they were shared.
	if c := commits.Load(); c != calls-2 {
		t.Fatalf("%d commit callbacks, want %d (one per successful call)", c, calls-2)
	}
	var txs int
	db.View(func(tx *Tx) error { txs = tx.tx.ID(); return nil })
	if txs >= calls {
		t.Fatalf("%d transactions for %d concurrent calls: none shared", txs, calls)
	}
	t.Logf("%d calls in %d transactions", calls, txs)
}
