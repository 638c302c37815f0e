package daemon

import (
	"context"
	"encoding/json"

	"github.com/auraconnect/aura-edge/drivers/transport/discover"
	"github.com/auraconnect/aura-edge/internal/outbox"
)

// DeviceEventType is the CloudEvents type of local device hot-plug events
// (telemetry stream, subject = the device's connection URL).
const DeviceEventType = "com.auraconnect.edge.device"

// deviceWatcher reports USB printers and USB-serial adapters plugged in or
// out while the daemon runs: logged, and sent to the cloud through the
// outbox. Nil when config hotplug.interval is negative.
func (c *Core) deviceWatcher() *discover.Watcher {
	w := c.Cfg.Hotplug.Watcher()
	if w == nil {
		return nil
	}
	log := c.Log.With("component", "hotplug")
	w.Log = log
	w.OnEvent = func(ctx context.Context, ev discover.DeviceEvent) {
		data, err := json.Marshal(ev)
		if err == nil {
			_, err = c.Outbox.Append(ctx, outbox.Entry{Stream: outbox.Telemetry, Type: DeviceEventType, Subject: ev.URL, Data: data})
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("device event not buffered for the cloud", "action", ev.Action, "url", ev.URL, "err", err)
		}
	}
	return w
}
