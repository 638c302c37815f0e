package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/health"
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
	if err := c.Bridge.Start(); err != nil {
		return err
	}
	// Auto-prints of orders captured just before a crash.
	if n, err := c.Ingest.ReplayPending(); err != nil {
		log.Error("replay pending auto-prints", "err", err)
	} else if n > 0 {
		log.Info("auto-prints replayed after a restart", "orders", n)
	}
	if err := c.openCloud(); err != nil {
		return err
	}

	// A staged stop (doc.go): sinks run on their own context, which the
	// stop cancels only after intake has stopped and the sinks have drained
	// what they can deliver now (bounded by shutdown.drain_timeout). A
	// failing sink stops intake too.
	intakeCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	sinkBase, stopSinks := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSinks()
	sinks, sinkCtx := errgroup.WithContext(sinkBase)
	intake, ictx := errgroup.WithContext(intakeCtx)
	stopAfter := context.AfterFunc(sinkCtx, stopIntake)
	defer stopAfter()
	// From the moment intake begins to stop, cloud commands that need it
	// get a retryable refusal (stop.go: commandGate).
	gateAfter := context.AfterFunc(ictx, func() { c.stopping.Store(true) })
	defer gateAfter()

	// Sinks first: they are ready to take what intake produces.
	sinks.Go(func() error { return c.Audit.Run(sinkCtx) })
	sinks.Go(func() error { return c.Spool.Run(sinkCtx) })
	sinks.Go(func() error { return c.PrinterEvents.Run(sinkCtx) })
	if c.Cloud != nil {
		sinks.Go(func() error { return c.Cloud.Run(sinkCtx) })
	}
	sinks.Go(func() error { return c.Outbox.RunCompactor(sinkCtx) })
	sinks.Go(func() error { return c.Ingest.Run(sinkCtx) })
	// Intake: the local API (captures, webhooks, staff), POS pulls and
	// their schedule, terminal capture, device watch.
	intake.Go(func() error { return c.Terminals.Run(ictx) })
	intake.Go(func() error { return c.Scheduler.Run(ictx) })
	intake.Go(func() error { return c.Bridge.Run(ictx) })
	intake.Go(func() error { return c.API.Run(ictx) })
	if w := c.deviceWatcher(); w != nil {
		intake.Go(func() error { return w.Run(ictx) })
	}
	go func() {
		select {
		case <-c.API.Ready():
			log.Info("aura-edge ready", "store_id", d.cfg.StoreID, "version", version.Version, "data_dir", d.cfg.DataDir)
			close(d.ready)
		case <-ictx.Done():
		}
	}()
	go d.notifySystemd(ictx, c) // sd_notify READY/WATCHDOG/STOPPING (notify.go)

	// Stage 1: intake. Wait returns once the stop began (ctx), an intake
	// loop failed, or a sink failed; every intake loop has returned.
	intakeErr := intake.Wait()
	c.Bridge.WaitFetches()
	c.Ingest.Wait() // auto-print hooks of orders already acknowledged reach the spool
	log.Info("stopping: intake stopped, draining", "deadline", d.drainTimeout())
	// Stage 2: the sinks drain what they can deliver now, within the
	// deadline; the rest stays durable in the store.
	if sinkCtx.Err() == nil {
		start := time.Now()
		left, ok := c.drain(sinkCtx, d.drainTimeout())
		if ok {
			log.Info("stopping: sinks drained", "took", time.Since(start).Round(time.Millisecond))
		} else {
			log.Warn("stopping: drain deadline passed; the rest stays in the store for the next start",
				"events", left.Events, "print_jobs", left.Jobs, "deadline", d.drainTimeout())
		}
	}
	stopSinks()
	sinkErr := sinks.Wait()
	// Stage 3: the store closes (the deferred Close above).
	for _, err := range []error{intakeErr, sinkErr} {
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("aura-edge: %w", err)
		}
	}
	return nil
}

// Core returns the running core (nil before Run has opened it).
func (d *Daemon) Core() *Core {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.core
}

// Status is the daemon's state as GET /v1/status shows it (the health
// sources' Status).
func (d *Daemon) Status() health.DaemonStatus {
	if c := d.Core(); c != nil {
		return c.Health.Status()
	}
	return health.DaemonStatus{StoreID: d.cfg.StoreID, Version: version.Version, Cloud: health.Link{State: "not_configured"}}
}
