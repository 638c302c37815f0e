package escpos

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text prints s in the current style. '\n' ends a line, '\t' prints as a
// space, and other control characters are dropped, so text can never
// smuggle commands to the printer.
//
// Each character is sent in a code page of the profile that contains it:
// the current page if it has the character, otherwise the page (chosen
// with a look-ahead) that also covers the most of the characters that
// follow, selected with ESC t n (ESC GS t n on Star). Characters that no
// page of the profile has are spelled in ASCII: "EUR" for €, accents
// stripped (ė -> e), curly quotes straightened, Cyrillic and Greek
// romanised, and '_' for what has no spelling (CJK, emoji). The encoder
// never prints '?' or the SUB byte for a character it cannot encode.
func (e *Encoder) Text(s string) {
	s = composed(s)
	i := 0
	for i < len(s) {
		// Fast path: a run of printable ASCII.
		j := i
		for j < len(s) && s[j] >= 0x20 && s[j] < 0x7f {
			j++
		}
		if j > i {
			e.buf = append(e.buf, s[i:j]...)
			e.midLine = true
			i = j
			if i == len(s) {
				break
			}
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			e.textSlow(s[i:])
			break
		}
		e.asciiControl(c)
		i++
	}
	e.commit()
}

func (e *Encoder) asciiControl(c byte) {
	switch c {
	case '\n':
		e.buf = append(e.buf, lf)
		e.midLine = false
	case '\t':
		e.buf = append(e.buf, ' ')
		e.midLine = true
	}
	// Other C0 controls and DEL are dropped.
}

// textSlow handles text from its first non-ASCII byte on.
func (e *Encoder) textSlow(s string) {
	t := e.p.table()
	cur := cursor{t: t}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r < utf8.RuneSelf {
			cur.inWord = false
		}
		switch {
		case r >= 0x20 && r < 0x7f:
			e.buf = append(e.buf, byte(r))
			e.midLine = true
			continue
		case r < utf8.RuneSelf:
			e.asciiControl(byte(r))
			continue
		case r == utf8.RuneError && size == 1:
			e.buf = append(e.buf, unprintable...) // invalid UTF-8
			e.midLine = true
			e.substituted++
			continue
		case unicode.Is(unicode.Zs, r):
			e.buf = append(e.buf, ' ') // NBSP, thin space: no page switch for a blank
			e.midLine = true
			cur.inWord = false
			continue
		}
		if m := t.coverage(r); cur.exact(r, m, s[i-size:]) {
			if e.page < 0 || m&(1<<e.page) == 0 {
				e.selectPage(t.choose(m, s[i:]))
			}
			e.buf = append(e.buf, t.pages[e.page].c.enc[r])
			e.midLine = true
			continue
		}
		n := len(e.buf)
		var sub bool
		if e.buf, sub = appendFallback(e.buf, r); sub {
			e.substituted++
		}
		if len(e.buf) > n {
			e.midLine = true
		}
	}
}

// selectPage switches to p.pages[i] with ESC t n (ESC GS t n on Star).
func (e *Encoder) selectPage(i int) {
	n := byte(e.p.table().pages[i].n)
	if e.p.Features.StarCommands {
		e.buf = append(e.buf, esc, gs, 't', n)
	} else {
		e.buf = append(e.buf, esc, 't', n)
	}
	e.page = i
}

// Printable returns s as the profile will print it: characters some code
// page has are kept, the rest replaced by their ASCII spelling (see
// Encoder.Text), control characters other than '\n' dropped and tabs made
// spaces. Every rune of the result takes one column, so receipt layout can
// measure and truncate it with utf8.RuneCountInString.
func (p *Profile) Printable(s string) string {
	out, _ := p.printable(s)
	return out
}

// TextWidth returns how many columns s takes when printed at normal width.
func (p *Profile) TextWidth(s string) int {
	return utf8.RuneCountInString(p.Printable(s))
}

