package lightspeed

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
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

// tokens owns the OAuth pair, kept by a pos.TokenCache: refreshes run one
// at a time (the refresh token is single-use, so two concurrent refreshes
// would revoke each other), and a rotated pair whose Put failed is saved
// again before it is used.
type tokens struct {
	url    string
	client *http.Client
	creds  map[string]string
	now    func() time.Time
	log    *slog.Logger
	cache  *pos.TokenCache[tokenPair]
}

func newTokens(url string, client *http.Client, state pos.State, creds map[string]string, now func() time.Time, log *slog.Logger) *tokens {
	t := &tokens{url: url, client: client, creds: creds, now: now, log: log}
	t.cache = (&pos.TokenCache[tokenPair]{
		State: state, Key: tokenKey, Vendor: Vendor, Log: log,
		// The pair in State wins over the credentials once it has a
		// refresh token.
		Initial: func() tokenPair {
			return tokenPair{AccessToken: creds["access_token"], RefreshToken: creds["refresh_token"]}
		},
		Adopt:  func(p tokenPair) (tokenPair, bool) { return p, p.RefreshToken != "" },
		Access: func(p tokenPair) string { return p.AccessToken },
		// Refresh when there is no access token or it expires within
		// refreshEarly.
		Fresh: func(p tokenPair) bool {
			return p.AccessToken != "" && (p.ExpiresAt.IsZero() || now().Add(refreshEarly).Before(p.ExpiresAt))
		},
		Renew: func(ctx context.Context, p tokenPair, _ func(tokenPair) error) (tokenPair, error) {
			return t.refresh(ctx, p)
		},
	}).Init()
	return t
}

// access returns an access token, refreshing first when there is none or it
// expires within refreshEarly.
func (t *tokens) access(ctx context.Context) (string, error) { return t.cache.Token(ctx) }

// refreshAfterReject refreshes after the vendor rejected used, unless
// another caller has already replaced it.
func (t *tokens) refreshAfterReject(ctx context.Context, used string) error {
	_, err := t.cache.Refused(ctx, used)
	return err
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

// refresh trades the refresh token for a new pair; the cache persists the
// pair before anyone uses it (and keeps it whatever happens: the old
// refresh token is revoked now).
func (t *tokens) refresh(ctx context.Context, p tokenPair) (tokenPair, error) {
	if p.RefreshToken == "" {
		return p, pos.Errorf(Vendor, "refresh token", pos.Auth, "no refresh token")
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
		return p, err
	}
	if tr.AccessToken == "" {
		return p, pos.Errorf(Vendor, "refresh token", pos.Auth, "token response has no access_token")
	}
	np := tokenPair{AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken}
	if np.RefreshToken == "" {
		np.RefreshToken = p.RefreshToken // not rotated
	}
	switch {
	case tr.ExpiresIn > 0:
		np.ExpiresAt = t.now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	case tr.Expires > 0:
		np.ExpiresAt = time.Unix(tr.Expires, 0)
	}
	t.log.Info("access token refreshed", "expires_at", np.ExpiresAt)
	return np, nil
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
