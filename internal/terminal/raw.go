package terminal

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MaskRawPANs returns a copy of an ESC/POS stream with every run of 13 to
// 19 ASCII digits (single spaces or dashes between groups allowed) that
// passes the Luhn check replaced by '*' except its last four digits. Only
// digit bytes change, so commands and images keep their lengths; what is
// passed to the printer is never masked, only what is stored and sent.
func MaskRawPANs(raw []byte) []byte {
	out := append([]byte(nil), raw...)
	i := 0
	for i < len(out) {
		if !isDigit(out[i]) {
			i++
			continue
		}
		// Collect a run of digits with single separators.
		var pos []int
		j := i
		for j < len(out) {
			if isDigit(out[j]) {
				pos = append(pos, j)
				j++
				continue
			}
			if (out[j] == ' ' || out[j] == '-') && j+1 < len(out) && isDigit(out[j+1]) && len(pos) > 0 {
				j++
				continue
			}
			break
		}
		maskRun(out, pos)
		i = j
	}
	return out
}

// maskRun masks the longest Luhn-valid 13..19 digit window of a run.
func maskRun(out []byte, pos []int) {
	if len(pos) < 13 {
		return
	}
	for n := min(19, len(pos)); n >= 13; n-- {
		for start := 0; start+n <= len(pos); start++ {
			w := pos[start : start+n]
			if luhn(out, w) {
				for _, p := range w[:n-4] {
					out[p] = '*'
				}
				maskRun(out, pos[:start])
				maskRun(out, pos[start+n:])
				return
			}
		}
	}
}

func luhn(b []byte, pos []int) bool {
	sum := 0
	for k := len(pos) - 1; k >= 0; k-- {
		d := int(b[pos[k]] - '0')
		if (len(pos)-1-k)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

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
