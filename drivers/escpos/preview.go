package escpos

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Preview renders an ESC/POS stream as plain text, the way the receipt
// would look: text decoded with the selected code page and wrapped and
// aligned to the profile's columns (double-width characters are followed
// by a space so columns line up), and one-line markers for everything
// else:
//
//	[QR: https://example.com/r/123]
//	[BARCODE CODE128: 000123]
//	[IMAGE 384x120]
//	[DRAWER pin 2]
//	----- cut -----
//
// It is an io.Writer that parses incrementally, so it can sit beside the
// printer (Encoder.SetPreview, or io.MultiWriter) and see the same bytes.
// It understands the commands this package emits and skips most other
// ESC/POS commands by their length; an unknown command shows as a marker
// such as [ESC 0x7a]. Styles other than width are not shown.
type Preview struct {
	w   io.Writer
	p   *Profile
	in  []byte // bytes not parsed yet (an incomplete command)
	out []byte
	err error

	align Align
	width int
	font  int
	page  *codec

	line  []rune
	cells int

	qr     []byte
	img    bool // an image is pending (bands merge until something else comes)
	imgW   int  // bytes per row
	imgH   int
	imgPad int // leading white bytes common to all rows
}

var _ io.Writer = (*Preview)(nil)

// NewPreview returns a Preview that writes text for profile p to w.
func NewPreview(w io.Writer, p *Profile) *Preview {
	v := &Preview{w: w, p: p}
	v.reset()
	return v
}

// RenderPreview renders a complete stream, such as a .bin file written by
// the file transport, for profile p.
func RenderPreview(stream []byte, p *Profile) string {
	var b strings.Builder
	v := NewPreview(&b, p)
	v.Write(stream)
	v.Close()
	return b.String()
}

func (v *Preview) reset() {
	v.align, v.width, v.font = AlignLeft, 1, 0
	v.page = v.p.table().byN[0]
	v.line, v.cells = v.line[:0], 0
}

// Write parses b. It returns an error only when writing the text fails.
func (v *Preview) Write(b []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	v.in = append(v.in, b...)
	i := 0
	for i < len(v.in) {
		n := v.step(v.in[i:])
		if n == 0 {
			break // incomplete command: wait for more bytes
		}
		i += n
	}
	v.in = append(v.in[:0], v.in[i:]...)
	v.emit()
	return len(b), v.err
}

// Flush writes out a pending image marker. A line without its LF stays
// pending, as it does in the printer.
func (v *Preview) Flush() error {
	if v.err == nil {
		v.flushImage()
		v.emit()
	}
	return v.err
}

// Close writes out everything pending, including an unfinished line and a
// marker for an incomplete command at the end of the stream.
func (v *Preview) Close() error {
	if v.err != nil {
		return v.err
	}
	v.flushImage()
	if v.cells > 0 {
		v.endLine()
	}
	if len(v.in) > 0 {
		v.marker(fmt.Sprintf("[incomplete command: % x]", v.in[:min(len(v.in), 8)]), false)
		v.in = v.in[:0]
	}
	v.emit()
	return v.err
}

func (v *Preview) emit() {
	if len(v.out) == 0 || v.err != nil {
		return
	}
	if _, err := v.w.Write(v.out); err != nil {
		v.err = err
	}
	v.out = v.out[:0]
}

func (v *Preview) cols() int {
	c := v.p.Columns(v.font)
	if c == 0 && len(v.p.Fonts) > 0 {
		c = v.p.Fonts[0].Columns
	}
	return max(c, 1)
}

// text adds one printed character.
func (v *Preview) text(r rune) {
	v.flushImage()
	if v.cells > 0 && v.cells+v.width > v.cols() {
		v.endLine() // the printer wraps
	}
	v.line = append(v.line, r)
	for i := 1; i < v.width; i++ {
		v.line = append(v.line, ' ')
	}
	v.cells += v.width
}

// endLine prints the pending line (LF).
func (v *Preview) endLine() {
	v.flushImage()
	s := strings.TrimRightFunc(string(v.line), unicode.IsSpace)
	v.writeAligned(s)
	v.line, v.cells = v.line[:0], 0
}

