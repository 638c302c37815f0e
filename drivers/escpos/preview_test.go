package escpos

import (
	"bytes"
	"image"
	"image/color"
	"strings"
	"testing"
	"time"
)

// goldenCases cover each command family; each writes
// testdata/<name>.golden (the printer bytes) and
// testdata/<name>.preview.golden (the text preview).
var goldenCases = []struct {
	name    string
	profile string
	fn      func(e *Encoder) error
}{
	{"text_styles", "TM-T88V", func(e *Encoder) error {
		e.Init()
		e.Line("Plain text")
		e.SetBold(true)
		e.Line("Bold")
		e.SetBold(false)
		e.SetUnderline(UnderlineSingle)
		e.Line("Underlined")
		e.SetUnderline(UnderlineDouble)
		e.Line("Thick underline")
		e.SetUnderline(UnderlineNone)
		e.SetInverse(true)
		e.Line(" Inverse ")
		e.SetInverse(false)
		e.SetAlign(AlignCenter)
		e.Styled(Style{Width: 2, Height: 2}, "Double\n")
		e.SetAlign(AlignRight)
		e.Styled(Style{Height: 2}, "Tall right\n")
		e.SetAlign(AlignLeft)
		if err := e.SetFont(1); err != nil {
			return err
		}
		e.Line("Font B has 56 columns on a TM-T88V, font A only 42.")
		if err := e.SetFont(0); err != nil {
			return err
		}
		e.LeftRight("Left", "Right")
		e.FeedLines(2)
		return nil
	}},
	{"codepages", "default", func(e *Encoder) error {
		e.Init()
		e.Line("Café crème brûlée  3,50 €")
		e.Line("Grüße – “Straße” £2 ¥300")
		e.Line("Zażółć gęślą jaźń")
		e.Line("Привет, мир! Ёж")
		e.Line("Καλημέρα κόσμε")
		e.Line("日本語 and 😀")
		return nil
	}},
	{"codepages_fallback", "simple", func(e *Encoder) error {
		e.Init()
		e.Line("Café crème brûlée  3,50 €")
		e.Line("Grüße – “Straße” £2 ¥300")
		e.Line("Zażółć gęślą jaźń")
		e.Line("Привет, мир! Ёж")
		e.Line("Καλημέρα κόσμε")
		e.Line("日本語 and 😀")
		return nil
	}},
	{"feed_cut", "TM-T88V", func(e *Encoder) error {
		e.Init()
		e.Line("full cut")
		e.Cut(CutFull, 0)
		e.Text("partial cut, pending line")
		e.Cut(CutPartial, 10)
		e.FeedLines(3)
		return nil
	}},
	{"feed_cut_no_cutter", "POS-5890", func(e *Encoder) error {
		e.Init()
		e.Line("no cutter: feed to the tear bar")
		e.Cut(CutPartial, 0)
		return nil
	}},
	{"drawer", "TM-T88V", func(e *Encoder) error {
		e.Init()
		if err := e.KickDrawer(DrawerPin2, 0, 0); err != nil {
			return err
		}
		return e.KickDrawer(DrawerPin5, 100*time.Millisecond, 200*time.Millisecond)
	}},
	{"barcodes", "TM-T88V", func(e *Encoder) error {
		e.Init()
		e.SetAlign(AlignCenter)
		if err := e.Code128("ORDER-1234", BarcodeOptions{}); err != nil {
			return err
		}
		if err := e.Code128("00012345", BarcodeOptions{Height: 60, HRI: HRIAbove}); err != nil {
			return err
		}
		return e.EAN13("590123412345", BarcodeOptions{Width: 2, HRI: HRINone})
	}},
	{"qr", "TM-T88V", func(e *Encoder) error {
		e.Init()
		e.SetAlign(AlignCenter)
		for _, l := range []QRLevel{QRLevelL, QRLevelM, QRLevelQ, QRLevelH} {
			if err := e.QR("https://aura.example/r/"+l.String(), QROptions{Level: l, Size: 4}); err != nil {
				return err
			}
		}
		return nil
	}},
	{"qr_raster", "POS-5890", func(e *Encoder) error {
		e.Init()
		e.SetAlign(AlignCenter)
		return e.QR("https://aura.example/r/1", QROptions{Size: 3})
	}},
	{"image", "POS-5890", func(e *Encoder) error {
		e.Init()
		e.SetAlign(AlignCenter)
		img := gradient(96, 30)
		for _, d := range []Dither{DitherFloydSteinberg, DitherOrdered, DitherThreshold} {
			if err := e.Image(img, ImageOptions{Dither: d}); err != nil {
				return err
			}
			e.Line("")
		}
		return nil
	}},
	{"receipt", "TM-T88V", receipt},
}

