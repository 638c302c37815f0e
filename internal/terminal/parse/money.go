package parse

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/auraconnect/aura-edge/internal/model"
)

// moneyFormat says how amounts are written. The zero value accepts both
// 1.234,56 and 1,234.56: the last separator followed by exactly the
// currency's minor digits is the decimal point.
type moneyFormat struct {
	Decimal   byte // '.' or ','; 0 = either
	Thousands byte // 0 = '.', ',', '\'' or a thin space, whichever is not the decimal
	Digits    int  // minor digits
}

// field is one whitespace-separated word of a line, with its byte offsets.
type field struct {
	s          string
	start, end int
}

func fields(s string) []field {
	var out []field
	start := -1
	for i, r := range s {
		if unicode.IsSpace(r) {
			if start >= 0 {
				out = append(out, field{s[start:i], start, i})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, field{s[start:], start, len(s)})
	}
	return out
}

var currencyWords = map[string]string{
	"€": "EUR", "EUR": "EUR", "$": "USD", "USD": "USD", "US$": "USD", "£": "GBP", "GBP": "GBP",
	"CHF": "CHF", "Fr.": "CHF", "CAD": "CAD", "AUD": "AUD", "C$": "CAD", "A$": "AUD",
	"¥": "JPY", "JPY": "JPY", "SEK": "SEK", "NOK": "NOK", "DKK": "DKK", "PLN": "PLN", "zł": "PLN", "CZK": "CZK", "Kč": "CZK",
}

// stripSymbols are the currency words parse strips from an amount, longest
// first, so that "12US$" loses "US$" rather than "$" alone (a map's order
// would make that a matter of chance).
var stripSymbols = func() []string {
	var out []string
	for sym := range currencyWords {
		if len(sym) > 1 || sym == "$" {
			out = append(out, sym)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return out
}()

// isCurrencyWord reports whether w is a currency symbol or code on its own.
func isCurrencyWord(w string) bool {
	_, ok := currencyWords[w]
	return ok
}

// parseMoney reads one amount word such as "1.234,56", "-4.50", "4,50-",
// "(3.00)", "€12,50" or "12.50€", returning minor units.
func (f moneyFormat) parse(w string) (int64, bool) {
	neg := false
	// strip currency symbols and signs around the number (none of them
	// starts or ends with a digit: a word with digits at both ends has
	// nothing to strip)
	for w != "" && !(isDigit(w[0]) && isDigit(w[len(w)-1])) {
		old := w
		for _, sym := range stripSymbols {
			w = strings.TrimPrefix(w, sym)
			w = strings.TrimSuffix(w, sym)
		}
		switch {
		case strings.HasPrefix(w, "-"), strings.HasPrefix(w, "−"):
			_, n := utf8.DecodeRuneInString(w)
			w, neg = w[n:], !neg
		case strings.HasSuffix(w, "-") && len(w) > 1:
			w, neg = w[:len(w)-1], !neg
		case strings.HasPrefix(w, "(") && strings.HasSuffix(w, ")") && len(w) > 2:
			w, neg = w[1:len(w)-1], !neg
		case strings.HasPrefix(w, "+"):
			w = w[1:]
		}
		if w == old {
			break
		}
	}
	if w == "" || !isDigit(w[0]) || !isDigit(w[len(w)-1]) {
		return 0, false
	}
	d := f.Digits
	intPart, frac := w, ""
	if d > 0 {
		if len(w) < d+2 {
			return 0, false
		}
		sep := w[len(w)-d-1]
		if sep != '.' && sep != ',' {
			return 0, false
		}
		if f.Decimal != 0 && sep != f.Decimal {
			return 0, false
		}
		intPart, frac = w[:len(w)-d-1], w[len(w)-d:]
		for i := 0; i < len(frac); i++ {
			if !isDigit(frac[i]) {
				return 0, false
			}
		}
		if strings.IndexByte(intPart, sep) >= 0 {
			return 0, false // "1.234.56": the decimal point twice
		}
	}
	// the integer part: digits with optional thousands groups of three
	var digits []byte
	group, sepSeen := 0, byte(0)
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		if isDigit(c) {
			digits = append(digits, c)
			group++
			continue
		}
		thousand := c == '.' || c == ',' || c == '\''
		if f.Thousands != 0 {
			thousand = c == f.Thousands
		}
		if !thousand || (sepSeen != 0 && c != sepSeen) || (sepSeen == 0 && group > 3) || (sepSeen != 0 && group != 3) || group == 0 {
			return 0, false
		}
		sepSeen, group = c, 0
	}
	if len(digits) == 0 || (sepSeen != 0 && group != 3) || len(digits)+len(frac) > 15 {
		return 0, false
	}
	var v int64
	for _, c := range digits {
		v = v*10 + int64(c-'0')
	}
	for i := 0; i < len(frac); i++ {
		v = v*10 + int64(frac[i]-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// amounts returns the money words of a line, joining a lone sign or
// currency word with the number next to it.
type amountAt struct {
	v          int64
	start, end int // byte offsets in the line
}

func (f moneyFormat) amounts(line string) []amountAt {
	fs := fields(line)
	var out []amountAt
	for i := 0; i < len(fs); i++ {
		w := fs[i]
		if strings.HasSuffix(w.s, "%") {
			continue
		}
		v, ok := f.parse(w.s)
		if !ok {
			continue
		}
		start := w.start
		if i > 0 && (fs[i-1].s == "-" || fs[i-1].s == "−") && fs[i-1].end+1 >= w.start {
			v, start = -v, fs[i-1].start
		}
		end := w.end
		if i+1 < len(fs) && (fs[i+1].s == "-") && fs[i+1].start == w.end+1 {
			v, end = -v, fs[i+1].end
			i++
		}
		out = append(out, amountAt{v, start, end})
	}
	return out
}

// trailing returns the amount that ends the line (possibly followed by a
// tax code such as "A", "T", "*", "B*" or a currency word) and the text
// before it.
func (f moneyFormat) trailing(line string) (head string, v int64, ok bool) {
	as := f.amounts(line)
	if len(as) == 0 {
		return line, 0, false
	}
	a := as[len(as)-1]
	rest := strings.Fields(line[a.end:])
	for _, w := range rest {
		if !isTaxCode(w) && !isCurrencyWord(w) {
			return line, 0, false
		}
	}
	head = strings.TrimRight(line[:a.start], " ")
	// a currency word just before the amount belongs to it
	if hf := strings.Fields(head); len(hf) > 0 && isCurrencyWord(hf[len(hf)-1]) {
		head = strings.TrimRight(strings.TrimSuffix(head, hf[len(hf)-1]), " ")
	}
	return head, a.v, true
}

// isTaxCode reports whether w looks like the tax-rate letter tills print
// after an amount ("A", "B", "1", "T", "*", "A*", "N").
func isTaxCode(w string) bool {
	if len(w) > 2 {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= 'A' && c <= 'Z') && !isDigit(c) && c != '*' {
			return false
		}
	}
	return true
}

// guessCurrency finds a currency sign or code in the text.
func guessCurrency(text string) string {
	best, at := "", len(text)+1
	for w, code := range currencyWords {
		if len(w) < 2 && w != "$" {
			continue
		}
		if i := strings.Index(text, w); i >= 0 && (i < at || (i == at && len(code) > 0)) {
			best, at = code, i
		}
	}
	return best
}

func money(v int64, cur string) model.Money { return model.Money{Amount: v, Currency: cur} }
