package clovertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, s *Server, method, path, token string, body string) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m, resp.Header
}

func TestComputeTotals(t *testing.T) {
	tax := []TaxRate{{ID: "T", Rate: 887500}}
	tests := []struct {
		name string
		o    Order
		want Totals
	}{
		{"modifiers and tax", Order{LineItems: []LineItem{
			{Price: 450, TaxRates: tax, Modifications: []Modification{{Amount: 75}}},
			{Price: 325, TaxRates: tax}}},
			Totals{Subtotal: 850, Tax: 76, Total: 926}},
		{"order discount prorated before tax", Order{LineItems: []LineItem{
			{Price: 1200, TaxRates: []TaxRate{{Rate: 800000}}}, {Price: 400, TaxRates: []TaxRate{{Rate: 800000}}}},
			Discounts: []Discount{{Percentage: 10}}, ServiceCharge: &ServiceCharge{PercentageDecimal: 180000}},
			Totals{Subtotal: 1600, Discounts: 160, ServiceCharge: 259, Tax: 115, Total: 1814}},
		{"VAT included", Order{IsVat: true, LineItems: []LineItem{{Price: 450, TaxRates: []TaxRate{{Rate: 2000000}}}}},
			Totals{Subtotal: 450, VAT: 75, Total: 450}},
		{"per unit half up", Order{LineItems: []LineItem{{Price: 299, UnitQty: 1500}}}, Totals{Subtotal: 449, Total: 449}},
		{"flat tax per unit", Order{LineItems: []LineItem{{Price: 100, UnitQty: 2000, TaxRates: []TaxRate{{TaxAmount: 5}}}}},
			Totals{Subtotal: 200, Tax: 10, Total: 210}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ComputeTotals(&tc.o); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAuthAndRefreshAreSingleUse(t *testing.T) {
	s := Start(t)
	m := "/v3/merchants/" + s.Merchant()
	if st, _, _ := do(t, s, "GET", m, "", ""); st != 401 {
		t.Errorf("no token: %d", st)
	}
	if st, _, _ := do(t, s, "GET", m, DefaultAccessToken, ""); st != 200 {
		t.Errorf("valid token: %d", st)
	}
	if st, _, _ := do(t, s, "GET", "/v3/merchants/OTHER", DefaultAccessToken, ""); st != 403 {
		t.Errorf("other merchant: %d", st)
	}
	body := `{"client_id":"` + DefaultClientID + `","refresh_token":"` + DefaultRefreshToken + `"}`
	st, out, _ := do(t, s, "POST", "/oauth/v2/refresh", "", body)
	if st != 200 || out["access_token"] == "" || out["refresh_token"] == "" || out["access_token_expiration"] == nil {
		t.Fatalf("refresh: %d %v", st, out)
	}
	if st, _, _ := do(t, s, "POST", "/oauth/v2/refresh", "", body); st != 401 {
		t.Errorf("refresh token reused: %d, want 401", st)
	}
	if st, _, _ := do(t, s, "GET", m, out["access_token"].(string), ""); st != 200 {
		t.Errorf("new token: %d", st)
	}
	s.ExpireAccessTokens()
	if st, _, _ := do(t, s, "GET", m, out["access_token"].(string), ""); st != 401 {
		t.Errorf("expired token: %d", st)
	}
}

func TestFaultsAndRecording(t *testing.T) {
	s := Start(t)
	m := "/v3/merchants/" + s.Merchant()
	s.FailNext(1, TooManyRequests("4"))
	st, out, h := do(t, s, "GET", m, DefaultAccessToken, "")
	if st != 429 || h.Get("Retry-After") != "4" || out["message"] != "Too Many Requests" {
		t.Errorf("429 fault: %d %v %v", st, h, out)
	}
	s.FailNext(1, Fault{Status: 500, Message: "boom", Method: "POST"})
	if st, _, _ := do(t, s, "GET", m, DefaultAccessToken, ""); st != 200 {
		t.Errorf("GET hit a POST-only fault: %d", st)
	}
	if st, _, _ := do(t, s, "POST", m+"/items", DefaultAccessToken, `{"name":"x","price":1}`); st != 500 {
		t.Errorf("POST fault: %d", st)
	}
	rs := s.Requests()
	if len(rs) != 3 || rs[2].Method != "POST" || !bytes.Contains(rs[2].Body, []byte(`"name":"x"`)) || rs[2].Header.Get("Authorization") == "" {
		t.Errorf("recorded %+v", rs)
	}
}

func TestCatalogWrites(t *testing.T) {
	s := Start(t)
	m := "/v3/merchants/" + s.Merchant()
	if st, out, _ := do(t, s, "POST", m+"/items", DefaultAccessToken, `{"name":"Latte","price":450,"colour":"red"}`); st != 400 {
		t.Errorf("unknown field accepted: %d %v", st, out)
	}
	st, it, _ := do(t, s, "POST", m+"/items", DefaultAccessToken, `{"name":"Latte","price":450,"priceType":"FIXED","sku":"L"}`)
	if st != 200 || it["id"] == "" {
		t.Fatalf("create: %d %v", st, it)
	}
	id := it["id"].(string)
	if st, out, _ := do(t, s, "POST", m+"/items/"+id, DefaultAccessToken, `{"price":500}`); st != 200 || out["price"] != float64(500) || out["name"] != "Latte" {
		t.Errorf("partial update: %d %v", st, out)
	}
	if st, _, _ := do(t, s, "POST", m+"/items/NOPE", DefaultAccessToken, `{"price":500}`); st != 404 {
		t.Errorf("update of a missing item: %d", st)
	}
	st, out, _ := do(t, s, "GET", m+"/items?filter=sku%3DL", DefaultAccessToken, "")
	if els := out["elements"].([]any); st != 200 || len(els) != 1 {
		t.Errorf("sku filter: %d %v", st, out)
	}
	if st, _, _ := do(t, s, "POST", m+"/item_modifier_groups", DefaultAccessToken, `{"elements":[{"item":{"id":"`+id+`"},"modifierGroup":{"id":"MISSING"}}]}`); st != 400 {
		t.Errorf("link to a missing group: %d", st)
	}
}

func TestOrdersListing(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := Start(t, WithClock(func() time.Time { return now }))
	for i := range 5 {
		s.SeedOrder(Order{CreatedTime: now.Add(time.Duration(i) * time.Minute).UnixMilli(), LineItems: []LineItem{{Name: "x", Price: 100}}})
	}
	m := "/v3/merchants/" + s.Merchant()
	q := "?filter=modifiedTime%3E%3D" + itoa(now.Add(time.Minute).UnixMilli()) + "&filter=modifiedTime%3C" + itoa(now.Add(4*time.Minute).UnixMilli()) +
		"&orderBy=modifiedTime%20ASC&limit=2&offset=1&expand=lineItems"
	st, out, _ := do(t, s, "GET", m+"/orders"+q, DefaultAccessToken, "")
	els := out["elements"].([]any)
	if st != 200 || len(els) != 2 {
		t.Fatalf("list: %d %v", st, out)
	}
	first := els[0].(map[string]any)
	if first["id"] != "OR00000000003" || first["lineItems"] == nil || first["payments"] != nil {
		t.Errorf("first = %v", first)
	}
	if st, _, _ := do(t, s, "GET", m+"/orders?filter=total%3E1", DefaultAccessToken, ""); st != 400 {
		t.Errorf("unsupported filter field: %d", st)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestDocumentedExpansionsOnly: each orders operation honours only the
// expansions its reference page lists; the rest are ignored (and reported),
// so a line's tax rates never come with an order, and a payment's tender is
// a bare {id} unless payment.tender (list) or tender (order payments) is
// expanded.
func TestDocumentedExpansionsOnly(t *testing.T) {
	s := Start(t)
	o := s.SeedOrder(Order{ID: "ORD1", LineItems: []LineItem{{ID: "LI1", ItemID: "IT1", Name: "Latte", Price: 450,
		Modifications: []Modification{{Name: "Oat", Amount: 75, ModifierID: "MOD1"}},
		TaxRates:      []TaxRate{{ID: "TX1", Name: "Sales tax", Rate: 900000}}}},
		Payments: []Payment{Cash(572)}})
	if o.Total != 572 {
		t.Fatalf("documented example total = %d, want 572", o.Total)
	}
	m := "/v3/merchants/" + s.Merchant()
	line := func(out map[string]any) map[string]any {
		return out["lineItems"].(map[string]any)["elements"].([]any)[0].(map[string]any)
	}
	pay := func(out map[string]any) map[string]any {
		return out["payments"].(map[string]any)["elements"].([]any)[0].(map[string]any)
	}

	_, out, _ := do(t, s, "GET", m+"/orders/ORD1?expand=lineItems,lineItems.modifications,lineItems.taxRates,payments,payment.tender", DefaultAccessToken, "")
	if l := line(out); l["modifications"] != nil || l["taxRates"] != nil {
		t.Errorf("get order inlined undocumented line expansions: %v", l)
	}
	if tn := pay(out)["tender"].(map[string]any); len(tn) != 1 || tn["id"] != "TENDERCASH001" {
		t.Errorf("get order tender = %v, want a bare id", tn)
	}
	want := []string{"get order expand=lineItems.modifications", "get order expand=lineItems.taxRates", "get order expand=payment.tender"}
	got := s.Ignored()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("ignored = %q, want %q", got, want)
	}

	_, out, _ = do(t, s, "GET", m+"/orders?expand=lineItems,lineItems.modifications,lineItems.taxRates,payments,payment.tender", DefaultAccessToken, "")
	o1 := out["elements"].([]any)[0].(map[string]any)
	if l := line(o1); l["modifications"] == nil || l["taxRates"] != nil {
		t.Errorf("list: line = %v, want modifications and no taxRates", l)
	}
	if tn := pay(o1)["tender"].(map[string]any); tn["labelKey"] != TenderCash {
		t.Errorf("list with payment.tender: tender = %v", tn)
	}

	_, out, _ = do(t, s, "GET", m+"/orders/ORD1/line_items?expand=taxRates,modifications", DefaultAccessToken, "")
	l := out["elements"].([]any)[0].(map[string]any)
	if l["taxRates"] == nil || l["modifications"] == nil {
		t.Errorf("line items with taxRates,modifications = %v", l)
	}
	_, out, _ = do(t, s, "GET", m+"/orders/ORD1/payments?expand=tender", DefaultAccessToken, "")
	if tn := out["elements"].([]any)[0].(map[string]any)["tender"].(map[string]any); tn["labelKey"] != TenderCash {
		t.Errorf("order payments with tender: %v", tn)
	}
	_, out, _ = do(t, s, "GET", m+"/tenders", DefaultAccessToken, "")
	found := false
	for _, e := range out["elements"].([]any) {
		x := e.(map[string]any)
		found = found || (x["id"] == "TENDERCASH001" && x["labelKey"] == TenderCash)
	}
	if !found {
		t.Errorf("tenders = %v", out)
	}
}
