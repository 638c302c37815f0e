package escpos

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// DefaultProfile is the profile used when a printer's config names none. It
// is escpos-printer-db's generic Epson-compatible profile: 42 columns in
// font A, full and partial cut, QR codes, raster images and many code pages.
const DefaultProfile = "default"

// capabilitiesGz is escpos-printer-db's dist/capabilities.json
// (CC-BY-4.0, see profiles/NOTICE.md), gzipped: 9 KB in the binary instead
// of 131 KB. profiles/capabilities.json is the file as published;
// TestCapabilitiesGzip keeps the two the same (go test ./drivers/escpos
// -run TestCapabilitiesGzip -update rewrites the .gz).
//
//go:embed profiles/capabilities.json.gz
var capabilitiesGz []byte

// capabilitiesJSON returns the embedded capabilities.json.
func capabilitiesJSON() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(capabilitiesGz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// Profile describes one printer model: what it can do, its fonts and paper
// width, and which code page each ESC t number selects. Profiles come from
// LookupProfile; treat them as read-only (WithWidth returns a changed copy).
type Profile struct {
	// ID is the profile's key in capabilities.json, e.g. "TM-T88V".
	ID string
	// Name is the model's display name, e.g. "TM-T88V" or "POS5890 Series".
	Name   string
	Vendor string
	Notes  string

	Features Features
	// Fonts lists the fonts ESC M can select, ordered by number.
	Fonts []Font
	// DPI is the print resolution, or 0 when the database does not know it.
	DPI int
	// WidthMM is the paper width in millimetres, or 0 when unknown.
	WidthMM float64
	// WidthDots is the printable width in dots, the width raster images are
	// scaled to. When the database does not know it, it is derived from
	// font A (12 dots per column, rounded up to whole bytes).
	WidthDots int
	// CodePages lists every ESC t entry of the model, ordered by number,
	// including pages the encoder cannot use (Supported false).
	CodePages []CodePage

	pages *pageTable
}

// Features says which command families a printer model understands.
type Features struct {
	BarcodeA       bool // GS k m d1...dk NUL (function A)
	BarcodeB       bool // GS k m n d1...dn (function B: CODE128 and friends)
	BitImageColumn bool // ESC *
	BitImageRaster bool // GS v 0
	Graphics       bool // GS ( L
	HighDensity    bool
	PaperFullCut   bool // GS V 65
	PaperPartCut   bool // GS V 66
	PDF417         bool
	PulseBel       bool // drawer kick by BEL (Star)
	PulseStandard  bool // drawer kick by ESC p
	QRCode         bool // GS ( k
	StarCommands   bool // Star variants of some commands (ESC GS t for code pages)
}

// Font is one of a model's character fonts.
type Font struct {
	N       int    // the ESC M parameter
	Name    string // e.g. "Font A"
	Columns int    // characters per line at normal width
}

// CodePage is one ESC t entry of a model.
type CodePage struct {
	N    int    // the ESC t parameter
	Name string // encoding name in capabilities.json, e.g. "CP858"
	// Supported is whether the encoder can encode text in this page.
	Supported bool
}

// Font returns the font that ESC M n selects, if the model has it.
func (p *Profile) Font(n int) (Font, bool) {
	for _, f := range p.Fonts {
		if f.N == n {
			return f, true
		}
	}
	return Font{}, false
}

// Columns returns the characters per line of font n at normal width, or 0
// when the model has no such font.
func (p *Profile) Columns(font int) int {
	f, _ := p.Font(font)
	return f.Columns
}

// WithWidth returns a copy of p for a printer whose paper or settings differ
// from the database: dots > 0 sets the printable width (and rescales every
// font's columns, keeping each font's dots per character), columns > 0 sets
// font A's characters per line (and scales the other fonts in proportion).
// Zero keeps the profile's value.
func (p *Profile) WithWidth(dots, columns int) *Profile {
	cp := *p
	cp.Fonts = slices.Clone(p.Fonts)
	if dots > 0 {
		for i, f := range cp.Fonts {
			if f.Columns <= 0 {
				continue
			}
			charDots := max(1, p.WidthDots/f.Columns)
			cp.Fonts[i].Columns = max(1, dots/charDots)
		}
		cp.WidthDots = dots
	}
	if columns > 0 && len(cp.Fonts) > 0 {
		old := cp.Fonts[0].Columns
		cp.Fonts[0].Columns = columns
		for i := 1; i < len(cp.Fonts); i++ {
			if old > 0 {
				cp.Fonts[i].Columns = max(1, cp.Fonts[i].Columns*columns/old)
			}
		}
	}
	return &cp
}

// String returns the profile ID.
func (p *Profile) String() string { return p.ID }

// LookupProfile returns the profile with the given ID ("TM-T88V",
// "POS-5890", "default"). An empty name means DefaultProfile. IDs match
// case-insensitively, and a model's display name works too. An unknown name
// returns an error wrapping ErrUnknownProfile.
func LookupProfile(name string) (*Profile, error) {
	d, err := database()
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = DefaultProfile
	}
	p := d.profiles[name]
	if p == nil {
		for _, q := range d.profiles {
			if strings.EqualFold(q.ID, name) {
				p = q
				break
			}
		}
	}
	if p == nil {
		for _, id := range d.ids {
			if q := d.profiles[id]; strings.EqualFold(q.Name, name) {
				p = q
				break
			}
		}
	}
	if p == nil {
		return nil, fmt.Errorf("printer profile %q (see escpos.ProfileNames): %w", name, ErrUnknownProfile)
	}
	cp := *p
	return &cp, nil
}

