package provision

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/nacl/box"

	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

func open(t *testing.T, dir string) (*store.DB, *secrets.Keyring) {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.LoadOrCreateKey(filepath.Join(dir, "credential.key"))
	if err != nil {
		t.Fatal(err)
	}
	return db, keys
}

func TestSealOpenAndPersist(t *testing.T) {
	dir := t.TempDir()
	db, keys := open(t, dir)
	k, err := LoadOrCreate(db, keys, "store-1")
	if err != nil {
		t.Fatal(err)
	}
	creds := map[string]string{"access_token": "EAAA-very-secret-token-1234567890"}
	sealed, err := Seal(k.Public(), "store-1", creds)
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.Open(sealed)
	if err != nil || got["access_token"] != creds["access_token"] {
		t.Fatalf("Open = %v, %v", got, err)
	}
	// Another store's blob, and tampering, are refused.
	other, _ := Seal(k.Public(), "store-2", creds)
	if _, err := k.Open(other); !errors.Is(err, ErrSealed) {
		t.Errorf("other store: %v", err)
	}
	b := []byte(sealed)
	b[10] ^= 1
	if _, err := k.Open(string(b)); !errors.Is(err, ErrSealed) {
		t.Errorf("tampered: %v", err)
	}
	// The same key after a restart; the private key is not in clear in the file.
	db.Close()
	db, keys = open(t, dir)
	k2, err := LoadOrCreate(db, keys, "store-1")
	if err != nil || k2.Public() != k.Public() {
		t.Fatalf("reloaded key %v %v", k2, err)
	}
	db.Close()
	raw, err := os.ReadFile(filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, k.priv[:]) {
		t.Error("private key in clear in the database file")
	}
}

// FuzzOpen: any sealed_credentials value is refused with an error or
// opened, never a panic.
func FuzzOpen(f *testing.F) {
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	k := &Key{storeID: "s", pub: *pub, priv: *priv}
	good, _ := Seal(k.Public(), "s", map[string]string{"access_token": "t"})
	empty, _ := Seal(k.Public(), "s", nil)
	for _, s := range []string{good, empty, "", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 48))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		creds, err := k.Open(s)
		if err == nil && len(creds) == 0 {
			t.Fatal("opened without credentials")
		}
	})
}

// TestKeyRotation: rotating the credential key re-seals the private key,
// so the published key stays the same.
func TestKeyRotation(t *testing.T) {
	dir := t.TempDir()
	db, keys := open(t, dir)
	defer db.Close()
	k, err := LoadOrCreate(db, keys, "store-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Rotate(db); err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreate(db, keys, "store-1")
	if err != nil || k2.Public() != k.Public() {
		t.Fatalf("after rotation: %v %v (was %s)", k2.Public(), err, k.Public())
	}
}
