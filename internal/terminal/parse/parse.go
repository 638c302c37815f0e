// Package parse turns what a till prints into Aura sales: it walks an ESC/POS
// byte stream (code pages, styles, skipped images and barcodes), cuts it into
// receipts, masks card numbers, and reads each receipt's lines, totals and
// tenders with a built-in parser or a store's rules file. Register journals
// (text lines) are grouped into transactions by Journal.
//
// Nothing here fails: a receipt that cannot be read is Kind "unparsed" with
// its text and the reasons in Problems.
package parse

//go:generate go test -run TestCorpus -update .

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

// Options say how to read one till's output.
type Options struct {
	CodePage string         // the till's initial code page ("cp437" when empty); ESC t in the stream switches it
	Currency string         // ISO 4217, e.g. "EUR"
	Location *time.Location // for printed date-times; nil = time.Local
	Rules    *Rules         // nil = built-in parser
	// Received is when the receipt arrived: the order's created_at when no
	// date is printed. Zero means now.
	Received time.Time
}

// Kind is what a receipt is.
type Kind string

// Receipt kinds.
const (
	KindSale     Kind = "sale"
	KindRefund   Kind = "refund"
	KindVoid     Kind = "void"
	KindReprint  Kind = "reprint"
	KindCopy     Kind = "copy"
	KindTraining Kind = "training"
	KindUnparsed Kind = "unparsed"
)

// Tender is one way the customer paid (or was paid back, on a refund), as
// printed: a cash tender is the amount handed over, before change.
type Tender struct {
	Method model.PaymentMethod `json:"method"`
	Name   string              `json:"name"`
	Amount model.Money         `json:"amount"`
}

// Receipt is one parsed receipt or journal transaction.
type Receipt struct {
	Text       string       `json:"text"` // decoded text, PANs masked
	Kind       Kind         `json:"kind"`
	Confidence float64      `json:"confidence"`         // 0..1
	Problems   []string     `json:"problems,omitempty"` // plain-words reasons (why unparsed, what did not add up)
	Number     string       `json:"number,omitempty"`   // receipt number when read
	PrintedAt  time.Time    `json:"printed_at,omitzero"`
	Order      *model.Order `json:"order,omitempty"` // the parsed sale/refund with lines, discounts, taxes, totals, payments; nil when unparsed
	Tenders    []Tender     `json:"tenders,omitempty"`
	Change     model.Money  `json:"change,omitzero"`
	// Total is the printed total (positive, also for refunds), read even
	// when the receipt is unparsed; zero when no total line was found.
	Total model.Money `json:"total,omitzero"`
	// Marked is what a banner line ("*** COPY ***", "TRAINING MODE") or a
	// rules file's kinds say the receipt is, also when it is unparsed;
	// empty when nothing says so.
	Marked Kind `json:"marked,omitempty"`
}

// Parse reads one receipt's raw ESC/POS bytes. It never fails: a receipt
// that cannot be read has Kind "unparsed".
func Parse(raw []byte, opts Options) Receipt {
	ls := Decode(raw, opts.CodePage)
	texts := make([]string, len(ls))
	for i, l := range ls {
		texts[i] = l.Text
	}
	return parseLines(texts, opts)
}

// ParseText reads a receipt or journal transaction that is already text
// (lines ended by LF, CR LF or CR).
func ParseText(text string, opts Options) Receipt {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	ls := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(strings.ReplaceAll(l, "\t", "    "), " ")
	}
	return parseLines(ls, opts)
}

// item is an item line with what follows it.
type item struct {
	name    string
	qty     model.Quantity
	unit    int64
	hasUnit bool
	amount  int64
	mods    []info
	line    int
	indent  int
}

type parsed struct {
	items                    []*item
	discounts                []model.Discount
	taxes                    []info
	svc                      []info
	tips                     []info
	subtotal, total, net     int64
	hasSub, hasTotal, hasNet bool
	discBeforeSub            int64
	tenders                  []info
	change                   int64
	hasChange                bool
}

