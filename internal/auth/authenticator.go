package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/auraconnect/aura-edge/internal/store"
)

// Options tune an Authenticator. The zero value is usable.
type Options struct {
	// Logger receives a warning when last_used cannot be written. Nil
	// discards.
	Logger *slog.Logger
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// LastUsedEvery is how stale a token's last_used may get before a
	// successful Authenticate writes it. Zero means one minute.
	LastUsedEvery time.Duration
}

// Authenticator checks bearer tokens against the store. It caches the
// token hashes and reloads them whenever a Create or Revoke changed the
// bucket. It is safe for concurrent use.
type Authenticator struct {
	db    *store.DB
	log   *slog.Logger
	now   func() time.Time
	every time.Duration

	mu      sync.Mutex
	loaded  bool
	gen     uint64
	entries []entry
	// seen is the store's change count (changes) when the cache was last
	// checked: while it holds, no Create or Revoke has committed since, and
	// Authenticate skips the read transaction that checks the bucket.
	seen uint64
}

// changes counts the Create and Revoke commits of each store in this
// process (bbolt's file lock keeps any other process out of an open
// store). An Authenticator compares it with what it saw instead of opening
// a read transaction on every request; the bucket's sequence, read when it
// moved, stays the test of whether the tokens changed.
var changes sync.Map // weak.Pointer[store.DB] -> *atomic.Uint64

// changeCount returns db's change counter; it goes when db does.
func changeCount(db *store.DB) *atomic.Uint64 {
	k := weak.Make(db)
	if c, ok := changes.Load(k); ok {
		return c.(*atomic.Uint64)
	}
	c, loaded := changes.LoadOrStore(k, new(atomic.Uint64))
	if !loaded {
		runtime.AddCleanup(db, func(k weak.Pointer[store.DB]) { changes.Delete(k) }, k)
	}
	return c.(*atomic.Uint64)
}

// changed tells the Authenticators of db that its tokens may have changed;
// Create and Revoke call it after their commit, before they return.
func changed(db *store.DB) { changeCount(db).Add(1) }

type entry struct {
	hash [sha256.Size]byte
	tok  Token
}

// NewAuthenticator returns an Authenticator for db. It reads nothing yet.
func NewAuthenticator(db *store.DB, opts Options) *Authenticator {
	a := &Authenticator{db: db, log: opts.Logger, now: opts.Now, every: opts.LastUsedEvery}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.every <= 0 {
		a.every = time.Minute
	}
	return a
}

// Authenticate returns the active token whose secret is tok (the bearer
// token, without "Bearer "). Errors wrap ErrNoToken, ErrMalformedToken,
// ErrUnknownToken or ErrRevokedToken (all 401); with ErrRevokedToken the
// returned Token describes the revoked token, for logs. Any other error is
// a store failure.
func (a *Authenticator) Authenticate(tok string) (Token, error) {
	if tok == "" {
		return Token{}, ErrNoToken
	}
	if err := checkTokenForm(tok); err != nil {
		return Token{}, err
	}
	h := hashToken(tok)

	a.mu.Lock()
	if err := a.refresh(); err != nil {
		a.mu.Unlock()
		return Token{}, err
	}
	// Compare with every hash, without stopping at a match.
	found := -1
	for i := range a.entries {
		if subtle.ConstantTimeCompare(h[:], a.entries[i].hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		a.mu.Unlock()
		return Token{}, ErrUnknownToken
	}
	e := &a.entries[found]
	t := e.tok
	if t.Revoked() {
		a.mu.Unlock()
		return t, fmt.Errorf("token %q (%s) was revoked at %s: %w", t.Name, t.ID, t.RevokedAt.Format(time.RFC3339), ErrRevokedToken)
	}
	now := a.now().UTC().Truncate(time.Millisecond)
	write := now.Sub(t.LastUsed) >= a.every
	if write {
		e.tok.LastUsed = now // claim it, so concurrent calls don't write too
		t.LastUsed = now
	}
	a.mu.Unlock()

	if write {
		if err := a.touch(t.ID, now); err != nil {
			a.log.Warn("record token use failed", "token_name", t.Name, "token_id", t.ID, "err", err)
		}
	}
	return t, nil
}

// refresh reloads the cache if the bucket changed. a.mu is held.
func (a *Authenticator) refresh() error {
	// Read before the check, so a change that commits during it is seen
	// by the next call.
	n := changeCount(a.db).Load()
	if a.loaded && n == a.seen {
		return nil
	}
	err := a.db.View(func(tx *store.Tx) error {
		b := tx.Bucket(store.Tokens)
		gen := b.Sequence()
		if a.loaded && gen == a.gen {
			return nil
		}
		recs, err := readAll(b)
		if err != nil {
			return fmt.Errorf("load tokens: %w", err)
		}
		entries := make([]entry, 0, len(recs))
		for _, r := range recs {
			h, err := decodeHash(r.Hash)
			if err != nil {
				return fmt.Errorf("load token %s: %w", r.ID, err)
			}
			entries = append(entries, entry{hash: h, tok: r.Token})
		}
		a.entries, a.gen, a.loaded = entries, gen, true
		return nil
	})
	if err == nil {
		a.seen = n
	}
	return err
}

// touch writes last_used without bumping the bucket's sequence.
func (a *Authenticator) touch(id string, now time.Time) error {
	return a.db.Update(func(tx *store.Tx) error {
		b := tx.Bucket(store.Tokens)
		v := b.Get([]byte(id))
		if v == nil {
			return nil
		}
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if !r.LastUsed.Before(now) {
			return nil
		}
		r.LastUsed = now
		nv, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), nv)
	})
}
