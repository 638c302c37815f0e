package auth

import (
	"fmt"
	"net/http"
	"slices"
)

// Rule lets roles call the routes matching Pattern, a Go 1.22 ServeMux
// pattern such as "POST /v1/print/{id}/reprint". Admin may always call
// them; Public routes need no token at all.
type Rule struct {
	Pattern string
	Roles   []Role // allowed besides admin
	Public  bool
}

// Allows reports whether role may call the rule's routes.
func (r Rule) Allows(role Role) bool {
	return r.Public || role == Admin || slices.Contains(r.Roles, role)
}

// DefaultRules is the local API's policy. Routes not listed are admin-only
// (the integration endpoints are listed for the record).
func DefaultRules() []Rule {
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
		{Pattern: "GET /integrations/pos/rejected"},
		{Pattern: "GET /integrations/pos/{id}/rejected/{key}"},
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

// adminOnly applies to requests no rule matches.
var adminOnly = Rule{}

// Policy maps requests to rules, matching them the way http.ServeMux does.
type Policy struct {
	mux   *http.ServeMux
	rules map[string]Rule // by pattern
	list  []Rule
}

// NewPolicy checks rules (valid, non-conflicting patterns, known roles)
// and builds a Policy.
func NewPolicy(rules []Rule) (p *Policy, err error) {
	p = &Policy{mux: http.NewServeMux(), rules: make(map[string]Rule, len(rules))}
	for _, r := range rules {
		for _, role := range r.Roles {
			if _, err := ParseRole(string(role)); err != nil {
				return nil, fmt.Errorf("policy rule %q: %w", r.Pattern, err)
			}
		}
		if _, dup := p.rules[r.Pattern]; dup {
			return nil, fmt.Errorf("policy rule %q appears twice", r.Pattern)
		}
		if err := handle(p.mux, r.Pattern); err != nil {
			return nil, fmt.Errorf("policy rule %q: %v", r.Pattern, err)
		}
		r.Roles = slices.Clone(r.Roles)
		p.rules[r.Pattern] = r
		p.list = append(p.list, r)
	}
	return p, nil
}

// handle registers pattern, turning ServeMux's panic on a bad or
// conflicting pattern into an error.
func handle(mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	mux.Handle(pattern, http.NotFoundHandler())
	return nil
}

// DefaultPolicy returns NewPolicy(DefaultRules()).
func DefaultPolicy() *Policy {
	p, err := NewPolicy(DefaultRules())
	if err != nil {
		panic("auth: default policy: " + err.Error())
	}
	return p
}

// Match returns the rule for r: the rule whose pattern ServeMux would pick,
// or an admin-only rule with an empty Pattern.
func (p *Policy) Match(r *http.Request) Rule {
	_, pattern := p.mux.Handler(r)
	if rule, ok := p.rules[pattern]; ok {
		return rule
	}
	return adminOnly
}

// Rules returns the rules in the order given.
func (p *Policy) Rules() []Rule {
	out := make([]Rule, len(p.list))
	for i, r := range p.list {
		out[i] = Rule{Pattern: r.Pattern, Roles: slices.Clone(r.Roles), Public: r.Public}
	}
	return out
}
