package receipt

import (
	"bytes"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/escpos"
)

// testLogo is a black and white 160x40 logo: a frame and a bar. Pure
// black and white dither to the same dots on every platform.
func testLogo(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			frame := x < 3 || y < 3 || x >= w-3 || y >= h-3
			bar := y >= h/3 && y < 2*h/3 && x >= w/4 && x < 3*w/4
			if !frame && !bar {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	return img
}

func TestLogoGolden(t *testing.T) {
	us := loadOrder(t, "order_us.json")
	l, err := New(usConfig)
	if err != nil {
		t.Fatal(err)
	}
	p := profile(t, "default", 0) // 504 dots
	out, err := Render(p, func(e *escpos.Encoder) error { return l.Receipt(e, us, Options{Logo: testLogo(160, 40)}) })
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "receipt_logo_us_42", out.Bytes)
	checkGolden(t, "receipt_logo_us_42.preview", []byte(out.Preview))
	if got := escpos.RenderPreview(out.Bytes, p); got != out.Preview {
		t.Errorf("RenderPreview differs from the encoder's preview:\n%s\n---\n%s", got, out.Preview)
	}
	if !strings.HasPrefix(out.Preview, "[IMAGE 168x40]\n") { // 160 dots after a pad of 21.5 bytes
		t.Errorf("preview does not start with the logo:\n%s", out.Preview)
	}
}

// TestLogo checks where the logo prints and how it is scaled.
func TestLogo(t *testing.T) {
	us := loadOrder(t, "order_us.json")
	l, err := New(usConfig)
	if err != nil {
		t.Fatal(err)
	}
	narrow, wide := testLogo(160, 40), testLogo(1200, 300)
	tp := TestPage{Printer: "front"}
	for _, c := range []struct {
		name    string
		profile string
		cols    int
		doc     func(e *escpos.Encoder) error
		want    string // the image line of the preview; "" means no image
	}{
		{"receipt 58mm narrow", "POS-5890", 32, func(e *escpos.Encoder) error { return l.Receipt(e, us, Options{Logo: narrow}) }, "[IMAGE 160x40]"},
		// Scaled down to the 384 dots of 58 mm paper, aspect ratio kept.
		{"receipt 58mm wide", "POS-5890", 32, func(e *escpos.Encoder) error { return l.Receipt(e, us, Options{Logo: wide}) }, "[IMAGE 384x96]"},
		{"receipt 80mm wide", "TM-T20III", 48, func(e *escpos.Encoder) error { return l.Receipt(e, us, Options{Logo: wide}) }, "[IMAGE 576x144]"},
		// On 504 dots the centring pad is 172 dots, 21.5 bytes: the preview
		// counts the half byte with the image.
		{"reprint", "default", 0, func(e *escpos.Encoder) error {
			return l.Receipt(e, us, Options{Logo: narrow, Reprint: true})
		}, "[IMAGE 168x40]"},
		{"no logo", "default", 0, func(e *escpos.Encoder) error { return l.Receipt(e, us, Options{}) }, ""},
		{"kitchen", "default", 0, func(e *escpos.Encoder) error { return l.Kitchen(e, us, Options{Logo: narrow}) }, ""},
		{"self-test", "default", 0, func(e *escpos.Encoder) error { return l.SelfTest(e, tp, Options{Logo: narrow}) }, "[IMAGE 168x40]"},
		// An impact printer without raster images prints the rest.
		{"no raster", "TM-U220", 0, func(e *escpos.Encoder) error { return l.SelfTest(e, tp, Options{Logo: narrow}) }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := Render(profile(t, c.profile, c.cols), c.doc)
			if err != nil {
				t.Fatal(err)
			}
			var images []string
			for line := range strings.Lines(out.Preview) {
				if strings.HasPrefix(line, "[IMAGE ") {
					images = append(images, strings.TrimSpace(line))
				}
			}
			hasRaster := bytes.Contains(out.Bytes, []byte{0x1d, 'v', '0'})
			switch {
			case c.want == "" && (len(images) > 0 || hasRaster):
				t.Errorf("want no image, got %q:\n%s", images, out.Preview)
			case c.want != "" && (len(images) == 0 || images[0] != c.want):
				t.Errorf("images = %q, want %s first:\n%s", images, c.want, out.Preview)
			}
			if c.name == "reprint" && !strings.Contains(strings.SplitN(out.Preview, "\n", 2)[0], "REPRINT") {
				t.Errorf("the REPRINT banner is not on top:\n%s", out.Preview)
			}
		})
	}
}
