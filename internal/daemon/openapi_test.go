package daemon

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
	"github.com/auraconnect/aura-edge/internal/auth"
	"github.com/auraconnect/aura-edge/internal/localapi/openapi/openapitest"
)

// TestEveryRouteDescribed: each route the daemon registers is in the
// OpenAPI document, and the document describes no route the daemon lacks.
func TestEveryRouteDescribed(t *testing.T) {
	d, _ := startDaemon(t, nil)
	doc := openapitest.New(t).Doc()
	described := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described[method+" "+path] = true
		}
	}
	registered := map[string]bool{}
	for _, p := range d.Core().API.Patterns() {
		registered[p] = true
		if !described[p] {
			t.Errorf("route %s is not in openapi.json (add it to internal/localapi/openapi/spec_test.go, run with -update)", p)
		}
	}
	for p := range described {
		if !registered[p] {
			t.Errorf("openapi.json describes %s, which the daemon does not serve", p)
		}
	}
}

// TestEveryRouteDeclaresItsRole: each route the daemon registers declared
// who may call it where it was registered (control-socket routes are
// admin by the socket), the auth policy is exactly those declarations,
// and the OpenAPI document lists the same role (x-aura-role).
func TestEveryRouteDeclaresItsRole(t *testing.T) {
	d, _ := startDaemon(t, nil)
	api := d.Core().API
	doc := openapitest.New(t).Doc()
	rules := map[string]auth.Rule{}
	for _, r := range api.Policy().Rules() {
		rules[r.Pattern] = r
	}
	for _, p := range api.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		item := doc.Paths.Value(path)
		if item == nil || item.GetOperation(method) == nil {
			continue // TestEveryRouteDescribed reports it
		}
		documented, _ := item.GetOperation(method).Extensions["x-aura-role"].(string)
		access, ok := api.Access(p)
		want := "control"
		if ok {
			want = access.Name()
			rule, inPolicy := rules[p]
			if !inPolicy || rule.Public != access.Public || !slices.Equal(rule.Roles, access.Roles) {
				t.Errorf("%s: policy rule %+v, declared %+v", p, rule, access)
			}
			delete(rules, p)
		} else if !strings.HasPrefix(path, "/ctl/") {
			t.Errorf("%s has no declared access", p)
		}
		if documented != want {
			t.Errorf("%s: openapi.json says x-aura-role %q, the route declares %q (fix spec_test.go's routes(), run make openapi)", p, documented, want)
		}
	}
	for p := range rules {
		t.Errorf("policy has a rule for %s, which no route registered", p)
	}
}

// TestErrorWalk sends bad input to every route (with an admin token, so
// that the route itself answers) and checks that each answer is a
// documented problem with a sentence and no Go type name, stack trace or
// internal field name (the checker in openapitest does that for every
// exchange), and that a wrong Content-Type says which one to send.
func TestErrorWalk(t *testing.T) {
	pr := printertest.Start(t)
	d, logs := startDaemon(t, printerConfig(pr))
	admin, _, _ := auth.Create(d.Core().DB, auth.Admin, "walker")
	base := "http://" + d.APIAddr().String()
	doc := openapitest.New(t).Doc()
	bodies := []string{
		`{`, `[1,2`, `"text"`, `42`, `null`, `[]`, `{"nope":1}`,
		`{"source":"x","line_items":{},"printer":5,"kind":[],"order":"x","menu":7,"token":false,"job_id":{},"vendor":1,"credentials":[]}`,
		`{"source":{"vendor":"local","external_id":"W-1"},"created_at":"yesterday","line_items":[{"name":"x","quantity":"lots","unit_price":{"amount":"free","currency":"USD"}}]}`,
		`{"source":{"vendor":"local","external_id":"W-2"},"created_at":"2026-11-23T09:30:00Z","currency":"USD","line_items":[{"name":"x","quantity":1,"unit_price":{"amount":-5,"currency":"USD"}}]}`,
		`{"printer":"front","kind":"receipt","order":{"line_items":[{"quantity":1e400}]}}`,
	}
	var paths []string
	for p := range doc.Paths.Map() {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	n := 0
	for _, path := range paths {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			if strings.HasPrefix(path, "/ctl/") {
				continue // the control socket's; the CLI tests cover them
			}
			target := strings.NewReplacer("{id}", "nope", "{integration_id}", "nope", "{file}", "nope.js").Replace(path)
			// Bad query values.
			if len(op.Parameters) > 0 {
				code, body := request(t, method, base+target+"?limit=-1&state=bogus&since=yesterday&live=maybe&printer=ghost", admin, nil)
				checkProblem(t, method, target+"?bad", code, body)
				n++
			}
			if op.RequestBody == nil {
				continue
			}
			for _, b := range bodies {
				code, body := request(t, method, base+target, admin, []byte(b))
				checkProblem(t, method, target+" "+b, code, body)
				n++
			}
			// The wrong media type: a 415 that names the right one.
			code, body := requestCT(t, method, base+target, admin, "text/plain", []byte(`{}`))
			if path != "/webhooks/{integration_id}" {
				if code != 415 || !strings.Contains(body, "Content-Type: application/json") {
					t.Errorf("%s %s as text/plain: %d %s", method, target, code, body)
				}
			}
			n++
		}
	}
	t.Logf("%d bad requests, every answer a plain problem", n)
	if strings.Contains(logs.String(), "panic") {
		t.Fatalf("a handler panicked:\n%s", logs)
	}
	if code, _ := request(t, "GET", base+"/healthz", "", nil); code != 200 {
		t.Fatal("daemon stopped serving")
	}
}

// checkProblem: an error answer has a sentence and a code.
func checkProblem(t *testing.T, method, what string, code int, body string) {
	t.Helper()
	if code < 400 {
		return // some routes ignore what they do not read
	}
	var p struct {
		Detail string `json:"detail"`
		Code   string `json:"code"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil || p.Detail == "" || p.Status != code {
		// Webhook refusals answer the vendor in its own shape.
		if !strings.Contains(body, `"status":"rejected"`) {
			t.Errorf("%s %s: %d %s", method, what, code, body)
		}
		return
	}
	if testing.Verbose() {
		t.Logf("%s %.60s -> %d %s", method, what, code, p.Detail)
	}
	for _, bad := range []string{"json:", "cannot unmarshal", "invalid character", "reflect", "struct", "interface"} {
		if strings.Contains(p.Detail, bad) {
			t.Errorf("%s %s: detail has %q: %s", method, what, bad, p.Detail)
		}
	}
}
