package clover

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// Name is the vendor name the adapter registers under.
const Name = "clover"

// DefaultBaseURL is Clover's North American production API host.
const DefaultBaseURL = "https://api.clover.com"

// Defaults for the optional settings.
const (
	DefaultPageSize        = 100
	MaxPageSize            = 1000 // Clover's limit for list endpoints
	DefaultOverlap         = 15 * time.Minute
	DefaultInitialLookback = 24 * time.Hour
	DefaultMaxRPS          = 16 // Clover: 16 requests per second per token
	MaxConcurrent          = 5  // Clover: 5 concurrent requests per token
)

//go:embed sample.yaml
var sampleConfig string

// SampleConfig returns an example integration entry (sample.yaml).
func SampleConfig() string { return sampleConfig }

func init() {
	pos.Register(pos.Driver{
		Name:        Name,
		Title:       "Clover",
		Credentials: []string{"access_token"},
		Settings:    []string{"merchant_id"},
		New:         New,
	})
}

// Adapter speaks the Clover REST API for one merchant. It is safe for
// concurrent use.
type Adapter struct {
	cfg      pos.Config
	log      *slog.Logger
	now      func() time.Time
	merchant string
	req      pos.Requester
	maps     pos.Mappings
	lim      *limiter
	clientID string
	authCode string
	currency string
	pageSize int
	overlap  time.Duration
	lookback time.Duration

	tenderMu  sync.Mutex         // guards tenders, tendersAt
	tenders   map[string]cTender // the merchant's tenders by id (GET /tenders)
	tendersAt time.Time

	tokens *pos.TokenCache[tokenState]
}

var (
	_ pos.Adapter      = (*Adapter)(nil)
	_ pos.OrderFetcher = (*Adapter)(nil)
)

// New builds an adapter from cfg. It validates settings and does no I/O.
func New(cfg pos.Config) (pos.Adapter, error) { return pos.Adapt(NewAdapter)(cfg) }

// NewAdapter is New with the concrete type.
func NewAdapter(cfg pos.Config) (*Adapter, error) {
	if cfg.Credentials["access_token"] == "" {
		return nil, fmt.Errorf("clover integration %s: missing credentials.access_token", cfg.IntegrationID)
	}
	merchant := cfg.Setting("merchant_id", "")
	if merchant == "" || strings.ContainsAny(merchant, "/?#") {
		return nil, fmt.Errorf("clover integration %s: settings.merchant_id %q is missing or invalid", cfg.IntegrationID, merchant)
	}
	base := strings.TrimRight(cfg.Setting("base_url", DefaultBaseURL), "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("clover integration %s: settings.base_url %q is not an http(s) URL", cfg.IntegrationID, base)
	}
	set := cfg.Read(Name)
	pageSize := set.Int("page_size", 1, MaxPageSize, DefaultPageSize)
	rps := set.Int("max_rps", 1, 10000, DefaultMaxRPS)
	overlap := set.Duration("overlap", 0, pos.NoLimitDuration, DefaultOverlap)
	lookback := set.Duration("initial_lookback", 0, pos.NoLimitDuration, DefaultInitialLookback)
	if err := set.Err(); err != nil {
		return nil, err
	}
	if cfg.State == nil {
		cfg.State = pos.NewMemState()
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	clientID := cfg.Credentials["client_id"]
	if clientID == "" {
		clientID = cfg.Setting("client_id", "")
	}
	a := &Adapter{
		cfg:      cfg,
		log:      logger,
		now:      cfg.Clock(),
		merchant: merchant,
		maps:     pos.Mappings{S: cfg.State},
		lim:      newLimiter(rps, MaxConcurrent),
		clientID: clientID,
		authCode: cfg.Credentials["webhook_auth_code"],
		currency: cfg.Setting("currency", "USD"),
		pageSize: pageSize,
		overlap:  overlap,
		lookback: lookback,
	}
	a.req = pos.Requester{
		Vendor:      Name,
		BaseURL:     base,
		Client:      cfg.Client(),
		DecodeError: decodeError,
		Now:         a.now,
	}
	a.tokens = a.newTokens()
	return a, nil
}

// mpath returns the merchant-scoped API path for rest ("/items" ...).
func (a *Adapter) mpath(rest string) string {
	return "/v3/merchants/" + url.PathEscape(a.merchant) + rest
}

// TestConnection reads the merchant record: one cheap authenticated GET.
func (a *Adapter) TestConnection(ctx context.Context) error {
	var m struct {
		ID string `json:"id"`
	}
	if _, err := a.call(ctx, "get merchant", http.MethodGet, a.mpath(""), nil, nil, &m); err != nil {
		return err
	}
	return nil
}
