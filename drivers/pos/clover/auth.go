package clover

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// tokenKey is where the current token pair lives in State.
const tokenKey = "token/clover"

// refreshSkew refreshes this long before the access token's expiry.
const refreshSkew = time.Minute

// tokenState is the token pair in use. Seed ties a stored pair to the
// credentials it descends from, so that an operator who reconnects with new
// credentials is not overridden by an older rotated pair.
type tokenState struct {
	AccessToken    string `json:"access_token"`
	AccessExpires  int64  `json:"access_token_expiration,omitempty"` // unix seconds; 0 unknown
	RefreshToken   string `json:"refresh_token,omitempty"`
	RefreshExpires int64  `json:"refresh_token_expiration,omitempty"`
	Seed           string `json:"seed"`
	RefreshedAt    int64  `json:"refreshed_at,omitempty"`
}

// LogValue keeps tokens out of logs.
func (t tokenState) LogValue() slog.Value { return slog.StringValue("[redacted clover token pair]") }

func (a *Adapter) seed() string {
	c := a.cfg.Credentials
	return pos.Hash([]string{c["access_token"], c["refresh_token"]})
}

// newTokens is the adapter's token cache: a stored rotated pair wins over
// the credentials when it descends from them; refreshes run one at a time
// (a refresh token is never sent twice) and a rotated pair is used only
// once it is durable (a failed Put is retried before use).
func (a *Adapter) newTokens() *pos.TokenCache[tokenState] {
	seed := a.seed()
	return (&pos.TokenCache[tokenState]{
		State: a.cfg.State, Key: tokenKey, Vendor: Name, Log: a.log,
		Initial: func() tokenState {
			c := a.cfg.Credentials
			t := tokenState{AccessToken: c["access_token"], RefreshToken: c["refresh_token"], Seed: seed}
			if s := c["access_token_expiration"]; s != "" {
				if n, err := strconv.ParseInt(s, 10, 64); err == nil {
					t.AccessExpires = unixSeconds(n)
				}
			}
			return t
		},
		Adopt: func(st tokenState) (tokenState, bool) {
			if st.Seed != seed || st.AccessToken == "" {
				a.log.Info("stored token pair ignored: credentials changed")
				return st, false
			}
			return st, true
		},
		Access: func(t tokenState) string { return t.AccessToken },
		// Refresh ahead of a known expiry.
		Fresh: func(t tokenState) bool {
			return t.AccessExpires <= 0 || t.RefreshToken == "" || a.now().Before(time.Unix(t.AccessExpires, 0).Add(-refreshSkew))
		},
		Renew: func(ctx context.Context, cur tokenState, _ func(tokenState) error) (tokenState, error) {
			return a.renew(ctx, cur)
		},
	}).Init()
}

// accessToken returns a usable access token, refreshing ahead of a known
// expiry.
func (a *Adapter) accessToken(ctx context.Context) (string, error) { return a.tokens.Token(ctx) }

// refresh exchanges the single-use refresh token for a new pair, unless
// another caller already replaced stale (the token that was refused).
func (a *Adapter) refresh(ctx context.Context, stale string) (string, error) {
	return a.tokens.Refused(ctx, stale)
}

// renew trades cur's refresh token for a new pair (the cache writes it to
// State in one Put before it is used).
func (a *Adapter) renew(ctx context.Context, cur tokenState) (tokenState, error) {
	if cur.RefreshToken == "" || a.clientID == "" {
		return cur, &pos.VendorError{Vendor: Name, Op: "refresh token", Status: http.StatusUnauthorized, Kind: pos.Auth, Err: ErrNoRefresh}
	}
	in := struct {
		ClientID     string `json:"client_id"`
		RefreshToken string `json:"refresh_token"`
	}{a.clientID, cur.RefreshToken}
	var out struct {
		AccessToken    string      `json:"access_token"`
		AccessExpires  json.Number `json:"access_token_expiration"`
		RefreshToken   string      `json:"refresh_token"`
		RefreshExpires json.Number `json:"refresh_token_expiration"`
	}
	if _, err := a.send(ctx, "", "refresh token", http.MethodPost, "/oauth/v2/refresh", nil, in, &out); err != nil {
		var ve *pos.VendorError
		if errors.As(err, &ve) && ve.Status >= 400 && ve.Status < 500 && ve.Status != http.StatusTooManyRequests {
			ve.Kind = pos.Auth // the refresh token itself was refused: an operator must reconnect
		}
		return cur, err
	}
	if out.AccessToken == "" {
		return cur, pos.Errorf(Name, "refresh token", pos.Auth, "refresh response has no access_token")
	}
	next := tokenState{
		AccessToken:    out.AccessToken,
		AccessExpires:  unixSeconds(numberInt(out.AccessExpires)),
		RefreshToken:   out.RefreshToken,
		RefreshExpires: unixSeconds(numberInt(out.RefreshExpires)),
		Seed:           cur.Seed,
		RefreshedAt:    a.now().Unix(),
	}
	a.log.Info("access token refreshed", "expires", time.Unix(next.AccessExpires, 0).UTC())
	return next, nil
}

// unixSeconds accepts seconds or milliseconds (Clover documents seconds;
// verify) and returns seconds.
func unixSeconds(n int64) int64 {
	if n > 1e12 {
		return n / 1000
	}
	return n
}

func numberInt(n json.Number) int64 {
	v, err := n.Int64()
	if err != nil {
		return 0
	}
	return v
}
