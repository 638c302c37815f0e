//go:build linux

package usb_test

import (
	"io"
	"os"
)

// playPrinter reads DLE EOT n queries from peer and answers each with
// answer, until the peer is closed.
func playPrinter(peer *os.File, answer byte) {
	q := make([]byte, 3)
	for {
		if _, err := io.ReadFull(peer, q); err != nil {
			return
		}
		if q[0] == 0x10 && q[1] == 0x04 {
			peer.Write([]byte{answer})
		}
	}
}
