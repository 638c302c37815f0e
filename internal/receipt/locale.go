package receipt

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auraconnect/aura-edge/internal/model"
)

// DefaultLocale is used when the config names none.
const DefaultLocale = "en-US"

// Locale formats money, percentages and times the way one country writes
// them. Build it with ParseLocale; the zero value is not usable.
type Locale struct {
	tag    string // canonical, e.g. "de-DE"
	region string // e.g. "DE"; decides "$" versus "US$"
	f      format
}

// format is one row of the locale table.
type format struct {
	dec, group string
	// symFirst puts the currency symbol before the number ($4.50), else
	// after it (4,50 €).
	symFirst bool
	// space separates symbol and number (€ 4,50, 4,50 €, R$ 4,50).
	space bool
	// date is the time.Format layout for the order time.
	date string
}

const (
	dateUS  = "01/02/2006 3:04 PM"
	dateDMY = "02/01/2006 15:04"
	dateISO = "2006-01-02 15:04"
	dateDE  = "02.01.2006 15:04"
	dateNL  = "02-01-2006 15:04"
	dateJP  = "2006/01/02 15:04"
)

// locales is the table of known locales. A bare language ("de") maps to
// the first entry of its language in defaults.
var locales = map[string]format{
	"en-US": {".", ",", true, false, dateUS},
	"en-CA": {".", ",", true, false, dateISO},
	"en-GB": {".", ",", true, false, dateDMY},
	"en-IE": {".", ",", true, false, dateDMY},
	"en-AU": {".", ",", true, false, dateDMY},
	"en-NZ": {".", ",", true, false, dateDMY},
	"de-DE": {",", ".", false, true, dateDE},
	"de-AT": {",", ".", true, true, dateDE},
	"de-CH": {".", "'", true, true, dateDE},
	"fr-FR": {",", " ", false, true, dateDMY},
	"fr-BE": {",", " ", false, true, dateDMY},
	"fr-CA": {",", " ", false, true, dateISO},
	"fr-CH": {".", " ", true, true, dateDE},
	"es-ES": {",", ".", false, true, dateDMY},
	"es-MX": {".", ",", true, false, dateDMY},
	"it-IT": {",", ".", false, true, dateDMY},
	"nl-NL": {",", ".", true, true, dateNL},
	"nl-BE": {",", ".", true, true, dateDMY},
	"pt-PT": {",", " ", false, true, dateDMY},
	"pt-BR": {",", ".", true, true, dateDMY},
	"ja-JP": {".", ",", true, false, dateJP},
	"zh-CN": {".", ",", true, false, dateJP},
	"sv-SE": {",", " ", false, true, dateISO},
	"da-DK": {",", ".", false, true, dateDE},
	"nb-NO": {",", " ", false, true, dateDE},
	"fi-FI": {",", " ", false, true, dateDE},
	"pl-PL": {",", " ", false, true, dateDE},
}

// defaults maps a bare language to its default locale.
var defaults = map[string]string{
	"en": "en-US", "de": "de-DE", "fr": "fr-FR", "es": "es-ES", "it": "it-IT",
	"nl": "nl-NL", "pt": "pt-PT", "ja": "ja-JP", "zh": "zh-CN", "sv": "sv-SE",
	"da": "da-DK", "nb": "nb-NO", "no": "nb-NO", "fi": "fi-FI", "pl": "pl-PL",
}

