package daemon

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	requests "github.com/auraconnect/aura-edge/internal/request"
	"github.com/auraconnect/aura-edge/internal/spool"
)

// TestConfigSetEndToEnd changes settings with the signed config.set
// command over a real mosquitto: the change applies at once (the next
// captured order auto-prints), is audited with who asked and old → new,
// survives a restart although the file still says otherwise, and null
// gives the file's value back. Refusals (a value the config's rules
// refuse, a key that cannot change at runtime, an unknown printer) change
// nothing and say why. POST /v1/config is the same for an admin and closed
// to staff.
func TestConfigSetEndToEnd(t *testing.T) {
	mq := cloudtest.StartMosquitto(t, cloudtest.MosquittoOptions{})
	pr := printertest.Start(t)
	const storeID = "settings-store"
	prefix := "aura/v1/stores/" + storeID
	pub, key, _ := ed25519.GenerateKey(nil)
	sub := cloudtest.Subscribe(t, mq.URL(), prefix+"/#", cloudtest.SubscriberOptions{})
	dataDir := t.TempDir()
	edit := func(c *config.Config) {
		c.StoreID = storeID
		c.DataDir = dataDir
		c.Cloud.Broker = mq.URL()
		c.Cloud.CommandKeys = []string{base64.StdEncoding.EncodeToString(pub)}
		c.Printers = []config.Printer{{Name: "front", Connection: pr.URL(), Profile: "TM-T88V", AutoPrint: "none"}}
		c.Integrations = []config.Integration{{ID: "sq-1", PollInterval: time.Hour}}
	}
	d, logs, stop := startDaemonStop(t, edit)
	// Online once the link has subscribed to its commands.
	online := func(since time.Time) {
		t.Helper()
		sub.Wait(t, 20*time.Second, "daemon online", func() bool {
			for _, m := range sub.Messages(prefix + "/status") {
				var s struct {
					Online    bool
					StartedAt time.Time `json:"started_at"`
				}
				if json.Unmarshal(m.Payload, &s) == nil && s.Online && !s.StartedAt.Before(since) {
					return true
				}
			}
			return false
		})
	}
	online(time.Time{})

	seq := 0
	send := func(data string) cloud.Result {
		t.Helper()
		seq++
		id := "cfg-" + string(rune('a'+seq))
		now := time.Now().UTC()
		env := cloud.CommandEnvelope{SpecVersion: "1.0", ID: id, Type: "config.set", Time: now.Format(time.RFC3339),
			Expires: now.Add(time.Minute).Format(time.RFC3339), Data: json.RawMessage(data)}
		env.Sign(storeID, key)
		b, err := env.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.Publish(prefix+"/cmd/config.set", b, false); err != nil {
			t.Fatal(err)
		}
		var got *cloud.Result
		if err := sub.WaitErr(30*time.Second, func() bool {
			for _, e := range sub.Envelopes(prefix + "/cmd-results") {
				var r cloud.Result
				if e.Type == cloud.ResultType && json.Unmarshal(e.Data, &r) == nil && r.CommandID == id {
					got = &r
					return true
				}
			}
			return false
		}); err != nil {
			t.Fatalf("no result for %s: %v\n%s", data, err, logs)
		}
		return *got
	}
	autoPrint := func(d *Daemon) string {
		t.Helper()
		st, err := d.Core().Spool.Printer("front")
		if err != nil {
			t.Fatal(err)
		}
		return st.AutoPrint
	}

	// A change applies at once and says what changed.
	res := send(`{"set":{"printers.front.auto_print":"customer","integrations.sq-1.poll_interval":"2m"},"by":"Maria"}`)
	if res.Status != cloud.StatusOK {
		t.Fatalf("config.set: %+v", res)
	}
	var out requests.ConfigSetResult
	if err := json.Unmarshal(res.Details, &out); err != nil {
		t.Fatal(err)
	}
	want := []requests.SettingChange{
		{Key: "integrations.sq-1.poll_interval", Old: "1h0m0s", New: "2m0s", Override: true},
		{Key: "printers.front.auto_print", Old: "none", New: "customer", Override: true},
	}
	if len(out.Changes) != 2 {
		t.Fatalf("changes: %+v", out.Changes)
	}
	for i, w := range want {
		got := out.Changes[i]
		if got.Key != w.Key || got.Old != w.Old || got.New != w.New || got.Override != w.Override || !strings.HasPrefix(got.Applied, "now") {
			t.Errorf("change %d: %+v, want %+v", i, got, w)
		}
	}
	if got := autoPrint(d); got != "customer" {
		t.Fatalf("auto_print in effect: %q", got)
	}
	// Applied without a restart: a completed order captured now prints.
	term, _, _ := auth.Create(d.Core().DB, auth.Terminal, "till")
	base := "http://" + d.APIAddr().String()
	if code, body := request(t, "POST", base+"/v1/orders", term, orderBody("CFG-1")); code != 202 {
		t.Fatalf("capture: %d %s", code, body)
	}
	waitFor(t, 20*time.Second, "the auto-printed receipt", func() bool {
		jobs, _ := d.Core().Spool.Jobs(spool.Filter{Printer: "front"})
		return len(jobs) == 1
	})

	// Every change is audited: who asked, old → new.
	recs, err := d.Core().Audit.Query(audit.Filter{Type: "config_set"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]string{}
	for _, r := range recs {
		msgs[r.Message] = r.Actor
	}
	if msgs["printers.front.auto_print: none → customer"] != "cloud:cfg-b:Maria" || msgs["integrations.sq-1.poll_interval: 1h0m0s → 2m0s"] != "cloud:cfg-b:Maria" {
		t.Errorf("audit: %v", msgs)
	}

	// Refusals change nothing and say why, in the settings' words.
	for _, tc := range []struct{ data, code, says string }{
		{`{"set":{"printers.front.auto_print":"sometimes","integrations.sq-1.poll_interval":"3m"}}`, "invalid_setting", "printers.front.auto_print: must be none, customer, kitchen or both"},
		{`{"set":{"integrations.sq-1.poll_interval":"1s"}}`, "invalid_setting", "integrations.sq-1.poll_interval: must be at least 5s"},
		{`{"set":{"integrations.sq-1.poll_interval":"soon"}}`, "invalid_setting", "is not a duration"},
		{`{"set":{"printers.back.auto_print":"both"}}`, "invalid_setting", `no printer named "back"`},
		{`{"set":{"integrations.nope.poll_interval":"2m"}}`, "invalid_setting", `no integration "nope"`},
		{`{"set":{"printers.front.connection":"tcp://10.0.0.9:9100"}}`, "invalid", "cannot be changed at runtime"},
		{`{"set":{}}`, "invalid", "name at least one setting"},
		{`{"set":{"printers.front.auto_print":"both"},"color":"red"}`, "bad_data", "config.set data: color: is not a field of this request"},
	} {
		res := send(tc.data)
		if res.Status == cloud.StatusOK || res.Code != tc.code || !strings.Contains(res.Message, tc.says) {
			t.Errorf("%s: %+v, want code %s saying %q", tc.data, res, tc.code, tc.says)
		}
	}
	if got := autoPrint(d); got != "customer" {
		t.Errorf("a refused config.set changed auto_print to %q", got)
	}
	recs, _ = d.Core().Audit.Query(audit.Filter{Type: "config_set"})
	refused := 0
	for _, r := range recs {
		if r.Status == audit.Rejected {
			refused++
		}
	}
	if refused != 7 { // the undecodable one is audited as a refused command
		t.Errorf("%d refusals audited, want 7", refused)
	}

	// The local API is the same request with the same checks: admin only.
	admin, _, _ := auth.Create(d.Core().DB, auth.Admin, "installer")
	staff, _, _ := auth.Create(d.Core().DB, auth.Staff, "cashier")
	if code, body := request(t, "POST", base+"/v1/config", staff, []byte(`{"set":{"printers.front.auto_print":"both"}}`)); code != 403 {
		t.Errorf("staff: %d %s", code, body)
	}
	if code, body := request(t, "POST", base+"/v1/config", admin, []byte(`{"set":{"printers.front.auto_print":"sometimes"}}`)); code != 422 ||
		!strings.Contains(body, "printers.front.auto_print: must be none, customer, kitchen or both") {
		t.Errorf("bad value over the API: %d %s", code, body)
	}
	if code, body := request(t, "POST", base+"/v1/config", admin, []byte(`{"set":{"printers.front.connection":"x"}}`)); code != 400 ||
		!strings.Contains(body, "cannot be changed at runtime") {
		t.Errorf("unsettable key over the API: %d %s", code, body)
	}
	if code, body := request(t, "POST", base+"/v1/config", admin, []byte(`{"set":{"printers.front.auto_print":"both"}}`)); code != 200 ||
		!strings.Contains(body, `"old":"customer","new":"both"`) {
		t.Errorf("admin: %d %s", code, body)
	}

	// GET /v1/config shows what is in effect, what the file says and who
	// changed it.
	code, body := request(t, "GET", base+"/v1/config", admin, nil)
	var list requests.Settings
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil {
		t.Fatalf("GET /v1/config: %d %s", code, body)
	}
	found := false
	for _, v := range list.Settings {
		if v.Key == "printers.front.auto_print" {
			found = v.Value == "both" && v.File == "none" && v.Override != nil && v.Override.By == "installer"
		}
	}
	if !found || len(list.Settable) != 4 {
		t.Errorf("GET /v1/config: %s", body)
	}
	if code, _ := request(t, "GET", base+"/v1/config", staff, nil); code != 403 {
		t.Errorf("staff may read the settings: %d", code)
	}

	// The change survives a restart although the file still says none.
	stop()
	restarted := time.Now()
	d, logs, _ = startDaemonStop(t, edit)
	online(restarted)
	if got := autoPrint(d); got != "both" {
		t.Fatalf("after a restart auto_print is %q\n%s", got, logs)
	}
	if !strings.Contains(logs.String(), "config override applies") {
		t.Errorf("the restart does not log the override:\n%s", logs)
	}
	// null drops the override: the file's value applies again.
	res = send(`{"set":{"printers.front.auto_print":null}}`)
	if res.Status != cloud.StatusOK || !strings.Contains(string(res.Details), `"old":"both","new":"none","override":false`) {
		t.Fatalf("drop override: %+v", res)
	}
	if got := autoPrint(d); got != "none" {
		t.Errorf("after null auto_print is %q", got)
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
