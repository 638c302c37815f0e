package lightspeed

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// Vendor is the name the driver registers under; "vend" is an alias.
const Vendor = "lightspeed"

// APIVersion is the dated X-Series API version the adapter speaks.
const APIVersion = "2026-07"

// Defaults for the optional settings.
const (
	DefaultPageSize         = 200
	DefaultOverlapVersions  = 500
	DefaultVariantAttribute = "Size"
)

//go:embed sample.yaml
var sampleConfig string

// SampleConfig returns an example integration config for this vendor.
func SampleConfig() string { return sampleConfig }

func init() {
	pos.Register(pos.Driver{
		Name:           Vendor,
		Aliases:        []string{"vend"},
		Title:          "Lightspeed Retail X-Series",
		Credentials:    []string{"client_id", "client_secret", "refresh_token"},
		Settings:       []string{"domain_prefix", "currency"},
		InjectSettings: []string{"inject_user_id", "inject_tax_id", "inject_payment_type_id"},
		New:            pos.Adapt(New),
	})
}

// Adapter is one X-Series integration (one retailer). It is safe for
// concurrent use.
type Adapter struct {
	cfg      pos.Config
	log      *slog.Logger
	now      func() time.Time
	req      pos.Requester
	auth     *tokens
	maps     pos.Mappings
	currency string
	pageSize int
	overlap  int64
	attrName string
}

var (
	_ pos.Adapter      = (*Adapter)(nil)
	_ pos.OrderFetcher = (*Adapter)(nil)
)

// New validates cfg and builds the adapter. It does no network I/O.
func New(cfg pos.Config) (*Adapter, error) {
	for _, k := range []string{"client_id", "client_secret", "refresh_token"} {
		if cfg.Credentials[k] == "" {
			return nil, fmt.Errorf("lightspeed: missing credential %s", k)
		}
	}
	prefix := cfg.Setting("domain_prefix", "")
	base := cfg.Setting("base_url", "")
	if base == "" {
		if prefix == "" {
			return nil, fmt.Errorf("lightspeed: missing setting domain_prefix")
		}
		base = "https://" + prefix + ".retail.lightspeed.app/api/" + APIVersion
	}
	bu, err := url.Parse(base)
	if err != nil || bu.Scheme == "" || bu.Host == "" {
		return nil, fmt.Errorf("lightspeed: bad base_url %q", base)
	}
	tokenURL := cfg.Setting("token_url", bu.Scheme+"://"+bu.Host+"/api/1.0/token")
	cur := cfg.Setting("currency", "")
	if !model.ValidCurrency(cur) {
		return nil, fmt.Errorf("lightspeed: setting currency %q is not an ISO 4217 code", cur)
	}
	set := cfg.Read(Vendor)
	pageSize := set.Int("page_size", 0, pos.NoLimitInt, DefaultPageSize)
	overlap := set.Int("overlap_versions", 0, pos.NoLimitInt, DefaultOverlapVersions)
	if err := set.Err(); err != nil {
		return nil, err
	}
	if cfg.State == nil {
		cfg.State = pos.NewMemState()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{
		cfg:      cfg,
		log:      log,
		now:      cfg.Clock(),
		maps:     pos.Mappings{S: cfg.State},
		currency: cur,
		pageSize: pageSize,
		overlap:  int64(overlap),
		attrName: cfg.Setting("variant_attribute", DefaultVariantAttribute),
	}
	client := cfg.Client()
	a.req = pos.Requester{
		Vendor:      Vendor,
		BaseURL:     strings.TrimRight(base, "/"),
		Client:      client,
		DecodeError: decodeError,
		Now:         a.now,
	}
	a.auth = newTokens(tokenURL, client, cfg.State, cfg.Credentials, a.now, log)
	return a, nil
}

// decodeError reads X-Series error bodies: {"error":"..."} (404/409) or
// {"error":..., "details":...} (422), sometimes {"errors":{...}}.
func decodeError(status int, body []byte) (code, msg string) {
	var e struct {
		Error   json.RawMessage `json:"error"`
		Details json.RawMessage `json:"details"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", strings.TrimSpace(string(body))
	}
	var s string
	if json.Unmarshal(e.Error, &s) == nil && s != "" {
		msg = s
	} else if len(e.Error) > 0 {
		msg = string(e.Error)
	}
	if msg == "" {
		msg = e.Message
	}
	if len(e.Details) > 0 && string(e.Details) != "null" {
		msg += " " + string(e.Details)
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
	}
	return "", msg
}

// call sends one authenticated request. On 401 it refreshes the token once
// (unless another call already did) and retries; a second 401 is returned
// as a VendorError of kind Auth.
func (a *Adapter) call(ctx context.Context, op, method, path string, q url.Values, in, out any) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		tok, err := a.auth.access(ctx)
		if err != nil {
			return nil, err
		}
		r := a.req
		r.Authorize = func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+tok)
			return nil
		}
		resp, err := r.Do(ctx, op, method, path, q, in, out)
		if err == nil || !pos.IsStatus(err, http.StatusUnauthorized) || attempt > 0 {
			return resp, err
		}
		a.log.Info("access token rejected, refreshing", "op", op)
		if err := a.auth.refreshAfterReject(ctx, tok); err != nil {
			return nil, err
		}
	}
}

// TestConnection reads the retailer record: one cheap authenticated GET.
func (a *Adapter) TestConnection(ctx context.Context) error {
	_, err := a.call(ctx, "get retailer", http.MethodGet, "/retailer", nil, nil, nil)
	return err
}
