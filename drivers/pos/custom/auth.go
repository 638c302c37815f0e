package custom

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// Auth types.
const (
	AuthNone   = "none"
	AuthBearer = "bearer"
	AuthAPIKey = "api_key"
	AuthBasic  = "basic"
	AuthOAuth2 = "oauth2_client_credentials"
)

// tokenKey is where the OAuth2 access token is cached in State.
const tokenKey = "token/custom"

// authenticator applies one auth scheme to requests. For OAuth2 client
// credentials it fetches, caches (in memory and in State) and renews the
// access token.
type authenticator struct {
	a      *Adapter
	typ    string
	secret string // bearer token, API key or basic password
	user   string
	header string
	query  string
	prefix string

	tokenURL      string
	clientID      string
	clientSecret  string
	scopes        string
	clientAuth    string
	refreshBefore time.Duration

	tokens *pos.TokenCache[tokenState] // OAuth2 only
}

// tokenState is the cached OAuth2 token. Seed ties it to the client
// credentials and token URL it was issued for.
type tokenState struct {
	AccessToken string `json:"access_token"`
	ExpiresAt   int64  `json:"expires_at,omitempty"` // unix seconds; 0 unknown
	Seed        string `json:"seed"`
}

// LogValue keeps the token out of logs.
func (tokenState) LogValue() slog.Value { return slog.StringValue("[redacted token]") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (a *Adapter) buildAuth(ps *problems, s AuthSpec, base string) *authenticator {
	au := &authenticator{a: a, typ: orDefault(s.Type, AuthNone)}
	field := "requester.auth"
	unused := func(names ...string) {
		vals := map[string]string{"token": s.Token, "key": s.Key, "header": s.Header, "query": s.Query, "prefix": s.Prefix,
			"username": s.Username, "password": s.Password, "token_url": s.TokenURL, "client_id": s.ClientID,
			"client_secret": s.ClientSecret, "client_auth": s.ClientAuth, "refresh_before": s.RefreshBefore}
		if len(s.Scopes) > 0 {
			vals["scopes"] = "x"
		}
		for _, k := range sortedKeys(vals) {
			if vals[k] != "" && !slices.Contains(names, k) {
				ps.add(field+"."+k, "is not used by auth type %s", au.typ)
			}
		}
	}
	switch au.typ {
	case AuthNone:
		unused()
	case AuthBearer:
		unused("token")
		au.secret = a.needCredential(ps, field+".token", orDefault(s.Token, "access_token"))
	case AuthAPIKey:
		unused("key", "header", "query", "prefix")
		au.secret = a.needCredential(ps, field+".key", orDefault(s.Key, "api_key"))
		au.header, au.query, au.prefix = s.Header, s.Query, s.Prefix
		if au.header != "" && au.query != "" {
			ps.add(field, "set header or query, not both")
		}
		if au.header == "" && au.query == "" {
			au.header = "X-Api-Key"
		}
	case AuthBasic:
		unused("username", "password")
		au.user = a.needCredential(ps, field+".username", orDefault(s.Username, "username"))
		au.secret = a.cfg.Credentials[orDefault(s.Password, "password")]
	case AuthOAuth2:
		unused("token_url", "client_id", "client_secret", "scopes", "client_auth", "refresh_before")
		au.clientID = a.needCredential(ps, field+".client_id", orDefault(s.ClientID, "client_id"))
		au.clientSecret = a.needCredential(ps, field+".client_secret", orDefault(s.ClientSecret, "client_secret"))
		au.scopes = strings.Join(s.Scopes, " ")
		au.refreshBefore = duration(ps, field+".refresh_before", s.RefreshBefore, DefaultRefreshBefore)
		au.clientAuth = orDefault(s.ClientAuth, "basic")
		au.tokens = (&pos.TokenCache[tokenState]{
			State: a.cfg.State, Key: tokenKey, Vendor: a.m.Vendor, Log: a.log,
			Initial: func() tokenState { return tokenState{} },
			// A cached token is used only for the client credentials
			// and token URL it was issued for.
			Adopt:  func(st tokenState) (tokenState, bool) { return st, st.Seed == au.seed() },
			Access: func(st tokenState) string { return st.AccessToken },
			Fresh: func(t tokenState) bool {
				return t.AccessToken != "" && (t.ExpiresAt == 0 || a.now().Before(time.Unix(t.ExpiresAt, 0).Add(-au.refreshBefore)))
			},
			Renew: func(ctx context.Context, _ tokenState, _ func(tokenState) error) (tokenState, error) {
				return au.fetch(ctx, a.now())
			},
			// A client-credentials token can always be fetched again.
			BestEffort: true,
		}).Init()
		if au.clientAuth != "basic" && au.clientAuth != "body" {
			ps.add(field+".client_auth", "must be basic or body (got %q)", s.ClientAuth)
		}
		switch {
		case s.TokenURL == "":
			ps.add(field+".token_url", "is required for %s", AuthOAuth2)
		case strings.HasPrefix(s.TokenURL, "/"):
			au.tokenURL = base + s.TokenURL
		default:
			au.tokenURL = s.TokenURL
			if u, err := url.Parse(s.TokenURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				ps.add(field+".token_url", "must be an http(s) URL or a path starting with / (got %q)", s.TokenURL)
			}
		}
	default:
		ps.add(field+".type", "must be none, bearer, api_key, basic or %s (got %q)", AuthOAuth2, s.Type)
	}
	return au
}

// refreshable reports whether a refused token can be replaced.
func (au *authenticator) refreshable() bool { return au.typ == AuthOAuth2 }

// apply authenticates req and returns the OAuth2 token it used ("" for
// other schemes).
func (au *authenticator) apply(ctx context.Context, req *http.Request) (string, error) {
	switch au.typ {
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+au.secret)
	case AuthAPIKey:
		if au.query != "" {
			q := req.URL.Query()
			q.Set(au.query, au.secret)
			req.URL.RawQuery = q.Encode()
		} else {
			req.Header.Set(au.header, au.prefix+au.secret)
		}
	case AuthBasic:
		req.SetBasicAuth(au.user, au.secret)
	case AuthOAuth2:
		tok, err := au.token(ctx)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return tok, nil
	}
	return "", nil
}

