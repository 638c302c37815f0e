package parse

import (
	"bytes"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/auraconnect/aura-edge/drivers/escpos"
)

// Line is one printed line of a receipt.
type Line struct {
	Text   string
	Width  int // character width multiplier (1 normal, 2 double width, up to 8)
	Height int // character height multiplier
	Bold   bool
}

// charmaps are the single-byte code pages a till may select, by the names
// escpos-printer-db (drivers/escpos) uses.
var charmaps = map[string]*charmap.Charmap{
	"CP437": charmap.CodePage437, "CP850": charmap.CodePage850, "CP852": charmap.CodePage852,
	"CP855": charmap.CodePage855, "CP858": charmap.CodePage858, "CP860": charmap.CodePage860,
	"CP862": charmap.CodePage862, "CP863": charmap.CodePage863, "CP865": charmap.CodePage865,
	"CP866": charmap.CodePage866, "CP874": charmap.Windows874,
	"CP1250": charmap.Windows1250, "CP1251": charmap.Windows1251, "CP1252": charmap.Windows1252,
	"CP1253": charmap.Windows1253, "CP1254": charmap.Windows1254, "CP1255": charmap.Windows1255,
	"CP1256": charmap.Windows1256, "CP1257": charmap.Windows1257, "CP1258": charmap.Windows1258,
	"ISO_8859-1": charmap.ISO8859_1, "ISO_8859-2": charmap.ISO8859_2, "ISO_8859-3": charmap.ISO8859_3,
	"ISO_8859-4": charmap.ISO8859_4, "ISO_8859-5": charmap.ISO8859_5, "ISO_8859-7": charmap.ISO8859_7,
	"ISO_8859-9": charmap.ISO8859_9, "ISO_8859-15": charmap.ISO8859_15,
}

// CodePageNames lists the code page names Options.CodePage accepts.
func CodePageNames() []string {
	var out []string
	for n := range charmaps {
		out = append(out, strings.ToLower(strings.ReplaceAll(n, "_", "-")))
	}
	return out
}

// LookupCodePage returns the canonical name of a code page such as "cp858",
// "CP-1252", "windows-1252", "latin1" or "iso-8859-15", and false if it is
// not one we can decode.
func LookupCodePage(name string) (string, bool) {
	n := strings.ToUpper(strings.NewReplacer("-", "", "_", "", " ", "").Replace(name))
	switch {
	case n == "":
		return "CP437", true
	case n == "LATIN1":
		n = "ISO_8859-1"
	case n == "LATIN9":
		n = "ISO_8859-15"
	case strings.HasPrefix(n, "WINDOWS"):
		n = "CP" + n[len("WINDOWS"):]
	case strings.HasPrefix(n, "IBM"):
		n = "CP" + n[len("IBM"):]
	case strings.HasPrefix(n, "PC"):
		n = "CP" + n[len("PC"):]
	case strings.HasPrefix(n, "ISO8859"):
		n = "ISO_8859-" + n[len("ISO8859"):]
	case strings.HasPrefix(n, "ISO"):
		n = "ISO_8859-" + strings.TrimPrefix(n[len("ISO"):], "8859")
	}
	_, ok := charmaps[n]
	return n, ok
}

// escT maps ESC t n to a code page name, from the generic profile of
// escpos-printer-db that drivers/escpos embeds.
var escT = sync.OnceValue(func() map[int]string {
	m := map[int]string{}
	p, err := escpos.LookupProfile(escpos.DefaultProfile)
	if err != nil {
		return map[int]string{0: "CP437", 2: "CP850", 16: "CP1252", 19: "CP858"}
	}
	for _, cp := range p.CodePages {
		if _, ok := charmaps[cp.Name]; ok {
			m[cp.N] = cp.Name
		}
	}
	return m
})

// op is what one step of the stream does.
type op uint8

