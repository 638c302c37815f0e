package custom_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
)

// minimal is the smallest useful manifest.
const minimal = `vendor: tiny
requester:
  base_url: https://tiny.example
  auth: {type: bearer}
pull_orders:
  request: {path: /orders}
  records: .orders
  map: '{source: {external_id: .id}}'
`

func baseCfg(manifest string) pos.Config {
	return pos.Config{
		IntegrationID: "int-1",
		Credentials: map[string]string{"access_token": "t", "client_id": "c", "client_secret": "s",
			"webhook_secret": "w", "api_key": "k", "username": "u"},
		Settings: map[string]string{"manifest_yaml": manifest, "location_id": "LOC-1"},
	}
}

func TestManifestValidation(t *testing.T) {
	acme, err := os.ReadFile(filepath.Join("testdata", "acme.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub := func(old, new string) func(string) string {
		return func(m string) string {
			if !strings.Contains(m, old) {
				t.Fatalf("manifest has no %q", old)
			}
			return strings.Replace(m, old, new, 1)
		}
	}
	for _, c := range []struct {
		name   string
		base   string              // manifest to start from (default acme)
		edit   func(string) string // manifest edit
		cfg    func(*pos.Config)   // config edit
		errors []string            // all must appear; none means valid
	}{
		{name: "acme is valid"},
		{name: "minimal is valid", base: minimal},
		{name: "unknown field", edit: sub("records: .data.orders", "record: .data.orders"),
			errors: []string{"field record not found"}},
		{name: "typo at top level", base: minimal + "pull_order: {}\n", errors: []string{"line 9: field pull_order not found"}},
		{name: "empty document", base: "# nothing\n", errors: []string{"empty document"}},
		{name: "two documents", base: minimal + "---\nvendor: x\n", errors: []string{"more than one YAML document"}},
		{name: "wrong yaml type", base: "vendor: [a]\n", errors: []string{"cannot unmarshal"}},
		{name: "vendor", edit: sub("vendor: acme", "vendor: Acme POS"), errors: []string{`vendor: must be 1-40 lowercase`}},
		{name: "currency", edit: sub("currency: USD", "currency: usd"), errors: []string{`currency: unknown currency "usd"`}},
		{name: "base_url", edit: sub("base_url: https://api.acme-pos.example", "base_url: ftp://x"),
			cfg: func(c *pos.Config) { delete(c.Settings, "base_url") }, errors: []string{"requester.base_url: must be an http(s) URL"}},
		{name: "timeout", edit: sub("timeout: 20s", "timeout: soon"), errors: []string{`requester.timeout: must be a non-negative duration`}},
		{name: "auth type", edit: sub("type: oauth2_client_credentials", "type: magic"), errors: []string{`requester.auth.type: must be none, bearer`}},
		{name: "auth field of another type", edit: sub("scopes: [orders.read, items.write]", "scopes: [x]\n    header: X-Key"),
			errors: []string{"requester.auth.header: is not used by auth type oauth2_client_credentials"}},
		{name: "oauth2 needs token_url", edit: sub("token_url: /oauth/token", ""), errors: []string{"requester.auth.token_url: is required"}},
		{name: "oauth2 client_auth", edit: sub("token_url: /oauth/token", "token_url: /oauth/token\n    client_auth: jwt"),
			errors: []string{"requester.auth.client_auth: must be basic or body"}},
		{name: "missing credentials", cfg: func(c *pos.Config) { delete(c.Credentials, "client_secret"); delete(c.Credentials, "webhook_secret") },
			errors: []string{"requester.auth.client_secret: needs credentials.client_secret", "webhook.signature.secret: needs credentials.webhook_secret"}},
		{name: "bearer credential name", base: strings.Replace(minimal, "{type: bearer}", "{type: bearer, token: pat}", 1),
			errors: []string{"requester.auth.token: needs credentials.pat"}},
		{name: "header template", edit: sub(`Acme-Version: "2026-10-01"`, `Acme-Version: "{{.settings.api_version}}"`),
			errors: []string{`requester.headers.Acme-Version`, `map has no entry for key "api_version"`}},
		{name: "error program", edit: sub("code: .error.code? // .error", "code: .error.code |"), errors: []string{"requester.error.code: jq syntax error"}},
		{name: "missing setting in path", cfg: func(c *pos.Config) { delete(c.Settings, "location_id") },
			errors: []string{`pull_orders.request.path`, `map has no entry for key "location_id"`, "test_connection.path", "push_item.request.path"}},
		{name: "path template syntax", edit: sub("path: /v1/orders/{{.id | pathescape}}", "path: /v1/orders/{{.id"),
			errors: []string{"fetch_order.request.path"}},
		{name: "path must start with /", base: strings.Replace(minimal, "path: /orders", "path: orders", 1),
			errors: []string{`pull_orders.request.path: must start with / (got "orders")`}},
		{name: "method", base: strings.Replace(minimal, "{path: /orders}", "{method: FETCH, path: /orders}", 1),
			errors: []string{`pull_orders.request.method: must be GET, POST, PUT, PATCH or DELETE`}},
		{name: "query template", edit: sub(`page_token: "{{.next}}"`, `page_token: "{{.nxt}}"`),
			errors: []string{`pull_orders.request.query.page_token`, `map has no entry for key "nxt"`}},
		{name: "body program", base: strings.Replace(minimal, "{path: /orders}", "{method: POST, path: /orders, body: '{since: .cursor'}", 1),
			errors: []string{"pull_orders.request.body: jq syntax error"}},
		{name: "no pull_orders", base: "vendor: x\nrequester: {base_url: https://x.example}\n", errors: []string{"pull_orders: is required"}},
		{name: "records required", base: strings.Replace(minimal, "records: .orders", "", 1), errors: []string{"pull_orders.records: is required"}},
		{name: "map required", base: strings.Replace(minimal, "map: '{source: {external_id: .id}}'", "", 1), errors: []string{"pull_orders.map: is required"}},
		{name: "unknown jq function", edit: sub("quantity: qty(.quantity),", "quantity: quantity(.quantity),"),
			errors: []string{"pull_orders.map: jq: function not defined: quantity/1"}},
		{name: "map syntax with position", edit: sub("reference: .number,", "reference: .number,,"),
			errors: []string{"pull_orders.map: jq syntax error at line 10 column 24"}}, // within the program text
		{name: "cursor type", edit: sub("cursor_field: .updated_at", "cursor_field: .updated_at\n  cursor_type: date"),
			errors: []string{`pull_orders.cursor_type: must be rfc3339, unix, unix_ms or integer`}},
		{name: "lookback", edit: sub("lookback: 10m", "lookback: ten minutes"), errors: []string{"pull_orders.lookback: must be a non-negative duration"}},
		{name: "integer lookback", edit: sub("lookback: 10m\n  start: 24h", "cursor_type: integer\n  lookback: 10m"),
			errors: []string{"pull_orders.lookback: must be a non-negative integer"}},
		{name: "lookback needs cursor_field", edit: sub("  cursor_field: .updated_at\n", ""), errors: []string{"pull_orders.lookback: needs cursor_field"}},
		{name: "cursor_format only for rfc3339", edit: sub("lookback: 10m\n  start: 24h", "cursor_type: unix\n  cursor_format: '2006'"),
			errors: []string{"pull_orders.cursor_format: applies to rfc3339 cursors only"}},
		{name: "payments only on orders", base: minimal + "pull_payments:\n  request: {path: /p}\n  records: .p\n  map: .\n  payments: .x\n",
			errors: []string{"pull_payments.payments: is only for pull_orders"}},
		{name: "push per", edit: sub("per: variation", "per: modifier"), errors: []string{`push_item.per: must be variation or item`}},
		{name: "push statuses", edit: sub("success: [200, 201]", "success: [200, 201, 429, 1000]"),
			errors: []string{"push_item.success: 1000 is not an HTTP status", "push_item.retryable: 429 is also listed in success"}},
		{name: "push body", edit: sub("price: major(.variation.price),", "price: major(.variation.price;;),"),
			errors: []string{"push_item.request.body: jq syntax error"}},
		{name: "push path uses a missing key", edit: sub("items/{{.external_id | pathescape}}", "items/{{.sku}}"),
			errors: []string{`push_item.request.path`, `map has no entry for key "sku"`}},
		{name: "webhook alg and encoding", edit: sub("alg: hmac-sha256\n    encoding: hex", "alg: rsa\n    encoding: base32"),
			errors: []string{`webhook.signature.alg: must be hmac-sha256`, `webhook.signature.encoding: must be hex or base64`}},
		{name: "webhook header", edit: sub("header: X-Acme-Signature", "header: \"\""), errors: []string{"webhook.signature.header: is required"}},
		{name: "webhook signed template", edit: sub(`signed: '{{.header.Get "X-Acme-Timestamp"}}.{{.body}}'`, `signed: '{{.headers}}'`),
			errors: []string{"webhook.signature.signed", `map has no entry for key "headers"`}},
		{name: "webhook tolerance needs timestamp", edit: sub(`timestamp: '{{.header.Get "X-Acme-Timestamp"}}'`, ""),
			errors: []string{"webhook.signature.tolerance: needs timestamp"}},
		{name: "webhook program", edit: sub("event_id: .id", "event_id: .id |"), errors: []string{"webhook.event_id: jq syntax error"}},
		{name: "several problems at once", edit: func(m string) string {
			return sub("vendor: acme", "vendor: ACME")(sub("lookback: 10m", "lookback: x")(m))
		}, errors: []string{"vendor:", "pull_orders.lookback:"}},
		{name: "no manifest", cfg: func(c *pos.Config) { delete(c.Settings, "manifest_yaml") },
			errors: []string{"settings.manifest (a file) or settings.manifest_yaml is required"}},
		{name: "both manifests", cfg: func(c *pos.Config) { c.Settings["manifest"] = "x.yaml" }, errors: []string{"not both"}},
		{name: "manifest file missing", cfg: func(c *pos.Config) {
			delete(c.Settings, "manifest_yaml")
			c.Settings["manifest"] = filepath.Join(t.TempDir(), "nope.yaml")
		}, errors: []string{"settings.manifest: open", "no such file"}},
		{name: "too big", base: minimal + "# " + strings.Repeat("x", custom.MaxManifestBytes) + "\n", errors: []string{"is more than"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := string(acme)
			if c.base != "" {
				m = c.base
			}
			if c.edit != nil {
				m = c.edit(m)
			}
			cfg := baseCfg(m)
			cfg.Settings["base_url"] = "http://127.0.0.1:1"
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			_, err := custom.New(cfg)
			if len(c.errors) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New succeeded, want errors %q", c.errors)
			}
			if !errors.Is(err, custom.ErrManifest) {
				t.Errorf("error does not wrap ErrManifest: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "custom integration int-1: ") {
				t.Errorf("error does not name the integration: %v", err)
			}
			for _, want := range c.errors {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\nmisses %q", err, want)
				}
			}
		})
	}
}

