package health

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// Namespace prefixes every aura-edge metric family.
const Namespace = "aura"

// printerStates are the values of aura_printer_state's state label.
var printerStates = []spool.PrinterState{
	spool.StateUnknown, spool.StateOnline, spool.StatePaperNearEnd, spool.StateOffline,
	spool.StatePaperOut, spool.StateCoverOpen, spool.StateError,
}

// linkStates are the values of aura_cloud_link_state's state label.
var linkStates = []string{"connected", "connecting", "waiting", "stopped", "not_configured"}

// Metrics is aura-edge's Prometheus registry: counters that the parts
// increment as things happen, gauges read from Sources at each scrape, and
// the Go runtime and process collectors. Its methods are safe for
// concurrent use and a nil *Metrics ignores every call.
type Metrics struct {
	reg *prometheus.Registry
	src *Sources

	captures      *prometheus.CounterVec
	deliveries    *prometheus.CounterVec
	pubackLatency prometheus.Histogram
	printJobs     *prometheus.CounterVec
	printerEvents *prometheus.CounterVec
	vendorReqs    *prometheus.CounterVec
	vendorLatency *prometheus.HistogramVec
	auditRecords  *prometheus.CounterVec
	auditFailures prometheus.Counter
}

// NewMetrics builds the registry over src (read at scrape time; it may be
// filled in later, before the first scrape).
func NewMetrics(src *Sources) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), src: src}
	m.captures = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "captures_total",
		Help: "Orders and payments received, by kind (order, payment), source (the record's source vendor: a POS vendor or a local terminal's name) and result (buffered, duplicate, invalid, refused, error)."},
		[]string{"kind", "source", "result"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "cloud_deliveries_total",
		Help: "Outbox events the MQTT broker acknowledged (PUBACK), by stream."}, []string{"stream"})
	m.pubackLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "cloud_puback_latency_seconds",
		Help:    "Time from publishing an outbox event to the broker's PUBACK.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}})
	m.printJobs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "print_jobs_total",
		Help: "Print jobs that reached a final state, by printer and result (printed, unconfirmed, failed, cancelled)."},
		[]string{"printer", "result"})
	m.printerEvents = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "printer_state_changes_total",
		Help: "Printer state changes seen, by printer and the new state."}, []string{"printer", "state"})
	m.vendorReqs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "vendor_requests_total",
		Help: "HTTP requests to POS vendor APIs, by vendor, operation (order_pull, menu_push, webhook_fetch, other) and status (the HTTP status code, or error when no response came)."},
		[]string{"vendor", "operation", "status"})
	m.vendorLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "vendor_request_duration_seconds",
		Help:    "Duration of HTTP requests to POS vendor APIs, by vendor and operation.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"vendor", "operation"})
	m.auditRecords = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "audit_records_total",
		Help: "Audit (sync log) records written, by type and status (success, failed, retrying, unsupported, rejected)."},
		[]string{"type", "status"})
	m.auditFailures = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "audit_write_failures_total",
		Help: "Audit records that could not be stored."})
	for _, s := range outbox.Streams {
		m.deliveries.WithLabelValues(string(s)) // every stream shows, at 0
	}
	m.reg.MustRegister(m.captures, m.deliveries, m.pubackLatency, m.printJobs, m.printerEvents,
		m.vendorReqs, m.vendorLatency, m.auditRecords, m.auditFailures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&stateCollector{src: src})
	return m
}

// Operations are the vendor operations that label vendor requests.
var Operations = []string{"order_pull", "menu_push", "webhook_fetch", "other"}

// InitVendors makes the vendor request duration series of each vendor
// show (empty) before its first request, so that dashboards and alerts
// see the family from the start.
func (m *Metrics) InitVendors(vendors []string) {
	if m == nil {
		return
	}
	for _, v := range vendors {
		for _, op := range Operations {
			m.vendorLatency.WithLabelValues(v, op)
		}
	}
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Capture counts one received record.
func (m *Metrics) Capture(kind, source, result string) {
	if m == nil {
		return
	}
	if source == "" {
		source = "unknown"
	}
	m.captures.WithLabelValues(kind, source, result).Inc()
}

// Delivered counts n events of stream acknowledged by the broker.
func (m *Metrics) Delivered(stream string, n int) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(stream).Add(float64(n))
}

// PubAck observes one PUBACK latency.
func (m *Metrics) PubAck(d time.Duration) {
	if m == nil {
		return
	}
	m.pubackLatency.Observe(d.Seconds())
}

// PrintJob counts a job that reached a final state.
func (m *Metrics) PrintJob(j spool.Job) {
	if m == nil {
		return
	}
	m.printJobs.WithLabelValues(j.Printer, string(j.State)).Inc()
}

// PrinterState counts a printer state change.
func (m *Metrics) PrinterState(p spool.PrinterStatus) {
	if m == nil {
		return
	}
	m.printerEvents.WithLabelValues(p.Name, string(p.State)).Inc()
}