// Locales returns the locales with their own format, sorted. Other regions
// of these languages ("de-LU") use their language's format.
func Locales() []string {
	out := make([]string, 0, len(locales))
	for k := range locales {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ParseLocale parses a locale such as "en-US", "de_DE" or "de". An empty
// string means DefaultLocale. A known language with another region
// ("de-LU") formats like the language's default locale but keeps its
// region for currency symbols. Anything else returns an error wrapping
// ErrUnknownLocale.
func ParseLocale(s string) (*Locale, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = DefaultLocale
	}
	lang, region, _ := strings.Cut(strings.ReplaceAll(s, "_", "-"), "-")
	lang = strings.ToLower(lang)
	region, _, _ = strings.Cut(region, ".") // de_DE.UTF-8
	region = strings.ToUpper(region)
	if f, ok := locales[lang+"-"+region]; ok {
		return &Locale{tag: lang + "-" + region, region: region, f: f}, nil
	}
	def, ok := defaults[lang]
	if !ok {
		return nil, fmt.Errorf("locale %q (known: %s): %w", s, strings.Join(Locales(), ", "), ErrUnknownLocale)
	}
	if region != "" && (len(region) != 2 || strings.Trim(region, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		return nil, fmt.Errorf("locale %q: region must be two letters: %w", s, ErrUnknownLocale)
	}
	l := &Locale{tag: def, region: def[len(def)-2:], f: locales[def]}
	if region != "" {
		l.tag, l.region = lang+"-"+region, region
	}
	return l, nil
}

// String returns the locale tag, e.g. "de-DE".
func (l *Locale) String() string { return l.tag }

// symbol is a currency's sign and the region where the bare sign is
// unambiguous ("" for everywhere); elsewhere intl is used.
type symbol struct {
	sign, home, intl string
}

var symbols = map[string]symbol{
	"USD": {"$", "US", "US$"},
	"CAD": {"$", "CA", "CA$"},
	"AUD": {"$", "AU", "A$"},
	"NZD": {"$", "NZ", "NZ$"},
	"MXN": {"$", "MX", "MX$"},
	"BRL": {"R$", "", ""},
	"EUR": {"€", "", ""},
	"GBP": {"£", "", ""},
	"JPY": {"¥", "", ""},
	"CNY": {"¥", "CN", "CN¥"},
	"CHF": {"CHF", "", ""},
	"SEK": {"kr", "SE", "SEK"},
	"NOK": {"kr", "NO", "NOK"},
	"DKK": {"kr.", "DK", "DKK"},
	"PLN": {"zł", "PL", "PLN"},
	"INR": {"₹", "", ""},
	"KRW": {"₩", "", ""},
}

// Symbol returns how the locale writes currency code: "$" for USD in the
// US, "US$" in Canada, "€" for EUR, the ISO code for currencies without a
// symbol here.
func (l *Locale) Symbol(code string) string {
	s, ok := symbols[code]
	if !ok {
		return code
	}
	if s.home != "" && s.home != l.region {
		return s.intl
	}
	return s.sign
}

// Money formats m in the locale: $4.50, -$4.50, $1,234.50 (en-US);
// 4,50 €, 1.234,50 € (de-DE); ¥450 (JPY has no minor unit). The digits come
// from the amount in minor units and model.MinorDigits, never from a float.
func (l *Locale) Money(m model.Money) string {
	return string(l.AppendMoney(nil, m))
}

// AppendMoney appends Money(m) to b.
func (l *Locale) AppendMoney(b []byte, m model.Money) []byte {
	sym := l.Symbol(m.Currency)
	space := l.f.space || endsInLetter(sym, l.f.symFirst)
	if m.Amount < 0 {
		b = append(b, '-')
	}
	if l.f.symFirst {
		b = append(b, sym...)
		if space {
			b = append(b, ' ')
		}
	}
	b = l.appendNumber(b, m.Amount, minorDigits(m.Currency))
	if !l.f.symFirst {
		if space {
			b = append(b, ' ')
		}
		b = append(b, sym...)
	}
	return b
}

// digitsCache remembers model.MinorDigits per currency code; looking a
// code up in x/text costs more than formatting the amount.
var digitsCache sync.Map // string -> int

func minorDigits(code string) int {
	if d, ok := digitsCache.Load(code); ok {
		return d.(int)
	}
	d := model.MinorDigits(code)
	if len(code) == 3 {
		digitsCache.Store(code, d)
	}
	return d
}

// endsInLetter reports whether the side of sym next to the number is a
// letter (CHF 4.50, 4.50 USD), which always takes a space.
func endsInLetter(sym string, first bool) bool {
	if sym == "" {
		return false
	}
	c := sym[0]
	if first {
		c = sym[len(sym)-1]
	}
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// appendNumber appends |amount| with digits decimals, grouped by three.
func (l *Locale) appendNumber(b []byte, amount int64, digits int) []byte {
	u := uint64(amount)
	if amount < 0 {
		u = uint64(-amount) // math.MinInt64 wraps to itself, which uint64 reads correctly
	}
	var tmp [24]byte
	s := strconv.AppendUint(tmp[:0], u, 10)
	for len(s) <= digits {
		s = append([]byte{'0'}, s...)
	}
	intPart, frac := s[:len(s)-digits], s[len(s)-digits:]
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b = append(b, l.f.group...)
		}
		b = append(b, c)
	}
	if digits > 0 {
		b = append(b, l.f.dec...)
		b = append(b, frac...)
	}
	return b
}

// Percent writes a percentage given as a decimal string ("8.875", "19")
// with the locale's decimal separator and the sign right after the number
// in every locale, which suits narrow paper: "8.875%", "19%", "7,5%".
func (l *Locale) Percent(p string) string {
	p = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(p), "%"))
	if p == "" {
		return ""
	}
	if l.f.dec != "." {
		p = strings.Replace(p, ".", l.f.dec, 1)
	}
	return p + "%"
}

// Time formats t (already in the wanted zone) as the locale writes dates
// and times: 08/14/2026 12:31 PM (en-US), 14.08.2026 12:31 (de-DE).
func (l *Locale) Time(t time.Time) string { return t.Format(l.f.date) }
