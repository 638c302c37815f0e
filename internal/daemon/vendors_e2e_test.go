package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/scheduler"
	"github.com/auraconnect/aura-edge/internal/testkit/cloudpeer"
)

// TestVendorsEndToEnd runs the POS adapter layer (issue 5) through the real
// daemon for every case directory testdata/vendors/<vendor>/<case>/: the
// vendor is its stand-in server, the cloud is a subscriber on an embedded
// mochi broker that sends signed commands, and vendors call the daemon's
// webhook endpoint. Each case gets its own daemon, broker and stand-in.
//
// A case directory holds config.json (the integration's config fragment and
// settings added to the stand-in's), fixture.json (the orders seeded in the
// stand-in and the faults it answers with, in the stand-in's own types) and
// expect.json (the writes, order facts, retry attempts and sync-log records
// the run must show). The vendor's Go side is its stand-in driver in
// vendors_<vendor>_test.go, registered with registerStandIn: a new vendor
// adds that file and a directory, not edits to this one.
func TestVendorsEndToEnd(t *testing.T) {
	runCaseDirs(t, caseDirs{"vendors", "stand-in driver", "registerStandIn"}, standIns,
		func(t *testing.T, v, dir string, start func(t *testing.T, integrationID string) *standIn) {
			begin := time.Now()
			runVendor(t, v, loadVendorCase(t, dir), start)
			t.Logf("%s: %s", dir, time.Since(begin).Round(time.Millisecond))
		})
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

// vendorCaseData is one case directory, read.
type vendorCaseData struct {
	dir    string
	config caseConfig
	fix    caseFixture
	expect caseExpect
}

// caseConfig is config.json: the integration's config fragment (as in
// aura-edge.yaml) and settings merged over the stand-in's own.
type caseConfig struct {
	About       string `json:"about"`
	Integration struct {
		PollInterval  string `json:"poll_interval"`
		Jitter        string `json:"jitter"`
		MaxAttempts   int    `json:"max_attempts"`
		DriftInterval string `json:"drift_interval"`
	} `json:"integration"`
	Settings map[string]string `json:"settings"`
}

// caseFixture is fixture.json: what the stand-in holds and answers. Orders
// and faults are in the stand-in's own types; ${kind:name} in them is
// replaced by the stand-in driver (an id it assigned, say).
type caseFixture struct {
	About string `json:"about"`
	// Orders are seeded by reference: A is pulled, B comes by webhook.
	Orders map[string]json.RawMessage `json:"orders"`
	// Menus are the price changes (variation id -> minor units) of the
	// menu versions after v1: v2 is the price change, v3 the faulted push.
	Menus  map[string]map[string]int64 `json:"menus"`
	Faults struct {
		Pull  []json.RawMessage `json:"pull"`  // the next order list answers these
		Write []json.RawMessage `json:"write"` // the next catalog writes answer these
	} `json:"faults"`
}

// caseExpect is expect.json.
type caseExpect struct {
	// Pushes is false for a vendor whose menus are read-only: every push is
	// unsupported and makes no request.
	Pushes bool `json:"pushes"`
	// FirstPush is the stand-in driver's summary of the first push's writes
	// (key -> values, compared sorted); every key listed must match.
	FirstPush map[string][]string `json:"first_push"`
	// PriceChange is the summary of the v2 push's writes, all of it, and
	// how many writes it took.
	PriceChange struct {
		Writes  int                 `json:"writes"`
		Summary map[string][]string `json:"summary"`
	} `json:"price_change"`
	// UpdatedOnPriceChange are the Aura ids v2 reports updated.
	UpdatedOnPriceChange []string `json:"updated_on_price_change"`
	// Order are facts every Aura order of the case shows.
	Order []orderCheck `json:"order"`
	// RetryAttempts are the menu_push records of v3, oldest first, as
	// attempt:status; MinRetryGap the least time between the first two.
	RetryAttempts []string `json:"retry_attempts"`
	MinRetryGap   string   `json:"min_retry_gap"`
	// MinRetryWrites is the least number of writes the v3 push makes.
	MinRetryWrites int `json:"min_retry_writes"`
	// RetryWriteCarries: the last v3 write carries one of these.
	RetryWriteCarries []string `json:"retry_write_carries"`
	// SyncLogs are the audit records GET /v1/sync-logs must show.
	SyncLogs []syncLogWant `json:"sync_logs"`
}

// syncLogWant: at least Min records (exactly Min when Exact) of a type
// and status; PerCommand adds one per command sent.
type syncLogWant struct {
	Type       string       `json:"type"`
	Status     audit.Status `json:"status"`
	Min        int          `json:"min"`
	Exact      bool         `json:"exact"`
	PerCommand bool         `json:"per_command"`
	// NoneFailed: no record of this type has status failed.
	NoneFailed bool   `json:"none_failed"`
	Why        string `json:"why"`
}

// orderCheck is one fact about an Aura order, at a path into its JSON
// ("line_items.0.variation_id"; "*" takes every element of a list).
// Exactly one of Is, Len, Not, In, Counts is set.
type orderCheck struct {
	Path   string         `json:"path"`
	Is     any            `json:"is,omitempty"`     // the one value at Path
	Len    *int           `json:"len,omitempty"`    // the length of the list at Path
	Not    any            `json:"not,omitempty"`    // no value at Path is this
	In     []any          `json:"in,omitempty"`     // every value at Path is one of these
	Counts map[string]int `json:"counts,omitempty"` // how often each value occurs at Path
	Why    string         `json:"why,omitempty"`
}

// standIn is one vendor's stand-in seen through small functions, so that
// the scenario in runVendor is written once. What a case expects is data
// (caseExpect); these only reach into the stand-in.
type standIn struct {
	creds, settings map[string]string
	// writes returns the requests that change the vendor's catalog
	// (every request for a vendor without menu writes), oldest first.
	writes func() []vendorRequest
	// summarize describes catalog writes as key -> values, for
	// caseExpect.FirstPush and PriceChange (nil for read-only menus).
	summarize func(t *testing.T, w []vendorRequest) map[string][]string
	// lookup resolves ${kind:name} in the fixture (nil: none used).
	lookup func(t *testing.T, kind, name string) string
	// seedOrder stores an order from the fixture and returns its vendor id
	// and the total an Aura order must show, computed from the stand-in's
	// own order JSON.
	seedOrder func(t *testing.T, ref string, spec []byte) (externalID string, want int64)
	// fetches counts the single-order reads of externalID so far.
	fetches func(externalID string) int
	// webhook builds a delivery about externalID as the vendor sends it.
	webhook func(t *testing.T, externalID string, sig sigMode) (http.Header, []byte)
	// failNext makes the next matching requests answer the fault (one
	// fixture fault, in the stand-in's type).
	failNext func(t *testing.T, fault []byte)
}

// standIns are the stand-in drivers by vendor, from registerStandIn.
var standIns = map[string]func(t *testing.T, integrationID string) *standIn{}

// registerStandIn adds a vendor's stand-in driver (from an init function in
// vendors_<vendor>_test.go).
func registerStandIn(vendor string, start func(t *testing.T, integrationID string) *standIn) {
	if _, dup := standIns[vendor]; dup {
		panic("two stand-in drivers for " + vendor)
	}
	standIns[vendor] = start
}

func loadVendorCase(t *testing.T, dir string) *vendorCaseData {
	t.Helper()
	c := &vendorCaseData{dir: dir}
	for name, v := range map[string]any{"config.json": &c.config, "fixture.json": &c.fix, "expect.json": &c.expect} {
		readCaseFile(t, filepath.Join(dir, name), v)
	}
	return c
}

// integration is the case's config fragment as the daemon reads it.
func (c *vendorCaseData) integration(t *testing.T, id string) config.Integration {
	t.Helper()
	ci := c.config.Integration
	dur := func(s string) time.Duration {
		if s == "" {
			return 0
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("%s/config.json: %v", c.dir, err)
		}
		return d
	}
	return config.Integration{ID: id, PollInterval: dur(ci.PollInterval), Jitter: dur(ci.Jitter),
		MaxAttempts: ci.MaxAttempts, DriftInterval: ci.DriftInterval}
}

var placeholder = regexp.MustCompile(`\$\{([a-z_]+):([^}]*)\}`)

// expand replaces ${kind:name} in a fixture value with what the stand-in
// driver says.
func (sc *scenario) expand(t *testing.T, raw []byte) []byte {
	t.Helper()
	return placeholder.ReplaceAllFunc(raw, func(m []byte) []byte {
		p := placeholder.FindSubmatch(m)
		if sc.si.lookup == nil {
			t.Fatalf("%s: %s, but the %s stand-in driver resolves no placeholders", sc.c.dir, m, sc.vendor)
		}
		return []byte(sc.si.lookup(t, string(p[1]), string(p[2])))
	})
}

// seed seeds fixture order ref.
func (sc *scenario) seed(t *testing.T, ref string) (string, int64) {
	t.Helper()
	spec, ok := sc.c.fix.Orders[ref]
	if !ok {
		t.Fatalf("%s/fixture.json has no order %q", sc.c.dir, ref)
	}
	return sc.si.seedOrder(t, ref, sc.expand(t, spec))
}

// inject queues fixture faults in the stand-in.
func (sc *scenario) inject(t *testing.T, faults []json.RawMessage) {
	t.Helper()
	for _, f := range faults {
		sc.si.failNext(t, sc.expand(t, f))
	}
}

// menu is cafeMenu at version v with the fixture's prices of v.
func (sc *scenario) menu(t *testing.T, v string) *model.Menu {
	t.Helper()
	if v == "v1" {
		return cafeMenu(v, nil)
	}
	p, ok := sc.c.fix.Menus[v]
	if !ok {
		t.Fatalf("%s/fixture.json has no menus.%s", sc.c.dir, v)
	}
	return cafeMenu(v, p)
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
// ones before, so the first that fails ends the case's run.
func runVendor(t *testing.T, vendor string, c *vendorCaseData, start func(t *testing.T, integrationID string) *standIn) {
	id := vendor + "-1"
	sc := &scenario{vendor: vendor, c: c, si: start(t, id)}
	for k, v := range c.config.Settings {
		sc.si.settings[k] = v
	}
	sc.e = startVendorDaemonWith(t, c.integration(t, id))
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
		{"8_paced_pulls", sc.pacedPulls},
		{"exactly_once_and_no_secrets", sc.exactlyOnce},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return
		}
	}
}

