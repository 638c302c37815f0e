package daemon

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
	"github.com/auraconnect/aura-edge/internal/audit"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/bridge"
	"github.com/auraconnect/aura-edge/internal/cloud/cloudtest"
	"github.com/auraconnect/aura-edge/internal/config"
	"github.com/auraconnect/aura-edge/internal/testkit/cloudpeer"
)

// menuDaemon is a vendorE2E whose daemon can be restarted on the same data
// dir, broker and cloud peer.
type menuDaemon struct {
	*vendorE2E
	dir    string
	broker string
	stop   func()
	staff  string
}

func startMenuDaemon(t *testing.T, id string) *menuDaemon {
	t.Helper()
	broker := cloudtest.StartMochi(t)
	peer := cloudpeer.New(t, broker.URL(), "menu-"+id)
	m := &menuDaemon{vendorE2E: &vendorE2E{peer: peer, sub: peer.Sub, store: peer.Store, prefix: peer.Prefix, id: id},
		dir: t.TempDir(), broker: broker.URL()}
	m.start(t)
	return m
}

// start runs the daemon (again) and waits until it is online.
func (m *menuDaemon) start(t *testing.T) {
	t.Helper()
	before := m.peer.Statuses()
	d, logs, stop := startDaemonStop(t, func(c *config.Config) {
		c.StoreID = m.store
		c.DataDir = m.dir
		c.Cloud.Broker = m.broker
		c.Cloud.CommandKeys = []string{m.peer.CommandKey()}
		c.API.PublicURL = e2ePublicURL
		c.Integrations = []config.Integration{{ID: m.id, PollInterval: 24 * time.Hour, Jitter: time.Nanosecond,
			MaxAttempts: 3, DriftInterval: "off"}}
		c.Menu = config.Menu{MaxDeleteShare: 0.2, ClosingTime: "23:00", DriftDebounce: 50 * time.Millisecond}
	})
	m.d, m.logs, m.stop = d, logs, stop
	m.base = "http://" + d.APIAddr().String()
	if m.admin == "" {
		var err error
		if m.admin, _, err = auth.Create(d.Core().DB, auth.Admin, "menu-admin"); err != nil {
			t.Fatal(err)
		}
		if m.staff, _, err = auth.Create(d.Core().DB, auth.Staff, "menu-staff"); err != nil {
			t.Fatal(err)
		}
	}
	m.peer.WaitOnline(t, before)
}