// gradient is a horizontal gray ramp with a black frame.
func gradient(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			g := uint8(x * 255 / (w - 1))
			if x == 0 || y == 0 || x == w-1 || y == h-1 {
				g = 0
			}
			img.SetGray(x, y, color.Gray{g})
		}
	}
	return img
}

// receipt is a 40-line café receipt: the golden demo and the benchmark.
func receipt(e *Encoder) error {
	e.Init()
	e.SetAlign(AlignCenter)
	e.Styled(Style{Bold: true, Width: 2, Height: 2}, "Café Aura\n")
	e.Line("12 Rue de la Paix, 75002 Paris")
	e.Line("Tél. 01 23 45 67 89")
	e.SetAlign(AlignLeft)
	e.Line(strings.Repeat("-", e.Columns()))
	e.LeftRight("Order #1042", "2026-08-14 12:31")
	e.LeftRight("Server: Zoë", "Table 7")
	e.Line(strings.Repeat("-", e.Columns()))
	items := []struct{ name, price string }{
		{"2 x Flat white", "€7.00"}, {"1 x Croissant au beurre", "€2.40"},
		{"1 x Pain au chocolat", "€2.60"}, {"3 x Espresso", "€6.30"},
		{"1 x Crème brûlée", "€6.50"}, {"1 x Salade niçoise", "€12.90"},
		{"2 x Jus d'orange pressé", "€9.00"}, {"1 x Quiche lorraine", "€8.50"},
		{"1 x Tarte Tatin", "€5.80"}, {"1 x Eau gazeuse 50cl", "€3.20"},
		{"1 x Café gourmand", "€7.90"}, {"2 x Thé à la menthe", "€7.00"},
		{"1 x Croque-monsieur", "€9.50"}, {"1 x Macarons (6)", "€10.80"},
		{"1 x Chocolat chaud", "€4.20"}, {"1 x Madeleine", "€1.90"},
	}
	for _, it := range items {
		e.LeftRight(it.name, it.price)
	}
	e.Line(strings.Repeat("-", e.Columns()))
	e.LeftRight("Subtotal", "€105.50")
	e.LeftRight("TVA 10 %", "€9.59")
	e.SetBold(true)
	e.SetSize(1, 2)
	e.LeftRight("TOTAL", "€105.50")
	e.SetSize(1, 1)
	e.SetBold(false)
	e.LeftRight("Carte bancaire", "€105.50")
	e.Line(strings.Repeat("-", e.Columns()))
	e.SetAlign(AlignCenter)
	e.Line("Merci et à bientôt !")
	e.Line("Scan for your digital receipt:")
	if err := e.QR("https://aura.example/r/1042?s=7f3a", QROptions{}); err != nil {
		return err
	}
	e.Line("aura.example/r/1042")
	if err := e.Code128("1042", BarcodeOptions{Height: 40}); err != nil {
		return err
	}
	e.SetAlign(AlignLeft)
	e.FeedLines(1)
	e.Line("Powered by Aura")
	e.Line("")
	e.Cut(CutPartial, 0)
	return nil
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			got, pv := encode(t, tc.profile, tc.fn)
			checkGolden(t, tc.name, got)
			checkGolden(t, tc.name+".preview", []byte(pv))
			// The preview of the saved stream is the same as the one made
			// in the same pass.
			if again := RenderPreview(got, mustProfile(t, tc.profile)); again != pv {
				t.Errorf("RenderPreview differs from the live preview:\n%s\nlive:\n%s", again, pv)
			}
		})
	}
}

