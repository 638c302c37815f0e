package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/health"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/integrations"
	"github.com/auraconnect/aura-edge/internal/localapi"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/provision"
	requests "github.com/auraconnect/aura-edge/internal/request"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/secrets"
	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/store"
	"github.com/auraconnect/aura-edge/internal/terminal"
	"github.com/auraconnect/aura-edge/internal/version"
)

// Core is the state-bearing part of aura-edge over one store: everything
// the daemon runs and everything the CLI needs when no daemon holds the
// store. OpenCore builds it without starting goroutines.
type Core struct {
	Cfg          *config.Config
	Log          *slog.Logger
	DB           *store.DB
	Keys         *secrets.Keyring
	Outbox       *outbox.Outbox
	Audit        *audit.Logger
	Ingest       *ingest.Ingest
	Integrations *integrations.Store
	Scheduler    *scheduler.Scheduler
	Bridge       *bridge.Bridge
	Auth         *auth.Authenticator
	API          *localapi.Server
	Cloud        *cloud.Client // nil when no broker is configured
	Spool        *spool.Spool
	// stopping is set once intake has begun to stop (stop.go:
	// commandGate); a pointer, so that a copy of the Core shares it.
	stopping *atomic.Bool
	// Health is the one snapshot the status page, /v1/health and
	// /metrics render; Metrics holds the counters.
	Health        *health.Sources
	Metrics       *health.Metrics
	PrinterEvents *health.PrinterEvents
	Sessions      *auth.Sessions
	Terminals     *terminal.Manager
	Provision     *provision.Key // seals remotely provisioned credentials to this store

	settings *settings // runtime settings (config.set); set by applyOverrides
}

// KeyFile returns the credential key file path for cfg.
func KeyFile(cfg *config.Config) string {
	return cfg.Secrets.Path(cfg.DataDir)
}

// OpenCore opens the store and builds the subsystems and the API routes.
// On error everything opened so far is closed.
func OpenCore(cfg *config.Config, log *slog.Logger) (c *Core, err error) {
	c = &Core{Cfg: cfg, Log: log, stopping: new(atomic.Bool)}
	c.newHealth()
	db, err := store.Open(cfg.DataDir, store.Options{Logger: log.With("component", "store")})
	if err != nil {
		return nil, err
	}
	c.DB = db
	defer func() {
		// db, not c.DB: the error returns below set c to nil.
		if err != nil {
			db.Close()
		}
	}()
	// Settings changed at runtime (config.set) win over the file; applied
	// before any subsystem reads the config.
	if err := c.applyOverrides(cfg); err != nil {
		return nil, err
	}
	c.Keys, err = secrets.LoadOrCreateKey(KeyFile(cfg))
	if err != nil {
		return nil, fmt.Errorf("credential key: %w", err)
	}
	c.Provision, err = provision.LoadOrCreate(c.DB, c.Keys, cfg.StoreID)
	if err != nil {
		return nil, err
	}
	c.Outbox, err = outbox.Open(c.DB, cfg.Outbox.Config(), log.With("component", "outbox"))
	if err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	c.Audit = audit.New(c.DB, c.Outbox, audit.Config{Observe: func(r audit.Record, err error) {
		c.Metrics.Audit(r.Type, string(r.Status), err)
	}}, log.With("component", "audit"))
	c.Ingest = ingest.New(c.DB, c.Outbox, log.With("component", "ingest"))
	c.Ingest.MaxEventBytes = cloud.MaxEventBytes(cfg.Cloud)
	c.Ingest.Observe = func(kind string, src model.Source, result string) { c.Metrics.Capture(kind, src.Vendor, result) }
	c.Integrations = integrations.New(c.DB, c.Keys)
	c.Spool, err = spool.New(c.DB, cfg.StoreID, cfg.Printers, cfg.Receipt, c.spoolHooks(spool.Options{Logger: log.With("component", "spool"), Audit: c.Audit,
		Kitchen: cfg.Kitchen, CategoryOf: menuCategories(&c.Bridge)}))
	if err != nil {
		return nil, err
	}
	c.Ingest.OnOrder = func(o model.Order) {
		// A till's sale was printed by the till: never print it again.
		if !terminal.IsTerminalSource(o.Source) {
			c.Spool.OnOrder(o)
		}
	}
	c.Ingest.OnReplay = func(o model.Order) {
		if !terminal.IsTerminalSource(o.Source) {
			c.Spool.OnOrderReplayed(o)
		}
	}
	c.Ingest.DurableOnOrder = c.Spool.AutoPrints()
	c.Terminals, err = terminal.New(cfg.Terminals, terminal.Deps{
		Printers: cfg.Printers, Spool: c.Spool, Sink: &terminal.OutboxSink{DB: c.DB, Outbox: c.Outbox, Ingest: c.Ingest},
		Log: log.With("component", "terminal"), RawDir: filepath.Join(cfg.DataDir, "terminals"),
	}, terminal.Options{})
	if err != nil {
		return nil, err
	}
	c.Scheduler = scheduler.New(log.With("component", "scheduler"))
	menuOpts, err := cfg.Menu.Options()
	if err != nil {
		return nil, err
	}
	c.Bridge = bridge.New(bridge.Deps{
		DB: c.DB, Integrations: c.Integrations, Ingest: c.Ingest, Audit: c.Audit, Scheduler: c.Scheduler,
		Log: log.With("component", "bridge"), PublicURL: cfg.API.PublicURL, Schedules: bridge.SchedulesOf(cfg.Integrations),
		HTTPClient:      &http.Client{Timeout: 75 * time.Second}, // Toast's orders API can take 30 s
		VendorTransport: c.Metrics.VendorTransport,
		Outbox:          c.Outbox, Menu: menuOpts, DriftDebounce: cfg.Menu.DriftDebounce,
	})
	c.Auth = auth.NewAuthenticator(c.DB, auth.Options{})
	c.Sessions = auth.NewSessions(c.Auth, 0)
	apiLog := log.With("component", "localapi")
	c.API = localapi.New(localapi.ConfigOf(cfg.API, ControlSocket(cfg)), apiLog,
		func(policy *auth.Policy) func(http.Handler) http.Handler {
			return auth.SessionMiddleware(policy, c.Auth, c.Sessions, apiLog)
		}, asAdmin)
	localapi.CaptureRoutes(c.API, c.Ingest, apiLog)
	localapi.QueueRoutes(c.API, c.Outbox, c.Bridge)
	localapi.DeadLetterRoutes(c.API, c.Outbox, c.Audit, apiLog)
	localapi.SyncLogRoutes(c.API, c.Audit)
	localapi.MenuRoutes(c.API, c.Bridge)
	localapi.IntegrationRoutes(c.API, localapi.IntegrationDeps{Bridge: c.Bridge, Integrations: c.Integrations,
		Audit: c.Audit, Log: apiLog, PublicURL: cfg.API.PublicURL, ManifestDir: filepath.Join(cfg.DataDir, "manifests")})
	localapi.PrintRoutes(c.API, c.Spool, localapi.PrintDeps{Order: c.Ingest.Order,
		NotFound: func(e error) bool { return errors.Is(e, ingest.ErrNotFound) }, Log: apiLog})
	localapi.InjectRoutes(c.API, c.Bridge)
	localapi.ControlRoutes(c.API, localapi.ControlDeps{DB: c.DB, Keys: c.Keys})
	localapi.ConfigRoutes(c.API, localapi.ConfigSetter{
		Set: func(ctx context.Context, req requests.ConfigSet, actor string) (any, error) {
			return c.SetConfig(ctx, req, actor)
		},
		Refused: func(err error) bool { return errors.Is(err, ErrSettingRefused) },
		Get:     c.Settings,
	})
	c.fillHealth()
	c.healthRoutes()
	c.API.HandleFunc("GET /v1/terminals", localapi.StaffAccess, func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteJSON(w, http.StatusOK, map[string]any{"terminals": c.Terminals.Status()})
	})
	return c, nil
}

