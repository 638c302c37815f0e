package file_test

import (
	"context"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport"
	"github.com/auraconnect/aura-edge/drivers/transport/printertest"
)

// BenchmarkFileJob writes one 16 KiB job file, fsynced, per iteration.
func BenchmarkFileJob(b *testing.B) {
	url := fileURL(b.TempDir())
	job := printertest.Payload(16 << 10)
	b.SetBytes(int64(len(job)))
	for b.Loop() {
		c, err := transport.Open(context.Background(), url, transport.Options{JobID: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		c.Write(job)
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
