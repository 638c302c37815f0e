package daemon

import (
	"context"
	"fmt"
	"os"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"

	"github.com/auraconnect/aura-edge/internal/store"
)

// Service-manager notifications (systemd Type=notify, sd_notify(3)). Without
// NOTIFY_SOCKET in the environment (a terminal, a test, Windows) every call
// is a no-op.
//
//   - READY=1 once the store is open and the local API listens (d.Ready).
//   - WATCHDOG=1 every WatchdogSec/2 while the daemon proves it is live: a
//     write transaction on the store commits in time, and the outbox is
//     either idle (empty, or no cloud link to send on) or delivering. A
//     daemon whose store is wedged, or which holds a backlog on a connected
//     link without delivering anything for StallAfter, stops pinging and
//     systemd restarts it (Restart=always).
//   - STOPPING=1 when shutdown begins.

// StallAfter is how long a connected cloud link may hold a backlog without
// delivering a single event before the watchdog stops vouching for the
// daemon.
var StallAfter = 5 * time.Minute

// notifySystemd runs for the daemon's lifetime; Run starts it.
func (d *Daemon) notifySystemd(ctx context.Context, c *Core) {
	if os.Getenv("NOTIFY_SOCKET") == "" {
		return
	}
	select {
	case <-d.ready:
		d.sdNotify(sddaemon.SdNotifyReady + "\nSTATUS=ready: store " + d.cfg.StoreID)
	case <-ctx.Done():
		d.sdNotify(sddaemon.SdNotifyStopping)
		return
	}
	interval, err := sddaemon.SdWatchdogEnabled(false)
	if err != nil {
		d.log.Warn("systemd watchdog settings unreadable; not pinging", "err", err)
	}
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval / 2)
		defer t.Stop()
		tick = t.C
	}
	lv := &liveness{}
	for {
		select {
		case <-ctx.Done():
			d.sdNotify(sddaemon.SdNotifyStopping + "\nSTATUS=stopping")
			return
		case now := <-tick:
			if err := lv.check(ctx, c, now, interval/2); err != nil {
				d.log.Error("watchdog: not live, withholding the ping so systemd restarts the daemon", "err", err)
				d.sdNotify("STATUS=not live: " + err.Error())
				continue
			}
			d.sdNotify(sddaemon.SdNotifyWatchdog)
		}
	}
}

func (d *Daemon) sdNotify(state string) {
	if _, err := sddaemon.SdNotify(false, state); err != nil {
		d.log.Warn("systemd notify failed", "state", state, "err", err)
	}
}

// liveness remembers the outbox's progress between watchdog ticks.
type liveness struct {
	delivered uint64
	progress  time.Time // last time the outbox was idle or delivered
}

// check returns nil when the store commits a write within limit and the
// outbox is idle or making progress.
func (l *liveness) check(ctx context.Context, c *Core, now time.Time, limit time.Duration) error {
	if limit <= 0 {
		limit = 10 * time.Second
	}
	done := make(chan error, 1)
	go func() { done <- c.DB.Update(func(*store.Tx) error { return nil }) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("store write failed: %w", err)
		}
	case <-time.After(limit):
		return fmt.Errorf("store write did not commit within %s", limit)
	case <-ctx.Done():
		return nil
	}
	depth := 0
	for _, s := range c.Outbox.Stats() {
		depth += s.Depth
	}
	connected, delivered := false, uint64(0)
	if c.Cloud != nil {
		st := c.Cloud.State()
		connected, delivered = st.Connected, st.Delivered
	}
	return l.progressed(now, depth, connected, delivered)
}

// progressed judges the outbox: idle (empty, or no link to send on) or
// delivering is live; a backlog on a connected link with no delivery for
// StallAfter is not.
func (l *liveness) progressed(now time.Time, depth int, connected bool, delivered uint64) error {
	idle := depth == 0 || !connected
	if delivered != l.delivered {
		l.delivered = delivered
		idle = true
	}
	if idle || l.progress.IsZero() {
		l.progress = now
		return nil
	}
	if stalled := now.Sub(l.progress); stalled > StallAfter {
		return fmt.Errorf("outbox holds %d events on a connected cloud link and delivered none for %s", depth, stalled.Round(time.Second))
	}
	return nil
}