// TestMenuSquareEndToEnd runs the menu features through the daemon against
// the Square stand-in: deletions and their guard, 86ing by signed command
// and by the staff API, the restore at expiry after a daemon restart, and
// drift detection from a catalog webhook to the menu.drift event.
func TestMenuSquareEndToEnd(t *testing.T) {
	outer := t // the restarted daemon must outlive the subtest that restarts it
	srv := squaretest.Start(t)
	id := "square-menu"
	m := startMenuDaemon(t, id)
	code, body := m.api(t, "POST", "/integrations/pos/connect", map[string]any{"id": id, "vendor": "square",
		"credentials": map[string]string{"access_token": squaretest.DefaultAccessToken, "webhook_signature_key": squaretest.DefaultSignatureKey},
		"settings":    map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": srv.URL(), "write_retries": "0"}})
	if code != http.StatusCreated {
		t.Fatalf("connect: %d %s", code, body)
	}
	res := m.pushMenu(t, cafeMenu("v1", nil))
	if res.Status != "success" {
		t.Fatalf("first push: %+v", res)
	}
	vendorID := map[string]string{}
	for _, o := range res.Objects {
		vendorID[o.AuraID] = o.VendorID
	}

	// v2 drops the croissant (item and 2 variations) and the milk list
	// (list and 2 modifiers): 6 of the 10 objects pushed before.
	v2 := cafeMenu("v2", nil)
	v2.Items = v2.Items[:1]
	v2.Items[0].ModifierGroupIDs = nil
	v2.ModifierGroups = nil
	removed := []string{"item-croissant", "var-croissant-plain", "var-croissant-almond", "grp-milk", "mod-oat", "mod-almond"}

	t.Run("dry_run_says_would_delete", func(t *testing.T) {
		n := len(srv.CatalogWrites())
		_, rs := m.command(t, "menu.push", menuPush{Menu: v2, IntegrationID: id, DryRun: true})
		if len(rs) != 1 || rs[0].Status != "dry_run" {
			t.Fatalf("dry run: %+v", rs)
		}
		for _, aid := range removed {
			o := findObject(rs[0].Objects, aid)
			if o == nil || o.Status != pos.StatusDeleted || o.Reason != pos.WouldDelete {
				t.Errorf("dry run: %s is %+v, want deleted (would delete)", aid, o)
			}
		}
		if w := srv.CatalogWrites()[n:]; len(w) != 0 {
			t.Errorf("dry run wrote to Square: %d requests", len(w))
		}
	})

	t.Run("guard_refuses_large_deletion", func(t *testing.T) {
		n := len(srv.CatalogWrites())
		cr, rs := m.command(t, "menu.push", menuPush{Menu: v2, IntegrationID: id})
		if cr.Status != "ok" || len(rs) != 1 || rs[0].Status != "refused" || !strings.Contains(rs[0].Message, "allow_deletions") {
			t.Fatalf("push deleting 60%%: %+v %+v", cr, rs)
		}
		t.Logf("refused: %s", rs[0].Message)
		if w := srv.CatalogWrites()[n:]; len(w) != 0 {
			t.Errorf("refused push wrote to Square: %d requests", len(w))
		}
		if _, ok := srv.Object(vendorID["item-croissant"]); !ok {
			t.Errorf("croissant deleted by a refused push")
		}
		if rows := m.syncLogs(t, "menu_push"); len(rows) == 0 || rows[0].Status != audit.Rejected {
			t.Errorf("newest menu_push audit row: %+v, want rejected", rows[:min(1, len(rows))])
		}
	})

	t.Run("allowed_deletion", func(t *testing.T) {
		n := len(srv.RequestsTo("POST", "/v2/catalog/batch-delete"))
		cr, rs := m.command(t, "menu.push", menuPush{Menu: v2, IntegrationID: id, AllowDeletions: true})
		if cr.Status != "ok" || len(rs) != 1 || rs[0].Status != "success" {
			t.Fatalf("push with allow_deletions: %+v %+v", cr, rs)
		}
		for _, aid := range removed {
			if o := findObject(rs[0].Objects, aid); o == nil || o.Status != pos.StatusDeleted {
				t.Errorf("%s: %+v, want deleted", aid, o)
			}
		}
		dels := srv.RequestsTo("POST", "/v2/catalog/batch-delete")[n:]
		if len(dels) != 1 {
			t.Fatalf("%d batch-delete requests, want 1", len(dels))
		}
		var req struct {
			ObjectIDs []string `json:"object_ids"`
		}
		mustJSON(t, dels[0].Body, &req)
		want := []string{vendorID["grp-milk"], vendorID["item-croissant"]}
		if slices.Sort(req.ObjectIDs); !slices.Equal(req.ObjectIDs, sortedStrings(want)) {
			t.Errorf("batch-delete ids %v, want the list and the item %v", req.ObjectIDs, want)
		}
		for _, aid := range removed {
			if _, ok := srv.Object(vendorID[aid]); ok {
				t.Errorf("%s (%s) still in the Square catalog", aid, vendorID[aid])
			}
		}
		if got := srv.Objects("MODIFIER_LIST"); len(got) != 0 {
			t.Errorf("modifier lists left: %+v", got)
		}
		if v := srv.Violations(); len(v) > 0 {
			t.Errorf("requests or responses outside Square's OpenAPI: %v", v)
		}
		// The same menu again deletes nothing more.
		res := m.pushMenu(t, v2)
		for _, o := range res.Objects {
			if o.Status != pos.StatusUnchanged {
				t.Errorf("push of v2 again: %s %s is %s", o.Kind, o.AuraID, o.Status)
			}
		}
	})

	latte16 := vendorID["var-latte-16"]
	t.Run("86_by_command_restored_after_restart", func(t *testing.T) {
		cr, rs := m.command(t, "menu.availability", map[string]any{
			"integration_id": id, "objects": []map[string]string{{"kind": "variation", "id": "var-latte-16"}},
			"available": false, "for": "5s", "reason": "out of 16oz cups"})
		if cr.Status != "ok" || len(rs) != 1 || rs[0].Status != "success" {
			t.Fatalf("menu.availability: %+v %+v", cr, rs)
		}
		var details struct{ Until time.Time }
		mustJSON(t, cr.Details, &details)
		if absent, _ := srv.AbsentAt(latte16); !slices.Equal(absent, []string{squaretest.DefaultLocationID}) {
			t.Fatalf("16oz latte absent at %v, want [%s]", absent, squaretest.DefaultLocationID)
		}
		st, _ := m.status(t, false)
		if len(st.Unavailable) != 1 || st.Unavailable[0].AuraID != "var-latte-16" || !st.Unavailable[0].Until.Equal(details.Until) {
			t.Fatalf("status unavailable: %+v (until %s)", st.Unavailable, details.Until)
		}
		m.stop()
		if time.Now().After(details.Until) {
			t.Fatalf("the daemon stopped after the 86 expired (%s); the restart is not tested", details.Until)
		}
		// Wait for the time to pass with the daemon down.
		for time.Now().Before(details.Until.Add(100 * time.Millisecond)) {
			time.Sleep(time.Until(details.Until.Add(100 * time.Millisecond)))
		}
		if absent, _ := srv.AbsentAt(latte16); len(absent) == 0 {
			t.Fatalf("restored while the daemon was down?")
		}
		m.start(outer)
		deadline := time.Now().Add(20 * time.Second)
		for {
			if absent, ok := srv.AbsentAt(latte16); ok && len(absent) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("16oz latte not restored after the restart\n%s", m.logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
		m.waitStatus(t, "schedule cleared", func(s bridge.IntegrationStatus) bool { return len(s.Unavailable) == 0 })
		rows := m.syncLogs(t, "menu_availability")
		var set, restored *audit.Record
		for i := range rows {
			r := &rows[i]
			switch {
			case strings.Contains(r.Message, "(set)") && r.Actor == "cloud:"+m.cmds[len(m.cmds)-1]:
				set = r
			case strings.Contains(r.Message, "(expired)") && r.Actor == "scheduler":
				restored = r
			}
		}
		if set == nil || set.Status != audit.Success || restored == nil || restored.Status != audit.Success {
			t.Fatalf("audit rows: set %+v restored %+v (all: %+v)", set, restored, rows)
		}
		if !strings.Contains(restored.Message, "var-latte-16 available again") {
			t.Errorf("restore audit message: %q", restored.Message)
		}
	})

	t.Run("86_by_staff_api_until_further_notice", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"objects": []map[string]string{{"kind": "item", "id": "item-latte"}}, "available": false})
		code, out := request(t, "POST", m.base+"/v1/menu/availability", m.staff, body)
		if code != http.StatusOK {
			t.Fatalf("staff 86: %d %s", code, out)
		}
		for _, v := range []string{"var-latte-12", "var-latte-16"} {
			if absent, _ := srv.AbsentAt(vendorID[v]); !slices.Equal(absent, []string{squaretest.DefaultLocationID}) {
				t.Errorf("%s absent at %v", v, absent)
			}
		}
		code, out = request(t, "GET", m.base+"/v1/menu/availability", m.staff, nil)
		if code != http.StatusOK || !strings.Contains(out, `"item-latte"`) || strings.Contains(out, `"until"`) {
			t.Errorf("list: %d %s", code, out)
		}
		// "until close" works with menu.closing_time; a bad time is a
		// clear 400; a terminal may not 86.
		body, _ = json.Marshal(map[string]any{"objects": []map[string]string{{"kind": "item", "id": "item-latte"}}, "until": "half past never"})
		if code, out = request(t, "POST", m.base+"/v1/menu/availability", m.staff, body); code != http.StatusBadRequest || !strings.Contains(out, "until must be") {
			t.Errorf("bad until: %d %s", code, out)
		}
		body, _ = json.Marshal(map[string]any{"objects": []map[string]string{{"kind": "item", "id": "item-latte"}}, "available": true})
		if code, out = request(t, "POST", m.base+"/v1/menu/availability", m.staff, body); code != http.StatusOK {
			t.Fatalf("staff back on sale: %d %s", code, out)
		}
		for _, v := range []string{"var-latte-12", "var-latte-16"} {
			if absent, _ := srv.AbsentAt(vendorID[v]); len(absent) != 0 {
				t.Errorf("%s still absent at %v", v, absent)
			}
		}
		if st, _ := m.status(t, false); len(st.Unavailable) != 0 {
			t.Errorf("status still lists %+v", st.Unavailable)
		}
		if v := srv.Violations(); len(v) > 0 {
			t.Errorf("requests or responses outside Square's OpenAPI: %v", v)
		}
	})

	t.Run("drift_from_catalog_webhook", func(t *testing.T) {
		srv.EditObject(vendorID["var-latte-12"], func(o *squaretest.CatalogObject) {
			d := *o.ItemVariationData
			d.PriceMoney = &squaretest.Money{Amount: 499, Currency: "USD"}
			o.ItemVariationData = &d
		})
		itemID, varID := srv.SeedItem("Muffin", "Regular", squaretest.Money{Amount: 300, Currency: "USD"})
		drifts := func() []bridge.Drift {
			var out []bridge.Drift
			for _, env := range m.sub.Envelopes(m.prefix + "/events/sync-logs") {
				if env.Type == bridge.DriftEventType {
					var d bridge.Drift
					mustJSON(t, env.Data, &d)
					out = append(out, d)
				}
			}
			return out
		}
		send := func() {
			body := srv.CatalogVersionEvent()
			h := http.Header{"Content-Type": {"application/json"}}
			h.Set(squaretest.SignatureHeader, squaretest.Sign(squaretest.DefaultSignatureKey, e2ePublicURL+"/webhooks/"+id, body))
			if code, state := m.webhook(t, h, body); code != http.StatusOK || state != "accepted" {
				t.Fatalf("catalog webhook: %d %s", code, state)
			}
		}
		send()
		send() // a burst of webhooks makes one comparison
		m.sub.Wait(t, 20*time.Second, "menu.drift event", func() bool { return len(drifts()) > 0 })
		d := drifts()[0]
		want := []string{
			fmt.Sprintf("added_at_pos item %s Muffin <nil>", itemID),
			fmt.Sprintf("added_at_pos variation %s Regular 300", varID),
			"price_changed variation var-latte-12 450 499",
		}
		var got []string
		for _, c := range d.Changes {
			switch c.Change {
			case bridge.DriftAddedAtPOS:
				got = append(got, fmt.Sprintf("%s %s %s %s %v", c.Change, c.Kind, c.VendorID, c.Name, c.AtPOS))
			default:
				got = append(got, fmt.Sprintf("%s %s %s %v %v", c.Change, c.Kind, c.AuraID, c.Pushed, c.AtPOS))
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("drift changes:\n got %q\nwant %q", got, want)
		}
		if d.IntegrationID != id || d.MenuVersion != "v2" || d.Trigger != "webhook" {
			t.Errorf("drift event: %+v", d)
		}
		st := m.waitStatus(t, "drift in status", func(s bridge.IntegrationStatus) bool { return s.MenuDrift != nil })
		if len(st.MenuDrift.Changes) != 3 {
			t.Errorf("status drift: %+v", st.MenuDrift)
		}
		if code, body := m.api(t, "GET", "/v1/status", nil); code != http.StatusOK || !strings.Contains(string(body), `"menu_drift":{"square-menu":3}`) {
			t.Errorf("GET /v1/status: %d %s", code, body)
		}
		// The same difference found again is not sent again.
		checked := st.MenuDrift.CheckedAt
		send()
		m.waitStatus(t, "second comparison", func(s bridge.IntegrationStatus) bool {
			return s.MenuDrift != nil && s.MenuDrift.CheckedAt.After(checked)
		})
		if n := len(drifts()); n != 1 {
			t.Errorf("%d menu.drift events for one difference, want 1", n)
		}
		rows := m.syncLogs(t, "menu_drift")
		if len(rows) != 1 || !strings.Contains(rows[0].Message, "3 difference(s)") {
			t.Errorf("menu_drift audit rows: %+v", rows)
		}
	})

	t.Run("delete_integration_forgets_menu_state", func(t *testing.T) {
		_, rs := m.command(t, "menu.availability", map[string]any{"integration_id": id, "available": false,
			"objects": []map[string]string{{"kind": "item", "id": "item-latte"}}})
		if len(rs) != 1 || rs[0].Status != "success" {
			t.Fatalf("86: %+v", rs)
		}
		if code, body := m.api(t, "DELETE", "/integrations/pos/"+id, nil); code != http.StatusOK && code != http.StatusNoContent {
			t.Fatalf("delete: %d %s", code, body)
		}
		if code, body := m.api(t, "GET", "/v1/menu/availability", nil); code != http.StatusOK || strings.Contains(string(body), id) {
			t.Errorf("availability after delete: %d %s", code, body)
		}
		if code, body := m.api(t, "GET", "/v1/status", nil); code != http.StatusOK || strings.Contains(string(body), `"menu_drift":{"square-menu"`) {
			t.Errorf("status after delete: %d %s", code, body)
		}
	})
}

func findObject(objs []pos.ObjectResult, auraID string) *pos.ObjectResult {
	for i := range objs {
		if objs[i].AuraID == auraID {
			return &objs[i]
		}
	}
	return nil
}

// TestMenuAvailabilityVendorsEndToEnd sends menu.availability over MQTT to
// a daemon connected to each other vendor's stand-in and checks the vendor
// call (Clover available flag, Lightspeed active flag, Toast stock), the
// result, the schedule in the status and the audit rows; then it puts the
// 16oz latte back on sale. Clover also runs the deletion guard and an
// allowed deletion.
func TestMenuAvailabilityVendorsEndToEnd(t *testing.T) {
	type vendor struct {
		name            string
		creds, settings map[string]string
		setup           func(t *testing.T) // before the first push
		available       func(t *testing.T) bool
		afterPush       func(t *testing.T, m *menuDaemon, res bridge.Result)
	}
	clover := clovertest.Start(t)
	ls := lightspeedtest.Start(t)
	toast := toasttest.Start(t)
	var toastLatte string
	vendors := []vendor{
		{name: "clover", creds: clover.Credentials(), settings: clover.Settings(),
			available: func(t *testing.T) bool {
				for _, it := range clover.Items() {
					if it.Name == "Latte 16oz" {
						return it.Available
					}
				}
				t.Fatalf("clover has no Latte 16oz")
				return false
			},
			afterPush: func(t *testing.T, m *menuDaemon, res bridge.Result) {
				if o := findObject(res.Objects, "cat-coffee"); o != nil {
					t.Errorf("unexpected category result %+v", o)
				}
				// Dropping the croissant (item + 2 variations as Clover
				// items and their 2 tax links) is more than 20 %.
				v2 := cafeMenu("v2", nil)
				v2.Items = v2.Items[:1]
				_, rs := m.command(t, "menu.push", menuPush{Menu: v2, IntegrationID: m.id})
				if len(rs) != 1 || rs[0].Status != "refused" {
					t.Fatalf("clover guard: %+v", rs)
				}
				_, rs = m.command(t, "menu.push", menuPush{Menu: v2, IntegrationID: m.id, AllowDeletions: true})
				if len(rs) != 1 || rs[0].Status != "success" {
					t.Fatalf("clover allowed deletion: %+v", rs)
				}
				for _, id := range []string{"item-croissant", "var-croissant-plain", "var-croissant-almond"} {
					if o := findObject(rs[0].Objects, id); o == nil || o.Status != pos.StatusDeleted {
						t.Errorf("clover %s: %+v", id, o)
					}
				}
				for _, it := range clover.Items() {
					if strings.HasPrefix(it.Name, "Croissant") {
						t.Errorf("clover still sells %s", it.Name)
					}
				}
			}},
		{name: "lightspeed", creds: ls.Credentials(), settings: ls.Settings("USD"),
			available: func(t *testing.T) bool {
				for _, p := range ls.Products() {
					if p.SourceID == "edge:item-latte" && strings.HasSuffix(p.VariantName, " / 16oz") {
						return p.IsActive
					}
				}
				t.Fatalf("lightspeed has no 16oz latte")
				return false
			}},
		{name: "toast", creds: toast.Credentials(), settings: toast.Settings("USD"),
			setup: func(t *testing.T) { toastLatte = toast.SeedMenuItem("Latte 16oz", 5.25, false) },
			available: func(t *testing.T) bool {
				return toast.Stock(toastLatte) == "IN_STOCK"
			}},
	}
	for _, v := range vendors {
		t.Run(v.name, func(t *testing.T) {
			id := v.name + "-menu"
			m := startMenuDaemon(t, id)
			if code, body := m.api(t, "POST", "/integrations/pos/connect", map[string]any{"id": id, "vendor": v.name,
				"credentials": v.creds, "settings": v.settings}); code != http.StatusCreated {
				t.Fatalf("connect: %d %s", code, body)
			}
			if v.setup != nil {
				v.setup(t)
			}
			res := m.pushMenu(t, cafeMenu("v1", nil))
			if v.afterPush != nil {
				v.afterPush(t, m, res)
			}
			if !v.available(t) {
				t.Fatalf("16oz latte unavailable before the 86")
			}
			cr, rs := m.command(t, "menu.availability", map[string]any{"integration_id": id, "available": false, "until": "close",
				"objects": []map[string]string{{"kind": "variation", "id": "var-latte-16"}}})
			if cr.Status != "ok" || len(rs) != 1 || rs[0].Status != "success" {
				t.Fatalf("86: %+v %+v", cr, rs)
			}
			if v.available(t) {
				t.Errorf("16oz latte still available at %s", v.name)
			}
			st, _ := m.status(t, false)
			if len(st.Unavailable) != 1 || st.Unavailable[0].Until.IsZero() {
				t.Errorf("status: %+v", st.Unavailable)
			}
			cr, rs = m.command(t, "menu.availability", map[string]any{"integration_id": id, "available": true,
				"objects": []map[string]string{{"kind": "variation", "id": "var-latte-16"}}})
			if cr.Status != "ok" || len(rs) != 1 || rs[0].Status != "success" || !v.available(t) {
				t.Fatalf("back on sale: %+v %+v", cr, rs)
			}
			if st, _ := m.status(t, false); len(st.Unavailable) != 0 {
				t.Errorf("status after restore: %+v", st.Unavailable)
			}
			rows := m.syncLogs(t, "menu_availability")
			if len(rows) != 2 || rows[0].Status != audit.Success || !strings.Contains(rows[0].Message, "available again") ||
				!strings.Contains(rows[1].Message, "unavailable until") {
				t.Errorf("audit rows: %+v", rows)
			}
			// A bad request is a clear command error, not a crash.
			cr, _ = m.command(t, "menu.availability", map[string]any{"integration_id": id,
				"objects": []map[string]string{{"kind": "tax", "id": "tax-sales"}}})
			if cr.Status != "error" || cr.Code != "bad_data" || !strings.Contains(cr.Message, "item, variation or modifier") {
				t.Errorf("bad kind: %+v", cr)
			}
		})
	}
}