func (v *Preview) writeAligned(s string) {
	n := utf8.RuneCountInString(s)
	pad := 0
	switch {
	case n == 0:
	case v.align == AlignCenter:
		pad = (v.cols() - n) / 2
	case v.align == AlignRight:
		pad = v.cols() - n
	}
	for range max(pad, 0) {
		v.out = append(v.out, ' ')
	}
	v.out = append(v.out, s...)
	v.out = append(v.out, '\n')
}

// marker prints a one-line marker, on a line of its own.
func (v *Preview) marker(s string, aligned bool) {
	v.flushImage()
	if v.cells > 0 {
		v.endLine()
	}
	if aligned {
		v.writeAligned(s)
		return
	}
	v.out = append(v.out, s...)
	v.out = append(v.out, '\n')
}

func (v *Preview) flushImage() {
	if !v.img {
		return
	}
	v.img = false
	v.marker(fmt.Sprintf("[IMAGE %dx%d]", (v.imgW-v.imgPad)*8, v.imgH), true)
}

// step parses one command or character at the start of b and returns how
// many bytes it used, or 0 when b holds only part of a command.
func (v *Preview) step(b []byte) int {
	c := b[0]
	switch {
	case c >= 0x20 && c != 0x7f:
		if r, ok := v.decode(c); ok {
			v.text(r)
		} else {
			v.text(utf8.RuneError)
		}
		return 1
	case c == lf:
		v.endLine()
		return 1
	case c == '\t':
		v.text(' ')
		return 1
	case c == 0x07 && v.p.Features.PulseBel:
		v.marker("[DRAWER pin 2]", false)
		return 1
	case c == 0x1a && v.p.Features.PulseBel:
		v.marker("[DRAWER pin 5]", false)
		return 1
	case c == esc:
		return v.escape(b)
	case c == gs:
		return v.groupSep(b)
	case c == dle:
		if len(b) < 2 {
			return 0
		}
		switch b[1] {
		case eot, 0x05: // DLE EOT n, DLE ENQ n
			return fixed(b, 3)
		case 0x14: // DLE DC4 fn m t
			return fixed(b, 5)
		}
		return 2
	case c == 0x1c: // FS
		return v.fileSep(b)
	}
	return 1 // CR, FF and other controls print nothing
}

func (v *Preview) decode(c byte) (rune, bool) {
	if c < 0x80 {
		return rune(c), true
	}
	if v.page == nil {
		return 0, false
	}
	return v.page.decode(c)
}

// fixed returns n if b holds a whole n-byte command, else 0.
func fixed(b []byte, n int) int {
	if len(b) < n {
		return 0
	}
	return n
}

// escFixed is the length of fixed-size ESC commands.
var escFixed = map[byte]int{
	' ': 3, '!': 3, '$': 4, '%': 3, '-': 3, '2': 2, '3': 3, '<': 2, '=': 3,
	'?': 3, '@': 2, 'E': 3, 'G': 3, 'J': 3, 'K': 3, 'L': 2, 'M': 3, 'R': 3,
	'S': 2, 'T': 3, 'U': 3, 'V': 3, '\\': 4, 'a': 3, 'c': 4, 'd': 3, 'e': 3,
	'i': 2, 'm': 2, 'p': 5, 'r': 3, 't': 3, 'u': 3, 'v': 2, '{': 3,
}

