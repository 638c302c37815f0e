package escpos

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"testing"
)

// rasterBand is one parsed GS v 0 command.
type rasterBand struct {
	stride, rows int
	data         []byte
}

// parseRaster splits a stream of GS v 0 commands (and nothing else but
// LFs) into bands.
func parseRaster(t *testing.T, s []byte) []rasterBand {
	t.Helper()
	var bands []rasterBand
	for len(s) > 0 {
		if s[0] == lf {
			s = s[1:]
			continue
		}
		if len(s) < 8 || s[0] != gs || s[1] != 'v' || s[2] != '0' || s[3] != 0 {
			t.Fatalf("not GS v 0: % x", s[:min(len(s), 8)])
		}
		stride, rows := int(s[4])|int(s[5])<<8, int(s[6])|int(s[7])<<8
		n := 8 + stride*rows
		if len(s) < n {
			t.Fatalf("band of %dx%d truncated", stride, rows)
		}
		bands = append(bands, rasterBand{stride, rows, s[8:n]})
		s = s[n:]
	}
	return bands
}

func uniform(w, h int, g uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = g
	}
	return img
}

func blackDots(bands []rasterBand) (black, total int) {
	for _, b := range bands {
		for _, c := range b.data {
			for i := range 8 {
				if c&(0x80>>i) != 0 {
					black++
				}
			}
		}
		total += len(b.data) * 8
	}
	return black, total
}

func TestImageSolid(t *testing.T) {
	for _, d := range []Dither{DitherFloydSteinberg, DitherOrdered, DitherThreshold} {
		got, _ := encode(t, "TM-T88V", func(e *Encoder) error { return e.Image(uniform(16, 4, 0), ImageOptions{Dither: d}) })
		want := append([]byte{0x1d, 0x76, 0x30, 0, 2, 0, 4, 0}, bytes.Repeat([]byte{0xff}, 8)...)
		if !bytes.Equal(got, want) {
			t.Errorf("dither %d, black: % x", d, got)
		}
		got, _ = encode(t, "TM-T88V", func(e *Encoder) error { return e.Image(uniform(16, 4, 255), ImageOptions{Dither: d}) })
		want = append([]byte{0x1d, 0x76, 0x30, 0, 2, 0, 4, 0}, make([]byte, 8)...)
		if !bytes.Equal(got, want) {
			t.Errorf("dither %d, white: % x", d, got)
		}
	}
}

func TestImageGrayLevels(t *testing.T) {
	for _, tc := range []struct {
		d        Dither
		gray     uint8
		min, max float64
	}{
		{DitherFloydSteinberg, 128, 0.45, 0.55},
		{DitherFloydSteinberg, 64, 0.70, 0.80},
		{DitherOrdered, 128, 0.49, 0.51},
		{DitherOrdered, 191, 0.20, 0.30},
		{DitherThreshold, 127, 1, 1},
		{DitherThreshold, 128, 0, 0},
	} {
		got, _ := encode(t, "TM-T88V", func(e *Encoder) error {
			return e.Image(uniform(64, 64, tc.gray), ImageOptions{Dither: tc.d})
		})
		black, total := blackDots(parseRaster(t, got))
		if f := float64(black) / float64(total); f < tc.min || f > tc.max {
			t.Errorf("dither %d, gray %d: %.3f black, want %.2f..%.2f", tc.d, tc.gray, f, tc.min, tc.max)
		}
	}
}

func TestImageScaledToPaper(t *testing.T) {
	got, pv := encode(t, "TM-T88V", func(e *Encoder) error { return e.Image(uniform(1000, 500, 0), ImageOptions{}) })
	bands := parseRaster(t, got)
	if len(bands) != 11 { // 256 rows in bands of 24
		t.Fatalf("%d bands, want 11", len(bands))
	}
	rows := 0
	for i, b := range bands {
		if b.stride != 64 {
			t.Errorf("band %d: %d bytes per row, want 64 (512 dots)", i, b.stride)
		}
		if b.rows > 24 {
			t.Errorf("band %d has %d rows", i, b.rows)
		}
		rows += b.rows
	}
	if rows != 256 {
		t.Errorf("%d rows, want 256", rows)
	}
	if pv != "[IMAGE 512x256]\n" {
		t.Errorf("preview %q", pv)
	}
}