// scenario is one case's run and what its steps hand on.
type scenario struct {
	vendor string
	c      *vendorCaseData
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
	res := e.pushMenu(t, sc.menu(t, "v1"))
	w := si.writes()[n:]
	t.Logf("push v1: %s (%s), %d vendor writes", res.Status, res.Message, len(w))
	assertObjectsCover(t, res.Objects)
	if !sc.c.expect.Pushes {
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
	assertSummary(t, sc.vendor+" first push", si.summarize(t, w), sc.c.expect.FirstPush, false)
}

// pushAgain: the same version again writes nothing; a price change
// writes only that variation.
func (sc *scenario) pushAgain(t *testing.T) {
	e, si := sc.e, sc.si
	n := len(si.writes())
	res := e.pushMenu(t, sc.menu(t, "v1"))
	if w := si.writes()[n:]; len(w) != 0 {
		t.Errorf("second push of v1 made %d vendor writes: %s", len(w), describe(w))
	}
	if !sc.c.expect.Pushes {
		assertUnsupported(t, res, nil)
	} else {
		if res.Status != "success" {
			t.Errorf("second push: %+v", res)
		}
		assertStatuses(t, "second push", res.Objects, nil)
	}
	n = len(si.writes())
	res = e.pushMenu(t, sc.menu(t, "v2"))
	w := si.writes()[n:]
	if !sc.c.expect.Pushes {
		assertUnsupported(t, res, w)
		return
	}
	if res.Status != "success" {
		t.Errorf("price change: %+v", res)
	}
	assertStatuses(t, "price change", res.Objects, sc.c.expect.UpdatedOnPriceChange)
	if pc := sc.c.expect.PriceChange; len(w) != pc.Writes {
		t.Fatalf("%s price change: want %d writes, got %s", sc.vendor, pc.Writes, describe(w))
	}
	assertSummary(t, sc.vendor+" price change", si.summarize(t, w), sc.c.expect.PriceChange.Summary, true)
}

// ordersSync: orders pulled by an orders.sync command arrive at the cloud
// with the vendor's total to the cent, with their payments; a second sync
// (through the local API) publishes nothing new.
func (sc *scenario) ordersSync(t *testing.T) {
	e := sc.e
	sc.extA, sc.wantA = sc.seed(t, "A-100")
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
	e.checkOrder(t, sc.c, sc.orderA, sc.wantA)
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
	sc.extB, sc.wantB = sc.seed(t, "B-200")
	hdr, payload := si.webhook(t, sc.extB, sigValid)
	if code, state := e.webhook(t, hdr, payload); code != http.StatusOK || state != "accepted" {
		t.Fatalf("signed webhook: %d %s", code, state)
	}
	sc.orderB = e.waitOrder(t, sc.vendor, sc.extB) // the next poll is 24h away: this is the webhook's fetch
	e.checkOrder(t, sc.c, sc.orderB, sc.wantB)
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
	sc.inject(t, sc.c.fix.Faults.Pull)
	if r := e.syncAPI(t); r.Status != "failed" || !strings.Contains(r.Message, "429") {
		t.Errorf("sync against a 429: %+v", r)
	}
	if r := e.syncAPI(t); r.Status != "success" {
		t.Errorf("sync after the 429: %+v", r)
	}
	// The pulls above re-read the webhook's payments: still exactly two
	// events adding up to the order (no second revision).
	e.checkPayments(t, sc.orderB, sc.wantB)
	if !sc.c.expect.Pushes {
		return // nothing to retry: read-only menus make no request
	}
	// v3 (the fixture's menus.v3) changes the 12oz latte to 4.75.
	sc.inject(t, sc.c.fix.Faults.Write)
	// A catalog read between the fault injection and the push (a drift
	// check, scheduled or after a catalog webhook) must not take the
	// faults meant for the writes.
	if _, err := e.d.Core().Bridge.CheckDrift(t.Context(), e.id, "test"); err != nil {
		t.Errorf("catalog comparison with write faults pending: %v", err)
	}
	n := len(si.writes())
	res := e.pushMenu(t, sc.menu(t, "v3"))
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
	ex := sc.c.expect
	w := si.writes()[n:]
	if len(w) < ex.MinRetryWrites {
		t.Errorf("want at least %d writes (the faulted ones and a successful one), got %s", ex.MinRetryWrites, describe(w))
	} else if last := w[len(w)-1]; !slices.ContainsFunc(ex.RetryWriteCarries, func(s string) bool { return bytes.Contains(last.Body, []byte(s)) }) {
		t.Errorf("last write does not carry the new price (%q): %s %s %s", ex.RetryWriteCarries, last.Method, last.Path, last.Body)
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
	if want := ex.RetryAttempts; !slices.Equal(got, want) {
		t.Errorf("menu_push records of v3: %v, want %v", got, want)
	}
	minGap, err := time.ParseDuration(ex.MinRetryGap)
	if err != nil {
		t.Fatalf("%s/expect.json min_retry_gap: %v", sc.c.dir, err)
	}
	if len(attempts) >= 2 {
		gap := attempts[1].SyncedAt.Sub(attempts[0].SyncedAt)
		if gap < minGap {
			t.Errorf("first retry came %s after the first fault, want at least %s (its Retry-After)", gap.Round(time.Millisecond), minGap)
		}
	}
}

// pacedPulls: scheduled order pulls answered 429 with Retry-After (twice
// in seconds, then as an HTTP date) are retried when the vendor asked, not
// after the scheduler's growing backoff (5 s, then 10 s, 20 s, ... before
// issue 16).
func (sc *scenario) pacedPulls(t *testing.T) {
	e := sc.e
	if len(sc.c.fix.Faults.Pull) == 0 {
		t.Fatalf("%s/fixture.json has no pull fault", sc.c.dir)
	}
	withRetryAfter := func(v string) []byte {
		var f map[string]any
		if err := json.Unmarshal(sc.expand(t, sc.c.fix.Faults.Pull[0]), &f); err != nil {
			t.Fatal(err)
		}
		f["RetryAfter"] = v
		b, _ := json.Marshal(f)
		return b
	}
	start := time.Now()
	// The date is 4 s ahead: the third failure, about 2 s from now, is
	// asked to wait until then (1-2 s more; dates have whole seconds).
	date := start.Add(4 * time.Second).UTC().Format(http.TimeFormat)
	for _, v := range []string{"1", "1", date} {
		sc.si.failNext(t, withRetryAfter(v))
	}
	key := e.id + "/orders"
	sched := e.d.Core().Scheduler
	if !sched.Trigger(key) {
		t.Fatalf("no scheduled flow %s", key)
	}
	var seen []int // distinct consecutive-failure counts observed
	deadline := time.Now().Add(30 * time.Second)
	var last time.Time
	for {
		var st scheduler.State
		for _, s := range sched.States() {
			if s.Key == key {
				st = s
			}
		}
		if st.Failures > 0 && (len(seen) == 0 || seen[len(seen)-1] != st.Failures) {
			seen = append(seen, st.Failures)
			if ra := st.NextRun.Sub(st.LastRun); ra > 2100*time.Millisecond && st.Failures < 3 {
				t.Errorf("after failure %d (Retry-After: 1) the next pull is due in %s", st.Failures, ra)
			}
		}
		if st.Failures == 0 && st.LastRun.After(start) && len(seen) > 0 && st.LastError == "" {
			last = st.LastRun
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pull flow did not recover within 30 s: %+v (failures seen %v)", st, seen)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !slices.Equal(seen, []int{1, 2, 3}) {
		t.Errorf("failure counts seen %v, want [1 2 3]", seen)
	}
	took := last.Sub(start)
	// 1 s + 1 s + until the date (>= 3 s from the start, at most 4 s), each
	// with at most 10% jitter; the old backoff took at least 2.5+5+10 s.
	if took < 3*time.Second || took > 7*time.Second {
		t.Errorf("three 429s with Retry-After took %s to recover, want 3-7 s", took.Round(time.Millisecond))
	}
	t.Logf("%s: three 429s (Retry-After 1, 1, %s) recovered in %s", sc.vendor, date, took.Round(time.Millisecond))
}

// syncLogs: every attempt above is in GET /v1/sync-logs with its type and
// status.
func (sc *scenario) syncLogs(t *testing.T) {
	e := sc.e
	if len(sc.c.expect.SyncLogs) == 0 {
		t.Fatalf("%s/expect.json lists no sync_logs", sc.c.dir)
	}
	for _, w := range sc.c.expect.SyncLogs {
		n := map[audit.Status]int{}
		for _, r := range e.syncLogs(t, w.Type) {
			n[r.Status]++
		}
		min := w.Min
		if w.PerCommand {
			min += len(e.cmds)
		}
		if n[w.Status] < min {
			t.Errorf("sync-logs type=%s: %d %s, want at least %d (all: %v)%s", w.Type, n[w.Status], w.Status, min, n, because(w.Why))
		}
		if w.Exact && n[w.Status] != min {
			t.Errorf("sync-logs type=%s: %d %s, want exactly %d%s", w.Type, n[w.Status], w.Status, min, because(w.Why))
		}
		if w.NoneFailed && n[audit.Failed] != 0 {
			t.Errorf("sync-logs: %d failed %s records", n[audit.Failed], w.Type)
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
	peer   *cloudpeer.Peer
	sub    *cloudtest.Subscriber // peer.Sub
	store  string
	prefix string
	base   string
	admin  string
	id     string   // the integration
	cmds   []string // ids of the commands sent
}

// startVendorDaemon starts a daemon with integration id: polls are a day
// apart, so whatever arrives came from a command, an API call or a
// webhook; retries stop after 3 attempts. The scheduled catalog comparison
// is off: its first run comes at a random time within 90 s of connecting
// and reads the vendor's catalog, which once took a fault meant for a menu
// write (TestVendorsEndToEnd/lightspeed/7_faults); a test that wants a
// comparison runs one at a known point.
func startVendorDaemon(t *testing.T, id string) *vendorE2E {
	return startVendorDaemonWith(t, config.Integration{ID: id, PollInterval: 24 * time.Hour, Jitter: time.Nanosecond,
		MaxAttempts: 3, DriftInterval: "off"})
}

// startVendorDaemonWith starts a daemon with integration in.
func startVendorDaemonWith(t *testing.T, in config.Integration) *vendorE2E {
	id := in.ID
	t.Helper()
	broker := cloudtest.StartMochi(t)
	store := "e2e-" + id
	peer := cloudpeer.New(t, broker.URL(), store)
	d, logs := startDaemon(t, func(c *config.Config) {
		c.StoreID = store
		c.Cloud.Broker = broker.URL()
		c.Cloud.CommandKeys = []string{peer.CommandKey()}
		c.API.PublicURL = e2ePublicURL
		c.Integrations = []config.Integration{in}
	})
	tok, _, err := auth.Create(d.Core().DB, auth.Admin, "e2e-admin")
	if err != nil {
		t.Fatal(err)
	}
	peer.WaitOnline(t, 0)
	return &vendorE2E{d: d, logs: logs, peer: peer, sub: peer.Sub, store: store, prefix: peer.Prefix,
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
	e.peer.Send(t, id, typ, data)
	res, err := e.peer.WaitResult(id, 1, 30*time.Second)
	if err != nil {
		t.Fatalf("result of %s %s: %v\n%s", typ, id, err, e.logs)
	}
	var details struct{ Results []bridge.Result }
	if len(res.Details) > 0 {
		mustJSON(t, res.Details, &details)
	}
	return res, details.Results
}

// results returns the command results received for command id.
func (e *vendorE2E) results(id string) []cloud.Result { return e.peer.Results(id) }

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

// checkOrder compares an Aura order with the vendor's total and the case's
// order facts.
func (e *vendorE2E) checkOrder(t *testing.T, c *vendorCaseData, o model.Order, want int64) {
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
	checkOrderFacts(t, c.dir, o, c.expect.Order)
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

// assertSummary compares a stand-in driver's summary of writes with the
// case's: every key of want must match (values compared sorted); whole
// also refuses keys want does not list.
func assertSummary(t *testing.T, what string, got, want map[string][]string, whole bool) {
	t.Helper()
	if len(want) == 0 {
		t.Errorf("%s: the case expects nothing (got %q)", what, got)
	}
	for k, v := range want {
		if g := sortedStrings(got[k]); !slices.Equal(g, sortedStrings(v)) {
			t.Errorf("%s: %s is %q, want %q", what, k, g, v)
		}
	}
	if whole {
		for k, v := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: unexpected %s %q", what, k, v)
			}
		}
	}
}

// checkOrderFacts checks the case's facts about an Aura order.
func checkOrderFacts(t *testing.T, dir string, o model.Order, checks []orderCheck) {
	t.Helper()
	raw, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		vals, ok := jsonPath(doc, strings.Split(c.Path, "."))
		str := func(v any) string { return fmt.Sprint(v) }
		var strs []string
		for _, v := range vals {
			strs = append(strs, str(v))
		}
		fail := func(format string, args ...any) {
			t.Errorf("order %s (%s): %s: %s%s", o.ID, o.Source.ExternalID, c.Path, fmt.Sprintf(format, args...), because(c.Why))
		}
		switch {
		case c.Is != nil:
			if !ok || len(vals) != 1 || str(vals[0]) != str(c.Is) {
				fail("is %q, want %v", strs, c.Is)
			}
		case c.Len != nil:
			n := 0
			if ok && len(vals) == 1 {
				l, isList := vals[0].([]any)
				if !isList && vals[0] != nil {
					fail("is not a list: %v", vals[0])
					continue
				}
				n = len(l)
			}
			if n != *c.Len {
				fail("has %d elements, want %d", n, *c.Len)
			}
		case c.Not != nil:
			if slices.Contains(strs, str(c.Not)) {
				fail("has %v, want none", c.Not)
			}
		case c.In != nil:
			var in []string
			for _, v := range c.In {
				in = append(in, str(v))
			}
			for _, s := range strs {
				if !slices.Contains(in, s) {
					fail("has %q, want only %q", s, in)
				}
			}
		case c.Counts != nil:
			n := map[string]int{}
			for _, s := range strs {
				n[s]++
			}
			for k, want := range c.Counts {
				if n[k] != want {
					fail("%q occurs %d times, want %d (all: %v)", k, n[k], want, n)
				}
			}
		default:
			t.Errorf("%s/expect.json: order check %q says nothing to check", dir, c.Path)
		}
	}
}

// because is a case's reason for a check, for its error message.
func because(why string) string {
	if why == "" {
		return ""
	}
	return " — " + why
}

// jsonPath returns the values at path in a decoded JSON document; "*"
// takes every element of a list. ok is false when a step is missing.
func jsonPath(v any, path []string) (vals []any, ok bool) {
	if len(path) == 0 {
		return []any{v}, true
	}
	step, rest := path[0], path[1:]
	switch x := v.(type) {
	case map[string]any:
		next, found := x[step]
		if !found {
			return nil, false
		}
		return jsonPath(next, rest)
	case []any:
		if step == "*" {
			ok = true
			for _, el := range x {
				vs, found := jsonPath(el, rest)
				ok = ok && found
				vals = append(vals, vs...)
			}
			return vals, ok
		}
		var i int
		if _, err := fmt.Sscan(step, &i); err != nil || i < 0 || i >= len(x) {
			return nil, false
		}
		return jsonPath(x[i], rest)
	}
	return nil, false
}
