package square

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// tokenKey is the State key of the current token pair. Both tokens live in
// one value so that a rotation is one Put.
const tokenKey = "token/square"

// tokenState is what the adapter keeps about its OAuth tokens.
type tokenState struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	RefreshedAt  time.Time `json:"refreshed_at,omitzero"`
	// Origin fingerprints the credentials the pair descends from, so that
	// an operator who enters new credentials overrides stale state.
	Origin string `json:"origin"`
}

// LogValue keeps tokens out of logs.
func (t tokenState) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_token", "[redacted]"),
		slog.Bool("has_refresh_token", t.RefreshToken != ""), slog.Time("expires_at", t.ExpiresAt))
}

func (a *Adapter) credentialOrigin() string {
	h := sha256.Sum256([]byte(a.cfg.Credentials["access_token"] + "\x00" + a.cfg.Credentials["refresh_token"]))
	return hex.EncodeToString(h[:8])
}

// newTokens is the adapter's token cache: the rotated pair from State when
// it descends from the current credentials, else the credentials;
// refreshes run one at a time and a rotated pair whose Put failed is saved
// before it is used.
func (a *Adapter) newTokens() *pos.TokenCache[tokenState] {
	origin := a.credentialOrigin()
	initial := func() tokenState {
		t := tokenState{
			AccessToken:  a.cfg.Credentials["access_token"],
			RefreshToken: a.cfg.Credentials["refresh_token"],
			Origin:       origin,
		}
		if exp, err := time.Parse(time.RFC3339, a.cfg.Credentials["expires_at"]); err == nil {
			t.ExpiresAt = exp
		}
		return t
	}
	return (&pos.TokenCache[tokenState]{
		State: a.cfg.State, Key: tokenKey, Vendor: Vendor, Log: a.log,
		Initial: initial,
		Adopt: func(st tokenState) (tokenState, bool) {
			if st.AccessToken == "" || st.Origin != origin {
				return st, false // the operator re-entered credentials since the last rotation
			}
			if st.RefreshToken == "" {
				st.RefreshToken = initial().RefreshToken
			}
			return st, true
		},
		Access: func(t tokenState) string { return t.AccessToken },
		Renew: func(ctx context.Context, cur tokenState, _ func(tokenState) error) (tokenState, error) {
			return a.renew(ctx, cur)
		},
	}).Init()
}

func (a *Adapter) canRefresh(t tokenState) bool {
	return t.RefreshToken != "" && a.set.clientID != ""
}

type tokenCtxKey struct{}

// authorize sets Square's auth and version headers. The token is the one
// call() chose (carried in ctx) so that a refresh can tell whether the
// failed request used a token that is already replaced.
func (a *Adapter) authorize(ctx context.Context, r *http.Request) error {
	tok, _ := ctx.Value(tokenCtxKey{}).(string)
	if tok == "" {
		t, err := a.tokens.Current(ctx)
		if err != nil {
			return err
		}
		tok = t.AccessToken
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Square-Version", a.set.squareVersion)
	return nil
}

// call sends one authorised request. On 401 it refreshes the access token
// once (when a refresh token and client id are configured) and repeats the
// request; a second 401 is returned as a VendorError of kind Auth.
func (a *Adapter) call(ctx context.Context, op, method, path string, query url.Values, in, out any) (*http.Response, error) {
	t, err := a.tokens.Current(ctx)
	if err != nil {
		return nil, err
	}
	if !t.ExpiresAt.IsZero() && a.canRefresh(t) && a.now().After(t.ExpiresAt.Add(-a.set.refreshBefore)) {
		if nt, err := a.refresh(ctx, t.AccessToken); err != nil {
			a.log.Warn("early token refresh failed; using current token", "err", err)
		} else {
			t = nt
		}
	}
	resp, err := a.api.Do(context.WithValue(ctx, tokenCtxKey{}, t.AccessToken), op, method, path, query, in, out)
	err = classify(err)
	if err != nil && pos.IsStatus(err, http.StatusUnauthorized) && a.canRefresh(t) {
		nt, rerr := a.refresh(ctx, t.AccessToken)
		if rerr != nil {
			return resp, rerr
		}
		resp, err = a.api.Do(context.WithValue(ctx, tokenCtxKey{}, nt.AccessToken), op, method, path, query, in, out)
		err = classify(err)
	}
	return resp, err
}

// callWrite is call for idempotent writes (every Square write carries an
// idempotency key): it retries Retryable failures up to write_retries times,
// waiting Retry-After when Square gives one (catalog writes are serialised
// per seller and others get 429) or an exponential backoff, but never longer
// than retry_max_wait: a longer wait is left to the scheduler.
func (a *Adapter) callWrite(ctx context.Context, op, method, path string, in, out any) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := a.call(ctx, op, method, path, nil, in, out)
		if err == nil || ctx.Err() != nil || pos.KindOf(err) != pos.Retryable || attempt >= a.set.writeRetries {
			return resp, err
		}
		wait := pos.RetryAfterOf(err)
		if wait == 0 {
			wait = a.set.retryBackoff << attempt
		}
		if wait > a.set.retryMaxWait {
			return resp, err
		}
		a.log.Debug("retrying square write", "op", op, "attempt", attempt+1, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, ctx.Err()
		case <-t.C:
		}
	}
}

