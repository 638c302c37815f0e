package tcp_test

import (
	"context"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
)

// BenchmarkTCPJob sends one 16 KiB receipt per connection to the stand-in
// printer: open, write, close.
func BenchmarkTCPJob(b *testing.B) {
	p := printertest.Start(b)
	job := printertest.Payload(16 << 10)
	b.SetBytes(int64(len(job)))
	ctx := context.Background()
	for b.Loop() {
		c, err := transport.Open(ctx, p.URL(), transport.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(job); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkTCPStatus is one DLE EOT round trip on an open connection.
func BenchmarkTCPStatus(b *testing.B) {
	p := printertest.Start(b)
	c, err := transport.Open(context.Background(), p.URL(), transport.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for b.Loop() {
		if _, err := transport.QueryStatus(context.Background(), c, 1, time.Second); err != nil {
			b.Fatal(err)
		}
	}
}
