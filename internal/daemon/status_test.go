package daemon

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/health"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// TestOutboxViewOneSource checks that /v1/status, /v1/queue and /v1/health
// show the outbox backlog from the one health view (issue 15): the same
// streams, depths and dead-letter counts.
func TestOutboxViewOneSource(t *testing.T) {
	d, _ := startDaemon(t, nil)
	db := d.Core().DB
	staffTok, _, _ := auth.Create(db, auth.Staff, "tablet")
	termTok, _, _ := auth.Create(db, auth.Terminal, "till")
	base := "http://" + d.APIAddr().String()
	if code, body := request(t, "POST", base+"/v1/orders", termTok, orderBody("V-1")); code != 202 {
		t.Fatalf("order: %d %s", code, body)
	}
	get := func(path string, v any) {
		t.Helper()
		code, body := request(t, "GET", base+path, staffTok, nil)
		if code != 200 {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	// Nothing drains the outbox (no broker), so the three reads see one state.
	var st struct {
		Outbox []health.Stream `json:"outbox"`
	}
	var q struct {
		Streams []health.Stream `json:"streams"`
	}
	var h health.Snapshot
	get("/v1/status", &st)
	get("/v1/queue", &q)
	get("/v1/health", &h)
	clear := func(ss []health.Stream) []health.Stream {
		for i := range ss {
			ss[i].OldestAgeS = 0 // moves between the reads
		}
		return ss
	}
	st.Outbox, q.Streams, h.Outbox = clear(st.Outbox), clear(q.Streams), clear(h.Outbox)
	if len(st.Outbox) == 0 || !reflect.DeepEqual(st.Outbox, q.Streams) || !reflect.DeepEqual(q.Streams, h.Outbox) {
		t.Fatalf("the surfaces disagree:\n/v1/status %+v\n/v1/queue  %+v\n/v1/health %+v", st.Outbox, q.Streams, h.Outbox)
	}
	depth := 0
	for _, s := range q.Streams {
		depth += s.Depth
	}
	if depth != 1 {
		t.Fatalf("want the one order queued, got depth %d: %+v", depth, q.Streams)
	}
}

// TestStatusSurfacesAgree: GET /v1/status and the retained MQTT status
// render the same health facts (printers, sync, dead letters, menu drift,
// terminals, provisioning key): one source, no callback into the daemon.
func TestStatusSurfacesAgree(t *testing.T) {
	cloudtest.NeedMosquitto(t)
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	pr := printertest.Start(t)
	const storeID = "status-store"
	topic := "aura/v1/stores/" + storeID + "/status"
	sub := cloudtest.Subscribe(t, mq.URL(), topic, cloudtest.SubscriberOptions{})
	d, _ := startDaemon(t, func(c *config.Config) {
		c.StoreID = storeID
		c.Cloud.Broker = mq.URL()
		c.Printers = []config.Printer{{Name: "front", Connection: pr.URL(), Profile: "TM-T88V"}}
	})
	waitUntil(t, 15*time.Second, "printer online", func() bool {
		ps := d.Core().Spool.Printers()
		return len(ps) == 1 && ps[0].State == spool.StateOnline
	})
	// A status published after the printer came online.
	n := len(sub.Messages(topic))
	d.Core().Cloud.PublishStatus()
	sub.Wait(t, 15*time.Second, "a fresh retained status", func() bool { return len(sub.Messages(topic)) > n })
	msgs := sub.Messages(topic)
	var mqtt health.Facts
	var online struct {
		Online  bool   `json:"online"`
		StoreID string `json:"store_id"`
	}
	last := msgs[len(msgs)-1].Payload
	if err := json.Unmarshal(last, &mqtt); err != nil || json.Unmarshal(last, &online) != nil {
		t.Fatalf("retained status: %v: %s", err, last)
	}
	staff, _, _ := auth.Create(d.Core().DB, auth.Staff, "tablet")
	code, body := request(t, "GET", "http://"+d.APIAddr().String()+"/v1/status", staff, nil)
	if code != 200 {
		t.Fatalf("/v1/status: %d %s", code, body)
	}
	var api health.DaemonStatus
	if err := json.Unmarshal([]byte(body), &api); err != nil {
		t.Fatal(err)
	}
	// Printer timestamps move between the reads; the rest must agree.
	for _, f := range []*health.Facts{&mqtt, &api.Facts} {
		for i := range f.Printers {
			f.Printers[i].Since, f.Printers[i].LastPrinted = time.Time{}, time.Time{}
		}
	}
	if !online.Online || online.StoreID != storeID || api.StoreID != storeID || !api.Cloud.Connected {
		t.Fatalf("identity: mqtt %+v, api %s/%+v", online, api.StoreID, api.Cloud)
	}
	if mqtt.ProvisioningKey == "" || len(mqtt.Printers) != 1 || mqtt.Printers[0].State != spool.StateOnline {
		t.Fatalf("retained status lacks the store's facts: %s", last)
	}
	if !reflect.DeepEqual(mqtt, api.Facts) {
		t.Fatalf("the surfaces disagree:\nmqtt %+v\napi  %+v", mqtt, api.Facts)
	}
}
