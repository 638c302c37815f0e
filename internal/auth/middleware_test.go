package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type apiError struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Field  string `json:"field"`
}

// testTarget turns a pattern into a request path.
func testTarget(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	return method, strings.ReplaceAll(path, "{id}", "x_1")
}

// TestMiddlewareMatrix runs every route of the default policy (and one that
// is not in it) against a real HTTP server, with no token, a bad token and
// a token of each role.
func TestMiddlewareMatrix(t *testing.T) {
	db := openStore(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := NewAuthenticator(db, Options{Logger: logger})
	policy := examplePolicy()

	tokens := map[string]string{}
	for _, role := range Roles() {
		tokens[string(role)], _ = mustCreate(t, db, role, "t-"+string(role))
	}
	revoked, _ := mustCreate(t, db, Admin, "old-admin")
	if _, err := Revoke(db, "old-admin"); err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	rules := append(policy.Rules(), Rule{Pattern: "GET /v1/unlisted"})
	for _, r := range rules {
		mux.HandleFunc(r.Pattern, func(w http.ResponseWriter, req *http.Request) {
			fmt.Fprintf(w, "ok %s", Actor(req.Context()))
		})
	}
	srv := httptest.NewServer(Middleware(policy, a, logger)(mux))
	defer srv.Close()

	callers := []struct{ name, header string }{
		{"none", ""},
		{"bad", "Bearer ae_" + strings.Repeat("Z", 43)},
		{"malformed", "Bearer not-a-token"},
		{"basic", "Basic dXNlcjpwYXNz"},
		{"revoked", "Bearer " + revoked},
		{"admin", "Bearer " + tokens["admin"]},
		{"staff", "Bearer " + tokens["staff"]},
		{"terminal", "Bearer " + tokens["terminal"]},
	}
	for _, rule := range rules {
		method, path := testTarget(rule.Pattern)
		for _, c := range callers {
			t.Run(rule.Pattern+"/"+c.name, func(t *testing.T) {
				want := http.StatusOK
				switch {
				case rule.Public:
				case c.name != "admin" && c.name != "staff" && c.name != "terminal":
					want = http.StatusUnauthorized
				case !rule.Allows(Role(c.name)):
					want = http.StatusForbidden
				}
				req, _ := http.NewRequest(method, srv.URL+path, nil)
				if c.header != "" {
					req.Header.Set("Authorization", c.header)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, body)
				}
				switch want {
				case http.StatusOK:
					wantActor := "anonymous"
					if !rule.Public {
						wantActor = "token:t-" + c.name
					}
					if string(body) != "ok "+wantActor {
						t.Fatalf("handler saw %q, want actor %q", body, wantActor)
					}
				default:
					var e apiError
					if err := json.Unmarshal(body, &e); err != nil || e.Code == "" || e.Detail == "" || e.Status != want || e.Type == "" {
						t.Fatalf("error body %s (%v)", body, err)
					}
					if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
						t.Fatalf("content type %q", ct)
					}
					wa := resp.Header.Get("WWW-Authenticate")
					if !strings.HasPrefix(wa, "Bearer") {
						t.Fatalf("WWW-Authenticate %q", wa)
					}
					if want == http.StatusUnauthorized && (e.Code != "unauthorized" || e.Field != "Authorization") {
						t.Fatalf("401 body %s", body)
					}
					if want == http.StatusForbidden && (e.Code != "forbidden" || !strings.Contains(e.Detail, "t-"+c.name)) {
						t.Fatalf("403 body %s", body)
					}
				}
			})
		}
	}

	// Two Authorization headers are refused.
	req, _ := http.NewRequest("GET", srv.URL+"/v1/status", nil)
	req.Header.Add("Authorization", "Bearer "+tokens["admin"])
	req.Header.Add("Authorization", "Bearer "+tokens["staff"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("two Authorization headers: %d", resp.StatusCode)
	}

	// Refusals name the token, and no token ever reaches the log.
	out := logs.String()
	if !strings.Contains(out, `"token_name":"t-terminal"`) || !strings.Contains(out, `"token_name":"old-admin"`) {
		t.Fatalf("refusal logs do not name the tokens:\n%s", out)
	}
	for _, s := range append([]string{revoked}, tokens["admin"], tokens["staff"], tokens["terminal"]) {
		if strings.Contains(out, s) || strings.Contains(out, s[3:]) {
			t.Fatalf("a token appears in the log")
		}
	}
	if strings.Contains(out, "dXNlcjpwYXNz") || strings.Contains(out, strings.Repeat("Z", 43)) {
		t.Fatal("a presented credential appears in the log")
	}
}

// TestMiddlewareRevokeAtOnce revokes a token between two requests.
func TestMiddlewareRevokeAtOnce(t *testing.T) {
	db := openStore(t)
	a := NewAuthenticator(db, Options{})
	secret, _ := mustCreate(t, db, Terminal, "kiosk-1")
	srv := httptest.NewServer(Middleware(examplePolicy(), a, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})))
	defer srv.Close()
	post := func() int {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/orders", strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(); got != http.StatusAccepted {
		t.Fatalf("before revoke: %d", got)
	}
	if _, err := Revoke(db, "kiosk-1"); err != nil {
		t.Fatal(err)
	}
	if got := post(); got != http.StatusUnauthorized {
		t.Fatalf("after revoke: %d", got)
	}
}

// TestMiddlewareStoreFailure: a closed store gives 500, not a pass.
func TestMiddlewareStoreFailure(t *testing.T) {
	db := openStore(t)
	secret, _ := mustCreate(t, db, Admin, "ops")
	a := NewAuthenticator(db, Options{})
	db.Close()
	h := Middleware(examplePolicy(), a, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Fatal("handler reached")
	}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v1/status", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
}
