// Package auth decides who may call the local API: bearer tokens with roles, and a route policy.
//
// # Tokens
//
// Create makes a token "ae_" + 43 base64url characters (32 random bytes)
// and returns it once; the store keeps only its SHA-256, with an id, a
// name, a role and timestamps, in the store.Tokens bucket. Revoke marks a
// token revoked; it stays listed for the record. Every Create and Revoke
// bumps the bucket's sequence, which an Authenticator checks on each call,
// so a revocation takes effect on the next request, whichever process made
// it. Authenticate compares the hash with every known hash in constant
// time.
//
// # Roles and policy
//
// Roles are admin (everything), staff (printing, reprints, status, queue
// and sync-log reads) and terminal (local order and payment capture only).
// The route policy is data: a Policy maps Go 1.22 ServeMux patterns
// ("POST /v1/orders", "DELETE /integrations/pos/{id}") to the roles allowed
// besides admin. The local API builds it from its registrations: every
// route declares its roles where it is registered (localapi.Server.Handle),
// so the policy and the ServeMux hold the same patterns and match requests
// the same way. A request no rule matches is admin-only.
//
// # Middleware
//
// Middleware answers 401 with "WWW-Authenticate: Bearer" for a missing,
// malformed, unknown or revoked token and 403 for a role the route does not
// allow, with the local API's error body (an RFC 9457 problem). It logs
// the token's name, never the token. Handlers read the caller with
// FromContext or Actor for audit records.
//
// # Status page sessions
//
// SessionMiddleware also accepts the status page's session cookie
// (Sessions: a token exchanged once for a random id; HttpOnly,
// SameSite=Strict) in place of the bearer token, and then requires the
// session's anti-forgery token in X-CSRF-Token on every request that is
// not GET, HEAD or OPTIONS. The role checks are the same either way. The
// metrics role may read GET /metrics and nothing else.
package auth
