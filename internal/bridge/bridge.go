package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/store"
)

// Schedule tunes one integration's flows (from the config file).
type Schedule struct {
	PollInterval time.Duration // order pulls; default 1m
	Jitter       time.Duration // default 10% of the interval
	MaxAttempts  int           // menu push attempts before a dead letter; default 8
	Disabled     bool
	// DriftInterval is how often the vendor's catalog is compared with the
	// menu last pushed; default 15m, negative turns the periodic check off
	// (catalog webhooks still trigger it).
	DriftInterval time.Duration
}

// SchedulesOf maps the config file's integrations section (checked by
// IntegrationProblems) to the schedules Deps takes, by integration id.
func SchedulesOf(ins []Integration) map[string]Schedule {
	out := make(map[string]Schedule, len(ins))
	for _, in := range ins {
		drift, _ := in.DriftEvery()
		out[in.ID] = Schedule{PollInterval: in.PollInterval, Jitter: in.Jitter, MaxAttempts: in.MaxAttempts,
			Disabled: in.Disabled, DriftInterval: drift}
	}
	return out
}

// Deps are the bridge's collaborators.
type Deps struct {
	DB           *store.DB
	Integrations *integrations.Store
	Ingest       *ingest.Ingest
	Audit        *audit.Logger
	Scheduler    *scheduler.Scheduler
	Log          *slog.Logger
	HTTPClient   *http.Client
	// PublicURL is the base URL vendors post webhooks to; the webhook URL of
	// an integration is PublicURL + "/webhooks/" + id (Square signs it).
	PublicURL string
	// Schedules by integration id; missing ids use the defaults.
	Schedules map[string]Schedule
	// MaxPages bounds the pages of one pull run (default 50).
	MaxPages int
	Now      func() time.Time
	// VendorTransport, when set, wraps the HTTP transport of each
	// vendor's adapter (request metrics: health.Metrics.VendorTransport).
	VendorTransport func(vendor string, rt http.RoundTripper) http.RoundTripper
	// Outbox carries menu.drift events and the outcome events of order
	// injections and refunds to the cloud (nil: not reported).
	Outbox *outbox.Outbox
	// Menu holds the deletion guard and the store's closing time.
	Menu MenuOptions
	// DriftDebounce is how long a catalog webhook waits for more before
	// the catalog is compared (default 30s).
	DriftDebounce time.Duration
	// JobBackoff is the first delay before an injection or refund is
	// retried (default 5s; the scheduler doubles it up to 10m).
	JobBackoff time.Duration
}

// Bridge drives the adapters.
type Bridge struct {
	d Deps

	mu         sync.Mutex
	adapters   map[string]pos.Adapter
	pullMu     map[string]*sync.Mutex // one pull at a time per integration
	pushMu     map[string]*sync.Mutex // one push at a time per integration
	fetches    sync.WaitGroup         // webhook-triggered fetches in progress
	rejections rejectLimiter          // audit rate for rejected webhooks

	restoreWake  chan struct{}          // wakes the availability restorer
	driftTimers  map[string]*time.Timer // debounced webhook-triggered drift checks
	driftWebhook map[string]bool        // the next drift check was asked for by a webhook
	jobLocks     sync.Map               // job id -> *sync.Mutex: one attempt of a job at a time
	jobWait      sync.Map               // job id -> time.Duration: the vendor's Retry-After on its last failure
	schedMu      sync.RWMutex           // guards d.Schedules (SetSchedule changes it at runtime)
}

