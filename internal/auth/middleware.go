package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

type ctxKey struct{}

// NewContext returns ctx carrying the caller's token.
func NewContext(ctx context.Context, t Token) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// FromContext returns the token Middleware authenticated for this request;
// false on public routes.
func FromContext(ctx context.Context) (Token, bool) {
	t, ok := ctx.Value(ctxKey{}).(Token)
	return t, ok
}

// Actor names the caller for audit records: "token:<name>", or "anonymous"
// on public routes.
func Actor(ctx context.Context) string {
	if t, ok := FromContext(ctx); ok {
		return t.Actor()
	}
	return "anonymous"
}

// Middleware enforces policy on every request: public routes pass, others
// need a bearer token that a authenticates and whose role the route's rule
// allows. It answers 401 (with WWW-Authenticate: Bearer) or 403 with the
// local API's error body, logs refusals with the token's name (never the
// token), and hands the token to the next handler via the context.
func Middleware(policy *Policy, a *Authenticator, logger *slog.Logger) func(http.Handler) http.Handler {
	return SessionMiddleware(policy, a, nil, logger)
}

// SessionMiddleware is Middleware that also accepts the status page's
// session cookie in place of a bearer token (when sessions is not nil and
// the request has no Authorization header). A request authenticated by the
// cookie that is not GET, HEAD or OPTIONS must carry the session's CSRF
// token in CSRFHeader, or it is refused with 403.
func SessionMiddleware(policy *Policy, a *Authenticator, sessions *Sessions, logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rule := policy.Match(r)
			if rule.Public {
				next.ServeHTTP(w, r)
				return
			}
			route := rule.Pattern
			if route == "" {
				route = r.Method + " " + r.URL.Path
			}
			// Built only for a refusal's log line: a request that passes
			// allocates nothing for it.
			attrs := func() []any { return []any{"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr} }

			var tok Token
			var err error
			hs := r.Header.Values("Authorization")
			var cookie *http.Cookie
			if len(hs) == 0 && sessions != nil {
				cookie, _ = r.Cookie(SessionCookie)
			}
			switch {
			case cookie != nil:
				var csrf string
				tok, csrf, err = sessions.Lookup(cookie.Value)
				if errors.Is(err, ErrNoSession) {
					logger.Info("request refused", append(attrs(), "status", 401, "reason", "no session")...)
					writeError(w, http.StatusUnauthorized, "signed_out", "you are signed out (the sign-in expired or the daemon restarted); sign in again with your token", "")
					return
				}
				if err == nil && !safeMethod(r.Method) && !CheckCSRF(r.Header.Get(CSRFHeader), csrf) {
					logger.Warn("request refused", append(attrs(), "status", 403, "reason", "csrf", "token_name", tok.Name)...)
					writeError(w, http.StatusForbidden, "csrf", "this action did not come from the status page (its anti-forgery token is missing or wrong); reload the page and try again", CSRFHeader)
					return
				}
			case len(hs) > 1:
				err = fmt.Errorf("%w: more than one Authorization header", ErrMalformedToken)
			case len(hs) == 0:
				err = ErrNoToken
			default:
				var bearer string
				if bearer, err = ParseBearer(hs[0]); err == nil {
					tok, err = a.Authenticate(bearer)
				}
			}
			switch {
			case err == nil:
			case errors.Is(err, ErrNoToken):
				logger.Info("request refused", append(attrs(), "status", 401, "reason", "no token")...)
				w.Header().Set("WWW-Authenticate", `Bearer realm="aura-edge"`)
				writeError(w, http.StatusUnauthorized, "unauthorized", "this endpoint needs \"Authorization: Bearer <token>\"", "Authorization")
				return
			case errors.Is(err, ErrMalformedToken), errors.Is(err, ErrUnknownToken), errors.Is(err, ErrRevokedToken):
				a := attrs()
				if tok.ID != "" { // revoked: name it
					a = append(a, "token_name", tok.Name, "token_id", tok.ID)
				}
				logger.Warn("request refused", append(a, "status", 401, "reason", reason(err))...)
				w.Header().Set("WWW-Authenticate", `Bearer realm="aura-edge", error="invalid_token"`)
				msg := "invalid token"
				if errors.Is(err, ErrRevokedToken) {
					msg = "token revoked"
				} else if errors.Is(err, ErrMalformedToken) {
					msg = "malformed bearer token; want \"Authorization: Bearer ae_...\""
				}
				writeError(w, http.StatusUnauthorized, "unauthorized", msg, "Authorization")
				return
			default:
				logger.Error("authenticate failed", append(attrs(), "err", err)...)
				writeError(w, http.StatusInternalServerError, "internal", "could not check the token", "")
				return
			}

			if !rule.Allows(tok.Role) {
				logger.Warn("request refused", append(attrs(), "status", 403, "token_name", tok.Name, "token_id", tok.ID,
					"role", string(tok.Role), "route", route)...)
				w.Header().Set("WWW-Authenticate", `Bearer realm="aura-edge", error="insufficient_scope"`)
				writeError(w, http.StatusForbidden, "forbidden",
					fmt.Sprintf("token %q has role %s, which may not call %s", tok.Name, tok.Role, route), "")
				return
			}
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), tok)))
		})
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func reason(err error) string {
	switch {
	case errors.Is(err, ErrRevokedToken):
		return "revoked token"
	case errors.Is(err, ErrUnknownToken):
		return "unknown token"
	default:
		return "malformed token"
	}
}

// problem is the local API's error shape (RFC 9457 problem details; the
// same fields as localapi.Problem, which this package cannot import).
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Field  string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(problem{Type: "urn:aura-edge:problem:" + code, Title: http.StatusText(status),
		Status: status, Detail: msg, Code: code, Field: field})
}
