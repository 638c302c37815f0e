package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/localapi"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/store"
	"github.com/auraconnect/aura-edge/internal/version"
)

// Daemon is one running aura-edge.
type Daemon struct {
	cfg   *config.Config
	log   *slog.Logger
	start time.Time

	mu    sync.Mutex
	ready chan struct{}
	api   *localapi.Server
	db    *store.DB
	ob    *outbox.Outbox
}

// New checks what can be checked without I/O and returns a daemon ready to
// Run.
func New(cfg *config.Config, log *slog.Logger) (*Daemon, error) {
	if cfg == nil || cfg.StoreID == "" {
		return nil, errors.New("daemon: config with a store_id is required")
	}
	return &Daemon{cfg: cfg, log: log, ready: make(chan struct{})}, nil
}

// Ready is closed when every subsystem has started.
func (d *Daemon) Ready() <-chan struct{} { return d.ready }

// APIAddr returns the local API's TCP address once Ready.
func (d *Daemon) APIAddr() net.Addr {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.api == nil {
		return nil
	}
	return d.api.Addr()
}

// ControlSocket returns the control socket path for cfg.
func ControlSocket(cfg *config.Config) string {
	if cfg.API.ControlSocket != "" {
		return cfg.API.ControlSocket
	}
	return filepath.Join(cfg.DataDir, "aura-edge.sock")
}

// Run starts everything and blocks until ctx is cancelled or a subsystem
// fails. It returns nil after a clean shutdown.
func (d *Daemon) Run(ctx context.Context) error {
	d.start = time.Now()
	log := d.log
	db, err := store.Open(d.cfg.DataDir, store.Options{Logger: log.With("component", "store")})
	if err != nil {
		return err
	}
	d.db = db
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("close store", "err", err)
		}
		log.Info("store closed")
	}()

	ob, err := outbox.Open(db, outboxConfig(d.cfg), log.With("component", "outbox"))
	if err != nil {
		return fmt.Errorf("open outbox: %w", err)
	}
	d.ob = ob
	aud := audit.New(db, ob, audit.Config{}, log.With("component", "audit"))
	in := ingest.New(db, ob, log.With("component", "ingest"))

	api := localapi.New(localapi.Config{Listen: d.cfg.API.Listen, ControlSocket: ControlSocket(d.cfg)},
		log.With("component", "localapi"), nil, nil)
	api.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteJSON(w, http.StatusOK, d.Status())
	})
	localapi.CaptureRoutes(api, in, log.With("component", "localapi"))
	localapi.QueueRoutes(api, ob)
	localapi.SyncLogRoutes(api, aud)
	d.mu.Lock()
	d.api = api
	d.mu.Unlock()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return api.Run(gctx) })
	g.Go(func() error { return aud.Run(gctx) })
	go func() {
		select {
		case <-api.Ready():
			log.Info("aura-edge ready", "store_id", d.cfg.StoreID, "version", version.Version, "data_dir", d.cfg.DataDir)
			close(d.ready)
		case <-gctx.Done():
		}
	}()
	err = g.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("aura-edge: %w", err)
	}
	return nil
}

// Status is the daemon's state as the API and the cloud see it.
func (d *Daemon) Status() map[string]any {
	return map[string]any{
		"store_id": d.cfg.StoreID,
		"version":  version.Version,
		"uptime_s": int64(time.Since(d.start).Seconds()),
		"outbox":   d.ob.Stats(),
	}
}

// outboxConfig maps the config file's outbox section.
func outboxConfig(cfg *config.Config) outbox.Config {
	oc := outbox.Config{Streams: map[outbox.Stream]outbox.Limits{}}
	if cfg.Outbox.MaxOrders > 0 {
		oc.Streams[outbox.Orders] = outbox.Limits{MaxRows: cfg.Outbox.MaxOrders}
	}
	if cfg.Outbox.MaxPayments > 0 {
		oc.Streams[outbox.Payments] = outbox.Limits{MaxRows: cfg.Outbox.MaxPayments}
	}
	if n, err := config.ParseBytes(cfg.Outbox.MinFreeBytes); err == nil && n > 0 {
		oc.MinFreeBytes = uint64(n)
		oc.CriticalFreeBytes = min(oc.MinFreeBytes, 64<<20)
	}
	return oc
}
