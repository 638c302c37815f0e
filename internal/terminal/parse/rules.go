package parse

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/auraconnect/aura-edge/internal/model"
)

// Rules is a parsed rules file: how one store's receipts are laid out. See
// the README section "Receipt parsing and rules files" for the format.
type Rules struct {
	Path     string // the file it was read from
	Name     string // the file's name: setting, informative
	Currency string // ISO 4217, when the file sets one
	// Builtin is whether lines that no rule matches are read by the
	// built-in parser (the file's builtin: setting, true by default).
	Builtin bool

	decimal, thousands byte
	dateSet            bool
	dateLayout         string
	dateRe             *regexp.Regexp
	monthFirst         bool
	skip               []*regexp.Regexp
	lines              []lineRule
	kinds              []kindRule
	numberRe           *regexp.Regexp
	journalStart       []*regexp.Regexp
	journalEnd         []*regexp.Regexp
}

type lineRule struct {
	re       *regexp.Regexp
	class    class
	method   model.PaymentMethod
	included bool
	section  int // 0 any, 1 before the total, 2 after it
}

type kindRule struct {
	re   *regexp.Regexp
	kind Kind
}

// moneyRe matches one printed amount inside a rules pattern ({money}).
const moneyRe = `[-−(+]?(?:[€$£]\s?)?[-−]?\d{1,3}(?:[.,' ]?\d{3})*(?:[.,]\d{1,3})?\)?-?(?:\s?[€$£])?`

var classes = map[string]class{
	"item": cItem, "quantity": cQty, "modifier": cModifier, "subtotal": cSubtotal, "net": cNet,
	"discount": cDiscount, "tax": cTax, "service": cService, "tip": cTip, "total": cTotal,
	"tender": cTender, "change": cChange, "skip": cSkip, "ignore": cNone,
}

var templateFields = map[string]string{
	"name":    `(?P<name>.+?)`,
	"qty":     `(?P<qty>\d+(?:[.,]\d{1,3})?)`,
	"unit":    `(?P<unit>` + moneyRe + `)`,
	"amount":  `(?P<amount>` + moneyRe + `)`,
	"percent": `(?P<percent>\d+(?:[.,]\d+)?)`,
	"last4":   `(?P<last4>\d{4})`,
	"text":    `.*?`,
	"money":   moneyRe,
}

// LoadRules reads and checks a rules file. Errors say FILE:LINE:COL and
// what to change.
func LoadRules(path string) (*Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rules file: %w", err)
	}
	return ParseRules(data, path)
}

