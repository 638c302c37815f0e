package escpos

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"
)

// TestCommands pins every command family to the bytes of the ESC/POS
// reference, independent of the golden files.
func TestCommands(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		fn      func(e *Encoder) error
		want    []byte
	}{
		{"init", "TM-T88V", func(e *Encoder) error { e.Init(); return nil }, []byte{0x1b, 0x40}},
		{"bold on, repeated", "TM-T88V", func(e *Encoder) error {
			e.Init()
			e.SetBold(true)
			e.SetBold(true)
			e.SetBold(false)
			return nil
		}, []byte{0x1b, 0x40, 0x1b, 0x45, 1, 0x1b, 0x45, 0}},
		{"bold before init is always sent", "TM-T88V", func(e *Encoder) error {
			e.SetBold(false)
			return nil
		}, []byte{0x1b, 0x45, 0}},
		{"underline", "TM-T88V", func(e *Encoder) error {
			e.Init()
			e.SetUnderline(UnderlineSingle)
			e.SetUnderline(UnderlineDouble)
			e.SetUnderline(7)
			e.SetUnderline(UnderlineNone)
			return nil
		}, []byte{0x1b, 0x40, 0x1b, 0x2d, 1, 0x1b, 0x2d, 2, 0x1b, 0x2d, 0}},
		{"size", "TM-T88V", func(e *Encoder) error {
			e.Init()
			e.SetSize(1, 1) // already normal: nothing
			e.SetSize(2, 2)
			e.SetSize(8, 1)
			e.SetSize(0, 9) // clamped to 1x8, never 8x8 for "zero"
			return nil
		}, []byte{0x1b, 0x40, 0x1d, 0x21, 0x11, 0x1d, 0x21, 0x70, 0x1d, 0x21, 0x07}},
		{"inverse", "TM-T88V", func(e *Encoder) error {
			e.Init()
			e.SetInverse(true)
			return nil
		}, []byte{0x1b, 0x40, 0x1d, 0x42, 1}},
		{"align", "TM-T88V", func(e *Encoder) error {
			e.Init()
			e.SetAlign(AlignCenter)
			e.SetAlign(AlignRight)
			e.SetAlign(AlignLeft)
			return nil
		}, []byte{0x1b, 0x40, 0x1b, 0x61, 1, 0x1b, 0x61, 2, 0x1b, 0x61, 0}},
		{"font", "TM-T88V", func(e *Encoder) error {
			e.Init()
			return e.SetFont(1)
		}, []byte{0x1b, 0x40, 0x1b, 0x4d, 1}},
		{"styled restores", "TM-T88V", func(e *Encoder) error {
			e.Init()
			e.Styled(Style{Bold: true, Width: 2}, "Hi")
			return nil
		}, []byte{0x1b, 0x40, 0x1b, 0x45, 1, 0x1d, 0x21, 0x10, 'H', 'i', 0x1b, 0x45, 0, 0x1d, 0x21, 0}},
		{"line feed and feed lines", "TM-T88V", func(e *Encoder) error {
			e.Line("a")
			e.FeedLines(3)
			e.FeedLines(300)
			return nil
		}, []byte{'a', 0x0a, 0x1b, 0x64, 3, 0x1b, 0x64, 255}},
		{"feed lines on Star is LFs", "TSP600", func(e *Encoder) error {
			e.FeedLines(2)
			return nil
		}, []byte{0x0a, 0x0a}},
		{"full cut", "TM-T88V", func(e *Encoder) error { e.Cut(CutFull, 0); return nil }, []byte{0x1d, 0x56, 65, 0}},
		{"partial cut with feed", "TM-T88V", func(e *Encoder) error { e.Cut(CutPartial, 3); return nil }, []byte{0x1d, 0x56, 66, 3}},
		{"cut ends the pending line", "TM-T88V", func(e *Encoder) error {
			e.Text("x")
			e.Cut(CutFull, 0)
			return nil
		}, []byte{'x', 0x0a, 0x1d, 0x56, 65, 0}},
		{"partial cut without partial cutter", "RP332", func(e *Encoder) error { e.Cut(CutPartial, 0); return nil }, []byte{0x1d, 0x56, 65, 0}},
		{"full cut with partial cutter only", "TM-T70", func(e *Encoder) error { e.Cut(CutFull, 5); return nil }, []byte{0x1d, 0x56, 66, 5}},
		{"cut without cutter feeds to the tear bar", "POS-5890", func(e *Encoder) error { e.Cut(CutFull, 0); return nil }, []byte{0x1b, 0x64, 4}},
		{"drawer pin 2 defaults", "TM-T88V", func(e *Encoder) error {
			return e.KickDrawer(DrawerPin2, 0, 0)
		}, []byte{0x1b, 0x70, 0, 60, 120}},
		{"drawer pin 5", "TM-T88V", func(e *Encoder) error {
			return e.KickDrawer(DrawerPin5, 50*time.Millisecond, 500*time.Millisecond)
		}, []byte{0x1b, 0x70, 1, 25, 250}},
		{"drawer times clamp", "TM-T88V", func(e *Encoder) error {
			return e.KickDrawer(DrawerPin2, time.Millisecond, time.Second)
		}, []byte{0x1b, 0x70, 0, 1, 255}},
		{"code128 set B", "TM-T88V", func(e *Encoder) error {
			return e.Code128("ORDER-123", BarcodeOptions{})
		}, []byte{
			0x1d, 0x68, 80, 0x1d, 0x77, 3, 0x1d, 0x48, 2,
			0x1d, 0x6b, 73, 11, '{', 'B', 'O', 'R', 'D', 'E', 'R', '-', '1', '2', '3',
		}},
		{"code128 escapes brace", "TM-T88V", func(e *Encoder) error {
			return e.Code128("a{b", BarcodeOptions{Height: 50, Width: 2, HRI: HRINone})
		}, []byte{
			0x1d, 0x68, 50, 0x1d, 0x77, 2, 0x1d, 0x48, 0,
			0x1d, 0x6b, 73, 6, '{', 'B', 'a', '{', '{', 'b',
		}},
		{"code128 digits use set C", "TM-T88V", func(e *Encoder) error {
			return e.Code128("000123", BarcodeOptions{HRI: HRIBoth})
		}, []byte{
			0x1d, 0x68, 80, 0x1d, 0x77, 3, 0x1d, 0x48, 3,
			0x1d, 0x6b, 73, 5, '{', 'C', 0, 1, 23,
		}},
		{"barcode width sends GS w, not GS h", "TM-T88V", func(e *Encoder) error {
			return e.Code128("AB", BarcodeOptions{Height: 100, Width: 5, HRI: HRIAbove})
		}, []byte{
			0x1d, 0x68, 100, 0x1d, 0x77, 5, 0x1d, 0x48, 1,
			0x1d, 0x6b, 73, 4, '{', 'B', 'A', 'B',
		}},
		{"ean13 computes check digit", "TM-T88V", func(e *Encoder) error {
			return e.EAN13("400638133393", BarcodeOptions{})
		}, append([]byte{0x1d, 0x68, 80, 0x1d, 0x77, 3, 0x1d, 0x48, 2, 0x1d, 0x6b, 67, 13}, "4006381333931"...)},
		{"ean13 function A", "ZJ-5870", func(e *Encoder) error {
			e.p = e.p.WithWidth(0, 0)
			e.p.Features.BarcodeA = true // ZJ-5870 has neither: pretend function A only
			return e.EAN13("4006381333931", BarcodeOptions{Width: 2})
		}, append(append([]byte{0x1d, 0x68, 80, 0x1d, 0x77, 2, 0x1d, 0x48, 2, 0x1d, 0x6b, 2}, "4006381333931"...), 0)},
		{"qr defaults", "TM-T88V", func(e *Encoder) error {
			return e.QR("hello", QROptions{})
		}, []byte{
			0x1d, 0x28, 0x6b, 4, 0, 0x31, 0x41, 0x32, 0,
			0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x43, 6,
			0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x45, 0x31,
			0x1d, 0x28, 0x6b, 8, 0, 0x31, 0x50, 0x30, 'h', 'e', 'l', 'l', 'o',
			0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30,
		}},
		{"code page switch", "TM-T88V", func(e *Encoder) error {
			e.Init()
			e.Text("é€é")
			return nil
		}, []byte{0x1b, 0x40, 0x1b, 0x74, 19, 0x82, 0xd5, 0x82}}, // one switch to CP858 serves all three
		{"star code page switch", "TSP600", func(e *Encoder) error {
			e.Text("é")
			return nil
		}, []byte{0x1b, 0x1d, 0x74, 0, 0x82}},
		{"controls cannot inject commands", "TM-T88V", func(e *Encoder) error {
			e.Text("a\x1b@b\x1d\x56\x00c\r\x00\x7fd\te")
			return nil
		}, []byte("a@bVcd e")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := encode(t, tc.profile, tc.fn)
			if !bytes.Equal(got, tc.want) {
				t.Errorf("got  % x\nwant % x", got, tc.want)
			}
		})
	}
}

