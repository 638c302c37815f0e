package custom_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/customtest"
)

func hmacSHA256(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

func indexOf(s, sub string) int { return strings.Index(s, sub) }

func TestOAuth2TokenCaching(t *testing.T) {
	e := setup(t, nil)
	// Concurrent first calls fetch one token.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.a.TestConnection(ctx(t)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := e.srv.TokenRequests(); n != 1 {
		t.Fatalf("%d token requests for 8 concurrent calls, want 1", n)
	}
	tok := e.srv.Requests()[0]
	if tok.Path != "/oauth/token" || tok.Header.Get("Authorization") == "" || !strings.Contains(string(tok.Body), "grant_type=client_credentials") ||
		!strings.Contains(string(tok.Body), "scope=orders.read+items.write") || strings.Contains(string(tok.Body), "client_secret") {
		t.Errorf("token request %s %v %s", tok.Path, tok.Header, tok.Body)
	}
	// Cached in State: a new adapter on the same State (a restart) fetches none.
	b, _ := e.state.Get("token/custom")
	var st struct {
		AccessToken string `json:"access_token"`
		ExpiresAt   int64  `json:"expires_at"`
	}
	if err := json.Unmarshal(b, &st); err != nil || st.AccessToken != "acme-token-1" || st.ExpiresAt != t0.Add(time.Hour).Unix() {
		t.Fatalf("cached token %s (%v)", b, err)
	}
	a2 := e.newAdapter(t)
	if err := a2.TestConnection(ctx(t)); err != nil || e.srv.TokenRequests() != 1 {
		t.Fatalf("after restart: err %v, %d token requests", err, e.srv.TokenRequests())
	}
	// Renewed refresh_before (1m) ahead of expiry.
	e.clock.Add(58 * time.Minute)
	if err := e.a.TestConnection(ctx(t)); err != nil || e.srv.TokenRequests() != 1 {
		t.Fatalf("at 58m: err %v, %d token requests", err, e.srv.TokenRequests())
	}
	e.clock.Add(90 * time.Second)
	if err := e.a.TestConnection(ctx(t)); err != nil || e.srv.TokenRequests() != 2 {
		t.Fatalf("at 59.5m: err %v, %d token requests, want a renewal", err, e.srv.TokenRequests())
	}
	// A revoked token: 401, one new token, the call succeeds.
	e.srv.ExpireTokens()
	if err := e.a.TestConnection(ctx(t)); err != nil || e.srv.TokenRequests() != 3 {
		t.Fatalf("after revocation: err %v, %d token requests", err, e.srv.TokenRequests())
	}
	// Changed client credentials ignore the cached token.
	e.cfg.Credentials = map[string]string{"client_id": customtest.DefaultClientID, "client_secret": "rotated", "webhook_secret": "w"}
	a3 := e.newAdapter(t)
	err := a3.TestConnection(ctx(t))
	if pos.KindOf(err) != pos.Auth {
		t.Fatalf("wrong secret: err %v, want kind auth", err)
	}
	var ve *pos.VendorError
	if !errors.As(err, &ve) || ve.Code != "invalid_client" {
		t.Errorf("error %v: want the OAuth2 error code", err)
	}
}

func TestOAuth2SecondRefusalIsAuth(t *testing.T) {
	e := setup(t, nil)
	e.srv.FailNext(2, customtest.Fault{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "revoked"})
	err := e.a.TestConnection(ctx(t))
	if pos.KindOf(err) != pos.Auth || e.srv.TokenRequests() != 2 {
		t.Fatalf("err %v with %d token requests; want auth after one renewal", err, e.srv.TokenRequests())
	}
}

