package daemon

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/model"
)

// TestVendorsEndToEnd runs the POS adapter layer (issue 5) through the real
// daemon for each vendor: the vendor is its stand-in server, the cloud is
// a subscriber on an embedded mochi broker that sends signed commands, and
// vendors call the daemon's webhook endpoint. Each vendor gets its own
// daemon, broker and stand-in.
func TestVendorsEndToEnd(t *testing.T) {
	for _, vc := range vendorCases() {
		t.Run(vc.vendor, func(t *testing.T) {
			start := time.Now()
			runVendor(t, vc)
			t.Logf("%s: %s", vc.vendor, time.Since(start).Round(time.Millisecond))
		})
	}
}

// e2ePublicURL is the URL vendors are told to call (a tunnel or reverse
// proxy in front of the store); Square signs it.
const e2ePublicURL = "https://edge.example"

// sigMode says how a test webhook delivery is signed.
type sigMode int

const (
	sigValid sigMode = iota
	sigWrong
	sigMissing
)

// vendorRequest is one request a stand-in recorded, whichever the vendor.
type vendorRequest struct {
	Method, Path string
	Body         []byte
}

// standIn is one vendor's stand-in seen through small functions, so that
// the scenario in runVendor is written once.
type standIn struct {
	creds, settings map[string]string
	// pushes is false for a vendor whose menus are read-only (Toast).
	pushes bool
	// writes returns the requests that change the vendor's catalog
	// (every request for a vendor without menu writes), oldest first.
	writes func() []vendorRequest
	// firstPush checks the writes of the first push of cafeMenu.
	firstPush func(t *testing.T, w []vendorRequest)
	// priceChange checks the writes of v2 (16oz latte 5.25 -> 5.50).
	priceChange func(t *testing.T, w []vendorRequest)
	// updatedOnPriceChange are the Aura ids the price change reports updated.
	updatedOnPriceChange []string
	// seedOrder stores an order with modifiers, discounts, tax, a tip and a
	// split payment, and returns its vendor id and the total an Aura order
	// must show, computed from the stand-in's own order JSON.
	seedOrder func(t *testing.T, ref string) (externalID string, want int64)
	// checkOrder checks vendor-specific facts of the Aura order (optional).
	checkOrder func(t *testing.T, o model.Order)
	// fetches counts the single-order reads of externalID so far.
	fetches func(externalID string) int
	// webhook builds a delivery about externalID as the vendor sends it.
	webhook func(t *testing.T, externalID string, sig sigMode) (http.Header, []byte)
	// failNextWrite makes the next catalog write answer 429 with
	// Retry-After: 1 and the one after 500.
	failNextWrite func()
	// failNextPull makes the next order list request answer 429.
	failNextPull func()
}

type vendorCase struct {
	vendor string
	start  func(t *testing.T, integrationID string) *standIn
}

func vendorCases() []vendorCase {
	return []vendorCase{
		{"square", squareStandIn},
		{"clover", cloverStandIn},
		{"lightspeed", lightspeedStandIn},
		{"toast", toastStandIn},
	}
}

// cafeMenu is a small café menu; prices maps variation ids to new prices.
func cafeMenu(version string, prices map[string]int64) *model.Menu {
	usd := func(id string, def int64) model.Money {
		if p, ok := prices[id]; ok {
			return model.M(p, "USD")
		}
		return model.M(def, "USD")
	}
	return &model.Menu{
		ID: "cafe", Version: version, Currency: "USD", Name: "Café",
		Taxes: []model.Tax{{ID: "tax-sales", Name: "Sales tax", Percentage: "8.875"}},
		ModifierGroups: []model.ModifierGroup{{ID: "grp-milk", Name: "Milk", Min: 1, Max: 2, Modifiers: []model.Modifier{
			{ID: "mod-oat", Name: "Oat milk", Price: usd("mod-oat", 75)},
			{ID: "mod-almond", Name: "Almond milk", Price: usd("mod-almond", 60)},
		}}},
		Items: []model.Item{
			{ID: "item-latte", Name: "Latte", Description: "Espresso and steamed milk", ModifierGroupIDs: []string{"grp-milk"},
				TaxIDs: []string{"tax-sales"}, Variations: []model.Variation{
					{ID: "var-latte-12", Name: "12oz", SKU: "LAT12", Price: usd("var-latte-12", 450)},
					{ID: "var-latte-16", Name: "16oz", SKU: "LAT16", Price: usd("var-latte-16", 525)},
				}},
			{ID: "item-croissant", Name: "Croissant", TaxIDs: []string{"tax-sales"}, Variations: []model.Variation{
				{ID: "var-croissant-plain", Name: "Plain", SKU: "CRP", Price: usd("var-croissant-plain", 325)},
				{ID: "var-croissant-almond", Name: "Almond", SKU: "CRA", Price: usd("var-croissant-almond", 395)},
			}},
		},
	}
}

// menuIDs are every Aura object id of cafeMenu.
var menuIDs = []string{"tax-sales", "grp-milk", "mod-oat", "mod-almond", "item-latte", "var-latte-12", "var-latte-16",
	"item-croissant", "var-croissant-plain", "var-croissant-almond"}

// runVendor runs the scenario's steps in order. Each step builds on the
// ones before, so the first that fails ends the vendor's run.
func runVendor(t *testing.T, vc vendorCase) {
	id := vc.vendor + "-1"
	sc := &scenario{vendor: vc.vendor, si: vc.start(t, id)}
	sc.e = startVendorDaemon(t, id)
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"1_connect", sc.connect},
		{"2_menu_push", sc.menuPush},
		{"3_push_again_and_price_change", sc.pushAgain},
		{"4_orders_sync", sc.ordersSync},
		{"5_webhooks", sc.webhooks},
		{"7_faults", sc.faults},
		{"6_sync_logs", sc.syncLogs},
		{"exactly_once_and_no_secrets", sc.exactlyOnce},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return
		}
	}
}

// scenario is one vendor's run and what its steps hand on.
type scenario struct {
	vendor string
	si     *standIn
	e      *vendorE2E

	extA, extB     string // vendor order ids: A is pulled, B comes by webhook
	wantA, wantB   int64  // their totals as the vendor states them
	orderA, orderB model.Order
}

// connect: POST /integrations/pos/connect answers 201; the status shows a
// live connection and never a credential value.
func (sc *scenario) connect(t *testing.T) {
	e, si := sc.e, sc.si
	code, body := e.api(t, "POST", "/integrations/pos/connect", map[string]any{
		"id": e.id, "name": "E2E " + sc.vendor, "vendor": sc.vendor, "credentials": si.creds, "settings": si.settings})
	if code != http.StatusCreated {
		t.Fatalf("connect: %d %s", code, body)
	}
	var conn struct {
		ID         string            `json:"id"`
		Connection bridge.Connection `json:"connection"`
	}
	mustJSON(t, body, &conn)
	if conn.ID != e.id || !conn.Connection.OK {
		t.Fatalf("connect answer: %s", body)
	}
	st, raw := e.status(t, true)
	if st.ID != e.id || st.Vendor != sc.vendor || st.Connection == nil || !st.Connection.OK {
		t.Fatalf("status after connect: %s", raw)
	}
	if want := fieldNames(si.creds); !slices.Equal(sortedStrings(st.Credentials), want) {
		t.Errorf("status credentials %v, want the field names %v", st.Credentials, want)
	}
	assertNoSecrets(t, "status", raw, si.creds)
	// The first scheduled pull starts at once (jitter 1ns); let it finish
	// so that it does not mix with what follows (the next is in 24h).
	e.waitStatus(t, "first scheduled order pull", func(s bridge.IntegrationStatus) bool {
		return s.LastOrderSync != nil && s.LastOrderSync.Status == audit.Success
	})
}