const (
	opNone      op = iota // a command that does not change the text
	opText                // one character byte
	opLF                  // end of line
	opTab                 // horizontal tab
	opCut                 // GS V, ESC i, ESC m
	opCodePage            // ESC t n (b[2])
	opStarPage            // ESC GS t n (b[3])
	opInit                // ESC @
	opEscBang             // ESC ! n (b[2])
	opGSBang              // GS ! n (b[2])
	opBold                // ESC E n / ESC G n (b[2])
	opFeedLines           // ESC d n (b[2])
	opFeed                // ESC J n: print and feed
	opIntl                // ESC R n: international character set (b[2])
	opAbsPos              // ESC $ nL nH: absolute print position in dots
	opRelPos              // ESC \ nL nH: relative print position in dots
)

// dotsPerColumn is the width of a font A character (12 dots at 180 or 203
// dpi), to turn print positions into columns.
const dotsPerColumn = 12

// intlPositions are the ASCII bytes that ESC R n replaces.
var intlPositions = [12]byte{'#', '$', '@', '[', '\\', ']', '^', '`', '{', '|', '}', '~'}

// intlSets are Epson's international character sets 0..10 (ESC R n): what
// each of intlPositions prints as. Tills in Germany or France that print
// umlauts or accents without a code page use them.
var intlSets = [...][12]rune{
	{'#', '$', '@', '[', '\\', ']', '^', '`', '{', '|', '}', '~'}, // USA
	{'#', '$', 'à', '°', 'ç', '§', '^', '`', 'é', 'ù', 'è', '¨'},  // France
	{'#', '$', '§', 'Ä', 'Ö', 'Ü', '^', '`', 'ä', 'ö', 'ü', 'ß'},  // Germany
	{'£', '$', '@', '[', '\\', ']', '^', '`', '{', '|', '}', '~'}, // UK
	{'#', '$', '@', 'Æ', 'Ø', 'Å', '^', '`', 'æ', 'ø', 'å', '~'},  // Denmark I
	{'#', '¤', 'É', 'Ä', 'Ö', 'Å', 'Ü', 'é', 'ä', 'ö', 'å', 'ü'},  // Sweden
	{'#', '$', '@', '°', '\\', 'é', '^', 'ù', 'à', 'ò', 'è', 'ì'}, // Italy
	{'₧', '$', '@', '¡', 'Ñ', '¿', '^', '`', '¨', 'ñ', '}', '~'},  // Spain I
	{'#', '$', '@', '[', '¥', ']', '^', '`', '{', '|', '}', '~'},  // Japan
	{'#', '¤', 'É', 'Æ', 'Ø', 'Å', 'Ü', 'é', 'æ', 'ø', 'å', 'ü'},  // Norway
	{'#', '$', 'É', 'Æ', 'Ø', 'Å', 'Ü', 'é', 'æ', 'ø', 'å', 'ü'},  // Denmark II
}

// maxCommand bounds the length a command may declare. A longer one is taken
// for garbage and skipped as two bytes, so that a corrupt length cannot
// swallow the rest of the stream.
const maxCommand = 4 << 20

const (
	bDLE = 0x10
	bESC = 0x1b
	bFS  = 0x1c
	bGS  = 0x1d
)

// escFixed is the length of fixed-size ESC commands.
var escFixed = [256]uint8{
	' ': 3, '!': 3, '$': 4, '%': 3, '-': 3, '2': 2, '3': 3, '<': 2, '=': 3,
	'?': 3, '@': 2, 'E': 3, 'G': 3, 'J': 3, 'K': 3, 'L': 2, 'M': 3, 'R': 3,
	'S': 2, 'T': 3, 'U': 3, 'V': 3, 'W': 10, '\\': 4, 'a': 3, 'c': 4, 'd': 3, 'e': 3,
	'f': 4, 'i': 2, 'm': 2, 'p': 5, 'r': 3, 't': 3, 'u': 3, 'v': 2, '{': 3, 'B': 4,
}

// gsFixed is the length of fixed-size GS commands.
var gsFixed = [256]uint8{
	'!': 3, '$': 4, '/': 3, ':': 2, 'B': 3, 'E': 3, 'H': 3, 'I': 3, 'L': 4, 'P': 4,
	'T': 3, 'W': 4, '\\': 4, '^': 5, 'a': 3, 'b': 3, 'f': 3, 'h': 3, 'j': 3, 'r': 3, 'w': 3,
	'g': 6, 'z': 4,
}

