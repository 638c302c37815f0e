package escpos

import (
	"io"
	"strings"
	"testing"
)

// BenchmarkReceipt encodes the 40-line café receipt (styles, two-column
// lines with euro signs and accents, a QR code, a barcode and a cut) with
// a fresh encoder each time.
func BenchmarkReceipt(b *testing.B) {
	p := mustProfile(b, "TM-T88V")
	b.ReportAllocs()
	for b.Loop() {
		e := New(io.Discard, p)
		if err := receipt(e); err != nil {
			b.Fatal(err)
		}
		if err := e.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReceiptReused reuses one encoder (Reset) across receipts.
func BenchmarkReceiptReused(b *testing.B) {
	e := New(io.Discard, mustProfile(b, "TM-T88V"))
	b.ReportAllocs()
	for b.Loop() {
		e.Reset(io.Discard)
		if err := receipt(e); err != nil {
			b.Fatal(err)
		}
		if err := e.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReceiptWithPreview also renders the text preview in the same pass.
func BenchmarkReceiptWithPreview(b *testing.B) {
	p := mustProfile(b, "TM-T88V")
	b.ReportAllocs()
	for b.Loop() {
		e := New(io.Discard, p)
		e.SetPreview(io.Discard)
		if err := receipt(e); err != nil {
			b.Fatal(err)
		}
		if err := e.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTextASCII(b *testing.B) {
	e := New(io.Discard, mustProfile(b, "TM-T88V"))
	line := "2 x Flat white                       7.00"
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		e.Text(line)
		e.buf = e.buf[:0]
	}
}

func BenchmarkTextCodePages(b *testing.B) {
	e := New(io.Discard, mustProfile(b, "default"))
	line := "Crème brûlée – “€6.50” Привет Ωμέγα"
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		e.Text(line)
		e.buf = e.buf[:0]
	}
}

func BenchmarkTextFallback(b *testing.B) {
	e := New(io.Discard, mustProfile(b, "simple"))
	line := "Zażółć – “€6.50” Привет 日本"
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		e.Text(line)
		e.buf = e.buf[:0]
	}
}

// BenchmarkImage dithers and encodes a full-width 576x200 logo.
func BenchmarkImage(b *testing.B) {
	e := New(io.Discard, mustProfile(b, "TM-T20II"))
	img := gradient(576, 200)
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Image(img, ImageOptions{}); err != nil {
			b.Fatal(err)
		}
		e.buf = e.buf[:0]
	}
}

func BenchmarkPreview(b *testing.B) {
	p := mustProfile(b, "TM-T88V")
	var sb strings.Builder
	e := New(&sb, p)
	if err := receipt(e); err != nil {
		b.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		b.Fatal(err)
	}
	stream := []byte(sb.String())
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		RenderPreview(stream, p)
	}
}
