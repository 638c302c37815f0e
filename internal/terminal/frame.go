package terminal

// Journal framing: a register streams its electronic journal as text lines
// ending in CR, LF or CR LF, or as frames STX text ETX [checksum], where the
// checksum (framing stx-etx, checksum xor) is one byte: the XOR of every
// byte after STX up to and including ETX. A frame may hold several lines.

const (
	stx = 0x02
	etx = 0x03
)

// framer turns journal bytes into lines. It is not safe for concurrent use.
type framer struct {
	stxEtx   bool
	checksum bool

	line    []byte
	lastCR  bool
	inFrame bool
	sum     byte
	wantSum bool
	frame   [][]byte // lines of the current frame
}

// feed adds bytes; fn gets every complete line (without its ending) and
// whether its frame's checksum matched (always true without checksums).
func (f *framer) feed(p []byte, fn func(line string, ok bool)) {
	for _, b := range p {
		if !f.stxEtx {
			f.text(b, func(l string) { fn(l, true) })
			continue
		}
		switch {
		case f.wantSum:
			f.wantSum = false
			f.emitFrame(b == f.sum, fn)
		case !f.inFrame:
			if b == stx {
				f.inFrame, f.sum, f.frame, f.line, f.lastCR = true, 0, nil, f.line[:0], false
			}
			// Bytes between frames (ACK, NAK, noise) are not text.
		case b == stx: // a new frame without ETX: keep the broken one's lines
			f.emitFrame(false, fn)
			f.inFrame, f.sum = true, 0
		case b == etx:
			f.sum ^= b
			f.inFrame = false
			if f.checksum {
				f.wantSum = true
			} else {
				f.emitFrame(true, fn)
			}
		default:
			f.sum ^= b
			f.text(b, func(l string) { f.frame = append(f.frame, []byte(l)) })
		}
	}
}

func (f *framer) emitFrame(ok bool, fn func(string, bool)) {
	if len(f.line) > 0 {
		f.frame = append(f.frame, f.line)
		f.line = nil
	}
	for _, l := range f.frame {
		fn(string(l), ok)
	}
	f.frame = nil
	f.lastCR = false
}

// text handles one byte of line text.
func (f *framer) text(b byte, emit func(string)) {
	switch b {
	case '\r':
		emit(string(f.line))
		f.line = f.line[:0]
		f.lastCR = true
		return
	case '\n':
		if !f.lastCR {
			emit(string(f.line))
			f.line = f.line[:0]
		}
	default:
		f.line = append(f.line, b)
	}
	f.lastCR = false
}

// flush returns the pending partial line (on an idle gap).
func (f *framer) flush() (string, bool) {
	if f.stxEtx && (f.inFrame || f.wantSum) {
		lines := f.frame
		if len(f.line) > 0 {
			lines = append(lines, f.line)
		}
		f.frame, f.line, f.inFrame, f.wantSum = nil, nil, false, false
		out := ""
		for i, l := range lines {
			if i > 0 {
				out += "\n"
			}
			out += string(l)
		}
		return out, len(lines) > 0
	}
	if len(f.line) == 0 {
		return "", false
	}
	l := string(f.line)
	f.line = f.line[:0]
	return l, true
}
