package parse

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	reISODate = regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?`)
	reNumDate = regexp.MustCompile(`\b(\d{1,2})([./-])(\d{1,2})([./-])(\d{4}|\d{2})\b`)
	reTime    = regexp.MustCompile(`\b(\d{1,2})[:hH](\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?(?:$|[^\d])`)
	reMonDate = regexp.MustCompile(`(?i)\b(?:(\d{1,2})\.?\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|janv|févr|fevr|mars|avr|mai|juin|juil|août|aout|sept|déc|dez|mär|okt|ene|abr|ago|dic)[\pL]*\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})\b`)
)

var monthNames = map[string]time.Month{
	"jan": 1, "janv": 1, "ene": 1, "feb": 2, "févr": 2, "fevr": 2, "mar": 3, "mars": 3, "mär": 3, "apr": 4, "avr": 4, "abr": 4,
	"may": 5, "mai": 5, "jun": 6, "juin": 6, "jul": 7, "juil": 7, "aug": 8, "août": 8, "aout": 8, "ago": 8,
	"sep": 9, "sept": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12, "déc": 12, "dez": 12, "dic": 12,
}

// findDateTime finds the first printed date in lines and the time printed
// with it (on the same line, or failing that the first time anywhere).
// monthFirst reads 03/12/2026 as March 12 (US tills).
func findDateTime(lines []string, monthFirst bool, loc *time.Location) time.Time {
	for i, l := range lines {
		if !strings.ContainsAny(l, "0123456789") {
			continue
		}
		y, mo, d, ok := 0, time.Month(0), 0, false
		rest := l
		if m := reISODate.FindStringSubmatchIndex(l); m != nil {
			y, _ = strconv.Atoi(l[m[2]:m[3]])
			n, _ := strconv.Atoi(l[m[4]:m[5]])
			mo = time.Month(n)
			d, _ = strconv.Atoi(l[m[6]:m[7]])
			ok = true
			if m[8] >= 0 {
				rest = l[m[8]:]
			} else {
				rest = l[m[1]:]
			}
		} else if m := reNumDate.FindStringSubmatchIndex(l); m != nil && l[m[4]:m[5]] == l[m[8]:m[9]] {
			a, _ := strconv.Atoi(l[m[2]:m[3]])
			b, _ := strconv.Atoi(l[m[6]:m[7]])
			y, _ = strconv.Atoi(l[m[10]:m[11]])
			if y < 100 {
				y += 2000
			}
			if (monthFirst && a <= 12) || b > 12 {
				a, b = b, a
			}
			d, mo, ok, rest = a, time.Month(b), true, l[m[1]:]
		} else if m := reMonDate.FindStringSubmatchIndex(l); m != nil && (m[2] >= 0) != (m[6] >= 0) {
			mo = monthNames[strings.ToLower(l[m[4]:m[5]])]
			if m[2] >= 0 {
				d, _ = strconv.Atoi(l[m[2]:m[3]])
			} else {
				d, _ = strconv.Atoi(l[m[6]:m[7]])
			}
			y, _ = strconv.Atoi(l[m[8]:m[9]])
			ok, rest = mo != 0, l[m[1]:]
		}
		if !ok || mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1990 || y > 2100 {
			continue
		}
		hh, mm, ss, tok := findTime(rest)
		if !tok {
			hh, mm, ss, tok = findTime(l)
		}
		for j := 0; !tok && j < len(lines); j++ {
			if j != i {
				hh, mm, ss, tok = findTime(lines[j])
			}
		}
		t := time.Date(y, mo, d, hh, mm, ss, 0, loc)
		if t.Day() != d {
			continue // 31.02.
		}
		return t
	}
	return time.Time{}
}

func findTime(s string) (h, m, sec int, ok bool) {
	for _, x := range reTime.FindAllStringSubmatch(s, -1) {
		h, _ = strconv.Atoi(x[1])
		m, _ = strconv.Atoi(x[2])
		if x[3] != "" {
			sec, _ = strconv.Atoi(x[3])
		}
		switch strings.ToLower(x[4]) {
		case "p":
			if h < 12 {
				h += 12
			}
		case "a":
			if h == 12 {
				h = 0
			}
		}
		if h < 24 && m < 60 && sec < 60 {
			return h, m, sec, true
		}
	}
	return 0, 0, 0, false
}

// reNumber finds a receipt number: a receipt word, then the number (which
// holds at least one digit).
var reNumber = regexp.MustCompile(`(?i)(?:^|[^\pL])(?:receipt|rcpt|bon|beleg|rechnung|quittung|ticket|tkt|factura|facture|fact\.|invoice|inv\.?|order|check|chk|trans(?:action)?|trx|txn|folio|n°|nº|no\.|nr\.|num\.?|#)(?:\s+\pL{3,}\s*:)?[\s.-]*(?:n[°ºo]\.?|nr\.?|no\.?|#|number|num\.?|nummer|numéro|número|id)?\s*[:#.]?\s*([A-Z]{0,4}[-/]?\d[\w/-]*)`)

// reTaxID marks lines with tax, company or phone numbers, which are not
// receipt numbers.
var reTaxID = regexp.MustCompile(`(?i)(?:st\.?-?nr|steuer|ust-?id|vat|tva|siret|siren|nif|cif|tel|phone|fax|tax id|ein|ruc|rfc)`)

func findNumber(lines []string) string {
	for _, l := range lines {
		if !strings.ContainsAny(l, "0123456789") || reTaxID.MatchString(l) {
			continue
		}
		if m := reNumber.FindStringSubmatch(l); m != nil {
			if strings.ContainsAny(m[1], "0123456789") && !reNumDate.MatchString(m[1]) {
				return m[1]
			}
		}
	}
	return ""
}
