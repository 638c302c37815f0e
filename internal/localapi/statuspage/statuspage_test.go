package statuspage_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/localapi"
	"github.com/auraconnect/aura-edge/internal/localapi/openapi/openapitest"
	"github.com/auraconnect/aura-edge/internal/localapi/statuspage"
	"github.com/auraconnect/aura-edge/internal/store"
)

// TestPageAndSignIn: the page and its files are served with a strict
// content security policy; sign-in takes staff and admin tokens only and
// never echoes the token; every exchange matches the OpenAPI document.
func TestPageAndSignIn(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := auth.NewAuthenticator(db, auth.Options{})
	sessions := auth.NewSessions(a, 0)
	s := localapi.New(localapi.Config{}, slog.New(slog.DiscardHandler), nil, nil)
	statuspage.Routes(s, sessions, nil)
	srv := httptest.NewServer(auth.SessionMiddleware(s.Policy(), a, sessions, nil)(s.Handler()))
	t.Cleanup(srv.Close)
	client := openapitest.New(t).Client(t, nil)
	get := func(path string) (*http.Response, string) {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("/status")
	if resp.StatusCode != 200 || !strings.Contains(body, "/status/assets/app.js") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("page: %d %v", resp.StatusCode, resp.Header)
	}
	for _, f := range []string{"app.js", "app.css"} {
		if resp, _ := get("/status/assets/" + f); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", f, resp.StatusCode)
		}
	}
	if resp, _ := get("/status/assets/index.html"); resp.StatusCode != 404 {
		t.Fatalf("html as an asset: %d", resp.StatusCode)
	}
	if resp, _ := get("/status/session"); resp.StatusCode != 401 {
		t.Fatalf("session before sign-in: %d", resp.StatusCode)
	}

	staff, _, _ := auth.Create(db, auth.Staff, "tablet")
	terminal, _, _ := auth.Create(db, auth.Terminal, "till")
	for _, tc := range []struct {
		token  string
		status int
	}{{"", 400}, {"ae_nope", 401}, {terminal, 403}, {"Bearer " + staff, 200}} {
		resp, err := client.Post(srv.URL+"/status/login", "application/json", strings.NewReader(`{"token":"`+tc.token+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.token != "" && strings.Contains(string(b), strings.TrimPrefix(tc.token, "Bearer "))) {
			t.Fatalf("login %q: %d %s", tc.token, resp.StatusCode, b)
		}
		if tc.status != 200 && len(resp.Cookies()) > 0 {
			t.Fatalf("refused login set a cookie")
		}
		if tc.status == 200 {
			c := resp.Cookies()
			if len(c) != 1 || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode || c[0].Secure {
				t.Fatalf("cookie over plain http: %+v", c)
			}
			if !strings.Contains(string(b), `"csrf"`) || !strings.Contains(string(b), `"role":"staff"`) {
				t.Fatalf("login answer %s", b)
			}
		}
	}
}
