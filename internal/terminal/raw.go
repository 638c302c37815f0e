package terminal

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/auraconnect/aura-edge/internal/terminal/parse"
)

// MaskRawPANs returns a copy of an ESC/POS stream with every payment card
// number masked as parse.MaskPANs masks text: a Luhn-valid run of 13 to 19
// ASCII digits (single spaces or dashes between groups allowed) becomes '*'
// but its last four digits. Only digit bytes change, so commands and images
// keep their lengths; what is passed to the printer is never masked, only
// what is stored and sent.
func MaskRawPANs(raw []byte) []byte {
	return []byte(parse.MaskPANs(string(raw)))
}

// keepRaw writes the receipt's raw bytes (PANs masked) to the terminal's
// directory and removes all but the newest keep_raw files. Files are
// named <UTC time>-<kind>-<digest>.escpos (.txt for journal transactions)
// and are at most 1 MiB.
func (t *terminal) keepRaw(raw []byte, c *Capture) {
	if t.cfg.KeepRaw <= 0 || t.m.deps.RawDir == "" {
		return
	}
	dir := filepath.Join(t.m.deps.RawDir, t.cfg.Name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.log.Warn("keep raw capture", "err", err)
		return
	}
	ext := ".escpos"
	if t.cfg.Mode == "journal" {
		ext = ".txt"
	}
	data := MaskRawPANs(raw)
	if len(data) > maxKeptRawFileBytes {
		data = data[:maxKeptRawFileBytes]
	}
	name := fmt.Sprintf("%s-%s-%s%s", c.CapturedAt.Format("20060102T150405.000000000Z"), c.Kind, c.RawSHA256[:12], ext)
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o640); err != nil {
		t.log.Warn("keep raw capture", "err", err)
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".escpos") || strings.HasSuffix(e.Name(), ".txt")) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for _, n := range names[:max(0, len(names)-t.cfg.KeepRaw)] {
		_ = os.Remove(filepath.Join(dir, n))
	}
}
