package lightspeed

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// saleWriteKeys checks the keys of a CreateSale / UpdateSale body that the
// allOf bases (left open in salesSpec) would not: top-level keys are
// SaleRequestBase's (plus id for CreateSale), line keys SaleLineItem's.
func saleWriteKeys(t *testing.T, doc *openapi3.T, create bool, body []byte) {
	t.Helper()
	var in struct {
		Top   map[string]json.RawMessage
		Lines []map[string]json.RawMessage `json:"line_items"`
	}
	if err := json.Unmarshal(body, &in.Top); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(body, &in)
	base := doc.Components.Schemas["SaleRequestBase"].Value.Properties
	for k := range in.Top {
		if _, ok := base[k]; !ok && !(create && k == "id") {
			t.Errorf("sale body has undocumented key %q", k)
		}
	}
	line := doc.Components.Schemas["SaleLineItem"].Value.Properties
	for _, l := range in.Lines {
		for k := range l {
			if _, ok := line[k]; !ok {
				t.Errorf("sale line has undocumented key %q", k)
			}
		}
	}
}

// TestSaleWritesFollowTheSpec validates the adapter's CreateSale (with a
// tip), initReturnSale and UpdateSale requests, and the stand-in's sales
// after them, against the 2026-07 description.
func TestSaleWritesFollowTheSpec(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, lightspeedtest.InjectSettings())
	router := salesSpec(t, f.srv.BaseURL())
	doc, err := openapi3.NewLoader().LoadFromFile("testdata/openapi/sales-2026-07.yaml")
	if err != nil {
		t.Fatal(err)
	}
	req := lsInject(f, "cmd-spec", "aura-order-spec")
	req.Payment.Tip = model.M(100, "NZD")
	inj, err := f.a.InjectOrder(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	rf, err := f.a.RefundOrder(ctx, pos.RefundRequest{Key: "cmd-spec-r", VendorOrderID: inj.VendorOrderID, Reason: "spec"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range f.srv.Requests() {
		if r.Method == http.MethodGet || !strings.HasPrefix(r.Path, "/sales") {
			continue
		}
		hr, _ := http.NewRequest(r.Method, f.srv.BaseURL()+r.Path, bytes.NewReader(r.Body))
		hr.Header = r.Header.Clone()
		if len(r.Body) > 0 {
			hr.Header.Set("Content-Type", "application/json")
		}
		route, _, err := router.FindRoute(hr)
		if err != nil {
			t.Errorf("%s %s: %v", r.Method, r.Path, err)
			continue
		}
		seen[route.Operation.OperationID] = true
		if err := validate(t, router, hr, 0, nil); err != nil {
			t.Errorf("adapter request %s %s %s: %v", r.Method, r.Path, r.Body, err)
		}
		if len(r.Body) > 0 {
			saleWriteKeys(t, doc, r.Method == http.MethodPost, r.Body)
		}
	}
	for _, op := range []string{"CreateSale", "initReturnSale", "UpdateSale"} {
		if !seen[op] {
			t.Errorf("no %s request was made", op)
		}
	}
	auth := token(t, f.srv)
	for _, id := range []string{inj.VendorOrderID, rf.VendorRefundID} {
		hr, st, body := get(t, f.srv, auth, "/sales/"+id)
		if err := validate(t, router, hr, st, body); err != nil {
			t.Errorf("GET /sales/%s: %v", id, err)
		}
	}
}
