package custom

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

// runJQ compiles src in a USD environment for vendor "acme" and runs it on
// input (JSON text).
func runJQ(t *testing.T, src, input string) (string, error) {
	t.Helper()
	env := &jqEnv{vendor: "acme", currency: "USD", integration: "int-1", settings: map[string]any{"location_id": "LOC-1"}}
	p, err := env.compile("test", src)
	if err != nil {
		t.Fatalf("compile %s: %v", src, err)
	}
	in, err := decodeJSON([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.all(context.Background(), env, in, runVars{cursor: "C", next: "N", now: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		return "", err
	}
	var parts []string
	for _, v := range out {
		parts = append(parts, string(fromJQ(v)))
	}
	return strings.Join(parts, " "), nil
}

func TestHelperFunctions(t *testing.T) {
	for _, c := range []struct {
		src, input, want, err string
	}{
		// minor: exact conversion to minor units.
		{src: `minor("4.50"; "USD")`, want: `450`},
		{src: `minor("4.5")`, want: `450`}, // default currency USD
		{src: `minor(.p)`, input: `{"p": 4.5}`, want: `450`},
		{src: `minor(.p)`, input: `{"p": 0.1}`, want: `10`}, // json.Number: no float error
		{src: `minor(.p)`, input: `{"p": 19.99}`, want: `1999`},
		{src: `minor(.p) * 3`, input: `{"p": 0.1}`, want: `30`},
		{src: `minor(.p * 3)`, input: `{"p": 0.1}`, err: `0.30000000000000004 has more than 2 decimals`}, // jq float arithmetic
		{src: `minor("1200"; "JPY")`, want: `1200`},
		{src: `minor("1.234"; "BHD")`, want: `1234`},
		{src: `minor("-2.00")`, want: `-200`},
		{src: `minor("1e2")`, want: `10000`},
		{src: `minor(92233720368547758)`, want: `9223372036854775800`},
		{src: `minor("4.505")`, err: `minor: 4.505 has more than 2 decimals for USD`},
		{src: `minor("4.5"; "JPY")`, err: `has more than 0 decimals for JPY`},
		{src: `minor("92233720368547758.08")`, err: `out of range`},
		{src: `minor(null)`, err: `minor: want a number or a decimal string, got null`},
		{src: `minor("abc")`, err: `"abc" is not a decimal number`},
		{src: `minor("1e50")`, err: `out of range`},
		{src: `minor("1e999999999")`, err: `not a decimal number`},
		{src: `minor("4.50"; "usd")`, err: `currency must be an ISO 4217 code`},
		{src: `"7.25" | minor`, want: `725`},
		// minor_round: half away from zero.
		{src: `minor_round("4.505")`, want: `451`},
		{src: `minor_round("-4.505")`, want: `-451`},
		{src: `minor_round("4.504")`, want: `450`},
		{src: `minor_round(2.675)`, want: `268`}, // the decimal 2.675, not the float below it
		// money: a Money object.
		{src: `money("4.50")`, want: `{"amount":450,"currency":"USD"}`},
		{src: `money(.a; .c)`, input: `{"a":"12.5","c":"EUR"}`, want: `{"amount":1250,"currency":"EUR"}`},
		// major and major_number: back to decimals.
		{src: `major({amount: 450, currency: "USD"})`, want: `"4.50"`},
		{src: `major(5; "USD")`, want: `"0.05"`},
		{src: `major(1200; "JPY")`, want: `"1200"`},
		{src: `major(-450)`, want: `"-4.50"`},
		{src: `major_number({amount: 1999, currency: "USD"})`, want: `19.99`},
		{src: `major(4.5)`, err: `not a whole number of minor units`},
		// qty: exact quantities, optional scale.
		{src: `qty("2")`, want: `2`},
		{src: `qty("1.250")`, want: `1.25`},
		{src: `qty(1500; 1000)`, want: `1.5`},
		{src: `qty("0.0005")`, err: `qty: 0.0005 has more than 3 decimals`},
		{src: `qty(1; 3)`, err: `qty: 1 / 3 is not exact`},
		{src: `qty(1; 0)`, err: `division by zero`},
		// decimal: canonical strings.
		{src: `decimal(8.875)`, want: `"8.875"`},
		{src: `decimal("08.8750")`, want: `"8.875"`},
		{src: `decimal(true)`, err: `decimal: want a number or a decimal string, got boolean`},
		// aura_id: the adapter's derived ids.
		{src: `aura_id("ord_"; "A-1001")`, want: `"ord_` + mustDerived("acme", "A-1001") + `"`},
		{src: `aura_id("ord_"; 1001)`, want: `"ord_` + mustDerived("acme", "1001") + `"`},
		{src: `aura_id("ord_"; "")`, err: `external id is empty`},
		// rfc3339: times.
		{src: `rfc3339("2026-11-02T07:00:00-05:00")`, want: `"2026-11-02T12:00:00Z"`},
		{src: `rfc3339(1793620800)`, want: `"2026-11-02T12:00:00Z"`},
		{src: `rfc3339(1793620800123; "unix_ms")`, want: `"2026-11-02T12:00:00.123Z"`},
		{src: `rfc3339("02/11/2026 12:00"; "02/01/2006 15:04")`, want: `"2026-11-02T12:00:00Z"`},
		{src: `rfc3339("yesterday")`, err: `does not match layout`},
		{src: `rfc3339(1; "2006")`, err: `needs layout "unix" or "unix_ms"`},
		// Variables.
		{src: `[$cursor, $next, $now, $currency, $settings.location_id, $integration, $vendor]`,
			want: `["C","N","2026-11-02T12:00:00Z","USD","LOC-1","int-1","acme"]`},
		// Streams.
		{src: `.[] | minor`, input: `["1", "2.5"]`, want: `100 250`},
	} {
		got, err := runJQ(t, c.src, orDefault(c.input, "null"))
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: err %v, want %q", c.src, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.src, err)
		case c.err == "" && got != c.want:
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
	}
}

func mustDerived(vendor, id string) string {
	return strings.TrimPrefix(derived(vendor, id), "ord_")
}

func TestCompileErrorsNameTheField(t *testing.T) {
	env := &jqEnv{vendor: "acme", currency: "USD"}
	for src, want := range map[string]string{
		"{a: 1,\n  b: }":   "pull_orders.map: jq syntax error at line 2 column 6",
		"minorr(.x)":       "pull_orders.map: jq: function not defined: minorr/1",
		"$nope":            "variable not defined: $nope",
		`import "x" as x;`: "pull_orders.map",
		"input":            "pull_orders.map",
	} {
		_, err := env.compile("pull_orders.map", src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", src, err, want)
		}
	}
}

func TestProgramLimits(t *testing.T) {
	env := &jqEnv{vendor: "acme", currency: "USD"}
	p, err := env.compile("test", "range(200000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.all(context.Background(), env, nil, runVars{}); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("err %v, want a limit on outputs", err)
	}
	p, _ = env.compile("test", "1, 2")
	if _, err := p.one(context.Background(), env, nil, runVars{}); err == nil || !strings.Contains(err.Error(), "emitted 2 values") {
		t.Errorf("one: %v", err)
	}
	p, _ = env.compile("test", `{"$__loc__": 1} | env | length`)
	if out, err := p.one(context.Background(), env, nil, runVars{}); err != nil || string(fromJQ(out)) != "0" {
		t.Errorf("env is visible to manifests: %v %v", string(fromJQ(out)), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _ = env.compile("test", "repeat(1)")
	if _, err := p.all(ctx, env, nil, runVars{}); err == nil {
		t.Error("a canceled run went on")
	}
}

func TestDecodeJSONKeepsDecimals(t *testing.T) {
	v, err := decodeJSON([]byte(`{"a": 0.1, "b": 12345678901234567890}`))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if m["a"] != json.Number("0.1") || m["b"] != json.Number("12345678901234567890") {
		t.Errorf("decoded %#v", m)
	}
	if _, err := decodeJSON([]byte(`{} {}`)); err == nil {
		t.Error("trailing data accepted")
	}
}

func derived(vendor, id string) string {
	return model.Source{Vendor: vendor, ExternalID: id}.DerivedID("ord_")
}
