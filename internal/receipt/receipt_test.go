package receipt

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/internal/model"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// checkGolden compares got with testdata/<name>.golden, or rewrites the
// file with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (refresh with go test ./internal/receipt -update): %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo, hi := max(i-16, 0), i+32
	t.Errorf("%s differs from golden at byte %d (got %d bytes, want %d)\ngot:  % x\nwant: % x",
		name, i, len(got), len(want), got[lo:min(hi, len(got))], want[lo:min(hi, len(want))])
}

func loadOrder(t testing.TB, name string) *model.Order {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var o model.Order
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if ps := o.Validate(); len(ps) > 0 {
		t.Fatalf("%s: %v", name, ps)
	}
	return &o
}

func profile(t testing.TB, name string, columns int) *escpos.Profile {
	t.Helper()
	if name == "ascii" {
		return asciiProfile(t)
	}
	p, err := escpos.ProfileConfig{Profile: name, Columns: columns}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// asciiProfile is a printer without any code page table: every non-ASCII
// character takes the fallback path.
func asciiProfile(t testing.TB) *escpos.Profile {
	d, err := escpos.LookupProfile("default")
	if err != nil {
		t.Fatal(err)
	}
	return &escpos.Profile{ID: "ascii-only", Name: "ASCII only", Fonts: d.Fonts, WidthDots: d.WidthDots, Features: d.Features}
}

var (
	usConfig = Config{
		StoreID:    "store-0042",
		Header:     []string{"Corner Cafe", "12 Market Street", "Springfield, OR 97477", "Tel 555-0100"},
		Footer:     []string{"Thank you!", "Keep this receipt for returns"},
		QRTemplate: "https://r.example.com/{store_id}/{order_id}",
		Locale:     "en-US",
		Location:   time.UTC,
	}
	deConfig = Config{
		StoreID:    "berlin-1",
		Header:     []string{"Café Grün", "Hauptstraße 1, 10115 Berlin", "Tel 030 1234567"},
		Footer:     []string{"Danke & bis bald!", "Grüße aus dem Café"},
		QRTemplate: "https://r.example.com/{store_id}/{order_id}",
		Locale:     "de-DE",
		Location:   time.UTC,
	}
)

func TestGolden(t *testing.T) {
	us, de := loadOrder(t, "order_us.json"), loadOrder(t, "order_de.json")
	widths := []struct {
		profile string
		cols    int
	}{
		{"POS-5890", 32}, // 58 mm, QR codes as raster images, no barcodes
		{"default", 42},
		{"TM-T20III", 48},
	}
	type doc func(l *Layout, e *escpos.Encoder) error
	receipt := func(o *model.Order, opt Options) doc {
		return func(l *Layout, e *escpos.Encoder) error { return l.Receipt(e, o, opt) }
	}
	kitchen := func(o *model.Order, opt Options) doc {
		return func(l *Layout, e *escpos.Encoder) error { return l.Kitchen(e, o, opt) }
	}
	selftest := func(l *Layout, e *escpos.Encoder) error {
		return l.SelfTest(e, TestPage{Printer: "front", Connection: "tcp://192.168.1.50:9100",
			Time: time.Date(2026, 8, 14, 9, 0, 0, 0, time.UTC)}, Options{})
	}
	type tc struct {
		name    string
		cfg     Config
		profile string
		cols    int
		doc     doc
	}
	var cases []tc
	for _, w := range widths {
		cases = append(cases,
			tc{fmt.Sprintf("receipt_us_%d", w.cols), usConfig, w.profile, w.cols, receipt(us, Options{})},
			tc{fmt.Sprintf("receipt_de_%d", w.cols), deConfig, w.profile, w.cols, receipt(de, Options{Drawer: escpos.DrawerPin2})},
			tc{fmt.Sprintf("kitchen_de_%d", w.cols), deConfig, w.profile, w.cols, kitchen(de, Options{})},
			tc{fmt.Sprintf("selftest_%d", w.cols), usConfig, w.profile, w.cols, selftest},
		)
	}
	cases = append(cases,
		// TM-T88V has CP858 and CP1252: every character prints exactly.
		tc{"receipt_de_tm-t88v", deConfig, "TM-T88V", 0, receipt(de, Options{})},
		// "simple" has CP437 only: the accents print, € does not.
		tc{"receipt_de_cp437", deConfig, "simple", 0, receipt(de, Options{})},
		// No code pages at all: readable ASCII spellings.
		tc{"receipt_de_ascii", deConfig, "ascii", 0, receipt(de, Options{})},
		tc{"kitchen_de_ascii", deConfig, "ascii", 0, kitchen(de, Options{})},
		tc{"selftest_ascii", usConfig, "ascii", 0, selftest},
		tc{"selftest_tm-u220", usConfig, "TM-U220", 0, selftest}, // no QR, no barcodes
		tc{"reprint_us_42", usConfig, "default", 0, receipt(us, Options{Reprint: true, Drawer: escpos.DrawerPin2})},
		tc{"reprint_kitchen_us_42", usConfig, "default", 0, kitchen(us, Options{Reprint: true})},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := New(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			p := profile(t, c.profile, c.cols)
			out, err := Render(p, func(e *escpos.Encoder) error { return c.doc(l, e) })
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c.name, out.Bytes)
			checkGolden(t, c.name+".preview", []byte(out.Preview))
			// The preview of the bytes alone must match the one rendered
			// beside the encoder.
			if got := escpos.RenderPreview(out.Bytes, p); got != out.Preview {
				t.Errorf("RenderPreview differs from the encoder's preview:\n%s\n---\n%s", got, out.Preview)
			}
			if strings.Contains(out.Preview, "?") {
				t.Errorf("preview has a '?' the input does not have:\n%s", out.Preview)
			}
			cols := p.Columns(0)
			for i, line := range strings.Split(strings.TrimSuffix(out.Preview, "\n"), "\n") {
				if n := len([]rune(line)); n > cols && !strings.HasPrefix(line, "[") {
					t.Errorf("preview line %d is %d columns, paper has %d: %q", i+1, n, cols, line)
				}
			}
		})
	}
}