// Audit counts an audit record written, or one that failed to be stored.
func (m *Metrics) Audit(typ, status string, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.auditFailures.Inc()
		return
	}
	m.auditRecords.WithLabelValues(typ, status).Inc()
}

// VendorTransport wraps rt (nil: http.DefaultTransport) so that requests
// to vendor's API are counted and timed; the operation comes from the
// request's context (WithOperation).
func (m *Metrics) VendorTransport(vendor string, rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	if m == nil {
		return rt
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		op := Operation(r.Context())
		start := time.Now()
		resp, err := rt.RoundTrip(r)
		status := "error"
		if err == nil {
			status = strconv.Itoa(resp.StatusCode)
		}
		m.vendorReqs.WithLabelValues(vendor, op, status).Inc()
		m.vendorLatency.WithLabelValues(vendor, op).Observe(time.Since(start).Seconds())
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type opKey struct{}

// WithOperation names the vendor operation (order_pull, menu_push,
// webhook_fetch) that requests made with ctx belong to.
func WithOperation(ctx context.Context, op string) context.Context {
	return context.WithValue(ctx, opKey{}, op)
}

// Operation returns the operation WithOperation set, or "other".
func Operation(ctx context.Context) string {
	if op, ok := ctx.Value(opKey{}).(string); ok {
		return op
	}
	return "other"
}

// stateCollector reads the gauges from Sources at each scrape.
type stateCollector struct{ src *Sources }

var (
	descOutboxDepth  = prometheus.NewDesc(Namespace+"_outbox_depth", "Events waiting in the outbox for the cloud, by stream.", []string{"stream"}, nil)
	descOutboxBytes  = prometheus.NewDesc(Namespace+"_outbox_bytes", "Bytes of the events waiting in the outbox, by stream.", []string{"stream"}, nil)
	descOutboxOldest = prometheus.NewDesc(Namespace+"_outbox_oldest_age_seconds", "Age of the oldest event waiting in the outbox, by stream (0 when empty).", []string{"stream"}, nil)
	descOutboxFull   = prometheus.NewDesc(Namespace+"_outbox_full", "1 while the stream refuses (or, for telemetry, drops) events because it is full.", []string{"stream"}, nil)
	descOutboxDrop   = prometheus.NewDesc(Namespace+"_outbox_dropped_total", "Telemetry events dropped because the stream was full, by stream.", []string{"stream"}, nil)
	descOutboxRefuse = prometheus.NewDesc(Namespace+"_outbox_refused_total", "Writes refused because the stream was full or the disk nearly full, by stream.", []string{"stream"}, nil)
	descOutboxDead   = prometheus.NewDesc(Namespace+"_outbox_dead_letters", "Events set aside as dead letters because the broker would not take them, by stream (aura-edge queue dead).", []string{"stream"}, nil)
	descLinkDead     = prometheus.NewDesc(Namespace+"_cloud_dead_letters_total", "Events this process moved to the dead letters.", nil, nil)
	descAwaiting     = prometheus.NewDesc(Namespace+"_cloud_awaiting_receipt", "Events published and waiting for the cloud's receipt (receipts mode).", nil, nil)
	descUnconfirmed  = prometheus.NewDesc(Namespace+"_cloud_unconfirmed_total", "Events sent again because their receipt did not come in time (receipts mode).", nil, nil)
	descTermUp       = prometheus.NewDesc(Namespace+"_terminal_printer_reachable", "1 while the till's printer can be reached (its bytes pass straight through).", []string{"terminal"}, nil)
	descTermSess     = prometheus.NewDesc(Namespace+"_terminal_sessions", "Till connections open now.", []string{"terminal"}, nil)
	descTermPending  = prometheus.NewDesc(Namespace+"_terminal_pending_jobs", "The till's print segments waiting in the print queue for its printer.", []string{"terminal"}, nil)
	descTermCount    = prometheus.NewDesc(Namespace+"_terminal_events_total", "Till capture counters by what happened: bytes, receipts, sales, unparsed, duplicates, queued_segments, status_replies, copy_dropped_bytes, deliver_errors, interrupted.", []string{"terminal", "what"}, nil)
	descLinkUp       = prometheus.NewDesc(Namespace+"_cloud_connected", "1 while the MQTT link to the cloud is connected.", nil, nil)
	descLinkState    = prometheus.NewDesc(Namespace+"_cloud_link_state", "The MQTT link's state: 1 for the current state, 0 for the others.", []string{"state"}, nil)
	descLinkSince    = prometheus.NewDesc(Namespace+"_cloud_link_state_since_seconds", "Unix time when the MQTT link entered its current state.", nil, nil)
	descReconnects   = prometheus.NewDesc(Namespace+"_cloud_reconnects_total", "Successful MQTT connections after the first.", nil, nil)
	descDelivered    = prometheus.NewDesc(Namespace+"_cloud_delivered_total", "Outbox events delivered to the broker since start (all streams).", nil, nil)
	descCommands     = prometheus.NewDesc(Namespace+"_cloud_commands_total", "Cloud command deliveries processed since start.", nil, nil)
	descPrinterState = prometheus.NewDesc(Namespace+"_printer_state", "Each printer's state: 1 for the current state, 0 for the others.", []string{"printer", "state"}, nil)
	descPrinterUp    = prometheus.NewDesc(Namespace+"_printer_online", "1 while the printer takes jobs (online or paper near end).", []string{"printer"}, nil)
	descPrinterQueue = prometheus.NewDesc(Namespace+"_printer_queued_jobs", "Jobs waiting for each printer.", []string{"printer"}, nil)
	descUptime       = prometheus.NewDesc(Namespace+"_uptime_seconds", "Seconds since the daemon started.", nil, nil)
	descRetries      = prometheus.NewDesc(Namespace+"_menu_retries_pending", "Menu pushes waiting to be retried (all integrations).", nil, nil)
	descDeadLetters  = prometheus.NewDesc(Namespace+"_dead_letters", "Menu pushes given up after their retries (all integrations).", nil, nil)
	descStoreBytes   = prometheus.NewDesc(Namespace+"_store_bytes", "Size of the bbolt data file.", nil, nil)
	descBuild        = prometheus.NewDesc(Namespace+"_build_info", "Always 1; the version label says which aura-edge runs.", []string{"version"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOutboxDepth, descOutboxBytes, descOutboxOldest, descOutboxFull, descOutboxDrop,
		descTermUp, descTermSess, descTermPending, descTermCount, descOutboxRefuse, descOutboxDead, descLinkDead, descAwaiting, descUnconfirmed, descLinkUp, descLinkState, descLinkSince, descReconnects, descDelivered, descCommands,
		descPrinterState, descPrinterUp, descPrinterQueue, descUptime, descBuild, descRetries, descDeadLetters, descStoreBytes} {
		ch <- d
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	for _, st := range s.Streams() {
		gauge(descOutboxDepth, float64(st.Depth), st.Stream)
		gauge(descOutboxBytes, float64(st.Bytes), st.Stream)
		gauge(descOutboxOldest, st.OldestAgeS, st.Stream)
		gauge(descOutboxFull, b2f(st.Full), st.Stream)
		counter(descOutboxDrop, float64(st.Dropped), st.Stream)
		counter(descOutboxRefuse, float64(st.Refused), st.Stream)
		gauge(descOutboxDead, float64(st.DeadLetters), st.Stream)
	}
	l := s.LinkState()
	gauge(descLinkUp, b2f(l.Connected))
	for _, st := range linkStates {
		gauge(descLinkState, b2f(l.State == st), st)
	}
	if !l.Since.IsZero() {
		gauge(descLinkSince, float64(l.Since.UnixMilli())/1000)
	}
	counter(descReconnects, float64(l.Reconnects))
	counter(descDelivered, float64(l.Delivered))
	counter(descCommands, float64(l.Commands))
	counter(descLinkDead, float64(l.DeadLetters))
	gauge(descAwaiting, float64(l.AwaitingReceipt))
	counter(descUnconfirmed, float64(l.Unconfirmed))
	if s.Printers != nil {
		for _, p := range s.Printers() {
			for _, st := range printerStates {
				gauge(descPrinterState, b2f(p.State == st), p.Name, string(st))
			}
			gauge(descPrinterUp, b2f(p.State == spool.StateOnline || p.State == spool.StatePaperNearEnd), p.Name)
			gauge(descPrinterQueue, float64(p.QueueDepth), p.Name)
		}
	}
	if s.Terminals != nil {
		for _, t := range s.Terminals() {
			gauge(descTermUp, b2f(t.PrinterReachable), t.Name)
			gauge(descTermSess, float64(t.Sessions), t.Name)
			gauge(descTermPending, float64(t.PendingJobs), t.Name)
			for _, c := range []struct {
				what string
				v    uint64
			}{{"bytes", t.BytesIn}, {"receipts", t.Receipts}, {"sales", t.Sales}, {"unparsed", uint64(t.Unparsed)},
				{"duplicates", t.Duplicates}, {"queued_segments", t.Queued}, {"status_replies", t.StatusReplies},
				{"copy_dropped_bytes", t.CopyDropped}, {"deliver_errors", t.DeliverErrors}, {"interrupted", t.Interrupted}} {
				counter(descTermCount, float64(c.v), t.Name, c.what)
			}
		}
	}
	if !s.StartedAt.IsZero() {
		gauge(descUptime, s.now().Sub(s.StartedAt).Seconds())
	}
	gauge(descBuild, 1, s.Version)
	if s.MenuQueue != nil {
		r, d := s.MenuQueue()
		gauge(descRetries, float64(sum(r)))
		gauge(descDeadLetters, float64(sum(d)))
	}
	if s.StoreBytes != nil {
		gauge(descStoreBytes, float64(s.StoreBytes()))
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
