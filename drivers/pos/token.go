package pos

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
)

// TokenCache is the one token cache every adapter uses: the token an
// integration authenticates with (an OAuth access/refresh pair, a login
// token, a client-credentials token), kept in memory and in State under one
// key, each change one Put. Renewals run one at a time, so a single-use
// refresh token is never sent twice, and a caller whose token was refused
// renews only when nobody has replaced that token meanwhile.
//
// T is the adapter's own stored shape (it stays compatible with what
// earlier versions stored). The zero TokenCache is not usable: set State,
// Key, Initial, Access and Renew.
type TokenCache[T any] struct {
	State State
	Key   string
	// Vendor names the vendor in errors.
	Vendor string
	// Initial is the token to start from when State holds none that
	// Adopt accepts: usually the one in the credentials.
	Initial func() T
	// Adopt decides whether a stored token may be used (e.g. it descends
	// from the credentials configured now, not from ones an operator has
	// since replaced) and may complete it. Nil adopts any stored token.
	Adopt func(stored T) (T, bool)
	// Access returns the token to send.
	Access func(T) string
	// Fresh reports whether t can be sent now; false renews first. Nil:
	// always fresh (renewed only when refused).
	Fresh func(T) bool
	// Renew obtains the next token from cur (refresh, login, client
	// credentials). save stores an intermediate state at once (e.g. a
	// login attempt recorded before it is made, so a crash cannot hide
	// it); it also becomes the cache's current token.
	Renew func(ctx context.Context, cur T, save func(T) error) (T, error)
	// Refuse prepares the current token for a renewal after the vendor
	// refused it (e.g. forget the access token). Nil leaves it as is.
	Refuse func(T) T
	// BestEffort: a renewed token whose Put fails is used anyway (it can
	// always be obtained again). Otherwise the renewed token is kept in
	// memory, the failure returned, and the Put retried before the token
	// is first sent: a rotated refresh token must not be lost to a restart.
	BestEffort bool
	// Log receives "token not saved" warnings (BestEffort) and unreadable
	// state notices. Nil discards them.
	Log *slog.Logger

	sem     chan struct{}
	loaded  bool
	cur     T
	unsaved bool
}

func (c *TokenCache[T]) lock(ctx context.Context) error {
	if c.sem == nil {
		panic("pos: TokenCache used before Init")
	}
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *TokenCache[T]) unlock() { <-c.sem }

// Init prepares the cache; call it once before use, before the cache is
// shared. It returns c.
func (c *TokenCache[T]) Init() *TokenCache[T] {
	c.sem = make(chan struct{}, 1)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// loadLocked returns the current token: memory, then State, then Initial.
func (c *TokenCache[T]) loadLocked() (T, error) {
	if c.loaded {
		return c.cur, nil
	}
	b, err := c.State.Get(c.Key)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: read token state: %w", c.Vendor, err)
	}
	c.cur = c.Initial()
	if b != nil {
		var st T
		if err := json.Unmarshal(b, &st); err != nil {
			c.Log.Warn("stored token unreadable; starting from the credentials")
		} else if c.Adopt == nil {
			c.cur = st
		} else if t, ok := c.Adopt(st); ok {
			c.cur = t
		}
	}
	c.loaded = true
	return c.cur, nil
}

func (c *TokenCache[T]) saveLocked(t T) error {
	c.cur, c.loaded = t, true
	b, err := json.Marshal(t)
	if err == nil {
		err = c.State.Put(c.Key, b)
	}
	if err != nil {
		c.unsaved = true
		return &VendorError{Vendor: c.Vendor, Op: "persist token", Kind: Retryable,
			Message: "the new token was not saved; it is kept in memory and saved before it is used", Err: err}
	}
	c.unsaved = false
	return nil
}

// currentLocked loads the token and stores one whose Put failed earlier.
func (c *TokenCache[T]) currentLocked() (T, error) {
	t, err := c.loadLocked()
	if err != nil {
		return t, err
	}
	if c.unsaved && !c.BestEffort {
		if err := c.saveLocked(t); err != nil {
			return t, err
		}
	}
	return t, nil
}

// Current returns the token as it is now (loading it on first use),
// without renewing it.
func (c *TokenCache[T]) Current(ctx context.Context) (T, error) {
	if err := c.lock(ctx); err != nil {
		var zero T
		return zero, err
	}
	defer c.unlock()
	return c.currentLocked()
}

// Token returns a token to send, renewing first when it is not Fresh.
func (c *TokenCache[T]) Token(ctx context.Context) (string, error) {
	if err := c.lock(ctx); err != nil {
		return "", err
	}
	defer c.unlock()
	t, err := c.currentLocked()
	if err != nil {
		return "", err
	}
	if c.Fresh == nil || c.Fresh(t) {
		return c.Access(t), nil
	}
	return c.renewLocked(ctx, t)
}

// Refused renews after the vendor refused used, unless another caller has
// already replaced it (then the replacement is returned).
func (c *TokenCache[T]) Refused(ctx context.Context, used string) (string, error) {
	if err := c.lock(ctx); err != nil {
		return "", err
	}
	defer c.unlock()
	t, err := c.currentLocked()
	if err != nil {
		return "", err
	}
	if a := c.Access(t); a != used && a != "" && (c.Fresh == nil || c.Fresh(t)) {
		return a, nil
	}
	if c.Refuse != nil {
		t = c.Refuse(t)
		c.cur = t
	}
	return c.renewLocked(ctx, t)
}

// Forget drops used (a refused token that is not renewed here) from memory
// and State, unless it was already replaced; the next Token starts from
// Initial.
func (c *TokenCache[T]) Forget(used string) {
	c.sem <- struct{}{}
	defer c.unlock()
	if !c.loaded || c.Access(c.cur) != used {
		return
	}
	c.cur, c.unsaved = c.Initial(), false
	if err := c.State.Delete(c.Key); err != nil {
		c.Log.Warn("cached access token not deleted", "err", err)
	}
}

func (c *TokenCache[T]) renewLocked(ctx context.Context, cur T) (string, error) {
	next, err := c.Renew(ctx, cur, c.saveLocked)
	if err != nil {
		return "", err
	}
	if err := c.saveLocked(next); err != nil {
		if !c.BestEffort {
			return "", err
		}
		c.Log.Warn("access token not cached", "err", err)
	}
	return c.Access(next), nil
}
