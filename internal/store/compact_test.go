package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// fillAndDrain writes n KiB-sized rows to a bucket and deletes them, and
// keeps a few rows (and the bucket sequence) in another.
func fillAndDrain(t *testing.T, db *DB, n int) {
	t.Helper()
	val := bytes.Repeat([]byte("x"), 1024)
	for i := 0; i < n; i += 1000 {
		err := db.Update(func(tx *Tx) error {
			b := tx.Bucket(Outbox, "bulk")
			for j := i; j < min(i+1000, n); j++ {
				if err := b.Put(U64(uint64(j)), val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err := db.Update(func(tx *Tx) error {
		keep := tx.Bucket(Outbox, "keep")
		for i := 0; i < 3; i++ {
			seq, err := keep.NextSequence()
			if err != nil {
				return err
			}
			if err := keep.Put(U64(seq), []byte(fmt.Sprintf("row %d", seq))); err != nil {
				return err
			}
		}
		return tx.DeleteBucket(Outbox, "bulk")
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkKept(t *testing.T, db *DB) {
	t.Helper()
	err := db.Update(func(tx *Tx) error {
		keep := tx.Bucket(Outbox, "keep")
		for i := uint64(1); i <= 3; i++ {
			if got := string(keep.Get(U64(i))); got != fmt.Sprintf("row %d", i) {
				return fmt.Errorf("row %d = %q", i, got)
			}
		}
		if seq, _ := keep.NextSequence(); seq != 4 {
			return fmt.Errorf("sequence after compaction %d, want 4", seq)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCompactGivesSpaceBack(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fillAndDrain(t, db, 20000)
	before := db.Size()
	if free := db.FreeBytes(); free < before/2 {
		t.Fatalf("free pages %d of a %d byte file after draining", free, before)
	}
	st, err := db.Compact(context.Background(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compacted %d -> %d bytes in %s", st.Before, st.After, st.Took)
	if st.After >= before/4 || fileSize(db.Path()) != st.After {
		t.Fatalf("file %d bytes after compaction (was %d)", st.After, before)
	}
	checkKept(t, db)
	if _, err := os.Stat(db.Path() + compactSuffix); !os.IsNotExist(err) {
		t.Errorf("copy left behind: %v", err)
	}
}

// TestCompactBusy: a transaction that does not end makes Compact give up
// with ErrBusy, and nothing changes.
func TestCompactBusy(t *testing.T) {
	db, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	release, held := make(chan struct{}), make(chan struct{})
	go db.View(func(*Tx) error { close(held); <-release; return nil })
	<-held
	if _, err := db.Compact(context.Background(), 50*time.Millisecond); err != ErrBusy {
		t.Fatalf("Compact while a transaction runs: %v", err)
	}
	close(release)
	if _, err := db.Compact(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestCompactCrashLeavesOneGoodStore kills a process at each stage of a
// compaction (it exits from the stage hook, as a power cut would) and
// reopens the store: the data is intact and no copy is left behind.
func TestCompactCrashLeavesOneGoodStore(t *testing.T) {
	if dir := os.Getenv("STORE_COMPACT_CRASH_DIR"); dir != "" {
		stage := os.Getenv("STORE_COMPACT_CRASH_STAGE")
		compactHook = func(s string) {
			if s == stage {
				os.Exit(3)
			}
		}
		db, err := Open(dir, Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_, err = db.Compact(context.Background(), time.Second)
		fmt.Fprintln(os.Stderr, "compaction ended without a crash:", err)
		os.Exit(2)
	}
	for _, stage := range []string{"copied", "closed", "renamed"} {
		t.Run(stage, func(t *testing.T) {
			dir := t.TempDir()
			db, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			fillAndDrain(t, db, 5000)
			db.Close()
			cmd := exec.Command(os.Args[0], "-test.run", "^TestCompactCrashLeavesOneGoodStore$")
			cmd.Env = append(os.Environ(), "STORE_COMPACT_CRASH_DIR="+dir, "STORE_COMPACT_CRASH_STAGE="+stage)
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
				t.Fatalf("crashing process: %v\n%s", err, out)
			}
			db, err = Open(dir, Options{})
			if err != nil {
				t.Fatalf("reopen after a crash at %s: %v", stage, err)
			}
			defer db.Close()
			checkKept(t, db)
			if _, err := os.Stat(filepath.Join(dir, FileName+compactSuffix)); !os.IsNotExist(err) {
				t.Errorf("copy left behind after a crash at %s: %v", stage, err)
			}
		})
	}
}
