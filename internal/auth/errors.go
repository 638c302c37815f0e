package auth

import "errors"

// Errors of Authenticate and ParseBearer. All of them mean 401.
var (
	// ErrNoToken is returned when the request carries no token.
	ErrNoToken = errors.New("missing bearer token")

	// ErrMalformedToken is returned for an Authorization header that is not
	// "Bearer <token>", or a token that is not of aura-edge's form.
	ErrMalformedToken = errors.New("malformed bearer token")

	// ErrUnknownToken is returned for a well-formed token that this store
	// never issued.
	ErrUnknownToken = errors.New("unknown token")

	// ErrRevokedToken is returned for a token that was revoked.
	ErrRevokedToken = errors.New("token revoked")
)

// Errors of Create, Revoke and the policy.
var (
	// ErrBadRole is returned for a role other than admin, staff, terminal, metrics.
	ErrBadRole = errors.New("unknown role")

	// ErrBadName is returned for a token name that is empty, too long,
	// uses characters other than letters, digits, '.', '_' and '-', or
	// starts with "tok_" (reserved for ids).
	ErrBadName = errors.New("invalid token name")

	// ErrNameTaken is returned by Create when an active token has the name.
	ErrNameTaken = errors.New("token name in use")

	// ErrNotFound is returned by Revoke when no token has the id, and no
	// active token has the name.
	ErrNotFound = errors.New("no such token")

	// ErrForbidden is used by Middleware for a role the route does not
	// allow (403).
	ErrForbidden = errors.New("role not allowed")
)