func (v *Preview) escape(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	cmd := b[1]
	if cmd == gs { // Star: ESC GS t n selects a code page
		if len(b) < 3 {
			return 0
		}
		if b[2] != 't' {
			v.marker(fmt.Sprintf("[ESC GS 0x%02x]", b[2]), false)
			return 3
		}
		if len(b) < 4 {
			return 0
		}
		v.page = v.p.table().byN[int(b[3])]
		return 4
	}
	if cmd == '*' { // ESC * m nL nH d...: column bit image
		if len(b) < 5 {
			return 0
		}
		n := int(b[3]) | int(b[4])<<8
		if b[2] == 32 || b[2] == 33 {
			n *= 3
		}
		if len(b) < 5+n {
			return 0
		}
		v.marker(fmt.Sprintf("[IMAGE %d columns]", int(b[3])|int(b[4])<<8), true)
		return 5 + n
	}
	n, ok := escFixed[cmd]
	if !ok {
		v.marker(fmt.Sprintf("[ESC 0x%02x]", cmd), false)
		return 2
	}
	if len(b) < n {
		return 0
	}
	switch cmd {
	case '@':
		v.flushImage()
		v.reset() // ESC @ also discards the pending line
	case '!':
		v.font = int(b[2] & 1)
		v.width = 1 + int(b[2]>>5&1)
	case 'M':
		v.font = fontNumber(b[2])
	case 'a':
		switch b[2] {
		case 1, '1':
			v.align = AlignCenter
		case 2, '2':
			v.align = AlignRight
		default:
			v.align = AlignLeft
		}
	case 't':
		v.page = v.p.table().byN[int(b[2])]
	case 'd':
		if b[2] == 0 {
			if v.cells > 0 {
				v.endLine()
			}
			break
		}
		for range b[2] {
			v.endLine()
		}
	case 'J':
		if v.cells > 0 {
			v.endLine()
		}
	case 'i':
		v.marker("----- cut -----", false)
	case 'm':
		v.marker("----- partial cut -----", false)
	case 'p':
		pin := 2
		if b[2] == 1 || b[2] == '1' {
			pin = 5
		}
		v.marker(fmt.Sprintf("[DRAWER pin %d]", pin), false)
	}
	return n
}

func fontNumber(n byte) int {
	if n == '0' || n == '1' || n == '2' {
		return int(n - '0')
	}
	return int(n)
}

// gsFixed is the length of fixed-size GS commands.
var gsFixed = map[byte]int{
	'!': 3, '$': 4, '/': 3, ':': 2, 'B': 3, 'H': 3, 'I': 3, 'L': 4, 'P': 4,
	'W': 4, '\\': 4, '^': 5, 'a': 3, 'b': 3, 'f': 3, 'h': 3, 'r': 3, 'w': 3,
}

func (v *Preview) groupSep(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch cmd := b[1]; cmd {
	case 'V':
		if len(b) < 3 {
			return 0
		}
		m, n := b[2], 3
		if m >= 65 {
			n = 4
		}
		if len(b) < n {
			return 0
		}
		if m == 1 || m == '1' || m == 66 || m == 98 || m == 104 {
			v.marker("----- partial cut -----", false)
		} else {
			v.marker("----- cut -----", false)
		}
		return n
	case 'k':
		return v.barcode(b)
	case '(':
		if len(b) < 5 {
			return 0
		}
		n := 5 + (int(b[3]) | int(b[4])<<8)
		if len(b) < n {
			return 0
		}
		if b[2] == 'k' {
			v.twoD(b[5:n])
		}
		return n
	case '8': // GS 8 L p1 p2 p3 p4 ...: graphics with a 4-byte length
		if len(b) < 7 {
			return 0
		}
		n := 7 + (int(b[3]) | int(b[4])<<8 | int(b[5])<<16 | int(b[6])<<24)
		if n < 7 || len(b) < n {
			return 0
		}
		return n
	case 'v':
		if len(b) < 8 {
			return 0
		}
		if b[2] != '0' && b[2] != 0 {
			v.marker(fmt.Sprintf("[GS v 0x%02x]", b[2]), false)
			return 3
		}
		w := int(b[4]) | int(b[5])<<8
		h := int(b[6]) | int(b[7])<<8
		n := 8 + w*h
		if len(b) < n {
			return 0
		}
		v.raster(b[8:n], w, h)
		return n
	case '*': // GS * x y d...: define downloaded bit image
		if len(b) < 4 {
			return 0
		}
		n := 4 + int(b[2])*int(b[3])*8
		if len(b) < n {
			return 0
		}
		return n
	default:
		n, ok := gsFixed[cmd]
		if !ok {
			v.marker(fmt.Sprintf("[GS 0x%02x]", cmd), false)
			return 2
		}
		if len(b) < n {
			return 0
		}
		switch cmd {
		case '!':
			v.width = 1 + int(b[2]>>4&7)
		}
		return n
	}
}