func TestPreviewIncremental(t *testing.T) {
	for _, tc := range goldenCases {
		stream, _ := encode(t, tc.profile, tc.fn)
		p := mustProfile(t, tc.profile)
		want := RenderPreview(stream, p)
		var b strings.Builder
		v := NewPreview(&b, p)
		for i := range stream {
			v.Write(stream[i : i+1])
		}
		if err := v.Close(); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%s: byte-by-byte preview differs:\n%s\nwant:\n%s", tc.name, b.String(), want)
		}
	}
}

func TestPreviewForeignStreams(t *testing.T) {
	p := mustProfile(t, "TM-T88V")
	tests := []struct {
		name   string
		stream []byte
		want   string
	}{
		{"wraps at columns", []byte(strings.Repeat("x", 50) + "\n"), strings.Repeat("x", 42) + "\n" + strings.Repeat("x", 8) + "\n"},
		{"double width wraps at half", append([]byte{gs, '!', 0x10}, strings.Repeat("y", 22)+"\n"...),
			strings.TrimRight(strings.Repeat("y ", 21), " ") + "\ny\n"},
		{"ESC ! double width", append([]byte{esc, '!', 0x20}, "ab\n"...), "a b\n"},
		{"unknown commands show", []byte{esc, 'z', 'a', '\n', gs, 'z', 'b', '\n'}, "[ESC 0x7a]\na\n[GS 0x7a]\nb\n"},
		{"ESC @ discards the buffer", []byte("lost\x1b@kept\n"), "kept\n"},
		{"incomplete command", []byte("x\n\x1d\x28\x6b\x10\x00\x31"), "x\n[incomplete command: 1d 28 6b 10 00 31]\n"},
		{"function A barcode", append(append([]byte{gs, 'k', 4}, "CODE39"...), 0), "[BARCODE CODE39: CODE39]\n"},
		{"legacy cuts", []byte{gs, 'V', 0, gs, 'V', '1', esc, 'i', esc, 'm'},
			"----- cut -----\n----- partial cut -----\n----- cut -----\n----- partial cut -----\n"},
		{"binary QR data is quoted", []byte{gs, '(', 'k', 5, 0, 49, 80, 48, 0xff, 1, gs, '(', 'k', 3, 0, 49, 81, 48}, "[QR: \"\\xff\\x01\"]\n"},
		{"undefined byte in page", []byte{esc, 't', 16, 0x81, '\n'}, "\uFFFD\n"},
		{"unknown page", []byte{esc, 't', 99, 0xe9, 'a', '\n'}, "\uFFFDa\n"},
		{"ESC d 0 and 2", []byte("a\x1bd\x00b\x1bd\x02c\n"), "a\nb\n\nc\n"},
		{"status requests print nothing", []byte{dle, eot, 1, 'z', '\n'}, "z\n"},
		{"column image", []byte{esc, '*', 33, 2, 0, 1, 2, 3, 4, 5, 6}, "[IMAGE 2 columns]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RenderPreview(tc.stream, p); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestPreviewFlushKeepsPendingLine(t *testing.T) {
	var b bytes.Buffer
	e := New(&b, mustProfile(t, "TM-T88V"))
	var pv strings.Builder
	e.SetPreview(&pv)
	e.Text("half a ")
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if pv.Len() != 0 {
		t.Errorf("Flush printed the unfinished line: %q", pv.String())
	}
	e.Line("line")
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if pv.String() != "half a line\n" {
		t.Errorf("preview %q", pv.String())
	}
}
