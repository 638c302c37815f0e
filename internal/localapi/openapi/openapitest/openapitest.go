// Package openapitest checks HTTP traffic against the local API's OpenAPI
// document, for tests: wrap a test's HTTP client with Validator.Client and
// every request it sends and every response it gets are checked, so the
// document cannot drift from the code. Only tests import it.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/auraconnect/aura-edge/internal/localapi/openapi"
)

// Validator checks requests and responses against the document.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	mu     sync.Mutex
	seen   map[string]int // "METHOD /path/template" -> calls
}

var registerOnce sync.Once

var (
	shared     *Validator
	sharedErr  error
	sharedOnce sync.Once
)

// New loads and validates the document (once per test binary).
func New(tb testing.TB) *Validator {
	tb.Helper()
	registerOnce.Do(func() {
		for _, ct := range []string{"text/html", "text/javascript", "text/css", "image/svg+xml"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
		}
	})
	sharedOnce.Do(func() { shared, sharedErr = load() })
	if sharedErr != nil {
		tb.Fatalf("OpenAPI document: %v", sharedErr)
	}
	return shared
}

func load() (*Validator, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.Document())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("openapi %q, want 3.1", doc.OpenAPI)
	}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &Validator{doc: doc, router: r, seen: map[string]int{}}, nil
}

// Doc returns the loaded document.
func (v *Validator) Doc() *openapi3.T { return v.doc }

// Client returns a client like base (nil: http.DefaultClient) whose
// traffic is checked; problems are reported with tb.Errorf.
func (v *Validator) Client(tb testing.TB, base *http.Client) *http.Client {
	if base == nil {
		base = http.DefaultClient
	}
	c := *base
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		var reqBody []byte
		if r.Body != nil {
			reqBody, _ = io.ReadAll(r.Body)
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(reqBody))
		}
		resp, err := rt.RoundTrip(r)
		if err != nil {
			return resp, err
		}
		respBody, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(respBody))
		if err := v.Check(r, reqBody, resp.StatusCode, resp.Header, respBody); err != nil {
			tb.Errorf("OpenAPI: %s %s -> %d: %v", r.Method, r.URL.Path, resp.StatusCode, err)
		}
		return resp, nil
	})
	return &c
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// goName matches Go type names and internals that must not reach a client.
var goName = regexp.MustCompile(`\b(model|spool|outbox|ingest|audit|bridge|localapi|auth|json|http|time|strconv|reflect|runtime)\.[A-Z]\w*|map\[string\]|\[\][a-z]+\.|Go (value|struct field)|goroutine \d+|panic:|\.go:\d+|2006-01-02`)

// Check validates one exchange. A request the document rejects is an
// error only when the daemon accepted it (2xx): a test may send bad input
// on purpose, and then the answer must be a documented problem. Every
// error body is also searched for Go type names.
func (v *Validator) Check(r *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) error {
	if status >= 400 && goName.Match(respBody) {
		return fmt.Errorf("error body names Go internals: %s", respBody)
	}
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	// The router matches paths only; the document has no servers.
	req.URL.Scheme, req.URL.Host, req.Host = "", "", ""
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		// Unknown routes answer a problem.
		if status < 400 {
			return fmt.Errorf("route not in the document (answered %d)", status)
		}
		return v.checkProblem(header, respBody)
	}
	v.mu.Lock()
	v.seen[r.Method+" "+route.Path]++
	v.mu.Unlock()
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if rerr := openapi3filter.ValidateRequest(context.Background(), in); rerr != nil && status < 300 {
		return fmt.Errorf("the daemon accepted a request the document rejects: %v", rerr)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: opts}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("response does not match the document: %v\nbody: %.600s", err, respBody)
	}
	return nil
}

func (v *Validator) checkProblem(header http.Header, body []byte) error {
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		return fmt.Errorf("error answered as %q, want application/problem+json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("problem body: %v", err)
	}
	return v.doc.Components.Schemas["Problem"].Value.VisitJSON(m, openapi3.EnableJSONSchema2020())
}

// Seen returns how often each documented operation was called.
func (v *Validator) Seen() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]int, len(v.seen))
	for k, n := range v.seen {
		out[k] = n
	}
	return out
}
