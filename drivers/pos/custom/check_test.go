package custom_test

import (
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/custom"
)

func TestCheckShippedManifests(t *testing.T) {
	for name, want := range map[string]struct{ creds, settings string }{
		"loyverse.yaml": {"access_token webhook_secret", "cash_payment_type_id page_size payment_type_id store_id"},
		"sumup.yaml":    {"client_id client_secret", "merchant_code page_size"},
		"odoo-pos.yaml": {"api_key", "config_id database page_size uid"},
	} {
		rep := custom.Check([]byte(shipped(t, name)), nil)
		if len(rep.Problems) > 0 {
			t.Errorf("%s: %v", name, rep.Problems)
		}
		if got := strings.Join(rep.Credentials, " "); got != want.creds {
			t.Errorf("%s: credentials %q, want %q", name, got, want.creds)
		}
		if got := strings.Join(rep.Settings, " "); got != want.settings {
			t.Errorf("%s: settings %q, want %q", name, got, want.settings)
		}
	}
}

func TestCheckBrokenManifest(t *testing.T) {
	src := shipped(t, "loyverse.yaml")
	for _, tc := range []struct {
		name, old, new string
		line, col      int
		want, hint     string
	}{
		{"misspelt key", "  records: .receipts", "  recrods: .receipts", 36, 3, `unknown key "recrods" in pull_orders`, `did you mean "records"?`},
		{"list for a mapping", "  auth:\n    type: bearer\n    token: access_token", "  auth: [bearer]", 14, 9, "requester.auth must be a mapping", "indent"},
		{"jq syntax", "quantity: qty(.quantity),", "quantity: qty(.quantity)),", 50, 33, "pull_orders.map: jq syntax error", "jq"},
		{"template", `      store_id: "{{.settings.store_id}}"`, `      store_id: "{{.settings.store_id}"`, 33, 0, "pull_orders.request.query.store_id: template", ""},
		{"unknown function", "quantity: qty(.quantity),", "quantity: quantity(.quantity),", 42, 8, "function not defined", "minor, money"},
		{"order_create misspelt", "order_create:", "order_creat:", 134, 1, `unknown key "order_creat"`, `did you mean "order_create"?`},
		{"lookup key misspelt", "    id: first(", "    idd: first(", 168, 5, `unknown key "idd" in order_create.lookup`, `did you mean "id"?`},
		{"lookup without id", "    id: first(.receipts[]", "    payment_id: first(.receipts[]", 161, 0, "order_create.lookup.id: is required", ""},
		{"order_create jq", "  id: .receipt_number", "  id: .receipt_number)", 159, 0, "order_create.id: jq syntax error", "jq"},
		{"both create and unsupported", "refund_unsupported: >-", "order_create_unsupported: >-", 178, 0, "order_create_unsupported: cannot be set together with order_create", ""},
		{"missing pull_orders", "pull_orders:", "pull_ordres:", 27, 1, `unknown key "pull_ordres"`, `did you mean "pull_orders"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(src, tc.old) {
				t.Fatalf("manifest has no %q", tc.old)
			}
			rep := custom.Check([]byte(strings.Replace(src, tc.old, tc.new, 1)), nil)
			if len(rep.Problems) == 0 {
				t.Fatal("no problem found")
			}
			p := rep.Problems[0]
			if !strings.Contains(p.String(), tc.want) || !strings.Contains(p.Hint, tc.hint) || p.Line != tc.line || (tc.col != 0 && p.Col != tc.col) {
				t.Errorf("got %d:%d: %s\nwant %d:%d: %s (hint containing %q)", p.Line, p.Col, p, tc.line, tc.col, tc.want, tc.hint)
			}
		})
	}
	if rep := custom.Check([]byte("vendor: x\n  bad: [\n"), nil); len(rep.Problems) != 1 || rep.Problems[0].Line == 0 {
		t.Errorf("bad YAML: %+v", rep.Problems)
	}
	if rep := custom.Check(nil, nil); len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Message, "empty") {
		t.Errorf("empty: %+v", rep.Problems)
	}
}
