package parse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadRulesErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"bad yaml", "lines: [\n  - match: x\n", "r.yaml:1:1: the file is not valid YAML: did not find expected node content"},
		{"unknown setting", "currency: EUR\ncolour: red\n", `r.yaml:2:1: unknown setting "colour"`},
		{"bad currency", "currency: euro\n", `r.yaml:1:11: currency "euro" is not an ISO 4217 code`},
		{"bad regex", "lines:\n  - match: 'TOTAL (?P<amount>{money}'\n    as: total\n", "r.yaml:2:12: the pattern \"TOTAL (?P<amount>{money}\" is not a valid regular expression: missing closing )"},
		{"unknown template field", "lines:\n  - template: \"{qty} {nme} {amount}\"\n    as: item\n", "r.yaml:2:22: unknown field {nme} in the template"},
		{"unclosed template field", "lines:\n  - template: {qty\n", "r.yaml:1:1: the file is not valid YAML"},
		{"template brace", "lines:\n  - template: \"{qty x {amount}\"\n    as: item\n", "r.yaml:2:16: the template has a { without a closing }"},
		{"unknown line kind", "lines:\n  - match: 'x (?P<amount>{money})'\n    as: totl\n", `r.yaml:3:9: unknown line kind "totl"`},
		{"no amount", "lines:\n  - match: '^TOTAL'\n    as: total\n", "r.yaml:3:9: a total line needs an amount"},
		{"both match and template", "lines:\n  - match: a\n    template: b\n    as: skip\n", "r.yaml:2:5: a lines entry has either match: or template:, not both"},
		{"bad method", "lines:\n  - match: '(?P<amount>{money})'\n    as: tender\n    method: bitcoin\n", `r.yaml:4:13: unknown payment method "bitcoin"`},
		{"bad kind", "kinds:\n  - match: COPY\n    kind: dupe\n", `r.yaml:3:11: unknown kind "dupe"`},
		{"bad date field", "date: DD.MM.YYYY QQ\n", `r.yaml:1:18: unknown date field "Q"`},
		{"bad decimal", "money:\n  decimal: ';'\n", `r.yaml:2:12: money decimal must be`},
		{"same separators", "money:\n  decimal: ','\n  thousands: ','\n", "r.yaml:2:3: money decimal and thousands separators must differ"},
		{"lines not a list", "lines: total\n", "r.yaml:1:8: lines must be a list"},
		{"empty", "", "r.yaml:1:1: the rules file is empty"},
		{"journal empty", "journal: {}\n", "r.yaml:1:10: journal needs start:, end: or both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules([]byte(tt.yaml), "r.yaml")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant prefix %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "parse.") || strings.Contains(err.Error(), "yaml.Node") {
				t.Errorf("error names Go types: %v", err)
			}
		})
	}
}

func TestLoadRulesFile(t *testing.T) {
	if _, err := LoadRules(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: %v", err)
	}
	p := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(p, []byte("lines:\n  - as: item\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadRules(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+":2:5: a lines entry needs match:") {
		t.Fatalf("error = %v", err)
	}
}

// TestRulesFitAStore: the example rules file reads the layout the
// built-in parser cannot.
func TestRulesFitAStore(t *testing.T) {
	var c corpusCase
	for _, x := range corpus {
		if x.rules != "" {
			c = x
		}
	}
	raw := c.build()
	builtin := Parse(raw, Options{Currency: "EUR", Location: time.UTC})
	if builtin.Kind != KindUnparsed || len(builtin.Problems) == 0 {
		t.Fatalf("built-in parse of %s = %s %v; the example is meant to need its rules file", c.name, builtin.Kind, builtin.Problems)
	}
	withRules := Parse(raw, corpusOptions(t, c))
	if withRules.Kind != KindSale || withRules.Total.Amount != 4870 {
		t.Fatalf("with rules: %s %v %v", withRules.Kind, withRules.Total, withRules.Problems)
	}
}

func TestRulesTemplatesAndDates(t *testing.T) {
	const file = `
currency: EUR
builtin: false
money: {decimal: ",", thousands: "."}
date: "DD.MM.YY HH:mm"
number: 'Beleg (?P<number>\d+)'
kinds:
  - match: '^\*\* STORNO'
    kind: void
skip:
  - '^Tisch'
lines:
  - template: "SALDO {amount}"
    as: total
  - template: "{name} {qty}x{unit} {amount}"
    as: item
  - template: "{name} {amount}"
    as: item
    section: before_total
  - template: "BAR {amount}"
    as: tender
    section: after_total
  - template: "MWST {percent}% {amount}"
    as: tax
    included: true
  - template: "ZURUECK {amount}"
    as: change
journal:
  start: '^Beleg \d+'
  end: '^=+$'
`
	r, err := ParseRules([]byte(file), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := "Beleg 77   03.12.26 14:05\nTisch 4  1.234,00\nPils 3x3,50 10,50\nSchnitzel 1.214,00\nSALDO 1.224,50\nBAR 1.300,00\nZURUECK 75,50\nMWST 19% 195,51\n"
	got := ParseText(text, Options{Rules: r, Location: time.UTC})
	if got.Kind != KindSale || got.Total.Amount != 122450 || got.Number != "77" || got.Change.Amount != 7550 {
		t.Fatalf("got %s total %v number %q change %v problems %v", got.Kind, got.Total, got.Number, got.Change, got.Problems)
	}
	if want := time.Date(2026, 12, 3, 14, 5, 0, 0, time.UTC); !got.PrintedAt.Equal(want) {
		t.Errorf("printed at %v, want %v", got.PrintedAt, want)
	}
	li := got.Order.LineItems
	if len(li) != 2 || li[0].Name != "Pils" || li[0].Quantity != 3000 || li[0].UnitPrice.Amount != 350 || li[1].UnitPrice.Amount != 121400 {
		t.Errorf("line items %+v", li)
	}
	if !got.Order.Taxes[0].Inclusive || got.Order.Taxes[0].Percentage != "19" {
		t.Errorf("taxes %+v", got.Order.Taxes)
	}
	r2, err := ParseRules([]byte("date: 'DD.MM.YYYY [um] HH:mm [Uhr]'\n"), "d.yaml")
	if err != nil {
		t.Fatal(err)
	}
	at := ParseText("Bon vom 03.12.2026 um 14:05 Uhr\nTee 2,00\nSUMME 2,00\n", Options{Rules: r2, Currency: "EUR", Location: time.UTC})
	if want := time.Date(2026, 12, 3, 14, 5, 0, 0, time.UTC); !at.PrintedAt.Equal(want) {
		t.Errorf("date with literal text: %v", at.PrintedAt)
	}
	void := ParseText("** STORNO **\n"+text, Options{Rules: r, Location: time.UTC})
	if void.Kind != KindVoid || void.Order.State != "canceled" {
		t.Errorf("void: %s", void.Kind)
	}
	// builtin: false: a layout the rules do not describe stays unparsed
	other := ParseText("Coffee 3.00\nTOTAL 3.00\nCash 3.00\n", Options{Rules: r})
	if other.Kind != KindUnparsed {
		t.Errorf("builtin: false still parsed %q as %s", "TOTAL", other.Kind)
	}
}