func TestQRLevels(t *testing.T) {
	for level, code := range map[QRLevel]byte{QRLevelL: 48, QRLevelM: 49, QRLevelQ: 50, QRLevelH: 51} {
		got, _ := encode(t, "TM-T88V", func(e *Encoder) error { return e.QR("x", QROptions{Level: level, Size: 4}) })
		want := []byte{0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x45, code}
		if !bytes.Contains(got, want) {
			t.Errorf("level %s: % x does not contain % x", level, got, want)
		}
		if !bytes.Contains(got, []byte{0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x43, 4}) {
			t.Errorf("level %s: module size 4 missing in % x", level, got)
		}
	}
}

func TestQRSizeShrinksToFit(t *testing.T) {
	data := strings.Repeat("https://aura.example/receipt/", 8)
	q, err := qrcode.New(data, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	modules := 17 + 4*q.VersionNumber + 8 // with the quiet zone
	got, _ := encode(t, "POS-5890", func(e *Encoder) error {
		e.p = e.p.WithWidth(0, 0)
		e.p.Features.QRCode = true
		return e.QR(data, QROptions{Size: 16})
	})
	i := bytes.Index(got, []byte{0x1d, 0x28, 0x6b, 3, 0, 0x31, 0x43})
	if i < 0 {
		t.Fatalf("no module size command in % x", got[:40])
	}
	size := int(got[i+7])
	if size < 1 || modules*size > 384 || modules*(size+1) <= 384 {
		t.Errorf("module size %d: want the largest that fits 384 dots", size)
	}
}

func TestQRVersionTable(t *testing.T) {
	// Lower-case letters force byte mode in go-qrcode too.
	for l, ql := range map[QRLevel]qrcode.RecoveryLevel{QRLevelL: qrcode.Low, QRLevelM: qrcode.Medium, QRLevelQ: qrcode.High, QRLevelH: qrcode.Highest} {
		for v := range 40 {
			n := int(qrBytes[v][l.column()])
			for _, m := range []int{n, n + 1} {
				if v == 39 && m > n {
					continue
				}
				q, err := qrcode.New(strings.Repeat("a", m), ql)
				if err != nil {
					t.Fatal(err)
				}
				if got := qrVersion(m, l); got != q.VersionNumber {
					t.Errorf("level %s, %d bytes: version %d, go-qrcode says %d", l, m, got, q.VersionNumber)
				}
			}
		}
	}
}

func TestQRRasterFallback(t *testing.T) {
	got, pv := encode(t, "POS-5890", func(e *Encoder) error { return e.QR("https://aura.example/r/1", QROptions{}) })
	if !bytes.HasPrefix(got, []byte{0x1d, 0x76, 0x30, 0}) {
		t.Fatalf("want GS v 0 raster, got % x", got[:16])
	}
	if !strings.Contains(pv, "[IMAGE ") {
		t.Errorf("preview %q has no image", pv)
	}
}

func TestEncoderErrors(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		fn      func(e *Encoder) error
		want    error
	}{
		{"unknown font", "TM-T88V", func(e *Encoder) error { return e.SetFont(2) }, ErrUnknownFont},
		{"bad drawer pin", "TM-T88V", func(e *Encoder) error { return e.KickDrawer(3, 0, 0) }, nil},
		{"no drawer port", "AF-240", func(e *Encoder) error { return e.KickDrawer(DrawerPin2, 0, 0) }, ErrUnsupported},
		{"no barcodes", "POS-5890", func(e *Encoder) error { return e.Code128("1", BarcodeOptions{}) }, ErrUnsupported},
		{"no barcodes ean", "POS-5890", func(e *Encoder) error { return e.EAN13("4006381333931", BarcodeOptions{}) }, ErrUnsupported},
		{"empty code128", "TM-T88V", func(e *Encoder) error { return e.Code128("", BarcodeOptions{}) }, ErrInvalidBarcode},
		{"non-ASCII code128", "TM-T88V", func(e *Encoder) error { return e.Code128("café", BarcodeOptions{}) }, ErrInvalidBarcode},
		{"control in code128", "TM-T88V", func(e *Encoder) error { return e.Code128("a\nb", BarcodeOptions{}) }, ErrInvalidBarcode},
		{"code128 too wide", "TM-T88V", func(e *Encoder) error {
			return e.Code128(strings.Repeat("A", 30), BarcodeOptions{})
		}, ErrInvalidBarcode},
		{"code128 module width", "TM-T88V", func(e *Encoder) error { return e.Code128("A", BarcodeOptions{Width: 7}) }, ErrInvalidBarcode},
		{"ean13 wrong check digit", "TM-T88V", func(e *Encoder) error { return e.EAN13("4006381333932", BarcodeOptions{}) }, ErrInvalidBarcode},
		{"ean13 letters", "TM-T88V", func(e *Encoder) error { return e.EAN13("40063813339a", BarcodeOptions{}) }, ErrInvalidBarcode},
		{"ean13 length", "TM-T88V", func(e *Encoder) error { return e.EAN13("12345", BarcodeOptions{}) }, ErrInvalidBarcode},
		{"empty qr", "TM-T88V", func(e *Encoder) error { return e.QR("", QROptions{}) }, ErrInvalidBarcode},
		{"qr too long", "TM-T88V", func(e *Encoder) error {
			return e.QR(strings.Repeat("x", 1300), QROptions{Level: QRLevelH})
		}, ErrInvalidBarcode},
		{"no qr, no raster", "AF-240", func(e *Encoder) error { return e.QR("x", QROptions{}) }, ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			e := New(&out, mustProfile(t, tc.profile))
			err := tc.fn(e)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v is not %v", err, tc.want)
			}
			if e.Flush(); out.Len() != 0 {
				t.Errorf("a refused command wrote % x", out.Bytes())
			}
		})
	}
}

