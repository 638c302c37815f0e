package escpos

import (
	"fmt"
	"image"
)

// Dither is how gray levels become black and white dots.
type Dither uint8

// Dithering methods. The zero value is Floyd–Steinberg error diffusion,
// best for photos and shaded logos; ordered (8x8 Bayer) dithering gives a
// regular pattern that survives thermal printing well; threshold suits
// line art, text and codes.
const (
	DitherFloydSteinberg Dither = iota
	DitherOrdered
	DitherThreshold
)

// ImageOptions shape a raster image. Zero fields take defaults.
type ImageOptions struct {
	// Width is the printed width in dots. 0 keeps the image's own width.
	// Either way the image is scaled down to fit the profile's WidthDots,
	// keeping its aspect ratio.
	Width  int
	Dither Dither
	// Threshold is the gray level (0 black .. 255 white) below which a dot
	// is black with DitherThreshold; 0 means 128.
	Threshold uint8
	// BandHeight is how many rows each GS v 0 command carries, so printers
	// with small receive buffers cope; 0 means 24.
	BandHeight int
}

// maxImageRows bounds the height of one image (about 4 m at 203 dpi).
const maxImageRows = 32767

// Image prints img as a raster bit image: scaled to fit the paper,
// composited on white, converted to gray, dithered to one bit per dot and
// sent as GS v 0 commands of at most BandHeight rows each. The current
// alignment places it: centred and right-aligned images are padded with
// white on the left, which works on printers that ignore ESC a for raster
// images. It returns an error wrapping ErrInvalidImage for an empty image
// and ErrUnsupported for a model without raster images.
func (e *Encoder) Image(img image.Image, o ImageOptions) error {
	if !e.p.Features.BitImageRaster {
		return fmt.Errorf("raster image on %s: %w", e.p.ID, ErrUnsupported)
	}
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if sw <= 0 || sh <= 0 {
		return fmt.Errorf("image %v: %w", b, ErrInvalidImage)
	}
	maxW := max(e.p.WidthDots&^7, 8) // whole bytes: a row wider than the print area may not print
	tw := o.Width
	if tw <= 0 {
		tw = sw
	}
	tw = min(tw, maxW)
	th := max(int((int64(sh)*int64(tw)+int64(sw)/2)/int64(sw)), 1)
	if th > maxImageRows {
		return fmt.Errorf("image %dx%d scales to %d rows, more than %d: %w", sw, sh, th, maxImageRows, ErrInvalidImage)
	}
	off := 0
	switch e.align {
	case AlignCenter:
		off = (maxW - tw) / 2
	case AlignRight:
		off = maxW - tw
	}
	gray := resample(img, tw, th)
	dither(gray, tw, th, o)
	stride := (off + tw + 7) / 8
	bits := make([]byte, stride*th)
	for y := range th {
		row := gray[y*tw : (y+1)*tw]
		out := bits[y*stride : (y+1)*stride]
		for x, v := range row {
			if v < 128 {
				px := x + off
				out[px>>3] |= 0x80 >> (px & 7)
			}
		}
	}
	band := o.BandHeight
	if band <= 0 {
		band = 24
	}
	band = min(band, 2047)
	e.endLine()
	for y0 := 0; y0 < th; y0 += band {
		rows := min(band, th-y0)
		e.buf = append(e.buf, gs, 'v', '0', 0, byte(stride), byte(stride>>8), byte(rows), byte(rows>>8))
		e.buf = append(e.buf, bits[y0*stride:(y0+rows)*stride]...)
		e.commit()
	}
	return nil
}

// resample returns img as tw x th gray levels (0 black .. 255 white),
// averaging the source pixels that fall into each target dot.
func resample(img image.Image, tw, th int) []float32 {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	at := lumaFunc(img)
	xs := make([]int, tw+1)
	for tx := range xs {
		xs[tx] = tx * sw / tw
	}
	out := make([]float32, tw*th)
	for ty := range th {
		y0, y1 := ty*sh/th, (ty+1)*sh/th
		if y1 <= y0 {
			y1 = y0 + 1
		}
		for tx := range tw {
			x0, x1 := xs[tx], xs[tx+1]
			if x1 <= x0 {
				x1 = x0 + 1
			}
			var sum float32
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					sum += at(b.Min.X+x, b.Min.Y+y)
				}
			}
			out[ty*tw+tx] = sum / float32((y1-y0)*(x1-x0))
		}
	}
	return out
}

// lumaFunc returns a reader of the luminance of img's pixels, composited on
// white paper, with fast paths for the common image types.
func lumaFunc(img image.Image) func(x, y int) float32 {
	switch m := img.(type) {
	case *image.Gray:
		return func(x, y int) float32 { return float32(m.Pix[m.PixOffset(x, y)]) }
	case *image.NRGBA:
		return func(x, y int) float32 {
			i := m.PixOffset(x, y)
			p := m.Pix[i : i+4 : i+4]
			a := float32(p[3]) / 255
			l := 0.299*float32(p[0]) + 0.587*float32(p[1]) + 0.114*float32(p[2])
			return l*a + 255*(1-a)
		}
	case *image.RGBA: // premultiplied
		return func(x, y int) float32 {
			i := m.PixOffset(x, y)
			p := m.Pix[i : i+4 : i+4]
			return 0.299*float32(p[0]) + 0.587*float32(p[1]) + 0.114*float32(p[2]) + float32(255-p[3])
		}
	}
	return func(x, y int) float32 {
		r, g, b, a := img.At(x, y).RGBA() // premultiplied, 16 bits
		return (0.299*float32(r) + 0.587*float32(g) + 0.114*float32(b) + float32(0xffff-a)) / 257
	}
}

// bayer8 is the 8x8 ordered dithering matrix.
var bayer8 = [8][8]uint8{
	{0, 32, 8, 40, 2, 34, 10, 42},
	{48, 16, 56, 24, 50, 18, 58, 26},
	{12, 44, 4, 36, 14, 46, 6, 38},
	{60, 28, 52, 20, 62, 30, 54, 22},
	{3, 35, 11, 43, 1, 33, 9, 41},
	{51, 19, 59, 27, 49, 17, 57, 25},
	{15, 47, 7, 39, 13, 45, 5, 37},
	{63, 31, 55, 23, 61, 29, 53, 21},
}

// dither turns gray (w x h) into 0 (black) and 255 (white) in place.
func dither(gray []float32, w, h int, o ImageOptions) {
	switch o.Dither {
	case DitherThreshold:
		t := float32(o.Threshold)
		if t == 0 {
			t = 128
		}
		for i, v := range gray {
			gray[i] = bw(v < t)
		}
	case DitherOrdered:
		for y := range h {
			for x := range w {
				t := (float32(bayer8[y&7][x&7]) + 0.5) * (255.0 / 64)
				gray[y*w+x] = bw(gray[y*w+x] < t)
			}
		}
	default:
		for y := range h {
			for x := range w {
				i := y*w + x
				old := gray[i]
				v := bw(old < 128)
				gray[i] = v
				err := old - v
				if x+1 < w {
					gray[i+1] += err * 7 / 16
				}
				if y+1 < h {
					if x > 0 {
						gray[i+w-1] += err * 3 / 16
					}
					gray[i+w] += err * 5 / 16
					if x+1 < w {
						gray[i+w+1] += err * 1 / 16
					}
				}
			}
		}
	}
}

func bw(black bool) float32 {
	if black {
		return 0
	}
	return 255
}
