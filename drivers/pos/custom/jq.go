package custom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/itchyny/gojq"
	"github.com/shopspring/decimal"

	"github.com/auraconnect/aura-edge/internal/model"
)

// jqVariables are the variables every manifest program may use, in the
// order jqEnv.values passes them.
var jqVariables = []string{"$cursor", "$next", "$now", "$currency", "$settings", "$integration", "$vendor", "$header", "$job"}

// programTimeout bounds one run of one program (a runaway `repeat` in a
// manifest must not stall a pull forever).
const programTimeout = 5 * time.Second

// maxOutputs bounds how many values one program run may emit.
const maxOutputs = 100_000

// maxExponent bounds the decimal exponent the helpers accept, so that
// "1e999999999" cannot make them build enormous numbers.
const maxExponent = 40

// jqEnv is what an adapter's programs see besides their input: the
// integration-level variables and the helper functions (which need the
// vendor name and default currency).
type jqEnv struct {
	vendor      string
	currency    string
	integration string
	settings    map[string]any
	// creds are the integration's credentials, for credential("name")
	// (JSON-RPC APIs that take the key inside the body).
	creds map[string]string
}

// runVars are the per-run variables.
type runVars struct {
	cursor, next string
	now          time.Time
	header       map[string]any
	job          map[string]any // order_create / refund_create: the job's keys
}

func (e *jqEnv) values(v runVars) []any {
	h := v.header
	if h == nil {
		h = map[string]any{}
	}
	now := ""
	if !v.now.IsZero() {
		now = v.now.UTC().Format(time.RFC3339)
	}
	job := v.job
	if job == nil {
		job = map[string]any{}
	}
	return []any{v.cursor, v.next, now, e.currency, e.settings, e.integration, e.vendor, h, job}
}

// program is one compiled gojq program of the manifest.
type program struct {
	field string // manifest field, for errors
	code  *gojq.Code
}

// compile parses and compiles src for the manifest field named field.
func (e *jqEnv) compile(field, src string) (*program, error) {
	q, err := gojq.Parse(src)
	if err != nil {
		var pe *gojq.ParseError
		if errors.As(err, &pe) {
			line, col := lineCol(src, pe.Offset-len(pe.Token))
			return nil, fmt.Errorf("%s: jq syntax error at line %d column %d: %w", field, line, col, err)
		}
		return nil, fmt.Errorf("%s: jq syntax error: %w", field, err)
	}
	opts := append(e.functions(), gojq.WithVariables(jqVariables))
	code, err := gojq.Compile(q, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: jq: %w", field, err)
	}
	return &program{field: field, code: code}, nil
}

// lineCol converts a byte offset in src to a 1-based line and column.
func lineCol(src string, off int) (int, int) {
	off = min(max(off, 0), len(src))
	before := src[:off]
	line := strings.Count(before, "\n") + 1
	col := off - strings.LastIndexByte(before, '\n')
	return line, col
}

// all runs p on input and returns every value it emits.
func (p *program) all(ctx context.Context, env *jqEnv, input any, v runVars) ([]any, error) {
	ctx, cancel := context.WithTimeout(ctx, programTimeout)
	defer cancel()
	iter := p.code.RunWithContext(ctx, input, env.values(v)...)
	var out []any
	for {
		x, ok := iter.Next()
		if !ok {
			return out, nil
		}
		if err, isErr := x.(error); isErr {
			var he *gojq.HaltError
			if errors.As(err, &he) && he.Value() == nil {
				return out, nil
			}
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
				return nil, fmt.Errorf("%s: program ran longer than %s", p.field, programTimeout)
			}
			return nil, fmt.Errorf("%s: %w", p.field, err)
		}
		if len(out) >= maxOutputs {
			return nil, fmt.Errorf("%s: program emitted more than %d values", p.field, maxOutputs)
		}
		out = append(out, x)
	}
}

// one runs p and returns its only value: it is an error when p emits none
// or several.
func (p *program) one(ctx context.Context, env *jqEnv, input any, v runVars) (any, error) {
	out, err := p.all(ctx, env, input, v)
	if err != nil {
		return nil, err
	}
	if len(out) != 1 {
		return nil, fmt.Errorf("%s: program emitted %d values, want exactly one", p.field, len(out))
	}
	return out[0], nil
}