// New returns a bridge; call Start to schedule the integrations' flows.
func New(d Deps) *Bridge {
	if d.MaxPages <= 0 {
		d.MaxPages = 50
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if d.DriftDebounce <= 0 {
		d.DriftDebounce = 30 * time.Second
	}
	return &Bridge{d: d, adapters: map[string]pos.Adapter{}, pullMu: map[string]*sync.Mutex{}, pushMu: map[string]*sync.Mutex{},
		restoreWake: make(chan struct{}, 1), driftTimers: map[string]*time.Timer{}, driftWebhook: map[string]bool{}}
}

// Result is the outcome for one integration of a push, pull or sync.
type Result struct {
	IntegrationID string             `json:"integration_id"`
	Vendor        string             `json:"vendor"`
	Status        string             `json:"status"` // success, failed, unsupported, partial, retrying, dry_run
	Message       string             `json:"message,omitempty"`
	Objects       []pos.ObjectResult `json:"objects,omitempty"`
	Orders        int                `json:"orders,omitempty"`
	Payments      int                `json:"payments,omitempty"`
	New           int                `json:"new,omitempty"`
}

// ErrNoIntegrations is returned when there is nothing to sync.
var ErrNoIntegrations = errors.New("no POS integrations are connected")

func (b *Bridge) schedule(id string) Schedule {
	b.schedMu.RLock()
	s := b.d.Schedules[id]
	b.schedMu.RUnlock()
	if s.PollInterval <= 0 {
		s.PollInterval = time.Minute
	}
	if s.Jitter <= 0 {
		s.Jitter = s.PollInterval / 10
	}
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 8
	}
	if s.DriftInterval == 0 {
		s.DriftInterval = 15 * time.Minute
	}
	return s
}

// Adapter returns the (cached) adapter of integration id.
func (b *Bridge) Adapter(id string) (pos.Adapter, integrations.Integration, error) {
	in, err := b.d.Integrations.Get(id)
	if err != nil {
		return nil, in, err
	}
	b.mu.Lock()
	a, ok := b.adapters[id]
	b.mu.Unlock()
	if ok {
		return a, in, nil
	}
	creds, err := b.d.Integrations.Credentials(id)
	if err != nil {
		return nil, in, err
	}
	settings := map[string]string{}
	for k, v := range in.Settings {
		settings[k] = v
	}
	if settings["webhook_url"] == "" && b.d.PublicURL != "" {
		settings["webhook_url"] = strings.TrimRight(b.d.PublicURL, "/") + "/webhooks/" + id
	}
	a, err = pos.Open(in.Vendor, pos.Config{
		IntegrationID: id, Credentials: creds, Settings: settings, HTTPClient: b.vendorClient(in.Vendor),
		State: b.d.Integrations.State(id), Logger: b.d.Log.With("vendor", in.Vendor, "integration", id), Now: b.d.Now,
	})
	if err != nil {
		return nil, in, err
	}
	b.mu.Lock()
	b.adapters[id] = a
	b.mu.Unlock()
	return a, in, nil
}

// Delete removes an integration (credentials, vendor state, cursor,
// applied menus) once no pull or push of it is running, and forgets its
// adapter and flows.
func (b *Bridge) Delete(id string) error {
	pl, ul := b.lock(b.pullMu, id), b.lock(b.pushMu, id)
	pl.Lock()
	ul.Lock()
	defer pl.Unlock()
	defer ul.Unlock()
	if err := b.d.Integrations.Delete(id); err != nil {
		return err
	}
	if err := b.forgetMenu(id); err != nil {
		b.d.Log.Warn("forget menu state of deleted integration", "integration", id, "err", err)
	}
	b.Forget(id)
	return nil
}

