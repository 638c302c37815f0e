package file_test

// Tests open printers by URL: register the built-in transports, as the
// command does.

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport"
	_ "github.com/auraconnect/aura-edge/drivers/transport/all"
)

// payload returns n deterministic pseudo-random bytes.
func payload(n int) []byte {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func open(t *testing.T, raw string, opts transport.Options) transport.Conn {
	t.Helper()
	c, err := transport.Open(context.Background(), raw, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", raw, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
