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

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/localapi"
	"github.com/auraconnect/aura-edge/internal/outbox"
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
	ob    *outbox.Outbox
	core  *Core
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
	c, err := OpenCore(d.cfg, log)
	if err != nil {
		return err
	}
	c.Health.StartedAt = d.start
	d.mu.Lock()
	d.core, d.api, d.ob = c, c.API, c.Outbox
	d.mu.Unlock()
	defer func() {
		if err := c.Close(); err != nil {
			log.Error("close store", "err", err)
		}
		log.Info("store closed")
	}()
	c.API.HandleFunc("GET /v1/status", localapi.StaffAccess, func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteJSON(w, http.StatusOK, d.Status())
	})
	if err := c.Bridge.Start(); err != nil {
		return err
	}
	// Auto-prints of orders captured just before a crash.
	if n, err := c.Ingest.ReplayPending(); err != nil {
		log.Error("replay pending auto-prints", "err", err)
	} else if n > 0 {
		log.Info("auto-prints replayed after a restart", "orders", n)
	}
	if err := c.openCloud(d.statusExtra); err != nil {
		return err
	}

	// Sinks first (they are ready to take what sources produce), then the
	// sources; on cancel everything stops and in-flight work drains.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.Audit.Run(gctx) })
	g.Go(func() error { return c.Spool.Run(gctx) })
	g.Go(func() error { return c.PrinterEvents.Run(gctx) })
	g.Go(func() error { return c.Terminals.Run(gctx) })
	if c.Cloud != nil {
		g.Go(func() error { return c.Cloud.Run(gctx) })
	}
	g.Go(func() error { return c.Scheduler.Run(gctx) })
	g.Go(func() error { return c.Outbox.RunCompactor(gctx) })
	g.Go(func() error { return c.Bridge.Run(gctx) })
	g.Go(func() error { return c.Ingest.Run(gctx) })
	g.Go(func() error { return c.API.Run(gctx) })
	if w := c.deviceWatcher(); w != nil {
		g.Go(func() error { return w.Run(gctx) })
	}
	go func() {
		select {
		case <-c.API.Ready():
			log.Info("aura-edge ready", "store_id", d.cfg.StoreID, "version", version.Version, "data_dir", d.cfg.DataDir)
			close(d.ready)
		case <-gctx.Done():
		}
	}()
	go d.notifySystemd(gctx, c) // sd_notify READY/WATCHDOG/STOPPING (notify.go)
	err = g.Wait()
	c.Bridge.WaitFetches()
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("aura-edge: %w", err)
	}
	return nil
}

// Core returns the running core (nil before Run has opened it).
func (d *Daemon) Core() *Core {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.core
}

// Status is the daemon's state as the local API shows it.
func (d *Daemon) Status() map[string]any {
	st := map[string]any{
		"store_id": d.cfg.StoreID,
		"version":  version.Version,
		"uptime_s": int64(time.Since(d.start).Seconds()),
		"outbox":   localapi.QueueView(d.ob),
	}
	c := d.Core()
	if c != nil && c.Cloud != nil {
		st["cloud"] = c.Cloud.State()
	} else {
		st["cloud"] = map[string]any{"state": "offline", "reason": "no broker configured"}
	}
	for k, v := range d.statusExtra() {
		st[k] = v
	}
	return st
}

// statusExtra is what the daemon adds to the cloud's retained status.
func (d *Daemon) statusExtra() map[string]any {
	c := d.Core()
	if c == nil {
		return nil
	}
	out := map[string]any{}
	retries, dead := c.Bridge.Queue()
	out["menu_retries"], out["dead_letters"] = retries, dead
	out["outbox_dead_letters"] = c.Outbox.DeadCount()
	out["menu_drift"], out["menu_unavailable"] = c.Bridge.MenuSummary()
	out["sync"] = c.Scheduler.States()
	out["printers"] = c.Spool.Printers()
	if ts := c.Terminals.Status(); len(ts) > 0 {
		out["terminals"] = ts
	}
	out["provisioning_key"] = c.Provision.Public()
	return out
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
