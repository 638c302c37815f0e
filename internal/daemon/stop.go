package daemon

import (
	"context"
	"time"

	"github.com/auraconnect/aura-edge/internal/cloud"
)

// DefaultDrainTimeout bounds the drain stage of a stop when the config
// does not set shutdown.drain_timeout. With the API's and the link's own
// grace periods the whole stop stays well inside the shipped unit's
// TimeoutStopSec=90.
const DefaultDrainTimeout = 15 * time.Second

// drainPoll is how often the drain stage looks at the sinks' backlog.
const drainPoll = 20 * time.Millisecond

// drainTimeout is the configured drain bound.
func (d *Daemon) drainTimeout() time.Duration {
	if t := d.cfg.Shutdown.DrainTimeout; t > 0 {
		return t
	}
	return DefaultDrainTimeout
}

// backlog is what the sinks still have to do that they can do now: events
// in the outbox while the cloud link is connected, and print jobs queued
// for printers that are ready. Work they cannot do now (an offline printer,
// a broker that is down, events the broker acknowledged that await the
// cloud's receipt) stays durable in the store for the next start.
type backlog struct {
	Events int // outbox rows while the link is connected, less those awaiting only a receipt
	Jobs   int // queued jobs on ready printers
}

func (b backlog) empty() bool { return b.Events == 0 && b.Jobs == 0 }

func (c *Core) backlog() backlog {
	var b backlog
	if c.Cloud != nil && c.Cloud.State().Connected {
		for _, s := range c.Outbox.Stats() {
			b.Events += s.Depth
		}
		// Read after the depth: a receipt between the two reads then
		// counts its row once too often (one more poll), never too few.
		// When they fill the receipt window nothing else can go either.
		switch acked, full := c.Cloud.AwaitingReceiptOnly(); {
		case full:
			b.Events = 0
		default:
			b.Events = max(b.Events-acked, 0)
		}
	}
	for _, p := range c.Spool.Printers() {
		if p.State.Ready() {
			b.Jobs += p.QueueDepth
		}
	}
	return b
}

// drain waits until the sinks have nothing left they can deliver now, or
// until timeout passes, and returns what was left.
func (c *Core) drain(ctx context.Context, timeout time.Duration) (left backlog, done bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for {
		left = c.backlog()
		if left.empty() {
			return left, true
		}
		select {
		case <-ctx.Done():
			return c.backlog(), false
		case <-t.C:
		}
	}
}

// duringStop are the cloud commands that still run once intake has
// stopped: they need only sinks (the print spool, the link), which run
// until the drain ends.
var duringStop = map[string]bool{"print": true, "drawer.open": true, "ping": true, "status.request": true}

// commandGate refuses, once intake has begun to stop, every other cloud
// command (POS pulls and pushes, injections, relayed webhooks,
// provisioning, config changes): the parts they need (the bridge's loops,
// the scheduler) have stopped or are stopping. Nothing is recorded for the
// refused command, so the cloud's retry with the same id runs normally
// after the restart.
func (c *Core) commandGate(cmdType string) *cloud.CommandError {
	if c.stopping == nil || !c.stopping.Load() || duringStop[cmdType] {
		return nil
	}
	return &cloud.CommandError{Status: cloud.StatusError, Code: cloud.CodeShuttingDown,
		Message: "the store is shutting down and did not run " + cmdType + "; nothing was changed, so the cloud will retry it after the store restarts"}
}
