package toast

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// Vendor is the name the driver registers under.
const Vendor = "toast"

// DefaultBaseURL is Toast's production API host.
const DefaultBaseURL = "https://ws-api.toasttab.com"

// RestaurantHeader names the location every call is about.
const RestaurantHeader = "Toast-Restaurant-External-ID"

// Defaults for the optional settings.
const (
	DefaultOverlap         = 10 * time.Minute
	DefaultInitialLookback = 24 * time.Hour
	DefaultMaxWindow       = 24 * time.Hour
	// DefaultRequestTimeout is above the 30 s the orders API may take.
	DefaultRequestTimeout = 45 * time.Second
	// PageSize is the largest page ordersBulk allows.
	PageSize = 100
)

//go:embed sample.yaml
var sampleConfig string

// SampleConfig returns an example integration config for this vendor.
func SampleConfig() string { return sampleConfig }

func init() {
	pos.Register(pos.Driver{
		Name:        Vendor,
		Title:       "Toast",
		Credentials: []string{"client_id", "client_secret"},
		Settings:    []string{"restaurant_guid", "currency"},
		// other_payment_guid is needed only for non-cash payments, so it
		// does not make a dining option alone a partial setup.
		InjectSettings: []string{"dining_option_guid"},
		New:            pos.Adapt(New),
	})
}

// Adapter is one Toast restaurant location. It is safe for concurrent use.
type Adapter struct {
	cfg        pos.Config
	log        *slog.Logger
	now        func() time.Time
	req        pos.Requester
	auth       *tokens
	restaurant string
	currency   string
	overlap    time.Duration
	lookback   time.Duration
	maxWindow  time.Duration
	// Order creation (inject.go): the externalId authority, the dining
	// option of created orders and the alternate payment type of payments
	// taken elsewhere other than cash.
	authority    string
	diningOption string
	otherPayment string
	// priceMismatch is "accept" (default) or "refuse" (inject.go).
	priceMismatch string
	// The menus read that maps order lines (inject.go).
	menuMu sync.Mutex
	menuIx *menuIndex
	menuAt time.Time
}

var (
	_ pos.Adapter      = (*Adapter)(nil)
	_ pos.OrderFetcher = (*Adapter)(nil)
)

// New validates cfg and builds the adapter. It does no network I/O.
func New(cfg pos.Config) (*Adapter, error) {
	for _, k := range []string{"client_id", "client_secret"} {
		if cfg.Credentials[k] == "" {
			return nil, fmt.Errorf("toast: missing credential %s", k)
		}
	}
	rest := cfg.Setting("restaurant_guid", "")
	if rest == "" {
		return nil, fmt.Errorf("toast: missing setting restaurant_guid")
	}
	cur := cfg.Setting("currency", "")
	if !model.ValidCurrency(cur) {
		return nil, fmt.Errorf("toast: setting currency %q is not an ISO 4217 code", cur)
	}
	base := cfg.Setting("base_url", DefaultBaseURL)
	if u, err := url.Parse(base); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("toast: bad base_url %q", base)
	}
	set := cfg.Read(Vendor)
	a := &Adapter{cfg: cfg, restaurant: rest, currency: cur,
		overlap:   set.Duration("overlap", 0, pos.NoLimitDuration, DefaultOverlap),
		lookback:  set.Duration("initial_lookback", 0, pos.NoLimitDuration, DefaultInitialLookback),
		maxWindow: set.Duration("max_window", time.Nanosecond, pos.NoLimitDuration, DefaultMaxWindow)}
	timeout := set.Duration("request_timeout", 0, pos.NoLimitDuration, DefaultRequestTimeout)
	a.authority = cfg.Setting("external_id_authority", DefaultExternalIDAuthority)
	if a.authority == "" || len(a.authority) > 16 || strings.ContainsAny(a.authority, ": /") {
		return nil, fmt.Errorf("toast: setting external_id_authority %q must be 1 to 16 characters without ':', '/' or spaces", a.authority)
	}
	a.diningOption = cfg.Setting("dining_option_guid", "")
	a.otherPayment = cfg.Setting("other_payment_guid", "")
	a.priceMismatch = cfg.Setting("price_mismatch", "accept")
	if a.priceMismatch != "accept" && a.priceMismatch != "refuse" {
		return nil, fmt.Errorf("toast: setting price_mismatch %q must be accept or refuse", a.priceMismatch)
	}
	if err := set.Err(); err != nil {
		return nil, err
	}
	if cfg.State == nil {
		cfg.State = pos.NewMemState()
		a.cfg.State = cfg.State
	}
	a.log = cfg.Logger
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.now = cfg.Clock()
	// Same transport as the host's client, but a timeout above the 30 s the
	// orders API may take (the transport is not replaced).
	client := *cfg.Client()
	client.Timeout = timeout
	a.req = pos.Requester{Vendor: Vendor, BaseURL: strings.TrimRight(base, "/"), Client: &client,
		DecodeError: decodeError, Now: a.now}
	a.auth = newTokens(a)
	return a, nil
}

// decodeError reads Toast's ErrorMessage {status, code, message,
// developerMessage, canRetry...}.
func decodeError(status int, body []byte) (code, msg string) {
	var e struct {
		Code             json.RawMessage `json:"code"`
		Message          string          `json:"message"`
		DeveloperMessage string          `json:"developerMessage"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", strings.TrimSpace(string(body))
	}
	code = strings.Trim(string(e.Code), `"`)
	if code == "null" {
		code = ""
	}
	msg = e.Message
	if e.DeveloperMessage != "" && e.DeveloperMessage != msg {
		msg = strings.TrimSpace(msg + " " + e.DeveloperMessage)
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
	}
	return code, msg
}

// call sends one authenticated request with the restaurant header. On 401
// it logs in again once (within the login rate limit) and retries.
func (a *Adapter) call(ctx context.Context, op, method, path string, q url.Values, in, out any) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		tok, err := a.auth.access(ctx)
		if err != nil {
			return nil, err
		}
		r := a.req
		r.Authorize = func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set(RestaurantHeader, a.restaurant)
			return nil
		}
		resp, err := r.Do(ctx, op, method, path, q, in, out)
		if err == nil || !pos.IsStatus(err, http.StatusUnauthorized) || attempt > 0 {
			return resp, err
		}
		a.log.Info("access token rejected, logging in again", "op", op)
		if err := a.auth.reject(ctx, tok); err != nil {
			return nil, err
		}
	}
}

// TestConnection reads the restaurant's record: one cheap authenticated GET.
func (a *Adapter) TestConnection(ctx context.Context) error {
	_, err := a.call(ctx, "get restaurant", http.MethodGet, "/restaurants/v1/restaurants/"+url.PathEscape(a.restaurant), nil, nil, nil)
	return err
}

// MenuReadOnlyReason quotes Toast's documentation.
const MenuReadOnlyReason = `Toast menus are read-only through the API: "The menus API currently supports data retrieval only. ` +
	`Configuration changes must be made in Toast Web by the Toast customer."`

// PushMenu writes nothing: every object is reported unsupported with the
// documented reason. Prices are not pushed through price levels either
// (see README.md).
func (a *Adapter) PushMenu(_ context.Context, menu *model.Menu, _ pos.PushOptions) ([]pos.ObjectResult, error) {
	return pos.UnsupportedAll(menu, MenuReadOnlyReason), nil
}