// menuPush: a signed menu.push reaches the vendor as its write calls and
// comes back as a result with one entry per object.
func (sc *scenario) menuPush(t *testing.T) {
	e, si := sc.e, sc.si
	n := len(si.writes())
	res := e.pushMenu(t, cafeMenu("v1", nil))
	w := si.writes()[n:]
	t.Logf("push v1: %s (%s), %d vendor writes", res.Status, res.Message, len(w))
	assertObjectsCover(t, res.Objects)
	if !si.pushes {
		assertUnsupported(t, res, w)
		return
	}
	if res.Status != "success" {
		t.Fatalf("first push: %+v", res)
	}
	for _, o := range res.Objects {
		if o.Status != pos.StatusCreated && o.Status != pos.StatusUnsupported {
			t.Errorf("first push: %s %s is %s (%s)", o.Kind, o.AuraID, o.Status, o.Reason)
		}
		if strings.HasPrefix(o.AuraID, "var-") && o.Status != pos.StatusCreated {
			t.Errorf("first push: variation %s is %s", o.AuraID, o.Status)
		}
	}
	si.firstPush(t, w)
}

// pushAgain: the same version again writes nothing; a price change
// writes only that variation.
func (sc *scenario) pushAgain(t *testing.T) {
	e, si := sc.e, sc.si
	n := len(si.writes())
	res := e.pushMenu(t, cafeMenu("v1", nil))
	if w := si.writes()[n:]; len(w) != 0 {
		t.Errorf("second push of v1 made %d vendor writes: %s", len(w), describe(w))
	}
	if !si.pushes {
		assertUnsupported(t, res, nil)
	} else {
		if res.Status != "success" {
			t.Errorf("second push: %+v", res)
		}
		assertStatuses(t, "second push", res.Objects, nil)
	}
	n = len(si.writes())
	res = e.pushMenu(t, cafeMenu("v2", map[string]int64{"var-latte-16": 550}))
	w := si.writes()[n:]
	if !si.pushes {
		assertUnsupported(t, res, w)
		return
	}
	if res.Status != "success" {
		t.Errorf("price change: %+v", res)
	}
	assertStatuses(t, "price change", res.Objects, si.updatedOnPriceChange)
	si.priceChange(t, w)
}

// ordersSync: orders pulled by an orders.sync command arrive at the cloud
// with the vendor's total to the cent, with their payments; a second sync
// (through the local API) publishes nothing new.
func (sc *scenario) ordersSync(t *testing.T) {
	e, si := sc.e, sc.si
	sc.extA, sc.wantA = si.seedOrder(t, "A-100")
	// Vendors' windows end at "now" to the millisecond, so an order updated
	// in the same millisecond as a pull is left to the next window (its
	// overlap re-reads it). Step past that millisecond.
	time.Sleep(5 * time.Millisecond)
	cr, results := e.command(t, "orders.sync", ordersSync{IntegrationID: e.id})
	if cr.Status != "ok" || len(results) != 1 || results[0].Status != "success" || results[0].New == 0 {
		t.Fatalf("orders.sync result: %+v %+v", cr, results)
	}
	sc.orderA = e.waitOrder(t, sc.vendor, sc.extA)
	t.Logf("order %s: total %v (vendor %d), %d lines", sc.extA, sc.orderA.Totals.Total, sc.wantA, len(sc.orderA.LineItems))
	e.checkOrder(t, si, sc.orderA, sc.wantA)
	e.checkPayments(t, sc.orderA, sc.wantA)
	if r := e.syncAPI(t); r.Status != "success" || r.New != 0 {
		t.Errorf("second sync: %+v", r)
	}
}

// webhooks: deliveries on the daemon's endpoint, without a token. A signed
// one fetches at once; wrong or missing signatures get 401; a replay is
// acknowledged as a duplicate and fetches nothing.
func (sc *scenario) webhooks(t *testing.T) {
	e, si := sc.e, sc.si
	sc.extB, sc.wantB = si.seedOrder(t, "B-200")
	hdr, payload := si.webhook(t, sc.extB, sigValid)
	if code, state := e.webhook(t, hdr, payload); code != http.StatusOK || state != "accepted" {
		t.Fatalf("signed webhook: %d %s", code, state)
	}
	sc.orderB = e.waitOrder(t, sc.vendor, sc.extB) // the next poll is 24h away: this is the webhook's fetch
	e.checkOrder(t, si, sc.orderB, sc.wantB)
	e.checkPayments(t, sc.orderB, sc.wantB) // the webhook's fetch brings the payments too
	fetched := si.fetches(sc.extB)
	if fetched < 1 {
		t.Errorf("order %s arrived but the stand-in saw no fetch of it", sc.extB)
	}
	for _, m := range []struct {
		name string
		sig  sigMode
	}{{"wrong signature", sigWrong}, {"no signature", sigMissing}} {
		h, b := si.webhook(t, sc.extB, m.sig)
		if code, state := e.webhook(t, h, b); code != http.StatusUnauthorized || state != "rejected" {
			t.Errorf("webhook with %s: %d %s", m.name, code, state)
		}
	}
	if code, state := e.webhook(t, hdr, payload); code != http.StatusOK || state != "duplicate" {
		t.Errorf("replayed webhook: %d %s", code, state)
	}
	e.d.Core().Bridge.WaitFetches()
	if got := si.fetches(sc.extB); got != fetched {
		t.Errorf("after rejected and replayed webhooks the stand-in saw %d fetches of %s, want %d", got, sc.extB, fetched)
	}
}

