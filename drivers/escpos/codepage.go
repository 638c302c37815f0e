package escpos

import (
	"math/bits"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// charmaps maps capabilities.json encoding names to single-byte tables of
// golang.org/x/text. Pages missing here and without a "data" table in the
// database (CP737, CP857, CP864, CP932, ...) are never selected.
//
// Hebrew and Arabic pages are mapped, but text is sent in logical order:
// there is no bidi reordering or Arabic shaping.
var charmaps = map[string]*charmap.Charmap{
	"CP437":       charmap.CodePage437,
	"CP850":       charmap.CodePage850,
	"CP852":       charmap.CodePage852,
	"CP855":       charmap.CodePage855,
	"CP858":       charmap.CodePage858,
	"CP860":       charmap.CodePage860,
	"CP862":       charmap.CodePage862,
	"CP863":       charmap.CodePage863,
	"CP865":       charmap.CodePage865,
	"CP866":       charmap.CodePage866,
	"CP874":       charmap.Windows874,
	"CP1250":      charmap.Windows1250,
	"CP1251":      charmap.Windows1251,
	"CP1252":      charmap.Windows1252,
	"CP1253":      charmap.Windows1253,
	"CP1254":      charmap.Windows1254,
	"CP1255":      charmap.Windows1255,
	"CP1256":      charmap.Windows1256,
	"CP1257":      charmap.Windows1257,
	"CP1258":      charmap.Windows1258,
	"ISO_8859-1":  charmap.ISO8859_1,
	"ISO_8859-2":  charmap.ISO8859_2,
	"ISO_8859-3":  charmap.ISO8859_3,
	"ISO_8859-4":  charmap.ISO8859_4,
	"ISO_8859-5":  charmap.ISO8859_5,
	"ISO_8859-6":  charmap.ISO8859_6,
	"ISO_8859-7":  charmap.ISO8859_7,
	"ISO_8859-8":  charmap.ISO8859_8,
	"ISO_8859-9":  charmap.ISO8859_9,
	"ISO_8859-15": charmap.ISO8859_15,
}

// codec is one usable code page: bytes 0x20..0x7E are ASCII, the upper half
// maps to the runes in dec. Control positions are never used for text.
type codec struct {
	name string
	enc  map[rune]byte
	dec  [128]rune // byte-0x80 -> rune; 0 when undefined
}

// newCodec builds a codec from x/text's table for name or, failing that, from
// the database's 128-character "data" table. It returns nil for pages it
// cannot map.
func newCodec(name string, data []string) *codec {
	c := &codec{name: name, enc: make(map[rune]byte, 128)}
	if cm := charmaps[name]; cm != nil {
		for b := 0x20; b < 0x7f; b++ {
			if cm.DecodeByte(byte(b)) != rune(b) {
				return nil // lower half is not ASCII: not safe to mix with our ASCII fast path
			}
		}
		for b := 0x80; b <= 0xff; b++ {
			c.add(byte(b), cm.DecodeByte(byte(b)))
		}
		return c
	}
	if len(data) == 0 {
		return nil
	}
	var rs []rune
	for _, row := range data {
		rs = append(rs, []rune(row)...)
	}
	if len(rs) != 128 {
		return nil
	}
	for i, r := range rs {
		if r == ' ' {
			continue // the database marks unknown positions with spaces
		}
		c.add(byte(0x80+i), r)
	}
	return c
}

func (c *codec) add(b byte, r rune) {
	if r < 0xa0 || r == utf8.RuneError || r == 0xfffd {
		return // ASCII, C1 controls and undefined positions are not text
	}
	c.dec[b-0x80] = r
	if _, dup := c.enc[r]; !dup {
		c.enc[r] = b
	}
}

// decode returns the rune byte b prints as, and false for bytes that are
// not text in this page.
func (c *codec) decode(b byte) (rune, bool) {
	switch {
	case b >= 0x20 && b < 0x7f:
		return rune(b), true
	case b >= 0x80:
		r := c.dec[b-0x80]
		return r, r != 0
	}
	return 0, false
}

// page is one selectable code page of a profile.
type page struct {
	n int
	c *codec
}

// pageTable is a profile's usable code pages, in order of preference (lowest
// ESC t number first, one entry per encoding), plus a lazily built index
// from rune to the set of pages containing it.
type pageTable struct {
	pages []page
	byN   map[int]*codec

	once  sync.Once
	cover map[rune]uint64
}

// preferred ranks code pages for new text: the most widely implemented
// first, so a character found in several pages goes to the page printers
// get right most often (CP858 and CP1252 for €, CP866 for Cyrillic). Pages
// not listed follow in ESC t order.
var preferred = []string{
	"CP437", "CP858", "CP850", "CP1252", "ISO_8859-15", "ISO_8859-1",
	"CP852", "CP1250", "ISO_8859-2", "CP866", "CP1251", "CP855", "ISO_8859-5",
	"CP1253", "ISO_8859-7", "CP1254", "ISO_8859-9", "CP1257", "CP860",
	"CP863", "CP865",
}

func newPageTable(cps []CodePage, codecs map[string]*codec) *pageTable {
	t := &pageTable{byN: make(map[int]*codec)}
	seen := make(map[string]bool)
	for _, cp := range cps {
		c := codecs[cp.Name]
		if c == nil {
			continue
		}
		t.byN[cp.N] = c
		if seen[cp.Name] {
			continue
		}
		seen[cp.Name] = true
		t.pages = append(t.pages, page{n: cp.N, c: c})
	}
	rank := func(name string) int {
		if i := slices.Index(preferred, name); i >= 0 {
			return i
		}
		return len(preferred)
	}
	slices.SortStableFunc(t.pages, func(a, b page) int {
		if ra, rb := rank(a.c.name), rank(b.c.name); ra != rb {
			return ra - rb
		}
		return a.n - b.n
	})
	if len(t.pages) > 64 {
		t.pages = t.pages[:64] // coverage sets are 64-bit masks
	}
	return t
}

// emptyTable serves profiles not built by the database (a Profile literal):
// they print ASCII and fallbacks only.
var emptyTable = &pageTable{byN: map[int]*codec{}}

func (p *Profile) table() *pageTable {
	if p.pages == nil {
		return emptyTable
	}
	return p.pages
}

// coverage returns the set of pages (bit i = t.pages[i]) that contain r.
func (t *pageTable) coverage(r rune) uint64 {
	t.once.Do(func() {
		t.cover = make(map[rune]uint64, 512)
		for i, p := range t.pages {
			for r := range p.c.enc {
				t.cover[r] |= 1 << i
			}
		}
	})
	return t.cover[r]
}

// wordCovered reports whether every Greek or Cyrillic letter of the word at
// the start of s is in some page.
func (t *pageTable) wordCovered(s string) bool {
	for _, r := range s {
		if !inAlphabet(r) {
			break
		}
		if t.coverage(r) == 0 && !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return true
}

// inAlphabet reports whether r belongs to a script that fallback
// romanises letter by letter.
func inAlphabet(r rune) bool {
	return r >= 0x370 && r < 0x530 && unicode.In(r, unicode.Greek, unicode.Cyrillic)
}

// cursor decides, character by character, whether text is printed exactly
// or through fallback. A Greek or Cyrillic word that has a letter no page
// contains is romanised as a whole, so a CP437 printer prints "Kalimera",
// not "Kαlimerα" (α is in CP437, the other letters are not).
type cursor struct {
	t        *pageTable
	inWord   bool
	romanise bool
}

// exact reports whether r, whose coverage set is m and which starts s,
// is printed from a code page.
func (c *cursor) exact(r rune, m uint64, s string) bool {
	if !inAlphabet(r) {
		c.inWord = false
		return m != 0
	}
	if !c.inWord {
		c.inWord = true
		c.romanise = !c.t.wordCovered(s)
	}
	return m != 0 && !c.romanise
}

// choose picks the page for a rune whose coverage set is mask, looking
// ahead in rest so that one switch serves as many of the following
// non-ASCII characters as possible. Among equals it takes the most
// preferred page (see preferred).
func (t *pageTable) choose(mask uint64, rest string) int {
	const lookahead = 256
	seen := 0
	for _, r := range rest {
		if r < utf8.RuneSelf {
			continue
		}
		if seen++; seen > lookahead {
			break
		}
		m := t.coverage(r)
		if m == 0 {
			continue // printed by fallback, any page will do
		}
		if mask&m == 0 {
			break
		}
		mask &= m
	}
	return bits.TrailingZeros64(mask)
}
