package squaretest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest/squarespec"
)

func do(t *testing.T, srv *squaretest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+squaretest.DefaultAccessToken)
	req.Header.Set("Square-Version", "2025-08-20")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: body %q is not JSON", method, path, b)
	}
	return resp.StatusCode, m
}

func errCode(m map[string]any) string {
	es, _ := m["errors"].([]any)
	if len(es) == 0 {
		return ""
	}
	e, _ := es[0].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// In validation mode an invalid request is answered 400 in Square's error
// shape (and recorded as a violation).
func TestValidationMode(t *testing.T) {
	spec, err := squarespec.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := squaretest.New(squaretest.WithValidator(spec))
	srv.Listen()
	defer srv.Close()
	bad := []struct{ name, method, path, body string }{
		{"wrong type", "POST", "/v2/orders/search", `{"location_ids":"L1"}`},
		{"missing required", "POST", "/v2/catalog/batch-upsert", `{"batches":[]}`},
		{"read-only field sent", "POST", "/v2/catalog/batch-upsert",
			`{"idempotency_key":"k","batches":[{"objects":[{"type":"TAX","id":"#t","updated_at":"2026-01-01T00:00:00Z","tax_data":{"name":"x"}}]}]}`},
		{"bad enum", "POST", "/v2/catalog/batch-upsert",
			`{"idempotency_key":"k","batches":[{"objects":[{"type":"NOPE","id":"#t"}]}]}`},
		{"not in the spec", "GET", "/v2/nothing-here", ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			status, m := do(t, srv, tt.method, tt.path, tt.body)
			if status != 400 || errCode(m) != "BAD_REQUEST" {
				t.Errorf("got %d %v", status, m)
			}
			if err := spec.ValidateError(mustJSON(m)); err != nil {
				t.Errorf("error body off-spec: %v", err)
			}
		})
	}
	if n := len(srv.Violations()); n != len(bad) {
		t.Errorf("%d violations recorded, want %d", n, len(bad))
	}
	if err := spec.ValidateError([]byte(`{"errors":[{"category":"API_ERROR","code":"NOT_A_CODE"}]}`)); err == nil {
		t.Error("unknown error code accepted")
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestCursorIsBoundToQuery(t *testing.T) {
	srv := squaretest.Start(t)
	for range 3 {
		srv.SeedOrder(squaretest.OrderSpec{Lines: []squaretest.LineSpec{{Name: "x", Price: 100}}})
	}
	q := `{"location_ids":["` + squaretest.DefaultLocationID + `"],"limit":1%s}`
	status, m := do(t, srv, "POST", "/v2/orders/search", strings.Replace(q, "%s", "", 1))
	cur, _ := m["cursor"].(string)
	if status != 200 || cur == "" {
		t.Fatalf("%d %v", status, m)
	}
	status, m = do(t, srv, "POST", "/v2/orders/search", strings.Replace(q, "%s", `,"cursor":"`+cur+`"`, 1))
	if status != 200 || len(m["orders"].([]any)) != 1 {
		t.Fatalf("page 2: %d %v", status, m)
	}
	other := `{"location_ids":["` + squaretest.DefaultLocationID + `"],"limit":2,"cursor":"` + cur + `"}`
	if status, m = do(t, srv, "POST", "/v2/orders/search", other); status != 400 || errCode(m) != "INVALID_CURSOR" {
		t.Errorf("changed query with old cursor: %d %v", status, m)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	srv := squaretest.Start(t)
	body := `{"idempotency_key":"k1","batches":[{"objects":[{"type":"TAX","id":"#t","tax_data":{"name":"Tax","percentage":"5"}}]}]}`
	s1, m1 := do(t, srv, "POST", "/v2/catalog/batch-upsert", body)
	s2, m2 := do(t, srv, "POST", "/v2/catalog/batch-upsert", body)
	if s1 != 200 || s2 != 200 || !bytes.Equal(mustJSON(m1), mustJSON(m2)) {
		t.Errorf("replay differs: %v / %v", m1, m2)
	}
	if n := len(srv.Objects("TAX")); n != 1 {
		t.Errorf("%d taxes after a replay", n)
	}
	s3, m3 := do(t, srv, "POST", "/v2/catalog/batch-upsert", strings.Replace(body, `"5"`, `"6"`, 1))
	if s3 != 400 || errCode(m3) != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("reused key: %d %v", s3, m3)
	}
}

func TestBatchIsAllOrNothing(t *testing.T) {
	srv := squaretest.Start(t)
	body := `{"idempotency_key":"k","batches":[{"objects":[{"type":"TAX","id":"#t","tax_data":{"name":"Tax"}},` +
		`{"type":"ITEM","id":"#i","item_data":{"name":"No variations"}}]}]}`
	if s, m := do(t, srv, "POST", "/v2/catalog/batch-upsert", body); s != 400 || errCode(m) != "INVALID_VALUE" {
		t.Errorf("%d %v", s, m)
	}
	if n := len(srv.Objects("TAX")); n != 0 {
		t.Errorf("failed batch left %d taxes", n)
	}
}

func TestSeedOrderAddsUp(t *testing.T) {
	srv := squaretest.New()
	o := srv.SeedOrder(squaretest.OrderSpec{
		Lines: []squaretest.LineSpec{{Name: "A", Price: 333, Quantity: "3", Modifiers: []squaretest.ModifierSpec{{Name: "m", Price: 50}}},
			{Name: "B", Price: 1000}},
		Discounts:      []squaretest.DiscountSpec{{Name: "d", Amount: 101}},
		Taxes:          []squaretest.TaxSpec{{Name: "t", Percentage: "7.25"}, {Name: "v", Percentage: "10", Inclusive: true}},
		ServiceCharges: []squaretest.ServiceChargeSpec{{Name: "s", Percentage: "12.5", Taxable: true}},
		Tenders:        []squaretest.TenderSpec{{Amount: 500, Tip: 100}, {Type: "CASH", Tip: 25}},
	})
	var sum, tenders int64
	for _, li := range o.LineItems {
		sum += li.TotalMoney.Amount
	}
	for _, sc := range o.ServiceCharges {
		sum += sc.TotalMoney.Amount
	}
	for _, t := range o.Tenders {
		tenders += t.AmountMoney.Amount
	}
	if sum+o.TotalTipMoney.Amount != o.TotalMoney.Amount || tenders != o.TotalMoney.Amount || o.TotalTipMoney.Amount != 125 {
		t.Errorf("lines+charges %d + tips %d, total %d, tenders %d", sum, o.TotalTipMoney.Amount, o.TotalMoney.Amount, tenders)
	}
}