// optional runs p and returns its first value, or nil when it emits none.
func (p *program) optional(ctx context.Context, env *jqEnv, input any, v runVars) (any, error) {
	out, err := p.all(ctx, env, input, v)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out[0], nil
}

// decodeJSON decodes one JSON document into the values gojq works on, with
// numbers kept as json.Number so decimals stay exact.
func decodeJSON(b []byte) (any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// toJQ converts a Go value to gojq's value space by a JSON round trip.
func toJQ(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeJSON(b)
}

// fromJQ renders a program's output as JSON.
func fromJQ(v any) []byte {
	b, _ := gojq.Marshal(v)
	return b
}

// scalarString renders a string or number output as a string; null and
// "" give "". Other values are an error.
func scalarString(field string, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number, int, float64, *big.Int:
		d, err := toDecimal("value", x)
		if err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		return d.String(), nil
	default:
		return "", fmt.Errorf("%s: want a string or number, got %s", field, typeName(v))
	}
}

// functions are the helper functions added to every program (README.md,
// "jq helper functions").
func (e *jqEnv) functions() []gojq.CompilerOption {
	return []gojq.CompilerOption{
		gojq.WithFunction("minor", 0, 2, e.fnMinor(false)),
		gojq.WithFunction("minor_round", 0, 2, e.fnMinor(true)),
		gojq.WithFunction("money", 0, 2, e.fnMoney),
		gojq.WithFunction("major", 0, 2, e.fnMajor(false)),
		gojq.WithFunction("major_number", 0, 2, e.fnMajor(true)),
		gojq.WithFunction("qty", 0, 2, fnQty),
		gojq.WithFunction("decimal", 0, 1, fnDecimal),
		gojq.WithFunction("aura_id", 2, 2, e.fnAuraID),
		gojq.WithFunction("rfc3339", 0, 2, fnRFC3339),
		gojq.WithFunction("credential", 1, 1, e.fnCredential),
		gojq.WithFunction("mul_qty", 2, 2, fnMulQty),
	}
}

// args returns the value and optional second argument of a helper called
// as f (on its input), f(x) or f(x; y).
func args(in any, xs []any) (any, any, bool) {
	switch len(xs) {
	case 0:
		return in, nil, false
	case 1:
		return xs[0], nil, false
	default:
		return xs[0], xs[1], true
	}
}

// currencyArg returns the currency code given as second argument, or the
// default currency.
func (e *jqEnv) currencyArg(fn string, c any, given bool) (string, error) {
	if !given {
		return e.currency, nil
	}
	s, ok := c.(string)
	if !ok || !model.ValidCurrency(s) {
		return "", fmt.Errorf("%s: currency must be an ISO 4217 code such as \"USD\", got %s", fn, describe(c))
	}
	return s, nil
}

// fnMinor implements minor and minor_round: a decimal amount in major
// units to int64 minor units, exactly (minor) or rounded half away from
// zero (minor_round).
func (e *jqEnv) fnMinor(round bool) func(any, []any) any {
	name := "minor"
	if round {
		name = "minor_round"
	}
	return func(in any, xs []any) any {
		x, c, given := args(in, xs)
		cur, err := e.currencyArg(name, c, given)
		if err != nil {
			return err
		}
		n, err := toMinor(name, x, cur, round)
		if err != nil {
			return err
		}
		return n
	}
}

// fnMoney returns {"amount": minor(x; cur), "currency": cur}.
func (e *jqEnv) fnMoney(in any, xs []any) any {
	x, c, given := args(in, xs)
	cur, err := e.currencyArg("money", c, given)
	if err != nil {
		return err
	}
	n, err := toMinor("money", x, cur, false)
	if err != nil {
		return err
	}
	return map[string]any{"amount": n, "currency": cur}
}

// toMinor converts x (major units) to minor units of cur.
func toMinor(fn string, x any, cur string, round bool) (int, error) {
	d, err := toDecimal(fn, x)
	if err != nil {
		return 0, err
	}
	digits := model.MinorDigits(cur)
	m := d.Shift(int32(digits))
	if round {
		m = m.Round(0)
	} else if !m.Equal(m.Truncate(0)) {
		return 0, fmt.Errorf("%s: %s has more than %d decimals for %s (use minor_round to round)", fn, d.String(), digits, cur)
	}
	bi := m.BigInt()
	if !bi.IsInt64() || bi.Int64() > math.MaxInt || bi.Int64() < math.MinInt {
		return 0, fmt.Errorf("%s: %s %s is out of range", fn, d.String(), cur)
	}
	return int(bi.Int64()), nil
}

