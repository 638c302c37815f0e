package lightspeed

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
)

func storedToken(t *testing.T, st pos.State) tokenPair {
	t.Helper()
	b, err := st.Get(tokenKey)
	if err != nil || b == nil {
		t.Fatalf("no token in state: %v", err)
	}
	var p tokenPair
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTokenRotationPersisted(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if err := f.a.TestConnection(ctx); err != nil {
		t.Fatal(err)
	}
	// The first call had no access token: one refresh, persisted in one Put.
	p := storedToken(t, f.state)
	if p.RefreshToken != f.srv.CurrentRefreshToken() || p.RefreshToken == lightspeedtest.RefreshToken || p.AccessToken == "" {
		t.Fatalf("stored pair %+v, server refresh token %s", p, f.srv.CurrentRefreshToken())
	}
	if n := f.state.Puts(tokenKey); n != 1 {
		t.Errorf("token Puts = %d, want 1", n)
	}
	// The refresh was a form body with the four documented fields.
	var tokReq *lightspeedtest.Request
	for _, r := range f.srv.Requests() {
		if r.Path == lightspeedtest.TokenPath {
			tokReq = &r
		}
	}
	form, _ := url.ParseQuery(string(tokReq.Body))
	if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != lightspeedtest.RefreshToken ||
		form.Get("client_id") == "" || form.Get("client_secret") == "" || len(tokReq.Query) != 0 {
		t.Errorf("token request %q query %v", tokReq.Body, tokReq.Query)
	}

	// Expired token: 401, refresh once, retry succeeds; new pair persisted.
	f.srv.ExpireAccessTokens()
	if err := f.a.TestConnection(ctx); err != nil {
		t.Fatal(err)
	}
	p2 := storedToken(t, f.state)
	if p2.RefreshToken == p.RefreshToken || p2.RefreshToken != f.srv.CurrentRefreshToken() || f.srv.Refreshes() != 2 {
		t.Errorf("after expiry: stored %+v, server %s, refreshes %d", p2, f.srv.CurrentRefreshToken(), f.srv.Refreshes())
	}
	if n := f.state.Puts(tokenKey); n != 2 {
		t.Errorf("token Puts = %d, want 2", n)
	}

	// A new adapter on the same State prefers the stored pair over the
	// (now revoked) initial credentials.
	stale := map[string]string{"client_id": lightspeedtest.ClientID, "client_secret": lightspeedtest.ClientSecret,
		"refresh_token": lightspeedtest.RefreshToken}
	ad, err := New(pos.Config{IntegrationID: "int-1", Credentials: stale, Settings: f.srv.Settings("NZD"), State: f.state})
	if err != nil {
		t.Fatal(err)
	}
	if err := ad.TestConnection(ctx); err != nil {
		t.Fatalf("adapter on stored token: %v", err)
	}
	if f.srv.Refreshes() != 2 {
		t.Errorf("stored access token not reused: %d refreshes", f.srv.Refreshes())
	}
}

func TestConcurrentRefreshOnce(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if err := f.a.TestConnection(ctx); err != nil {
		t.Fatal(err)
	}
	f.srv.ExpireAccessTokens()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- f.a.TestConnection(ctx) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := f.srv.Refreshes(); n != 2 {
		t.Errorf("refreshes = %d, want 2 (initial + one after expiry)", n)
	}
}

func TestErrorsClassified(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(s *lightspeedtest.Server)
		kind       pos.ErrorKind
		retryAfter time.Duration
	}{
		{"429 with Retry-After", func(s *lightspeedtest.Server) { s.FailNext(1, lightspeedtest.TooManyRequests) }, pos.Retryable, 7 * time.Second},
		{"500", func(s *lightspeedtest.Server) { s.FailNext(1, lightspeedtest.ServerError) }, pos.Retryable, 0},
		{"401 after refresh", func(s *lightspeedtest.Server) { s.FailNext(2, lightspeedtest.Unauthorized) }, pos.Auth, 0},
		{"refresh token revoked", func(s *lightspeedtest.Server) { s.ExpireAccessTokens(); s.RevokeRefreshToken() }, pos.Auth, 0},
		{"404", func(s *lightspeedtest.Server) {
			s.FailNext(1, lightspeedtest.Fault{Status: 404, Body: `{"error":"Not found"}`})
		}, pos.Invalid, 0},
		{"409", func(s *lightspeedtest.Server) { s.FailNext(1, lightspeedtest.Fault{Status: 409}) }, pos.Conflict, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			ctx := context.Background()
			if err := f.a.TestConnection(ctx); err != nil {
				t.Fatal(err)
			}
			tc.setup(f.srv)
			_, err := f.a.PullOrders(ctx, nil)
			var ve *pos.VendorError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *pos.VendorError", err)
			}
			if ve.Kind != tc.kind || ve.RetryAfter != tc.retryAfter || ve.Vendor != Vendor {
				t.Errorf("err = %v (kind %s, retry after %s), want %s %s", err, ve.Kind, ve.RetryAfter, tc.kind, tc.retryAfter)
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	for _, n := range []string{"lightspeed", "vend"} {
		d, err := pos.Lookup(n)
		if err != nil || d.Name != Vendor {
			t.Errorf("Lookup(%q) = %v, %v", n, d.Name, err)
		}
	}
	if _, err := pos.Open("lightspeed", pos.Config{Credentials: map[string]string{"client_id": "x"}}); err == nil {
		t.Error("missing credentials accepted")
	}
	if _, err := New(pos.Config{Credentials: map[string]string{"client_id": "a", "client_secret": "b", "refresh_token": "c"},
		Settings: map[string]string{"domain_prefix": "shop", "currency": "usd"}}); err == nil {
		t.Error("bad currency accepted")
	}
	a, err := New(pos.Config{Credentials: map[string]string{"client_id": "a", "client_secret": "b", "refresh_token": "c"},
		Settings: map[string]string{"domain_prefix": "shop", "currency": "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.req.BaseURL != "https://shop.retail.lightspeed.app/api/2026-07" || a.auth.url != "https://shop.retail.lightspeed.app/api/1.0/token" {
		t.Errorf("urls %s %s", a.req.BaseURL, a.auth.url)
	}
}
