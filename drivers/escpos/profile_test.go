package escpos

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestLookupProfile(t *testing.T) {
	p := mustProfile(t, "TM-T88V")
	if p.ID != "TM-T88V" || p.Vendor != "Epson" || p.DPI != 180 || p.WidthMM != 80 || p.WidthDots != 512 {
		t.Errorf("TM-T88V: got %+v", p)
	}
	if want := []Font{{0, "Font A", 42}, {1, "Font B", 56}}; !slices.Equal(p.Fonts, want) {
		t.Errorf("fonts %v, want %v", p.Fonts, want)
	}
	if !p.Features.PaperFullCut || !p.Features.PaperPartCut || !p.Features.QRCode || !p.Features.BarcodeB ||
		!p.Features.BitImageRaster || !p.Features.PulseStandard || p.Features.StarCommands {
		t.Errorf("features %+v", p.Features)
	}
	for _, want := range []CodePage{{0, "CP437", true}, {1, "CP932", false}, {16, "CP1252", true}, {17, "CP866", true}, {19, "CP858", true}} {
		if !slices.Contains(p.CodePages, want) {
			t.Errorf("code pages lack %+v", want)
		}
	}
	if !slices.IsSortedFunc(p.CodePages, func(a, b CodePage) int { return a.N - b.N }) {
		t.Error("code pages not sorted")
	}

	for name, id := range map[string]string{
		"":               "default",
		"tm-t88v":        "TM-T88V",
		" TM-T20II ":     "TM-T20II",
		"POS5890 Series": "POS-5890", // display name
		"tsp600":         "TSP600",
	} {
		if got := mustProfile(t, name).ID; got != id {
			t.Errorf("LookupProfile(%q) = %s, want %s", name, got, id)
		}
	}
	if _, err := LookupProfile("TM-NOPE"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestLookupReturnsCopies(t *testing.T) {
	a := mustProfile(t, "TM-T88V")
	a.WidthDots = 1
	a.Features.QRCode = false
	if b := mustProfile(t, "TM-T88V"); b.WidthDots != 512 || !b.Features.QRCode {
		t.Error("changing a looked-up profile changed the database")
	}
}

func TestAllProfilesLoad(t *testing.T) {
	names := ProfileNames()
	if len(names) != 50 || !slices.IsSorted(names) || !slices.Contains(names, DefaultProfile) {
		t.Fatalf("ProfileNames = %v", names)
	}
	for _, id := range names {
		p := mustProfile(t, id)
		if p.WidthDots < 64 || len(p.Fonts) == 0 || p.Fonts[0].Columns <= 0 || p.Name == "" {
			t.Errorf("%s: implausible profile %+v", id, p)
		}
		if len(p.table().pages) == 0 {
			t.Errorf("%s: no usable code page", id)
		}
	}
	// Widths the database does not know are derived from font A.
	if p := mustProfile(t, "default"); p.WidthDots != 504 || p.WidthMM != 0 || p.DPI != 0 {
		t.Errorf("default: width %d dots, %v mm, %d dpi", p.WidthDots, p.WidthMM, p.DPI)
	}
	if p := mustProfile(t, "NT-5890K"); p.WidthMM != 57.5 || p.WidthDots != 384 {
		t.Errorf("NT-5890K: %v mm, %d dots", p.WidthMM, p.WidthDots)
	}
	if p := mustProfile(t, "TM-T70-SA"); p.Columns(97) != 48 || p.Columns(98) != 64 {
		t.Errorf("TM-T70-SA special fonts: %v", p.Fonts)
	}
}

func TestWithWidth(t *testing.T) {
	base := mustProfile(t, "default") // 504 dots, 42/56 columns
	p := base.WithWidth(384, 0)
	if p.WidthDots != 384 || p.Columns(0) != 32 || p.Columns(1) != 42 {
		t.Errorf("58 mm: %d dots, fonts %v", p.WidthDots, p.Fonts)
	}
	if base.WidthDots != 504 || base.Columns(0) != 42 {
		t.Error("WithWidth changed its receiver")
	}
	p = mustProfile(t, "TM-T88V").WithWidth(0, 48)
	if p.WidthDots != 512 || p.Columns(0) != 48 || p.Columns(1) != 64 {
		t.Errorf("48 columns: %d dots, fonts %v", p.WidthDots, p.Fonts)
	}
	p = mustProfile(t, "TM-T88V").WithWidth(576, 48)
	if p.WidthDots != 576 || p.Columns(0) != 48 {
		t.Errorf("576/48: %d dots, fonts %v", p.WidthDots, p.Fonts)
	}
}

func TestProfileConfig(t *testing.T) {
	tests := []struct {
		cfg     ProfileConfig
		id      string
		dots    int
		columns int
		err     string
	}{
		{ProfileConfig{}, "default", 504, 42, ""},
		{ProfileConfig{Profile: "POS-5890"}, "POS-5890", 384, 32, ""},
		{ProfileConfig{Profile: "default", WidthDots: 576}, "default", 576, 48, ""},
		{ProfileConfig{Profile: "TM-T88V", Columns: 48}, "TM-T88V", 512, 48, ""},
		{ProfileConfig{Profile: "nope"}, "", 0, 0, "unknown printer profile"},
		{ProfileConfig{WidthDots: 10}, "", 0, 0, "width_dots 10"},
		{ProfileConfig{Columns: 1000}, "", 0, 0, "columns 1000"},
	}
	for _, tc := range tests {
		p, err := tc.cfg.Resolve()
		if verr := tc.cfg.Validate(); (verr == nil) != (err == nil) {
			t.Errorf("%+v: Validate %v but Resolve %v", tc.cfg, verr, err)
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tc.cfg, err)
			continue
		}
		if p.ID != tc.id || p.WidthDots != tc.dots || p.Columns(0) != tc.columns {
			t.Errorf("%+v: got %s %d dots %d columns", tc.cfg, p.ID, p.WidthDots, p.Columns(0))
		}
	}
}

func TestAttributionShipped(t *testing.T) {
	notice, err := os.ReadFile("profiles/NOTICE.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(notice), "Printer profiles from escpos-printer-db, CC-BY-4.0") {
		t.Error("NOTICE.md lacks the attribution line")
	}
	license, err := os.ReadFile("profiles/LICENSE.md")
	if err != nil || !strings.Contains(string(license), "Attribution 4.0 International") {
		t.Errorf("LICENSE.md missing or not CC-BY-4.0: %v", err)
	}
}

func TestProfileLiteralPrintsASCII(t *testing.T) {
	p := &Profile{ID: "bare", Fonts: []Font{{0, "A", 32}}, WidthDots: 384}
	got, _ := encode(t, "default", func(e *Encoder) error {
		e.p = p
		e.Text("Café €")
		return nil
	})
	if string(got) != "Cafe EUR" {
		t.Errorf("got %q", got)
	}
}
