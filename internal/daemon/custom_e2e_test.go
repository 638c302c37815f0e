package daemon

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/model"
)

// TestCustomVendorsEndToEnd runs the shipped manifests (configs/adapters)
// through the real daemon for every case directory
// testdata/custom/<stand-in>/<case>/, each against its vendor's stand-in:
// connect through the local API's connect endpoint (vendor custom, manifest
// inline), the first scheduled pull (order A), a pull by orders.sync
// command (order B), a webhook when the vendor sends them (order C; a badly
// signed delivery is refused), a menu.push command, and each attempt in GET
// /v1/sync-logs.
//
// A case directory holds case.json (customCaseData): the manifest, the
// settings added to the stand-in's, the orders seeded in the stand-in (in
// its own types) and what the run must show. The Go side of a vendor is its
// stand-in driver in custom_<vendor>_test.go, registered with
// registerCustomStandIn: a new manifest adds that file and a directory,
// not edits to this one.
func TestCustomVendorsEndToEnd(t *testing.T) {
	runCaseDirs(t, caseDirs{"custom", "custom stand-in driver", "registerCustomStandIn"}, customStandIns,
		func(t *testing.T, _, dir string, start func(t *testing.T) *customStandIn) {
			runCustom(t, loadCustomCase(t, dir), start(t))
		})
}

// customCaseData is case.json of a case directory.
type customCaseData struct {
	dir   string
	About string `json:"about"`
	// Manifest is the file in configs/adapters; Vendor its vendor (the
	// Source.Vendor of its orders); Currency that of the seeded orders.
	Manifest string `json:"manifest"`
	Vendor   string `json:"vendor"`
	Currency string `json:"currency"`
	// Settings are merged over the stand-in's own.
	Settings map[string]string `json:"settings"`
	// Orders are seeded by reference, in the stand-in driver's type: A is
	// there before connecting (the first scheduled pull brings it), B comes
	// by orders.sync command, C by webhook (only when Webhooks).
	Orders map[string]json.RawMessage `json:"orders"`
	// Webhooks: the vendor sends signed webhooks (the driver builds them).
	Webhooks bool `json:"webhooks"`
	// Pushes is false when the manifest reports menus unsupported.
	Pushes bool `json:"pushes"`
	// SyncLogs: for each, GET /v1/sync-logs shows at least one record of
	// the type with the status.
	SyncLogs []struct {
		Type   string       `json:"type"`
		Status audit.Status `json:"status"`
		Why    string       `json:"why"`
	} `json:"sync_logs"`
}

// customStandIn is one vendor's stand-in, seen through small functions.
type customStandIn struct {
	creds, settings map[string]string
	// seed stores the fixture order spec (in the stand-in's type) at the
	// vendor and returns its external id and its total in minor units as
	// the vendor states it.
	seed func(t *testing.T, spec []byte) (string, int64)
	// writes counts the catalogue writes so far.
	writes func() int
	// webhook builds a delivery about ext as the vendor sends it, signed
	// wrongly when !valid (nil: the vendor sends none).
	webhook func(ext string, valid bool) (http.Header, []byte)
}

// customStandIns are the custom stand-in drivers, from registerCustomStandIn.
var customStandIns = map[string]func(t *testing.T) *customStandIn{}

// registerCustomStandIn adds a stand-in driver (from an init function in
// custom_<vendor>_test.go).
func registerCustomStandIn(vendor string, start func(t *testing.T) *customStandIn) {
	if _, dup := customStandIns[vendor]; dup {
		panic("two custom stand-in drivers for " + vendor)
	}
	customStandIns[vendor] = start
}

func loadCustomCase(t *testing.T, dir string) *customCaseData {
	t.Helper()
	c := &customCaseData{dir: dir}
	readCaseFile(t, filepath.Join(dir, "case.json"), c)
	if c.Manifest == "" || c.Vendor == "" || c.Currency == "" {
		t.Fatalf("%s/case.json: manifest, vendor and currency are required", dir)
	}
	return c
}

// seed seeds fixture order ref.
func (c *customCaseData) seed(t *testing.T, si *customStandIn, ref string) (string, int64) {
	t.Helper()
	spec, ok := c.Orders[ref]
	if !ok {
		t.Fatalf("%s/case.json has no order %q", c.dir, ref)
	}
	return si.seed(t, spec)
}

func minorOf(t *testing.T, major string) int64 {
	t.Helper()
	d, err := decimal.NewFromString(major)
	if err != nil {
		t.Fatal(err)
	}
	return d.Shift(2).IntPart()
}

// decodeSpec decodes a fixture order spec into the stand-in's type,
// refusing fields the type does not have.
func decodeSpec(t *testing.T, spec []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(spec))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("order spec %s: %v", spec, err)
	}
}