func TestManifestFromFile(t *testing.T) {
	cfg := baseCfg("")
	delete(cfg.Settings, "manifest_yaml")
	cfg.Settings["manifest"] = filepath.Join("testdata", "acme.yaml")
	a, err := custom.NewAdapter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.TestConnection(ctx(t)); err == nil {
		t.Error("TestConnection against the default base URL of a fictitious vendor succeeded")
	}
	// settings.base_url overrides the manifest's; without it the manifest's is used.
	if _, err := custom.New(cfg); err != nil {
		t.Fatal(err)
	}
}

func TestSampleConfig(t *testing.T) {
	var s struct {
		Vendor      string            `yaml:"vendor"`
		Credentials map[string]string `yaml:"credentials"`
		Settings    map[string]string `yaml:"settings"`
	}
	dec := yaml.NewDecoder(strings.NewReader(custom.SampleConfig()))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	d, err := pos.Lookup(s.Vendor)
	if err != nil {
		t.Fatal(err)
	}
	if missing := d.CheckConfig(s.Credentials, s.Settings); len(missing) > 0 {
		t.Errorf("sample misses %v", missing)
	}
	if _, err := pos.Open(s.Vendor, pos.Config{IntegrationID: "sample", Credentials: s.Credentials, Settings: s.Settings}); err != nil {
		t.Errorf("sample does not build an adapter: %v", err)
	}
	acme, err := os.ReadFile(filepath.Join("testdata", "acme.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Settings["manifest_yaml"] != string(acme) {
		t.Error("sample.yaml's inline manifest differs from testdata/acme.yaml; copy it over (indented by 4)")
	}
}