// Run does the bridge's housekeeping until ctx is done: every hour it
// forgets old webhook event ids, dead letters, rejected records and echo
// marks past their retention, and
// it puts 86ed objects back on sale when their time comes.
func (b *Bridge) Run(ctx context.Context) error {
	if n := b.ResumeJobs(ctx); n > 0 {
		b.d.Log.Info("pos jobs resumed after a restart", "count", n)
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	done := make(chan struct{})
	go func() { defer close(done); b.runRestorer(ctx) }()
	defer func() { <-done }()
	for {
		if err := b.PruneWebhooks(); err != nil {
			b.d.Log.Warn("prune webhook ids", "err", err)
		}
		if n, err := b.PruneRejected(); err != nil {
			b.d.Log.Warn("prune rejected records", "err", err)
		} else if n > 0 {
			b.d.Log.Info("rejected records pruned", "count", n)
		}
		if n, err := b.PruneEchoes(); err != nil {
			b.d.Log.Warn("prune echo marks", "err", err)
		} else if n > 0 {
			b.d.Log.Info("echo marks pruned", "count", n)
		}
		if n, err := b.PruneDeadLetters(); err != nil {
			b.d.Log.Warn("prune dead letters", "err", err)
		} else if n > 0 {
			b.d.Log.Info("dead letters pruned", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Forget drops a cached adapter and the integration's flows (after delete).
func (b *Bridge) Forget(id string) {
	b.mu.Lock()
	delete(b.adapters, id)
	b.mu.Unlock()
	if b.d.Scheduler != nil {
		b.d.Scheduler.Remove(id + "/orders")
		b.d.Scheduler.Remove(id + "/menu-retry")
		b.d.Scheduler.Remove(id + "/menu-drift")
	}
}

func (b *Bridge) lock(m map[string]*sync.Mutex, id string) *sync.Mutex {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := m[id]
	if !ok {
		l = &sync.Mutex{}
		m[id] = l
	}
	return l
}

// targets resolves "" (all) or one id.
func (b *Bridge) targets(id string) ([]integrations.Integration, error) {
	if id != "" {
		in, err := b.d.Integrations.Get(id)
		if err != nil {
			return nil, err
		}
		return []integrations.Integration{in}, nil
	}
	all, err := b.d.Integrations.List()
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, ErrNoIntegrations
	}
	return all, nil
}

// Start schedules every integration's order pulls and menu retries. Call it
// once before the scheduler runs, and Add for integrations connected later.
func (b *Bridge) Start() error {
	all, err := b.d.Integrations.List()
	if err != nil {
		return err
	}
	for _, in := range all {
		b.Add(in.ID)
	}
	return nil
}

// Add schedules one integration's flows.
func (b *Bridge) Add(id string) {
	if b.d.Scheduler == nil {
		return
	}
	s := b.schedule(id)
	if s.Disabled {
		return
	}
	retryAfter := pos.RetryAfterOf
	b.addOrders(id, s)
	b.d.Scheduler.Add(scheduler.Flow{Key: id + "/menu-retry", RetryAfter: retryAfter,
		Run: func(ctx context.Context, attempt int) error { return b.retryPush(ctx, id) }})
	if b.pendingRetry(id) {
		b.d.Scheduler.Trigger(id + "/menu-retry")
	}
	b.addDrift(id, s)
}

// addOrders schedules integration id's order pulls.
func (b *Bridge) addOrders(id string, s Schedule) {
	b.d.Scheduler.Add(scheduler.Flow{Key: id + "/orders", Interval: s.PollInterval, Jitter: s.Jitter, RetryAfter: pos.RetryAfterOf,
		Run: func(ctx context.Context, attempt int) error {
			_, err := b.PullOrders(ctx, id, "interval", "scheduler", attempt+1)
			return err
		}})
}

// SetSchedule changes integration id's poll interval, jitter and attempt
// limit while the daemon runs (config.set). When its order pulls are
// scheduled they are rescheduled at once; otherwise the schedule applies
// when the integration is connected. Drift checks and Disabled keep their
// values.
func (b *Bridge) SetSchedule(id string, poll, jitter time.Duration, maxAttempts int) {
	b.schedMu.Lock()
	if b.d.Schedules == nil {
		b.d.Schedules = map[string]Schedule{}
	}
	s := b.d.Schedules[id]
	s.PollInterval, s.Jitter, s.MaxAttempts = poll, jitter, maxAttempts
	b.d.Schedules[id] = s
	b.schedMu.Unlock()
	if b.d.Scheduler == nil || s.Disabled {
		return
	}
	for _, st := range b.d.Scheduler.States() {
		if st.Key == id+"/orders" {
			b.addOrders(id, b.schedule(id))
			return
		}
	}
}

// auditErr records a failed attempt with the right status.
func statusOf(err error) audit.Status {
	switch pos.KindOf(err) {
	case "":
		return audit.Success
	case pos.Unsupported:
		return audit.Unsupported
	case pos.Retryable, pos.Conflict:
		return audit.Retrying
	}
	return audit.Failed
}

func digest(v any) string {
	b, _ := json.Marshal(v)
	return audit.Digest(b)
}

// fmtErr shortens an error for results.
func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// vendorClient is the shared HTTP client, its transport wrapped for vendor
// when Deps.VendorTransport is set.
func (b *Bridge) vendorClient(vendor string) *http.Client {
	if b.d.VendorTransport == nil {
		return b.d.HTTPClient
	}
	c := *b.d.HTTPClient
	c.Transport = b.d.VendorTransport(vendor, c.Transport)
	return &c
}
