package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error {
		return tx.Bucket(Integrations).Put([]byte("int_1"), []byte(`{"vendor":"square"}`))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got []byte
	db.View(func(tx *Tx) error { got = tx.Bucket(Integrations).Get([]byte("int_1")); return nil })
	if string(got) != `{"vendor":"square"}` {
		t.Fatalf("after reopen got %q", got)
	}
	v, err := db.Version()
	if err != nil || v != SchemaVersion {
		t.Fatalf("version %d, %v", v, err)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// bbolt's flock is per open file description, so a second Open in the
	// same process is refused just as another process would be.
	start := time.Now()
	_, err = Open(dir, Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second open: %v", err)
	}
	want := fmt.Sprintf("data dir %s is in use by another aura-edge (pid %d)", dir, os.Getpid())
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not contain %q", err, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second open took %v", d)
	}
}

// TestSecondProcess runs the lock check across a real process boundary.
func TestSecondProcess(t *testing.T) {
	if os.Getenv("STORE_HOLD_DIR") != "" {
		db, err := Open(os.Getenv("STORE_HOLD_DIR"), Options{})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Println("HOLDING")
		time.Sleep(30 * time.Second)
		db.Close()
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecondProcess$")
	cmd.Env = append(os.Environ(), "STORE_HOLD_DIR="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "HOLDING") {
		t.Fatalf("child said %q", buf[:n])
	}
	_, err := Open(dir, Options{LockTimeout: 100 * time.Millisecond})
	want := fmt.Sprintf("(pid %d)", cmd.Process.Pid)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want ErrInUse naming %s", err, want)
	}
}

func TestBucketsAndScan(t *testing.T) {
	db, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *Tx) error {
		b := tx.Bucket(Outbox, "orders")
		for i := 1; i <= 5; i++ {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := b.Put(U64(seq), []byte{byte(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []uint64
	db.View(func(tx *Tx) error {
		return tx.Bucket(Outbox, "orders").Scan(U64(3), func(k, v []byte) (bool, error) {
			keys = append(keys, ParseU64(k))
			return len(keys) < 2, nil
		})
	})
	if fmt.Sprint(keys) != "[3 4]" {
		t.Fatalf("scan = %v", keys)
	}
	// A missing bucket in a read transaction reads as empty and refuses writes.
	db.View(func(tx *Tx) error {
		b := tx.Bucket("nope")
		if b.Exists() || b.Get([]byte("x")) != nil {
			t.Error("missing bucket not empty")
		}
		if err := b.Put([]byte("x"), nil); !errors.Is(err, ErrReadOnly) {
			t.Errorf("put in view: %v", err)
		}
		return nil
	})
	if err := db.Update(func(tx *Tx) error { return tx.DeleteBucket(Outbox, "orders") }); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *Tx) error { return tx.Bucket(Meta).Put(schemaKey, []byte("999")) })
	db.Close()
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("got %v", err)
	}
}

func TestMigrationFromZero(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Simulate a file from before the schema key existed.
	db.Update(func(tx *Tx) error { return tx.Bucket(Meta).Delete(schemaKey) })
	db.Close()
	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.Version(); v != SchemaVersion {
		t.Fatalf("version %d", v)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
}

func TestExistsDoesNotCreate(t *testing.T) {
	db, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Update(func(tx *Tx) error {
		if tx.Exists(Integrations, "nope") {
			t.Error("missing bucket exists")
		}
		if tx.Exists(Integrations, "nope") || tx.Bucket(Integrations).Has([]byte("nope")) {
			t.Error("Exists created the bucket")
		}
		tx.Bucket(Integrations, "yes")
		if !tx.Exists(Integrations, "yes") {
			t.Error("created bucket does not exist")
		}
		return nil
	})
}

func TestDeleteU64(t *testing.T) {
	db, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *Tx) error {
		b := tx.Bucket(Outbox, "orders")
		for i := uint64(1); i <= 2000; i++ {
			if err := b.Put(U64(i), make([]byte, i%7)); err != nil {
				return err
			}
		}
		_ = b.Sub("nested") // a nested bucket is never deleted as a key
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		keys          []uint64
		removed, size int
	}{
		{"ascending run", []uint64{10, 11, 12, 13}, 4, 3 + 4 + 5 + 6},
		{"again: already gone", []uint64{10, 11, 12, 13}, 0, 0},
		{"repeated, missing, out of order", []uint64{20, 20, 5000, 14, 0, 20}, 2, 6 + 0},
		{"across many pages", seqRange(100, 1999), 1900, sizes(100, 1999)},
	}
	for _, tt := range tests {
		var removed, size int
		err := db.Update(func(tx *Tx) (err error) {
			removed, size, err = tx.Bucket(Outbox, "orders").DeleteU64(tt.keys)
			return err
		})
		if err != nil || removed != tt.removed || size != tt.size {
			t.Errorf("%s: removed %d, %d bytes, err %v; want %d, %d bytes", tt.name, removed, size, err, tt.removed, tt.size)
		}
	}
	var left []uint64
	db.View(func(tx *Tx) error {
		b := tx.Bucket(Outbox, "orders")
		if !b.Sub("nested").Exists() {
			t.Error("nested bucket gone")
		}
		if _, _, err := b.DeleteU64([]uint64{1}); !errors.Is(err, ErrReadOnly) {
			t.Errorf("DeleteU64 in a read transaction: %v", err)
		}
		return b.Scan(nil, func(k, _ []byte) (bool, error) {
			left = append(left, ParseU64(k))
			return true, nil
		})
	})
	want := append(append(seqRange(1, 9), seqRange(15, 19)...), seqRange(21, 99)...)
	want = append(want, 2000)
	if fmt.Sprint(left) != fmt.Sprint(want) {
		t.Errorf("left %v, want %v", left, want)
	}
}

func seqRange(from, to uint64) []uint64 {
	var s []uint64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func sizes(from, to uint64) (n int) {
	for i := from; i <= to; i++ {
		n += int(i % 7)
	}
	return n
}
