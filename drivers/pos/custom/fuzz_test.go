package custom

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/customtest"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/loyversetest"
)

func acmeAdapter(tb testing.TB) *Adapter {
	tb.Helper()
	m, err := os.ReadFile(filepath.Join("testdata", "acme.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	a, err := NewAdapter(pos.Config{
		IntegrationID: "int-fuzz",
		Credentials:   map[string]string{"client_id": "c", "client_secret": "s", "webhook_secret": "w"},
		Settings:      map[string]string{"manifest_yaml": string(m), "location_id": "LOC-1", "base_url": "http://127.0.0.1:1"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// sampleOrder is one Acme order as the stand-in serves it.
func sampleOrder(tb testing.TB) []byte {
	o := customtest.Order{
		ID: "A-1", Number: "1", Status: "closed", LocationID: "LOC-1", Currency: "USD",
		CreatedAt: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 11, 2, 12, 5, 0, 0, time.UTC),
		Lines: []customtest.Line{
			{ID: "L1", Name: "Latte", Variant: "12oz", Quantity: "2", UnitPrice: "4.50",
				Options: []customtest.Modifier{{ID: "M1", Name: "Oat", Price: "0.75", Quantity: 1}}},
			{ID: "L2", Name: "Beans", Quantity: "0.375", UnitPrice: "31.99"},
		},
		Discounts: []customtest.Discount{{ID: "D1", Name: "Staff", Amount: "1.00"}},
		Taxes:     []customtest.Tax{{ID: "T1", Name: "Sales", Rate: "8.875"}, {ID: "T2", Name: "VAT", Rate: "20", Included: true}},
		Fees:      []customtest.Fee{{ID: "F1", Name: "Delivery", Amount: "2.00"}},
		Tip:       "1.50",
	}
	if err := customtest.ComputeTotals(&o); err != nil {
		tb.Fatal(err)
	}
	o.Payments = []customtest.Payment{customtest.Card("P1", customtest.Sub(o.Total, o.Tip, "USD"), o.Tip)}
	o.Payments[0].CreatedAt = o.UpdatedAt
	b, err := json.Marshal(o)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzMapOrder feeds arbitrary vendor order JSON through the Acme
// manifest's map and payments programs: no panics, and every order that
// comes out is valid, carries the vendor id, and totals exactly the
// vendor's total.
func FuzzMapOrder(f *testing.F) {
	a := acmeAdapter(f)
	f.Add(sampleOrder(f))
	for _, s := range []string{
		`{"id":"A-2","status":"open","currency":"JPY","created_at":"2026-11-02T12:00:00Z","updated_at":"2026-11-02T12:00:00Z",
		  "lines":[{"id":"l","name":"Ramen","quantity":"1","unit_price":"1200"}],"subtotal":"1200","discount_total":"0","tax_total":"0","total":"1200","tip":"0"}`,
		`{"id":"A-3","status":"closed","currency":"USD","created_at":"2026-11-02T12:00:00Z","updated_at":"2026-11-02T12:00:00Z",
		  "lines":[{"id":"l","name":"x","quantity":1.5,"unit_price":0.1}],"subtotal":0.15,"discount_total":0,"tax_total":0,"total":0.15}`,
		`{"id":"A-4","status":"closed","currency":"USD","lines":[{"id":"l","name":"x","quantity":"1","unit_price":"9223372036854775807"}]}`,
		`{"id":"A-5","status":"voided","currency":"XXX","lines":[]}`,
		`{"id":null}`, `{}`, `[]`, `null`, `"x"`, `1e400`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec, err := decodeJSON(body)
		if err != nil {
			return
		}
		o, err := a.toOrder(context.Background(), rec, "v1", runVars{now: time.Unix(0, 0)})
		if err != nil {
			return
		}
		if ps := o.Validate(); ps != nil {
			t.Fatalf("invalid order returned: %v", ps)
		}
		m, _ := rec.(map[string]any)
		if id, _ := scalarString("id", m["id"]); id == "" || o.Source.ExternalID != id {
			t.Fatalf("external id %q from record id %v", o.Source.ExternalID, m["id"])
		}
		total, err := toMinor("total", m["total"], o.Currency, false)
		if err != nil || int64(total) != o.Totals.Total.Amount {
			t.Fatalf("total %d, vendor %v (%v)", o.Totals.Total.Amount, m["total"], err)
		}
	})
}

// FuzzManifest feeds arbitrary YAML to the manifest loader, compiler and
// checker: they must return a manifest or an error, never panic or hang,
// and Check must not refuse what New accepts.
func FuzzManifest(f *testing.F) {
	acme, err := os.ReadFile(filepath.Join("testdata", "acme.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(acme)
	for _, name := range []string{"loyverse.yaml", "sumup.yaml", "odoo-pos.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "configs", "adapters", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("vendor: x\nrequester: {base_url: 'http://x.example'}\npull_orders: {request: {path: /o}, records: .o, map: .}\n"))
	f.Add([]byte("vendor: x\npull_orders: {request: {path: '/{{.settings.a}}'}, records: '.[', map: 'def f: f; f'}\n"))
	f.Add([]byte("webhook: {signature: {header: X, signed: '{{template \"x\"}}'}}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte(""))
	creds := map[string]string{"access_token": "t", "client_id": "c", "client_secret": "s", "webhook_secret": "w", "api_key": "k", "username": "u"}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep := Check(data, nil) // positions and hints for any input
		for _, p := range rep.Problems {
			if p.Line < 0 || p.Col < 0 {
				t.Fatalf("problem at %d:%d", p.Line, p.Col)
			}
		}
		m, err := ParseManifest(data)
		if err != nil {
			if m != nil {
				t.Fatal("manifest and error")
			}
			return
		}
		cfg := pos.Config{IntegrationID: "fuzz", Credentials: creds,
			Settings: map[string]string{"manifest_yaml": string(data), "location_id": "L", "base_url": "http://127.0.0.1:1"}}
		a, err := NewAdapter(cfg)
		if err == nil && a.orders == nil {
			t.Fatal("adapter without pull_orders")
		}
		if err == nil && len(rep.Problems) > 0 {
			t.Fatalf("New accepts what Check refuses: %v", rep.Problems)
		}
		if err != nil && !strings.Contains(err.Error(), "invalid manifest") {
			t.Fatalf("error does not wrap ErrManifest: %v", err)
		}
	})
}

// FuzzTemplate feeds arbitrary request templates to the template parser
// and renderer with the data a pull request sees: they must return text of
// at most 64 KiB or an error, never panic or hang.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"{{.settings.store_id}}", "{{.cursor}}", `{{or (index .settings "page_size") "100"}}`,
		"{{if not .next}}{{.cursor}}{{end}}", "{{.id | pathescape}}", `{{join .keys ","}}`,
		"{{range .keys}}{{.}}-{{end}}", `{{printf "%05d" 7}}`, `{{printf "%99999d" 7}}`, "{{.missing}}",
		`{{define "x"}}{{template "x"}}{{end}}{{template "x"}}`, "{{range $i, $k := .keys}}{{$i}}{{$k | queryescape}}{{end}}",
		"{{", "}}", "{{.settings.}}", "{{/* comment */}}",
	} {
		f.Add(s)
	}
	data := map[string]any{"settings": map[string]string{"store_id": "S-1", "page_size": "5"}, "now": "2026-11-02T12:00:00Z",
		"cursor": "2026-11-02T11:00:00Z", "next": "", "id": "a/b c", "keys": []string{"1", "2", "3"}}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return
		}
		tm, err := parseTemplate("fuzz", src)
		if err != nil {
			return
		}
		done := make(chan struct{})
		var out string
		go func() {
			defer close(done)
			out, err = render(tm, "fuzz", data)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("template %q did not finish rendering", src)
		}
		if err == nil && len(out) > maxRendered {
			t.Fatalf("rendered %d bytes", len(out))
		}
	})
}

// FuzzMapLoyverse feeds arbitrary receipt JSON through the shipped
// Loyverse manifest's map and payments programs: no panics, and every
// order that comes out is valid and totals exactly the receipt's
// total_money.
func FuzzMapLoyverse(f *testing.F) {
	m, err := os.ReadFile(filepath.Join("..", "..", "..", "configs", "adapters", "loyverse.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	a, err := NewAdapter(pos.Config{IntegrationID: "fuzz", Credentials: map[string]string{"access_token": "t", "webhook_secret": "w"},
		Settings: map[string]string{"manifest_yaml": string(m), "store_id": "S", "base_url": "http://127.0.0.1:1"}})
	if err != nil {
		f.Fatal(err)
	}
	srv := loyversetest.NewHandler()
	for i, sale := range []loyversetest.Sale{
		{Number: "1-1", Lines: []loyversetest.SaleLine{{Name: "Latte", Variant: "L", Qty: "2", Price: "4.50",
			Modifiers: []loyversetest.SaleModifier{{Name: "Milk", Option: "Oat", Price: "0.75"}}}},
			Discount: "1.00", Taxes: []loyversetest.SaleTax{{Name: "S", Rate: "8.875"}, {Name: "V", Rate: "20", Included: true}},
			Surcharge: "2.00", Tip: "1.50"},
		{Number: "1-2", Refund: "1-1", Lines: []loyversetest.SaleLine{{Name: "Beans", Qty: "0.375", Price: "31.99"}}},
	} {
		sale.At = time.Date(2026, 11, 2, 12, i, 0, 0, time.UTC)
		b, err := json.Marshal(srv.SeedReceipt(sale))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"receipt_number":"x","receipt_type":"SALE","created_at":"2026-11-02T12:00:00Z","updated_at":"2026-11-02T12:00:00Z","line_items":[{"id":"l","item_name":"a","quantity":1e3,"price":0.1,"gross_total_money":100,"line_modifiers":[]}],"total_money":100}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rec, err := decodeJSON(body)
		if err != nil {
			return
		}
		o, err := a.toOrder(context.Background(), rec, "v1", runVars{now: time.Unix(0, 0)})
		if err != nil {
			return
		}
		if ps := o.Validate(); ps != nil {
			t.Fatalf("invalid order returned: %v", ps)
		}
		r, _ := rec.(map[string]any)
		total, err := toMinor("total", r["total_money"], o.Currency, false)
		if err != nil || int64(total) != o.Totals.Total.Amount {
			t.Fatalf("total %d, receipt %v (%v)", o.Totals.Total.Amount, r["total_money"], err)
		}
	})
}
