package daemon

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/health"
	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/testkit"
)

// needTool returns the path of an external test tool; without it the test
// fails under CI=true and is skipped elsewhere (testkit.Need).
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	return testkit.Need(t, name, "Debian package "+pkg+"; .ci/run installs it")
}

// waitUntil polls cond every 10 ms until it holds or timeout passes
// (testkit.WaitFor).
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	testkit.WaitFor(t, what, timeout, cond)
}

func printerConfig(pr *printertest.Printer) func(*config.Config) {
	return func(c *config.Config) {
		c.Printers = []config.Printer{{Name: "front", Connection: pr.URL(), Profile: "TM-T88V"}}
	}
}

// TestPrinterStateReachesCloud: each change the printer reports (paper
// out, cover open, off, back online) arrives on the telemetry topic over a
// real broker within 2 s, and a flapping printer sends at most one event
// a second.
func TestPrinterStateReachesCloud(t *testing.T) {
	cloudtest.NeedMosquitto(t)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	const storeID = "printer-events"
	topic := "aura/v1/stores/" + storeID + "/events/telemetry"
	sub := cloudtest.Subscribe(t, mq.URL(), topic, cloudtest.SubscriberOptions{})
	pr := printertest.Start(t)
	edit := printerConfig(pr)
	startDaemon(t, func(c *config.Config) {
		edit(c)
		c.StoreID = storeID
		c.Cloud.Broker = mq.URL()
	})
	events := func() []health.PrinterEvent {
		var out []health.PrinterEvent
		for _, env := range sub.Envelopes(topic) {
			if env.Type != health.PrinterEventType || env.Subject != "front" {
				t.Fatalf("unexpected telemetry event %+v", env)
			}
			var ev health.PrinterEvent
			if err := json.Unmarshal(env.Data, &ev); err != nil {
				t.Fatal(err)
			}
			out = append(out, ev)
		}
		return out
	}
	last := func() spool.PrinterState {
		evs := events()
		if len(evs) == 0 {
			return ""
		}
		return evs[len(evs)-1].State
	}
	// The first status query brings the first event.
	sub.Wait(t, 10*time.Second, "first printer event", func() bool { return last() == spool.StateOnline })
	for _, step := range []struct {
		mode printertest.Mode
		want spool.PrinterState
	}{
		{printertest.PaperOut, spool.StatePaperOut},
		{printertest.Online, spool.StateOnline},
		{printertest.CoverOpen, spool.StateCoverOpen},
		{printertest.Offline, spool.StateOffline},
		{printertest.Online, spool.StateOnline},
	} {
		// Changes closer than the debounce gap wait for it: this test is
		// about the latency of one change.
		time.Sleep(health.DefaultEventGap)
		start := time.Now()
		pr.SetMode(step.mode)
		if err := sub.WaitErr(2*time.Second, func() bool { return last() == step.want }); err != nil {
			t.Fatalf("printer went %s: no %s event within 2 s (events %+v)", step.mode, step.want, events())
		}
		t.Logf("%s -> event %s after %s", step.mode, step.want, time.Since(start).Round(time.Millisecond))
	}
	// Flapping: 40 changes in about 2 s give at most one event per gap
	// (plus the one in flight at each end).
	before := len(events())
	start := time.Now()
	for i := range 40 {
		if i%2 == 0 {
			pr.SetMode(printertest.PaperOut)
		} else {
			pr.SetMode(printertest.Online)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pr.SetMode(printertest.Online)
	span := time.Since(start)
	sub.Wait(t, 5*time.Second, "settled online", func() bool { return last() == spool.StateOnline })
	time.Sleep(2 * health.DefaultEventGap) // anything still pending is out
	n := len(events()) - before
	limit := int(span/health.DefaultEventGap) + 3
	t.Logf("flapping for %s sent %d events (limit %d)", span.Round(time.Millisecond), n, limit)
	if n > limit {
		t.Fatalf("flapping printer sent %d events in %s, more than %d", n, span, limit)
	}
}

// TestMetrics: /metrics answers a metrics-role token (and nobody else but
// admin), every family has HELP and TYPE, promtool finds nothing to
// complain about, and the families the issue asks for are there.
func TestMetrics(t *testing.T) {
	promtool := needTool(t, "promtool", "prometheus")
	pr := printertest.Start(t)
	d, _ := startDaemon(t, printerConfig(pr))
	db := d.Core().DB
	metricsTok, _, _ := auth.Create(db, auth.Metrics, "prometheus")
	staffTok, _, _ := auth.Create(db, auth.Staff, "tablet")
	termTok, _, _ := auth.Create(db, auth.Terminal, "till")
	base := "http://" + d.APIAddr().String()
	// Some traffic for the counters.
	if code, body := request(t, "POST", base+"/v1/orders", termTok, orderBody("M-1")); code != 202 {
		t.Fatalf("order: %d %s", code, body)
	}
	request(t, "POST", base+"/v1/orders", termTok, []byte(`{"source":{}}`))
	if code, body := request(t, "POST", base+"/v1/print", staffTok, []byte(`{"printer":"front","kind":"test"}`)); code != 202 {
		t.Fatalf("test print: %d %s", code, body)
	}
	if _, err := pr.WaitJobs(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if code, _ := request(t, "GET", base+"/metrics", staffTok, nil); code != 403 {
		t.Fatalf("staff token read /metrics: %d", code)
	}
	if code, _ := request(t, "GET", base+"/v1/status", metricsTok, nil); code != 403 {
		t.Fatalf("metrics token read /v1/status: %d", code)
	}
	var body string
	waitUntil(t, 10*time.Second, "print job counted", func() bool {
		var code int
		code, body = request(t, "GET", base+"/metrics", metricsTok, nil)
		if code != 200 {
			t.Fatalf("metrics: %d %s", code, body)
		}
		return strings.Contains(body, `aura_print_jobs_total{printer="front",result="printed"} 1`) &&
			strings.Contains(body, `aura_audit_records_total{status="success",type="print"} 1`)
	})
	for _, want := range []string{
		`aura_captures_total{kind="order",result="buffered",source="local"} 1`,
		`aura_captures_total{kind="order",result="invalid",source="unknown"} 1`,
		`aura_outbox_depth{stream="orders"}`, `aura_outbox_oldest_age_seconds{stream="orders"}`,
		`aura_cloud_deliveries_total{stream="orders"} 0`, "# TYPE aura_cloud_puback_latency_seconds histogram",
		`aura_cloud_link_state{state="not_configured"} 1`, "# TYPE aura_cloud_reconnects_total counter",
		`aura_printer_state{printer="front",state="online"} 1`,
		`aura_vendor_request_duration_seconds_count{operation="order_pull",vendor="square"} 0`,
		"# TYPE aura_audit_write_failures_total counter", `aura_audit_records_total{status="success",type="print"} 1`,
		"# TYPE go_goroutines gauge", "# TYPE process_resident_memory_bytes gauge",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Every sample's family has HELP and TYPE.
	help, typ := map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if f, ok := strings.CutPrefix(line, "# HELP "); ok {
			help[strings.Fields(f)[0]] = true
		} else if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			typ[strings.Fields(f)[0]] = true
		}
	}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name := strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0]
		fam := name
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if f, ok := strings.CutSuffix(name, suf); ok && typ[f] {
				fam = f
			}
		}
		if !help[fam] || !typ[fam] {
			t.Errorf("%s has no HELP or TYPE", name)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	t.Logf("%d metric families, promtool clean", len(typ))
}
