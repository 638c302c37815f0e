package toast

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
)

func TestPushMenuAllUnsupported(t *testing.T) {
	f := newFixture(t, nil)
	for _, dry := range []bool{false, true} {
		rs, err := f.a.PushMenu(context.Background(), testMenu(), pos.PushOptions{DryRun: dry})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 7 { // category, tax, item, 2 variations, group, modifier
			t.Fatalf("got %d results", len(rs))
		}
		for _, r := range rs {
			if r.Status != pos.StatusUnsupported || !strings.Contains(r.Reason, "Configuration changes must be made in Toast Web") {
				t.Errorf("%s/%s = %s %q", r.Kind, r.AuraID, r.Status, r.Reason)
			}
		}
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("menu push made %d requests", n)
	}
}

func TestLoginCachedAndHeaders(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	for range 3 {
		if err := f.a.TestConnection(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.srv.Logins(); n != 1 {
		t.Errorf("logins = %d, want 1 (token cached)", n)
	}
	reqs := f.srv.Requests()
	var login map[string]string
	if err := json.Unmarshal(reqs[0].Body, &login); err != nil || reqs[0].Path != LoginPath {
		t.Fatalf("first request %s %s", reqs[0].Path, reqs[0].Body)
	}
	if login["clientId"] != toasttest.ClientID || login["clientSecret"] != toasttest.ClientSecret ||
		login["userAccessType"] != "TOAST_MACHINE_CLIENT" {
		t.Errorf("login body %v", login)
	}
	for _, r := range reqs[1:] {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer jwt-") ||
			r.Header.Get(RestaurantHeader) != toasttest.RestaurantGUID {
			t.Errorf("%s lacks auth headers: %v", r.Path, r.Header)
		}
	}
	// A new adapter on the same State reuses the cached token.
	b := f.adapter(t, nil)
	if err := b.TestConnection(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.Logins(); n != 1 {
		t.Errorf("logins = %d after a restart, want 1", n)
	}
	// Shortly before expiry (24 h) the token is renewed.
	f.clk.Advance(24*time.Hour - 5*time.Minute)
	if err := b.TestConnection(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.Logins(); n != 2 {
		t.Errorf("logins = %d near expiry, want 2", n)
	}
}

func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if err := f.a.TestConnection(ctx); err != nil {
		t.Fatal(err)
	}
	// Token revoked: one re-login, then success.
	f.srv.ExpireTokens()
	if err := f.a.TestConnection(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.Logins(); n != 2 {
		t.Fatalf("logins = %d, want 2", n)
	}
	// Revoked again within the hour: a third login would break Toast's
	// limit, so the call fails with Auth and does not log in.
	f.srv.ExpireTokens()
	for range 3 {
		err := f.a.TestConnection(ctx)
		var ve *pos.VendorError
		if !errors.As(err, &ve) || ve.Kind != pos.Auth {
			t.Fatalf("err = %v, want Auth", err)
		}
	}
	if n := f.srv.Logins(); n != 2 {
		t.Errorf("logins = %d, want still 2", n)
	}
	// The limit survives a restart (it is in State) ...
	if err := f.adapter(t, nil).TestConnection(ctx); pos.KindOf(err) != pos.Auth {
		t.Errorf("restarted adapter: %v", err)
	}
	// ... and lifts an hour after the first login.
	f.clk.Advance(61 * time.Minute)
	if err := f.a.TestConnection(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.Logins(); n != 3 {
		t.Errorf("logins = %d, want 3", n)
	}
}

func TestErrorsClassified(t *testing.T) {
	tests := []struct {
		name       string
		fault      toasttest.Fault
		n          int
		kind       pos.ErrorKind
		retryAfter time.Duration
	}{
		{"429", toasttest.TooManyRequests, 1, pos.Retryable, 5 * time.Second},
		{"500", toasttest.ServerError, 1, pos.Retryable, 0},
		{"401 twice", toasttest.Unauthorized, 2, pos.Auth, 0},
		{"409", toasttest.Fault{Status: 409}, 1, pos.Conflict, 0},
		{"400", toasttest.Fault{Status: 400}, 1, pos.Invalid, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			ctx := context.Background()
			if err := f.a.TestConnection(ctx); err != nil {
				t.Fatal(err)
			}
			f.srv.FailNext(tc.n, tc.fault)
			_, err := f.a.PullOrders(ctx, nil)
			var ve *pos.VendorError
			if !errors.As(err, &ve) || ve.Kind != tc.kind || ve.RetryAfter != tc.retryAfter {
				t.Fatalf("err = %v, want %s retry-after %s", err, tc.kind, tc.retryAfter)
			}
		})
	}
}

func TestSlowOrdersAPI(t *testing.T) {
	// Margins are wide so that a loaded CI machine does not turn the
	// "within the timeout" case into a timeout.
	f := newFixture(t, map[string]string{"request_timeout": "1500ms"})
	if d := newFixture(t, nil).a.req.Client.Timeout; d < 30*time.Second {
		t.Errorf("default client timeout %s is below Toast's 30 s", d)
	}
	ctx := context.Background()
	if err := f.a.TestConnection(ctx); err != nil {
		t.Fatal(err)
	}
	f.srv.Slow(50 * time.Millisecond)
	if _, err := f.a.PullOrders(ctx, nil); err != nil {
		t.Fatalf("a slow answer within the timeout: %v", err)
	}
	f.srv.Slow(3 * time.Second)
	_, err := f.a.PullOrders(ctx, nil)
	if pos.KindOf(err) != pos.Retryable {
		t.Fatalf("timeout err = %v, want retryable", err)
	}
}

func TestRegisteredAndSample(t *testing.T) {
	d, err := pos.Lookup("toast")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Vendor      string            `yaml:"vendor"`
		Credentials map[string]string `yaml:"credentials"`
		Settings    map[string]string `yaml:"settings"`
	}
	if err := yaml.Unmarshal([]byte(SampleConfig()), &c); err != nil {
		t.Fatal(err)
	}
	if c.Vendor != "toast" || len(d.CheckConfig(c.Credentials, c.Settings)) > 0 {
		t.Errorf("sample %+v misses %v", c, d.CheckConfig(c.Credentials, c.Settings))
	}
	if _, err := New(pos.Config{Credentials: map[string]string{"client_id": "a", "client_secret": "b"},
		Settings: map[string]string{"restaurant_guid": "r", "currency": "USD", "overlap": "soon"}}); err == nil {
		t.Error("bad duration accepted")
	}
	if _, err := os.Stat("README.md"); err != nil {
		t.Error("README.md missing")
	}
}
