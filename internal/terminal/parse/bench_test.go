package parse

import (
	"testing"
)

// BenchmarkParse is the cost of decoding and parsing one receipt of the
// corpus (averaged over all of them).
func BenchmarkParse(b *testing.B) {
	var raws [][]byte
	var opts []Options
	var size int64
	for _, c := range corpus {
		raws = append(raws, c.build())
		opts = append(opts, corpusOptions(b, c))
		size += int64(len(raws[len(raws)-1]))
	}
	b.SetBytes(size / int64(len(raws)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := i % len(raws)
		Parse(raws[k], opts[k])
	}
}

// BenchmarkCutter is the cutter's throughput on the corpus stream.
func BenchmarkCutter(b *testing.B) {
	var stream []byte
	for _, c := range corpus {
		stream = append(stream, c.build()...)
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		var c Cutter
		for i := 0; i < len(stream); i += 1460 {
			c.Write(stream[i:min(i+1460, len(stream))])
		}
		c.Flush()
	}
}