func parseLines(lines []string, opts Options) Receipt {
	for i, l := range lines {
		lines[i] = MaskPANs(l)
	}
	r := Receipt{Text: strings.Join(lines, "\n"), Kind: KindUnparsed}
	rules := opts.Rules
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	cur, guessed := opts.Currency, false
	if cur == "" && rules != nil {
		cur = rules.Currency
	}
	if cur == "" {
		cur, guessed = guessCurrency(r.Text), true
	}
	if !model.ValidCurrency(cur) {
		if cur == "" {
			r.Problems = append(r.Problems, "no currency is set for this till and the receipt prints none: set the terminal's currency (for example EUR)")
		} else {
			r.Problems = append(r.Problems, "the currency "+cur+" is not an ISO 4217 code such as EUR or USD")
		}
		return r
	}
	mf := moneyFormat{Digits: model.MinorDigits(cur)}
	monthFirst := cur == "USD" || cur == "CAD"
	if rules != nil {
		mf.Decimal, mf.Thousands = rules.decimal, rules.thousands
		if rules.dateSet {
			monthFirst = rules.monthFirst
		}
	}

	// what the receipt is
	kind := Kind("")
	if rules != nil {
		kind = rules.kindOf(lines)
	}
	if kind == "" && (rules == nil || rules.Builtin) {
		kind = bannerKind(lines)
	}
	if rules != nil {
		r.Number = rules.number(lines)
		r.PrintedAt = rules.date(lines, loc)
	}
	r.Marked = kind
	if r.Number == "" && (rules == nil || rules.Builtin) {
		r.Number = findNumber(lines)
	}
	if r.PrintedAt.IsZero() && (rules == nil || rules.Builtin) {
		r.PrintedAt = findDateTime(lines, monthFirst, loc)
	}

	infos := classifyAll(lines, mf, rules)
	p := assemble(infos)
	if p.hasTotal {
		r.Total = money(abs(p.total), cur)
	}
	refund := p.hasTotal && p.total < 0
	sign := int64(1)
	if refund {
		sign = -1
	}
	for _, t := range p.tenders {
		r.Tenders = append(r.Tenders, Tender{Method: t.method, Name: t.name, Amount: money(abs(t.amount), cur)})
	}
	if p.hasChange {
		r.Change = money(abs(p.change), cur)
	}

	if !p.hasTotal {
		r.Problems = append(r.Problems, "no total line was found (such as TOTAL, SUMME, TOTAL A PAYER or TOTAL A PAGAR): a rules file can name this till's total line")
		r.Confidence = 0
		return r
	}
	o, problems := buildOrder(p, sign, cur, kind)
	r.Problems = append(r.Problems, problems...)
	if o == nil {
		r.Confidence = 0.2
		if len(r.Tenders) > 0 {
			r.Confidence = 0.3
		}
		return r
	}
	o.Reference = r.Number
	o.CreatedAt = r.PrintedAt
	if o.CreatedAt.IsZero() {
		o.CreatedAt = opts.Received
		if o.CreatedAt.IsZero() {
			o.CreatedAt = time.Now()
		}
	}
	o.ClosedAt = r.PrintedAt
	tendersOK := addPayments(o, p, r.Tenders, r.Change, refund || kind == KindRefund)
	if !tendersOK {
		if len(r.Tenders) == 0 {
			r.Problems = append(r.Problems, "no payment line was found (such as CASH, CARD, BAR, EC-KARTE, CB or EFECTIVO)")
		} else {
			var sum int64
			for _, t := range r.Tenders {
				sum += t.Amount.Amount
			}
			r.Problems = append(r.Problems, "the payments ("+fmtMoney(sum, cur)+") less change ("+fmtMoney(r.Change.Amount, cur)+") do not match the total ("+fmtMoney(r.Total.Amount, cur)+")")
		}
	}
	r.Order = o
	switch {
	case kind != "":
		r.Kind = kind
	case refund:
		r.Kind = KindRefund
	default:
		r.Kind = KindSale
	}
	if r.Kind == KindVoid {
		o.State = model.OrderCanceled
	}
	c := 0.6
	if p.hasSub {
		c += 0.1
	}
	if tendersOK {
		c += 0.15
	}
	if !r.PrintedAt.IsZero() {
		c += 0.075
	}
	if r.Number != "" {
		c += 0.075
	}
	if guessed {
		c -= 0.1
	}
	r.Confidence = float64(int(c*1000+0.5)) / 1000
	return r
}

