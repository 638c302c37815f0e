package localapi

import "github.com/auraconnect/aura-edge/internal/auth"

// Access is who may call a route over TCP, declared where the route is
// registered (Server.Handle); admin may always. The server's auth policy
// is built from these declarations, so no route is opened or closed by a
// table kept somewhere else.
type Access struct {
	Roles  []auth.Role // allowed besides admin
	Public bool        // no token at all
}

// The accesses the local API's routes use.
var (
	// Public routes need no token (health, the API's description, the
	// status page's assets, vendor webhooks checked by their signature).
	Public = Access{Public: true}
	// AdminOnly routes need an admin token.
	AdminOnly = Access{}
	// StaffAccess routes: printing, reprints, status, queue and log reads.
	StaffAccess = Access{Roles: []auth.Role{auth.Staff}}
	// TerminalAccess routes: local order and payment capture.
	TerminalAccess = Access{Roles: []auth.Role{auth.Terminal}}
	// MetricsAccess routes: Prometheus scrapers.
	MetricsAccess = Access{Roles: []auth.Role{auth.Metrics}}
)

// Name is how the OpenAPI document names the access: "public", "admin" or
// the roles besides admin joined by "+", e.g. "staff".
func (a Access) Name() string {
	switch {
	case a.Public:
		return "public"
	case len(a.Roles) == 0:
		return "admin"
	}
	s := ""
	for i, r := range a.Roles {
		if i > 0 {
			s += "+"
		}
		s += string(r)
	}
	return s
}

func (a Access) rule(pattern string) auth.Rule {
	return auth.Rule{Pattern: pattern, Roles: a.Roles, Public: a.Public}
}
