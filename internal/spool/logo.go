package spool

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // logo formats
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"os"
)

// Logo limits. A receipt logo is a few hundred dots wide and a few KiB;
// a file beyond these is the wrong file, and decoding it would cost
// memory for nothing.
const (
	// MaxLogoBytes bounds the size of a logo file.
	MaxLogoBytes = 8 << 20
	// MaxLogoSide bounds a logo's width and height in pixels.
	MaxLogoSide = 4096
)

// CheckLogo reports whether the file at path is a logo the spool can load
// (config check runs it). The error does not name the file.
func CheckLogo(path string) error {
	_, err := loadLogo(path, MaxLogoSide)
	return err
}

// loadLogo reads the PNG, JPEG or GIF file at path (GIF: the first frame)
// and returns it ready for receipts: gray levels composited on white,
// scaled down to at most maxW dots wide. Converting once here spares every
// receipt the colour conversion and the scaling of a large image. Errors
// do not name the file; the caller does.
func loadLogo(path string, maxW int) (*image.Gray, error) {
	fi, err := os.Stat(path) // before Open: opening a FIFO would block
	if err != nil {
		return nil, fmt.Errorf("cannot read file: %w", unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if fi.Size() > MaxLogoBytes {
		return nil, fmt.Errorf("file of %d bytes is over the %d byte limit for a logo", fi.Size(), MaxLogoBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read file: %w", unwrapPath(err))
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(bufio.NewReader(io.LimitReader(f, MaxLogoBytes)))
	if err != nil {
		return nil, fmt.Errorf("cannot decode image: %w", err)
	}
	if cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return nil, fmt.Errorf("image of %dx%d pixels is over the %dx%d limit for a logo", cfg.Width, cfg.Height, MaxLogoSide, MaxLogoSide)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("cannot read file: %w", unwrapPath(err))
	}
	img, _, err := image.Decode(bufio.NewReader(io.LimitReader(f, MaxLogoBytes)))
	if err != nil {
		return nil, fmt.Errorf("cannot decode image: %w", err)
	}
	if b := img.Bounds(); b.Empty() || b.Dx() > MaxLogoSide || b.Dy() > MaxLogoSide {
		return nil, fmt.Errorf("image of %dx%d pixels: want 1 to %d on each side", b.Dx(), b.Dy(), MaxLogoSide)
	}
	return flatten(img, maxW), nil
}

// unwrapPath drops the *fs.PathError layer, whose path the caller names
// already.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// flatten returns img as gray levels (0 black .. 255 white) composited on
// white paper, scaled down to at most maxW wide with its aspect ratio
// kept; each dot is the average of the pixels it covers. It is the
// conversion escpos.Encoder.Image does, done once.
func flatten(img image.Image, maxW int) *image.Gray {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	tw := max(min(sw, maxW), 1)
	th := max(int((int64(sh)*int64(tw)+int64(sw)/2)/int64(sw)), 1)
	g := image.NewGray(image.Rect(0, 0, tw, th))
	for ty := range th {
		y0, y1 := ty*sh/th, (ty+1)*sh/th
		y1 = max(y1, y0+1)
		for tx := range tw {
			x0, x1 := tx*sw/tw, (tx+1)*sw/tw
			x1 = max(x1, x0+1)
			var sum float64
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					r, gr, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA() // premultiplied, 16 bits
					sum += 0.299*float64(r) + 0.587*float64(gr) + 0.114*float64(bl) + float64(0xffff-a)
				}
			}
			v := sum / float64((y1-y0)*(x1-x0)) / 257
			g.Pix[ty*g.Stride+tx] = uint8(min(max(v+0.5, 0), 255))
		}
	}
	return g
}