// ParseRules reads a rules file's content; name is used in error messages.
func ParseRules(data []byte, name string) (*Rules, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	r := &Rules{Path: name, Builtin: true}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s:1:1: the rules file is empty: it needs at least lines: or kinds:", name)
	}
	top := doc.Content[0]
	p := &ruleParser{file: name}
	if top.Kind != yaml.MappingNode {
		return nil, p.errf(top, "the rules file must be a mapping of settings (currency:, money:, lines:, ...)")
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		var err error
		switch k.Value {
		case "name", "description":
			r.Name, err = p.str(v)
		case "currency":
			r.Currency, err = p.str(v)
			if err == nil && !model.ValidCurrency(r.Currency) {
				err = p.errf(v, "currency %q is not an ISO 4217 code such as EUR or USD", r.Currency)
			}
		case "builtin":
			err = v.Decode(&r.Builtin)
			if err != nil || v.Kind != yaml.ScalarNode {
				err = p.errf(v, "builtin must be true or false")
			}
		case "money":
			err = p.money(r, v)
		case "date":
			err = p.date(r, v)
		case "skip":
			r.skip, err = p.regexList(v)
		case "number":
			r.numberRe, err = p.regex(v)
		case "kinds":
			err = p.kinds(r, v)
		case "lines":
			err = p.lines(r, v)
		case "journal":
			err = p.journal(r, v)
		default:
			err = p.errf(k, "unknown setting %q (known: name, currency, builtin, money, date, skip, number, kinds, lines, journal)", k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

var reYAMLLine = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: (.*)`)

func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := reYAMLLine.FindStringSubmatch(msg); m != nil {
		col := m[2]
		if col == "" {
			col = "1"
		}
		return fmt.Errorf("%s:%s:%s: the file is not valid YAML: %s", name, m[1], col, m[3])
	}
	return fmt.Errorf("%s:1:1: the file is not valid YAML: %s", name, msg)
}

type ruleParser struct{ file string }

func (p *ruleParser) errf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d:%d: %s", p.file, n.Line, n.Column, fmt.Sprintf(format, args...))
}

func (p *ruleParser) str(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.errf(n, "expected a single value here, not a list or mapping")
	}
	return n.Value, nil
}

func (p *ruleParser) mapping(n *yaml.Node, what string, known ...string) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "%s must be a mapping with %s", what, strings.Join(known, ", "))
	}
	m := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		ok := false
		for _, w := range known {
			ok = ok || k.Value == w
		}
		if !ok {
			return nil, p.errf(k, "unknown setting %q in %s (known: %s)", k.Value, what, strings.Join(known, ", "))
		}
		m[k.Value] = n.Content[i+1]
	}
	return m, nil
}

func (p *ruleParser) money(r *Rules, n *yaml.Node) error {
	m, err := p.mapping(n, "money", "decimal", "thousands")
	if err != nil {
		return err
	}
	for key, dst := range map[string]*byte{"decimal": &r.decimal, "thousands": &r.thousands} {
		v, ok := m[key]
		if !ok {
			continue
		}
		s, err := p.str(v)
		if err != nil {
			return err
		}
		switch s {
		case ".", ",", "'", "":
		case " ":
			s = " "
		default:
			return p.errf(v, "money %s must be \".\", \",\" or \"'\" (got %q)", key, s)
		}
		if s != "" {
			*dst = s[0]
		}
	}
	if r.decimal != 0 && r.decimal == r.thousands {
		return p.errf(n, "money decimal and thousands separators must differ")
	}
	if r.decimal == ' ' {
		return p.errf(m["decimal"], "the decimal separator cannot be a space")
	}
	return nil
}

var dateTokens = []struct{ tok, layout, re string }{
	{"YYYY", "2006", `\d{4}`}, {"YY", "06", `\d{2}`}, {"MMM", "Jan", `\pL{3}`}, {"MM", "01", `\d{2}`}, {"M", "1", `\d{1,2}`},
	{"DD", "02", `\d{2}`}, {"D", "2", `\d{1,2}`}, {"HH", "15", `\d{2}`}, {"H", "15", `\d{1,2}`},
	{"hh", "03", `\d{2}`}, {"h", "3", `\d{1,2}`}, {"mm", "04", `\d{2}`}, {"ss", "05", `\d{2}`}, {"A", "PM", `[AP]M`}, {"a", "pm", `[ap]m`},
}

// date reads a date format such as "DD.MM.YYYY HH:mm".
func (p *ruleParser) date(r *Rules, n *yaml.Node) error {
	s, err := p.str(n)
	if err != nil {
		return err
	}
	var layout, re strings.Builder
	dmy := map[byte]int{}
	for i := 0; i < len(s); {
		matched := false
		for _, t := range dateTokens {
			if strings.HasPrefix(s[i:], t.tok) {
				layout.WriteString(t.layout)
				re.WriteString(t.re)
				if t.tok[0] == 'D' || t.tok[0] == 'M' {
					if _, seen := dmy[t.tok[0]]; !seen {
						dmy[t.tok[0]] = i
					}
				}
				i += len(t.tok)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if s[i] == '[' { // [literal text], e.g. "DD.MM.YYYY [um] HH:mm"
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return fmt.Errorf("%s:%d:%d: the date format has a [ without a closing ]", p.file, n.Line, n.Column+i)
			}
			lit := s[i+1 : i+end]
			layout.WriteString(lit)
			re.WriteString(regexp.QuoteMeta(lit))
			i += end + 1
			continue
		}
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			return fmt.Errorf("%s:%d:%d: unknown date field %q in %q: use YYYY, YY, MM, MMM, DD, HH, hh, mm, ss and A, and [text] for literal text", p.file, n.Line, n.Column+i, string(c), s)
		}
		layout.WriteByte(c)
		if c == ' ' {
			re.WriteString(`\s+`)
		} else {
			re.WriteString(regexp.QuoteMeta(string(c)))
		}
		i++
	}
	if _, ok := dmy['D']; !ok {
		return p.errf(n, "date format %q has no day (DD)", s)
	}
	r.dateSet = true
	r.dateLayout = layout.String()
	r.dateRe = regexp.MustCompile(re.String())
	r.monthFirst = dmy['M'] < dmy['D']
	return nil
}

// expand replaces {money} and the template fields inside a regex.
func expandRegex(s string) string {
	return strings.ReplaceAll(s, "{money}", moneyRe)
}

func (p *ruleParser) regex(n *yaml.Node) (*regexp.Regexp, error) {
	s, err := p.str(n)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(expandRegex(s))
	if err != nil {
		return nil, p.errf(n, "the pattern %q is not a valid regular expression: %s", s, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return re, nil
}

func (p *ruleParser) regexList(n *yaml.Node) ([]*regexp.Regexp, error) {
	if n.Kind == yaml.ScalarNode {
		re, err := p.regex(n)
		return []*regexp.Regexp{re}, err
	}
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, "expected a pattern or a list of patterns")
	}
	var out []*regexp.Regexp
	for _, c := range n.Content {
		re, err := p.regex(c)
		if err != nil {
			return nil, err
		}
		out = append(out, re)
	}
	return out, nil
}

// template compiles a line template such as "{qty} x {name}  {amount}":
// literal text matches itself, a run of spaces matches any run of spaces.
func (p *ruleParser) template(n *yaml.Node) (*regexp.Regexp, error) {
	s, err := p.str(n)
	if err != nil {
		return nil, err
	}
	col := n.Column
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		col++
	}
	var b strings.Builder
	b.WriteString(`^\s*`)
	seen := map[string]bool{}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 || strings.ContainsAny(s[i+1:i+end], "{ ") {
				return nil, fmt.Errorf("%s:%d:%d: the template has a { without a closing }", p.file, n.Line, col+i)
			}
			f := s[i+1 : i+end]
			re, ok := templateFields[f]
			if !ok {
				return nil, fmt.Errorf("%s:%d:%d: unknown field {%s} in the template: use {name}, {qty}, {unit}, {amount}, {percent}, {last4} or {text}", p.file, n.Line, col+i, f)
			}
			if seen[f] && f != "text" && f != "money" {
				return nil, fmt.Errorf("%s:%d:%d: the field {%s} appears twice in the template", p.file, n.Line, col+i, f)
			}
			seen[f] = true
			b.WriteString(re)
			i += end + 1
		case c == ' ':
			for i < len(s) && s[i] == ' ' {
				i++
			}
			b.WriteString(`\s+`)
		default:
			r := s[i:]
			k := strings.IndexAny(r, "{ ")
			if k < 0 {
				k = len(r)
			}
			b.WriteString(regexp.QuoteMeta(r[:k]))
			i += k
		}
	}
	b.WriteString(`\s*$`)
	return regexp.Compile(b.String())
}

func (p *ruleParser) kinds(r *Rules, n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return p.errf(n, "kinds must be a list of {match: PATTERN, kind: reprint|copy|training|void|refund|sale}")
	}
	for _, c := range n.Content {
		m, err := p.mapping(c, "a kinds entry", "match", "kind")
		if err != nil {
			return err
		}
		if m["match"] == nil || m["kind"] == nil {
			return p.errf(c, "a kinds entry needs match: and kind:")
		}
		re, err := p.regex(m["match"])
		if err != nil {
			return err
		}
		k := Kind(m["kind"].Value)
		switch k {
		case KindSale, KindRefund, KindVoid, KindReprint, KindCopy, KindTraining:
		default:
			return p.errf(m["kind"], "unknown kind %q: use sale, refund, void, reprint, copy or training", k)
		}
		r.kinds = append(r.kinds, kindRule{re, k})
	}
	return nil
}

func (p *ruleParser) lines(r *Rules, n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return p.errf(n, "lines must be a list of {match: PATTERN or template: TEMPLATE, as: item|total|tender|...}")
	}
	for _, c := range n.Content {
		m, err := p.mapping(c, "a lines entry", "match", "template", "as", "method", "included", "section")
		if err != nil {
			return err
		}
		var lr lineRule
		switch {
		case m["match"] != nil && m["template"] != nil:
			return p.errf(c, "a lines entry has either match: or template:, not both")
		case m["match"] != nil:
			lr.re, err = p.regex(m["match"])
		case m["template"] != nil:
			lr.re, err = p.template(m["template"])
		default:
			return p.errf(c, "a lines entry needs match: (a regular expression) or template: (such as \"{qty} x {name} {amount}\")")
		}
		if err != nil {
			return err
		}
		as := m["as"]
		if as == nil {
			return p.errf(c, "a lines entry needs as: (item, quantity, modifier, subtotal, net, discount, tax, service, tip, total, tender, change or skip)")
		}
		cl, ok := classes[as.Value]
		if !ok {
			return p.errf(as, "unknown line kind %q: use item, quantity, modifier, subtotal, net, discount, tax, service, tip, total, tender, change or skip", as.Value)
		}
		lr.class = cl
		names := lr.re.SubexpNames()
		has := func(f string) bool {
			for _, x := range names {
				if x == f {
					return true
				}
			}
			return false
		}
		needAmount := cl != cSkip && cl != cNone && cl != cModifier && cl != cQty && !(cl == cItem && has("qty") && has("unit"))
		if needAmount && !has("amount") {
			return p.errf(as, "a %s line needs an amount: name it {amount} in a template or (?P<amount>{money}) in a pattern", as.Value)
		}
		if cl == cQty && (!has("qty") || !has("unit")) {
			return p.errf(as, "a quantity line needs {qty} and {unit}")
		}
		if v := m["method"]; v != nil {
			lr.method = model.PaymentMethod(v.Value)
			switch lr.method {
			case model.MethodCard, model.MethodCash, model.MethodGiftCard, model.MethodWallet, model.MethodOther:
			default:
				return p.errf(v, "unknown payment method %q: use cash, card, gift_card, wallet or other", v.Value)
			}
		}
		if v := m["included"]; v != nil {
			if err := v.Decode(&lr.included); err != nil {
				return p.errf(v, "included must be true or false")
			}
		}
		if v := m["section"]; v != nil {
			switch v.Value {
			case "any":
			case "before_total":
				lr.section = 1
			case "after_total":
				lr.section = 2
			default:
				return p.errf(v, "section must be any, before_total or after_total")
			}
		}
		r.lines = append(r.lines, lr)
	}
	return nil
}

func (p *ruleParser) journal(r *Rules, n *yaml.Node) error {
	m, err := p.mapping(n, "journal", "start", "end")
	if err != nil {
		return err
	}
	if v := m["start"]; v != nil {
		if r.journalStart, err = p.regexList(v); err != nil {
			return err
		}
	}
	if v := m["end"]; v != nil {
		if r.journalEnd, err = p.regexList(v); err != nil {
			return err
		}
	}
	if r.journalStart == nil && r.journalEnd == nil {
		return p.errf(n, "journal needs start:, end: or both")
	}
	return nil
}

// classify applies the first matching rule to line.
func (r *Rules) classify(line string, mf moneyFormat, afterTotal bool) (info, bool) {
	for _, re := range r.skip {
		if re.MatchString(line) {
			return info{class: cSkip}, true
		}
	}
	for _, lr := range r.lines {
		if (lr.section == 1 && afterTotal) || (lr.section == 2 && !afterTotal) {
			continue
		}
		m := lr.re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		in := info{class: lr.class, method: lr.method, incl: lr.included}
		ok := true
		for k, f := range lr.re.SubexpNames() {
			v := strings.TrimSpace(m[k])
			if f == "" || v == "" {
				continue
			}
			switch f {
			case "name":
				in.name = v
			case "qty":
				q, err := model.ParseQuantity(strings.ReplaceAll(v, ",", "."))
				ok = ok && err == nil && q > 0
				in.qty = q
			case "unit":
				in.unit, in.hasUnit = mf.parse(strings.ReplaceAll(v, " ", ""))
				ok = ok && in.hasUnit
			case "amount":
				in.amount, in.has = mf.parse(strings.ReplaceAll(v, " ", ""))
				ok = ok && in.has
			case "percent":
				in.percent = strings.ReplaceAll(v, ",", ".")
			case "last4":
				in.last4 = v
			}
		}
		if !ok {
			continue
		}
		if in.class == cItem && !in.has && in.hasUnit && in.qty > 0 {
			in.amount, in.has = model.MulQty(in.unit, in.qty)
		}
		if in.class == cDiscount {
			in.amount = abs(in.amount)
		}
		if in.class == cTender && in.method == "" {
			in.method = model.MethodOther
			for _, t := range tenders {
				if t.re.MatchString(strings.TrimSpace(line)) {
					in.method = t.method
					break
				}
			}
		}
		if in.name == "" {
			in.name = strings.TrimSpace(line)
			if in.has {
				if h, _, ok := mf.trailing(line); ok {
					in.name = strings.TrimSpace(h)
				}
			}
		}
		return in, true
	}
	return info{}, false
}

// matches reports whether a skip or line rule matches line.
func (r *Rules) matches(line string) bool {
	for _, re := range r.skip {
		if re.MatchString(line) {
			return true
		}
	}
	for _, lr := range r.lines {
		if lr.re.MatchString(line) {
			return true
		}
	}
	return false
}

func (r *Rules) kindOf(lines []string) Kind {
	for _, k := range r.kinds {
		for _, l := range lines {
			if k.re.MatchString(l) {
				return k.kind
			}
		}
	}
	return ""
}

func (r *Rules) number(lines []string) string {
	if r.numberRe == nil {
		return ""
	}
	for _, l := range lines {
		m := r.numberRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if i := r.numberRe.SubexpIndex("number"); i > 0 && m[i] != "" {
			return m[i]
		}
		if len(m) > 1 && m[1] != "" {
			return m[1]
		}
		return m[0]
	}
	return ""
}

func (r *Rules) date(lines []string, loc *time.Location) time.Time {
	if r.dateRe == nil {
		return time.Time{}
	}
	for _, l := range lines {
		for _, s := range r.dateRe.FindAllString(l, -1) {
			s = strings.Join(strings.Fields(s), " ")
			if t, err := time.ParseInLocation(r.dateLayout, s, loc); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}
