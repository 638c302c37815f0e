// Package squarespec validates Square API traffic against Square's official
// OpenAPI description (api.json, Apache-2.0, kept in
// drivers/pos/square/testdata/openapi) with kin-openapi. It is for tests:
// it reads the spec from the source tree, and keeps kin-openapi out of the
// daemon binary (package squaretest only sees the Validator interface).
package squarespec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Spec is a loaded, routable Square OpenAPI document.
type Spec struct {
	Doc    *openapi3.T
	router routers.Router
	errs   *openapi3.Schema // {"errors": [Error]}
}

var (
	once    sync.Once
	loaded  *Spec
	loadErr error
)

// Path returns the location of api.json in the source tree.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "openapi", "api.json")
}

// Load reads and prepares the spec once per process (it is 3 MB and takes
// about half a second).
func Load() (*Spec, error) {
	once.Do(func() { loaded, loadErr = LoadFile(Path()) })
	return loaded, loadErr
}

// LoadFile reads the spec at path, repairs its two known defects and builds
// a router that matches paths on any host.
func LoadFile(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if err := repair(raw); err != nil {
		return nil, err
	}
	if b, err = json.Marshal(raw); err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("load square spec: %w", err)
	}
	doc.Servers = nil // match any host: tests talk to 127.0.0.1
	// The document's examples do not all match its schemas and its info
	// object carries externalDocs; neither matters for traffic validation.
	r, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation(), openapi3.AllowExtraSiblingFields("externalDocs"))
	if err != nil {
		return nil, fmt.Errorf("route square spec: %w", err)
	}
	errRef := doc.Components.Schemas["Error"]
	if errRef == nil {
		return nil, errors.New("square spec has no Error schema")
	}
	errs := openapi3.NewObjectSchema().
		WithProperty("errors", openapi3.NewArraySchema().WithItems(errRef.Value))
	errs.Required = []string{"errors"}
	return &Spec{Doc: doc, router: r, errs: errs}, nil
}

// repair fixes the defects of api.json at commit 5733f66:
//   - CatalogModifierToggleOverrideType is referenced but not defined;
//   - PUT /v2/vendors/{vendor_id} does not declare its path parameter.
func repair(raw map[string]any) error {
	comps, _ := raw["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	if schemas == nil {
		return errors.New("square spec: no components.schemas")
	}
	if _, ok := schemas["CatalogModifierToggleOverrideType"]; !ok {
		schemas["CatalogModifierToggleOverrideType"] = map[string]any{"type": "string"}
	}
	// Add every path parameter an operation forgot to declare.
	paths, _ := raw["paths"].(map[string]any)
	for p, item := range paths {
		ops, _ := item.(map[string]any)
		var names []string
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				names = append(names, seg[1:len(seg)-1])
			}
		}
		for method, op := range ops {
			o, ok := op.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			params, _ := o["parameters"].([]any)
			declared := map[string]bool{}
			for _, x := range params {
				if pm, ok := x.(map[string]any); ok && pm["in"] == "path" {
					declared[fmt.Sprint(pm["name"])] = true
				}
			}
			for _, n := range names {
				if !declared[n] {
					params = append(params, map[string]any{"name": n, "in": "path", "required": true,
						"schema": map[string]any{"type": "string"}})
				}
			}
			o["parameters"] = params
		}
	}
	return nil
}

// versionMismatch is the catalog error code Square's docs describe
// ("a response with a VERSION_MISMATCH error is returned") but whose
// ErrorCode enum omits; error bodies with it are accepted.
const versionMismatch = "VERSION_MISMATCH"

func (s *Spec) options() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError: true,
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
				return errors.New("missing bearer token")
			}
			return nil
		},
	}
}

func (s *Spec) input(r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s is not in the square spec: %w", r.Method, r.URL.Path, err)
	}
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: s.options()}, nil
}

// ValidateRequest checks method, path, parameters, security and body.
func (s *Spec) ValidateRequest(r *http.Request, body []byte) error {
	in, err := s.input(r, body)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(context.Background(), in)
}

// ValidateResponse checks a response: against the operation's schema for a
// documented status, or against Square's error shape for any other.
func (s *Spec) ValidateResponse(r *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	in, err := s.input(r, reqBody)
	if err != nil {
		return err
	}
	if in.Route.Operation.Responses.Status(status) == nil {
		return s.ValidateError(body)
	}
	rv := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}}
	rv.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), rv)
}

// ValidateError checks an error body: {"errors":[Error...]}.
func (s *Spec) ValidateError(body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error body is not JSON: %w", err)
	}
	if m, ok := v.(map[string]any); ok {
		if es, ok := m["errors"].([]any); ok {
			for _, e := range es {
				if em, ok := e.(map[string]any); ok && em["code"] == versionMismatch {
					em["code"] = "CONFLICT" // see versionMismatch
				}
			}
		}
	}
	return s.errs.VisitJSON(v, openapi3.MultiErrors())
}

// ValidateSchema checks a JSON document against a named component schema,
// e.g. "OrderUpdatedEvent" for a webhook body.
func (s *Spec) ValidateSchema(name string, body []byte) error {
	ref := s.Doc.Components.Schemas[name]
	if ref == nil {
		return fmt.Errorf("square spec has no schema %s", name)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return ref.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsResponse())
}