// classifyAll classifies every line, by the rules first and then, where the
// rules allow, by the built-in reader. Tax tables (a header such as
// "MwSt Netto Brutto" and rows of amounts) are read here.
func classifyAll(lines []string, mf moneyFormat, rules *Rules) []info {
	infos := make([]info, len(lines))
	afterTotal := false
	var table []int // tax table columns: 0 net, 1 tax, 2 gross
	taxWord := "Tax"
	skipNext := false
	for i, l := range lines {
		if skipNext {
			skipNext = false
			continue
		}
		var in info
		matched := false
		if rules != nil {
			in, matched = rules.classify(l, mf, afterTotal)
		}
		if !matched && (rules == nil || rules.Builtin) {
			if cols, word := taxTableHeader(l, mf); cols != nil {
				table, taxWord = cols, word
				continue
			}
			if table != nil {
				if as := mf.amounts(l); len(as) >= 2 {
					if reTotal.MatchString(l) || reSubtotal.MatchString(l) {
						table = nil // the table's sum row
						continue
					}
					if len(as) > len(table) {
						as = as[len(as)-len(table):]
					}
					for k, c := range table {
						if c == 1 && k < len(as) {
							in = info{class: cTax, amount: as[k].v, has: true, name: taxWord}
							if m := rePct.FindStringSubmatch(l); m != nil {
								in.percent = strings.ReplaceAll(m[1], ",", ".")
								in.name = taxWord + " " + m[1] + "%"
							}
						}
					}
					infos[i] = in
					continue
				}
				table = nil
			}
			if i+1 < len(lines) && hasLetter(l) && len(mf.amounts(l)) == 0 && amountOnly(lines[i+1], mf) &&
				(rules == nil || !rules.matches(lines[i+1])) {
				// "TOTAL" with its amount on the next line (big print, long names)
				in = builtinClassify(l+"  "+strings.TrimSpace(lines[i+1]), mf, afterTotal)
				if in.class != cNone {
					infos[i] = in
					infos[i+1] = info{class: cSkip}
					skipNext = true
					if in.class == cTotal {
						afterTotal = true
					}
					continue
				}
			}
			in = builtinClassify(l, mf, afterTotal)
		}
		if in.class == cTotal {
			afterTotal = true
		}
		infos[i] = in
	}
	return infos
}

// amountOnly reports whether line holds one amount and nothing else but
// currency words and tax letters.
func amountOnly(line string, mf moneyFormat) bool {
	head, _, ok := mf.trailing(line)
	return ok && strings.TrimSpace(head) == "" && len(mf.amounts(line)) == 1
}

var (
	reColNet   = regexp.MustCompile(`(?i)^(?:netto|net|ht|base|nettobetrag|excl\.?|h\.t\.)$`)
	reColTax   = regexp.MustCompile(`(?i)^(?:mwst\.?|mwst-betrag|steuer|ust\.?|tva|iva|vat|tax|cuota|gst)$`)
	reColGross = regexp.MustCompile(`(?i)^(?:brutto|gross|ttc|total|umsatz|incl\.?|bruttobetrag)$`)
)

