package custom_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	c := newClock()
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
	c := newClock()
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

// TestGraphQL pages through a GraphQL API: the query and its variables
// are the request body, the cursor comes from pageInfo, and errors arrive
// inside HTTP 200 answers.
func TestGraphQL(t *testing.T) {
	type gqlReq struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	var seen []gqlReq
	fail := atomic.Bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q gqlReq
		if r.URL.Path != "/graphql" || json.NewDecoder(r.Body).Decode(&q) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		seen = append(seen, q)
		w.Header().Set("Content-Type", "application/json")
		if fail.Load() {
			io.WriteString(w, `{"data":null,"errors":[{"message":"Not authorized","extensions":{"code":"UNAUTHENTICATED"}}]}`)
			return
		}
		if q.Variables["after"] == nil {
			io.WriteString(w, `{"data":{"orders":{"nodes":[{"id":"o1","updatedAt":"2026-11-02T11:00:00Z","total":"3.50"}],
				"pageInfo":{"hasNextPage":true,"endCursor":"c1"}}}}`)
			return
		}
		io.WriteString(w, `{"data":{"orders":{"nodes":[{"id":"o2","updatedAt":"2026-11-02T11:30:00Z","total":"4.25"}],
			"pageInfo":{"hasNextPage":false,"endCursor":"c2"}}}}`)
	}))
	defer srv.Close()
	c := newClock()
	a, err := custom.NewAdapter(pos.Config{IntegrationID: "gql", Now: c.Now, Credentials: map[string]string{"access_token": "tok-123456"},
		Settings: map[string]string{"base_url": srv.URL, "manifest_yaml": `
vendor: gql
requester:
  auth: {type: bearer}
  error:
    when: .errors != null
    code: .errors[0].extensions.code
    message: .errors[0].message
    kind: 'if .errors[0].extensions.code == "UNAUTHENTICATED" then "auth" else "invalid" end'
pull_orders:
  request:
    method: POST
    path: /graphql
    body: |
      {query: "query Orders($since: DateTime!, $after: String) { orders(updatedSince: $since, after: $after, first: 50) { nodes { id updatedAt total } pageInfo { hasNextPage endCursor } } }",
       variables: {since: .cursor, after: (if .next == "" then null else .next end)}}
  records: .data.orders.nodes
  next: if .data.orders.pageInfo.hasNextPage then .data.orders.pageInfo.endCursor else null end
  cursor_field: .updatedAt
  map: '{source: {external_id: .id}, state: "completed", created_at: .updatedAt, line_items: [{id: "l", name: "Sale", quantity: 1, unit_price: money(.total)}]}'
`}})
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := pullAll(t, a, nil)
	if ids := orderIDs(pages); len(ids) != 2 || ids[1] != "o2" || len(seen) != 2 || seen[1].Variables["after"] != "c1" ||
		seen[0].Variables["since"] != "2026-11-01T12:00:00Z" {
		t.Fatalf("orders %v, requests %+v", ids, seen)
	}
	fail.Store(true)
	_, err = a.PullOrders(ctx(t), nil)
	var ve *pos.VendorError
	if !errors.As(err, &ve) || ve.Kind != pos.Auth || ve.Code != "UNAUTHENTICATED" || ve.Message != "Not authorized" {
		t.Errorf("GraphQL error inside a 200: %v", err)
	}
}
