package daemon

import (
	"fmt"
	"net/http"

	"github.com/VictoriaMetrics/metrics"

	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/terminal"
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
	}
	if c.Cloud != nil {
		set.NewGauge("aura_cloud_connected", func() float64 { return b2f(c.Cloud.Connected()) })
		set.NewGauge("aura_cloud_delivered_total", func() float64 { return float64(c.Cloud.State().Delivered) })
		set.NewGauge("aura_cloud_reconnects_total", func() float64 { return float64(c.Cloud.State().Reconnects) })
		set.NewGauge("aura_cloud_commands_total", func() float64 { return float64(c.Cloud.State().Commands) })
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
	for i, ts := range c.Terminals.Status() {
		get := func() terminal.Status { return c.Terminals.Status()[i] }
		label := fmt.Sprintf(`{terminal=%q}`, ts.Name)
		set.NewGauge("aura_terminal_connected"+label, func() float64 { return float64(get().Sessions) })
		set.NewGauge("aura_terminal_printer_reachable"+label, func() float64 { return b2f(get().PrinterReachable) })
		set.NewGauge("aura_terminal_bytes_total"+label, func() float64 { return float64(get().BytesIn) })
		set.NewGauge("aura_terminal_receipts_total"+label, func() float64 { return float64(get().Receipts) })
		set.NewGauge("aura_terminal_sales_total"+label, func() float64 { return float64(get().Sales) })
		set.NewGauge("aura_terminal_unparsed_total"+label, func() float64 { return float64(get().Unparsed) })
		set.NewGauge("aura_terminal_duplicates_total"+label, func() float64 { return float64(get().Duplicates) })
		set.NewGauge("aura_terminal_queued_segments_total"+label, func() float64 { return float64(get().Queued) })
		set.NewGauge("aura_terminal_pending_jobs"+label, func() float64 { return float64(get().PendingJobs) })
		set.NewGauge("aura_terminal_status_replies_total"+label, func() float64 { return float64(get().StatusReplies) })
		set.NewGauge("aura_terminal_copy_dropped_bytes_total"+label, func() float64 { return float64(get().CopyDropped) })
		set.NewGauge("aura_terminal_deliver_errors_total"+label, func() float64 { return float64(get().DeliverErrors) })
		set.NewGauge("aura_terminal_interrupted_total"+label, func() float64 { return float64(get().Interrupted) })
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
