package clover_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/clover"
	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
)

func TestVendorErrors(t *testing.T) {
	tests := []struct {
		name       string
		fault      clovertest.Fault
		kind       pos.ErrorKind
		retryAfter time.Duration
	}{
		{"429 with Retry-After", clovertest.TooManyRequests("3"), pos.Retryable, 3 * time.Second},
		{"concurrency 429 carries retry-after", clovertest.ConcurrencyLimited(), pos.Retryable, time.Second},
		{"429 without Retry-After", clovertest.Fault{Status: 429, Message: "Too Many Requests"}, pos.Retryable, 0},
		{"500", clovertest.ServerError(), pos.Retryable, 0},
		{"503", clovertest.Fault{Status: 503, Message: "unavailable"}, pos.Retryable, 0},
		{"409", clovertest.Fault{Status: 409, Message: "conflict"}, pos.Conflict, 0},
		{"400", clovertest.Fault{Status: 400, Message: "bad filter"}, pos.Invalid, 0},
		{"403", clovertest.Fault{Status: 403, Message: "no permission"}, pos.Auth, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, nil)
			e.srv.FailNext(1, tc.fault)
			err := e.a.TestConnection(ctx(t))
			var ve *pos.VendorError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *pos.VendorError", err)
			}
			if ve.Kind != tc.kind || ve.RetryAfter != tc.retryAfter || ve.Status != tc.fault.Status || ve.Vendor != "clover" {
				t.Errorf("got kind %s retry %v status %d; want %s %v %d", ve.Kind, ve.RetryAfter, ve.Status, tc.kind, tc.retryAfter, tc.fault.Status)
			}
			if !strings.Contains(ve.Error(), tc.fault.Message) {
				t.Errorf("message %q does not carry clover's %q", ve.Error(), tc.fault.Message)
			}
			if err := e.a.TestConnection(ctx(t)); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
}

func storedTokens(t *testing.T, s pos.State) map[string]any {
	t.Helper()
	b, err := s.Get("token/clover")
	if err != nil || b == nil {
		t.Fatalf("no stored token pair (%v)", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestExpiredTokenIsRefreshedAndPersisted(t *testing.T) {
	e := setup(t, nil)
	if err := e.a.TestConnection(ctx(t)); err != nil {
		t.Fatal(err)
	}
	e.srv.ExpireAccessTokens()
	e.srv.ResetRequests()
	if err := e.a.TestConnection(ctx(t)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	rs := e.srv.Requests()
	if len(rs) != 3 || rs[1].Path != "/oauth/v2/refresh" {
		t.Fatalf("requests %d; want GET (401), refresh, GET", len(rs))
	}
	var body map[string]string
	if err := json.Unmarshal(rs[1].Body, &body); err != nil || body["client_id"] != clovertest.DefaultClientID ||
		body["refresh_token"] != clovertest.DefaultRefreshToken || rs[1].Header.Get("Authorization") != "" {
		t.Errorf("refresh request body %s auth %q", rs[1].Body, rs[1].Header.Get("Authorization"))
	}
	access, refresh, n := e.srv.Tokens()
	if n != 1 || rs[2].Header.Get("Authorization") != "Bearer "+access {
		t.Errorf("refreshes %d, retry auth %q", n, rs[2].Header.Get("Authorization"))
	}
	st := storedTokens(t, e.state)
	if st["access_token"] != access || st["refresh_token"] != refresh {
		t.Errorf("stored pair %v, want %s/%s", st, access, refresh)
	}

	// A restarted adapter uses the stored pair, not the spent credentials.
	e.srv.ResetRequests()
	if err := e.newAdapter(t).TestConnection(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if rs := e.srv.Requests(); len(rs) != 1 || rs[0].Header.Get("Authorization") != "Bearer "+access {
		t.Errorf("restarted adapter: %d requests, auth %q", len(rs), rs[0].Header.Get("Authorization"))
	}
	if strings.Contains(e.logs.String(), access) || strings.Contains(e.logs.String(), refresh) ||
		strings.Contains(e.logs.String(), clovertest.DefaultRefreshToken) {
		t.Errorf("a token reached the logs:\n%s", e.logs)
	}
}

func TestConcurrentCallsRefreshOnce(t *testing.T) {
	e := setup(t, nil)
	e.srv.ExpireAccessTokens()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- e.a.TestConnection(ctx(t))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call failed: %v", err)
		}
	}
	if _, _, n := e.srv.Tokens(); n != 1 {
		t.Errorf("%d refreshes, want 1 (a refresh token is single-use)", n)
	}
}

func TestRefreshAheadOfKnownExpiry(t *testing.T) {
	e := setup(t, func(c *pos.Config) {
		c.Credentials["access_token_expiration"] = strconv.FormatInt(t0.Add(30*time.Second).Unix(), 10)
	})
	if err := e.a.TestConnection(ctx(t)); err != nil {
		t.Fatal(err)
	}
	rs := e.srv.Requests()
	if len(rs) != 2 || rs[0].Path != "/oauth/v2/refresh" {
		t.Fatalf("want refresh before the call, got %d requests", len(rs))
	}
	// The new token lives an hour (stand-in TTL): no refresh for a while,
	// then again once it is about to expire.
	e.clock.Add(30 * time.Minute)
	_ = e.a.TestConnection(ctx(t))
	e.clock.Add(30 * time.Minute)
	_ = e.a.TestConnection(ctx(t))
	if _, _, n := e.srv.Tokens(); n != 2 {
		t.Errorf("%d refreshes, want 2", n)
	}
}

func TestAuthFailures(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*pos.Config)
		prep   func(*clovertest.Server)
		sentin error
	}{
		{"no refresh token configured", func(c *pos.Config) { delete(c.Credentials, "refresh_token") },
			func(s *clovertest.Server) { s.ExpireAccessTokens() }, clover.ErrNoRefresh},
		{"no client id configured", func(c *pos.Config) { delete(c.Credentials, "client_id") },
			func(s *clovertest.Server) { s.ExpireAccessTokens() }, clover.ErrNoRefresh},
		{"refresh token refused", func(c *pos.Config) { c.Credentials["refresh_token"] = "revoked" },
			func(s *clovertest.Server) { s.ExpireAccessTokens() }, nil},
		{"still 401 after a refresh", nil,
			func(s *clovertest.Server) { s.FailNext(2, clovertest.TokenExpired()) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, tc.edit)
			tc.prep(e.srv)
			err := e.a.TestConnection(ctx(t))
			if pos.KindOf(err) != pos.Auth {
				t.Fatalf("err = %v, want kind auth", err)
			}
			if tc.sentin != nil && !errors.Is(err, tc.sentin) {
				t.Errorf("err = %v, want %v", err, tc.sentin)
			}
			if _, _, n := e.srv.Tokens(); n > 1 {
				t.Errorf("%d refreshes", n)
			}
		})
	}
}