// refresh exchanges the refresh token for a new access token (the cache
// stores the pair with one Put before it is used). stale is the access
// token that failed; when another goroutine has already replaced it,
// refresh returns the current pair.
func (a *Adapter) refresh(ctx context.Context, stale string) (tokenState, error) {
	if _, err := a.tokens.Refused(ctx, stale); err != nil {
		cur, _ := a.tokens.Current(ctx)
		return cur, err
	}
	return a.tokens.Current(ctx)
}

// renew trades cur's refresh token for a new pair.
func (a *Adapter) renew(ctx context.Context, cur tokenState) (tokenState, error) {
	req := obtainTokenRequest{
		ClientID:     a.set.clientID,
		ClientSecret: a.cfg.Credentials["client_secret"],
		GrantType:    "refresh_token",
		RefreshToken: cur.RefreshToken,
	}
	var out obtainTokenResponse
	if _, err := a.oauth.Do(ctx, "refresh token", http.MethodPost, "/oauth2/token", nil, req, &out); err != nil {
		var ve *pos.VendorError
		if errors.As(err, &ve) && ve.Kind != pos.Retryable {
			ve.Kind = pos.Auth // a refused refresh needs the operator
		}
		return cur, err
	}
	if out.AccessToken == "" {
		return cur, pos.Errorf(Vendor, "refresh token", pos.Auth, "token response without access_token")
	}
	next := tokenState{
		AccessToken:  out.AccessToken,
		RefreshToken: out.RefreshToken,
		RefreshedAt:  a.now().UTC(),
		Origin:       cur.Origin,
	}
	if next.RefreshToken == "" {
		next.RefreshToken = cur.RefreshToken
	}
	if exp, err := time.Parse(time.RFC3339, out.ExpiresAt); err == nil {
		next.ExpiresAt = exp.UTC()
	}
	a.log.Info("square access token refreshed", "expires_at", next.ExpiresAt)
	return next, nil
}

// classify refines the status-based kind with Square's error codes.
func classify(err error) error {
	var ve *pos.VendorError
	if !errors.As(err, &ve) {
		return err
	}
	switch ve.Code {
	case "VERSION_MISMATCH", "CONFLICT":
		ve.Kind = pos.Conflict
	case "RATE_LIMITED", "SERVICE_UNAVAILABLE", "GATEWAY_TIMEOUT", "INTERNAL_SERVER_ERROR":
		ve.Kind = pos.Retryable
	case "ACCESS_TOKEN_EXPIRED", "ACCESS_TOKEN_REVOKED", "UNAUTHORIZED", "INSUFFICIENT_SCOPES":
		ve.Kind = pos.Auth
	}
	return err
}

// decodeError reads Square's {"errors":[{category,code,detail,field}]}.
func decodeError(status int, body []byte) (code, message string) {
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil || len(eb.Errors) == 0 {
		return "", strings.TrimSpace(string(body))
	}
	return eb.Errors[0].Code, joinErrors(eb.Errors)
}

func joinErrors(es []sqError) string {
	parts := make([]string, 0, len(es))
	for _, e := range es {
		p := e.Code
		if e.Detail != "" {
			p += ": " + e.Detail
		}
		if e.Field != "" {
			p += " (" + e.Field + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// sqTime formats t the way Square writes timestamps (RFC 3339, UTC, ms).
func sqTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