func (v *Preview) raster(data []byte, w, h int) {
	if w == 0 || h == 0 {
		return
	}
	if v.cells > 0 {
		v.endLine()
	}
	pad := w
	for y := range h {
		row := data[y*w : (y+1)*w]
		i := 0
		for i < len(row) && i < pad && row[i] == 0 {
			i++
		}
		pad = i
	}
	if v.img && v.imgW == w {
		v.imgH += h
		v.imgPad = min(v.imgPad, pad)
		return
	}
	v.flushImage()
	v.img, v.imgW, v.imgH, v.imgPad = true, w, h, pad
}

var symbolNames = map[byte]string{48: "PDF417", 49: "QR", 51: "MAXICODE", 52: "DATAMATRIX", 53: "AZTEC"}

// twoD handles GS ( k: body is cn fn [parameters].
func (v *Preview) twoD(body []byte) {
	if len(body) < 2 {
		return
	}
	cn, fn := body[0], body[1]
	name := symbolNames[cn]
	if name == "" {
		name = fmt.Sprintf("2D cn=%d", cn)
	}
	switch fn {
	case 80: // store: fn m d1...dk
		if len(body) >= 3 {
			v.qr = append(v.qr[:0], body[3:]...)
		}
	case 81: // print
		v.marker(fmt.Sprintf("[%s: %s]", name, readable(v.qr)), true)
	}
}

var barcodeNames = map[byte]string{
	0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "CODABAR",
	65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF",
	71: "CODABAR", 72: "CODE93", 73: "CODE128", 74: "GS1-128",
}

func (v *Preview) barcode(b []byte) int {
	if len(b) < 3 {
		return 0
	}
	m := b[2]
	var data []byte
	n := 0
	if m <= 6 { // function A: data up to NUL
		end := bytes.IndexByte(b[3:], 0)
		if end < 0 {
			return 0
		}
		data, n = b[3:3+end], 3+end+1
	} else {
		if len(b) < 4 {
			return 0
		}
		n = 4 + int(b[3])
		if len(b) < n {
			return 0
		}
		data = b[4:n]
	}
	name := barcodeNames[m]
	if name == "" {
		name = "type " + strconv.Itoa(int(m))
	}
	text := readable(data)
	if m == 73 {
		text = readable(decodeCode128(data))
	}
	v.marker(fmt.Sprintf("[BARCODE %s: %s]", name, text), true)
	return n
}

// decodeCode128 turns GS k 73 data ({B..., {C..., "{{") back into text.
func decodeCode128(d []byte) []byte {
	var out []byte
	set := byte('B')
	for i := 0; i < len(d); i++ {
		c := d[i]
		if c == '{' && i+1 < len(d) {
			i++
			switch d[i] {
			case 'A', 'B', 'C':
				set = d[i]
			case '{':
				out = append(out, '{')
			}
			continue
		}
		if set == 'C' {
			out = append(out, '0'+c/10%10, '0'+c%10)
			continue
		}
		out = append(out, c)
	}
	return out
}

// readable returns data as text if it is printable UTF-8, else quoted.
func readable(data []byte) string {
	s := string(data)
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	return strconv.QuoteToASCII(s)
}

func (v *Preview) fileSep(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '(':
		if len(b) < 5 {
			return 0
		}
		n := 5 + (int(b[3]) | int(b[4])<<8)
		if len(b) < n {
			return 0
		}
		return n
	case 'p': // FS p n m: print NV bit image
		if len(b) < 4 {
			return 0
		}
		v.marker(fmt.Sprintf("[NV IMAGE %d]", b[2]), true)
		return 4
	case '!', '-', 'C', 'W':
		return fixed(b, 3)
	case 'S':
		return fixed(b, 4)
	}
	return 2
}
