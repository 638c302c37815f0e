package integrations

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/store"
)

const secret = "sq0atp-SUPER-SECRET-TOKEN-1234567890"

func open(t *testing.T) (*Store, *store.DB, *secrets.Keyring, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := secrets.LoadOrCreateKey(filepath.Join(dir, "aura-edge.key"))
	if err != nil {
		t.Fatal(err)
	}
	return New(db, keys), db, keys, dir
}

func TestConnectGetDelete(t *testing.T) {
	s, db, _, dir := open(t)
	in, err := s.Connect("square-main", "square", "Main St", map[string]secrets.Secret{"access_token": secret},
		map[string]string{"location_id": "L1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Connect("square-main", "square", "", nil, nil); !errors.Is(err, ErrExists) {
		t.Fatalf("second connect: %v", err)
	}
	got, err := s.Get("square-main")
	if err != nil || got.Vendor != "square" || got.Settings["location_id"] != "L1" || !got.ConnectedOn.Equal(in.ConnectedOn) {
		t.Fatalf("get: %+v %v", got, err)
	}
	creds, err := s.Credentials("square-main")
	if err != nil || creds["access_token"] != secret {
		t.Fatalf("credentials: %v", err)
	}
	st := s.State("square-main")
	if err := st.Put("token/refresh", []byte("rt-"+secret)); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Get("token/refresh"); string(v) != "rt-"+secret {
		t.Fatalf("state get %q", v)
	}
	if m, _ := st.List("token/"); len(m) != 1 {
		t.Fatalf("state list %v", m)
	}
	// The secret is nowhere in the bbolt file.
	raw, err := os.ReadFile(filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(secret)) || bytes.Contains(raw, []byte("SUPER-SECRET")) {
		t.Fatal("secret found in plain text in the store file")
	}
	if err := s.Delete("square-main"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("square-main"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if v, _ := s.State("square-main").Get("token/refresh"); v != nil {
		t.Fatal("vendor state survived delete")
	}
	db.View(func(tx *store.Tx) error {
		if tx.Bucket(store.Integrations, "square-main").Exists() {
			t.Error("credentials bucket survived delete")
		}
		return nil
	})
}

// A ciphertext copied to another integration does not open there.
func TestCredentialsBoundToIntegration(t *testing.T) {
	s, db, _, _ := open(t)
	s.Connect("a", "square", "", map[string]secrets.Secret{"access_token": "AAA"}, nil)
	s.Connect("b", "square", "", map[string]secrets.Secret{"access_token": "BBB"}, nil)
	db.Update(func(tx *store.Tx) error {
		ct := tx.Bucket(store.Integrations, "a").Get(credKey())
		return tx.Bucket(store.Integrations, "b").Put(credKey(), ct)
	})
	if _, err := s.Credentials("b"); err == nil {
		t.Fatal("moved ciphertext opened under another integration")
	}
	if c, err := s.Credentials("a"); err != nil || c["access_token"] != "AAA" {
		t.Fatalf("a: %v", err)
	}
}

func TestRotationKeepsEverythingReadable(t *testing.T) {
	s, db, keys, _ := open(t)
	for _, id := range []string{"x", "y"} {
		s.Connect(id, "clover", "", map[string]secrets.Secret{"access_token": secrets.Secret("tok-" + id)}, nil)
		s.State(id).Put("token/refresh", []byte("r-"+id))
	}
	rot, err := keys.Rotate(db)
	if err != nil {
		t.Fatal(err)
	}
	if rot.Resealed < 4 {
		t.Fatalf("rotation resealed %d values: %+v", rot.Resealed, rot)
	}
	// A fresh keyring from the rotated file reads everything.
	k2, err := secrets.Load(keys.Path())
	if err != nil {
		t.Fatal(err)
	}
	s2 := New(db, k2)
	for _, id := range []string{"x", "y"} {
		c, err := s2.Credentials(id)
		if err != nil || c["access_token"] != "tok-"+id {
			t.Fatalf("%s after rotation: %v", id, err)
		}
		if v, err := s2.State(id).Get("token/refresh"); err != nil || string(v) != "r-"+id {
			t.Fatalf("%s state after rotation: %q %v", id, v, err)
		}
	}
}
