package daemon

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/provision"
)

// TestInjectRefusedForMissingSettings: an integration without the settings
// its vendor needs to create orders refuses order.inject and the local
// route up front (422 / code missing_setting, naming each setting), with no
// job stored and no request to the vendor.
func TestInjectRefusedForMissingSettings(t *testing.T) {
	w := startInjectDaemon(t)

	// Toast without dining_option_guid / other_payment_guid.
	toast := toasttest.Start(t)
	toast.SeedMenuItem("Latte", 5.25, false)
	toast.SeedMenuItem("Croissant", 3.25, false)
	toast.SeedMenuItem("Oat milk", 0.75, true)
	sealed, err := provision.Seal(w.provisioningKey(), w.store, toast.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	if r := w.command(t, "c-connect-toast", "integration.connect", map[string]any{"id": "toast-1", "vendor": "toast", "name": "toast-1",
		"settings": toast.Settings("USD"), "sealed_credentials": sealed}, 1); r.Status != "ok" {
		t.Fatalf("integration.connect: %+v", r)
	}
	// Lightspeed with its tax set but not its user or payment type.
	ls := lightspeedtest.Start(t)
	settings := ls.Settings("USD")
	settings["inject_tax_id"] = lightspeedtest.InjectSettings()["inject_tax_id"]
	w.connectAndPush(t, "ls-1", "lightspeed", ls.Credentials(), settings)
	ls.ResetRequests()

	res := w.command(t, "m-inject-toast", "order.inject", injectFor("toast-1", "ord-m-1"), 1) // paid by card
	if res.Status != "error" || res.Code != "missing_setting" || !strings.Contains(res.Message, "settings.dining_option_guid") ||
		!strings.Contains(res.Message, "settings.other_payment_guid") {
		t.Errorf("order.inject into Toast without its settings: %+v", res)
	}
	lsData := injectFor("ls-1", "ord-m-2")
	o := lsData["order"].(model.Order)
	o.LineItems = o.LineItems[1:] // no modifiers: X-Series products have none
	lsData["order"] = o
	delete(lsData, "payment")
	res = w.command(t, "m-inject-ls", "order.inject", lsData, 1)
	if res.Status != "error" || res.Code != "missing_setting" || !strings.Contains(res.Message, "settings.inject_user_id") ||
		strings.Contains(res.Message, "inject_tax_id") || strings.Contains(res.Message, "inject_payment_type_id") {
		t.Errorf("order.inject into Lightspeed without its user (no payment): %+v", res)
	}

	// The local route: 422 problem naming the first setting as the field.
	b, _ := json.Marshal(injectFor("toast-1", "ord-m-3"))
	req, _ := http.NewRequest(http.MethodPost, w.base+"/integrations/pos/orders/inject", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+w.admin)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "m-local-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
		Field  string `json:"field"`
	}
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity || p.Code != "missing_setting" || !strings.Contains(p.Detail, "dining_option_guid") {
		t.Errorf("local inject: %d %+v", resp.StatusCode, p)
	}

	// Nothing stored, nothing sent.
	for _, id := range []string{"m-inject-toast", "m-inject-ls", "local:m-local-1"} {
		if j, err := w.d.Core().Bridge.Job(id); err != nil || j != nil {
			t.Errorf("job %s stored: %+v %v", id, j, err)
		}
	}
	if toast.Creates() != 0 || len(ls.Writes()) != 0 {
		t.Errorf("requests reached the vendor: %d Toast creates, %d Lightspeed writes", toast.Creates(), len(ls.Writes()))
	}

	// With the settings in place the same Toast order goes in (a new
	// command: the refused one left nothing behind to replay).
	settingsOK := toast.Settings("USD")
	maps.Copy(settingsOK, toasttest.InjectSettings())
	if r := w.command(t, "c-disconnect-toast", "integration.disconnect", map[string]any{"id": "toast-1"}, 1); r.Status != "ok" {
		t.Fatalf("integration.disconnect: %+v", r)
	}
	if r := w.command(t, "c-connect-toast-2", "integration.connect", map[string]any{"id": "toast-1", "vendor": "toast", "name": "toast-1",
		"settings": settingsOK, "sealed_credentials": sealed}, 1); r.Status != "ok" {
		t.Fatalf("integration.connect again: %+v", r)
	}
	if res := w.command(t, "m-inject-toast-2", "order.inject", injectFor("toast-1", "ord-m-1"), 1); res.Status != "ok" {
		t.Errorf("order.inject with the settings: %+v %s", res, res.Details)
	}
}