// ProfileNames returns the IDs of all embedded profiles, sorted.
func ProfileNames() []string {
	d, err := database()
	if err != nil {
		return nil
	}
	return slices.Clone(d.ids)
}

// ProfileConfig is the printer-model part of a printer's config section.
type ProfileConfig struct {
	// Profile is a profile ID from capabilities.json ("TM-T88V", "POS-5890");
	// empty means "default".
	Profile string `yaml:"profile"`
	// WidthDots overrides the printable width in dots (384 for most 58 mm
	// printers, 512 or 576 for 80 mm); 0 keeps the profile's.
	WidthDots int `yaml:"width_dots"`
	// Columns overrides font A's characters per line; 0 keeps the profile's
	// (rescaled when width_dots is set).
	Columns int `yaml:"columns"`
}

// Validate checks the config without any I/O.
func (c ProfileConfig) Validate() error {
	_, err := c.Resolve()
	return err
}

// Resolve looks up the profile and applies the overrides.
func (c ProfileConfig) Resolve() (*Profile, error) {
	if c.WidthDots != 0 && (c.WidthDots < 64 || c.WidthDots > 4096) {
		return nil, fmt.Errorf("width_dots %d: must be 0 or between 64 and 4096", c.WidthDots)
	}
	if c.Columns != 0 && (c.Columns < 8 || c.Columns > 255) {
		return nil, fmt.Errorf("columns %d: must be 0 or between 8 and 255", c.Columns)
	}
	p, err := LookupProfile(c.Profile)
	if err != nil {
		return nil, err
	}
	if c.WidthDots == 0 && c.Columns == 0 {
		return p, nil
	}
	return p.WithWidth(c.WidthDots, c.Columns), nil
}

// db is the parsed capabilities.json.
type db struct {
	profiles map[string]*Profile
	ids      []string
	codecs   map[string]*codec
}

var database = sync.OnceValues(func() (*db, error) {
	raw, err := capabilitiesJSON()
	if err != nil {
		return nil, fmt.Errorf("unpack embedded capabilities.json: %w", err)
	}
	d, err := parseCapabilities(raw)
	if err != nil {
		return nil, fmt.Errorf("parse embedded capabilities.json: %w", err)
	}
	return d, nil
})

// flexNum is a JSON number that the database sometimes writes as "Unknown".
type flexNum float64

