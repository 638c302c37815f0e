package pos

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

// Adapter speaks one vendor's API for one integration (one merchant or
// location). Implementations must be safe for concurrent use; the host runs
// at most one push and one pull at a time per integration.
type Adapter interface {
	// TestConnection makes one cheap authenticated call.
	TestConnection(ctx context.Context) error
	// PushMenu makes the vendor's catalog match menu and returns one result
	// per Aura object. With opts.DryRun it returns the plan (statuses it
	// would reach) without calling the vendor's write endpoints. Objects
	// unchanged since the last successful push (per the id mapping's hash)
	// report StatusUnchanged and are not sent.
	PushMenu(ctx context.Context, menu *model.Menu, opts PushOptions) ([]ObjectResult, error)
	// PullOrders returns orders and payments changed since cursor (nil for
	// the first pull) and the cursor to store for the next call. Adapters
	// re-read an overlap window so that late offline orders are not missed;
	// the host de-duplicates by Source.Key(). More is true when the caller
	// should call again at once with Next.
	PullOrders(ctx context.Context, cursor []byte) (*PullResult, error)
	// VerifyWebhook authenticates a webhook delivery and names the objects
	// it concerns. It returns an error wrapping ErrBadSignature when the
	// signature is missing or wrong.
	VerifyWebhook(ctx context.Context, req WebhookRequest) (*WebhookEvent, error)
}

// OrderFetcher is implemented by adapters that can fetch named orders at
// once (used after a webhook). The host falls back to PullOrders.
type OrderFetcher interface {
	FetchOrders(ctx context.Context, externalIDs []string) (*PullResult, error)
}

// PushOptions modify a menu push.
type PushOptions struct {
	DryRun bool
}

// ObjectKind names what an ObjectResult is about.
type ObjectKind string

// Object kinds.
const (
	KindCategory      ObjectKind = "category"
	KindItem          ObjectKind = "item"
	KindVariation     ObjectKind = "variation"
	KindModifierGroup ObjectKind = "modifier_group"
	KindModifier      ObjectKind = "modifier"
	KindTax           ObjectKind = "tax"
	KindLink          ObjectKind = "link" // e.g. Clover item<->modifier group
)

// Status is the outcome for one object.
type Status string

// Object statuses.
const (
	StatusCreated     Status = "created"
	StatusUpdated     Status = "updated"
	StatusUnchanged   Status = "unchanged"
	StatusUnsupported Status = "unsupported"
	StatusFailed      Status = "failed"
)

// ObjectResult is what happened to one Aura object during a push.
type ObjectResult struct {
	Kind     ObjectKind `json:"kind"`
	AuraID   string     `json:"aura_id"`
	VendorID string     `json:"vendor_id,omitempty"`
	Status   Status     `json:"status"`
	Reason   string     `json:"reason,omitempty"`
}

// PullResult is one page of pulled records.
type PullResult struct {
	Orders   []model.Order   `json:"orders"`
	Payments []model.Payment `json:"payments"`
	Next     []byte          `json:"next"`
	More     bool            `json:"more"`
	// Rejected are the records of this page that could not be represented
	// (undecodable, failing validation, unmappable). The adapter does not
	// drop them: the host audits each and sets it aside for a later look.
	Rejected []Rejected `json:"rejected,omitempty"`
	// Echoes names the pulled orders that aura-edge itself injected (the
	// adapter found its own external reference on them: Square reference_id
	// with source "Aura", Clover title "Aura <id>", Lightspeed source.type
	// "Aura", Toast externalId "<authority>:<id>"): Aura order id of the
	// pulled order (Orders[i].ID) -> Aura order id of the injection. The
	// host does not raise them as new store orders.
	Echoes map[string]string `json:"echoes,omitempty"`
}

// MarkEchoOf marks the pulled order whose vendor id is externalID (if r
// holds it) as the echo of the injected Aura order auraID.
func (r *PullResult) MarkEchoOf(externalID, auraID string) {
	for i := range r.Orders {
		if r.Orders[i].Source.ExternalID == externalID {
			r.MarkEcho(r.Orders[i].ID, auraID)
		}
	}
}

// MarkEcho records in r that pulled order pulledID is the echo of the
// injected Aura order auraID.
func (r *PullResult) MarkEcho(pulledID, auraID string) {
	if r.Echoes == nil {
		r.Echoes = map[string]string{}
	}
	r.Echoes[pulledID] = auraID
}

// WebhookRequest is a webhook delivery as received by the local API.
type WebhookRequest struct {
	URL    string      // the full URL the vendor was told to call (Square signs it)
	Header http.Header // as received
	Body   []byte      // raw body, exactly as received
}

// WebhookEvent is what a verified webhook is about.
type WebhookEvent struct {
	// ID de-duplicates redeliveries (Square event_id, Clover objectId+ts...).
	ID string
	// OrderIDs and PaymentIDs are vendor ids to fetch now.
	OrderIDs   []string
	PaymentIDs []string
	// Verification is set for handshake deliveries (Clover's verificationCode):
	// the host records it for the installer and answers 200.
	Verification string
}

