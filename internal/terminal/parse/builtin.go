package parse

import (
	"regexp"
	"strings"

	"github.com/auraconnect/aura-edge/internal/model"
)

// class is what a receipt line says.
type class uint8

const (
	cNone     class = iota // header, footer or anything else
	cItem                  // a sold item
	cQty                   // a quantity line belonging to the item above or below ("2 x 4,50")
	cModifier              // a modifier of the item above
	cSubtotal
	cNet // net amount before tax (informative: TOTAL HT, Netto)
	cDiscount
	cTax
	cService
	cTip
	cTotal
	cTender
	cChange
	cSkip
)

// info is one classified line.
type info struct {
	class   class
	name    string
	qty     model.Quantity // 0 = not printed
	unit    int64
	hasUnit bool
	amount  int64
	has     bool // amount present
	percent string
	incl    bool // tax line says the tax is included
	method  model.PaymentMethod
	brand   string
	last4   string
	indent  int
	marked  bool   // starts with a modifier mark (+, >, "no ", "ohne ", ...)
	modName string // the name without the mark
}

func kw(words ...string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)^[\s*=#>-]*(?:` + strings.Join(words, "|") + `)(?:$|[^\pL])`)
}

var (
	reSubtotal = kw(`sub[- ]?total`, `zwischensumme`, `zw\.?\s?summe`, `sous[- ]total`, `subtotal`, `importe bruto`)
	reNet      = kw(`total\s+h\.?t\.?`, `total hors tax\pL*`, `netto\pL*`, `net total`, `base imponible`, `total sin iva`, `montant ht`, `total net`)
	reTotal    = kw(`(?:grand\s+)?total(?:\s+(?:due|ttc|eur|€|à payer|a payer|a pagar|à pagar|general|amount|compra|sale|factura|ticket))*`,
		`summe`, `gesamt(?:summe|betrag)?`, `zu zahlen`, `endbetrag`, `betrag`, `net à payer`, `net a payer`,
		`montant (?:total|ttc|dû|du)`, `importe(?: total)?`, `a pagar`, `balance(?: due)?`, `amount due`, `total a pagar`, `à payer`, `a payer`)
	reNotTotal = kw(`total\s+(?:items?|articles?|art\.?|qty|quantity|savings?|discounts?|tax|vat|tva|iva|mwst|ust|ht|net|sin iva|saved|remise)`,
		`total\s+\d`)
	reTax    = regexp.MustCompile(`(?i)(?:^|[^\pL])(?:sales tax|tax|vat|mwst|mw\.?\s?st\.?|ust\.?|umsatzsteuer|tva|iva|i\.v\.a\.?|gst|hst|pst|igic)(?:$|[^\pL])`)
	reIncl   = regexp.MustCompile(`(?i)(?:^|[^\pL])(?:incl\.?|inkl\.?|included|includes|enth\.?|enthalten|dont|incluido|incluida|inclus|incluse|incluses|incluye)(?:$|[^\pL])`)
	rePct    = regexp.MustCompile(`(\d{1,2}(?:[.,]\d{1,3})?)\s?%`)
	reDisc   = kw(`discount`, `disc\.?`, `rabatt`, `nachlass`, `remise`, `réduction`, `reduction`, `descuento`, `dto\.?`, `coupon`, `promo\pL*`, `savings?`, `ermäßigung`, `happy hour`, `staff`, `mitarbeiter`, `aktion`)
	reSvc    = kw(`service charge`, `service`, `servicio`, `bedienung`, `servicezuschlag`, `cover charge`, `couvert`)
	reTip    = kw(`tip`, `gratuity`, `trinkgeld`, `pourboire`, `propina`)
	reRound  = kw(`rounding`, `rundung`, `arrondi`, `redondeo`)
	reChange = kw(`change(?: due)?`, `rückgeld`, `rueckgeld`, `wechselgeld`, `zurück`, `monnaie rendue`, `rendu`, `monnaie`, `à rendre`, `a rendre`,
		`cambio`, `vuelta`, `su cambio`)
)

