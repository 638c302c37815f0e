package parse

// Cutter finds receipt boundaries in an ESC/POS byte stream (GS V cuts,
// ESC i / ESC m). It is not safe for concurrent use.
type Cutter struct {
	buf []byte
}

// Write adds stream bytes and returns the raw bytes of every receipt
// completed by a cut, in order (each includes its cut command).
func (c *Cutter) Write(p []byte) (receipts [][]byte) {
	c.buf = append(c.buf, p...)
	return nil
}

// Flush returns what is pending (call it on an idle gap), or nil if nothing.
func (c *Cutter) Flush() []byte {
	b := c.buf
	c.buf = nil
	if len(b) == 0 {
		return nil
	}
	return b
}
