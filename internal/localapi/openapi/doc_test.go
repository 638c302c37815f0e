package openapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/auraconnect/aura-edge/internal/localapi/openapi"
	"github.com/auraconnect/aura-edge/internal/localapi/openapi/openapitest"
)

// TestDocumentIsValid31: kin-openapi loads the document as OpenAPI 3.1
// and finds nothing wrong with it.
func TestDocumentIsValid31(t *testing.T) {
	v := openapitest.New(t)
	if n := len(v.Doc().Paths.Map()); n < 25 {
		t.Fatalf("only %d paths", n)
	}
}

// TestSchemas: the order, payment and menu schemas compile as JSON Schema
// 2020-12, take the sample documents and refuse broken ones.
func TestSchemas(t *testing.T) {
	c := jsonschema.NewCompiler()
	for _, name := range []string{"order.schema.json", "payment.schema.json", "menu.schema.json"} {
		b, err := openapi.Schema(name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(name, doc); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		schema, file string
		mutate       func(map[string]any)
		ok           bool
	}{
		{"order.schema.json", "../testdata/order.json", nil, true},
		{"order.schema.json", "../testdata/order.json", func(m map[string]any) { m["line_items"] = "none" }, false},
		{"order.schema.json", "../testdata/order.json", func(m map[string]any) { m["colour"] = "red" }, false},
		{"order.schema.json", "../testdata/order.json", func(m map[string]any) { delete(m, "source") }, false},
		{"payment.schema.json", "", nil, true},
		{"menu.schema.json", "", nil, true},
	} {
		sch, err := c.Compile(tc.schema)
		if err != nil {
			t.Fatalf("%s: %v", tc.schema, err)
		}
		var doc map[string]any
		switch {
		case tc.file != "":
			b, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			json.Unmarshal(b, &doc)
		case tc.schema == "payment.schema.json":
			json.Unmarshal([]byte(`{"id":"pay_1","source":{"vendor":"local","external_id":"P-1"},"method":"card",
				"amount":{"amount":450,"currency":"USD"},"status":"completed","created_at":"2026-11-23T09:30:00Z"}`), &doc)
		default:
			json.Unmarshal([]byte(`{"id":"m1","version":"3","currency":"USD","items":[{"id":"i1","name":"Latte",
				"variations":[{"id":"v1","name":"Regular","price":{"amount":450,"currency":"USD"}}]}]}`), &doc)
		}
		if tc.mutate != nil {
			tc.mutate(doc)
		}
		err = sch.Validate(any(doc))
		if (err == nil) != tc.ok {
			t.Errorf("%s %s mutated=%v: valid=%v: %v", tc.schema, tc.file, tc.mutate != nil, err == nil, err)
		}
	}
}

// TestValidatorCatchesDrift: the checker the API tests use rejects an
// answer the document does not describe, an error that is not a problem,
// a leaked Go type name, and a request the daemon should have refused.
func TestValidatorCatchesDrift(t *testing.T) {
	v := openapitest.New(t)
	get := func(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }
	jsonH := http.Header{"Content-Type": {"application/json"}}
	probH := http.Header{"Content-Type": {"application/problem+json"}}
	problem := `{"type":"urn:aura-edge:problem:bad_type","title":"Bad Request","status":400,"detail":"x","code":"bad_type"}`
	for _, tc := range []struct {
		name   string
		req    *http.Request
		body   string
		status int
		header http.Header
		resp   string
		ok     bool
	}{
		{"healthz ok", get("/healthz"), "", 200, jsonH, `{"status":"ok"}`, true},
		{"healthz wrong type", get("/healthz"), "", 200, jsonH, `{"status":5}`, false},
		{"healthz extra field", get("/healthz"), "", 200, jsonH, `{"status":"ok","debug":1}`, false},
		{"error as plain json", get("/v1/printers"), "", 401, jsonH, `{"error":{"code":"x"}}`, false},
		{"problem", get("/v1/printers"), "", 401, probH, problem, true},
		{"Go type name", get("/v1/printers"), "", 400, probH,
			`{"type":"t","title":"Bad Request","status":400,"detail":"source must be model.Source, not string","code":"bad_type"}`, false},
		{"unknown route problem", get("/nope"), "", 404, probH, problem, true},
		{"unknown route success", get("/nope"), "", 200, jsonH, `{}`, false},
		{"bad request accepted", httptest.NewRequest("POST", "/v1/print", strings.NewReader(`{"printer":1}`)), `{"printer":1}`, 202, jsonH,
			`{"job_id":"j","state":"queued","printer":"p","kind":"test"}`, false},
		{"bad request refused", httptest.NewRequest("POST", "/v1/print", strings.NewReader(`{"printer":1}`)), `{"printer":1}`, 400, probH, problem, true},
	} {
		if tc.body != "" {
			tc.req.Header.Set("Content-Type", "application/json")
		}
		err := v.Check(tc.req, []byte(tc.body), tc.status, tc.header, []byte(tc.resp))
		if (err == nil) != tc.ok {
			t.Errorf("%s: ok=%v: %v", tc.name, err == nil, err)
		}
	}
}
