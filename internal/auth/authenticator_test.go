package auth

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuthenticate(t *testing.T) {
	db := openStore(t)
	a := NewAuthenticator(db, Options{})
	valid, vtok := mustCreate(t, db, Staff, "till")
	revoked, rtok := mustCreate(t, db, Terminal, "kiosk-1")
	// Authenticate once so the cache is warm before the revocation.
	if _, err := a.Authenticate(revoked); err != nil {
		t.Fatal(err)
	}
	if _, err := Revoke(db, rtok.ID); err != nil {
		t.Fatal(err)
	}
	unknown := "ae_" + strings.Repeat("A", 43)
	for _, tc := range []struct {
		name   string
		bearer string
		want   error
		id     string
	}{
		{"valid", valid, nil, vtok.ID},
		{"revoked", revoked, ErrRevokedToken, rtok.ID},
		{"unknown", unknown, ErrUnknownToken, ""},
		{"empty", "", ErrNoToken, ""},
		{"no prefix", valid[3:], ErrMalformedToken, ""},
		{"wrong prefix", "xx_" + valid[3:], ErrMalformedToken, ""},
		{"short", valid[:45], ErrMalformedToken, ""},
		{"long", valid + "A", ErrMalformedToken, ""},
		{"not base64url", "ae_" + strings.Repeat("*", 43), ErrMalformedToken, ""},
		{"padded std base64", "ae_" + strings.Repeat("/", 42) + "=", ErrMalformedToken, ""},
		{"whitespace", " " + valid[1:], ErrMalformedToken, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := a.Authenticate(tc.bearer)
			if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if got.ID != tc.id {
				t.Fatalf("token %q, want %q", got.ID, tc.id)
			}
			if err != nil && strings.Contains(err.Error(), tc.bearer) && tc.bearer != "" {
				t.Fatalf("error quotes the token: %v", err)
			}
		})
	}
	if got, _ := a.Authenticate(valid); got.Role != Staff || got.Name != "till" {
		t.Fatalf("valid token described as %+v", got)
	}
}

// TestRevocationImmediate: a warm cache honours a revocation at once, and
// sees new tokens at once.
func TestRevocationImmediate(t *testing.T) {
	db := openStore(t)
	a := NewAuthenticator(db, Options{})
	secret, tok := mustCreate(t, db, Admin, "ops")
	for range 3 {
		if _, err := a.Authenticate(secret); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Revoke(db, tok.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(secret); !errors.Is(err, ErrRevokedToken) {
		t.Fatalf("after revoke: %v", err)
	}
	fresh, _ := mustCreate(t, db, Admin, "ops")
	if _, err := a.Authenticate(fresh); err != nil {
		t.Fatalf("new token: %v", err)
	}
}

func TestLastUsedOncePerMinute(t *testing.T) {
	db := openStore(t)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := t0
	a := NewAuthenticator(db, Options{Now: func() time.Time { return now }})
	secret, tok := mustCreate(t, db, Staff, "till")
	stored := func() time.Time {
		t.Helper()
		list, err := List(db)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range list {
			if x.ID == tok.ID {
				return x.LastUsed
			}
		}
		t.Fatal("token gone")
		return time.Time{}
	}
	if !stored().IsZero() {
		t.Fatal("new token has last_used")
	}
	for _, step := range []struct {
		at   time.Duration
		want time.Duration
	}{
		{0, 0}, {30 * time.Second, 0}, {59 * time.Second, 0}, {61 * time.Second, 61 * time.Second},
		{90 * time.Second, 61 * time.Second}, {3 * time.Minute, 3 * time.Minute},
	} {
		now = t0.Add(step.at)
		got, err := a.Authenticate(secret)
		if err != nil {
			t.Fatal(err)
		}
		if s := stored(); !s.Equal(t0.Add(step.want)) || !got.LastUsed.Equal(s) {
			t.Fatalf("at +%v: stored last_used %v (returned %v), want +%v", step.at, s.Sub(t0), got.LastUsed.Sub(t0), step.want)
		}
	}
}

func TestAuthenticateConcurrent(t *testing.T) {
	db := openStore(t)
	a := NewAuthenticator(db, Options{})
	var secrets []string
	for i := range 4 {
		s, _ := mustCreate(t, db, Terminal, fmt.Sprintf("kiosk-%d", i))
		secrets = append(secrets, s)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for range 50 {
				_, err := a.Authenticate(secrets[g])
				if err != nil && !(g == 0 && errors.Is(err, ErrRevokedToken)) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		if _, err := Revoke(db, "kiosk-0"); err != nil {
			t.Error(err)
		}
		mustCreate(t, db, Staff, "late")
	})
	wg.Wait()
	if _, err := a.Authenticate(secrets[0]); !errors.Is(err, ErrRevokedToken) {
		t.Fatalf("revoked token after the race: %v", err)
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	db := openStore(b)
	a := NewAuthenticator(db, Options{})
	var secret string
	for i := range 20 {
		secret, _ = mustCreate(b, db, Terminal, fmt.Sprintf("kiosk-%d", i))
	}
	for b.Loop() {
		if _, err := a.Authenticate(secret); err != nil {
			b.Fatal(err)
		}
	}
}