// Config is what the host hands a factory.
type Config struct {
	// IntegrationID is the pos_integrations id, used in logs and mappings.
	IntegrationID string
	// Credentials are the decrypted secrets (access_token, client_secret,
	// webhook signature key...). Never log them.
	Credentials map[string]string
	// Settings are the non-secret options (location_id, merchant_id,
	// base_url, currency...).
	Settings map[string]string
	// HTTPClient is shared by the host; adapters must not replace its
	// transport. Nil means a client with a 60 s timeout.
	HTTPClient *http.Client
	// State persists id mappings, rotating tokens and other vendor state,
	// per integration and atomically (each Put is one durable commit).
	State State
	// Logger is already tagged with the vendor and integration.
	Logger *slog.Logger
	// Now is the clock (tests inject one). Nil means time.Now.
	Now func() time.Time
}

// Setting returns Settings[key] or def.
func (c *Config) Setting(key, def string) string {
	if v, ok := c.Settings[key]; ok && v != "" {
		return v
	}
	return def
}

// Clock returns c.Now or time.Now.
func (c *Config) Clock() func() time.Time {
	if c.Now != nil {
		return c.Now
	}
	return time.Now
}

// Client returns c.HTTPClient or a default one.
func (c *Config) Client() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{Timeout: 60 * time.Second}
}

// State is durable per-integration key/value state. The host implements it
// on bbolt; tests may use MemState.
type State interface {
	Get(key string) ([]byte, error)     // nil, nil when absent
	Put(key string, value []byte) error // durable when it returns
	Delete(key string) error            // missing keys are fine
	List(prefix string) (map[string][]byte, error)
}

// Factory builds an adapter for one integration.
type Factory func(cfg Config) (Adapter, error)

// Driver describes a vendor.
type Driver struct {
	Name        string   // "square"
	Aliases     []string // "vend" for lightspeed
	Title       string   // "Lightspeed Retail X-Series"
	Credentials []string // required credential fields, e.g. {"access_token", "webhook_signature_key"}
	Settings    []string // required settings, e.g. {"location_id"}
	// InjectSettings are the settings needed to create orders from Aura
	// (order.inject), all or none: doctor reports an integration with only
	// some of them set.
	InjectSettings []string
	New            Factory
}

var (
	mu      sync.RWMutex
	drivers = map[string]Driver{}
)

// Register makes a vendor driver available by name and aliases. It panics
// on an empty or duplicate name or a nil factory.
func Register(d Driver) {
	mu.Lock()
	defer mu.Unlock()
	if d.Name == "" || d.New == nil {
		panic("pos: Register with empty name or nil factory")
	}
	for _, n := range append([]string{d.Name}, d.Aliases...) {
		if _, dup := drivers[n]; dup {
			panic("pos: Register called twice for vendor " + n)
		}
		drivers[n] = d
	}
}

// RegisterForTest registers d, replacing any driver of the same name, and
// restores the registry when the test ends.
func RegisterForTest(t interface{ Cleanup(func()) }, d Driver) {
	mu.Lock()
	old := make(map[string]Driver, len(drivers))
	for k, v := range drivers {
		old[k] = v
	}
	for _, n := range append([]string{d.Name}, d.Aliases...) {
		drivers[n] = d
	}
	mu.Unlock()
	t.Cleanup(func() { mu.Lock(); drivers = old; mu.Unlock() })
}

// Lookup returns the driver registered under name or alias.
func Lookup(name string) (Driver, error) {
	mu.RLock()
	defer mu.RUnlock()
	d, ok := drivers[name]
	if !ok {
		return Driver{}, fmt.Errorf("unknown vendor %q (forgotten import?); known: %v", name, namesLocked())
	}
	return d, nil
}

// Names returns the registered vendor names (not aliases), sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	var out []string
	for n, d := range drivers {
		if n == d.Name {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// CheckConfig reports missing credential and setting fields for vendor.
func (d Driver) CheckConfig(creds, settings map[string]string) []string {
	var missing []string
	for _, k := range d.Credentials {
		if creds[k] == "" {
			missing = append(missing, "credentials."+k)
		}
	}
	for _, k := range d.Settings {
		if settings[k] == "" {
			missing = append(missing, "settings."+k)
		}
	}
	return missing
}

// Open validates cfg and builds the adapter for vendor.
func Open(vendor string, cfg Config) (Adapter, error) {
	d, err := Lookup(vendor)
	if err != nil {
		return nil, err
	}
	if missing := d.CheckConfig(cfg.Credentials, cfg.Settings); len(missing) > 0 {
		return nil, fmt.Errorf("%s integration %s: missing %v", d.Name, cfg.IntegrationID, missing)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.State == nil {
		cfg.State = NewMemState()
	}
	return d.New(cfg)
}

// MemState is an in-memory State for tests and dry runs.
type MemState struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemState returns an empty MemState.
func NewMemState() *MemState { return &MemState{m: map[string][]byte{}} }

func (s *MemState) Get(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.m[key]), nil
}

func (s *MemState) Put(key string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = slices.Clone(v)
	return nil
}

func (s *MemState) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

func (s *MemState) List(prefix string) (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]byte{}
	for k, v := range s.m {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			out[k] = slices.Clone(v)
		}
	}
	return out, nil
}
