package escpos

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// unprintable is what the encoder prints for a character that no code page
// of the profile has and that has no readable ASCII spelling (CJK, emoji).
// It is deliberately not '?', so that a '?' on paper always was a '?'.
const unprintable = "_"

// translit spells characters in ASCII when the printer has no code page
// containing them. Characters that decompose into an ASCII letter plus
// accents (é, ő, ș) need no entry: fallback strips the accents.
var translit = map[rune]string{
	// Currency.
	'€': "EUR", '£': "GBP", '¥': "YEN", '¢': "c", '¤': "$", 'ƒ': "f",
	'₹': "Rs", '₽': "RUB", '₩': "W", '₪': "NIS", '₫': "d", '₴': "UAH",
	'₱': "PHP", '₺': "TL", '฿': "B", '₦': "N", '₡': "C", '₲': "G",
	'₵': "GHS", '₸': "T", '₼': "AZN", '₾': "GEL", '₧': "Pts", '₣': "F",
	'₤': "L", '₭': "K", '₮': "T", '₨': "Rs",

	// Punctuation and symbols.
	'‘': "'", '’': "'", '‚': "'", '‛': "'", '′': "'", '´': "'",
	'“': `"`, '”': `"`, '„': `"`, '‟': `"`, '″': `"`,
	'«': "<<", '»': ">>", '‹': "<", '›': ">",
	'‐': "-", '‑': "-", '‒': "-", '–': "-", '—': "-", '―': "-", '−': "-",
	'…': "...", '•': "*", '●': "*", '▪': "*", '·': ".", '‧': ".",
	'™': "(TM)", '©': "(C)", '®': "(R)", '°': "o", '±': "+/-",
	'×': "x", '÷': "/", '½': "1/2", '¼': "1/4", '¾': "3/4",
	'¹': "1", '²': "2", '³': "3", 'µ': "u", '§': "S.", '¶': "P.",
	'¡': "!", '¦': "|", '¬': "-", '¯': "-", 'ª': "a", 'º': "o",
	'№': "No.", '‰': "o/oo", '†': "+", '‡': "++", '⁄': "/", '∙': ".",
	'≤': "<=", '≥': ">=", '≠': "!=", '≈': "~", '→': "->", '←': "<-",
	'✓': "v", '✔': "v", '✗': "x", '✘': "x", '★': "*", '☆': "*",

	// Letters without a decomposition.
	'ß': "ss", 'ẞ': "SS", 'æ': "ae", 'Æ': "AE", 'œ': "oe", 'Œ': "OE",
	'ø': "o", 'Ø': "O", 'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D",
	'ð': "d", 'Ð': "D", 'þ': "th", 'Þ': "Th", 'ı': "i", 'ŀ': "l",
	'Ŀ': "L", 'ĸ': "k", 'ŋ': "n", 'Ŋ': "N", 'ſ': "s", 'ĳ': "ij",
	'Ĳ': "IJ", 'ħ': "h", 'Ħ': "H", 'ŧ': "t", 'Ŧ': "T",

	// Cyrillic (simple practical romanisation).
	'А': "A", 'Б': "B", 'В': "V", 'Г': "G", 'Д': "D", 'Е': "E", 'Ё': "Yo",
	'Ж': "Zh", 'З': "Z", 'И': "I", 'Й': "Y", 'К': "K", 'Л': "L", 'М': "M",
	'Н': "N", 'О': "O", 'П': "P", 'Р': "R", 'С': "S", 'Т': "T", 'У': "U",
	'Ф': "F", 'Х': "Kh", 'Ц': "Ts", 'Ч': "Ch", 'Ш': "Sh", 'Щ': "Shch",
	'Ъ': "", 'Ы': "Y", 'Ь': "", 'Э': "E", 'Ю': "Yu", 'Я': "Ya",
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "yo",
	'ж': "zh", 'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m",
	'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
	'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
	'Є': "Ye", 'є': "ye", 'І': "I", 'і': "i", 'Ї': "Yi", 'ї': "yi",
	'Ґ': "G", 'ґ': "g", 'Ў': "U", 'ў': "u", 'Ђ': "Dj", 'ђ': "dj",
	'Ј': "J", 'ј': "j", 'Љ': "Lj", 'љ': "lj", 'Њ': "Nj", 'њ': "nj",
	'Ћ': "C", 'ћ': "c", 'Џ': "Dz", 'џ': "dz", 'Ѕ': "Dz", 'ѕ': "dz",

	// Greek.
	'Α': "A", 'Β': "V", 'Γ': "G", 'Δ': "D", 'Ε': "E", 'Ζ': "Z", 'Η': "I",
	'Θ': "Th", 'Ι': "I", 'Κ': "K", 'Λ': "L", 'Μ': "M", 'Ν': "N", 'Ξ': "X",
	'Ο': "O", 'Π': "P", 'Ρ': "R", 'Σ': "S", 'Τ': "T", 'Υ': "Y", 'Φ': "F",
	'Χ': "Ch", 'Ψ': "Ps", 'Ω': "O",
	'α': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "i",
	'θ': "th", 'ι': "i", 'κ': "k", 'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x",
	'ο': "o", 'π': "p", 'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t", 'υ': "y",
	'φ': "f", 'χ': "ch", 'ψ': "ps", 'ω': "o",
}

// appendFallback appends to dst the ASCII text printed for r when no code
// page of the profile has it, and reports whether anything visible was lost
// or replaced (false only for invisible characters such as zero-width
// spaces and lone combining marks, which are dropped). It never appends
// '?'.
func appendFallback(dst []byte, r rune) ([]byte, bool) {
	if t, ok := translit[r]; ok {
		return append(dst, t...), true
	}
	switch {
	case r == utf8.RuneError:
		return append(dst, unprintable...), true
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || unicode.Is(unicode.Cf, r):
		return dst, false // combining marks, zero-width joiners, BOM, bidi marks
	case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
		return append(dst, ' '), false
	case unicode.IsControl(r):
		return dst, false
	}
	var src, tmp [utf8.UTFMax]byte
	n := utf8.EncodeRune(src[:], r)
	// Strip accents: NFD splits ė into e + U+0307; keep the base letters.
	if d := norm.NFD.Append(tmp[:0], src[:n]...); string(d) != string(src[:n]) {
		start := len(dst)
		for _, c := range string(d) {
			switch {
			case unicode.Is(unicode.Mn, c):
			case c >= 0x20 && c < 0x7f:
				dst = append(dst, byte(c))
			default:
				if t, ok := translit[c]; ok {
					dst = append(dst, t...)
				} else {
					dst = append(dst, unprintable...)
				}
			}
		}
		if len(dst) > start {
			return dst, true
		}
	}
	// Compatibility forms: full-width Latin, ligatures (ﬁ), superscripts.
	var big [32]byte
	if k := norm.NFKD.Append(big[:0], src[:n]...); string(k) != string(src[:n]) {
		start := len(dst)
		for _, c := range string(k) {
			switch {
			case unicode.Is(unicode.Mn, c):
			case c >= 0x20 && c < 0x7f && c != '?':
				dst = append(dst, byte(c))
			default:
				return append(dst[:start], unprintable...), true
			}
		}
		if len(dst) > start {
			return dst, true
		}
	}
	return append(dst, unprintable...), true
}
