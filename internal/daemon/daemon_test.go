package daemon

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"

	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/localapi"
	"github.com/auraconnect/aura-edge/internal/localapi/openapi/openapitest"
	"github.com/auraconnect/aura-edge/internal/testkit"
)

// logBuffer collects the daemon's logs for assertions.
type logBuffer = testkit.SyncBuffer

// startDaemon runs a daemon in-process on a temp dir with cfg edits
// applied; it stops when the test ends.
func startDaemon(t *testing.T, edit func(*config.Config)) (*Daemon, *logBuffer) {
	t.Helper()
	d, logs, _ := startDaemonStop(t, edit)
	return d, logs
}

// startDaemonStop is startDaemon with a stop function for tests that
// restart the daemon on the same data dir (stopping twice is fine).
func startDaemonStop(t *testing.T, edit func(*config.Config)) (*Daemon, *logBuffer, func()) {
	t.Helper()
	cfg := config.Defaults()
	cfg.StoreID = "test-store"
	cfg.DataDir = t.TempDir()
	cfg.API.Listen = "127.0.0.1:0"
	if edit != nil {
		edit(&cfg)
	}
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := New(&cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	select {
	case <-d.Ready():
	case err := <-errc:
		t.Fatalf("daemon: %v\n%s", err, logs)
	case <-time.After(15 * time.Second):
		t.Fatal("daemon not ready")
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("daemon exit: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return d, logs, stop
}

func request(t *testing.T, method, url, token string, body []byte) (int, string) {
	t.Helper()
	ct := ""
	if body != nil {
		ct = "application/json"
	}
	return requestCT(t, method, url, token, ct, body)
}

// requestCT is request with a Content-Type of choice.
func requestCT(t *testing.T, method, url, token, ct string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	// Every exchange is checked against the OpenAPI document.
	resp, err := openapitest.New(t).Client(t, nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRoutesByRole sends every route of the policy to the real daemon with
// no token, a bad token and a token of each role.
func TestRoutesByRole(t *testing.T) {
	d, logs := startDaemon(t, nil)
	db := d.Core().DB
	tokens := map[auth.Role]string{}
	for _, r := range auth.Roles() {
		tok, _, err := auth.Create(db, r, "test-"+string(r))
		if err != nil {
			t.Fatal(err)
		}
		tokens[r] = tok
	}
	base := "http://" + d.APIAddr().String()
	rules := d.Core().API.Policy().Rules()
	if len(rules) < 15 {
		t.Fatalf("only %d rules", len(rules))
	}
	for _, rule := range rules {
		method, path, _ := strings.Cut(rule.Pattern, " ")
		path = strings.NewReplacer("{id}", "nope", "{integration_id}", "nope").Replace(path)
		callers := []struct {
			name  string
			token string
			role  auth.Role
		}{
			{"no token", "", ""}, {"bad token", "ae_not-a-real-token-at-all-0000000000000000000", ""},
			{"admin", tokens[auth.Admin], auth.Admin}, {"staff", tokens[auth.Staff], auth.Staff},
			{"terminal", tokens[auth.Terminal], auth.Terminal},
		}
		for _, c := range callers {
			t.Run(rule.Pattern+"/"+c.name, func(t *testing.T) {
				code, body := request(t, method, base+path, c.token, []byte(`{}`))
				switch {
				case rule.Public:
					// No token check; the webhook's own 401 (a vendor
					// signature rejection) answers {"status":"rejected"}.
					if code == 403 || (code == 401 && !strings.Contains(body, `"status":"rejected"`)) {
						t.Fatalf("public route answered %d: %s", code, body)
					}
				case c.role == "":
					if code != 401 {
						t.Fatalf("want 401, got %d: %s", code, body)
					}
				case rule.Allows(c.role):
					if code == 401 || code == 403 {
						t.Fatalf("%s allowed but got %d: %s", c.role, code, body)
					}
				default:
					if code != 403 {
						t.Fatalf("%s not allowed: want 403, got %d: %s", c.role, code, body)
					}
				}
				if !strings.Contains(body, `"`) { // every answer is JSON
					t.Fatalf("not JSON: %q", body)
				}
			})
		}
	}
	for r, tok := range tokens {
		if strings.Contains(logs.String(), tok) {
			t.Fatalf("%s token found in the logs", r)
		}
	}
}

// TestUnknownRouteIsAdminOnly: a route missing from the policy is refused
// to everyone but admin.
func TestUnknownRouteIsAdminOnly(t *testing.T) {
	d, _ := startDaemon(t, nil)
	tok, _, _ := auth.Create(d.Core().DB, auth.Staff, "s")
	base := "http://" + d.APIAddr().String()
	if code, _ := request(t, "GET", base+"/v1/secret-thing", tok, nil); code != 403 {
		t.Fatalf("staff on unknown route: %d", code)
	}
	if code, _ := request(t, "GET", base+"/healthz", "", nil); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
}

func auditFilterCommands() audit.Filter { return audit.Filter{Type: "command"} }

// TestAPIOverTLS: with api.tls the API serves HTTPS only.
func TestAPIOverTLS(t *testing.T) {
	pki := cloudtest.NewPKI(t)
	d, _ := startDaemon(t, func(c *config.Config) {
		c.API.TLS = localapi.TLS{CertFile: pki.ServerCert, KeyFile: pki.ServerKey}
	})
	caPEM, err := os.ReadFile(pki.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + d.APIAddr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("https healthz: %d tls=%v", resp.StatusCode, resp.TLS != nil)
	}
	if resp, err := http.Get("http://" + d.APIAddr().String() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP answered on the TLS listener")
		}
	}
	// The status page's session cookie is Secure over HTTPS.
	staff, _, _ := auth.Create(d.Core().DB, auth.Staff, "tablet")
	resp, err = client.Post("https://"+d.APIAddr().String()+"/status/login", "application/json", strings.NewReader(`{"token":"`+staff+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cs := resp.Cookies()
	if resp.StatusCode != 200 || len(cs) != 1 || !cs[0].Secure || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("login over https: %d %+v", resp.StatusCode, cs)
	}
}