// taxTableHeader returns the amount columns of a tax table header line, or
// nil when l is not one.
func taxTableHeader(l string, mf moneyFormat) ([]int, string) {
	if strings.ContainsAny(l, "0123456789") || len(mf.amounts(l)) > 0 {
		return nil, "" // headers are words only
	}
	var cols []int
	hasTax, word := false, ""
	for _, w := range strings.Fields(l) {
		w = strings.Trim(w, "%:")
		switch {
		case reColNet.MatchString(w):
			cols = append(cols, 0)
		case reColTax.MatchString(w):
			cols = append(cols, 1)
			if !hasTax {
				word = w
			}
			hasTax = true
		case reColGross.MatchString(w):
			cols = append(cols, 2)
		}
	}
	if len(cols) < 2 || !hasTax {
		return nil, ""
	}
	// "MwSt%" or "TVA %" names the rate column: keep only the last tax word
	// as the tax amount column when the rate is printed with a % sign.
	for k := 0; k < len(cols)-1; k++ {
		if cols[k] == 1 && slicesCount(cols, 1) > 1 {
			cols = append(cols[:k], cols[k+1:]...)
			break
		}
	}
	return cols, word
}

func slicesCount(s []int, v int) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// assemble groups classified lines into items with their quantities and
// modifiers, adjustments, totals and tenders.
func assemble(infos []info) parsed {
	var p parsed
	var last *item
	pending := ""        // a name line waiting for its quantity line
	var pendingQty *info // a quantity line waiting for the item line after it
	for i := range infos {
		in := infos[i]
		if p.hasTotal && in.class != cTender && in.class != cChange && in.class != cTax && in.class != cTip && in.class != cTotal {
			continue
		}
		switch in.class {
		case cNone:
			pending = ""
			if !p.hasSub && !in.has && hasLetter(in.name) && i+1 < len(infos) && infos[i+1].class == cQty {
				pending = in.name
			}
			continue
		case cItem:
			if last != nil && !p.hasSub && (in.marked || in.indent > last.indent) {
				in.name = in.modName
				last.mods = append(last.mods, in)
				break
			}
			last = &item{name: in.name, qty: in.qty, unit: in.unit, hasUnit: in.hasUnit, amount: in.amount, line: i, indent: in.indent}
			if q := pendingQty; q != nil && last.qty == 0 && mulIs(q.unit, q.qty, abs(last.amount)) {
				last.qty, last.unit, last.hasUnit = q.qty, q.unit, true
			}
			p.items = append(p.items, last)
		case cQty:
			switch {
			case pending != "" && in.has:
				last = &item{name: pending, qty: in.qty, unit: in.unit, hasUnit: true, amount: in.amount, line: i, indent: infos[i-1].indent}
				p.items = append(p.items, last)
			case last != nil && last.qty == 0 && !in.has && mulIs(in.unit, in.qty, abs(last.amount)):
				last.qty, last.unit, last.hasUnit = in.qty, in.unit, true
			case !in.has:
				q := in
				pendingQty = &q
				pending = ""
				continue
			}
		case cModifier:
			if last == nil {
				if in.has {
					last = &item{name: in.name, amount: in.amount, line: i}
					p.items = append(p.items, last)
				}
				break
			}
			last.mods = append(last.mods, in)
		case cDiscount:
			d := model.Discount{Name: in.name, Percentage: in.percent, Amount: model.Money{Amount: abs(in.amount)}}
			p.discounts = append(p.discounts, d)
			if !p.hasSub {
				p.discBeforeSub += abs(in.amount)
			}
		case cSubtotal:
			if !p.hasSub {
				p.subtotal, p.hasSub = in.amount, true
			}
		case cNet:
			if !p.hasNet {
				p.net, p.hasNet = in.amount, true
			}
		case cTax:
			p.taxes = append(p.taxes, in)
		case cService:
			p.svc = append(p.svc, in)
		case cTip:
			p.tips = append(p.tips, in)
		case cTotal:
			if !p.hasTotal {
				p.total, p.hasTotal = in.amount, true
			}
		case cTender:
			if p.hasTotal {
				p.tenders = append(p.tenders, in)
			}
		case cChange:
			if p.hasTotal && !p.hasChange {
				p.change, p.hasChange = in.amount, true
			}
		}
		pending, pendingQty = "", nil
	}
	return p
}