// faults: an order pull that meets a 429 is reported and the next works;
// a menu push that meets 429 (Retry-After: 1) then 500 is queued and
// retried until it works.
func (sc *scenario) faults(t *testing.T) {
	e, si := sc.e, sc.si
	si.failNextPull()
	if r := e.syncAPI(t); r.Status != "failed" || !strings.Contains(r.Message, "429") {
		t.Errorf("sync against a 429: %+v", r)
	}
	if r := e.syncAPI(t); r.Status != "success" {
		t.Errorf("sync after the 429: %+v", r)
	}
	// The pulls above re-read the webhook's payments: still exactly two
	// events adding up to the order (no second revision).
	e.checkPayments(t, sc.orderB, sc.wantB)
	if !si.pushes {
		return // nothing to retry: Toast menu pushes make no request
	}
	// v3 changes the 12oz latte to 4.75.
	si.failNextWrite()
	// A catalog read between the fault injection and the push (a drift
	// check, scheduled or after a catalog webhook) must not take the
	// faults meant for the writes.
	if _, err := e.d.Core().Bridge.CheckDrift(t.Context(), e.id, "test"); err != nil {
		t.Errorf("catalog comparison with write faults pending: %v", err)
	}
	n := len(si.writes())
	res := e.pushMenu(t, cafeMenu("v3", map[string]int64{"var-latte-16": 550, "var-latte-12": 475}))
	if res.Status != "retrying" || !strings.Contains(res.Message, "queued") {
		t.Fatalf("push against 429: %+v", res)
	}
	if st, raw := e.status(t, false); st.PendingRetries != 1 {
		t.Errorf("pending_retries while retrying: %s", raw)
	}
	st := e.waitStatus(t, "menu retry to succeed", func(s bridge.IntegrationStatus) bool {
		return s.PendingRetries == 0 && s.AppliedMenu != nil && s.AppliedMenu.Version == "v3"
	})
	if st.DeadLetters != 0 {
		t.Errorf("dead letters after a successful retry: %d", st.DeadLetters)
	}
	w := si.writes()[n:]
	if len(w) < 3 {
		t.Errorf("want the 429 and 500 writes and a successful one, got %s", describe(w))
	} else if last := w[len(w)-1]; !bytes.Contains(last.Body, []byte("475")) && !bytes.Contains(last.Body, []byte("4.75")) {
		t.Errorf("last write does not carry the new price: %s %s %s", last.Method, last.Path, last.Body)
	}
	var attempts []audit.Record // oldest first
	for _, r := range e.syncLogs(t, "menu_push") {
		var d struct{ Version string }
		if json.Unmarshal(r.Details, &d) == nil && d.Version == "v3" {
			attempts = append([]audit.Record{r}, attempts...)
		}
	}
	var got []string
	for _, r := range attempts {
		got = append(got, fmt.Sprintf("%d:%s", r.Attempt, r.Status))
	}
	if want := []string{"1:retrying", "2:retrying", "3:success"}; !slices.Equal(got, want) {
		t.Errorf("menu_push records of v3: %v, want %v", got, want)
	}
	if len(attempts) >= 2 {
		gap := attempts[1].SyncedAt.Sub(attempts[0].SyncedAt)
		if gap < time.Second {
			t.Errorf("first retry came %s after a 429 with Retry-After: 1", gap.Round(time.Millisecond))
		}
	}
}

// syncLogs: every attempt above is in GET /v1/sync-logs with its type and
// status.
func (sc *scenario) syncLogs(t *testing.T) {
	e := sc.e
	type want struct {
		typ    string
		status audit.Status
		min    int
	}
	wants := []want{
		{"integration_connect", audit.Success, 1},
		{"order_pull", audit.Success, 4}, // scheduled, command, API, API after the 429
		{"order_pull", audit.Retrying, 1},
		{"order_fetch", audit.Success, 1},
		{"webhook", audit.Success, 1},
		{"webhook", audit.Rejected, 1}, // two bad deliveries within 10 s: one record that counts both,
		{"command", audit.Success, len(e.cmds)},
	}
	if sc.si.pushes {
		wants = append(wants, want{"menu_push", audit.Success, 4}, want{"menu_push", audit.Retrying, 2})
	} else {
		wants = append(wants, want{"menu_push", audit.Unsupported, 3})
	}
	for _, w := range wants {
		n := map[audit.Status]int{}
		for _, r := range e.syncLogs(t, w.typ) {
			n[r.Status]++
		}
		if n[w.status] < w.min {
			t.Errorf("sync-logs type=%s: %d %s, want at least %d (all: %v)", w.typ, n[w.status], w.status, w.min, n)
		}
		exact := (w.typ == "order_fetch" || w.typ == "webhook") && w.status == audit.Success
		if exact && n[w.status] != w.min {
			t.Errorf("sync-logs type=%s: %d %s, want exactly %d (the replay is a duplicate)", w.typ, n[w.status], w.status, w.min)
		}
		if w.typ == "menu_push" && n[audit.Failed] != 0 {
			t.Errorf("sync-logs: %d failed menu pushes", n[audit.Failed])
		}
	}
}

// exactlyOnce: one result per command and one event per order revision;
// no credential in the daemon's logs.
func (sc *scenario) exactlyOnce(t *testing.T) {
	e := sc.e
	for _, id := range e.cmds {
		if n := len(e.results(id)); n != 1 {
			t.Errorf("command %s: %d results, want exactly 1", id, n)
		}
	}
	for _, x := range []string{sc.extA, sc.extB} {
		if n := len(e.orderEvents(sc.vendor, x)); n != 1 {
			t.Errorf("order %s published %d times, want once", x, n)
		}
	}
	for k, v := range sc.si.creds {
		if len(v) >= 6 && strings.Contains(e.logs.String(), v) {
			t.Errorf("credential %s found in the daemon's logs", k)
		}
	}
}

// --- the daemon side ---

// vendorE2E is a running daemon with a cloud peer and an admin token.
type vendorE2E struct {
	d      *Daemon
	logs   *logBuffer
	sub    *cloudtest.Subscriber
	key    ed25519.PrivateKey
	store  string
	prefix string
	base   string
	admin  string
	id     string   // the integration
	cmds   []string // ids of the commands sent
}

func startVendorDaemon(t *testing.T, id string) *vendorE2E {
	t.Helper()
	broker := cloudtest.StartMochi(t)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	store := "e2e-" + id
	prefix := "aura/v1/stores/" + store
	sub := cloudtest.Subscribe(t, broker.URL(), prefix+"/#", cloudtest.SubscriberOptions{})
	d, logs := startDaemon(t, func(c *config.Config) {
		c.StoreID = store
		c.Cloud.Broker = broker.URL()
		c.Cloud.CommandKeys = []string{base64.StdEncoding.EncodeToString(pub)}
		c.API.PublicURL = e2ePublicURL
		// Polls are a day apart, so whatever arrives came from a command, an
		// API call or a webhook; retries stop after 3 attempts.
		// The scheduled catalog comparison is off: its first run comes at a
		// random time within 90 s of connecting and reads the vendor's
		// catalog, which once took a fault meant for a menu write. The
		// faults step runs a comparison itself, at a known point.
		c.Integrations = []config.Integration{{ID: id, PollInterval: 24 * time.Hour, Jitter: time.Nanosecond, MaxAttempts: 3,
			DriftInterval: "off"}}
	})
	tok, _, err := auth.Create(d.Core().DB, auth.Admin, "e2e-admin")
	if err != nil {
		t.Fatal(err)
	}
	// Commands sent before the daemon subscribed would be lost: its retained
	// online status comes after the subscription.
	sub.Wait(t, 20*time.Second, "daemon online", func() bool {
		for _, m := range sub.Messages(prefix + "/status") {
			var s struct{ Online bool }
			if json.Unmarshal(m.Payload, &s) == nil && s.Online {
				return true
			}
		}
		return false
	})
	return &vendorE2E{d: d, logs: logs, sub: sub, key: priv, store: store, prefix: prefix,
		base: "http://" + d.APIAddr().String(), admin: tok, id: id}
}