func TestImageOptions(t *testing.T) {
	got, _ := encode(t, "TM-T88V", func(e *Encoder) error {
		return e.Image(uniform(200, 100, 0), ImageOptions{Width: 100, BandHeight: 256})
	})
	bands := parseRaster(t, got)
	if len(bands) != 1 || bands[0].stride != 13 || bands[0].rows != 50 {
		t.Fatalf("bands %+v", bands)
	}
	// Upscaling keeps the aspect ratio.
	got, _ = encode(t, "TM-T88V", func(e *Encoder) error {
		return e.Image(uniform(10, 5, 0), ImageOptions{Width: 40, BandHeight: 256})
	})
	if bands = parseRaster(t, got); len(bands) != 1 || bands[0].stride != 5 || bands[0].rows != 20 {
		t.Fatalf("upscaled bands %+v", bands)
	}
}

func TestImageAlignment(t *testing.T) {
	for _, tc := range []struct {
		align  Align
		pad    int
		stride int
	}{
		{AlignLeft, 0, 8},
		{AlignCenter, 28, 36}, // (512-64)/2 = 224 dots of white
		{AlignRight, 56, 64},
	} {
		got, pv := encode(t, "TM-T88V", func(e *Encoder) error {
			e.Init()
			e.SetAlign(tc.align)
			return e.Image(uniform(64, 8, 0), ImageOptions{})
		})
		i := bytes.Index(got, []byte{0x1d, 0x76, 0x30})
		bands := parseRaster(t, got[i:])
		if len(bands) != 1 || bands[0].stride != tc.stride {
			t.Fatalf("align %d: bands %+v", tc.align, bands)
		}
		row := bands[0].data[:tc.stride]
		want := append(make([]byte, tc.pad), bytes.Repeat([]byte{0xff}, 8)...)
		if !bytes.Equal(row, want) {
			t.Errorf("align %d: row % x", tc.align, row)
		}
		if !bytes.Contains([]byte(pv), []byte("[IMAGE 64x8]")) {
			t.Errorf("align %d: preview %q", tc.align, pv)
		}
	}
}

func TestImageTransparencyIsPaper(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 8, 2))
	img.Set(0, 0, color.NRGBA{0, 0, 0, 255})     // opaque black
	img.Set(1, 0, color.NRGBA{0, 0, 0, 0})       // transparent black: paper
	img.Set(2, 0, color.NRGBA{255, 255, 255, 0}) // transparent white
	rgba := image.NewRGBA(image.Rect(0, 0, 8, 2))
	rgba.Set(0, 0, color.RGBA{0, 0, 0, 255})
	pal := image.NewPaletted(image.Rect(0, 0, 8, 2), color.Palette{color.Transparent, color.Black})
	pal.SetColorIndex(0, 0, 1)
	for name, im := range map[string]image.Image{"nrgba": img, "rgba": rgba, "paletted": pal} {
		got, _ := encode(t, "TM-T88V", func(e *Encoder) error { return e.Image(im, ImageOptions{Dither: DitherThreshold}) })
		want := []byte{0x1d, 0x76, 0x30, 0, 1, 0, 2, 0, 0x80, 0}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got % x, want % x", name, got, want)
		}
	}
}

func TestImageSubImageBounds(t *testing.T) {
	img := uniform(32, 32, 255)
	for y := 16; y < 32; y++ {
		for x := 16; x < 32; x++ {
			img.SetGray(x, y, color.Gray{0})
		}
	}
	sub := img.SubImage(image.Rect(16, 16, 24, 18)) // all black, origin not at 0,0
	got, _ := encode(t, "TM-T88V", func(e *Encoder) error { return e.Image(sub, ImageOptions{}) })
	if want := []byte{0x1d, 0x76, 0x30, 0, 1, 0, 2, 0, 0xff, 0xff}; !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
}

func TestImageErrors(t *testing.T) {
	var out bytes.Buffer
	e := New(&out, mustProfile(t, "AF-240"))
	if err := e.Image(uniform(8, 8, 0), ImageOptions{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("no raster: %v", err)
	}
	e = New(&out, mustProfile(t, "TM-T88V"))
	if err := e.Image(image.NewGray(image.Rect(0, 0, 0, 5)), ImageOptions{}); !errors.Is(err, ErrInvalidImage) {
		t.Errorf("empty: %v", err)
	}
	if err := e.Image(uniform(1, 40000, 0), ImageOptions{Width: 8}); !errors.Is(err, ErrInvalidImage) {
		t.Errorf("too tall: %v", err)
	}
	if e.Flush(); out.Len() != 0 {
		t.Errorf("wrote % x", out.Bytes())
	}
}

func TestImageEndsPendingLine(t *testing.T) {
	got, _ := encode(t, "TM-T88V", func(e *Encoder) error {
		e.Text("logo:")
		return e.Image(uniform(8, 1, 0), ImageOptions{})
	})
	if want := []byte("logo:\n\x1dv0\x00\x01\x00\x01\x00\xff"); !bytes.Equal(got, want) {
		t.Errorf("got % x", got)
	}
}
