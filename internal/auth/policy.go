package auth

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
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

// adminOnly applies to requests no rule matches.
var adminOnly = Rule{}

// Policy maps requests to rules, matching them the way http.ServeMux does.
// The local API builds it from its route registrations (each route
// declares its roles where it is registered), so a request no rule matches
// is one no route serves, and it is admin-only.
type Policy struct {
	mu    sync.RWMutex
	mux   *http.ServeMux
	rules map[string]Rule // by pattern
	list  []Rule
}

// NewPolicy checks rules (valid, non-conflicting patterns, known roles)
// and builds a Policy.
func NewPolicy(rules []Rule) (p *Policy, err error) {
	p = &Policy{mux: http.NewServeMux(), rules: make(map[string]Rule, len(rules))}
	for _, r := range rules {
		if err := p.Add(r); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Add adds a rule. It refuses an unknown role, a bad pattern and one that
// is already there or conflicts with another.
func (p *Policy) Add(r Rule) error {
	for _, role := range r.Roles {
		if _, err := ParseRole(string(role)); err != nil {
			return fmt.Errorf("policy rule %q: %w", r.Pattern, err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, dup := p.rules[r.Pattern]; dup {
		return fmt.Errorf("policy rule %q appears twice", r.Pattern)
	}
	if err := handle(p.mux, r.Pattern); err != nil {
		return fmt.Errorf("policy rule %q: %v", r.Pattern, err)
	}
	r.Roles = slices.Clone(r.Roles)
	p.rules[r.Pattern] = r
	p.list = append(p.list, r)
	return nil
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

// Match returns the rule for r: the rule whose pattern ServeMux would pick,
// or an admin-only rule with an empty Pattern.
func (p *Policy) Match(r *http.Request) Rule {
	_, pattern := p.mux.Handler(r)
	p.mu.RLock()
	defer p.mu.RUnlock()
	if rule, ok := p.rules[pattern]; ok {
		return rule
	}
	return adminOnly
}

// Rules returns the rules in the order given.
func (p *Policy) Rules() []Rule {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]Rule, len(p.list))
	for i, r := range p.list {
		out[i] = Rule{Pattern: r.Pattern, Roles: slices.Clone(r.Roles), Public: r.Public}
	}
	return out
}