// untilNUL returns the length of a command whose data from b[from:] ends
// with a NUL within max bytes: 0 when b may still get it, from when there
// is none (garbage: skip the command bytes only). The search window is the
// same however the stream is split into writes.
func untilNUL(b []byte, from, max int) int {
	w := b[from:min(len(b), from+max)]
	if end := bytes.IndexByte(w, 0); end >= 0 {
		return from + end + 1
	}
	if len(w) < max {
		return 0
	}
	return from
}

func le16(b []byte) int { return int(b[0]) | int(b[1])<<8 }

// sized returns n when b holds all n bytes of a command, 0 when more bytes
// are needed, and 2 when n is not a believable length.
func sized(b []byte, n int) int {
	if n < 0 || n > maxCommand {
		return 2
	}
	if len(b) < n {
		return 0
	}
	return n
}

// step parses the command or character at the start of b and returns its
// length and what it does; n is 0 when b holds only part of a command.
func step(b []byte) (n int, o op) {
	c := b[0]
	switch c {
	case '\n':
		return 1, opLF
	case '\t':
		return 1, opTab
	case bESC:
		return stepESC(b)
	case bGS:
		return stepGS(b)
	case bFS:
		return stepFS(b), opNone
	case bDLE:
		if len(b) < 2 {
			return 0, opNone
		}
		switch b[1] {
		case 0x04, 0x05: // DLE EOT n, DLE ENQ n
			return sized(b, 3), opNone
		case 0x14: // DLE DC4 fn ...
			if len(b) < 3 {
				return 0, opNone
			}
			if b[2] == 8 {
				return sized(b, 10), opNone
			}
			return sized(b, 5), opNone
		}
		return 2, opNone
	}
	if c >= 0x20 && c != 0x7f {
		return 1, opText
	}
	return 1, opNone // CR, FF, NUL and other controls print nothing we read
}

func stepESC(b []byte) (int, op) {
	if len(b) < 2 {
		return 0, opNone
	}
	switch cmd := b[1]; cmd {
	case bGS: // Star: ESC GS t n selects a code page; other ESC GS commands vary
		if len(b) < 3 {
			return 0, opNone
		}
		if b[2] == 't' {
			return sized(b, 4), opStarPage
		}
		return 3, opNone
	case '*': // ESC * m nL nH d...: column bit image
		if len(b) < 5 {
			return 0, opNone
		}
		n := le16(b[3:])
		if b[2] == 32 || b[2] == 33 {
			n *= 3
		}
		return sized(b, 5+n), opNone
	case '&': // ESC & y c1 c2 [x d1...d(y*x)]...: user-defined characters
		if len(b) < 5 {
			return 0, opNone
		}
		y, c1, c2 := int(b[2]), int(b[3]), int(b[4])
		i := 5
		for ch := c1; ch <= c2 && ch-c1 < 95; ch++ {
			if len(b) <= i {
				return 0, opNone
			}
			i += 1 + y*int(b[i])
		}
		return sized(b, i), opNone
	case 'D': // ESC D n1...nk NUL: tab positions, k <= 32
		return untilNUL(b, 2, 33), opNone
	case '(': // ESC ( fn pL pH ...
		if len(b) < 5 {
			return 0, opNone
		}
		return sized(b, 5+le16(b[3:])), opNone
	}
	n := int(escFixed[b[1]])
	if n == 0 {
		return 2, opNone
	}
	if len(b) < n {
		return 0, opNone
	}
	switch b[1] {
	case '@':
		return n, opInit
	case '!':
		return n, opEscBang
	case 'E', 'G':
		return n, opBold
	case 't':
		return n, opCodePage
	case 'd':
		return n, opFeedLines
	case 'J':
		return n, opFeed
	case 'i', 'm':
		return n, opCut
	case 'R':
		return n, opIntl
	case '$':
		return n, opAbsPos
	case '\\':
		return n, opRelPos
	}
	return n, opNone
}

