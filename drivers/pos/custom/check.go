package custom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/internal/textdist"
)

// Problem is one thing wrong with a manifest, at a position of its file
// (1-based; 0 when unknown).
type Problem struct {
	Line, Col int
	Field     string // manifest field, e.g. pull_orders.map
	Message   string
	Hint      string // what to do, when there is a useful suggestion
}

func (p Problem) String() string {
	s := p.Message
	if p.Field != "" {
		s = p.Field + ": " + s
	}
	if p.Hint != "" {
		s += " (" + p.Hint + ")"
	}
	return s
}

// CheckReport is what Check found.
type CheckReport struct {
	Vendor   string
	Problems []Problem
	// Credentials are the integration credentials the manifest needs;
	// Settings the settings it reads (some may be optional, such as
	// page_size read with "or" or "//").
	Credentials []string
	Settings    []string
}

// Check validates a manifest without network I/O and without an
// integration: the YAML shape against the manifest format (unknown keys,
// wrong kinds, with positions and suggestions), then everything New
// compiles (jq programs, templates, auth, cursors). The settings given are
// used as they are; every other setting or credential the manifest needs is
// filled with a placeholder and listed in the report.
func Check(data []byte, settings map[string]string) *CheckReport {
	rep := &CheckReport{}
	if len(data) > MaxManifestBytes {
		rep.Problems = append(rep.Problems, Problem{Message: fmt.Sprintf("the file has %d bytes; a manifest may have at most %d", len(data), MaxManifestBytes)})
		return rep
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		p := Problem{Message: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: "), Hint: "check indentation and quoting near that line"}
		if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.Col = 1
		}
		if errors.Is(err, io.EOF) {
			p.Message, p.Hint = "the file is empty", "start from configs/adapters/loyverse.yaml"
		}
		rep.Problems = append(rep.Problems, p)
		return rep
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	walkShape(doc, reflect.TypeOf(Manifest{}), "", &rep.Problems)
	if len(rep.Problems) > 0 {
		return rep
	}
	m, err := ParseManifest(data)
	if err != nil {
		rep.Problems = append(rep.Problems, Problem{Message: strings.TrimPrefix(err.Error(), ErrManifest.Error()+": ")})
		return rep
	}
	rep.Vendor = m.Vendor
	lines := strings.Split(string(data), "\n")
	creds := map[string]string{}
	set := map[string]string{}
	for k, v := range settings {
		set[k] = v
	}
	given := map[string]bool{}
	for k := range settings {
		given[k] = true
	}
	for range 50 {
		cfg := pos.Config{IntegrationID: "check", Credentials: creds, Settings: set}
		_, err := build(cfg, m, "check")
		if err == nil {
			break
		}
		msgs := splitProblems(strings.TrimPrefix(err.Error(), ErrManifest.Error()+": "))
		grew := false
		var real []string
		for _, msg := range msgs {
			if c := needCredRe.FindStringSubmatch(msg); c != nil {
				if _, ok := creds[c[1]]; !ok {
					creds[c[1]], grew = "placeholder", true
				}
				continue
			}
			if s := missingKeyRe.FindStringSubmatch(msg); s != nil && !given[s[1]] {
				if _, ok := set[s[1]]; !ok {
					set[s[1]], grew = "1", true
					continue
				}
			}
			real = append(real, msg)
		}
		if !grew {
			for _, msg := range real {
				rep.Problems = append(rep.Problems, locate(doc, lines, msg))
			}
			break
		}
	}
	for k := range creds {
		rep.Credentials = append(rep.Credentials, k)
	}
	for _, m := range settingRe.FindAllStringSubmatch(string(data), -1) {
		set[m[1]+m[2]+m[3]] = ""
	}
	for k := range set {
		if !given[k] {
			rep.Settings = append(rep.Settings, k)
		}
	}
	sort.Strings(rep.Credentials)
	sort.Strings(rep.Settings)
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Line < rep.Problems[j].Line })
	return rep
}