func runCustom(t *testing.T, cc *customCaseData, si *customStandIn) {
	if cc.Webhooks && si.webhook == nil {
		t.Fatalf("%s/case.json: webhooks, but the stand-in driver builds none", cc.dir)
	}
	manifest, err := os.ReadFile(filepath.Join("..", "..", "configs", "adapters", cc.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	id := "custom-" + cc.Vendor
	e := startVendorDaemon(t, id)
	extA, wantA := cc.seed(t, si, "A") // there before the integration: the first scheduled pull brings it

	settings := map[string]string{"manifest_yaml": string(manifest)}
	for k, v := range si.settings {
		settings[k] = v
	}
	for k, v := range cc.Settings {
		settings[k] = v
	}
	code, body := e.api(t, "POST", "/integrations/pos/connect", map[string]any{
		"id": id, "name": "E2E " + cc.Vendor, "vendor": "custom", "credentials": si.creds, "settings": settings})
	if code != http.StatusCreated {
		t.Fatalf("connect: %d %s", code, body)
	}
	assertNoSecrets(t, "connect answer", body, si.creds)
	e.waitStatus(t, "first scheduled order pull", func(s bridge.IntegrationStatus) bool {
		return s.LastOrderSync != nil && s.LastOrderSync.Status == audit.Success
	})
	checkTotal := func(o model.Order, want int64) {
		t.Helper()
		if o.Totals.Total.Amount != want || o.Totals.Total.Currency != cc.Currency || o.Source.IntegrationID != id {
			t.Errorf("order %s: total %v from %s, the vendor says %d %s", o.Source.ExternalID, o.Totals.Total, o.Source.IntegrationID, want, cc.Currency)
		}
		if paid := e.paidWait(t, o.ID, want); paid != want {
			t.Errorf("order %s: payments add up to %d, want %d", o.Source.ExternalID, paid, want)
		}
	}
	checkTotal(e.waitOrder(t, cc.Vendor, extA), wantA)

	// By command.
	extB, wantB := cc.seed(t, si, "B")
	time.Sleep(5 * time.Millisecond) // past the millisecond of the seed (see ordersSync)
	cr, results := e.command(t, "orders.sync", ordersSync{IntegrationID: id})
	if cr.Status != "ok" || len(results) != 1 || results[0].Status != "success" || results[0].New == 0 {
		t.Fatalf("orders.sync: %+v %+v", cr, results)
	}
	checkTotal(e.waitOrder(t, cc.Vendor, extB), wantB)

	// By webhook.
	if cc.Webhooks {
		extC, wantC := cc.seed(t, si, "C")
		h, b := si.webhook(extC, true)
		if code, state := e.webhook(t, h, b); code != http.StatusOK || state != "accepted" {
			t.Fatalf("signed webhook: %d %s", code, state)
		}
		checkTotal(e.waitOrder(t, cc.Vendor, extC), wantC)
		h, b = si.webhook(extC, false)
		if code, state := e.webhook(t, h, b); code != http.StatusUnauthorized || state != "rejected" {
			t.Errorf("webhook with a wrong signature: %d %s", code, state)
		}
		e.d.Core().Bridge.WaitFetches()
	}

	// Menu push.
	n := si.writes()
	res := e.pushMenu(t, cafeMenu("v1", nil))
	assertObjectsCover(t, res.Objects)
	if cc.Pushes {
		if res.Status != "success" || si.writes() == n {
			t.Errorf("menu push: %+v, %d writes", res, si.writes()-n)
		}
		for _, o := range res.Objects {
			if o.Kind == pos.KindVariation && o.Status != pos.StatusCreated && o.Status != pos.StatusUpdated {
				t.Errorf("variation %s: %s (%s)", o.AuraID, o.Status, o.Reason)
			}
		}
		n = si.writes()
		if res := e.pushMenu(t, cafeMenu("v1", nil)); res.Status != "success" || si.writes() != n {
			t.Errorf("second push of v1: %+v, %d writes", res, si.writes()-n)
		}
	} else if res.Status != "unsupported" {
		t.Errorf("menu push to %s: %+v", cc.Vendor, res)
	}

	// Every attempt is in the audit log.
	if len(cc.SyncLogs) == 0 {
		t.Errorf("%s/case.json expects no sync-log records", cc.dir)
	}
	for _, w := range cc.SyncLogs {
		found := false
		for _, r := range e.syncLogs(t, w.Type) {
			found = found || r.Status == w.Status
		}
		if !found {
			t.Errorf("sync-logs: no %s record with status %s%s", w.Type, w.Status, because(w.Why))
		}
	}
	for k, v := range si.creds {
		if len(v) >= 6 && strings.Contains(e.logs.String(), v) {
			t.Errorf("credential %s found in the daemon's logs", k)
		}
	}
}

// paidWait waits until the payments published for an Aura order add up
// to want (with tips) and returns what they add up to.
func (e *vendorE2E) paidWait(t *testing.T, orderID string, want int64) int64 {
	t.Helper()
	var paid int64
	_ = e.sub.WaitErr(10*time.Second, func() bool {
		paid = 0
		for _, p := range e.paymentEvents(orderID) {
			paid += p.Amount.Amount + p.Tip.Amount
		}
		return paid == want
	})
	return paid
}