func stepGS(b []byte) (int, op) {
	if len(b) < 2 {
		return 0, opNone
	}
	switch cmd := b[1]; cmd {
	case 'V': // GS V m [n]
		if len(b) < 3 {
			return 0, opNone
		}
		n := 3
		if b[2] >= 65 {
			n = 4
		}
		if len(b) < n {
			return 0, opNone
		}
		return n, opCut
	case 'k': // GS k m ...: barcode
		if len(b) < 3 {
			return 0, opNone
		}
		if b[2] <= 6 { // function A: data up to NUL (at most 255 bytes)
			return untilNUL(b, 3, 256), opNone
		}
		if len(b) < 4 {
			return 0, opNone
		}
		return sized(b, 4+int(b[3])), opNone
	case '(': // GS ( fn pL pH ...: QR/2D codes, graphics, settings
		if len(b) < 5 {
			return 0, opNone
		}
		return sized(b, 5+le16(b[3:])), opNone
	case '8': // GS 8 L p1 p2 p3 p4 ...: graphics with a 4-byte length
		if len(b) < 7 {
			return 0, opNone
		}
		p := int(b[3]) | int(b[4])<<8 | int(b[5])<<16 | int(b[6])<<24
		return sized(b, 7+p), opNone
	case 'v': // GS v 0 m xL xH yL yH d...: raster image
		if len(b) < 3 {
			return 0, opNone
		}
		if b[2] != '0' && b[2] != 0 {
			return 3, opNone
		}
		if len(b) < 8 {
			return 0, opNone
		}
		return sized(b, 8+le16(b[4:])*le16(b[6:])), opNone
	case '*': // GS * x y d...: downloaded bit image
		if len(b) < 4 {
			return 0, opNone
		}
		return sized(b, 4+int(b[2])*int(b[3])*8), opNone
	case 'Q': // GS Q 0 m xL xH yL yH d...: variable vertical size image
		if len(b) < 8 {
			return 0, opNone
		}
		return sized(b, 8+le16(b[4:])*le16(b[6:])), opNone
	}
	n := int(gsFixed[b[1]])
	if n == 0 {
		return 2, opNone
	}
	if len(b) < n {
		return 0, opNone
	}
	if b[1] == '!' {
		return n, opGSBang
	}
	return n, opNone
}

func stepFS(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '(':
		if len(b) < 5 {
			return 0
		}
		return sized(b, 5+le16(b[3:]))
	case 'p': // FS p n m: print NV bit image
		return sized(b, 4)
	case 'q': // FS q n [xL xH yL yH d...]...: define NV bit images
		if len(b) < 3 {
			return 0
		}
		i := 3
		for range int(b[2]) {
			if len(b) < i+4 {
				return 0
			}
			i += 4 + le16(b[i:])*le16(b[i+2:])*8
			if i > maxCommand {
				return 2
			}
		}
		return sized(b, i)
	case '!', '-', 'C', 'W':
		return sized(b, 3)
	case 'S':
		return sized(b, 4)
	}
	return 2
}

// decoder turns stream bytes into lines of text.
type decoder struct {
	page     *charmap.Charmap
	pageName string
	cur      []byte // the pending line, UTF-8
	cells    int
	width    int
	height   int
	lineW    int
	lineH    int
	bold     bool
	lineBold bool
	lines    []Line
	start    *charmap.Charmap
	startNm  string
	intl     *[12]rune // ESC R set, nil for USA
}

func newDecoder(codePage string) *decoder {
	name, ok := LookupCodePage(codePage)
	if !ok {
		name = "CP437"
	}
	d := &decoder{start: charmaps[name], startNm: name}
	d.reset()
	return d
}

func (d *decoder) reset() {
	d.page, d.pageName = d.start, d.startNm
	d.width, d.height, d.bold = 1, 1, false
	d.intl = nil
}

