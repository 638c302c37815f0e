package config

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/auraconnect/aura-edge/internal/textdist"
)

// Pos is a location in the config file.
type Pos struct{ Line, Col int }

// Problem is one config mistake.
type Problem struct {
	File  string
	Pos   Pos
	Field string // dotted path, e.g. printers[0].connection
	Msg   string
}

func (p Problem) String() string {
	loc := p.File
	if p.Pos.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", p.File, p.Pos.Line, p.Pos.Col)
	}
	if p.Field == "" {
		return loc + ": " + p.Msg
	}
	return loc + ": " + p.Field + ": " + p.Msg
}

// Error is every problem found in a config file. Its text has one problem
// per line.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// decoder walks a YAML node tree into Go values, collecting problems and
// remembering where each field was written.
type decoder struct {
	file     string
	problems []Problem
	pos      map[string]Pos // field path -> position of its value
	budget   int            // nodes left to visit: stops alias bombs
}

// maxNodes bounds the nodes one file may expand to (aliases included).
const maxNodes = 100_000

func (d *decoder) add(n *yaml.Node, path, format string, args ...any) {
	p := Problem{File: d.file, Field: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Pos = Pos{n.Line, n.Column}
	}
	d.problems = append(d.problems, p)
}

var (
	durationType    = reflect.TypeFor[time.Duration]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

// decode fills v (addressable) from n.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if d.budget++; d.budget > maxNodes {
		if d.budget == maxNodes+1 {
			d.add(n, path, "the file expands to more than %d values (alias loop?)", maxNodes)
		}
		return
	}
	d.pos[path] = Pos{n.Line, n.Column}
	if n.Tag == "!!null" && n.Kind == yaml.ScalarNode {
		return // an empty value keeps the default
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
		return
	}
	if v.Type() != durationType && (reflect.PointerTo(v.Type()).Implements(unmarshalerType) || reflect.PointerTo(v.Type()).Implements(textType)) {
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.add(n, path, "%s", cleanYAMLError(err))
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.add(n, path, "expected a mapping, got %s", kindName(n))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			ev := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, ev, path+"."+k.Value)
			v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), ev)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.add(n, path, "expected a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	default:
		d.decodeScalar(n, v, path)
	}
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.add(n, path, "expected %s, got %s", typeName(v.Type()), kindName(n))
		return
	}
	if v.Type() == durationType {
		dur, err := time.ParseDuration(n.Value)
		if err != nil {
			d.add(n, path, "expected a duration such as 30s or 5m, got %q", n.Value)
			return
		}
		v.SetInt(int64(dur))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!bool" {
			d.add(n, path, "expected a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if err != nil || n.Tag != "!!bool" {
			d.add(n, path, "expected true or false, got %q", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, v.Type().Bits())
		if err != nil {
			d.add(n, path, "expected an integer, got %q", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, err := strconv.ParseUint(n.Value, 0, v.Type().Bits())
		if err != nil {
			d.add(n, path, "expected a non-negative integer, got %q", n.Value)
			return
		}
		v.SetUint(i)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, v.Type().Bits())
		if err != nil {
			d.add(n, path, "expected a number, got %q", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.add(n, path, "%s", cleanYAMLError(err))
		}
	}
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.add(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	fields := structFields(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		fpath := k.Value
		if path != "" {
			fpath = path + "." + k.Value
		}
		idx, ok := fields[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown field %q", k.Value)
			if s := suggest(k.Value, fields); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.add(k, fpath, "%s", msg)
			continue
		}
		d.decode(val, v.FieldByIndex(idx), fpath)
	}
}

// structFields maps yaml names to field indexes (following ",inline").
func structFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, idx := range structFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

// suggest returns the known field closest to s, if it is close enough.
func suggest(s string, fields map[string][]int) string {
	best, bestD := "", 3
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if dist := textdist.Levenshtein(strings.ToLower(s), k); dist < bestD {
			best, bestD = k, dist
		}
	}
	return best
}

// cleanYAMLError strips yaml's "yaml: unmarshal errors:\n  line N: " prefix.
func cleanYAMLError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n  ")
	s = strings.TrimPrefix(s, "yaml: ")
	if strings.HasPrefix(s, "line ") {
		if _, rest, ok := strings.Cut(s, ": "); ok {
			s = rest
		}
	}
	return s
}
