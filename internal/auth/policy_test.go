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
	p := DefaultPolicy()
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
