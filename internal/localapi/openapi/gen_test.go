package openapi_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

// gen turns Go types into JSON Schema the way encoding/json encodes them:
// named structs become components (or $defs), fields without omitempty or
// omitzero are required, nil slices and maps may be null, and objects
// allow no other properties.
type gen struct {
	prefix string // "#/components/schemas/" or "#/$defs/"
	defs   map[string]any
	names  map[reflect.Type]string
	taken  map[string]reflect.Type
	enums  map[reflect.Type][]string
	docs   map[reflect.Type]string
	// required lists what clients must send in the Aura documents (the
	// daemon fills ids and derived fields in); other types require what
	// encoding/json always writes.
	required map[reflect.Type][]string
}

func typ[T any]() reflect.Type { return reflect.TypeFor[T]() }

var modelRequired = map[reflect.Type][]string{
	typ[model.Source]():        {"vendor", "external_id"},
	typ[model.Order]():         {"source", "created_at"},
	typ[model.LineItem]():      {"name"},
	typ[model.LineModifier]():  {"name"},
	typ[model.Discount]():      {"name"},
	typ[model.AppliedTax]():    {"name"},
	typ[model.ServiceCharge](): {"name"},
	typ[model.Totals]():        {},
	typ[model.Money]():         {},
	typ[model.Payment]():       {"source", "created_at"},
	typ[model.Refund]():        {"created_at"},
	typ[model.Menu]():          {"id", "version"},
	typ[model.Category]():      {"name"},
	typ[model.Item]():          {"name"},
	typ[model.Variation]():     {"name"},
	typ[model.ModifierGroup](): {"name"},
	typ[model.Modifier]():      {"name"},
	typ[model.Tax]():           {"name"},
}

func newGen(prefix string) *gen {
	return &gen{prefix: prefix, defs: map[string]any{}, names: map[reflect.Type]string{}, taken: map[string]reflect.Type{}, required: modelRequired,
		enums: map[reflect.Type][]string{
			reflect.TypeFor[model.OrderState]():    {"open", "completed", "canceled"},
			reflect.TypeFor[model.PaymentStatus](): {"pending", "authorized", "completed", "failed", "canceled"},
			reflect.TypeFor[model.PaymentMethod](): {"card", "cash", "gift_card", "wallet", "other"},
		},
		docs: map[reflect.Type]string{
			reflect.TypeFor[model.Money]():    "An amount in minor units (cents) of an ISO 4217 currency.",
			reflect.TypeFor[model.Quantity](): "A quantity: a JSON number or a decimal string with at most three decimals, e.g. 2 or \"0.5\".",
			reflect.TypeFor[model.Order]():    "An Aura order.",
			reflect.TypeFor[model.Payment]():  "An Aura payment.",
			reflect.TypeFor[model.Menu]():     "An Aura menu.",
		}}
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
	qtyType  = reflect.TypeFor[model.Quantity]()
)

var upper = regexp.MustCompile(`^[a-z]`)

func (g *gen) name(t reflect.Type) string {
	if n, ok := g.names[t]; ok {
		return n
	}
	n := t.Name()
	if other, ok := g.taken[n]; ok && other != t {
		pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
		n = upper.ReplaceAllStringFunc(pkg, strings.ToUpper) + n
	}
	g.names[t], g.taken[n] = n, t
	return n
}

func nullable(s map[string]any) map[string]any {
	if typ, ok := s["type"].(string); ok {
		s["type"] = []any{typ, "null"}
		return s
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

// schema returns the schema of values of type t.
func (g *gen) schema(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{}
	case qtyType:
		return map[string]any{"$ref": g.prefix + g.define(t, func() map[string]any {
			return map[string]any{"description": g.docs[t], "anyOf": []any{
				map[string]any{"type": "number"},
				map[string]any{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,3})?$`},
			}}
		})}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(g.schema(t.Elem()))
	case reflect.String:
		s := map[string]any{"type": "string"}
		if e, ok := g.enums[t]; ok {
			s["enum"] = e
		}
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": []any{"array", "null"}, "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": []any{"object", "null"}, "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		return map[string]any{"$ref": g.prefix + g.define(t, func() map[string]any { return g.object(t) })}
	}
	panic("openapi: no schema for " + t.String())
}

// define adds a named schema once.
func (g *gen) define(t reflect.Type, build func() map[string]any) string {
	n := g.name(t)
	if _, ok := g.defs[n]; !ok {
		g.defs[n] = nil // recursion guard
		g.defs[n] = build()
	}
	return n
}

func (g *gen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	if r, ok := g.required[t]; ok {
		required = r
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	if d, ok := g.docs[t]; ok {
		s["description"] = d
	}
	return s
}

func (g *gen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}
