package pos_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

type pair struct {
	Access, Refresh, Seed string
	N                     int
}

// flakyState fails Puts while fail is set.
type flakyState struct {
	*pos.MemState
	fail atomic.Bool
}

func (s *flakyState) Put(k string, v []byte) error {
	if s.fail.Load() {
		return errors.New("disk full")
	}
	return s.MemState.Put(k, v)
}

func newCache(st pos.State, renewals *atomic.Int32) *pos.TokenCache[pair] {
	return (&pos.TokenCache[pair]{
		State: st, Key: "token/test", Vendor: "test",
		Initial: func() pair { return pair{Access: "a0", Refresh: "r0", Seed: "s1"} },
		Adopt:   func(p pair) (pair, bool) { return p, p.Seed == "s1" },
		Access:  func(p pair) string { return p.Access },
		Renew: func(_ context.Context, cur pair, _ func(pair) error) (pair, error) {
			renewals.Add(1)
			n := cur.N + 1
			return pair{Access: "a" + strconv.Itoa(n), Refresh: "r" + strconv.Itoa(n), Seed: cur.Seed, N: n}, nil
		},
	}).Init()
}

func TestTokenCacheOneRenewalForManyRefusals(t *testing.T) {
	ctx := context.Background()
	var renewals atomic.Int32
	st := &flakyState{MemState: pos.NewMemState()}
	c := newCache(st, &renewals)
	if tok, err := c.Token(ctx); err != nil || tok != "a0" {
		t.Fatalf("initial: %q %v", tok, err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := c.Refused(ctx, "a0"); err != nil || tok != "a1" {
				t.Errorf("refused: %q %v", tok, err)
			}
		}()
	}
	wg.Wait()
	if n := renewals.Load(); n != 1 {
		t.Fatalf("%d renewals for one refused token", n)
	}
	// A new cache (a restart) adopts the stored pair.
	if tok, _ := newCache(st, &renewals).Token(ctx); tok != "a1" {
		t.Fatalf("after restart: %q", tok)
	}
	// A rotated pair whose Put fails is kept, reported, and saved before use.
	st.fail.Store(true)
	if _, err := c.Refused(ctx, "a1"); pos.KindOf(err) != pos.Retryable {
		t.Fatalf("put failure: %v", err)
	}
	if _, err := c.Token(ctx); err == nil {
		t.Fatal("unsaved token used")
	}
	st.fail.Store(false)
	if tok, err := c.Token(ctx); err != nil || tok != "a2" {
		t.Fatalf("after the disk came back: %q %v", tok, err)
	}
	if tok, _ := newCache(st, &renewals).Token(ctx); tok != "a2" {
		t.Fatalf("rotated pair not durable: %q", tok)
	}
	// Forget drops the token; the next one starts from the credentials.
	c.Forget("a2")
	if tok, _ := newCache(st, &renewals).Token(ctx); tok != "a0" {
		t.Fatalf("after forget: %q", tok)
	}
}