// api calls the local API as admin.
func (e *vendorE2E) api(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	code, out := request(t, method, e.base+path, e.admin, b)
	return code, []byte(out)
}

// syncAPI pulls orders through POST /integrations/pos/sync/orders.
func (e *vendorE2E) syncAPI(t *testing.T) bridge.Result {
	t.Helper()
	code, body := e.api(t, "POST", "/integrations/pos/sync/orders", map[string]any{"integration_id": e.id})
	var out struct{ Results []bridge.Result }
	if code != http.StatusOK || json.Unmarshal(body, &out) != nil || len(out.Results) != 1 {
		t.Fatalf("sync/orders: %d %s", code, body)
	}
	return out.Results[0]
}

// status returns the integration's status (with a live connection test
// when live) and the raw answer.
func (e *vendorE2E) status(t *testing.T, live bool) (bridge.IntegrationStatus, []byte) {
	t.Helper()
	code, body := e.api(t, "GET", fmt.Sprintf("/integrations/pos/status?live=%v", live), nil)
	var st struct{ Integrations []bridge.IntegrationStatus }
	if code != http.StatusOK || json.Unmarshal(body, &st) != nil || len(st.Integrations) != 1 {
		t.Fatalf("status: %d %s", code, body)
	}
	return st.Integrations[0], body
}

// waitStatus polls the status (without live test) until cond holds.
func (e *vendorE2E) waitStatus(t *testing.T, what string, cond func(bridge.IntegrationStatus) bool) bridge.IntegrationStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, raw := e.status(t, false)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: last status %s\n%s", what, raw, e.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// command publishes a signed command and returns its result and the
// bridge results in its details.
func (e *vendorE2E) command(t *testing.T, typ string, data any) (cloud.Result, []bridge.Result) {
	t.Helper()
	id := fmt.Sprintf("%s-cmd-%d", e.id, len(e.cmds)+1)
	e.cmds = append(e.cmds, id)
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	env := cloud.CommandEnvelope{SpecVersion: "1.0", ID: id, Type: typ, Time: now.Format(time.RFC3339),
		Expires: now.Add(time.Minute).Format(time.RFC3339), Data: raw}
	env.Sign(e.store, e.key)
	b, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sub.Publish(e.prefix+"/cmd/"+typ, b, false); err != nil {
		t.Fatal(err)
	}
	var res []cloud.Result
	if err := e.sub.WaitErr(30*time.Second, func() bool { res = e.results(id); return len(res) > 0 }); err != nil {
		t.Fatalf("result of %s %s: %v\n%s", typ, id, err, e.logs)
	}
	var details struct{ Results []bridge.Result }
	if len(res[0].Details) > 0 {
		mustJSON(t, res[0].Details, &details)
	}
	return res[0], details.Results
}

// results returns the command results received for command id.
func (e *vendorE2E) results(id string) []cloud.Result {
	var out []cloud.Result
	for _, env := range e.sub.Envelopes(e.prefix + "/cmd-results") {
		var r cloud.Result
		if json.Unmarshal(env.Data, &r) == nil && r.CommandID == id {
			out = append(out, r)
		}
	}
	return out
}

// pushMenu sends menu.push and returns the integration's result.
func (e *vendorE2E) pushMenu(t *testing.T, m *model.Menu) bridge.Result {
	t.Helper()
	cr, results := e.command(t, "menu.push", menuPush{Menu: m, IntegrationID: e.id})
	if cr.Status != "ok" || len(results) != 1 || results[0].IntegrationID != e.id {
		t.Fatalf("menu.push %s result: %+v", m.Version, cr)
	}
	return results[0]
}

// orderEvents returns the Aura orders published for a vendor order.
func (e *vendorE2E) orderEvents(vendor, externalID string) []model.Order {
	var out []model.Order
	for _, env := range e.sub.Envelopes(e.prefix + "/events/orders") {
		var o model.Order
		if json.Unmarshal(env.Data, &o) == nil && o.Source.Vendor == vendor && o.Source.ExternalID == externalID {
			out = append(out, o)
		}
	}
	return out
}

// paymentEvents returns the payments published for an Aura order.
func (e *vendorE2E) paymentEvents(orderID string) []model.Payment {
	var out []model.Payment
	for _, env := range e.sub.Envelopes(e.prefix + "/events/payments") {
		var p model.Payment
		if json.Unmarshal(env.Data, &p) == nil && p.OrderID == orderID {
			out = append(out, p)
		}
	}
	return out
}

func (e *vendorE2E) waitOrder(t *testing.T, vendor, externalID string) model.Order {
	t.Helper()
	var got []model.Order
	if err := e.sub.WaitErr(15*time.Second, func() bool { got = e.orderEvents(vendor, externalID); return len(got) > 0 }); err != nil {
		t.Fatalf("order %s at the cloud: %v\n%s", externalID, err, e.logs)
	}
	return got[0]
}

// checkOrder compares an Aura order with the vendor's total.
func (e *vendorE2E) checkOrder(t *testing.T, si *standIn, o model.Order, want int64) {
	t.Helper()
	if o.Totals.Total.Amount != want || o.Totals.Total.Currency != "USD" {
		t.Errorf("order %s (%s): total %v, the vendor says %d", o.ID, o.Source.ExternalID, o.Totals.Total, want)
	}
	if len(o.Discounts) == 0 || len(o.Taxes) == 0 || o.Tip.Amount == 0 {
		t.Errorf("order %s lost its discounts, taxes or tip: %+v", o.ID, o)
	}
	if !slices.ContainsFunc(o.LineItems, func(li model.LineItem) bool { return len(li.Modifiers) > 0 }) {
		t.Errorf("order %s: no line kept its modifier: %+v", o.ID, o.LineItems)
	}
	if si.checkOrder != nil {
		si.checkOrder(t, o)
	}
}

// checkPayments waits for the split payments of an Aura order, which must
// add up to its total.
func (e *vendorE2E) checkPayments(t *testing.T, o model.Order, want int64) {
	t.Helper()
	var pays []model.Payment
	if err := e.sub.WaitErr(10*time.Second, func() bool { pays = e.paymentEvents(o.ID); return len(pays) >= 2 }); err != nil {
		t.Errorf("payments of order %s (%s): got %d, want the 2 of the split: %v", o.ID, o.Reference, len(pays), err)
		return
	}
	var sum int64
	for _, p := range pays {
		sum += p.Amount.Amount + p.Tip.Amount
	}
	if sum != want {
		t.Errorf("payments of order %s add up to %d with tips, the order is %d: %+v", o.ID, sum, want, pays)
	}
}

// webhook posts a delivery to the daemon's receiver, as the vendor would
// (no bearer token), and returns the HTTP status and the reply's state.
func (e *vendorE2E) webhook(t *testing.T, h http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", e.base+"/webhooks/"+e.id, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r struct{ Status string }
	json.Unmarshal(b, &r)
	return resp.StatusCode, r.Status
}

