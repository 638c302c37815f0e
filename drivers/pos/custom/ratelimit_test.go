package custom_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
)

func TestRateLimitHeaders(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("X-RateLimit-Limit", "2")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", "30")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"orders":[]}`)
	}))
	defer srv.Close()
	c := &clock{t: t0}
	a, err := custom.NewAdapter(pos.Config{IntegrationID: "rl", Now: c.Now, Settings: map[string]string{"base_url": srv.URL,
		"manifest_yaml": `
vendor: rl
requester:
  rate_limit: {remaining: X-RateLimit-Remaining, reset: X-RateLimit-Reset}
pull_orders: {request: {path: /orders}, records: .orders, map: .}
`}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.PullOrders(ctx(t), nil); err != nil {
		t.Fatalf("first pull: %v", err)
	}
	_, err = a.PullOrders(ctx(t), nil)
	var ve *pos.VendorError
	if !errors.As(err, &ve) || ve.Kind != pos.Retryable || ve.RetryAfter != 30*time.Second || calls.Load() != 1 {
		t.Fatalf("pull with the window used up: %v (retry after %v), %d calls", err, ve, calls.Load())
	}
	c.Add(31 * time.Second)
	if _, err := a.PullOrders(ctx(t), nil); err != nil || calls.Load() != 2 {
		t.Fatalf("pull after the reset: %v, %d calls", err, calls.Load())
	}
}

func TestSignedRequests(t *testing.T) {
	const key = "signing-key-123"
	var bad atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte(key))
		io.WriteString(m, r.Method+"\n"+r.URL.Path+"\n"+r.Header.Get("X-Timestamp")+"\n"+string(body))
		if r.Header.Get("X-Signature") != "v1="+hex.EncodeToString(m.Sum(nil)) || r.Header.Get("X-Timestamp") != "1793620800" {
			bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"bad signature"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"orders":[],"ok":true}`)
	}))
	defer srv.Close()
	c := &clock{t: t0}
	a, err := custom.NewAdapter(pos.Config{IntegrationID: "sg", Now: c.Now, Credentials: map[string]string{"signing_key": key},
		Settings: map[string]string{"base_url": srv.URL, "manifest_yaml": `
vendor: sg
requester:
  sign:
    header: X-Signature
    prefix: v1=
    secret: signing_key
    headers: {X-Timestamp: "{{.timestamp}}"}
    signed: "{{.method}}\n{{.path}}\n{{.header.Get \"X-Timestamp\"}}\n{{.body}}"
test_connection: {method: GET, path: /ping}
pull_orders: {request: {method: POST, path: /orders/search, body: '{since: .cursor}'}, records: .orders, map: .}
`}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.TestConnection(ctx(t)); err != nil {
		t.Errorf("signed GET: %v", err)
	}
	if _, err := a.PullOrders(ctx(t), nil); err != nil {
		t.Errorf("signed POST with a body: %v", err)
	}
	if bad.Load() != 0 {
		t.Errorf("%d requests with a bad signature", bad.Load())
	}
	if _, err := custom.NewAdapter(pos.Config{Settings: map[string]string{"base_url": srv.URL, "manifest_yaml": `
vendor: sg
requester: {sign: {header: X-Signature, secret: signing_key, signed: "{{.methd}}"}}
pull_orders: {request: {path: /o}, records: .o, map: .}
`}}); err == nil {
		t.Error("a sign template with a typo and a missing credential was accepted")
	}
}
