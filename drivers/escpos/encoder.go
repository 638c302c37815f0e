package escpos

import (
	"fmt"
	"io"
	"time"
)

// Control bytes.
const (
	esc = 0x1b
	gs  = 0x1d
	dle = 0x10
	eot = 0x04
	lf  = 0x0a
)

// flushAt is how many bytes the encoder buffers before writing them out.
const flushAt = 4096

// tearFeedLines is how far Cut feeds on a printer without a cutter, so the
// last line clears the tear bar.
const tearFeedLines = 4

// Align is the horizontal position of lines, barcodes, QR codes and images.
type Align uint8

// Alignments (ESC a n).
const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
)

// Underline is the underline mode (ESC - n).
type Underline uint8

// Underline modes.
const (
	UnderlineNone   Underline = iota
	UnderlineSingle           // one dot thick
	UnderlineDouble           // two dots thick
)

// Style is the character style of text. The zero Style is plain text.
type Style struct {
	Bold      bool      // ESC E
	Underline Underline // ESC -
	// Width and Height are character size multipliers 1..8 (GS !); 0 means
	// 1. Width 2 halves the columns per line.
	Width, Height int
	Inverse       bool // white on black (GS B)
}

func (s Style) normal() Style {
	s.Width = min(max(s.Width, 1), 8)
	s.Height = min(max(s.Height, 1), 8)
	s.Underline = min(s.Underline, UnderlineDouble)
	return s
}

// CutMode selects a full or a partial cut.
type CutMode uint8

// Cut modes.
const (
	CutFull    CutMode = iota // GS V 65 n
	CutPartial                // GS V 66 n (one point left uncut)
)

// DrawerPin is the drawer kick-out connector pin that ESC p pulses.
type DrawerPin uint8

// Drawer pins: most cash drawers hang on pin 2; a second drawer uses pin 5.
const (
	DrawerPin2 DrawerPin = 2
	DrawerPin5 DrawerPin = 5
)

// Encoder writes ESC/POS commands for one printer profile to an io.Writer.
// It buffers up to a few kilobytes; call Flush at the end of a job. Write
// errors are sticky: after the first one the encoder discards output and
// Flush and Err report it. Methods that validate their input (barcodes, QR
// codes, images, fonts, drawer) return an error and emit nothing when the
// input is invalid or the profile cannot do it.
//
// The encoder remembers the printer state it set (style, alignment, font,
// code page) and sends a command only when something changes. Until Init
// it assumes nothing and sends every setting. An Encoder is not safe for
// concurrent use.
type Encoder struct {
	w       io.Writer
	p       *Profile
	buf     []byte
	err     error
	preview *Preview

	style   Style
	align   Align
	font    int
	known   bool // style, align and font above are what the printer has
	page    int  // index into p.pages of the selected code page; -1 unknown
	midLine bool // text is pending that no LF has printed yet

	substituted int
}

// New returns an encoder for a printer described by p (nil means the
// default profile) that writes to w.
func New(w io.Writer, p *Profile) *Encoder {
	if p == nil {
		var err error
		if p, err = LookupProfile(DefaultProfile); err != nil {
			panic(err) // the embedded database is broken: a build defect
		}
	}
	return &Encoder{w: w, p: p, page: -1, style: Style{Width: 1, Height: 1}}
}

// Reset discards buffered output, forgets the printer state and the
// preview, and makes the encoder write to w, so one encoder can serve many
// jobs without allocating.
func (e *Encoder) Reset(w io.Writer) {
	*e = Encoder{w: w, p: e.p, buf: e.buf[:0], page: -1, style: Style{Width: 1, Height: 1}}
}

// SetPreview makes the encoder also render everything it emits as plain
// text to w (see Preview), so one pass over a receipt layout yields both
// the printer bytes and a human-readable preview. nil turns it off.
func (e *Encoder) SetPreview(w io.Writer) {
	if w == nil {
		e.preview = nil
		return
	}
	e.preview = NewPreview(w, e.p)
}

// Profile returns the encoder's printer profile.
func (e *Encoder) Profile() *Profile { return e.p }

// Err returns the first write error, if any.
func (e *Encoder) Err() error { return e.err }

// Substitutions returns how many characters so far had no code page on
// this printer and were printed as an ASCII spelling ("EUR", "e" for ė) or
// as '_'. Callers may log it; the receipt still printed.
func (e *Encoder) Substitutions() int { return e.substituted }

