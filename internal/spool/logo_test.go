package spool

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/internal/receipt"
)

func TestLogoErrors(t *testing.T) {
	db := openStore(t, t.TempDir())
	defer db.Close()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := readFile(t, filepath.Join("testdata", "logo.png"))
	var huge bytes.Buffer
	if err := png.Encode(&huge, image.NewGray(image.Rect(0, 0, MaxLogoSide+1, 2))); err != nil {
		t.Fatal(err)
	}
	big := write("big.png", good)
	if err := os.Truncate(big, MaxLogoBytes+1); err != nil { // sparse: no 8 MiB written
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		path  string
		cause error
		text  string
	}{
		{"not an image", write("logo.txt", []byte("Corner Café\n")), image.ErrFormat, "cannot decode image: image: unknown format"},
		{"truncated png", write("cut.png", good[:len(good)/2]), nil, "cannot decode image: png: invalid format: not enough pixel data"},
		{"truncated png header", write("head.png", good[:20]), io.ErrUnexpectedEOF, "cannot decode image: unexpected EOF"},
		{"bad png", write("bad.png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)), nil, "cannot decode image: png: invalid format"},
		{"missing", filepath.Join(dir, "nope.png"), fs.ErrNotExist, "cannot read file: no such file or directory"},
		{"directory", dir, nil, "not a regular file"},
		{"too many pixels", write("huge.png", huge.Bytes()), nil, "image of 4097x2 pixels is over the 4096x4096 limit"},
		{"too many bytes", big, nil, "file of 8388609 bytes is over the 8388608 byte limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pc := Printer{Name: "front", Connection: "tcp://10.0.0.5:9100", Logo: c.path}
			_, err := New(db, "s", []Printer{pc}, receipt.Settings{}, Options{})
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
			if c.cause != nil && !errors.Is(err, c.cause) {
				t.Errorf("err = %v, want it to wrap %v", err, c.cause)
			}
			want := `printers[0] "front": logo ` + c.path + ": invalid printer config: " + c.text
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("err = %q\nwant   %q", err, want)
			}
		})
	}
}

// TestLogoFilePrinter prints a receipt with a logo through the file://
// transport, and checks which documents carry it.
func TestLogoFilePrinter(t *testing.T) {
	out := t.TempDir()
	logo, err := filepath.Abs(filepath.Join("testdata", "logo.png"))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, []Printer{{Name: "virtual", Connection: "file://" + out, Profile: "POS-5890", Logo: logo}}, testOptions())
	f.run()
	ids := []string{"r1", "k1", "t1"}
	f.submit(Request{ID: "r1", Printer: "virtual", Kind: KindReceipt, Order: testOrder("ord_r1")})
	f.submit(Request{ID: "k1", Printer: "virtual", Kind: KindKitchen, Order: testOrder("ord_k1")})
	f.submit(Request{ID: "t1", Printer: "virtual", Kind: KindTest})
	for _, id := range ids {
		f.waitJob(id, Printed)
	}
	waitFor(t, "preview files", func() bool {
		txt, _ := filepathGlob(out, "*.txt")
		return len(txt) == 3
	})
	bins, _ := filepathGlob(out, "*.bin")
	if len(bins) != 3 {
		t.Fatalf("%d .bin files, want 3: %v", len(bins), bins)
	}
	// The 96x32 logo, centred on 384 dots: a pad of 144 dots (18 bytes).
	const marker = "[IMAGE 96x32]\n"
	for i, id := range ids {
		bin := readFile(t, bins[i])
		if !bytes.Equal(bin, f.data(id)) {
			t.Errorf("%s: .bin differs from job %s", bins[i], id)
		}
		pv := string(readFile(t, strings.TrimSuffix(bins[i], ".bin")+".txt"))
		want := id != "k1"
		if got := strings.HasPrefix(pv, marker); got != want {
			t.Errorf("job %s: logo on top = %v, want %v:\n%s", id, got, want, pv)
		}
		// 12 bytes a row: 18 bytes of pad, then 12 of logo, in 32 rows (24 + 8).
		if got := bytes.Contains(bin, []byte{0x1d, 'v', '0', 0, 30, 0, 24, 0}); got != want {
			t.Errorf("job %s: GS v 0 band of the logo = %v, want %v", id, got, want)
		}
	}
}

// TestLogoFormats loads the PNG, GIF and JPEG fixtures, and scales a logo
// wider than the paper down to it.
func TestLogoFormats(t *testing.T) {
	for _, name := range []string{"logo.png", "logo.gif", "logo.jpg"} {
		t.Run(name, func(t *testing.T) {
			img, err := loadLogo(filepath.Join("testdata", name), 384)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 96 || b.Dy() != 32 {
				t.Fatalf("bounds = %v, want 96x32", b)
			}
			// Ink is black, the rest (transparent in PNG and GIF) white.
			for _, p := range []struct{ x, y, want int }{{0, 0, 0}, {48, 16, 0}, {10, 10, 255}, {90, 25, 255}} {
				if v := int(img.GrayAt(p.x, p.y).Y); v < p.want-24 || v > p.want+24 {
					t.Errorf("pixel (%d,%d) = %d, want about %d", p.x, p.y, v, p.want)
				}
			}
		})
	}
	img, err := loadLogo(filepath.Join("testdata", "logo.png"), 48)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 48 || b.Dy() != 16 {
		t.Errorf("scaled bounds = %v, want 48x16", b)
	}
}
