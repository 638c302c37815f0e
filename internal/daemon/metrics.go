package daemon

import (
	"fmt"
	"net/http"

	"github.com/VictoriaMetrics/metrics"

	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// metricsHandler serves GET /metrics in the Prometheus text format: the
// outbox per stream, the cloud link, printers and sync flows. Values are
// read when scraped; nothing is kept in between.
func (d *Daemon) metricsHandler(c *Core) http.HandlerFunc {
	set := metrics.NewSet()
	for _, s := range outbox.Streams {
		stat := func() outbox.StreamStats {
			for _, st := range c.Outbox.Stats() {
				if st.Stream == s {
					return st
				}
			}
			return outbox.StreamStats{}
		}
		label := fmt.Sprintf(`{stream=%q}`, s)
		set.NewGauge("aura_outbox_depth"+label, func() float64 { return float64(stat().Depth) })
		set.NewGauge("aura_outbox_bytes"+label, func() float64 { return float64(stat().Bytes) })
		set.NewGauge("aura_outbox_oldest_age_seconds"+label, func() float64 { return stat().OldestAge.Seconds() })
		set.NewGauge("aura_outbox_full"+label, func() float64 { return b2f(stat().Full) })
		set.NewGauge("aura_outbox_dropped_total"+label, func() float64 { return float64(stat().Dropped) })
		set.NewGauge("aura_outbox_refused_total"+label, func() float64 { return float64(stat().Refused) })
		set.NewGauge("aura_outbox_dead_letters"+label, func() float64 { return float64(c.Outbox.DeadCount()[s]) })
	}
	if c.Cloud != nil {
		set.NewGauge("aura_cloud_connected", func() float64 { return b2f(c.Cloud.Connected()) })
		set.NewGauge("aura_cloud_delivered_total", func() float64 { return float64(c.Cloud.State().Delivered) })
		set.NewGauge("aura_cloud_reconnects_total", func() float64 { return float64(c.Cloud.State().Reconnects) })
		set.NewGauge("aura_cloud_commands_total", func() float64 { return float64(c.Cloud.State().Commands) })
		set.NewGauge("aura_cloud_dead_letters_total", func() float64 { return float64(c.Cloud.State().DeadLetters) })
		set.NewGauge("aura_cloud_awaiting_receipt", func() float64 { return float64(c.Cloud.State().AwaitingReceipt) })
		set.NewGauge("aura_cloud_unconfirmed_total", func() float64 { return float64(c.Cloud.State().Unconfirmed) })
	}
	for _, p := range c.Spool.Printers() {
		name := p.Name
		get := func() spool.PrinterStatus {
			st, _ := c.Spool.Printer(name)
			return st
		}
		label := fmt.Sprintf(`{printer=%q}`, name)
		set.NewGauge("aura_printer_online"+label, func() float64 { return b2f(get().State == spool.StateOnline) })
		set.NewGauge("aura_printer_queued_jobs"+label, func() float64 { return float64(get().QueueDepth) })
	}
	set.NewGauge("aura_menu_retries_pending", func() float64 {
		r, _ := c.Bridge.Queue()
		n := 0
		for _, v := range r {
			n += v
		}
		return float64(n)
	})
	set.NewGauge("aura_dead_letters", func() float64 {
		_, dl := c.Bridge.Queue()
		n := 0
		for _, v := range dl {
			n += v
		}
		return float64(n)
	})
	set.NewGauge("aura_store_bytes", func() float64 { return float64(c.DB.Size()) })
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		set.WritePrometheus(w)
		metrics.WriteProcessMetrics(w)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