// Flush writes buffered output to the writer (and the preview) and returns
// the first error so far.
func (e *Encoder) Flush() error {
	e.flush()
	if e.preview != nil {
		if err := e.preview.Flush(); err != nil && e.err == nil {
			e.err = fmt.Errorf("write preview: %w", err)
		}
	}
	return e.err
}

func (e *Encoder) flush() {
	if len(e.buf) == 0 {
		return
	}
	if e.err == nil {
		if _, err := e.w.Write(e.buf); err != nil {
			e.err = fmt.Errorf("write escpos stream: %w", err)
		}
	}
	if e.preview != nil && e.err == nil {
		if _, err := e.preview.Write(e.buf); err != nil {
			e.err = fmt.Errorf("write preview: %w", err)
		}
	}
	e.buf = e.buf[:0]
}

func (e *Encoder) commit() {
	if len(e.buf) >= flushAt {
		e.flush()
	}
}

// Init resets the printer (ESC @): it clears the print buffer and sets
// default styles, alignment, font and code page. Start every job with it.
func (e *Encoder) Init() {
	e.buf = append(e.buf, esc, '@')
	e.style, e.align, e.font = Style{Width: 1, Height: 1}, AlignLeft, 0
	e.known = true
	e.page = -1 // ESC @ restores the page set by the printer's memory switches: unknown
	e.midLine = false
	e.commit()
}

// Raw writes b unchanged. The encoder then forgets what it knew about the
// printer state and sends every setting again.
func (e *Encoder) Raw(b []byte) {
	e.buf = append(e.buf, b...)
	e.known = false
	e.page = -1
	e.midLine = len(b) > 0 && b[len(b)-1] >= 0x20
	e.commit()
}

// SetBold turns emphasis on or off (ESC E n).
func (e *Encoder) SetBold(on bool) {
	if e.known && e.style.Bold == on {
		return
	}
	e.buf = append(e.buf, esc, 'E', b2i(on))
	e.style.Bold = on
	e.commit()
}

// SetUnderline sets the underline mode (ESC - n).
func (e *Encoder) SetUnderline(u Underline) {
	u = min(u, UnderlineDouble)
	if e.known && e.style.Underline == u {
		return
	}
	e.buf = append(e.buf, esc, '-', byte(u))
	e.style.Underline = u
	e.commit()
}

// SetSize sets the character width and height multipliers, each clamped to
// 1..8 (GS ! n). SetSize(2, 2) is double width and height.
func (e *Encoder) SetSize(width, height int) {
	width, height = min(max(width, 1), 8), min(max(height, 1), 8)
	if e.known && e.style.Width == width && e.style.Height == height {
		return
	}
	e.buf = append(e.buf, gs, '!', byte((width-1)<<4|(height-1)))
	e.style.Width, e.style.Height = width, height
	e.commit()
}

// SetInverse turns white-on-black printing on or off (GS B n).
func (e *Encoder) SetInverse(on bool) {
	if e.known && e.style.Inverse == on {
		return
	}
	e.buf = append(e.buf, gs, 'B', b2i(on))
	e.style.Inverse = on
	e.commit()
}

// SetStyle applies every field of s.
func (e *Encoder) SetStyle(s Style) {
	s = s.normal()
	e.SetBold(s.Bold)
	e.SetUnderline(s.Underline)
	e.SetSize(s.Width, s.Height)
	e.SetInverse(s.Inverse)
}

// Style returns the current character style.
func (e *Encoder) Style() Style { return e.style }

// Styled prints text in style s, then restores the previous style.
func (e *Encoder) Styled(s Style, text string) {
	prev := e.style
	e.SetStyle(s)
	e.Text(text)
	e.SetStyle(prev)
}

// SetAlign sets the alignment (ESC a n). The printer applies it from the
// start of the next line, so set it before a line's text.
func (e *Encoder) SetAlign(a Align) {
	a = min(a, AlignRight)
	if e.known && e.align == a {
		return
	}
	e.buf = append(e.buf, esc, 'a', byte(a))
	e.align = a
	e.commit()
}

// Align returns the current alignment.
func (e *Encoder) Align() Align { return e.align }

