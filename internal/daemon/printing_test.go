package daemon

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/kitchen"
	"github.com/auraconnect/aura-edge/internal/spool"
	"github.com/auraconnect/aura-edge/internal/testkit/cloudpeer"
)

// TestDrawerAndStationsThroughDaemon: staff open the drawer through the
// API, the cloud through a signed drawer.open command (redelivered: one
// kick), each audited with who and why; an order captured through the API
// prints each kitchen station's lines on its own printer.
func TestDrawerAndStationsThroughDaemon(t *testing.T) {
	cloudtest.NeedMosquitto(t)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	const storeID = "drawer-store"
	peer := cloudpeer.New(t, mq.URL(), storeID)
	front, grill, bar := printertest.Start(t), printertest.Start(t), printertest.Start(t)
	d, logs := startDaemon(t, func(c *config.Config) {
		c.StoreID = storeID
		c.Cloud.Broker = mq.URL()
		c.Cloud.CommandKeys = []string{peer.CommandKey()}
		c.Printers = []config.Printer{
			{Name: "front", Connection: front.URL(), Profile: "TM-T88V", Drawer: "pin2"},
			{Name: "grill", Connection: grill.URL(), Profile: "TM-T88V"},
			{Name: "bar", Connection: bar.URL(), Profile: "TM-T88V"},
		}
		c.Kitchen = kitchen.Config{DefaultPrinter: "grill", Stations: []kitchen.Station{
			{Name: "grill", Printer: "grill", Items: []string{"Burger"}},
			{Name: "bar", Printer: "bar", Items: []string{"Cola"}},
		}}
	})
	staff, _, _ := auth.Create(d.Core().DB, auth.Staff, "anna")
	till, _, _ := auth.Create(d.Core().DB, auth.Terminal, "till-1")
	base := "http://" + d.APIAddr().String()

	code, body := request(t, "POST", base+"/v1/drawer/open", staff, []byte(`{"printer":"front","reason":"change for a 50"}`))
	if code != 202 || !strings.Contains(body, `"kind":"drawer"`) {
		t.Fatalf("drawer open: %d %s", code, body)
	}
	if code, body := request(t, "POST", base+"/v1/drawer/open", staff, []byte(`{"printer":"front"}`)); code != 400 || !strings.Contains(body, "say why") {
		t.Errorf("without a reason: %d %s", code, body)
	}
	if code, _ := request(t, "POST", base+"/v1/drawer/open", till, []byte(`{"printer":"front","reason":"x"}`)); code != 403 {
		t.Errorf("a till token opened the drawer: %d", code)
	}

	drawer := json.RawMessage(`{"printer":"front","reason":"no sale","by":"manager-lee"}`)
	peer.Send(t, "cmd-drawer-7", "drawer.open", drawer)
	if _, err := peer.WaitResult("cmd-drawer-7", 1, 20*time.Second); err != nil {
		t.Fatalf("drawer.open result: %v\n%s", err, logs)
	}
	peer.Send(t, "cmd-drawer-7", "drawer.open", drawer)
	if _, err := peer.WaitResult("cmd-drawer-7", 2, 20*time.Second); err != nil {
		t.Fatalf("result of the redelivered drawer.open: %v\n%s", err, logs)
	}
	jobs, err := front.WaitJobs(2, 10*time.Second)
	if err != nil {
		t.Fatalf("front printer: %v\n%s", err, logs)
	}
	// Both results are in, so a second job for the redelivery would exist.
	all, _ := d.Core().Spool.Jobs(spool.Filter{Printer: "front"})
	if len(all) != 2 {
		t.Errorf("%d jobs on front, want 2 (API + one command): %+v", len(all), all)
	}
	if n := bytes.Count(bytes.Join(jobs, nil), []byte{0x1b, 'p', 0}); n != 2 {
		t.Errorf("%d drawer kicks on pin 2, want 2 (API + one command): %x", n, jobs)
	}
	recs, _ := d.Core().Audit.Query(audit.Filter{Type: "drawer"})
	var who []string
	for _, r := range recs {
		who = append(who, r.Actor+": "+r.Message)
	}
	joined := strings.Join(who, "\n")
	for _, want := range []string{"token:anna: cash drawer on front opened by token:anna: change for a 50", "cloud:manager-lee: cash drawer on front opened by cloud:manager-lee: no sale"} {
		if !strings.Contains(joined, want) {
			t.Errorf("audit lacks %q:\n%s", want, joined)
		}
	}

	// A captured order: each station prints its own lines.
	order := `{"source":{"vendor":"local","external_id":"T-1"},"state":"open","currency":"USD","created_at":"2026-08-14T19:05:00Z","table":"4",
	 "line_items":[{"id":"a","name":"Burger","quantity":"1","unit_price":{"amount":1200,"currency":"USD"}},
	               {"id":"b","name":"Cola","quantity":"2","unit_price":{"amount":300,"currency":"USD"}}],
	 "totals":{"subtotal":{"amount":1800,"currency":"USD"},"total":{"amount":1800,"currency":"USD"}}}`
	if code, body := request(t, "POST", base+"/v1/orders", till, []byte(order)); code != 202 {
		t.Fatalf("order: %d %s", code, body)
	}
	prof, _ := escpos.LookupProfile("TM-T88V")
	text := func(pr *printertest.Printer) string {
		jobs, err := pr.WaitJobs(1, 10*time.Second)
		if err != nil {
			t.Fatalf("%v\n%s", err, logs)
		}
		return strings.ReplaceAll(escpos.RenderPreview(jobs[0], prof), " ", "")
	}
	if g := text(grill); !strings.Contains(g, "1xBurger") || strings.Contains(g, "Cola") || !strings.Contains(g, "Table4") {
		t.Errorf("grill ticket:\n%s", g)
	}
	if b := text(bar); !strings.Contains(b, "2xCola") || strings.Contains(b, "Burger") {
		t.Errorf("bar ticket:\n%s", b)
	}
}
