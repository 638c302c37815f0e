package toast

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
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

// tokens caches the Toast access token. mu serialises logins.
type tokens struct {
	a  *Adapter
	mu sync.Mutex
	st *tokenState
}

func (t *tokens) load() (*tokenState, error) {
	if t.st != nil {
		return t.st, nil
	}
	b, err := t.a.cfg.State.Get(tokenKey)
	if err != nil {
		return nil, fmt.Errorf("toast: read token state: %w", err)
	}
	st := &tokenState{}
	if b != nil {
		if err := json.Unmarshal(b, st); err != nil {
			return nil, fmt.Errorf("toast: token state: %w", err)
		}
	}
	t.st = st
	return st, nil
}

func (t *tokens) save() error {
	b, _ := json.Marshal(t.st)
	if err := t.a.cfg.State.Put(tokenKey, b); err != nil {
		return &pos.VendorError{Vendor: Vendor, Op: "persist token", Kind: pos.Retryable, Err: err}
	}
	return nil
}

func (t *tokens) valid(st *tokenState) bool {
	return st.AccessToken != "" && t.a.now().Add(renewBefore).Before(st.ExpiresAt)
}

// access returns a cached token, logging in when there is none or it is
// about to expire.
func (t *tokens) access(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, err := t.load()
	if err != nil {
		return "", err
	}
	if t.valid(st) {
		return st.AccessToken, nil
	}
	if err := t.loginLocked(ctx); err != nil {
		return "", err
	}
	return t.st.AccessToken, nil
}

// reject forgets a token Toast refused and logs in again, unless another
// caller already did.
func (t *tokens) reject(ctx context.Context, used string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, err := t.load()
	if err != nil {
		return err
	}
	if st.AccessToken != used && t.valid(st) {
		return nil
	}
	st.AccessToken, st.ExpiresAt = "", time.Time{}
	return t.loginLocked(ctx)
}

type loginResponse struct {
	Status string `json:"status"`
	Token  struct {
		TokenType   string `json:"tokenType"`
		AccessToken string `json:"accessToken"`
		ExpiresIn   int64  `json:"expiresIn"` // seconds
	} `json:"token"`
}

// loginLocked logs in, at most MaxLoginsPerHour times in any hour; past
// that it fails with pos.Auth (repeated 401s need an operator, and more
// logins would only trip Toast's limit). Called with mu held.
func (t *tokens) loginLocked(ctx context.Context) error {
	now := t.a.now()
	st := t.st
	recent := st.Logins[:0]
	for _, l := range st.Logins {
		if now.Sub(l) < time.Hour {
			recent = append(recent, l)
		}
	}
	st.Logins = recent
	if len(recent) >= MaxLoginsPerHour {
		wait := recent[0].Add(time.Hour).Sub(now)
		return &pos.VendorError{Vendor: Vendor, Op: "login", Kind: pos.Auth, RetryAfter: wait,
			Message: fmt.Sprintf("login rate limit: %d logins in the last hour; not logging in again for %s", len(recent), wait.Round(time.Second))}
	}
	st.Logins = append(st.Logins, now)
	// Record the attempt before making it, so a crash cannot hide it.
	if err := t.save(); err != nil {
		return err
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
			return pos.Errorf(Vendor, "login", pos.Auth, "credentials rejected: %v", err)
		}
		return err
	}
	if out.Token.AccessToken == "" {
		return pos.Errorf(Vendor, "login", pos.Auth, "login answered status %q without a token", out.Status)
	}
	exp := time.Duration(out.Token.ExpiresIn) * time.Second
	if exp <= 0 {
		exp = time.Hour
	}
	st.AccessToken, st.ExpiresAt = out.Token.AccessToken, now.Add(exp)
	if err := t.save(); err != nil {
		return err
	}
	t.a.log.Info("logged in", "expires_at", st.ExpiresAt)
	return nil
}