func (f *flexNum) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			*f = 0 // "Unknown"
			return nil
		}
		*f = flexNum(v)
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = flexNum(v)
	return nil
}

type jsonCapabilities struct {
	Encodings map[string]struct {
		Name string   `json:"name"`
		Data []string `json:"data"`
	} `json:"encodings"`
	Profiles map[string]struct {
		Name      string            `json:"name"`
		Vendor    string            `json:"vendor"`
		Notes     string            `json:"notes"`
		CodePages map[string]string `json:"codePages"`
		Features  map[string]bool   `json:"features"`
		Fonts     map[string]struct {
			Name    string `json:"name"`
			Columns int    `json:"columns"`
		} `json:"fonts"`
		Media struct {
			DPI   flexNum `json:"dpi"`
			Width struct {
				MM     flexNum `json:"mm"`
				Pixels flexNum `json:"pixels"`
			} `json:"width"`
		} `json:"media"`
	} `json:"profiles"`
}

func parseCapabilities(data []byte) (*db, error) {
	var raw jsonCapabilities
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	d := &db{profiles: make(map[string]*Profile, len(raw.Profiles)), codecs: make(map[string]*codec)}
	for name, enc := range raw.Encodings {
		if c := newCodec(name, enc.Data); c != nil {
			d.codecs[name] = c
		}
	}
	for id, rp := range raw.Profiles {
		p := &Profile{
			ID:      id,
			Name:    rp.Name,
			Vendor:  rp.Vendor,
			Notes:   strings.TrimSpace(rp.Notes),
			DPI:     int(rp.Media.DPI),
			WidthMM: float64(rp.Media.Width.MM),
			Features: Features{
				BarcodeA:       rp.Features["barcodeA"],
				BarcodeB:       rp.Features["barcodeB"],
				BitImageColumn: rp.Features["bitImageColumn"],
				BitImageRaster: rp.Features["bitImageRaster"],
				Graphics:       rp.Features["graphics"],
				HighDensity:    rp.Features["highDensity"],
				PaperFullCut:   rp.Features["paperFullCut"],
				PaperPartCut:   rp.Features["paperPartCut"],
				PDF417:         rp.Features["pdf417Code"],
				PulseBel:       rp.Features["pulseBel"],
				PulseStandard:  rp.Features["pulseStandard"],
				QRCode:         rp.Features["qrCode"],
				StarCommands:   rp.Features["starCommands"],
			},
		}
		for k, f := range rp.Fonts {
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n > 255 {
				return nil, fmt.Errorf("profile %s: font key %q", id, k)
			}
			p.Fonts = append(p.Fonts, Font{N: n, Name: f.Name, Columns: f.Columns})
		}
		sort.Slice(p.Fonts, func(i, j int) bool { return p.Fonts[i].N < p.Fonts[j].N })
		if px := float64(rp.Media.Width.Pixels); px > 0 && px == math.Trunc(px) {
			p.WidthDots = int(px)
		} else if len(p.Fonts) > 0 && p.Fonts[0].Columns > 0 {
			p.WidthDots = (p.Fonts[0].Columns*12 + 7) / 8 * 8
		} else {
			p.WidthDots = 384
		}
		for k, name := range rp.CodePages {
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n > 255 {
				return nil, fmt.Errorf("profile %s: code page key %q", id, k)
			}
			p.CodePages = append(p.CodePages, CodePage{N: n, Name: name, Supported: d.codecs[name] != nil})
		}
		sort.Slice(p.CodePages, func(i, j int) bool { return p.CodePages[i].N < p.CodePages[j].N })
		p.pages = newPageTable(p.CodePages, d.codecs)
		d.profiles[id] = p
		d.ids = append(d.ids, id)
	}
	sort.Strings(d.ids)
	if d.profiles[DefaultProfile] == nil {
		return nil, fmt.Errorf("no %q profile", DefaultProfile)
	}
	return d, nil
}