// buildOrder turns the parsed lines into an order whose sums hold, or
// returns why they do not. sign is -1 on a refund.
func buildOrder(p parsed, sign int64, cur string, kind Kind) (*model.Order, []string) {
	o := &model.Order{State: model.OrderCompleted, Currency: cur}
	var problems []string
	if len(p.items) == 0 {
		return nil, []string{"no item lines were found before the total: a rules file can describe this till's item lines"}
	}
	// a negative line on a sale is a discount (and a positive one on a refund)
	var discounts []model.Discount
	var items []*item
	for _, it := range p.items {
		if it.amount*sign < 0 {
			discounts = append(discounts, model.Discount{Name: it.name, Amount: money(abs(it.amount), cur)})
			continue
		}
		items = append(items, it)
	}
	for _, d := range p.discounts {
		d.Amount.Currency = cur
		discounts = append(discounts, d)
	}
	if len(items) == 0 {
		return nil, []string{"no item lines were found before the total: a rules file can describe this till's item lines"}
	}
	var disc, svc, tip, tax int64
	for _, d := range discounts {
		disc += d.Amount.Amount
	}
	for _, s := range p.svc {
		svc += abs(s.amount)
		o.ServiceCharges = append(o.ServiceCharges, model.ServiceCharge{Name: s.name, Amount: money(abs(s.amount), cur)})
	}
	for _, t := range p.tips {
		tip += abs(t.amount)
	}
	for _, t := range dedupeTaxes(p.taxes) {
		tax += abs(t.amount)
		o.Taxes = append(o.Taxes, model.AppliedTax{Name: taxName(t), Percentage: t.percent, Amount: money(abs(t.amount), cur)})
	}
	total := abs(p.total)
	for _, inclusiveMods := range []bool{false, true} {
		lines, sum := lineItems(items, cur, inclusiveMods)
		if sum < 0 {
			continue
		}
		subOK := !p.hasSub || abs(p.subtotal) == sum || abs(p.subtotal) == sum-p.discBeforeSub
		if !subOK {
			if inclusiveMods {
				problems = append(problems, "the item lines add up to "+fmtMoney(sum, cur)+", but the subtotal says "+fmtMoney(abs(p.subtotal), cur))
			}
			continue
		}
		base := sum - disc + svc
		var incl bool
		switch {
		case base+tax == total || base+tax+tip == total:
			incl = false
		case base == total || base+tip == total:
			incl = true
		default:
			if inclusiveMods {
				msg := "the item lines add up to " + fmtMoney(sum, cur)
				if disc != 0 {
					msg += ", less discounts of " + fmtMoney(disc, cur)
				}
				if tax != 0 {
					msg += ", plus tax of " + fmtMoney(tax, cur)
				}
				if svc != 0 {
					msg += ", plus service of " + fmtMoney(svc, cur)
				}
				problems = append(problems, msg+", but the total says "+fmtMoney(total, cur))
			}
			continue
		}
		o.LineItems = lines
		o.Discounts = discounts
		for k := range o.Taxes {
			o.Taxes[k].Inclusive = incl
		}
		if tip != 0 {
			o.Tip = money(tip, cur)
		}
		o.ComputeTotals()
		return o, nil
	}
	return nil, problems
}

