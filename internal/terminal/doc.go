// Package terminal sits on the wire between a store's tills and their
// receipt printers: it listens where the till prints (a TCP port, or a
// serial port, also a USB-serial adapter found by its VID:PID), passes every
// byte to the real printer first and unchanged, relays the printer's status
// answers back, and captures the sales from a copy of the stream off the hot
// path.
//
// # Passthrough
//
// A session is one till connection (TCP) or the open serial port. Bytes are
// read from the till and written to the printer's connection before anything
// else happens to them; the capture gets a copy through a bounded channel,
// and a full channel drops the copy (counted), never the print. What the
// printer sends back (answers to DLE EOT n, GS r n, Automatic Status Back
// after GS a n) is copied to the till as it comes.
//
// A segment is a run of the till's bytes: a TCP connection, or bytes
// without an idle gap of idle_cut. The printer's connection is opened at the
// start of a segment and closed at its end, so other jobs (the print queue)
// reach one-connection printers in between. When the printer cannot be
// reached at the start of a segment, or while bytes of this till still wait
// in the print queue, the segment is offline: status requests are answered
// at once with the documented offline reply (or an online emulation with
// offline_reply: online), and the segment's bytes are queued durably in the
// print queue (internal/spool) as a raw job when the segment ends (or every
// MaxSegmentBytes), to print in order when the printer returns, under the
// queue's rules (a job whose connection broke mid-way is unconfirmed, never
// printed twice by itself). When the printer's connection breaks in the
// middle of a segment, the bytes it did not take are queued the same way.
//
// # Capture
//
// Per session, the copy is cut into receipts (parse.Cutter: cut commands,
// and the idle gap for tills that never cut) or, in journal mode, framed
// into lines (CR, LF, CR LF; or STX ... ETX [checksum]) grouped into
// transactions (parse.Journal). Each receipt is parsed (parse.Parse) and
// delivered in one bbolt transaction: a sale goes in as an Aura order like
// POST /v1/orders (source vendor terminal:<name>), and every receipt,
// whatever its kind, becomes a com.auraconnect.edge.terminal.receipt event
// with its text (PANs masked), the SHA-256 of its raw bytes, the parse
// confidence and problems, and, when it is unparsed, the raw bytes (PANs
// masked, base64). A receipt is identified by till, receipt number and
// printed date (or, without a number, the raw digest): a reprint or copy of
// a receipt already captured is a duplicate, not a second sale.
package terminal