// fnMajor implements major and major_number: minor units back to a
// decimal in major units ("4.50"), from a Money object or (amount; cur).
func (e *jqEnv) fnMajor(number bool) func(any, []any) any {
	name := "major"
	if number {
		name = "major_number"
	}
	return func(in any, xs []any) any {
		x, c, given := args(in, xs)
		cur := e.currency
		if m, ok := x.(map[string]any); ok && !given {
			x = m["amount"]
			if s, ok := m["currency"].(string); ok && s != "" {
				c, given = s, true
			}
		}
		var err error
		if cur, err = e.currencyArg(name, c, given); err != nil {
			return err
		}
		d, err := toDecimal(name, x)
		if err != nil {
			return err
		}
		if !d.Equal(d.Truncate(0)) {
			return fmt.Errorf("%s: amount %s is not a whole number of minor units", name, d.String())
		}
		digits := model.MinorDigits(cur)
		s := d.Shift(-int32(digits)).StringFixed(int32(digits))
		if number {
			return json.Number(s)
		}
		return s
	}
}

// fnQty converts a decimal to an Aura quantity (at most three decimals),
// optionally dividing it exactly by a scale first: qty(.units; 1000).
func fnQty(in any, xs []any) any {
	x, div, given := args(in, xs)
	d, err := toDecimal("qty", x)
	if err != nil {
		return err
	}
	if given {
		dv, err := toDecimal("qty", div)
		if err != nil {
			return err
		}
		if dv.IsZero() {
			return errors.New("qty: division by zero")
		}
		q := d.DivRound(dv, 6)
		if !q.Mul(dv).Equal(d) {
			return fmt.Errorf("qty: %s / %s is not exact", d.String(), dv.String())
		}
		d = q
	}
	m := d.Shift(3)
	if !m.Equal(m.Truncate(0)) {
		return fmt.Errorf("qty: %s has more than 3 decimals", d.String())
	}
	if bi := m.BigInt(); !bi.IsInt64() {
		return fmt.Errorf("qty: %s is out of range", d.String())
	}
	return json.Number(d.String())
}

// fnDecimal renders a number or decimal string canonically ("8.875").
func fnDecimal(in any, xs []any) any {
	x, _, _ := args(in, xs)
	d, err := toDecimal("decimal", x)
	if err != nil {
		return err
	}
	return d.String()
}

// fnAuraID returns the stable Aura id the adapter derives for a vendor id:
// aura_id("ord_"; .order_id) links a payment to its order.
func (e *jqEnv) fnAuraID(_ any, xs []any) any {
	prefix, ok := xs[0].(string)
	if !ok {
		return fmt.Errorf("aura_id: prefix must be a string, got %s", describe(xs[0]))
	}
	id, err := scalarString("aura_id", xs[1])
	if err != nil {
		return err
	}
	if id == "" {
		return errors.New("aura_id: external id is empty")
	}
	return model.Source{Vendor: e.vendor, ExternalID: id}.DerivedID(prefix)
}

// fnMulQty multiplies an amount in minor units by a quantity (a decimal
// with at most three decimals) and rounds half away from zero, exactly as
// Aura computes a line's gross: mul_qty(minor(.price_unit); .qty).
func fnMulQty(_ any, xs []any) any {
	d, err := toDecimal("mul_qty", xs[0])
	if err != nil {
		return err
	}
	if !d.Equal(d.Truncate(0)) || !d.BigInt().IsInt64() {
		return fmt.Errorf("mul_qty: amount %s is not a whole number of minor units", d.String())
	}
	q, err := toDecimal("mul_qty", xs[1])
	if err != nil {
		return err
	}
	m := q.Shift(3)
	if !m.Equal(m.Truncate(0)) || !m.BigInt().IsInt64() {
		return fmt.Errorf("mul_qty: quantity %s has more than 3 decimals", q.String())
	}
	n, ok := model.MulQty(d.IntPart(), model.Quantity(m.IntPart()))
	if !ok {
		return fmt.Errorf("mul_qty: %s x %s overflows", d.String(), q.String())
	}
	return int(n)
}