type tenderWord struct {
	re     *regexp.Regexp // at the start of the line
	method model.PaymentMethod
}

// tenderAny are the tender words anywhere in the line, as words ("Geg. Bar").
var tenderAny []*regexp.Regexp

func init() {
	for _, t := range tenders {
		src := strings.Replace(t.re.String(), `^[\s*=#>-]*`, `(?:^|[^\pL])`, 1)
		tenderAny = append(tenderAny, regexp.MustCompile(src))
	}
}

var tenders = []tenderWord{
	{kw(`gift\s?card`, `gutschein`, `carte cadeau`, `tarjeta regalo`, `voucher`, `bon d'achat`, `geschenkkarte`), model.MethodGiftCard},
	{kw(`apple pay`, `google pay`, `paypal`, `bizum`, `twint`, `wallet`, `alipay`, `wechat pay`), model.MethodWallet},
	{kw(`cash(?: tendered)?`, `bar(?:geld)?`, `bar gegeben`, `gegeben`, `espèces`, `especes`, `efectivo`, `en efectivo`, `entregado`, `contado`, `tendered`, `comptant`, `liquide`), model.MethodCash},
	{kw(`card`, `credit(?: card)?`, `debit(?: card)?`, `visa`, `master\s?card`, `mastercard`, `mc`, `amex`, `american express`, `discover`, `maestro`,
		`v\s?pay`, `girocard`, `ec[- ]?karte`, `ec[- ]?cash`, `ec`, `karte`, `kartenzahlung`, `cb`, `c\.b\.`, `carte(?: bancaire| bleue| bancaire sans contact)?`,
		`tarjeta(?: de)?(?: crédito| credito| débito| debito)?`, `contactless`, `sans contact`, `cartão`, `datáfono`, `tpv`), model.MethodCard},
	{kw(`cheque`, `chèque`, `ticket restaurant`, `tickets? resto`, `titre[- ]restaurant`, `sodexo`, `luncheon voucher`, `on account`, `auf rechnung`, `other`), model.MethodOther},
}

var (
	reLast4  = regexp.MustCompile(`[*Xx•#]{4,}[\s-]?(?:[*Xx•#]{4}[\s-]?)*(\d{4})\b`)
	reBrand  = regexp.MustCompile(`(?i)\b(visa|mastercard|master card|maestro|amex|american express|discover|girocard|v ?pay|cb|diners|jcb|unionpay)\b`)
	reQtyPre = regexp.MustCompile(`^\s*(\d{1,4}(?:[.,]\d{1,3})?)\s*(?:[xX×*]|pcs?|stk\.?|st\.?)\s+(\S.*)$`)
	reQtyInt = regexp.MustCompile(`^\s*(\d{1,3})\s+(\pL.*)$`)
	// "2 x 4,50", "0,524 kg x 12,90 €/kg", "2 Stk x 4,50", "2 @ 4.50": the
	// quantity and unit price, after the name or on a line of their own.
	reQtyUnit   = regexp.MustCompile(`(?i)(?:^|\s)(\d{1,4}(?:[.,]\d{1,3})?)\s*(?:kg|g|l|stk\.?|st\.?|pcs?|pc\.?|un\.?|ud\.?|uds\.?)?\s*[xX×*@]\s*(\S+)(?:\s*(?:€|eur|\$|£))?(?:\s*/\s*\pL+)?\s*$`)
	reUnitWords = regexp.MustCompile(`(?i)\b(?:kg|g|l|stk|st|pcs|pc|un|ud|uds|eur|usd|gbp|x)\b`)
	reModMark   = regexp.MustCompile(`(?i)^\s*(?:[+>~]|-\s|\*\s|w/\s?|with\s|no\s|sans\s|ohne\s|mit\s|sin\s|con\s|extra\s|add\s|sub\s)`)
	reSep       = regexp.MustCompile(`^\s*[-=*_.~#]{3,}\s*$`)
)