func TestNonASCII(t *testing.T) {
	de := loadOrder(t, "order_de.json")
	l, err := New(deConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		profile string
		want    []string
		subst   bool
	}{
		{"TM-T88V", []string{"Café crème", "Jalapeño-Toast", "Grüße aus der Küche", "21,20 €", "Hauptstraße"}, false},
		{"simple", []string{"Café crème", "Jalapeño-Toast", "Grüße aus der Küche", "21,20 EUR"}, true},
		{"ascii", []string{"Cafe creme", "Jalapeno-Toast", "Grusse aus der Kuche", "21,20 EUR", "Tisch 7 - bitte schnell", "Hauptstrasse"}, true},
	} {
		t.Run(c.profile, func(t *testing.T) {
			out, err := Render(profile(t, c.profile, 0), func(e *escpos.Encoder) error { return l.Receipt(e, de, Options{}) })
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(out.Preview, w) {
					t.Errorf("preview lacks %q:\n%s", w, out.Preview)
				}
			}
			if bytes.ContainsRune(textPart(out.Bytes), '?') {
				t.Error("printer bytes contain '?'")
			}
			if (out.Substitutions > 0) != c.subst {
				t.Errorf("substitutions = %d, want some: %v", out.Substitutions, c.subst)
			}
		})
	}
}

func TestDrawerKick(t *testing.T) {
	de, us := loadOrder(t, "order_de.json"), loadOrder(t, "order_us.json")
	kick := []byte{0x1b, 'p', 0}
	for _, c := range []struct {
		name string
		o    *model.Order
		opt  Options
		want bool
	}{
		{"cash", de, Options{Drawer: escpos.DrawerPin2}, true},
		{"cash no drawer", de, Options{}, false},
		{"cash reprint", de, Options{Drawer: escpos.DrawerPin2, Reprint: true}, false},
		{"card", us, Options{Drawer: escpos.DrawerPin2}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, _ := New(deConfig)
			out, err := Render(profile(t, "default", 0), func(e *escpos.Encoder) error { return l.Receipt(e, c.o, c.opt) })
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Contains(out.Bytes, kick); got != c.want {
				t.Errorf("drawer kick = %v, want %v", got, c.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want error
	}{
		{Config{Locale: "xx-YY"}, ErrUnknownLocale},
		{Config{Locale: "de-1"}, ErrUnknownLocale},
		{Config{QRTemplate: "https://x/{order}"}, ErrBadTemplate},
		{Config{QRTemplate: "https://x/{order_id"}, ErrBadTemplate},
		{Config{QRTemplate: "https://x/}"}, ErrBadTemplate},
	} {
		err := c.cfg.Validate()
		if !errors.Is(err, c.want) {
			t.Errorf("%+v: err = %v, want %v", c.cfg, err, c.want)
		}
	}
	if err := (Config{QRTemplate: "https://x/{store_id}/{order_id}"}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestQRTooLong(t *testing.T) {
	l, err := New(Config{QRTemplate: "https://x/{order_id}", Locale: "en-US"})
	if err != nil {
		t.Fatal(err)
	}
	o := loadOrder(t, "order_us.json")
	o.ID = strings.Repeat("x", 3000)
	_, err = Render(profile(t, "default", 0), func(e *escpos.Encoder) error { return l.Receipt(e, o, Options{}) })
	if !errors.Is(err, escpos.ErrInvalidBarcode) {
		t.Fatalf("err = %v, want ErrInvalidBarcode", err)
	}
	if _, err := Render(profile(t, "default", 0), func(e *escpos.Encoder) error { return l.Receipt(e, nil, Options{}) }); !errors.Is(err, ErrNoOrder) {
		t.Fatalf("nil order: err = %v", err)
	}
}

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  []string
	}{
		{"", 10, []string{""}},
		{"short", 10, []string{"short"}},
		{"two words here", 8, []string{"two", "words", "here"}},
		{"a verylongwordindeed b", 6, []string{"a", "verylo", "ngword", "indeed", "b"}},
		{"line\nbreak", 20, []string{"line", "break"}},
		{"Grüße aus der Küche", 10, []string{"Grüße aus", "der Küche"}},
	} {
		got := wrap(c.in, c.width, runes, func(s string) string { return s })
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
	}
}

// textPart returns the stream up to the first QR code or raster image,
// whose data may contain any byte.
func textPart(b []byte) []byte {
	for _, cmd := range [][]byte{{0x1d, '(', 'k'}, {0x1d, 'v', '0'}} {
		if i := bytes.Index(b, cmd); i >= 0 {
			b = b[:i]
		}
	}
	return b
}
