package terminal

// Replies to the till's real-time status requests while its printer cannot
// be reached (Epson ESC/POS bit layouts):
//
//	request    offline reply               online emulation
//	DLE EOT 1  0x1A (bit 3: offline)       0x12
//	DLE EOT 2  0x52 (bit 6: error)         0x12
//	DLE EOT 3  0x52 (bit 6: recoverable)   0x12
//	DLE EOT 4  0x12 (paper present)        0x12
//	GS r 1/2   0x00                        0x00
//	GS a n≠0   18 40 00 00 (ASB: offline,  10 00 00 00
//	           recoverable error)
//
// A till that asks gets its answer at once instead of silence, and can
// show "printer offline" (or, with offline_reply: online, carry on while
// the bytes wait in the print queue).
var (
	offlineEOT = [5]byte{0, 0x1A, 0x52, 0x52, 0x12}
	onlineEOT  = [5]byte{0, 0x12, 0x12, 0x12, 0x12}
	offlineASB = []byte{0x18, 0x40, 0x00, 0x00}
	onlineASB  = []byte{0x10, 0x00, 0x00, 0x00}
)

// reply returns the answer to a real-time request found by the scanner.
func reply(q query, online bool) []byte {
	switch q.cmd {
	case cmdEOT:
		if online {
			return []byte{onlineEOT[q.n]}
		}
		return []byte{offlineEOT[q.n]}
	case cmdGSr:
		return []byte{0x00}
	case cmdASB:
		if q.n == 0 {
			return nil // ASB turned off
		}
		if online {
			return onlineASB
		}
		return offlineASB
	}
	return nil
}

type cmd uint8

const (
	cmdEOT cmd = iota + 1 // DLE EOT n
	cmdGSr                // GS r n
	cmdASB                // GS a n
)

// query is one real-time request in the till's stream.
type query struct {
	cmd cmd
	n   byte
}

// scanner finds status requests in an ESC/POS stream split across reads.
// It skips the data of raster images, bit images and GS ( / GS 8
// functions (whose length it reads), and the one parameter byte of the
// common one-byte ESC and GS commands, so that image bytes that happen to
// read 10 04 01 are not taken for a request.
type scanner struct {
	state int
	skip  int    // data bytes still to skip
	hdr   []byte // bytes of a length header read so far
	need  int    // length header size to read
	kind  byte   // what the header belongs to
	text  int    // printable bytes seen outside commands and images
}

const (
	stNone = iota
	stDLE
	stDLEEOT
	stESC
	stGS
	stGSr
	stGSa
	stGSv     // GS v
	stGSparen // GS ( x
	stGS8     // GS 8
	stGS8L    // GS 8 L
	stHeader  // reading a length header
	stParam   // one parameter byte to skip
	stESCstar // ESC * m
)

// feed scans p and calls fn for every request found.
func (s *scanner) feed(p []byte, fn func(query)) {
	for i := 0; i < len(p); i++ {
		b := p[i]
		if s.skip > 0 {
			n := min(s.skip, len(p)-i)
			s.skip -= n
			i += n - 1
			continue
		}
		switch s.state {
		case stNone:
			switch b {
			case 0x10:
				s.state = stDLE
			case 0x1B:
				s.state = stESC
			case 0x1D:
				s.state = stGS
			default:
				if b > 0x20 && b != 0x7F {
					s.text++
				}
			}
		case stDLE:
			s.state = stNone
			if b == 0x04 {
				s.state = stDLEEOT
			}
		case stDLEEOT:
			s.state = stNone
			if b >= 1 && b <= 4 {
				fn(query{cmdEOT, b})
			}
		case stESC:
			s.state = stNone
			switch b {
			case '*':
				s.state, s.need, s.hdr = stHeader, 3, s.hdr[:0]
				s.kind = '*'
			case '!', '-', 'E', 'G', 'M', 'R', 'a', 't', 'd', 'J', 'U', '{', 'V', 'r', '3', ' ':
				s.skip = 1
			case 'p': // ESC p m t1 t2 (drawer kick)
				s.skip = 3
			}
		case stGS:
			s.state = stNone
			switch b {
			case 'r':
				s.state = stGSr
			case 'a':
				s.state = stGSa
			case 'v':
				s.state = stGSv
			case '(':
				s.state = stGSparen
			case '8':
				s.state = stGS8
			case '!', 'B', 'H', 'f', 'h', 'w', 'b':
				s.skip = 1
			}
		case stGSr:
			s.state = stNone
			switch b {
			case 1, 2, '1', '2':
				fn(query{cmdGSr, b})
			}
		case stGSa:
			s.state = stNone
			fn(query{cmdASB, b})
		case stGSv:
			s.state = stNone
			if b == '0' { // GS v 0 m xL xH yL yH d...
				s.state, s.need, s.hdr, s.kind = stHeader, 5, s.hdr[:0], 'v'
			}
		case stGSparen: // GS ( fn pL pH d...
			s.state, s.need, s.hdr, s.kind = stHeader, 2, s.hdr[:0], '('
		case stGS8:
			s.state = stNone
			if b == 'L' {
				s.state, s.need, s.hdr, s.kind = stHeader, 4, s.hdr[:0], '8'
			}
		case stHeader:
			s.hdr = append(s.hdr, b)
			if len(s.hdr) < s.need {
				continue
			}
			s.state = stNone
			h := s.hdr
			switch s.kind {
			case 'v': // m xL xH yL yH
				s.skip = (int(h[1]) | int(h[2])<<8) * (int(h[3]) | int(h[4])<<8)
			case '(': // pL pH
				s.skip = int(h[0]) | int(h[1])<<8
			case '8': // p1..p4
				s.skip = int(h[0]) | int(h[1])<<8 | int(h[2])<<16 | int(h[3])<<24
			case '*': // m nL nH
				n := int(h[1]) | int(h[2])<<8
				if h[0] == 32 || h[0] == 33 {
					n *= 3
				}
				s.skip = n
			}
		}
	}
}