// builtinClassify reads one line the way most tills print it. section tells
// where we are: before the first total line, items and their adjustments;
// after it, tax, tenders and change.
func builtinClassify(line string, mf moneyFormat, afterTotal bool) info {
	in := info{indent: len(line) - len(strings.TrimLeft(line, " "))}
	if reSep.MatchString(line) || strings.TrimSpace(line) == "" {
		return in
	}
	head, v, ok := mf.trailing(line)
	in.amount, in.has = v, ok
	h := strings.TrimSpace(head)
	in.name = h
	in.marked = reModMark.MatchString(line)
	in.modName = strings.TrimSpace(strings.TrimLeft(h, "+>~-*"))
	if !ok {
		switch {
		case afterTotal:
		case noLetters(h) && reQtyUnit.MatchString(h):
			in.class = cQty
			readQtyUnit(&in, h, mf)
			in.has = false
		case hasLetter(h) && (in.marked || (in.indent >= 2 && in.indent <= 8)):
			in.class = cModifier
			in.name = in.modName
		}
		return in
	}
	if full := strings.TrimSpace(line); !afterTotal && noLetters(full) && reQtyUnit.MatchString(full) {
		// "2 x 4,50": the amount is the unit price, not a line amount
		in.class = cQty
		readQtyUnit(&in, full, mf)
		in.has = false
		return in
	}
	if !hasLetter(h) && !reQtyUnit.MatchString(h) {
		return in // an amount with no words: nothing we can name
	}
	switch {
	case reSubtotal.MatchString(h):
		in.class = cSubtotal
	case reNet.MatchString(h):
		in.class = cNet
	case reNotTotal.MatchString(h) && reTax.MatchString(h):
		in.class = cTax
		taxInfo(&in, h)
	case reNotTotal.MatchString(h):
		in.class = cNone
	case reTotal.MatchString(h):
		in.class = cTotal
	case reChange.MatchString(h) && afterTotal:
		in.class = cChange
	case reTip.MatchString(h):
		in.class = cTip
	case reTax.MatchString(h) && (afterTotal || !hasItemWords(h)):
		in.class = cTax
		taxInfo(&in, h)
	case reRound.MatchString(h):
		if v < 0 {
			in.class, in.amount = cDiscount, -v
		} else {
			in.class = cService
		}
	case reDisc.MatchString(h) && !afterTotal:
		in.class = cDiscount
		in.amount = abs(v)
		if m := rePct.FindStringSubmatch(h); m != nil {
			in.percent = strings.ReplaceAll(m[1], ",", ".")
		}
	case reSvc.MatchString(h) && !afterTotal:
		in.class = cService
	case reNumDate.MatchString(h) || reISODate.MatchString(h):
		// "Datum 03.12.2026 10.15": a date and a time, not an amount
	case afterTotal:
		for _, t := range tenders {
			if t.re.MatchString(h) {
				in.class, in.method = cTender, t.method
				break
			}
		}
		for k, t := range tenders {
			if in.class != cTender && tenderAny[k].MatchString(h) {
				in.class, in.method = cTender, t.method
			}
		}
		if in.class == cTender {
			if m := reLast4.FindStringSubmatch(line); m != nil {
				in.last4 = m[1]
			}
			if m := reBrand.FindStringSubmatch(h); m != nil {
				in.brand = strings.ToUpper(m[1])
			}
		}
	default:
		if !hasLetter(h) || (noLetters(h) && reQtyUnit.MatchString(h)) {
			in.class = cQty
			readQtyUnit(&in, h, mf)
			return in
		}
		in.class = cItem
		readItem(&in, h, mf)
	}
	return in
}

// noLetters reports whether s holds no words but units ("0,824 kg x 1,99 EUR/kg").
func noLetters(s string) bool { return !hasLetter(reUnitWords.ReplaceAllString(s, "")) }

func hasLetter(s string) bool {
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && r != '€' && r != '£' && r != '×' {
			return true
		}
	}
	return false
}

