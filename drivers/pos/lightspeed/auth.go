package lightspeed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// tokenKey is the State key of the current access+refresh pair. Both are
// written together with one Put so a crash never leaves a revoked refresh
// token next to a fresh access token.
const tokenKey = "token/lightspeed"

// refreshEarly is how long before expiry an access token is refreshed.
const refreshEarly = 2 * time.Minute

type tokenPair struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
}

// tokens owns the OAuth pair. mu serialises refreshes: the refresh token is
// single-use, so two concurrent refreshes would revoke each other.
type tokens struct {
	url    string
	client *http.Client
	state  pos.State
	creds  map[string]string
	now    func() time.Time
	log    *slog.Logger

	mu      sync.Mutex
	cur     *tokenPair
	unsaved bool // cur was rotated but its Put failed; retried on next use
}

// load returns the current pair: memory, then State, then Credentials.
// Called with mu held.
func (t *tokens) load() (*tokenPair, error) {
	if t.cur != nil {
		return t.cur, nil
	}
	b, err := t.state.Get(tokenKey)
	if err != nil {
		return nil, fmt.Errorf("lightspeed: read token state: %w", err)
	}
	if b != nil {
		var p tokenPair
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("lightspeed: token state: %w", err)
		}
		if p.RefreshToken != "" {
			t.cur = &p
			return t.cur, nil
		}
	}
	t.cur = &tokenPair{AccessToken: t.creds["access_token"], RefreshToken: t.creds["refresh_token"]}
	return t.cur, nil
}

// access returns an access token, refreshing first when there is none or it
// expires within refreshEarly.
func (t *tokens) access(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, err := t.load()
	if err != nil {
		return "", err
	}
	if t.unsaved {
		if err := t.save(p); err != nil {
			return "", err
		}
	}
	if p.AccessToken != "" && (p.ExpiresAt.IsZero() || t.now().Add(refreshEarly).Before(p.ExpiresAt)) {
		return p.AccessToken, nil
	}
	if err := t.refreshLocked(ctx, p); err != nil {
		return "", err
	}
	return t.cur.AccessToken, nil
}

// refreshAfterReject refreshes after the vendor rejected used, unless
// another caller has already replaced it.
func (t *tokens) refreshAfterReject(ctx context.Context, used string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, err := t.load()
	if err != nil {
		return err
	}
	if p.AccessToken != used && p.AccessToken != "" {
		return nil // someone refreshed meanwhile
	}
	return t.refreshLocked(ctx, p)
}

func (t *tokens) save(p *tokenPair) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := t.state.Put(tokenKey, b); err != nil {
		t.unsaved = true
		return &pos.VendorError{Vendor: Vendor, Op: "persist rotated token", Kind: pos.Retryable, Err: err}
	}
	t.unsaved = false
	return nil
}

// tokenResponse is the /api/1.0/token answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	Expires      int64  `json:"expires"`    // unix seconds
	ExpiresIn    int64  `json:"expires_in"` // seconds
	RefreshToken string `json:"refresh_token"`
	DomainPrefix string `json:"domain_prefix"`
}

// refreshLocked trades the refresh token for a new pair and persists the
// pair before anyone uses it. Called with mu held.
func (t *tokens) refreshLocked(ctx context.Context, p *tokenPair) error {
	if p.RefreshToken == "" {
		return pos.Errorf(Vendor, "refresh token", pos.Auth, "no refresh token")
	}
	form := url.Values{
		"refresh_token": {p.RefreshToken},
		"client_id":     {t.creds["client_id"]},
		"client_secret": {t.creds["client_secret"]},
		"grant_type":    {"refresh_token"},
	}
	r := pos.Requester{Vendor: Vendor, BaseURL: t.url, Client: t.client, DecodeError: decodeOAuthError, Now: t.now}
	var tr tokenResponse
	_, err := r.Do(ctx, "refresh token", http.MethodPost, "", nil, form, &tr)
	if err != nil {
		// 400 invalid_grant means the refresh token is revoked or wrong:
		// only an operator can fix that.
		var ve *pos.VendorError
		if errors.As(err, &ve) && ve.Status == http.StatusBadRequest {
			ve.Kind = pos.Auth
		}
		return err
	}
	if tr.AccessToken == "" {
		return pos.Errorf(Vendor, "refresh token", pos.Auth, "token response has no access_token")
	}
	np := &tokenPair{AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken}
	if np.RefreshToken == "" {
		np.RefreshToken = p.RefreshToken // not rotated
	}
	switch {
	case tr.ExpiresIn > 0:
		np.ExpiresAt = t.now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	case tr.Expires > 0:
		np.ExpiresAt = time.Unix(tr.Expires, 0)
	}
	t.cur = np // the old refresh token is revoked now: keep the new one whatever happens
	if err := t.save(np); err != nil {
		return err
	}
	t.log.Info("access token refreshed", "expires_at", np.ExpiresAt)
	return nil
}

func decodeOAuthError(status int, body []byte) (code, msg string) {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error, e.Description
	}
	return "", strings.TrimSpace(string(body))
}