// flakyState fails Put on the token key while failing is set.
type flakyState struct {
	*pos.MemState
	mu      sync.Mutex
	failing bool
}

func (f *flakyState) Put(k string, v []byte) error {
	f.mu.Lock()
	fail := f.failing
	f.mu.Unlock()
	if fail && k == "token/clover" {
		return errors.New("disk full")
	}
	return f.MemState.Put(k, v)
}

func TestRotatedPairIsSavedBeforeUse(t *testing.T) {
	fs := &flakyState{MemState: pos.NewMemState(), failing: true}
	e := setup(t, func(c *pos.Config) { c.State = fs })
	e.srv.ExpireAccessTokens()
	err := e.a.TestConnection(ctx(t))
	if pos.KindOf(err) != pos.Retryable {
		t.Fatalf("err = %v, want retryable while the pair cannot be saved", err)
	}
	access, _, _ := e.srv.Tokens()
	for _, r := range e.srv.Requests() {
		if r.Header.Get("Authorization") == "Bearer "+access {
			t.Errorf("unsaved token used for %s", r.Path)
		}
	}
	fs.mu.Lock()
	fs.failing = false
	fs.mu.Unlock()
	if err := e.a.TestConnection(ctx(t)); err != nil {
		t.Fatalf("after the disk recovered: %v", err)
	}
	if st := storedTokens(t, fs); st["access_token"] != access {
		t.Errorf("stored %v", st)
	}
	if _, _, n := e.srv.Tokens(); n != 1 {
		t.Errorf("%d refreshes, want 1: the spent refresh token must not be reused", n)
	}
}

func TestNewCredentialsOverrideStoredPair(t *testing.T) {
	e := setup(t, nil)
	e.srv.ExpireAccessTokens()
	if err := e.a.TestConnection(ctx(t)); err != nil {
		t.Fatal(err)
	}
	// The operator reconnects: new credentials; the old rotated pair in
	// State must not win.
	access, refresh, _ := e.srv.Tokens()
	e.cfg.Credentials = map[string]string{"access_token": access, "refresh_token": refresh, "client_id": clovertest.DefaultClientID}
	_ = e.state.Put("token/clover", []byte(`{"access_token":"stale","seed":"other"}`))
	e.srv.ResetRequests()
	if err := e.newAdapter(t).TestConnection(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := e.srv.Requests()[0].Header.Get("Authorization"); got != "Bearer "+access {
		t.Errorf("auth %q", got)
	}
}

func TestClientSideRateLimit(t *testing.T) {
	e := setup(t, func(c *pos.Config) { c.Settings["max_rps"] = "16" }, clovertest.WithRateLimit(16))
	for i := range 40 {
		if err := e.a.TestConnection(ctx(t)); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}

func TestNewValidatesSettings(t *testing.T) {
	base := func() pos.Config {
		return pos.Config{Credentials: map[string]string{"access_token": "x"}, Settings: map[string]string{"merchant_id": "M1"}}
	}
	tests := []struct {
		name string
		edit func(*pos.Config)
		ok   bool
	}{
		{"minimal", func(*pos.Config) {}, true},
		{"no access token", func(c *pos.Config) { delete(c.Credentials, "access_token") }, false},
		{"no merchant", func(c *pos.Config) { delete(c.Settings, "merchant_id") }, false},
		{"merchant with slash", func(c *pos.Config) { c.Settings["merchant_id"] = "a/b" }, false},
		{"bad base url", func(c *pos.Config) { c.Settings["base_url"] = "ftp://x" }, false},
		{"page size too big", func(c *pos.Config) { c.Settings["page_size"] = "5000" }, false},
		{"bad overlap", func(c *pos.Config) { c.Settings["overlap"] = "soon" }, false},
		{"eu host", func(c *pos.Config) { c.Settings["base_url"] = "https://api.eu.clover.com" }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.edit(&c)
			_, err := clover.New(c)
			if (err == nil) != tc.ok {
				t.Errorf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestRegisteredDriver(t *testing.T) {
	d, err := pos.Lookup("clover")
	if err != nil {
		t.Fatal(err)
	}
	if missing := d.CheckConfig(map[string]string{}, map[string]string{}); len(missing) != 2 {
		t.Errorf("missing = %v, want access_token and merchant_id", missing)
	}
	srv := clovertest.Start(t)
	a, err := pos.Open("clover", pos.Config{IntegrationID: "i1", Credentials: srv.Credentials(), Settings: srv.Settings()})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.TestConnection(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.(pos.OrderFetcher); !ok {
		t.Error("adapter does not implement pos.OrderFetcher")
	}
}
