package secrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/store"
)

func newKeyring(t testing.TB) *Keyring {
	t.Helper()
	kr, err := LoadOrCreateKey(keyPath(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestSealOpen(t *testing.T) {
	kr := newKeyring(t)
	for _, pt := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("secret "), 1000)} {
		a := kr.Seal(pt, []byte("int_1"))
		b := kr.Seal(pt, []byte("int_1"))
		if len(a) != len(pt)+Overhead {
			t.Fatalf("sealed %d bytes into %d, want overhead %d", len(pt), len(a), Overhead)
		}
		if bytes.Equal(a, b) {
			t.Fatal("two seals of the same plaintext are equal (nonce reuse)")
		}
		if !IsSealed(a) {
			t.Fatal("IsSealed false for a sealed value")
		}
		if id, _ := KeyIDOf(a); id != kr.ID() {
			t.Fatalf("KeyIDOf %s, want %s", id, kr.ID())
		}
		got, err := kr.Open(a, []byte("int_1"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("open gave %q", got)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	kr := newKeyring(t)
	other := newKeyring(t)
	sealed := kr.Seal([]byte("EAAAl-secret"), []byte("int_1"))
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-20] ^= 1
	newer := bytes.Clone(sealed)
	newer[1] = 2
	for _, tc := range []struct {
		name  string
		kr    *Keyring
		in    []byte
		ad    string
		want  error
		words []string
	}{
		{"other integration", kr, sealed, "int_2", ErrDecrypt, []string{"decrypt with key " + kr.ID(), "message authentication failed"}},
		{"no additional data", kr, sealed, "", ErrDecrypt, nil},
		{"tampered", kr, tampered, "int_1", ErrDecrypt, nil},
		{"wrong key file", other, sealed, "int_1", ErrUnknownKey,
			[]string{"credentials were encrypted with key " + kr.ID() + ", but the key file " + other.Path() + " holds " + other.ID()}},
		{"plaintext", kr, []byte(`{"access_token":"x"}`), "int_1", ErrNotSealed, nil},
		{"empty", kr, nil, "int_1", ErrNotSealed, nil},
		{"truncated", kr, sealed[:Overhead-1], "int_1", ErrNotSealed, []string{"shorter"}},
		{"newer format", kr, newer, "int_1", ErrNotSealed, []string{"format version 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := tc.kr.Open(tc.in, []byte(tc.ad))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %q, %v; want %v", pt, err, tc.want)
			}
			for _, w := range tc.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestADBindingInStore moves a sealed credential from one integration's
// record to another's in a real store: it must not open there.
func TestADBindingInStore(t *testing.T) {
	dir := t.TempDir()
	kr := newKeyring(t)
	db := openStore(t, dir)
	defer db.Close()
	f := newFixture(2)
	f.write(t, db, kr)
	err := db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(store.Integrations)
		var a, c integration
		json.Unmarshal(b.Get([]byte("int_0")), &a)
		json.Unmarshal(b.Get([]byte("int_1")), &c)
		c.Credentials = a.Credentials // the attacker's copy
		v, _ := json.Marshal(c)
		return b.Put([]byte("int_1"), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *store.Tx) error {
		var c integration
		json.Unmarshal(tx.Bucket(store.Integrations).Get([]byte("int_1")), &c)
		if _, err := kr.OpenMap(c.Credentials, []byte("int_1")); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("moved credentials opened under int_1: %v", err)
		}
		if m, err := kr.OpenMap(c.Credentials, []byte("int_0")); err != nil || m["access_token"].Reveal() != f.creds["int_0"] {
			t.Fatalf("credentials under their own id: %v", err)
		}
		return nil
	})
}

// TestNoPlaintextOnDisk writes secrets through the API into a real bbolt
// file and greps the raw bytes for them.
func TestNoPlaintextOnDisk(t *testing.T) {
	dir := t.TempDir()
	kr := newKeyring(t)
	db := openStore(t, dir)
	f := newFixture(3)
	f.write(t, db, kr)
	const control = "control-plaintext-4711"
	if err := db.Update(func(tx *store.Tx) error {
		return tx.Bucket(store.Meta).Put([]byte("control"), []byte(control))
	}); err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(control)) {
		t.Fatal("control plaintext not found: the grep does not work")
	}
	var secrets []string
	for id, tok := range f.creds {
		secrets = append(secrets, tok)
		for _, v := range f.vendor[id] {
			secrets = append(secrets, v)
		}
	}
	for _, s := range append(secrets, "very-secret") {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("secret %q found in the raw store file", s)
		}
	}
	db = openStore(t, dir)
	defer db.Close()
	f.check(t, db, kr)
}

func TestSealMap(t *testing.T) {
	kr := newKeyring(t)
	in := map[string]Secret{"access_token": "tok-1", "client_secret": "cs-2"}
	sealed, err := kr.SealMap(in, []byte("int_9"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("tok-1")) {
		t.Fatal("plaintext in sealed map")
	}
	out, err := kr.OpenMap(sealed, []byte("int_9"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out["access_token"].Reveal() != "tok-1" || out["client_secret"].Reveal() != "cs-2" {
		t.Fatalf("round trip lost values (%d entries)", len(out))
	}
	if _, err := kr.OpenMap(kr.Seal([]byte("not json"), nil), nil); err == nil {
		t.Fatal("OpenMap accepted a sealed non-JSON value")
	}
}

func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	kr, err := LoadOrCreateKey(keyPath(dir))
	if err != nil {
		f.Fatal(err)
	}
	good := kr.Seal([]byte("access-token"), []byte("int_1"))
	f.Add(good, []byte("int_1"))
	f.Add(good[:Overhead], []byte("int_1"))
	f.Add(kr.Seal(nil, nil), []byte{})
	f.Add([]byte{magic, formatV1}, []byte{})
	f.Add([]byte{}, []byte("x"))
	f.Add([]byte(`{"a":1}`), []byte("int_1"))
	f.Fuzz(func(t *testing.T, in, ad []byte) {
		pt, err := kr.Open(in, ad)
		if err == nil {
			// Only a genuine value opens: re-sealing and opening agrees.
			if _, err2 := kr.Open(kr.Seal(pt, ad), ad); err2 != nil {
				t.Fatalf("reseal of an opened value fails: %v", err2)
			}
			return
		}
		if !errors.Is(err, ErrNotSealed) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrDecrypt) {
			t.Fatalf("unclassified error %v", err)
		}
		_ = IsSealed(in)
		_, _ = KeyIDOf(in)
	})
}

func BenchmarkSeal(b *testing.B) {
	kr := newKeyring(b)
	pt := bytes.Repeat([]byte("s"), 256)
	ad := []byte("int_1")
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		kr.Seal(pt, ad)
	}
}

func BenchmarkOpen(b *testing.B) {
	kr := newKeyring(b)
	ad := []byte("int_1")
	sealed := kr.Seal(bytes.Repeat([]byte("s"), 256), ad)
	b.SetBytes(256)
	for b.Loop() {
		if _, err := kr.Open(sealed, ad); err != nil {
			b.Fatal(err)
		}
	}
}
