package custom_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/customtest"
)

func TestPushMenuCreatesThenUnchanged(t *testing.T) {
	e := setup(t, nil)
	menu := loadMenu(t)
	rs, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatalf("PushMenu: %v", err)
	}
	st := statuses(rs)
	for k, want := range map[string]pos.Status{
		"variation/var-latte-12": pos.StatusCreated, "variation/var-latte-16": pos.StatusCreated,
		"variation/var-croissant": pos.StatusCreated, "variation/var-cake": pos.StatusCreated,
		"item/item-latte": pos.StatusCreated, "item/item-cake": pos.StatusCreated,
		"category/cat-coffee": pos.StatusUnsupported, "tax/tax-sales": pos.StatusUnsupported,
		"modifier_group/grp-milk": pos.StatusUnsupported, "modifier/mod-oat": pos.StatusUnsupported,
	} {
		if st[k] != want {
			t.Errorf("%s: %s, want %s", k, st[k], want)
		}
	}
	for _, r := range rs {
		if r.Kind == pos.KindVariation && r.VendorID != r.AuraID {
			t.Errorf("%s vendor id %q: Acme writes items under our id", r.AuraID, r.VendorID)
		}
	}
	// The vendor payloads, byte for byte.
	var buf bytes.Buffer
	for _, w := range e.srv.Writes() {
		var body any
		if err := json.Unmarshal(w.Body, &body); err != nil {
			t.Fatal(err)
		}
		line, _ := json.Marshal(map[string]any{"method": w.Method, "path": w.Path, "body": body})
		buf.Write(append(line, '\n'))
	}
	golden(t, "push_create.golden.jsonl", buf.Bytes())
	items := e.srv.Items()
	if it := items["var-latte-16"]; it.Name != "Latte 16oz" || it.Price != "5.25" || it.Category == nil || *it.Category != "Coffee" ||
		len(it.TaxRates) != 1 || it.TaxRates[0] != "8.875" || !it.Available {
		t.Errorf("latte 16 stored as %+v", it)
	}
	if it := items["var-cake"]; it.Available || it.Name != "Seasonal cake" {
		t.Errorf("cake stored as %+v", it)
	}

	// Second push of the same menu: nothing sent, all unchanged.
	e.srv.ResetRequests()
	rs, err = e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Status != pos.StatusUnchanged && r.Status != pos.StatusUnsupported {
			t.Errorf("second push: %s/%s %s", r.Kind, r.AuraID, r.Status)
		}
	}
	if n := len(e.srv.Writes()); n != 0 {
		t.Errorf("second push made %d writes", n)
	}

	// A price change updates only that variation.
	menu.Items[0].Variations[1].Price.Amount = 550
	rs, err = e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st = statuses(rs)
	if st["variation/var-latte-16"] != pos.StatusUpdated || st["variation/var-latte-12"] != pos.StatusUnchanged || st["item/item-latte"] != pos.StatusUpdated {
		t.Errorf("after price change: %v", st)
	}
	if w := e.srv.Writes(); len(w) != 1 || w[0].Path != "/v1/locations/LOC-1/items/var-latte-16" {
		t.Errorf("writes after price change: %+v", w)
	}
	if it := e.srv.Items()["var-latte-16"]; it.Price != "5.50" || it.Version != 2 {
		t.Errorf("latte 16 now %+v", it)
	}
}

func TestPushMenuDryRun(t *testing.T) {
	e := setup(t, nil)
	menu := loadMenu(t)
	rs, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(rs); st["variation/var-croissant"] != pos.StatusCreated {
		t.Errorf("dry run plan %v", st)
	}
	if n := len(e.srv.Writes()); n != 0 {
		t.Errorf("dry run made %d writes", n)
	}
	if m, _ := e.state.List("map/"); len(m) != 0 {
		t.Errorf("dry run stored %d mappings", len(m))
	}
}

func TestPushMenuWithoutPushItem(t *testing.T) {
	e := setup(t, func(c *pos.Config) {
		m := c.Settings["manifest_yaml"]
		i, j := bytes.Index([]byte(m), []byte("push_item:")), bytes.Index([]byte(m), []byte("webhook:"))
		c.Settings["manifest_yaml"] = m[:i] + m[j:]
	})
	menu := loadMenu(t)
	rs, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := 1 + 1 + 2 + 4 + 3 + 4 // categories, taxes, groups, modifiers, items, variations
	if len(rs) != want {
		t.Errorf("%d results, want one per object (%d)", len(rs), want)
	}
	for _, r := range rs {
		if r.Status != pos.StatusUnsupported || r.Reason != "manifest has no push_item" {
			t.Errorf("%s/%s: %s %q", r.Kind, r.AuraID, r.Status, r.Reason)
		}
	}
	if len(e.srv.Writes()) != 0 {
		t.Error("writes without push_item")
	}
}

func TestPushMenuStopsOnRetryable(t *testing.T) {
	e := setup(t, nil)
	menu := loadMenu(t)
	e.srv.FailNext(1, customtest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "7", Message: "maintenance", Method: http.MethodPut})
	rs, err := e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	var ve *pos.VendorError
	if !errors.As(err, &ve) || ve.Kind != pos.Retryable || ve.RetryAfter != 7*time.Second || ve.Status != 503 {
		t.Fatalf("err %v, want retryable 503 with Retry-After 7s", err)
	}
	for _, r := range rs {
		if r.Kind == pos.KindVariation && r.Status != pos.StatusFailed {
			t.Errorf("%s: %s after the push stopped", r.AuraID, r.Status)
		}
	}
	if n := len(e.srv.Writes()); n != 1 {
		t.Errorf("%d writes, want 1 (the push stops at the first retryable status)", n)
	}
	// A permanent 4xx fails only that object.
	e.srv.FailNext(1, customtest.Fault{Status: http.StatusUnprocessableEntity, Code: "bad_price", Message: "no", Method: http.MethodPut})
	rs, err = e.a.PushMenu(ctx(t), menu, pos.PushOptions{})
	if err != nil {
		t.Fatalf("err %v: a 422 must not stop the push", err)
	}
	st := statuses(rs)
	if st["variation/var-latte-12"] != pos.StatusFailed || st["variation/var-latte-16"] != pos.StatusCreated || st["item/item-latte"] != pos.StatusFailed {
		t.Errorf("after a 422: %v", st)
	}
}