// fnCredential returns the integration credential named by its argument,
// for APIs that take a key inside the request body (Odoo's JSON-RPC).
func (e *jqEnv) fnCredential(_ any, xs []any) any {
	name, ok := xs[0].(string)
	if !ok {
		return fmt.Errorf("credential: name must be a string, got %s", describe(xs[0]))
	}
	v := e.creds[name]
	if v == "" {
		return fmt.Errorf("credential: the integration has no credentials.%s", name)
	}
	return v
}

// credentialRe finds credential("name") calls, so New can check the
// credentials a manifest uses are present.
var credentialRe = regexp.MustCompile(`credential\(\s*"([^"]*)"\s*\)`)

// fnRFC3339 normalises a time to an RFC 3339 string in UTC: rfc3339(x)
// reads an RFC 3339 string or Unix seconds; rfc3339(x; layout) reads
// "unix", "unix_ms" or a Go layout such as "2006-01-02 15:04:05" (UTC).
func fnRFC3339(in any, xs []any) any {
	x, l, given := args(in, xs)
	layout := ""
	if given {
		s, ok := l.(string)
		if !ok || s == "" {
			return fmt.Errorf("rfc3339: layout must be a string, got %s", describe(l))
		}
		layout = s
	}
	t, err := parseTime(x, layout)
	if err != nil {
		return fmt.Errorf("rfc3339: %w", err)
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// parseTime reads x by layout ("" = RFC 3339 string or Unix seconds).
func parseTime(x any, layout string) (time.Time, error) {
	if s, ok := x.(string); ok && layout != "unix" && layout != "unix_ms" {
		if layout == "" {
			layout = time.RFC3339Nano
		}
		t, err := time.ParseInLocation(layout, strings.TrimSpace(s), time.UTC)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q does not match layout %q", s, layout)
		}
		return t, nil
	}
	d, err := toDecimal("time", x)
	if err != nil {
		return time.Time{}, err
	}
	switch layout {
	case "", "unix":
	case "unix_ms":
		d = d.Shift(-3)
	default:
		return time.Time{}, fmt.Errorf("a number needs layout \"unix\" or \"unix_ms\", not %q", layout)
	}
	ns := d.Shift(9).Round(0)
	if bi := ns.BigInt(); !bi.IsInt64() {
		return time.Time{}, fmt.Errorf("time %s is out of range", d.String())
	}
	return time.Unix(0, ns.IntPart()), nil
}

// toDecimal reads a JSON number or a decimal string exactly.
func toDecimal(fn string, v any) (decimal.Decimal, error) {
	var d decimal.Decimal
	var err error
	switch x := v.(type) {
	case json.Number:
		d, err = parseDecimal(string(x))
	case string:
		d, err = parseDecimal(x)
	case int:
		return decimal.NewFromInt(int64(x)), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return decimal.Decimal{}, fmt.Errorf("%s: %v is not a finite number", fn, x)
		}
		// The shortest representation is what the vendor wrote.
		d, err = parseDecimal(strconv.FormatFloat(x, 'g', -1, 64))
	case *big.Int:
		if x.BitLen() > 128 {
			return decimal.Decimal{}, fmt.Errorf("%s: number is out of range", fn)
		}
		return decimal.NewFromBigInt(x, 0), nil
	default:
		return decimal.Decimal{}, fmt.Errorf("%s: want a number or a decimal string, got %s", fn, describe(v))
	}
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%s: %w", fn, err)
	}
	return d, nil
}

func parseDecimal(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return decimal.Decimal{}, fmt.Errorf("%q is not a decimal number", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%q is not a decimal number", s)
	}
	if e := d.Exponent(); e > maxExponent || e < -maxExponent {
		return decimal.Decimal{}, fmt.Errorf("%q is out of range", s)
	}
	return d, nil
}

// describe renders a value briefly for error messages.
func describe(v any) string {
	b := fromJQ(v)
	if len(b) > 40 {
		b = append(b[:40], "..."...)
	}
	return typeName(v) + " " + string(b)
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number, int, float64, *big.Int:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
