package secrets

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/store"
)

func TestRotate(t *testing.T) {
	registerTestReencrypters(t)
	dir := t.TempDir()
	path := keyPath(dir)
	kr, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	oldID := kr.ID()
	db := openStore(t, dir)
	defer db.Close()
	f := newFixture(5)
	f.write(t, db, kr)

	rot, err := kr.Rotate(db)
	if err != nil {
		t.Fatal(err)
	}
	if rot.To == oldID || kr.ID() != rot.To || len(rot.From) != 1 || rot.From[0] != oldID {
		t.Fatalf("rotation %+v, keyring now %s", rot, kr.ID())
	}
	if want := 5 * 3; rot.Resealed != want || rot.Current != 0 {
		t.Fatalf("resealed %d (current %d), want %d", rot.Resealed, rot.Current, want)
	}
	if ids := kr.IDs(); len(ids) != 1 {
		t.Fatalf("keyring keeps %v after rotation", ids)
	}
	f.check(t, db, kr)

	// A fresh load of the key file reads everything too, and holds only
	// the new key.
	re, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if ids := re.IDs(); len(ids) != 1 || ids[0] != rot.To {
		t.Fatalf("key file holds %v, want [%s]", ids, rot.To)
	}
	f.check(t, db, re)
	if _, err := os.Stat(path + ".old"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("backup left behind: %v", err)
	}
	checkAllUnder(t, db, rot.To)

	// Rotating again works from the rotated state.
	rot2, err := kr.Rotate(db)
	if err != nil {
		t.Fatal(err)
	}
	if rot2.From[0] != rot.To || rot2.Resealed != 15 {
		t.Fatalf("second rotation %+v", rot2)
	}
	f.check(t, db, kr)
}

// TestRotateIncomplete: a sealed value that no re-encrypter handles keeps
// the old key in the key file.
func TestRotateIncomplete(t *testing.T) {
	registerTestReencrypters(t)
	dir := t.TempDir()
	path := keyPath(dir)
	kr, _ := LoadOrCreateKey(path)
	db := openStore(t, dir)
	defer db.Close()
	f := newFixture(2)
	f.write(t, db, kr)
	stray := kr.Seal([]byte("stray secret"), []byte("c"))
	if err := db.Update(func(tx *store.Tx) error { return tx.Bucket(store.Cursors, "int_0").Put([]byte("c"), stray) }); err != nil {
		t.Fatal(err)
	}
	oldID := kr.ID()
	rot, err := kr.Rotate(db)
	if !errors.Is(err, ErrRotationIncomplete) {
		t.Fatalf("rotate: %v", err)
	}
	if !strings.Contains(err.Error(), "cursors/int_0") {
		t.Errorf("error does not locate the value: %v", err)
	}
	re, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if ids := re.IDs(); len(ids) != 2 || ids[0] != rot.To || ids[1] != oldID {
		t.Fatalf("key file holds %v, want [%s %s]", ids, rot.To, oldID)
	}
	f.check(t, db, re)
	if pt, err := re.Open(stray, []byte("c")); err != nil || string(pt) != "stray secret" {
		t.Fatalf("stray value: %v", err)
	}
}

// TestRotateFailedReencrypter: an error rolls the transaction back and
// the key file keeps both keys.
func TestRotateFailedReencrypter(t *testing.T) {
	registerTestReencrypters(t)
	RegisterReencrypterForTest(t, "zz_broken", func(tx *store.Tx, reseal Reseal) error {
		_, err := reseal([]byte("garbage"), nil)
		return err
	})
	dir := t.TempDir()
	path := keyPath(dir)
	kr, _ := LoadOrCreateKey(path)
	db := openStore(t, dir)
	defer db.Close()
	f := newFixture(2)
	f.write(t, db, kr)
	oldID := kr.ID()
	if _, err := kr.Rotate(db); !errors.Is(err, ErrNotSealed) || !strings.Contains(err.Error(), "zz_broken") {
		t.Fatalf("rotate: %v", err)
	}
	checkAllUnder(t, db, oldID) // rolled back
	re, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(re.IDs()) != 2 {
		t.Fatalf("key file holds %v", re.IDs())
	}
	f.check(t, db, re)
	f.check(t, db, kr)
	// New values use the new key and still open after a reload.
	f2 := newFixture(3)
	f2.write(t, db, kr)
	f2.check(t, db, re)
}

// TestRotateCrash kills a real process between the steps of Rotate and
// checks that the next start reads everything and can finish a rotation.
func TestRotateCrash(t *testing.T) {
	registerTestReencrypters(t)
	if dir := os.Getenv("SECRETS_CRASH_DIR"); dir != "" {
		crashChild(t, dir, os.Getenv("SECRETS_CRASH_AT"))
		return
	}
	for _, step := range []string{"keyfile", "commit", "keyfile-final"} {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			path := keyPath(dir)
			kr, err := LoadOrCreateKey(path)
			if err != nil {
				t.Fatal(err)
			}
			oldID := kr.ID()
			db := openStore(t, dir)
			f := newFixture(4)
			f.write(t, db, kr)
			db.Close()

			cmd := exec.Command(os.Args[0], "-test.run=^TestRotateCrash$", "-test.count=1")
			cmd.Env = append(os.Environ(), "SECRETS_CRASH_DIR="+dir, "SECRETS_CRASH_AT="+step)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 42 {
				t.Fatalf("child did not crash at %s: %v\n%s", step, err, out)
			}

			kr, err = LoadOrCreateKey(path)
			if err != nil {
				t.Fatal(err)
			}
			ids := kr.IDs()
			switch step {
			case "keyfile", "commit":
				if len(ids) != 2 || ids[1] != oldID {
					t.Fatalf("after a crash at %s the key file holds %v", step, ids)
				}
			case "keyfile-final":
				if len(ids) != 1 || ids[0] == oldID {
					t.Fatalf("after a crash at %s the key file holds %v", step, ids)
				}
			}
			db = openStore(t, dir)
			defer db.Close()
			f.check(t, db, kr)

			rot, err := kr.Rotate(db)
			if err != nil {
				t.Fatal(err)
			}
			f.check(t, db, kr)
			re, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := re.IDs(); len(got) != 1 || got[0] != rot.To {
				t.Fatalf("after recovery the key file holds %v", got)
			}
			f.check(t, db, re)
		})
	}
}

func crashChild(t *testing.T, dir, step string) {
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := LoadOrCreateKey(keyPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	crashHook = func(s string) {
		if s == step {
			os.Exit(42) // no deferred cleanup, no Close: a crash
		}
	}
	_, err = kr.Rotate(db)
	t.Fatalf("rotation finished without reaching %q: %v", step, err)
}

// checkAllUnder asserts that every sealed value in the fixture buckets
// uses key id.
func checkAllUnder(t *testing.T, db *store.DB, id string) {
	t.Helper()
	db.View(func(tx *store.Tx) error {
		for _, top := range []string{store.Vendor} {
			for _, sub := range tx.Bucket(top).Buckets() {
				tx.Bucket(top, sub).ForEach(func(k, v []byte) error {
					if got, _ := KeyIDOf(v); IsSealed(v) && got != id {
						t.Errorf("%s/%s/%s sealed under %s, want %s", top, sub, k, got, id)
					}
					return nil
				})
			}
		}
		return nil
	})
}