// lineItems converts items to order lines. With inclusiveMods, an item's
// printed amount already includes its priced modifiers. sum is -1 when an
// item cannot be represented.
func lineItems(items []*item, cur string, inclusiveMods bool) (lines []model.LineItem, sum int64) {
	n := 0
	add := func(li model.LineItem) {
		n++
		li.ID = "li" + strconv.Itoa(n)
		g, _ := li.LineGross()
		sum += g
		lines = append(lines, li)
	}
	for _, it := range items {
		q := it.qty
		if q <= 0 {
			q = model.Q(1)
		}
		amt := abs(it.amount)
		var mods []model.LineModifier
		var extra []model.LineItem
		var modSum int64
		for _, m := range it.mods {
			ma := abs(m.amount)
			if !m.has || ma == 0 {
				mods = append(mods, model.LineModifier{Name: m.name, Quantity: model.Q(1), UnitPrice: money(0, cur)})
				continue
			}
			if per, ok := divQty(ma, q); ok {
				mods = append(mods, model.LineModifier{Name: m.name, Quantity: model.Q(1), UnitPrice: money(per, cur)})
				modSum += ma
				continue
			}
			extra = append(extra, model.LineItem{Name: m.name, Quantity: model.Q(1), UnitPrice: money(ma, cur)})
			modSum += ma
		}
		base := amt
		if inclusiveMods {
			base = amt - modSum
			if base < 0 {
				return nil, -1
			}
		}
		li := model.LineItem{Name: it.name, Quantity: q, Modifiers: mods}
		switch unit, ok := divQty(base, q); {
		case it.hasUnit && !inclusiveMods && mulIs(it.unit, q, base):
			li.UnitPrice = money(it.unit, cur)
		case ok:
			li.UnitPrice = money(unit, cur)
		default:
			li.Name = q.String() + " x " + it.name
			li.Quantity = model.Q(1)
			li.UnitPrice = money(base, cur)
			if len(mods) > 0 {
				for k := range li.Modifiers {
					if li.Modifiers[k].UnitPrice.Amount != 0 {
						li.Modifiers[k].UnitPrice.Amount = mulOr(li.Modifiers[k].UnitPrice.Amount, q)
					}
				}
			}
		}
		add(li)
		for _, e := range extra {
			add(e)
		}
	}
	return lines, sum
}

func mulIs(unit int64, q model.Quantity, want int64) bool {
	g, ok := model.MulQty(unit, q)
	return ok && g == want
}

func mulOr(v int64, q model.Quantity) int64 {
	g, _ := model.MulQty(v, q)
	return g
}

// divQty returns amount / q when it is exact in minor units.
func divQty(amount int64, q model.Quantity) (int64, bool) {
	if q <= 0 {
		return 0, false
	}
	if amount*1000%int64(q) != 0 {
		return 0, false
	}
	return amount * 1000 / int64(q), true
}

// dedupeTaxes drops a "total tax" line that repeats the sum of the rate
// lines before it.
func dedupeTaxes(ts []info) []info {
	if len(ts) < 2 {
		return ts
	}
	var out []info
	var sum int64
	for _, t := range ts {
		if len(out) > 0 && abs(t.amount) == sum && t.percent == "" {
			continue
		}
		out = append(out, t)
		sum += abs(t.amount)
	}
	return out
}

func taxName(t info) string {
	n := strings.Join(strings.Fields(t.name), " ")
	if n == "" || !hasLetter(n) {
		n = "Tax"
	}
	return n
}