var (
	yamlLineRe   = regexp.MustCompile(`line (\d+)`)
	needCredRe   = regexp.MustCompile(`needs credentials\.([^,\s]+), which`)
	missingKeyRe = regexp.MustCompile(`map has no entry for key "([^"]+)"`)
	templateRe   = regexp.MustCompile(`^template: ([^:]+):(\d+)(?::(\d+))?: (.*)$`)
	jqPosRe      = regexp.MustCompile(`^([^:]+): jq syntax error at line (\d+) column (\d+): (.*)$`)
	fieldRe      = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.\[\]-]*): (.*)$`)
	settingRe    = regexp.MustCompile(`\$settings\.([A-Za-z_]\w*)|\.settings\.([A-Za-z_]\w*)|index \.settings "([A-Za-z_]\w*)"`)
	digitsRe     = regexp.MustCompile(`\d+`)
	segmentRe    = regexp.MustCompile(`^([^\[]+)((?:\[\d+\])*)$`)
)

// splitProblems splits build's "; "-joined problems (a jq message may
// itself contain "; ", so only splits before a manifest field name).
func splitProblems(s string) []string {
	parts := strings.Split(s, "; ")
	var out []string
	for _, p := range parts {
		if len(out) > 0 && !fieldRe.MatchString(p) && !strings.HasPrefix(p, "template: ") {
			out[len(out)-1] += "; " + p
			continue
		}
		out = append(out, p)
	}
	return out
}

// locate turns a build problem into a Problem at its manifest position.
func locate(doc *yaml.Node, lines []string, msg string) Problem {
	p := Problem{Message: msg}
	inLine, inCol := 0, 0
	switch {
	case templateRe.MatchString(msg):
		m := templateRe.FindStringSubmatch(msg)
		p.Field, p.Message = m[1], "template: "+m[4]
		inLine, _ = strconv.Atoi(m[2])
		inCol, _ = strconv.Atoi(m[3])
		if s := missingKeyRe.FindStringSubmatch(msg); s != nil {
			p.Hint = fmt.Sprintf("templates see .settings, .now, .cursor, .next and per request .id/.keys; %q is none of them", s[1])
		}
	case jqPosRe.MatchString(msg):
		m := jqPosRe.FindStringSubmatch(msg)
		p.Field, p.Message = m[1], "jq syntax error: "+m[4]
		inLine, _ = strconv.Atoi(m[2])
		inCol, _ = strconv.Atoi(m[3])
		p.Hint = "try the program on a saved vendor response with gojq or jq"
	case fieldRe.MatchString(msg):
		m := fieldRe.FindStringSubmatch(msg)
		p.Field, p.Message = m[1], m[2]
		if strings.HasSuffix(m[2], "is required") {
			p.Hint = "add it; drivers/pos/custom/README.md lists every field"
		}
		if strings.Contains(m[2], "jq: function not defined") {
			p.Hint = "besides the jq built-ins, manifests have minor, money, major, qty, decimal, aura_id, rfc3339, mul_qty and credential"
		}
	}
	n, exact := nodeAt(doc, p.Field)
	if n == nil {
		return p
	}
	p.Line, p.Col = n.Line, n.Column
	if exact && inLine > 0 && n.Kind == yaml.ScalarNode {
		switch n.Style {
		case yaml.LiteralStyle, yaml.FoldedStyle:
			l := n.Line + inLine
			indent := 0 // the block's indentation: its first line's
			if n.Line < len(lines) {
				indent = len(lines[n.Line]) - len(strings.TrimLeft(lines[n.Line], " "))
			}
			p.Line, p.Col = l, indent+max(inCol, 1)
		default:
			off := 0
			if n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle {
				off = 1
			}
			p.Line = n.Line + inLine - 1
			if inLine == 1 {
				p.Col = n.Column + off + max(inCol, 1) - 1
			}
		}
	}
	return p
}

// nodeAt finds the value node of a field path such as
// pull_orders.expand[0].request.body; exact is false when only a parent
// was found (the field is missing).
func nodeAt(doc *yaml.Node, field string) (*yaml.Node, bool) {
	if field == "" {
		return nil, false
	}
	n := doc
	for _, seg := range strings.Split(field, ".") {
		m := segmentRe.FindStringSubmatch(seg)
		if m == nil {
			return n, false
		}
		next := mapValue(n, m[1])
		if next == nil {
			return n, false
		}
		n = next
		for _, idx := range digitsRe.FindAllString(m[2], -1) {
			i, _ := strconv.Atoi(idx)
			if n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return n, false
			}
			n = n.Content[i]
		}
	}
	return n, true
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// walkShape checks n against the Go type t of the manifest format: keys,
// and whether each value is a mapping, a list or a single value.
func walkShape(n *yaml.Node, t reflect.Type, path string, ps *[]Problem) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	where := path
	if where == "" {
		where = "the manifest"
	}
	bad := func(want, hint string) {
		*ps = append(*ps, Problem{Line: n.Line, Col: n.Column, Field: path, Message: fmt.Sprintf("%s must be %s, not %s", where, want, kindName(n)), Hint: hint})
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			bad("a mapping (key: value lines)", "indent its fields under it")
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := k.Value
			if path != "" {
				sub = path + "." + k.Value
			}
			if seen[k.Value] {
				*ps = append(*ps, Problem{Line: k.Line, Col: k.Column, Field: sub, Message: "is given twice", Hint: "keep one"})
			}
			seen[k.Value] = true
			ft, ok := fields[k.Value]
			if !ok {
				p := Problem{Line: k.Line, Col: k.Column, Field: sub, Message: fmt.Sprintf("unknown key %q in %s", k.Value, where)}
				if s := closest(k.Value, names); s != "" {
					p.Hint = fmt.Sprintf("did you mean %q?", s)
				} else {
					p.Hint = "allowed: " + strings.Join(names, ", ")
				}
				*ps = append(*ps, p)
				continue
			}
			walkShape(v, ft, sub, ps)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			bad("a mapping (name: value lines)", "")
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkShape(n.Content[i+1], t.Elem(), path+"."+n.Content[i].Value, ps)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			bad("a list", "write it as [a, b] or as lines starting with -")
			return
		}
		for i, c := range n.Content {
			walkShape(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), ps)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			bad("a single value", "quote it, or use | for a multi-line program")
		}
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			bad("a whole number", "")
		}
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("the value %q", truncate(n.Value, 40))
	}
}

// closest is the name within edit distance 2 of s (or with s as a
// prefix), if any.
func closest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		d := textdist.Levenshtein(s, n)
		if d < bestD || (bestD > 2 && strings.HasPrefix(n, s)) {
			best, bestD = n, d
		}
	}
	return best
}