// openCloud builds the MQTT link when a broker is configured. The retained
// status carries the health sources' facts.
func (c *Core) openCloud() error {
	if c.Cfg.Cloud.Broker == "" {
		c.Log.Warn("no cloud broker configured: running offline, everything is buffered")
		return nil
	}
	if u, useTLS, err := cloud.ParseBroker(c.Cfg.Cloud.Broker); err == nil && !useTLS {
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			c.Log.Warn("cloud link is not encrypted: orders, payments and the MQTT password cross the network in clear text; use tls://", "broker", u.Redacted())
		}
	}
	cl, err := cloud.New(c.Cfg.Cloud, cloud.Deps{
		StoreID: c.Cfg.StoreID, DB: c.DB, Queue: c.Outbox, Log: c.Log.With("component", "cloud"),
		Version: version.Version, Status: c.Health, Audit: c.auditCommand,
		Delivered: func(s outbox.Stream, d time.Duration) {
			c.Metrics.Delivered(string(s), 1)
			c.Metrics.PubAck(d)
		},
	})
	if err != nil {
		return err
	}
	c.registerCommands(cl)
	c.Cloud = cl
	c.Health.Link = c.linkHealth
	return nil
}

// Close closes the store, after merging the outbox's deferred subject
// index (so that the next start has no log to read; after a crash it is
// read instead).
func (c *Core) Close() error {
	c.Ingest.Wait() // auto-print hooks of orders already acknowledged
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c.Outbox != nil {
		if err := c.Outbox.MergeSubjects(ctx); err != nil {
			c.Log.Warn("subject index not merged before closing; the next start reads its log", "err", err)
		}
	}
	return c.DB.Close()
}

// asAdmin marks control-socket callers as admin: the socket's 0600 mode is
// their authentication.
func asAdmin(next http.Handler) http.Handler {
	tok := auth.Token{ID: "control-socket", Name: "control-socket", Role: auth.Admin}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), tok)))
	})
}
