package transport_test

import (
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport"
)

func BenchmarkParseURL(b *testing.B) {
	for b.Loop() {
		if _, err := transport.ParseURL("serial:///dev/ttyUSB0?baud=19200&databits=8&parity=none&stopbits=1"); err != nil {
			b.Fatal(err)
		}
	}
}
