package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestSessions: a session works until it expires, its token is revoked or
// it is deleted; unsafe requests need the CSRF token; the table is bounded.
func TestSessions(t *testing.T) {
	db := openStore(t)
	a := NewAuthenticator(db, Options{})
	s := NewSessions(a, time.Hour)
	now := time.Now()
	s.now = func() time.Time { return now }
	staff, _ := mustCreate(t, db, Staff, "tablet")

	if _, _, _, err := s.Create("ae_bogus"); err == nil {
		t.Fatal("a bad token opened a session")
	}
	id, csrf, tok, err := s.Create(staff)
	if err != nil || tok.Role != Staff || id == "" || csrf == "" || id == csrf {
		t.Fatalf("create: %v %+v", err, tok)
	}
	if tok2, c2, err := s.Lookup(id); err != nil || tok2.Name != "tablet" || c2 != csrf {
		t.Fatalf("lookup: %v", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(Actor(r.Context()))) })
	mux.HandleFunc("POST /v1/print", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(Actor(r.Context()))) })
	h := SessionMiddleware(examplePolicy(), a, s, nil)(mux)
	call := func(method, path, cookie, csrf string) (int, string) {
		r := httptest.NewRequest(method, path, nil)
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: SessionCookie, Value: cookie})
		}
		if csrf != "" {
			r.Header.Set(CSRFHeader, csrf)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	if code, body := call("GET", "/v1/status", id, ""); code != 200 || body != "token:tablet" {
		t.Fatalf("read with the cookie: %d %s", code, body)
	}
	if code, _ := call("POST", "/v1/print", id, ""); code != 403 {
		t.Fatalf("action without CSRF: %d", code)
	}
	if code, _ := call("POST", "/v1/print", id, "wrong"); code != 403 {
		t.Fatalf("action with a wrong CSRF token: %d", code)
	}
	if code, _ := call("POST", "/v1/print", id, csrf); code != 200 {
		t.Fatalf("action with CSRF: %d", code)
	}
	if code, _ := call("GET", "/v1/status", "made-up", ""); code != 401 {
		t.Fatalf("unknown session: %d", code)
	}

	// Expiry.
	now = now.Add(time.Hour)
	if _, _, err := s.Lookup(id); !errors.Is(err, ErrNoSession) {
		t.Fatalf("expired session: %v", err)
	}
	// Revocation ends sessions at once.
	id, _, _, _ = s.Create(staff)
	if _, err := Revoke(db, "tablet"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Lookup(id); !errors.Is(err, ErrRevokedToken) {
		t.Fatalf("session of a revoked token: %v", err)
	}
	if _, _, err := s.Lookup(id); !errors.Is(err, ErrNoSession) {
		t.Fatalf("session of a revoked token kept: %v", err)
	}
	// Sign-out, and the bound.
	admin, _ := mustCreate(t, db, Admin, "boss")
	first, _, _, _ := s.Create(admin)
	s.Delete(first)
	if _, _, err := s.Lookup(first); !errors.Is(err, ErrNoSession) {
		t.Fatal("deleted session still works")
	}
	for range maxSessions + 5 {
		now = now.Add(time.Millisecond)
		if _, _, _, err := s.Create(admin); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	n := len(s.m)
	s.mu.Unlock()
	if n > maxSessions {
		t.Fatalf("%d sessions kept", n)
	}
}
