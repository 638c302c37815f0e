package square_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
)

type storedToken struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	ExpiresAt    time.Time `json:"expires_at"`
}

func stored(t *testing.T, s pos.State) storedToken {
	t.Helper()
	b, err := s.Get("token/square")
	if err != nil || b == nil {
		t.Fatalf("no token in state: %v", err)
	}
	var st storedToken
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// countingState counts Puts per key, to prove a rotation is one write.
type countingState struct {
	*pos.MemState
	mu   sync.Mutex
	puts map[string]int
}

func (c *countingState) Put(k string, v []byte) error {
	c.mu.Lock()
	c.puts[k]++
	c.mu.Unlock()
	return c.MemState.Put(k, v)
}

func TestTokenRefresh(t *testing.T) {
	t.Run("expired token is refreshed once and persisted", func(t *testing.T) {
		cs := &countingState{MemState: pos.NewMemState(), puts: map[string]int{}}
		e := newEnv(t, func(e *env) { e.cfg.State = cs })
		e.srv.ExpireAccessTokens()
		if err := e.a.TestConnection(context.Background()); err != nil {
			t.Fatalf("TestConnection: %v", err)
		}
		reqs := e.srv.Requests()
		var seq []string
		for _, r := range reqs {
			seq = append(seq, r.Path+"="+itoa(int64(r.Status)))
		}
		want := "/v2/locations/" + squaretest.DefaultLocationID + "=401 /oauth2/token=200 /v2/locations/" + squaretest.DefaultLocationID + "=200"
		if strings.Join(seq, " ") != want {
			t.Fatalf("requests %v", seq)
		}
		var body map[string]string
		_ = reqs[1].JSON(&body)
		if body["grant_type"] != "refresh_token" || body["refresh_token"] != squaretest.DefaultRefreshToken ||
			body["client_id"] != squaretest.DefaultClientID || body["client_secret"] != squaretest.DefaultClientSecret {
			t.Errorf("token request %v", body)
		}
		if reqs[1].Header.Get("Authorization") != "" {
			t.Error("token request carried a bearer token")
		}
		st := stored(t, cs)
		valid := e.srv.ValidAccessTokens()
		if len(valid) != 1 || st.AccessToken != valid[0] || st.RefreshToken != squaretest.DefaultRefreshToken ||
			!st.ExpiresAt.Equal(e.clk.Now().Add(30*24*time.Hour)) {
			t.Errorf("stored %+v, valid %v", st, valid)
		}
		if reqs[2].Header.Get("Authorization") != "Bearer "+st.AccessToken {
			t.Errorf("retry used %q", reqs[2].Header.Get("Authorization"))
		}
		if cs.puts["token/square"] != 1 {
			t.Errorf("%d puts of the token pair, want 1", cs.puts["token/square"])
		}
		// A restarted adapter prefers the rotated token over credentials.
		e.srv.ClearRequests()
		if err := e.adapter().TestConnection(context.Background()); err != nil {
			t.Fatal(err)
		}
		if r := e.srv.Requests(); len(r) != 1 || r[0].Header.Get("Authorization") != "Bearer "+st.AccessToken {
			t.Errorf("after restart: %+v", r)
		}
	})
	t.Run("rotating refresh tokens", func(t *testing.T) {
		e := newEnv(t, withServerOptions(squaretest.WithRotatingRefreshToken()))
		for i := range 3 {
			e.srv.ExpireAccessTokens()
			if err := e.a.TestConnection(context.Background()); err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
			if st := stored(t, e.state); st.RefreshToken == squaretest.DefaultRefreshToken {
				t.Fatalf("round %d: refresh token not rotated", i)
			}
		}
	})
	t.Run("refused refresh is an auth error", func(t *testing.T) {
		e := newEnv(t)
		e.srv.ExpireAccessTokens()
		e.srv.RevokeRefreshTokens()
		_, err := e.a.PullOrders(context.Background(), nil)
		if ve := vendorErr(t, err); ve.Kind != pos.Auth {
			t.Errorf("error %+v", ve)
		}
		if n := len(e.srv.RequestsTo("POST", "/oauth2/token")); n != 1 {
			t.Errorf("%d refresh attempts", n)
		}
	})
	t.Run("no refresh token: 401 is an auth error", func(t *testing.T) {
		e := newEnv(t, withCredentials("refresh_token", ""))
		e.srv.ExpireAccessTokens()
		err := e.a.TestConnection(context.Background())
		if ve := vendorErr(t, err); ve.Kind != pos.Auth || ve.Code != "ACCESS_TOKEN_EXPIRED" {
			t.Errorf("error %+v", ve)
		}
		if n := len(e.srv.RequestsTo("POST", "/oauth2/token")); n != 0 {
			t.Errorf("%d refresh attempts", n)
		}
	})
	t.Run("still 401 after refresh", func(t *testing.T) {
		e := newEnv(t)
		e.srv.ExpireAccessTokens()
		e.srv.FailNext(1, squaretest.Fault{Status: 401, Category: "AUTHENTICATION_ERROR", Code: "UNAUTHORIZED", Path: "/v2/locations"})
		e.srv.FailNext(1, squaretest.Fault{Status: 401, Category: "AUTHENTICATION_ERROR", Code: "UNAUTHORIZED", Path: "/v2/locations"})
		err := e.a.TestConnection(context.Background())
		if ve := vendorErr(t, err); ve.Kind != pos.Auth || ve.Status != 401 {
			t.Errorf("error %+v", ve)
		}
		if n := len(e.srv.RequestsTo("POST", "/oauth2/token")); n != 1 {
			t.Errorf("%d refresh attempts, want exactly one", n)
		}
	})
	t.Run("concurrent 401s refresh once", func(t *testing.T) {
		e := newEnv(t)
		e.srv.ExpireAccessTokens()
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() { errs <- e.a.TestConnection(context.Background()) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if n := len(e.srv.RequestsTo("POST", "/oauth2/token")); n != 1 {
			t.Errorf("%d refreshes, want 1", n)
		}
	})
	t.Run("new credentials override stale state", func(t *testing.T) {
		e := newEnv(t)
		e.srv.ExpireAccessTokens()
		if err := e.a.TestConnection(context.Background()); err != nil {
			t.Fatal(err)
		}
		rotated := stored(t, e.state).AccessToken
		// The operator reconnects: a new token pair in credentials.
		e.srv.ExpireAccessTokens()
		e.cfg.Credentials = map[string]string{"access_token": squaretest.DefaultAccessToken, "refresh_token": "other"}
		e.srv.ClearRequests()
		_ = e.adapter().TestConnection(context.Background())
		r := e.srv.Requests()[0]
		if got := r.Header.Get("Authorization"); got != "Bearer "+squaretest.DefaultAccessToken || got == "Bearer "+rotated {
			t.Errorf("used %q", got)
		}
	})
	t.Run("refresh ahead of expiry", func(t *testing.T) {
		e := newEnv(t)
		e.cfg.Credentials["expires_at"] = e.clk.Now().Add(48 * time.Hour).Format(time.RFC3339)
		a := e.adapter()
		if err := a.TestConnection(context.Background()); err != nil {
			t.Fatal(err)
		}
		reqs := e.srv.Requests()
		if len(reqs) != 2 || reqs[0].Path != "/oauth2/token" {
			t.Fatalf("requests %+v", reqs)
		}
		// Now 30 days out: no further refresh.
		e.srv.ClearRequests()
		_ = a.TestConnection(context.Background())
		if n := len(e.srv.RequestsTo("POST", "/oauth2/token")); n != 0 {
			t.Errorf("%d extra refreshes", n)
		}
	})
	t.Run("logs never carry tokens", func(t *testing.T) {
		var buf bytes.Buffer
		e := newEnv(t, func(e *env) {
			e.cfg.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		e.srv.ExpireAccessTokens()
		e.srv.FailNext(1, squaretest.RateLimited("0"))
		_, _ = e.a.PushMenu(context.Background(), sampleMenu(), pos.PushOptions{})
		_ = e.a.TestConnection(context.Background())
		secrets := append(e.srv.ValidAccessTokens(), squaretest.DefaultAccessToken, squaretest.DefaultRefreshToken,
			squaretest.DefaultClientSecret, squaretest.DefaultSignatureKey)
		if buf.Len() == 0 {
			t.Fatal("nothing logged")
		}
		for _, s := range secrets {
			if bytes.Contains(buf.Bytes(), []byte(s)) {
				t.Errorf("log contains secret %q", s)
			}
		}
		if !slices.ContainsFunc(strings.Split(buf.String(), "\n"), func(l string) bool { return strings.Contains(l, "refreshed") }) {
			t.Error("refresh not logged")
		}
	})
}
