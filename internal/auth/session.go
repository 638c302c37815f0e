package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"sync"
	"time"
)

// Session cookie and CSRF header names of the status page.
const (
	SessionCookie = "aura_session"
	CSRFHeader    = "X-CSRF-Token"
)

// DefaultSessionTTL is how long a status page sign-in lasts.
const DefaultSessionTTL = 12 * time.Hour

// maxSessions bounds memory: the oldest session goes when a new one would
// exceed it.
const maxSessions = 512

// ErrNoSession is returned for a session id that is unknown or expired.
var ErrNoSession = errors.New("not signed in, or the sign-in has expired")

// Sessions are status page sign-ins: a bearer token exchanged once for a
// random session id that the browser keeps in an HttpOnly cookie. The
// token stays in memory on the daemon, so every request re-checks it (a
// revoked token ends its sessions at once). Sessions do not survive a
// restart. Safe for concurrent use.
type Sessions struct {
	a   *Authenticator
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[[sha256.Size]byte]*session
}

type session struct {
	token   string
	csrf    string
	created time.Time
	expires time.Time
}

// NewSessions returns an empty session table over a; ttl <= 0 means
// DefaultSessionTTL.
func NewSessions(a *Authenticator, ttl time.Duration) *Sessions {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	return &Sessions{a: a, ttl: ttl, now: time.Now, m: map[[sha256.Size]byte]*session{}}
}

// TTL is how long a session lasts.
func (s *Sessions) TTL() time.Duration { return s.ttl }

func randomString() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Create checks bearer and opens a session for it. It returns the session
// id (the cookie value), the CSRF token that unsafe requests must echo in
// CSRFHeader, and the token's description.
func (s *Sessions) Create(bearer string) (id, csrf string, tok Token, err error) {
	tok, err = s.a.Authenticate(bearer)
	if err != nil {
		return "", "", tok, err
	}
	id, csrf = randomString(), randomString()
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	if len(s.m) >= maxSessions {
		var oldest [sha256.Size]byte
		var at time.Time
		for k, v := range s.m {
			if at.IsZero() || v.created.Before(at) {
				oldest, at = k, v.created
			}
		}
		delete(s.m, oldest)
	}
	s.m[sha256.Sum256([]byte(id))] = &session{token: bearer, csrf: csrf, created: now, expires: now.Add(s.ttl)}
	return id, csrf, tok, nil
}

// expire drops expired sessions; s.mu is held.
func (s *Sessions) expire(now time.Time) {
	for k, v := range s.m {
		if !now.Before(v.expires) {
			delete(s.m, k)
		}
	}
}

// Lookup returns the token and the CSRF token of session id. Errors are
// ErrNoSession or the Authenticator's (a revoked token).
func (s *Sessions) Lookup(id string) (Token, string, error) {
	if id == "" {
		return Token{}, "", ErrNoSession
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	v, ok := s.m[k]
	if ok && !s.now().Before(v.expires) {
		delete(s.m, k)
		ok = false
	}
	var bearer, csrf string
	if ok {
		bearer, csrf = v.token, v.csrf
	}
	s.mu.Unlock()
	if !ok {
		return Token{}, "", ErrNoSession
	}
	tok, err := s.a.Authenticate(bearer)
	if err != nil {
		s.Delete(id)
		return tok, "", err
	}
	return tok, csrf, nil
}

// Delete ends session id (sign-out).
func (s *Sessions) Delete(id string) {
	s.mu.Lock()
	delete(s.m, sha256.Sum256([]byte(id)))
	s.mu.Unlock()
}

// CheckCSRF compares the header a request sent with the session's token
// in constant time.
func CheckCSRF(sent, want string) bool {
	return sent != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(want)) == 1
}