// addPayments records the tenders as payments (or, on a refund, refunds)
// and reports whether they add up to the total.
func addPayments(o *model.Order, p parsed, tenders []Tender, change model.Money, refund bool) bool {
	if len(tenders) == 0 {
		return false
	}
	var sum int64
	for _, t := range tenders {
		sum += t.Amount.Amount
	}
	applied := make([]int64, len(tenders))
	for i, t := range tenders {
		applied[i] = t.Amount.Amount
	}
	if change.Amount > 0 {
		k := len(tenders) - 1
		for i, t := range tenders {
			if t.Method == model.MethodCash {
				k = i
				break
			}
		}
		applied[k] -= change.Amount
		if applied[k] < 0 {
			applied[k] = 0
		}
	}
	for i, t := range tenders {
		if refund {
			o.Refunds = append(o.Refunds, model.Refund{Amount: money(applied[i], o.Currency), Reason: "refund receipt: " + t.Name,
				Status: model.PaymentCompleted, CreatedAt: o.CreatedAt})
			continue
		}
		pm := model.Payment{Method: t.Method, Amount: money(applied[i], o.Currency), Status: model.PaymentCompleted, CreatedAt: o.CreatedAt}
		for _, in := range p.tenders {
			if in.name == t.Name {
				pm.CardBrand, pm.Last4 = in.brand, in.last4
			}
		}
		o.Payments = append(o.Payments, pm)
	}
	if tip := o.Tip.Amount; tip > 0 && !refund {
		// Payment.Amount excludes the tip: take it from the card payment
		// that carried it (or the last one that can).
		k := -1
		for i := len(o.Payments) - 1; i >= 0; i-- {
			if o.Payments[i].Amount.Amount >= tip && (k < 0 || o.Payments[i].Method == model.MethodCard) {
				k = i
			}
		}
		if k >= 0 && sum-change.Amount == o.Totals.Total.Amount {
			o.Payments[k].Amount.Amount -= tip
			o.Payments[k].Tip = money(tip, o.Currency)
		}
	}
	want := o.Totals.Total.Amount
	return sum-change.Amount == want || sum-change.Amount == want-o.Tip.Amount
}

func fmtMoney(v int64, cur string) string { return model.FormatMinor(v, model.MinorDigits(cur)) }

var reBannerWords = regexp.MustCompile(`[^\pL]+`)

var banners = []struct {
	kind Kind
	re   *regexp.Regexp
}{
	{KindTraining, banner(`training`, `trainingsmodus`, `training mode`, `übungsmodus`, `ubungsmodus`, `formation`, `entrenamiento`, `prueba`, `test`, `testbon`,
		`non fiscal`, `nonfiscal`, `not fiscal`, `nicht fiskal`, `kein fiskal`, `no fiscal`, `non fiscale`, `documento no fiscal`, `document non fiscal`)},
	{KindVoid, banner(`void`, `voided`, `storno`, `stornobeleg`, `storniert`, `annul\pL*`, `anulad\pL*`, `anulación`, `anulacion`, `cancelled`, `canceled`)},
	{KindReprint, banner(`reprint`, `re print`, `duplicate`, `duplikat`, `duplicata`, `duplicado`, `nachdruck`, `réimpression`, `reimpression`, `reimpresión`, `reimpresion`, `zweitschrift`)},
	{KindCopy, banner(`copy`, `copie`, `kopie`, `copia`, `beleg kopie`)},
	{KindRefund, banner(`refund`, `return`, `returns`, `rückgabe`, `ruckgabe`, `erstattung`, `gutschrift`, `remboursement`, `avoir`, `retour`, `devolución`, `devolucion`, `abono`, `reembolso`)},
}

func banner(words ...string) *regexp.Regexp {
	return regexp.MustCompile(`^(?:(?:mode|modo|modus|de|en|im) )*(?:` + strings.Join(words, "|") +
		`)(?: (?:receipt|beleg|bon|ticket|reçu|recu|recibo|mode|modus|note|nota|de venta|de caisse|fiscal|copy|kopie|copie|copia))*$`)
}

// bannerKind finds a line that says the receipt is a reprint, copy,
// training, void or refund, such as "*** COPY ***" or "DUPLICATA".
func bannerKind(lines []string) Kind {
	best := -1
	for _, l := range lines {
		w := strings.TrimSpace(strings.ToLower(reBannerWords.ReplaceAllString(l, " ")))
		if w == "" || len(w) > 40 {
			continue
		}
		for k, b := range banners {
			if b.re.MatchString(w) && (best < 0 || k < best) {
				best = k
			}
		}
	}
	if best < 0 {
		return ""
	}
	return banners[best].kind
}