// SetFont selects font n of the profile (ESC M n); 0 is font A, 1 font B.
// It returns an error wrapping ErrUnknownFont if the model has no such font.
func (e *Encoder) SetFont(n int) error {
	if _, ok := e.p.Font(n); !ok {
		return fmt.Errorf("font %d on %s: %w", n, e.p.ID, ErrUnknownFont)
	}
	if e.known && e.font == n {
		return nil
	}
	e.buf = append(e.buf, esc, 'M', byte(n))
	e.font = n
	e.commit()
	return nil
}

// Font returns the selected font number.
func (e *Encoder) Font() int { return e.font }

// Columns returns how many characters fit on a line in the current font
// and character width.
func (e *Encoder) Columns() int {
	c := e.p.Columns(e.font)
	if c == 0 && len(e.p.Fonts) > 0 {
		c = e.p.Fonts[0].Columns
	}
	return max(c/max(e.style.Width, 1), 1)
}

// LineFeed prints the pending line and moves to the next (LF).
func (e *Encoder) LineFeed() {
	e.buf = append(e.buf, lf)
	e.midLine = false
	e.commit()
}

// FeedLines prints the pending line and feeds n lines (ESC d n, n clamped
// to 0..255). On Star profiles, where ESC d means cut, it sends n LFs.
func (e *Encoder) FeedLines(n int) {
	n = min(max(n, 0), 255)
	if e.p.Features.StarCommands {
		for range n {
			e.buf = append(e.buf, lf)
		}
	} else {
		e.buf = append(e.buf, esc, 'd', byte(n))
	}
	e.midLine = false
	e.commit()
}

// Line prints s and a line feed.
func (e *Encoder) Line(s string) {
	e.Text(s)
	e.LineFeed()
}

// endLine finishes a pending line; commands that print on a line of their
// own (cut, barcodes, QR codes, images) call it first.
func (e *Encoder) endLine() {
	if e.midLine {
		e.LineFeed()
	}
}

// Cut feeds the paper to the cutter plus feed motion units (0..255) and
// cuts (GS V 65 n for a full cut, GS V 66 n for a partial one). A mode the
// profile lacks falls back to the other; on a printer without a cutter Cut
// feeds a few lines so the receipt can be torn off.
func (e *Encoder) Cut(mode CutMode, feed int) {
	e.endLine()
	feed = min(max(feed, 0), 255)
	full, part := e.p.Features.PaperFullCut, e.p.Features.PaperPartCut
	switch {
	case (mode == CutPartial && part) || (mode == CutFull && !full && part):
		e.buf = append(e.buf, gs, 'V', 66, byte(feed))
	case full:
		e.buf = append(e.buf, gs, 'V', 65, byte(feed))
	default:
		e.FeedLines(tearFeedLines)
	}
	e.commit()
}

// KickDrawer pulses a cash drawer pin (ESC p m t1 t2): on is how long the
// pin is driven and off the pause after it, in steps of 2 ms up to 510 ms;
// zero means 120 ms on and 240 ms off. Star profiles without ESC p get BEL
// (pin 2) or SUB (pin 5). It returns an error wrapping ErrUnsupported for a
// model without a drawer port, and one for a pin other than 2 or 5.
func (e *Encoder) KickDrawer(pin DrawerPin, on, off time.Duration) error {
	var m byte
	switch pin {
	case DrawerPin2:
		m = 0
	case DrawerPin5:
		m = 1
	default:
		return fmt.Errorf("drawer pin %d: must be 2 or 5", pin)
	}
	switch {
	case e.p.Features.PulseStandard:
		if on <= 0 {
			on = 120 * time.Millisecond
		}
		if off <= 0 {
			off = 240 * time.Millisecond
		}
		t1 := byte(min(max(on/(2*time.Millisecond), 1), 255))
		t2 := byte(min(max(off/(2*time.Millisecond), 1), 255))
		e.buf = append(e.buf, esc, 'p', m, t1, t2)
	case e.p.Features.PulseBel:
		if pin == DrawerPin2 {
			e.buf = append(e.buf, 0x07) // BEL drives external device 1
		} else {
			e.buf = append(e.buf, 0x1a) // SUB drives external device 2
		}
	default:
		return fmt.Errorf("drawer kick on %s: %w", e.p.ID, ErrUnsupported)
	}
	e.commit()
	return nil
}

func b2i(b bool) byte {
	if b {
		return 1
	}
	return 0
}
