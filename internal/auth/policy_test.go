package auth

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNewPolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []Rule
		want  string
	}{
		{"bad pattern", []Rule{{Pattern: "GET"}}, "GET"},
		{"bad method", []Rule{{Pattern: "GET  /x{"}}, "/x{"},
		{"duplicate", []Rule{{Pattern: "GET /a"}, {Pattern: "GET /a"}}, "twice"},
		{"conflict", []Rule{{Pattern: "GET /a/{x}"}, {Pattern: "GET /a/{y}"}}, "conflict"},
		{"unknown role", []Rule{{Pattern: "GET /a", Roles: []Role{"guest"}}}, "guest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPolicy(tc.rules)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestPolicyMatch(t *testing.T) {
	p := examplePolicy()
	for _, tc := range []struct {
		method, target, pattern string
	}{
		{"GET", "/healthz", "GET /healthz"},
		{"HEAD", "/healthz", "GET /healthz"},
		{"POST", "/v1/print/job_42/reprint", "POST /v1/print/{id}/reprint"},
		{"POST", "/v1/print", "POST /v1/print"},
		{"GET", "/v1/print", ""},   // wrong method: admin only
		{"POST", "/healthz", ""},   // wrong method on a public route
		{"GET", "/v1/status/", ""}, // not the same route
		{"GET", "/v1/queue?stream=x", "GET /v1/queue"},
		{"DELETE", "/integrations/pos/int_1", "DELETE /integrations/pos/{id}"},
		{"GET", "/v1/anything-new", ""},
		{"GET", "/", ""},
		{"OPTIONS", "*", ""},
		{"CONNECT", "/healthz", ""},
		{"GET", "/v1/../healthz", "GET /healthz"}, // ServeMux answers with a redirect
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		got := p.Match(r)
		if got.Pattern != tc.pattern {
			t.Errorf("%s %s matched %q, want %q", tc.method, tc.target, got.Pattern, tc.pattern)
		}
		if tc.pattern == "" && (got.Public || got.Allows(Staff) || got.Allows(Terminal) || !got.Allows(Admin)) {
			t.Errorf("%s %s: unlisted route is not admin-only: %+v", tc.method, tc.target, got)
		}
	}
	rules := p.Rules()
	rules[1].Roles[0] = Admin // a copy: the policy is unchanged
	if p.Rules()[1].Roles[0] != Terminal {
		t.Fatal("Rules exposes the policy's slices")
	}
}

// exampleRules is a policy shaped like the local API's (which the API
// builds from its registrations), for these tests.
func exampleRules() []Rule {
	staff := []Role{Staff}
	return []Rule{
		{Pattern: "GET /healthz", Public: true},

		// Local capture from LAN terminals and kiosks.
		{Pattern: "POST /v1/orders", Roles: []Role{Terminal}},
		{Pattern: "POST /v1/payments", Roles: []Role{Terminal}},

		// Staff: printing, status, queue and sync-log reads.
		{Pattern: "POST /v1/print", Roles: staff},
		{Pattern: "POST /v1/print/{id}/reprint", Roles: staff},
		{Pattern: "POST /v1/print/reprint-last", Roles: staff},
		{Pattern: "POST /v1/print/reprint-order", Roles: staff},
		{Pattern: "GET /v1/print/jobs", Roles: staff},
		{Pattern: "GET /v1/print/jobs/{id}", Roles: staff},
		{Pattern: "GET /v1/printers", Roles: staff},
		{Pattern: "POST /v1/drawer/open", Roles: staff},
		{Pattern: "GET /v1/status", Roles: staff},
		{Pattern: "GET /v1/health", Roles: staff},
		{Pattern: "POST /v1/print/{id}/cancel", Roles: staff},
		{Pattern: "GET /v1/queue", Roles: staff},
		{Pattern: "GET /v1/sync-logs", Roles: staff},
		{Pattern: "POST /v1/menu/availability", Roles: staff},
		{Pattern: "GET /v1/menu/availability", Roles: staff},

		// Prometheus scrapers: a read-only role.
		{Pattern: "GET /metrics", Roles: []Role{Metrics}},

		// Admin only.
		{Pattern: "POST /integrations/pos/connect"},
		{Pattern: "GET /integrations/pos/status"},
		{Pattern: "POST /integrations/pos/sync/menu"},
		{Pattern: "POST /integrations/pos/sync/orders"},
		{Pattern: "DELETE /integrations/pos/{id}"},
		{Pattern: "POST /integrations/pos/orders/inject"},
		{Pattern: "POST /integrations/pos/orders/refund"},

		// Vendors call webhooks without a token; their signature is the
		// authentication, checked by the adapter.
		{Pattern: "POST /webhooks/{integration_id}", Public: true},

		// The API's description holds no data.
		{Pattern: "GET /v1/openapi.json", Public: true},
		// The status page: the page and its assets are public (they hold
		// no data); signing in exchanges a token for a session cookie,
		// which the API routes then accept in place of the token.
		{Pattern: "GET /status", Public: true},
		{Pattern: "GET /status/assets/{file}", Public: true},
		{Pattern: "POST /status/login", Public: true},
		{Pattern: "POST /status/logout", Public: true},
		{Pattern: "GET /status/session", Roles: []Role{Staff}},
	}
}

// examplePolicy returns NewPolicy(exampleRules()).
func examplePolicy() *Policy {
	p, err := NewPolicy(exampleRules())
	if err != nil {
		panic("auth: example policy: " + err.Error())
	}
	return p
}
