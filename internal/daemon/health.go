package daemon

import (
	"context"
	"net/http"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/health"
	"github.com/auraconnect/aura-edge/internal/localapi"
	"github.com/auraconnect/aura-edge/internal/localapi/statuspage"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/version"
)

// printerStatusInterval is how often an idle printer is asked for its
// status, so that a state change reaches the status page and the cloud
// within about two seconds.
const printerStatusInterval = time.Second

// newHealth builds the health sources (filled in by fillHealth once the
// subsystems exist), the metrics over them and the printer event sender.
func (c *Core) newHealth() {
	c.Health = &health.Sources{StoreID: c.Cfg.StoreID, Version: version.Version, StartedAt: time.Now()}
	c.Metrics = health.NewMetrics(c.Health)
	c.Metrics.InitVendors(pos.Names())
}

// fillHealth points the health sources at the subsystems.
func (c *Core) fillHealth() {
	h := c.Health
	h.Outbox = c.Outbox.Stats
	if c.Terminals != nil && len(c.Cfg.Terminals) > 0 {
		h.Terminals = c.terminalHealth
	}
	h.OutboxDead = c.Outbox.DeadCount
	h.Printers = c.Spool.Printers
	h.Jobs = c.Spool.Jobs
	h.MenuQueue = c.Bridge.Queue
	h.StoreBytes = func() int64 { return int64(c.DB.Size()) }
	h.MenuSummary = c.Bridge.MenuSummary
	h.Sync = c.Scheduler.States
	h.TerminalStatus = c.Terminals.Status
	h.ProvisioningKey = c.Provision.Public
	h.Audit = func(n int) ([]audit.Record, error) { return c.Audit.Query(audit.Filter{Limit: n}) }
	h.Integrations = func(ctx context.Context) ([]health.Integration, error) {
		all, err := c.Bridge.Status(ctx, false)
		if err != nil {
			return nil, err
		}
		out := make([]health.Integration, 0, len(all))
		for _, s := range all {
			in := health.Integration{ID: s.ID, Vendor: s.Vendor, Name: s.Name, PendingRetries: s.PendingRetries, DeadLetters: s.DeadLetters}
			if s.LastOrderSync != nil {
				in.LastPull = &health.Sync{Time: s.LastOrderSync.Time, Status: s.LastOrderSync.Status, Message: s.LastOrderSync.Message}
			}
			if s.LastMenuSync != nil {
				in.LastPush = &health.Sync{Time: s.LastMenuSync.Time, Status: s.LastMenuSync.Status, Message: s.LastMenuSync.Message}
			}
			if s.LastError != nil {
				in.LastError = &health.Sync{Time: s.LastError.Time, Status: s.LastError.Status, Message: s.LastError.Message}
			}
			out = append(out, in)
		}
		return out, nil
	}
	c.PrinterEvents = health.NewPrinterEvents(func(ctx context.Context, ev health.PrinterEvent) error {
		_, err := c.Outbox.Append(ctx, outbox.Entry{Stream: outbox.Telemetry, Type: health.PrinterEventType,
			Subject: ev.Printer, Data: ev.Marshal()})
		return err
	}, c.Log.With("component", "health"))
}

// terminalHealth reports each till listener into the health snapshot.
func (c *Core) terminalHealth() []health.Terminal {
	st := c.Terminals.Status()
	out := make([]health.Terminal, 0, len(st))
	for _, t := range st {
		ht := health.Terminal{Name: t.Name, State: t.State, Unparsed: int(t.Unparsed), LastError: t.Error,
			Listen: t.Listen, Mode: t.Mode, Printer: t.Printer, PrinterReachable: t.PrinterReachable,
			Sessions: t.Sessions, PendingJobs: t.PendingJobs, BytesIn: t.BytesIn, Receipts: t.Receipts, Sales: t.Sales,
			Duplicates: t.Duplicates, Queued: t.Queued, StatusReplies: t.StatusReplies, CopyDropped: t.CopyDropped,
			DeliverErrors: t.DeliverErrors, Interrupted: t.Interrupted}
		if ht.LastError == "" {
			ht.LastError = t.PrinterError
		}
		if t.LastCapture != nil {
			ht.LastCapture = t.LastCapture.At
		}
		out = append(out, ht)
	}
	return out
}

// linkHealth reads the cloud link's state once it exists.
func (c *Core) linkHealth() health.Link {
	if c.Cloud == nil {
		return health.Link{State: "not_configured"}
	}
	st := c.Cloud.State()
	return health.Link{State: st.State, Connected: st.Connected, Broker: st.Broker, Since: st.Since, LastError: st.LastError,
		Reconnects: st.Reconnects, Delivered: st.Delivered, Commands: st.Commands,
		DeadLetters: st.DeadLetters, AwaitingReceipt: st.AwaitingReceipt, Unconfirmed: st.Unconfirmed}
}

// spoolHooks are the spool options that report into health.
func (c *Core) spoolHooks(o spool.Options) spool.Options {
	o.StatusInterval = printerStatusInterval
	o.OnState = func(p spool.PrinterStatus) {
		c.Metrics.PrinterState(p)
		if c.PrinterEvents != nil {
			c.PrinterEvents.Changed(p)
		}
	}
	o.OnJob = c.Metrics.PrintJob
	return o
}

// healthRoutes registers GET /v1/health (the snapshot), GET /v1/status
// (the snapshot's identity, link and outbox with the status facts) and
// GET /metrics.
func (c *Core) healthRoutes() {
	c.API.HandleFunc("GET /v1/health", localapi.StaffAccess, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		localapi.WriteJSON(w, http.StatusOK, c.Health.Snapshot(r.Context()))
	})
	c.API.HandleFunc("GET /v1/status", localapi.StaffAccess, func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteJSON(w, http.StatusOK, c.Health.Status())
	})
	c.API.Handle("GET /metrics", localapi.MetricsAccess, c.Metrics.Handler())
	statuspage.Routes(c.API, c.Sessions, c.Log.With("component", "statuspage"))
}
