package parse

// Cutter finds receipt boundaries in an ESC/POS byte stream (GS V cuts,
// ESC i / ESC m). It walks whole commands, so image and barcode data that
// happen to contain a cut's bytes do not split a receipt. It is not safe for
// concurrent use.
//
// Bytes that print no text (status requests, initialisation between
// receipts) are not returned as receipts of their own: they are carried into
// the next receipt, and Flush drops them.
type Cutter struct {
	buf []byte
	pos int // bytes of buf already walked
}

// Write adds stream bytes and returns the raw bytes of every receipt
// completed by a cut, in order (each includes its cut command).
func (c *Cutter) Write(p []byte) (receipts [][]byte) {
	c.buf = append(c.buf, p...)
	for c.pos < len(c.buf) {
		n, o := step(c.buf[c.pos:])
		if n == 0 {
			break
		}
		c.pos += n
		if o != opCut {
			continue
		}
		if !hasText(c.buf[:c.pos]) {
			continue // e.g. a second cut right after the first: keep for the next receipt
		}
		r := make([]byte, c.pos)
		copy(r, c.buf[:c.pos])
		receipts = append(receipts, r)
		c.buf = append(c.buf[:0], c.buf[c.pos:]...)
		c.pos = 0
	}
	return receipts
}

// Flush returns what is pending (call it on an idle gap, for tills that
// never cut), or nil if nothing that prints text is pending.
func (c *Cutter) Flush() []byte {
	b := c.buf
	c.buf, c.pos = nil, 0
	if !hasTextLoose(b) {
		return nil
	}
	return b
}

// Pending returns how many bytes wait for a cut or a Flush.
func (c *Cutter) Pending() int { return len(c.buf) }

// hasTextLoose is hasText that reads past an incomplete command at the end.
func hasTextLoose(b []byte) bool {
	for _, l := range Decode(b, "") {
		for _, r := range l.Text {
			if r != ' ' {
				return true
			}
		}
	}
	return false
}