func (d *decoder) endLine() {
	t := strings.TrimRight(string(d.cur), " ")
	w, h := max(d.lineW, 1), max(d.lineH, 1)
	d.lines = append(d.lines, Line{Text: t, Width: w, Height: h, Bold: d.lineBold})
	d.cur, d.cells, d.lineW, d.lineH, d.lineBold = d.cur[:0], 0, 0, 0, false
}

func (d *decoder) text(c byte) {
	var r rune
	if c < 0x80 {
		r = rune(c)
		if d.intl != nil {
			for k, p := range intlPositions {
				if p == c {
					r = d.intl[k]
					break
				}
			}
		}
	} else {
		r = d.page.DecodeByte(c)
		if r == utf8.RuneError {
			r = '?'
		}
	}
	d.cur = utf8.AppendRune(d.cur, r)
	d.cells++
	d.lineW = max(d.lineW, d.width)
	d.lineH = max(d.lineH, d.height)
	d.lineBold = d.lineBold || (d.bold && r != ' ')
}

// write decodes the complete commands in b and returns how many bytes it
// used (the rest is an incomplete command).
func (d *decoder) write(b []byte) int {
	i := 0
	for i < len(b) {
		n, o := step(b[i:])
		if n == 0 {
			break
		}
		p := b[i : i+n]
		switch o {
		case opText:
			d.text(p[0])
		case opTab:
			for {
				d.cur = append(d.cur, ' ')
				d.cells++
				if d.cells%8 == 0 {
					break
				}
			}
		case opLF, opFeed:
			d.endLine()
		case opFeedLines:
			d.endLine()
			for k := 1; k < int(p[2]) && k < 8; k++ {
				d.endLine()
			}
		case opCut:
			if len(d.cur) > 0 {
				d.endLine()
			}
		case opCodePage, opStarPage:
			if cp, ok := escT()[int(p[len(p)-1])]; ok {
				d.page, d.pageName = charmaps[cp], cp
			}
		case opInit:
			if len(d.cur) > 0 {
				d.endLine()
			}
			d.reset()
		case opEscBang:
			d.width, d.height = 1+int(p[2]>>5&1), 1+int(p[2]>>4&1)
			d.bold = p[2]&8 != 0
		case opGSBang:
			d.width, d.height = 1+int(p[2]>>4&7), 1+int(p[2]&7)
		case opBold:
			d.bold = p[2]&1 != 0
		case opAbsPos, opRelPos:
			// tills that place the amount column by position instead of
			// padding with spaces: keep the gap as spaces
			dots := le16(p[2:])
			col := dots / dotsPerColumn
			if o == opRelPos {
				if dots >= 0x8000 {
					break // moving left: nothing to add
				}
				col = d.cells + dots/dotsPerColumn
			}
			if col <= d.cells && len(d.cur) > 0 {
				col = d.cells + 1
			}
			for d.cells < col && d.cells < 512 {
				d.cur = append(d.cur, ' ')
				d.cells++
			}
		case opIntl:
			d.intl = nil
			if n := int(p[2]); n > 0 && n < len(intlSets) {
				d.intl = &intlSets[n]
			}
		}
		i += n
	}
	return i
}

// flush ends the pending line.
func (d *decoder) flush() []Line {
	if strings.TrimSpace(string(d.cur)) != "" {
		d.endLine()
	}
	// drop trailing blank lines
	for len(d.lines) > 0 && d.lines[len(d.lines)-1].Text == "" {
		d.lines = d.lines[:len(d.lines)-1]
	}
	return d.lines
}

// Decode walks raw ESC/POS bytes and returns the printed lines, skipping
// images, barcodes and other commands. codePage is the till's initial code
// page (see LookupCodePage); ESC t in the stream switches it.
func Decode(raw []byte, codePage string) []Line {
	d := newDecoder(codePage)
	d.write(raw) // an incomplete command at the end (a cut-off stream) is ignored
	return d.flush()
}

// hasText reports whether b prints any character other than a space.
func hasText(b []byte) bool {
	for i := 0; i < len(b); {
		n, o := step(b[i:])
		if n == 0 {
			return false
		}
		if o == opText && b[i] != ' ' {
			return true
		}
		i += n
	}
	return false
}