// hasItemWords: a line such as "Tax free bag" is an item, not tax. Without
// a percentage or a tax word at the start, a line before the total that
// merely contains "tax" is taken as an item.
func hasItemWords(h string) bool {
	return !rePct.MatchString(h) && !reTaxStart.MatchString(h)
}

var reTaxStart = kw(`sales tax`, `tax`, `vat`, `mwst`, `ust`, `tva`, `iva`, `gst`, `hst`, `pst`)

func taxInfo(in *info, h string) {
	if m := rePct.FindStringSubmatch(h); m != nil {
		in.percent = strings.ReplaceAll(m[1], ",", ".")
	}
	in.incl = reIncl.MatchString(h)
}

// readItem splits an item head into quantity, name and unit price.
func readItem(in *info, h string, mf moneyFormat) {
	if m := reQtyUnit.FindStringSubmatchIndex(h); m != nil {
		if u, ok := mf.parse(h[m[4]:m[5]]); ok {
			if q, err := model.ParseQuantity(strings.ReplaceAll(h[m[2]:m[3]], ",", ".")); err == nil && q > 0 {
				name := strings.TrimSpace(h[:m[0]])
				if hasLetter(name) {
					in.qty, in.unit, in.hasUnit, in.name = q, u, true, name
					return
				}
			}
		}
	}
	if m := reQtyPre.FindStringSubmatch(h); m != nil {
		if q, err := model.ParseQuantity(strings.ReplaceAll(m[1], ",", ".")); err == nil && q > 0 {
			in.qty, in.name = q, strings.TrimSpace(m[2])
		}
	} else if m := reQtyInt.FindStringSubmatch(h); m != nil {
		// "2 Coffee 6.00", but not "12 oz Latte 4.50": a bare leading number
		// is a quantity only when the amount divides by it
		if q, err := model.ParseQuantity(m[1]); err == nil && q > 0 && divides(in.amount, q) {
			in.qty, in.name = q, strings.TrimSpace(m[2])
		}
	}
	// a unit price column: "Latte  2  4.50  9.00" or "Latte 4.50 9.00"
	if as := mf.amounts(in.name); len(as) > 0 {
		a := as[len(as)-1]
		if strings.TrimSpace(in.name[a.end:]) == "" && a.v > 0 {
			rest := strings.TrimSpace(in.name[:a.start])
			q := in.qty
			if f := strings.Fields(rest); len(f) > 0 && q == 0 {
				if n, err := model.ParseQuantity(f[len(f)-1]); err == nil && n > 0 && !strings.Contains(f[len(f)-1], ",") {
					if g, ok := model.MulQty(a.v, n); ok && g == abs(in.amount) {
						q, rest = n, strings.TrimSpace(strings.TrimSuffix(rest, f[len(f)-1]))
					}
				}
			}
			if q == 0 && abs(in.amount)%a.v == 0 && abs(in.amount)/a.v <= 999 {
				q = model.Q(abs(in.amount) / a.v)
			}
			for _, suf := range []string{" @", " x", " X", " *", " ×", " à", " a"} {
				rest = strings.TrimSpace(strings.TrimSuffix(rest, suf))
			}
			if q != 0 && hasLetter(rest) {
				if g, ok := model.MulQty(a.v, q); ok && g == abs(in.amount) {
					in.qty, in.unit, in.hasUnit, in.name = q, a.v, true, rest
				}
			}
		}
	}
}

// readQtyUnit reads a quantity line "2 x 4,50" or "0,524 kg x 12,90 €/kg".
func readQtyUnit(in *info, h string, mf moneyFormat) {
	m := reQtyUnit.FindStringSubmatch(h)
	if m == nil {
		in.class = cNone
		return
	}
	q, err := model.ParseQuantity(strings.ReplaceAll(m[1], ",", "."))
	u, ok := mf.parse(m[2])
	if err != nil || !ok || q <= 0 {
		in.class = cNone
		return
	}
	in.qty, in.unit, in.hasUnit = q, u, true
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func divides(amount int64, q model.Quantity) bool {
	_, ok := divQty(abs(amount), q)
	return ok
}