// syncLogs reads GET /v1/sync-logs?type= as admin, newest first, for the
// integration (commands carry none).
func (e *vendorE2E) syncLogs(t *testing.T, typ string) []audit.Record {
	t.Helper()
	q := "/v1/sync-logs?limit=1000&type=" + typ
	if typ != "command" {
		q += "&integration=" + e.id
	}
	code, body := e.api(t, "GET", q, nil)
	var out struct {
		SyncLogs []audit.Record `json:"sync_logs"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("sync-logs: %d %s", code, body)
	}
	return out.SyncLogs
}

// --- assertions shared by vendors ---

func assertObjectsCover(t *testing.T, objs []pos.ObjectResult) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range objs {
		seen[o.AuraID] = true
	}
	for _, id := range menuIDs {
		if !seen[id] {
			t.Errorf("no object result for %s in %+v", id, objs)
		}
	}
}

// assertStatuses: the objects in updated are updated, every other one is
// unchanged (or unsupported, for kinds the vendor does not take).
func assertStatuses(t *testing.T, what string, objs []pos.ObjectResult, updated []string) {
	t.Helper()
	for _, o := range objs {
		want := []pos.Status{pos.StatusUnchanged, pos.StatusUnsupported}
		if slices.Contains(updated, o.AuraID) {
			want = []pos.Status{pos.StatusUpdated}
		}
		if !slices.Contains(want, o.Status) {
			t.Errorf("%s: %s %s is %s (%s), want %v", what, o.Kind, o.AuraID, o.Status, o.Reason, want)
		}
	}
}

// assertUnsupported: a vendor without menu writes reports every object
// unsupported, says so, and makes no request.
func assertUnsupported(t *testing.T, res bridge.Result, w []vendorRequest) {
	t.Helper()
	if res.Status != "unsupported" || !strings.Contains(res.Message, "unsupported") {
		t.Errorf("push to a read-only menu: %+v", res)
	}
	for _, o := range res.Objects {
		if o.Status != pos.StatusUnsupported || o.Reason == "" {
			t.Errorf("%s %s is %s (%q), want unsupported with a reason", o.Kind, o.AuraID, o.Status, o.Reason)
		}
	}
	if len(w) != 0 {
		t.Errorf("push to a read-only menu made %d requests: %s", len(w), describe(w))
	}
}

func assertNoSecrets(t *testing.T, where string, body []byte, creds map[string]string) {
	t.Helper()
	for k, v := range creds {
		if len(v) >= 6 && bytes.Contains(body, []byte(v)) {
			t.Errorf("%s shows the value of credential %s", where, k)
		}
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// decodeNumbers decodes JSON keeping numbers as their text.
func decodeNumbers(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func describe(w []vendorRequest) string {
	var parts []string
	for _, r := range w {
		parts = append(parts, r.Method+" "+r.Path+" "+string(r.Body))
	}
	return strings.Join(parts, "\n")
}

func fieldNames(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// cents converts a vendor's decimal amount to minor units, half away from
// zero.
func cents(t *testing.T, s string) int64 {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return d.Shift(2).Round(0).IntPart()
}

// --- Square ---

func squareStandIn(t *testing.T, integrationID string) *standIn {
	srv := squaretest.Start(t)
	conv := func(rs []squaretest.Request) []vendorRequest {
		var out []vendorRequest
		for _, r := range rs {
			out = append(out, vendorRequest{r.Method, r.Path, r.Body})
		}
		return out
	}
	// objects returns every catalog object of batch-upsert bodies, nested
	// variations and modifiers included.
	objects := func(t *testing.T, w []vendorRequest) []squaretest.CatalogObject {
		var out []squaretest.CatalogObject
		for _, r := range w {
			if r.Method != "POST" || r.Path != "/v2/catalog/batch-upsert" {
				t.Errorf("unexpected catalog write %s %s", r.Method, r.Path)
				continue
			}
			var req struct {
				IdempotencyKey string `json:"idempotency_key"`
				Batches        []struct {
					Objects []squaretest.CatalogObject `json:"objects"`
				} `json:"batches"`
			}
			mustJSON(t, r.Body, &req)
			if req.IdempotencyKey == "" {
				t.Errorf("batch-upsert without idempotency key")
			}
			for _, b := range req.Batches {
				for _, o := range b.Objects {
					out = append(out, o)
					if o.ItemData != nil {
						out = append(out, o.ItemData.Variations...)
					}
					if o.ModifierListData != nil {
						out = append(out, o.ModifierListData.Modifiers...)
					}
				}
			}
		}
		return out
	}
	price := func(m *squaretest.Money) string {
		if m == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%d %s", m.Amount, m.Currency)
	}
	return &standIn{
		creds: map[string]string{"access_token": squaretest.DefaultAccessToken, "webhook_signature_key": squaretest.DefaultSignatureKey},
		// write_retries 0: the adapter leaves every retry to the daemon's
		// queue (by default it retries 429/5xx itself, within the push).
		settings: map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": srv.URL(), "write_retries": "0"},
		pushes:   true,
		writes:   func() []vendorRequest { return conv(srv.CatalogWrites()) },
		firstPush: func(t *testing.T, w []vendorRequest) {
			got := map[string]string{}
			for _, o := range objects(t, w) {
				switch {
				case o.TaxData != nil:
					got["tax "+o.TaxData.Name] = o.TaxData.Percentage + " " + o.TaxData.InclusionType
				case o.ModifierListData != nil:
					l := o.ModifierListData
					got["list "+l.Name] = fmt.Sprintf("min %d max %d, %d modifiers", orMinus1(l.MinSelectedModifiers), orMinus1(l.MaxSelectedModifiers), len(l.Modifiers))
				case o.ModifierData != nil:
					got["modifier "+o.ModifierData.Name] = price(o.ModifierData.PriceMoney)
				case o.ItemData != nil:
					got["item "+o.ItemData.Name] = fmt.Sprintf("%d variations, %d taxes, %d lists", len(o.ItemData.Variations), len(o.ItemData.TaxIDs), len(o.ItemData.ModifierListInfo))
				case o.ItemVariationData != nil:
					got["variation "+o.ItemVariationData.Name+" "+o.ItemVariationData.SKU] = price(o.ItemVariationData.PriceMoney)
				}
			}
			want := map[string]string{
				"tax Sales tax": "8.875 ADDITIVE", "list Milk": "min 1 max 2, 2 modifiers",
				"modifier Oat milk": "75 USD", "modifier Almond milk": "60 USD",
				"item Latte": "2 variations, 1 taxes, 1 lists", "item Croissant": "2 variations, 1 taxes, 0 lists",
				"variation 12oz LAT12": "450 USD", "variation 16oz LAT16": "525 USD",
				"variation Plain CRP": "325 USD", "variation Almond CRA": "395 USD",
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("square catalog: %s is %q, want %q", k, got[k], v)
				}
			}
		},
		priceChange: func(t *testing.T, w []vendorRequest) {
			objs := objects(t, w)
			if len(w) != 1 || len(objs) != 1 || objs[0].ItemVariationData == nil {
				t.Fatalf("square price change: want one batch-upsert of one variation, got %s", describe(w))
			}
			v := objs[0]
			if price(v.ItemVariationData.PriceMoney) != "550 USD" || v.ItemVariationData.ItemID == "" || v.Version == 0 {
				t.Errorf("square price change: %+v %+v", v, v.ItemVariationData)
			}
		},
		updatedOnPriceChange: []string{"var-latte-16"},
		seedOrder: func(t *testing.T, ref string) (string, int64) {
			o := srv.SeedOrder(squaretest.OrderSpec{ReferenceID: ref,
				Lines: []squaretest.LineSpec{
					{Name: "Latte", VariationName: "16oz", Price: 525, Modifiers: []squaretest.ModifierSpec{{Name: "Oat milk", Price: 75}}},
					{Name: "Croissant", VariationName: "Plain", Price: 325, Quantity: "2"},
				},
				Discounts: []squaretest.DiscountSpec{{Name: "Loyalty", Percentage: "10"}},
				Taxes:     []squaretest.TaxSpec{{Name: "Sales tax", Percentage: "8.875"}},
				Tenders:   []squaretest.TenderSpec{{Type: "CARD", Amount: 800, Tip: 150}, {Type: "CASH"}},
			})
			raw, _ := json.Marshal(o) // as GET /v2/orders/{id} serves it
			var js struct {
				TotalMoney struct{ Amount int64 } `json:"total_money"`
			}
			mustJSON(t, raw, &js)
			return o.ID, js.TotalMoney.Amount
		},
		fetches: func(id string) int {
			n := 0
			for _, r := range srv.RequestsTo("POST", "/v2/orders/batch-retrieve") {
				if bytes.Contains(r.Body, []byte(id)) {
					n++
				}
			}
			return n
		},
		webhook: func(t *testing.T, id string, sig sigMode) (http.Header, []byte) {
			body, err := srv.OrderEvent("order.updated", id)
			if err != nil {
				t.Fatal(err)
			}
			url := e2ePublicURL + "/webhooks/" + integrationID // what Square signs
			h := http.Header{"Content-Type": {"application/json"}}
			switch sig {
			case sigValid:
				h.Set(squaretest.SignatureHeader, squaretest.Sign(squaretest.DefaultSignatureKey, url, body))
			case sigWrong:
				h.Set(squaretest.SignatureHeader, squaretest.Sign("not-the-signature-key", url, body))
			}
			return h, body
		},
		failNextWrite: func() {
			f := squaretest.RateLimited("1")
			f.Path = "/v2/catalog/batch-upsert"
			srv.FailNext(1, f)
			f = squaretest.ServerError()
			f.Path = "/v2/catalog/batch-upsert"
			srv.FailNext(1, f)
		},
		failNextPull: func() {
			f := squaretest.RateLimited("1")
			f.Path = "/v2/orders/search"
			srv.FailNext(1, f)
		},
	}
}

func orMinus1(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

// --- Clover ---

func cloverStandIn(t *testing.T, _ string) *standIn {
	srv := clovertest.Start(t)
	mpath := "/v3/merchants/" + srv.Merchant()
	writes := func() []vendorRequest {
		var out []vendorRequest
		for _, r := range srv.Writes() {
			out = append(out, vendorRequest{r.Method, r.Path, r.Body})
		}
		return out
	}
	itemID := func(t *testing.T, name string) string {
		for _, it := range srv.Items() {
			if it.Name == name {
				return it.ID
			}
		}
		t.Fatalf("clover has no item %q", name)
		return ""
	}
	return &standIn{
		creds: srv.Credentials(), settings: srv.Settings(), pushes: true, writes: writes,
		firstPush: func(t *testing.T, w []vendorRequest) {
			got := map[string][]string{}
			for _, r := range w {
				var body map[string]any
				decodeNumbers(t, r.Body, &body)
				path := strings.TrimPrefix(r.Path, mpath)
				switch {
				case path == "/tax_rates":
					got[path] = append(got[path], fmt.Sprint(body["name"], " ", body["rate"]))
				case path == "/modifier_groups":
					got[path] = append(got[path], fmt.Sprint(body["name"], " min ", body["minRequired"], " max ", body["maxAllowed"]))
				case strings.HasSuffix(path, "/modifiers"):
					got["modifiers"] = append(got["modifiers"], fmt.Sprint(body["name"], " ", body["price"]))
				case path == "/items":
					got[path] = append(got[path], fmt.Sprint(body["name"], " ", body["price"], " ", body["priceType"], " ", body["sku"]))
				case path == "/item_modifier_groups", path == "/tax_rate_items":
					els, _ := body["elements"].([]any)
					got[path] = append(got[path], fmt.Sprint(len(els), " links"))
				default:
					t.Errorf("clover: unexpected write %s %s", r.Method, r.Path)
				}
			}
			want := map[string][]string{
				"/tax_rates":            {"Sales tax 887500"},
				"/modifier_groups":      {"Milk min 1 max 2"},
				"modifiers":             {"Almond milk 60", "Oat milk 75"},
				"/items":                {"Croissant Almond 395 FIXED CRA", "Croissant Plain 325 FIXED CRP", "Latte 12oz 450 FIXED LAT12", "Latte 16oz 525 FIXED LAT16"},
				"/item_modifier_groups": {"2 links"},
				"/tax_rate_items":       {"4 links"},
			}
			for k, v := range want {
				if g := sortedStrings(got[k]); !slices.Equal(g, v) {
					t.Errorf("clover %s: %q, want %q", k, g, v)
				}
			}
		},
		priceChange: func(t *testing.T, w []vendorRequest) {
			if len(w) != 1 || w[0].Method != "POST" || w[0].Path != mpath+"/items/"+itemID(t, "Latte 16oz") {
				t.Fatalf("clover price change: want one update of the 16oz latte item, got %s", describe(w))
			}
			var body map[string]any
			decodeNumbers(t, w[0].Body, &body)
			if fmt.Sprint(body["price"]) != "550" {
				t.Errorf("clover price change sent price %v", body["price"])
			}
		},
		updatedOnPriceChange: []string{"var-latte-16", "item-latte"}, // an item reports its variations' combined status
		seedOrder: func(t *testing.T, ref string) (string, int64) {
			tax := clovertest.TaxRate{ID: "TAXSALES0001", Name: "Sales tax", Rate: 887500}
			o := clovertest.Order{Title: ref, LineItems: []clovertest.LineItem{
				{ItemID: itemID(t, "Latte 16oz"), Name: "Latte 16oz", Price: 525, TaxRates: []clovertest.TaxRate{tax},
					Modifications: []clovertest.Modification{{Name: "Oat milk", Amount: 75}}},
				{ItemID: itemID(t, "Croissant Plain"), Name: "Croissant Plain", Price: 325, TaxRates: []clovertest.TaxRate{tax},
					Discounts: []clovertest.Discount{{Name: "Day-old", Amount: -50}}},
				{ItemID: itemID(t, "Croissant Plain"), Name: "Croissant Plain", Price: 325, TaxRates: []clovertest.TaxRate{tax}},
			}, Discounts: []clovertest.Discount{{Name: "Loyalty", Percentage: 10}}}
			due := clovertest.ComputeTotals(&o).Total
			o.Payments = []clovertest.Payment{clovertest.Card(due-500, 150, "VISA", "4242"), clovertest.Cash(500)}
			o = srv.SeedOrder(o)
			// The vendor's figure, from the order as Clover serves it: total
			// (no tips) plus the tips on its payments.
			req, _ := http.NewRequest("GET", srv.URL()+mpath+"/orders/"+o.ID+"?expand=payments", nil)
			req.Header.Set("Authorization", "Bearer "+clovertest.DefaultAccessToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var js struct {
				Total    int64
				Payments struct {
					Elements []struct {
						TipAmount int64
						Result    string
					}
				}
			}
			mustJSON(t, raw, &js)
			want := js.Total
			for _, p := range js.Payments.Elements {
				if p.Result == "SUCCESS" {
					want += p.TipAmount
				}
			}
			return o.ID, want
		},
		checkOrder: func(t *testing.T, o model.Order) {
			if o.LineItems[0].VariationID != "var-latte-16" || o.LineItems[0].ItemID != "item-latte" {
				t.Errorf("clover line not mapped back to the pushed menu: %+v", o.LineItems[0])
			}
			// Tax from the lines' own rates (fetched from the order's line
			// items), modifiers kept, and the cash payment read as cash
			// (tender expanded), through the daemon.
			if len(o.Taxes) != 1 || o.Taxes[0].Name != "Sales tax" || o.Taxes[0].Amount.Amount == 0 {
				t.Errorf("clover taxes = %+v", o.Taxes)
			}
			for _, d := range o.Discounts {
				if d.Name == "Clover total adjustment" {
					t.Errorf("clover order needed a total adjustment: %+v", d)
				}
			}
			if len(o.LineItems[0].Modifiers) != 1 {
				t.Errorf("clover modifiers = %+v", o.LineItems[0].Modifiers)
			}
			methods := map[model.PaymentMethod]int{}
			for _, p := range o.Payments {
				methods[p.Method]++
			}
			if methods[model.MethodCash] != 1 || methods[model.MethodCard] != 1 {
				t.Errorf("clover payment methods = %v, want one card and one cash", methods)
			}
		},
		fetches: func(id string) int {
			n := 0
			for _, r := range srv.Requests() {
				if r.Method == "GET" && r.Path == mpath+"/orders/"+id && r.Query.Get("expand") != "payments" {
					n++
				}
			}
			return n
		},
		webhook: func(t *testing.T, id string, sig sigMode) (http.Header, []byte) {
			h, body := srv.Webhook(clovertest.OrderEvent(id, time.Now().UnixMilli()))
			switch sig {
			case sigWrong:
				h.Set("X-Clover-Auth", "not-the-auth-code")
			case sigMissing:
				h.Del("X-Clover-Auth")
			}
			return h, body
		},
		failNextWrite: func() {
			srv.FailNext(1, clovertest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1", Message: "Too Many Requests",
				Method: "POST", PathContains: "/items"})
			f := clovertest.ServerError()
			f.Method, f.PathContains = "POST", "/items"
			srv.FailNext(1, f)
		},
		failNextPull: func() {
			f := clovertest.TooManyRequests("1")
			f.Method, f.PathContains = "GET", "/orders"
			srv.FailNext(1, f)
		},
	}
}

// --- Lightspeed ---

func lightspeedStandIn(t *testing.T, _ string) *standIn {
	srv := lightspeedtest.Start(t)
	writes := func() []vendorRequest {
		var out []vendorRequest
		for _, r := range srv.Writes() {
			out = append(out, vendorRequest{r.Method, r.Path, r.Body})
		}
		return out
	}
	product := func(t *testing.T, sourceID, variant string) lightspeedtest.Product {
		for _, p := range srv.Products() {
			if p.SourceID == sourceID && (variant == "" || strings.HasSuffix(p.VariantName, " / "+variant)) {
				return p
			}
		}
		t.Fatalf("lightspeed has no product %s %s", sourceID, variant)
		return lightspeedtest.Product{}
	}
	return &standIn{
		creds: srv.Credentials(), settings: srv.Settings("USD"), pushes: true, writes: writes,
		firstPush: func(t *testing.T, w []vendorRequest) {
			got := map[string]string{}
			for _, r := range w {
				switch {
				case r.Method == "POST" && r.Path == "/variant_attributes":
				case r.Method == "POST" && r.Path == "/products":
					var p struct {
						Name              string
						PriceExcludingTax json.Number `json:"price_excluding_tax"`
						PriceIncludingTax json.Number `json:"price_including_tax"`
						Variants          []struct {
							SKU                string
							PriceExcludingTax  json.Number              `json:"price_excluding_tax"`
							VariantDefinitions []struct{ Value string } `json:"variant_definitions"`
						}
					}
					decodeNumbers(t, r.Body, &p)
					got[p.Name] = string(p.PriceExcludingTax) + string(p.PriceIncludingTax)
					for _, v := range p.Variants {
						if len(v.VariantDefinitions) == 1 {
							got[p.Name+" / "+v.VariantDefinitions[0].Value] = string(v.PriceExcludingTax) + " " + v.SKU
						}
					}
				default:
					t.Errorf("lightspeed: unexpected write %s %s", r.Method, r.Path)
				}
			}
			// Decimals, as JSON numbers, tax-exclusive (the menu's tax is not
			// inclusive); modifiers with a price become add-on products.
			want := map[string]string{
				"Latte": "", "Latte / 12oz": "4.50 LAT12", "Latte / 16oz": "5.25 LAT16",
				"Croissant": "", "Croissant / Plain": "3.25 CRP", "Croissant / Almond": "3.95 CRA",
				"Milk: Oat milk": "0.75", "Milk: Almond milk": "0.60",
			}
			for k, v := range want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("lightspeed product %q: %q, want %q", k, g, v)
				}
			}
		},
		priceChange: func(t *testing.T, w []vendorRequest) {
			id := product(t, "edge:item-latte", "16oz").ID
			if len(w) != 1 || w[0].Method != "PUT" || w[0].Path != "/products/"+id {
				t.Fatalf("lightspeed price change: want one update of the 16oz variant, got %s", describe(w))
			}
			var body struct {
				Details struct {
					PriceExcludingTax json.Number `json:"price_excluding_tax"`
				}
			}
			decodeNumbers(t, w[0].Body, &body)
			if body.Details.PriceExcludingTax != "5.50" {
				t.Errorf("lightspeed price change sent %s", w[0].Body)
			}
		},
		updatedOnPriceChange: []string{"var-latte-16"},
		seedOrder: func(t *testing.T, ref string) (string, int64) {
			id := srv.SeedSale(lightspeedtest.SaleSpec{ReceiptNumber: ref, Tip: "1.50",
				Lines: []lightspeedtest.LineSpec{
					{ProductID: product(t, "edge:item-latte", "16oz").ID, Quantity: "1", UnitPrice: "5.25", TaxRate: "0.08875"},
					{ProductID: product(t, "edge:mod-oat", "").ID, Quantity: "1", UnitPrice: "0.75", TaxRate: "0.08875"},
					{ProductID: product(t, "edge:item-croissant", "Plain").ID, Quantity: "2", UnitPrice: "3.25", UnitDiscount: "0.30", TaxRate: "0.08875"},
				},
				Payments: []lightspeedtest.PaymentSpec{{Type: "Credit Card", Amount: "10.00"}, {Type: "Cash"}},
			})
			var js struct {
				Totals struct {
					PriceInclTax json.Number `json:"price_incl_tax"`
				}
				Adjustments []struct {
					AdjustmentType string      `json:"adjustment_type"`
					Total          json.Number `json:"total"`
				}
			}
			decodeNumbers(t, srv.SaleJSON(id), &js)
			want := cents(t, string(js.Totals.PriceInclTax))
			for _, a := range js.Adjustments {
				if a.AdjustmentType == "TIP" {
					want += cents(t, string(a.Total))
				}
			}
			return id, want
		},
		checkOrder: func(t *testing.T, o model.Order) {
			li := o.LineItems[0]
			if li.VariationID != "var-latte-16" || len(li.Modifiers) != 1 || li.Modifiers[0].ModifierID != "mod-oat" {
				t.Errorf("lightspeed line not mapped back to the pushed menu (add-on as modifier): %+v", li)
			}
		},
		fetches: func(id string) int {
			n := 0
			for _, r := range srv.Requests() {
				if r.Method == "GET" && r.Path == "/sales/"+id {
					n++
				}
			}
			return n
		},
		webhook: func(t *testing.T, id string, sig sigMode) (http.Header, []byte) {
			var opts []lightspeedtest.WebhookOption
			switch sig {
			case sigWrong:
				opts = append(opts, lightspeedtest.SignWith("not-the-client-secret"))
			case sigMissing:
				opts = append(opts, lightspeedtest.SignatureHeader(""))
			}
			req := srv.Webhook(id, opts...)
			return req.Header, req.Body
		},
		failNextWrite: func() {
			// Only the writes: GET /products is the catalog read of a drift
			// check, which must not take these.
			srv.FailNext(1, lightspeedtest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1", Method: http.MethodPut, Path: "/products"})
			srv.FailNext(1, lightspeedtest.Fault{Status: http.StatusInternalServerError, Method: http.MethodPut, Path: "/products"})
		},
		failNextPull: func() {
			srv.FailNext(1, lightspeedtest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1", Method: http.MethodGet, Path: "/sales"})
		},
	}
}

// --- Toast ---

func toastStandIn(t *testing.T, _ string) *standIn {
	srv := toasttest.Start(t)
	return &standIn{
		creds: srv.Credentials(), settings: srv.Settings("USD"), pushes: false,
		writes: func() []vendorRequest { // Toast menus are read-only: a push must make no request at all
			var out []vendorRequest
			for _, r := range srv.Requests() {
				out = append(out, vendorRequest{r.Method, r.Path, r.Body})
			}
			return out
		},
		seedOrder: func(t *testing.T, ref string) (string, int64) {
			guid := srv.SeedOrder(toasttest.OrderSpec{DisplayNumber: ref, Checks: []toasttest.CheckSpec{{
				Selections: []toasttest.SelectionSpec{
					{Name: "Latte 16oz", UnitPrice: "5.25", TaxRate: "0.08875", Modifiers: []toasttest.ModifierSpec{{Name: "Oat milk", Price: "0.75"}}},
					{Name: "Croissant", Quantity: "2", UnitPrice: "3.25", TaxRate: "0.08875", Discount: &toasttest.DiscountSpec{Name: "Day-old", Amount: "0.50"}},
				},
				Discount:       &toasttest.DiscountSpec{Name: "Loyalty", Amount: "1.00"},
				ServiceCharges: []toasttest.ServiceChargeSpec{{Name: "Staff gratuity", Amount: "2.00", Gratuity: true}},
				Payments:       []toasttest.PaymentSpec{{Type: "CREDIT", Amount: "8.00", Tip: "1.50", CardType: "VISA", Last4: "4242"}, {Type: "CASH"}},
			}}})
			// The vendor's figure, from the spec's definitions: Check.amount
			// (no gratuity, no tax) + taxAmount + gratuity charges + tips.
			// (Before: totalAmount + tips, with the gratuity inside amount.)
			var js struct {
				Checks []struct {
					Amount                json.Number `json:"amount"`
					TaxAmount             json.Number `json:"taxAmount"`
					AppliedServiceCharges []struct {
						ChargeAmount json.Number `json:"chargeAmount"`
						Gratuity     bool        `json:"gratuity"`
					} `json:"appliedServiceCharges"`
					Payments []struct {
						TipAmount json.Number `json:"tipAmount"`
					}
				}
			}
			decodeNumbers(t, srv.OrderJSON(guid), &js)
			var want int64
			for _, c := range js.Checks {
				want += cents(t, string(c.Amount)) + cents(t, string(c.TaxAmount))
				for _, sc := range c.AppliedServiceCharges {
					if sc.Gratuity {
						want += cents(t, string(sc.ChargeAmount))
					}
				}
				for _, p := range c.Payments {
					want += cents(t, string(p.TipAmount))
				}
			}
			return guid, want
		},
		checkOrder: func(t *testing.T, o model.Order) {
			// The 2.00 gratuity is outside Check.amount: kept as tip, never
			// a discount, and the total is right to the cent (checkOrder).
			if o.Tip.Amount != 150+200 {
				t.Errorf("toast tip = %d, want the card tip 150 + gratuity 200", o.Tip.Amount)
			}
			for _, d := range o.Discounts {
				if d.Name != "Day-old" && d.Name != "Loyalty" {
					t.Errorf("toast order has a discount %q of %d", d.Name, d.Amount.Amount)
				}
			}
		},
		fetches: func(guid string) int {
			n := 0
			for _, r := range srv.Requests() {
				if r.Method == "GET" && r.Path == "/orders/v2/orders/"+guid {
					n++
				}
			}
			return n
		},
		webhook: func(t *testing.T, guid string, sig sigMode) (http.Header, []byte) {
			// Every delivery is Toast's second retry: the event's original
			// signed timestamp, 15 minutes old (Toast retries after 5 and
			// then 10 more minutes). It must be accepted; the replay of it
			// is refused by its GUID, which the bridge keeps in bbolt.
			opts := []toasttest.WebhookOption{toasttest.WebhookAt(time.Now().Add(-15 * time.Minute)), toasttest.Attempt(3)}
			switch sig {
			case sigWrong:
				opts = append(opts, toasttest.WebhookSignedWith("not-the-webhook-secret"))
			case sigMissing:
				opts = append(opts, toasttest.WithoutSignature())
			}
			req := srv.Webhook(guid, opts...)
			return req.Header, req.Body
		},
		failNextPull: func() {
			srv.FailNext(1, toasttest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1", Path: "/orders/v2/ordersBulk"})
		},
	}
}
