package square

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// Vendor is the registered vendor name.
const Vendor = "square"

// Defaults for settings.
const (
	DefaultBaseURL       = "https://connect.squareup.com"
	DefaultSquareVersion = "2025-08-20"
)

//go:embed sample.yaml
var sampleConfig string

// SampleConfig returns an example integration config for this vendor.
func SampleConfig() string { return sampleConfig }

func init() {
	pos.Register(pos.Driver{
		Name:        Vendor,
		Title:       "Square",
		Credentials: []string{"access_token"},
		Settings:    []string{"location_id"},
		New:         New,
	})
}

// settings are the parsed, defaulted cfg.Settings.
type settings struct {
	baseURL       string
	squareVersion string
	locationIDs   []string
	webhookURL    string
	clientID      string

	overlap      time.Duration // routine re-read before the last window's end
	offlineLag   time.Duration // how far back a deep rescan reaches (72h)
	deepRescan   time.Duration // how often a deep rescan runs
	orderStates  []string
	orderLimit   int
	paymentLimit int
	payments     string // "list" (GET /v2/payments) or "off"

	batchSize     int
	writeRetries  int
	retryBackoff  time.Duration
	retryMaxWait  time.Duration
	refreshBefore time.Duration
	webhookMaxAge time.Duration
}

func parseSettings(cfg *pos.Config) (settings, error) {
	s := settings{
		baseURL:       strings.TrimRight(cfg.Setting("base_url", DefaultBaseURL), "/"),
		squareVersion: cfg.Setting("square_version", DefaultSquareVersion),
		webhookURL:    cfg.Setting("webhook_url", ""),
		clientID:      cfg.Setting("client_id", cfg.Credentials["client_id"]),
		payments:      cfg.Setting("payments", "list"),
	}
	if _, err := url.ParseRequestURI(s.baseURL); err != nil {
		return s, fmt.Errorf("settings.base_url %q: %w", s.baseURL, err)
	}
	for _, l := range strings.Split(cfg.Setting("location_id", ""), ",") {
		if l = strings.TrimSpace(l); l != "" {
			s.locationIDs = append(s.locationIDs, l)
		}
	}
	if len(s.locationIDs) == 0 || len(s.locationIDs) > 10 {
		return s, fmt.Errorf("settings.location_id: need 1 to 10 comma-separated location ids, got %d", len(s.locationIDs))
	}
	for _, st := range strings.Split(cfg.Setting("order_states", "OPEN,COMPLETED,CANCELED"), ",") {
		st = strings.ToUpper(strings.TrimSpace(st))
		switch st {
		case "OPEN", "COMPLETED", "CANCELED", "DRAFT":
			s.orderStates = append(s.orderStates, st)
		case "":
		default:
			return s, fmt.Errorf("settings.order_states: unknown state %q", st)
		}
	}
	if s.payments != "list" && s.payments != "off" {
		return s, fmt.Errorf("settings.payments: want list or off, got %q", s.payments)
	}
	set := cfg.Read(Vendor)
	s.overlap = set.Duration("overlap", 0, pos.NoLimitDuration, 10*time.Minute)
	s.offlineLag = set.Duration("offline_lag", 0, pos.NoLimitDuration, 72*time.Hour)
	s.deepRescan = set.Duration("deep_rescan", 0, pos.NoLimitDuration, 6*time.Hour)
	s.retryBackoff = set.Duration("retry_backoff", 0, pos.NoLimitDuration, time.Second)
	s.retryMaxWait = set.Duration("retry_max_wait", 0, pos.NoLimitDuration, 30*time.Second)
	s.refreshBefore = set.Duration("refresh_before", 0, pos.NoLimitDuration, 168*time.Hour)
	s.webhookMaxAge = set.Duration("webhook_max_age", 0, pos.NoLimitDuration, 73*time.Hour)
	s.orderLimit = set.Int("order_page_size", 1, 1000, 500)
	s.paymentLimit = set.Int("payment_page_size", 1, 100, 100)
	s.batchSize = set.Int("batch_size", 1, 1000, 1000)
	s.writeRetries = set.Int("write_retries", 0, 10, 3)
	if err := set.Err(); err != nil {
		return s, err
	}
	return s, nil
}

// Adapter is the Square adapter for one integration. It is safe for
// concurrent use.
type Adapter struct {
	cfg   pos.Config
	set   settings
	log   *slog.Logger
	now   func() time.Time
	maps  pos.Mappings
	api   *pos.Requester // authorised Square API calls
	oauth *pos.Requester // POST /oauth2/token (no bearer)

	tokens *pos.TokenCache[tokenState]
}

var (
	_ pos.Adapter      = (*Adapter)(nil)
	_ pos.OrderFetcher = (*Adapter)(nil)
)

// New builds the adapter from cfg. It validates settings and does no I/O.
func New(cfg pos.Config) (pos.Adapter, error) { return pos.Adapt(NewAdapter)(cfg) }

// NewAdapter is New with the concrete type.
func NewAdapter(cfg pos.Config) (*Adapter, error) {
	if cfg.Credentials["access_token"] == "" {
		return nil, fmt.Errorf("square integration %s: credentials.access_token is required", cfg.IntegrationID)
	}
	s, err := parseSettings(&cfg)
	if err != nil {
		return nil, fmt.Errorf("square integration %s: %w", cfg.IntegrationID, err)
	}
	if cfg.State == nil {
		cfg.State = pos.NewMemState()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{cfg: cfg, set: s, log: cfg.Logger, now: cfg.Clock(), maps: pos.Mappings{S: cfg.State}}
	client := cfg.Client()
	a.api = &pos.Requester{
		Vendor: Vendor, BaseURL: s.baseURL, Client: client, Now: a.now,
		Authorize:   a.authorize,
		DecodeError: decodeError,
	}
	a.oauth = &pos.Requester{
		Vendor: Vendor, BaseURL: s.baseURL, Client: client, Now: a.now,
		Authorize: func(_ context.Context, r *http.Request) error {
			r.Header.Set("Square-Version", s.squareVersion)
			return nil
		},
		DecodeError: decodeError,
	}
	a.tokens = a.newTokens()
	return a, nil
}

// TestConnection reads the first configured location: one cheap
// authenticated GET that also proves the location id is right.
func (a *Adapter) TestConnection(ctx context.Context) error {
	_, err := a.call(ctx, "retrieve location", "GET", "/v2/locations/"+url.PathEscape(a.set.locationIDs[0]), nil, nil, nil)
	return err
}