// TestStaticAuthSchemes checks bearer, API key (header and query), basic
// and OAuth2 with client credentials in the body, against a recording
// server.
func TestStaticAuthSchemes(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 1024)
		n, _ := r.Body.Read(b)
		mu.Lock()
		got = append(got, r.Clone(r.Context()))
		bodies = append(bodies, string(b[:n]))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/token" {
			w.Write([]byte(`{"access_token":"T1","token_type":"Bearer","expires_in":"3600"}`))
			return
		}
		w.Write([]byte(`{"orders":[]}`))
	}))
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		auth  string
		check func(r *http.Request) bool
	}{
		{"{type: bearer}", func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer t" }},
		{"{type: bearer, token: pat}", func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer PAT" }},
		{"{type: api_key}", func(r *http.Request) bool { return r.Header.Get("X-Api-Key") == "k" }},
		{"{type: api_key, header: Authorization, prefix: 'Token '}", func(r *http.Request) bool { return r.Header.Get("Authorization") == "Token k" }},
		{"{type: api_key, query: key}", func(r *http.Request) bool { return r.URL.Query().Get("key") == "k" && r.Header.Get("X-Api-Key") == "" }},
		{"{type: basic}", func(r *http.Request) bool { u, p, ok := r.BasicAuth(); return ok && u == "u" && p == "" }},
		{"{type: none}", func(r *http.Request) bool { return r.Header.Get("Authorization") == "" }},
		{"{type: oauth2_client_credentials, token_url: /token, client_auth: body}", func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer T1"
		}},
	} {
		t.Run(c.auth, func(t *testing.T) {
			mu.Lock()
			got, bodies = nil, nil
			mu.Unlock()
			cfg := baseCfg(strings.Replace(minimal, "{type: bearer}", c.auth, 1))
			cfg.Credentials["pat"] = "PAT"
			cfg.Settings["base_url"] = srv.URL
			a, err := custom.NewAdapter(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.TestConnection(ctx(t)); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			last := got[len(got)-1]
			if last.URL.Path != "/orders" || !c.check(last) {
				t.Errorf("request %s %v %v", last.URL, last.Header, last.URL.Query())
			}
			if strings.Contains(c.auth, "client_auth: body") {
				if !strings.Contains(bodies[0], "client_id=c") || !strings.Contains(bodies[0], "client_secret=s") || got[0].Header.Get("Authorization") != "" {
					t.Errorf("token request %v %q", got[0].Header, bodies[0])
				}
			}
		})
	}
}

func TestErrorClassification(t *testing.T) {
	for _, c := range []struct {
		fault      customtest.Fault
		kind       pos.ErrorKind
		retryAfter time.Duration
		code       string
	}{
		{customtest.TooManyRequests("30"), pos.Retryable, 30 * time.Second, "rate_limited"},
		{customtest.ServerError(), pos.Retryable, 0, "internal"},
		{customtest.Fault{Status: http.StatusBadGateway}, pos.Retryable, 0, ""},
		{customtest.Fault{Status: http.StatusForbidden, Code: "forbidden", Message: "scope"}, pos.Auth, 0, "forbidden"},
		{customtest.Fault{Status: http.StatusBadRequest, Code: "invalid_request", Message: "bad limit"}, pos.Invalid, 0, "invalid_request"},
		{customtest.Fault{Status: http.StatusNotFound, Code: "not_found"}, pos.Invalid, 0, "not_found"},
	} {
		t.Run(http.StatusText(c.fault.Status), func(t *testing.T) {
			e := setup(t, nil)
			e.srv.FailNext(1, c.fault)
			_, err := e.a.PullOrders(ctx(t), nil)
			var ve *pos.VendorError
			if !errors.As(err, &ve) {
				t.Fatalf("err %v, want a *pos.VendorError", err)
			}
			if ve.Kind != c.kind || ve.RetryAfter != c.retryAfter || ve.Status != c.fault.Status || ve.Code != c.code || ve.Vendor != "acme" {
				t.Errorf("got kind %s retry-after %s status %d code %q vendor %q; want %s %s %d %q",
					ve.Kind, ve.RetryAfter, ve.Status, ve.Code, ve.Vendor, c.kind, c.retryAfter, c.fault.Status, c.code)
			}
			// The cursor did not move: the next call succeeds from the start.
			if _, err := e.a.PullOrders(ctx(t), nil); err != nil {
				t.Errorf("after the fault: %v", err)
			}
		})
	}
	t.Run("transport error", func(t *testing.T) {
		cfg := baseCfg(minimal)
		srv := httptest.NewServer(http.NotFoundHandler())
		cfg.Settings["base_url"] = srv.URL
		srv.Close()
		a, err := custom.NewAdapter(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.PullOrders(ctx(t), nil); pos.KindOf(err) != pos.Retryable {
			t.Errorf("err %v, want retryable", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}))
		t.Cleanup(slow.Close)
		cfg := baseCfg(strings.Replace(minimal, "  auth: {type: bearer}", "  auth: {type: bearer}\n  timeout: 50ms", 1))
		cfg.Settings["base_url"] = slow.URL
		a, err := custom.NewAdapter(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.PullOrders(ctx(t), nil)
		if pos.KindOf(err) != pos.Retryable || !strings.Contains(err.Error(), "no answer within 50ms") {
			t.Errorf("err %v, want retryable timeout", err)
		}
	})
}

func TestQueryAPIKeyNotInErrors(t *testing.T) {
	cfg := baseCfg(strings.Replace(minimal, "{type: bearer}", "{type: api_key, query: key}", 1))
	cfg.Credentials["api_key"] = "s3cr3t-key"
	srv := httptest.NewServer(http.NotFoundHandler())
	cfg.Settings["base_url"] = srv.URL
	srv.Close()
	a, err := custom.NewAdapter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.PullOrders(ctx(t), nil)
	if err == nil || strings.Contains(err.Error(), "s3cr3t-key") || !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("err %v", err)
	}
}
