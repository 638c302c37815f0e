package toast

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// tokenKey is the State key of the cached token and the login history.
const tokenKey = "token/toast"

// LoginPath is Toast's machine-client login.
const LoginPath = "/authentication/v1/authentication/login"

// Login policy: Toast rate-limits token requests ("never more than 2 an
// hour", keep each token at least 30 min).
const (
	MaxLoginsPerHour = 2
	renewBefore      = 10 * time.Minute // re-login this long before expiry
)

type tokenState struct {
	AccessToken string      `json:"access_token,omitempty"`
	ExpiresAt   time.Time   `json:"expires_at,omitzero"`
	Logins      []time.Time `json:"logins,omitempty"` // attempts in the last hour
}

// tokens caches the Toast access token in a pos.TokenCache (logins run
// one at a time).
type tokens struct {
	a     *Adapter
	cache *pos.TokenCache[tokenState]
}

func newTokens(a *Adapter) *tokens {
	t := &tokens{a: a}
	t.cache = (&pos.TokenCache[tokenState]{
		State: a.cfg.State, Key: tokenKey, Vendor: Vendor, Log: a.log,
		Initial: func() tokenState { return tokenState{} },
		Access:  func(st tokenState) string { return st.AccessToken },
		Fresh:   t.valid,
		// A refused token is forgotten before logging in again.
		Refuse: func(st tokenState) tokenState { st.AccessToken, st.ExpiresAt = "", time.Time{}; return st },
		Renew:  t.login,
	}).Init()
	return t
}

func (t *tokens) valid(st tokenState) bool {
	return st.AccessToken != "" && t.a.now().Add(renewBefore).Before(st.ExpiresAt)
}

// access returns a cached token, logging in when there is none or it is
// about to expire.
func (t *tokens) access(ctx context.Context) (string, error) { return t.cache.Token(ctx) }

// reject forgets a token Toast refused and logs in again, unless another
// caller already did.
func (t *tokens) reject(ctx context.Context, used string) error {
	_, err := t.cache.Refused(ctx, used)
	return err
}

type loginResponse struct {
	Status string `json:"status"`
	Token  struct {
		TokenType   string `json:"tokenType"`
		AccessToken string `json:"accessToken"`
		ExpiresIn   int64  `json:"expiresIn"` // seconds
	} `json:"token"`
}

// login logs in, at most MaxLoginsPerHour times in any hour; past that it
// fails with pos.Auth (repeated 401s need an operator, and more logins
// would only trip Toast's limit). The cache runs one login at a time.
func (t *tokens) login(ctx context.Context, st tokenState, save func(tokenState) error) (tokenState, error) {
	now := t.a.now()
	recent := make([]time.Time, 0, len(st.Logins)+1)
	for _, l := range st.Logins {
		if now.Sub(l) < time.Hour {
			recent = append(recent, l)
		}
	}
	st.Logins = recent
	if len(recent) >= MaxLoginsPerHour {
		wait := recent[0].Add(time.Hour).Sub(now)
		return st, &pos.VendorError{Vendor: Vendor, Op: "login", Kind: pos.Auth, RetryAfter: wait,
			Message: fmt.Sprintf("login rate limit: %d logins in the last hour; not logging in again for %s", len(recent), wait.Round(time.Second))}
	}
	st.Logins = append(st.Logins, now)
	// Record the attempt before making it, so a crash cannot hide it.
	if err := save(st); err != nil {
		return st, err
	}
	body := map[string]string{
		"clientId":       t.a.cfg.Credentials["client_id"],
		"clientSecret":   t.a.cfg.Credentials["client_secret"],
		"userAccessType": "TOAST_MACHINE_CLIENT",
	}
	var out loginResponse
	r := t.a.req // no Authorize: the login itself is unauthenticated
	if _, err := r.Do(ctx, "login", http.MethodPost, LoginPath, nil, body, &out); err != nil {
		if pos.IsStatus(err, http.StatusBadRequest) || pos.IsStatus(err, http.StatusUnauthorized) || pos.IsStatus(err, http.StatusForbidden) {
			return st, pos.Errorf(Vendor, "login", pos.Auth, "credentials rejected: %v", err)
		}
		return st, err
	}
	if out.Token.AccessToken == "" {
		return st, pos.Errorf(Vendor, "login", pos.Auth, "login answered status %q without a token", out.Status)
	}
	exp := time.Duration(out.Token.ExpiresIn) * time.Second
	if exp <= 0 {
		exp = time.Hour
	}
	st.AccessToken, st.ExpiresAt = out.Token.AccessToken, now.Add(exp)
	t.a.log.Info("logged in", "expires_at", st.ExpiresAt)
	return st, nil
}
