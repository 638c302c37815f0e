package printertest

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport"
)

// Payload returns n deterministic pseudo-random bytes: the same n gives the
// same bytes, so a test can compare what a printer received byte for byte.
func Payload(n int) []byte {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Open opens the printer at raw (the transports must be registered, e.g.
// by importing drivers/transport/all) and closes it when the test ends.
func Open(tb testing.TB, raw string, opts transport.Options) transport.Conn {
	tb.Helper()
	c, err := transport.Open(context.Background(), raw, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", raw, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// FirstDiff returns the index of the first byte where a and b differ (the
// shorter length when one is a prefix of the other).
func FirstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