func TestEANCheckDigit(t *testing.T) {
	for in, want := range map[string]byte{
		"400638133393": '1', // EAN-13 4006381333931
		"590123412345": '7', // EAN-13 5901234123457
		"000000000000": '0',
		"9638507":      '4', // EAN-8 96385074
	} {
		if got := EANCheckDigit(in); got != want {
			t.Errorf("EANCheckDigit(%s) = %c, want %c", in, got, want)
		}
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return w.n, io.ErrShortWrite
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteErrorIsSticky(t *testing.T) {
	e := New(&failWriter{n: 10}, mustProfile(t, "TM-T88V"))
	e.Line(strings.Repeat("x", 5000)) // forces a flush mid-way
	e.Line("more")
	err := e.Flush()
	if !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("Flush = %v, want io.ErrShortWrite", err)
	}
	if e.Err() != err {
		t.Errorf("Err = %v, want %v", e.Err(), err)
	}
}

func TestLargeOutputIsFlushedInChunks(t *testing.T) {
	var out bytes.Buffer
	e := New(&out, nil)
	for range 100 {
		e.Line(strings.Repeat("y", 100))
	}
	if out.Len() == 0 {
		t.Error("nothing written before Flush: the buffer grows without bound")
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 100*101 {
		t.Errorf("wrote %d bytes, want %d", out.Len(), 100*101)
	}
}

func TestReset(t *testing.T) {
	var a, b bytes.Buffer
	e := New(&a, nil)
	e.Init()
	e.SetBold(true)
	e.Text("é")
	e.Reset(&b)
	e.SetBold(true) // state forgotten: sent again
	e.Text("é")     // page forgotten: selected again
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if a.Len() != 0 {
		t.Errorf("Reset flushed old output: % x", a.Bytes())
	}
	if want := []byte{0x1b, 0x45, 1, 0x1b, 0x74, 0, 0x82}; !bytes.Equal(b.Bytes(), want) {
		t.Errorf("got % x, want % x", b.Bytes(), want)
	}
}

func TestColumnsAndLeftRight(t *testing.T) {
	p := mustProfile(t, "TM-T88V") // 42 / 56 columns
	var out bytes.Buffer
	e := New(&out, p)
	e.Init()
	if got := e.Columns(); got != 42 {
		t.Errorf("Columns = %d, want 42", got)
	}
	e.SetSize(2, 1)
	if got := e.Columns(); got != 21 {
		t.Errorf("Columns at double width = %d, want 21", got)
	}
	e.SetSize(1, 1)
	if err := e.SetFont(1); err != nil {
		t.Fatal(err)
	}
	if got := e.Columns(); got != 56 {
		t.Errorf("Columns in font B = %d, want 56", got)
	}
	if err := e.SetFont(0); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	e.LeftRight("2 x Flat white", "€7.00")
	e.LeftRight(strings.Repeat("long ", 20), "123.45")
	e.LeftRight("x", strings.Repeat("9", 50))
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	pv := RenderPreview(out.Bytes(), p)
	want := "2 x Flat white" + strings.Repeat(" ", 42-14-5) + "€7.00\n" +
		"long long long long long long long  123.45\n" +
		strings.Repeat("9", 42) + "\n"
	if pv != want {
		t.Errorf("preview:\n%s\nwant:\n%s", pv, want)
	}
}

func TestRawForgetsState(t *testing.T) {
	got, _ := encode(t, "TM-T88V", func(e *Encoder) error {
		e.Init()
		e.Raw([]byte{0x1b, 0x45, 1})
		e.SetBold(false) // must be sent: Raw may have changed it
		return nil
	})
	if want := []byte{0x1b, 0x40, 0x1b, 0x45, 1, 0x1b, 0x45, 0}; !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
}