// redact removes an API key sent in the query from the URL a transport
// error carries, so that it never reaches a log.
func (au *authenticator) redact(err error) {
	var ue *url.Error
	if au.typ == AuthAPIKey && au.query != "" && au.secret != "" && errors.As(err, &ue) {
		ue.URL = strings.ReplaceAll(ue.URL, url.QueryEscape(au.secret), "REDACTED")
	}
}

func (au *authenticator) seed() string {
	return pos.Hash([]string{au.tokenURL, au.clientID, au.clientSecret, au.scopes})
}

// token returns a cached access token that is not about to expire, or
// fetches a new one (one fetch at a time) and caches it in State.
func (au *authenticator) token(ctx context.Context) (string, error) { return au.tokens.Token(ctx) }

// drop forgets stale (a refused token) unless it was already replaced.
func (au *authenticator) drop(stale string) { au.tokens.Forget(stale) }

// fetch asks the token endpoint for a client-credentials token.
func (au *authenticator) fetch(ctx context.Context, now time.Time) (tokenState, error) {
	a := au.a
	form := url.Values{"grant_type": {"client_credentials"}}
	if au.scopes != "" {
		form.Set("scope", au.scopes)
	}
	if au.clientAuth == "body" {
		form.Set("client_id", au.clientID)
		form.Set("client_secret", au.clientSecret)
	}
	r := a.req
	r.BaseURL = ""
	r.Authorize = func(_ context.Context, req *http.Request) error {
		if au.clientAuth == "basic" {
			// RFC 6749 section 2.3.1: form-encode, then Basic.
			req.SetBasicAuth(url.QueryEscape(au.clientID), url.QueryEscape(au.clientSecret))
		}
		return nil
	}
	var out struct {
		AccessToken string      `json:"access_token"`
		TokenType   string      `json:"token_type"`
		ExpiresIn   json.Number `json:"expires_in"`
	}
	cctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	if _, err := r.Do(cctx, "oauth2 token", http.MethodPost, au.tokenURL, nil, form, &out); err != nil {
		var ve *pos.VendorError
		if errors.As(err, &ve) && ve.Status >= 400 && ve.Status < 500 && ve.Status != http.StatusTooManyRequests {
			ve.Kind = pos.Auth // client credentials refused: an operator must act
		}
		return tokenState{}, err
	}
	if out.AccessToken == "" {
		return tokenState{}, pos.Errorf(a.m.Vendor, "oauth2 token", pos.Auth, "token response has no access_token")
	}
	if out.TokenType != "" && !strings.EqualFold(out.TokenType, "bearer") {
		return tokenState{}, pos.Errorf(a.m.Vendor, "oauth2 token", pos.Invalid, "token type %q is not bearer", out.TokenType)
	}
	st := tokenState{AccessToken: out.AccessToken, Seed: au.seed()}
	if out.ExpiresIn != "" {
		secs, err := out.ExpiresIn.Int64()
		if err != nil || secs < 0 {
			return tokenState{}, pos.Errorf(a.m.Vendor, "oauth2 token", pos.Invalid, "expires_in %q is not a number of seconds", out.ExpiresIn)
		}
		st.ExpiresAt = now.Add(time.Duration(secs) * time.Second).Unix()
	}
	exp := "unknown"
	if st.ExpiresAt > 0 {
		exp = time.Unix(st.ExpiresAt, 0).UTC().Format(time.RFC3339)
	}
	a.log.Info("access token fetched", "expires", exp)
	return st, nil
}
