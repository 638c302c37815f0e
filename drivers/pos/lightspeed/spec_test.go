package lightspeed

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
)

// salesSpec loads the Lightspeed X-Series API 2026-07 sales excerpt
// (testdata/openapi, Apache-2.0) routed at the stand-in's base URL. It is
// strict: an object schema that does not say otherwise refuses properties
// it does not document, so a field of the older flat 2.x sale (product_id,
// price_total, top-level version, return_for, outlet_id) fails validation.
func salesSpec(t *testing.T, baseURL string) routers.Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("testdata/openapi/sales-2026-07.yaml")
	if err != nil {
		t.Fatal(err)
	}
	no := false
	for name, ref := range doc.Components.Schemas {
		if name == "SaleRequestBase" || name == "SaleLineItem" {
			// Bases of allOf (SaleRequest adds id, ServiceOrderLineItem
			// adds promotions): closing them would refuse what the
			// extensions document. saleWriteKeys checks their keys.
			continue
		}
		if s := ref.Value; s.Type.Is("object") && len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			s.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
		}
	}
	doc.Servers = openapi3.Servers{{URL: baseURL}}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("spec: %v", err)
	}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// validate checks one request and, when resp is given, its response.
func validate(t *testing.T, router routers.Router, req *http.Request, status int, body []byte) error {
	t.Helper()
	route, params, err := router.FindRoute(req)
	if err != nil {
		return err
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return err
	}
	if body == nil {
		return nil
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Options: opts})
}

// token is the bearer token the adapter last used with the stand-in.
func token(t *testing.T, srv *lightspeedtest.Server) string {
	t.Helper()
	for _, r := range srv.Requests() {
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			return h
		}
	}
	t.Fatal("no authorised request recorded")
	return ""
}

func get(t *testing.T, srv *lightspeedtest.Server, auth, path string) (*http.Request, int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.BaseURL()+path, nil)
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return req, resp.StatusCode, b
}

// TestSalesFollowTheSpec validates the stand-in's sales (GET /sales and
// GET /sales/{id}) and the adapter's sales requests against the published
// 2026-07 description.
func TestSalesFollowTheSpec(t *testing.T) {
	f := newFixture(t, nil)
	router := salesSpec(t, f.srv.BaseURL())
	ids := []string{
		f.srv.SeedSale(lightspeedtest.SaleSpec{ReceiptNumber: "R-1", OutletID: "0adaafb3-6583-11e5-fb60-d5b67a17df2f", Note: "table 4",
			Lines: []lightspeedtest.LineSpec{
				{ProductID: "0adaafb3-6583-11e5-fb60-d5b67a17dfa1", Quantity: "2", UnitPrice: "4.00", UnitDiscount: "0.50", TaxRate: "0.15"},
				{ProductID: "0adaafb3-6583-11e5-fb60-d5b67a17dfa2", UnitPrice: "3.00", TaxRate: "0.15", Status: "VOIDED"},
			},
			Payments: []lightspeedtest.PaymentSpec{{Type: "Cash", Amount: "5.00"}, {Type: "Credit Card"}}, Tip: "1.00"}),
		f.srv.SeedSale(lightspeedtest.SaleSpec{ReturnFor: "0adaafb3-6583-11e5-fb60-d5b67a17d000",
			Lines:    []lightspeedtest.LineSpec{{ProductID: "0adaafb3-6583-11e5-fb60-d5b67a17dfa1", Quantity: "-1", UnitPrice: "4.00", TaxRate: "0.15"}},
			Payments: []lightspeedtest.PaymentSpec{{Type: "Cash"}}}),
	}
	raw, err := os.ReadFile("testdata/sale_nested_2026.json")
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.srv.SeedRawSale(raw)
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, id)

	// The adapter's own requests (poll and webhook fetch) use only
	// documented parameters.
	if _, err := f.a.PullOrders(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.FetchOrders(context.Background(), ids[:1]); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range f.srv.Requests() {
		if !strings.HasPrefix(r.Path, "/sales") {
			continue
		}
		n++
		req, _ := http.NewRequest(r.Method, f.srv.BaseURL()+r.Path+"?"+r.Query.Encode(), nil)
		req.Header = r.Header.Clone()
		if err := validate(t, router, req, 0, nil); err != nil {
			t.Errorf("adapter request %s %s?%s: %v", r.Method, r.Path, r.Query.Encode(), err)
		}
		for k := range r.Query {
			if k != "after" && k != "before" && k != "page_size" {
				t.Errorf("adapter sent undocumented parameter %q", k)
			}
		}
	}
	if n == 0 {
		t.Error("the adapter made no sales requests")
	}

	// The stand-in's responses.
	auth := token(t, f.srv)
	req, st, body := get(t, f.srv, auth, "/sales?after=0&page_size=50")
	if err := validate(t, router, req, st, body); err != nil {
		t.Errorf("GET /sales: %v", err)
	}
	for _, id := range ids {
		req, st, body := get(t, f.srv, auth, "/sales/"+id)
		if err := validate(t, router, req, st, body); err != nil {
			t.Errorf("GET /sales/%s: %v", id, err)
		}
	}
}

// TestSpecRefusesFlatSale shows the oracle would catch the stand-in's old
// mistake: the flat 2.x sale line served under /api/2026-07.
func TestSpecRefusesFlatSale(t *testing.T) {
	f := newFixture(t, nil)
	srv := f.srv
	router := salesSpec(t, srv.BaseURL())
	if _, err := f.a.PullOrders(context.Background(), nil); err != nil { // for a token
		t.Fatal(err)
	}
	id, err := srv.SeedRawSale([]byte(`{"date":"2026-11-02T09:30:00Z","state":"closed","return_for":"x",
		"line_items":[{"id":"l1","product_id":"p1","quantity":1,"price":4,"tax":0.6,"price_total":4,"tax_total":0.6}],
		"totals":{"price":4,"tax":0.6,"price_incl_tax":4.6}}`))
	if err != nil {
		t.Fatal(err)
	}
	req, st, body := get(t, srv, token(t, srv), "/sales/"+id)
	err = validate(t, router, req, st, body)
	if err == nil {
		t.Fatal("a flat 2.x sale passed the 2026-07 spec")
	}
	for _, want := range []string{"product_id", "return_for"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("validation error does not name %s: %v", want, err)
		}
	}
}
