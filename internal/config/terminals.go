package config

import (
	"fmt"
	"strings"
	"unicode"
)

// MaxKeepRaw bounds terminals[].keep_raw.
const MaxKeepRaw = 1000

// validateTerminals checks the terminals section; printers maps the
// configured printer names.
func (c *Config) validateTerminals(bad func(path, format string, args ...any), printers map[string]int, checks Checks) {
	names := map[string]int{}
	listens := map[string]int{}
	for i, t := range c.Terminals {
		base := fmt.Sprintf("terminals[%d]", i)
		switch {
		case t.Name == "":
			bad(base+".name", "is required (how captures and `aura-edge terminals` name the till)")
		case !terminalName(t.Name):
			bad(base+".name", "must be 1 to 64 letters, digits, '-', '_' or '.' (got %q)", t.Name)
		default:
			if j, dup := names[t.Name]; dup {
				bad(base+".name", "duplicate terminal name %q (also terminals[%d])", t.Name, j)
			}
			names[t.Name] = i
		}
		if t.Listen == "" {
			bad(base+".listen", "is required (tcp://0.0.0.0:9100, serial:///dev/ttyS0?baud=9600 or serial://usb/0403:6001?baud=9600)")
		} else {
			if checks.TerminalListen != nil {
				if err := checks.TerminalListen(t.Listen); err != nil {
					bad(base+".listen", "%v", err)
				}
			}
			if j, dup := listens[t.Listen]; dup {
				bad(base+".listen", "terminals[%d] listens there already", j)
			}
			listens[t.Listen] = i
		}
		mode := t.Mode
		switch mode {
		case "", "print", "journal":
		default:
			bad(base+".mode", "must be print or journal (got %q)", t.Mode)
		}
		if t.Printer == "" {
			if mode != "journal" {
				bad(base+".printer", "is required in print mode: name the printer the till's receipts pass through to")
			}
		} else if _, ok := printers[t.Printer]; !ok {
			bad(base+".printer", "names no configured printer (got %q)", t.Printer)
		}
		if t.IdleCut < 0 {
			bad(base+".idle_cut", "must not be negative")
		}
		switch t.OfflineReply {
		case "", "offline", "online":
		default:
			bad(base+".offline_reply", "must be offline or online (got %q)", t.OfflineReply)
		}
		if t.KeepRaw < 0 || t.KeepRaw > MaxKeepRaw {
			bad(base+".keep_raw", "must be 0 (keep none) to %d (got %d)", MaxKeepRaw, t.KeepRaw)
		}
		switch t.Framing {
		case "", "lines", "stx-etx":
		default:
			bad(base+".framing", "must be lines or stx-etx (got %q)", t.Framing)
		}
		if t.Framing != "" && mode != "journal" {
			bad(base+".framing", "applies to mode journal only")
		}
		switch t.Checksum {
		case "", "none", "xor":
			if t.Checksum == "xor" && t.Framing != "stx-etx" {
				bad(base+".checksum", "applies to framing stx-etx only")
			}
		default:
			bad(base+".checksum", "must be none or xor (got %q)", t.Checksum)
		}
		if t.Currency != "" && (len(t.Currency) != 3 || strings.ToUpper(t.Currency) != t.Currency) {
			bad(base+".currency", "must be an ISO 4217 code such as EUR or USD (got %q)", t.Currency)
		}
	}
}

func terminalName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