// width returns the columns s takes, like TextWidth, without building the
// printable string (newlines count as one column).
func (p *Profile) width(s string) int {
	if !hasSpecial(s) {
		return len(s)
	}
	_, cells, _ := p.walk(s, false)
	return cells
}

func (p *Profile) printable(s string) (string, int) {
	if !hasSpecial(s) {
		return s, 0
	}
	out, _, subst := p.walk(s, true)
	return out, subst
}

// hasSpecial reports whether s has anything but printable ASCII.
func hasSpecial(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return true
		}
	}
	return false
}

// walk applies the encoder's per-character decisions to s and returns the
// printable text (when build is set), its width in columns and the number
// of substituted characters.
func (p *Profile) walk(s string, build bool) (string, int, int) {
	s = composed(s)
	var b strings.Builder
	if build {
		b.Grow(len(s))
	}
	cells, subst := 0, 0
	put := func(r rune) {
		cells++
		if build {
			b.WriteRune(r)
		}
	}
	t := p.table()
	cur := cursor{t: t}
	var fb []byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r < utf8.RuneSelf {
			cur.inWord = false
		}
		switch {
		case r >= 0x20 && r < 0x7f, r == '\n':
			put(r)
		case r == '\t':
			put(' ')
		case r < utf8.RuneSelf:
		case r == utf8.RuneError && size == 1:
			put('_')
			subst++
		case unicode.Is(unicode.Zs, r):
			put(' ')
			cur.inWord = false
		case cur.exact(r, t.coverage(r), s[i-size:]):
			put(r)
		default:
			var sub bool
			if fb, sub = appendFallback(fb[:0], r); sub {
				subst++
			}
			for _, c := range fb {
				put(rune(c))
			}
		}
	}
	return b.String(), cells, subst
}

// LeftRight prints one line with left flush left and right flush right in
// the current font and width, truncating left if both do not fit. It is
// the usual "2 x Burger ........ 12.00" receipt line.
func (e *Encoder) LeftRight(left, right string) {
	cols := e.Columns()
	if strings.Contains(left, "\n") {
		left = strings.ReplaceAll(left, "\n", " ")
	}
	if strings.Contains(right, "\n") {
		right = strings.ReplaceAll(right, "\n", " ")
	}
	lw, rw := e.p.width(left), e.p.width(right)
	if rw > cols {
		right, rw = e.cut(right, cols), cols
	}
	if lw+rw+1 > cols {
		room := max(cols-rw-1, 0)
		left, lw = e.cut(left, room), room
	}
	e.Text(left)
	for range cols - lw - rw {
		e.buf = append(e.buf, ' ')
	}
	e.Text(right)
	e.LineFeed()
}

// cut returns the printable form of s truncated to n columns, counting the
// substitutions it makes.
func (e *Encoder) cut(s string, n int) string {
	p, subst := e.p.printable(s)
	e.substituted += subst
	return truncate(p, n)
}

// truncate returns the first n runes of s.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// composed returns s in NFC, so that decomposed accents (e + U+0301, as
// macOS and some POS systems send them) become the precomposed letters code
// pages contain. Checking for NFC costs more than encoding a line, so it is
// done only when s has a combining mark: U+0300-036F (UTF-8 lead bytes CC
// and CD), U+1DC0-1DFF, U+20D0-20FF or U+FE20-FE2F.
func composed(s string) string {
	if !hasCombining(s) || norm.NFC.QuickSpanString(s) == len(s) {
		return s
	}
	return norm.NFC.String(s)
}

func hasCombining(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0xcc:
		case c == 0xcc || c == 0xcd:
			return true
		case i+1 < len(s):
			c1 := s[i+1]
			if (c == 0xe1 && c1 == 0xb7) || (c == 0xe2 && c1 == 0x83 && i+2 < len(s) && s[i+2] >= 0x90) ||
				(c == 0xef && c1 == 0xb8 && i+2 < len(s) && s[i+2] >= 0xa0 && s[i+2] <= 0xaf) {
				return true
			}
		}
	}
	return false
}
