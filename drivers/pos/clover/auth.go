package clover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// current returns the token pair in use, loading it on first use (a stored
// rotated pair wins over the credentials when it descends from them) and
// retrying a Put that failed earlier: a rotated pair is used only once it
// is durable.
func (a *Adapter) current() (tokenState, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.loaded {
		seed := a.seed()
		c := a.cfg.Credentials
		a.tok = tokenState{AccessToken: c["access_token"], RefreshToken: c["refresh_token"], Seed: seed}
		if s := c["access_token_expiration"]; s != "" {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				a.tok.AccessExpires = unixSeconds(n)
			}
		}
		b, err := a.cfg.State.Get(tokenKey)
		if err != nil {
			return tokenState{}, fmt.Errorf("clover: read token state: %w", err)
		}
		if b != nil {
			var st tokenState
			if err := json.Unmarshal(b, &st); err == nil && st.Seed == seed && st.AccessToken != "" {
				a.tok = st
			} else if err == nil {
				a.log.Info("stored token pair ignored: credentials changed")
			}
		}
		a.loaded = true
	}
	if a.dirty {
		if err := a.persistLocked(); err != nil {
			return tokenState{}, err
		}
	}
	return a.tok, nil
}

func (a *Adapter) persistLocked() error {
	b, err := json.Marshal(a.tok)
	if err != nil {
		return err
	}
	if err := a.cfg.State.Put(tokenKey, b); err != nil {
		a.dirty = true
		return &pos.VendorError{Vendor: Name, Op: "persist token", Kind: pos.Retryable,
			Message: "rotated token pair not saved; it is kept in memory and saved before use", Err: err}
	}
	a.dirty = false
	return nil
}

// accessToken returns a usable access token, refreshing ahead of a known
// expiry.
func (a *Adapter) accessToken(ctx context.Context) (string, error) {
	t, err := a.current()
	if err != nil {
		return "", err
	}
	if t.AccessExpires > 0 && t.RefreshToken != "" && !a.now().Before(time.Unix(t.AccessExpires, 0).Add(-refreshSkew)) {
		return a.refresh(ctx, t.AccessToken)
	}
	return t.AccessToken, nil
}

// refresh exchanges the single-use refresh token for a new pair, unless
// another caller already replaced stale (the token that was refused). The
// new pair is written to State in one Put before it is used. Refreshes are
// serialised by refreshMu, so a refresh token is never sent twice.
func (a *Adapter) refresh(ctx context.Context, stale string) (string, error) {
	a.refreshMu.Lock()
	defer a.refreshMu.Unlock()
	cur, err := a.current()
	if err != nil {
		return "", err
	}
	if cur.AccessToken != stale {
		return cur.AccessToken, nil // refreshed meanwhile
	}
	if cur.RefreshToken == "" || a.clientID == "" {
		return "", &pos.VendorError{Vendor: Name, Op: "refresh token", Status: http.StatusUnauthorized, Kind: pos.Auth, Err: ErrNoRefresh}
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
		return "", err
	}
	if out.AccessToken == "" {
		return "", pos.Errorf(Name, "refresh token", pos.Auth, "refresh response has no access_token")
	}
	next := tokenState{
		AccessToken:    out.AccessToken,
		AccessExpires:  unixSeconds(numberInt(out.AccessExpires)),
		RefreshToken:   out.RefreshToken,
		RefreshExpires: unixSeconds(numberInt(out.RefreshExpires)),
		Seed:           cur.Seed,
		RefreshedAt:    a.now().Unix(),
	}
	a.mu.Lock()
	a.tok = next
	err = a.persistLocked()
	a.mu.Unlock()
	if err != nil {
		a.log.Error("rotated token pair not saved", "err", err)
		return "", err
	}
	a.log.Info("access token refreshed", "expires", time.Unix(next.AccessExpires, 0).UTC())
	return next.AccessToken, nil
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
