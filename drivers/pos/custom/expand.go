package custom

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
)

// expand is a compiled ExpandSpec.
type expand struct {
	field   string
	into    string
	req     request
	records *program
	key     *program
	match   *program
}

var fieldNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// maxExpandKeys bounds the keys one expand request carries.
const maxExpandKeys = 1000

func (a *Adapter) buildExpand(ps *problems, stream string, i int, e *ExpandSpec) *expand {
	field := fmt.Sprintf("%s.expand[%d]", stream, i)
	x := &expand{field: field, into: e.Into}
	if !fieldNameRe.MatchString(e.Into) {
		ps.add(field+".into", "must be a field name such as lines (got %q)", e.Into)
	}
	x.req = *a.buildRequest(ps, field+".request", &e.Request, a.sampleData(map[string]any{"keys": []string{"sample"}}))
	x.records = a.required(ps, field+".records", e.Records)
	x.key = a.compile(ps, field+".key", orDefault(e.Key, ".id"))
	x.match = a.required(ps, field+".match", e.Match)
	return x
}

// expandRecords runs each expansion of s once for recs (a page) and adds
// the related records to every record that is an object.
func (a *Adapter) expandRecords(ctx context.Context, xs []*expand, recs []any, now time.Time, vars runVars, op string) error {
	for _, x := range xs {
		keyOf := make([]string, len(recs))
		var keys []string
		seen := map[string]bool{}
		for i, rec := range recs {
			if _, ok := rec.(map[string]any); !ok {
				continue
			}
			v, err := x.key.one(ctx, a.env, rec, vars)
			if err == nil {
				keyOf[i], err = scalarString(x.field+".key", v)
			}
			if err != nil {
				return &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid, Message: x.field + ".key", Err: err}
			}
			if k := keyOf[i]; k != "" && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if len(keys) > maxExpandKeys {
			return &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid,
				Message: fmt.Sprintf("%s: a page has %d records; at most %d can be expanded (lower the page size)", x.field, len(keys), maxExpandKeys)}
		}
		groups := map[string][]any{}
		if len(keys) > 0 {
			data := a.data(now, map[string]any{"cursor": vars.cursor, "next": vars.next, "keys": keys})
			_, body, err := a.call(ctx, op+" ("+x.into+")", &x.req, data, jqData(data), vars)
			if err != nil {
				return err
			}
			rel, err := records(ctx, a.env, x.records, body, vars)
			if err != nil {
				return &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid, Message: x.field + ".records", Err: err}
			}
			for _, r := range rel {
				v, err := x.match.one(ctx, a.env, r, vars)
				var k string
				if err == nil {
					k, err = scalarString(x.field+".match", v)
				}
				if err != nil {
					return &pos.VendorError{Vendor: a.m.Vendor, Op: op, Kind: pos.Invalid, Message: x.field + ".match", Err: err}
				}
				groups[k] = append(groups[k], r)
			}
		}
		for i, rec := range recs {
			m, ok := rec.(map[string]any)
			if !ok {
				continue
			}
			g := groups[keyOf[i]]
			if g == nil {
				g = []any{}
			}
			m[x.into] = g
		}
	}
	return nil
}
