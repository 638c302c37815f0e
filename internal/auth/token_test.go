package auth

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/store"
)

func openStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustCreate(t testing.TB, db *store.DB, role Role, name string) (string, Token) {
	t.Helper()
	secret, tok, err := Create(db, role, name)
	if err != nil {
		t.Fatal(err)
	}
	return secret, tok
}

func TestCreate(t *testing.T) {
	db := openStore(t)
	secret, tok := mustCreate(t, db, Staff, "front-desk")
	if !strings.HasPrefix(secret, "ae_") || len(secret) != 46 || checkTokenForm(secret) != nil {
		t.Fatalf("token %q has the wrong form", secret)
	}
	if !strings.HasPrefix(tok.ID, "tok_") || len(tok.ID) != 20 || tok.Name != "front-desk" || tok.Role != Staff || tok.CreatedAt.IsZero() {
		t.Fatalf("token description %+v", tok)
	}
	secret2, _ := mustCreate(t, db, Staff, "front-desk-2")
	if secret2 == secret {
		t.Fatal("two tokens are equal")
	}

	for _, tc := range []struct {
		name string
		role Role
		tok  string
		want error
	}{
		{"unknown role", "root", "x", ErrBadRole},
		{"empty role", "", "x", ErrBadRole},
		{"empty name", Admin, "", ErrBadName},
		{"space in name", Admin, "front desk", ErrBadName},
		{"id-like name", Admin, "tok_abc", ErrBadName},
		{"too long", Admin, strings.Repeat("a", 65), ErrBadName},
		{"newline", Admin, "a\nb", ErrBadName},
		{"taken", Terminal, "front-desk", ErrNameTaken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := Create(db, tc.role, tc.tok); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}

	// The name is free again once its token is revoked.
	if _, err := Revoke(db, "front-desk"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Create(db, Terminal, "front-desk"); err != nil {
		t.Fatalf("reuse of a revoked name: %v", err)
	}
}

func TestListRevoke(t *testing.T) {
	db := openStore(t)
	_, a := mustCreate(t, db, Admin, "ops")
	_, b := mustCreate(t, db, Terminal, "kiosk-1")
	_, c := mustCreate(t, db, Staff, "till")

	got, err := Revoke(db, b.ID)
	if err != nil || got.ID != b.ID || !got.Revoked() {
		t.Fatalf("revoke by id: %+v, %v", got, err)
	}
	if got, err := Revoke(db, b.ID); err != nil || !got.Revoked() {
		t.Fatalf("second revoke by id: %+v, %v", got, err)
	}
	if _, err := Revoke(db, "kiosk-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke by the name of a revoked token: %v", err)
	}
	if got, err := Revoke(db, "till"); err != nil || got.ID != c.ID {
		t.Fatalf("revoke by name: %+v, %v", got, err)
	}
	if _, err := Revoke(db, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}

	list, err := List(db)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].ID != a.ID || list[1].ID != b.ID || list[2].ID != c.ID {
		t.Fatalf("list %+v", list)
	}
	if list[0].Revoked() || !list[1].Revoked() || !list[2].Revoked() {
		t.Fatalf("revocation flags wrong: %+v", list)
	}
}

// TestTokenNotStored greps the raw bbolt file for the token.
func TestTokenNotStored(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	secret, tok := mustCreate(t, db, Admin, "ops")
	db.Close()
	raw, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(tok.ID)) {
		t.Fatal("token id not in the file: the grep does not work")
	}
	if bytes.Contains(raw, []byte(secret)) || bytes.Contains(raw, []byte(secret[3:])) {
		t.Fatal("token found in the store file")
	}
}
