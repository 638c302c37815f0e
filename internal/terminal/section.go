package terminal

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Config is one till that prints to aura-edge instead of its printer
// (mode print) or streams its electronic journal to it (mode journal): an
// entry of the config file's terminals section. internal/config reads the
// section and reports Problems at FILE:LINE:COL.
type Config struct {
	// Name identifies the till: captures carry source terminal:<name>.
	Name string `yaml:"name"`
	// Listen is tcp://HOST:PORT, a serial URL in the printers' form
	// (serial:///dev/ttyS0?baud=9600), or a USB-serial adapter by
	// VID:PID[+SERIAL] (serial://usb/0403:6001+A5XK3RJT?baud=9600).
	Listen string `yaml:"listen"`
	// Mode is print (an ESC/POS receipt stream, the default) or journal
	// (text lines).
	Mode string `yaml:"mode"`
	// Printer names the configured printer the bytes pass through to;
	// required in print mode, optional in journal mode.
	Printer string `yaml:"printer"`
	// Rules is a per-store parse-rules file (YAML); empty uses the
	// built-in parser.
	Rules string `yaml:"rules"`
	// CodePage is the till's code page before any ESC t (default cp437).
	CodePage string `yaml:"code_page"`
	// Currency is the ISO 4217 code of the amounts printed (default EUR).
	Currency string `yaml:"currency"`
	// IdleCut ends a receipt (or journal transaction) after this long
	// without bytes, for tills that never cut (default 2s).
	IdleCut time.Duration `yaml:"idle_cut"`
	// OfflineReply is what the till hears to status requests while the
	// printer is unreachable: offline (the default) or online.
	OfflineReply string `yaml:"offline_reply"`
	// KeepRaw keeps the last N raw captures (PANs masked) for
	// `aura-edge receipt parse`; 0 (the default) keeps none.
	KeepRaw int `yaml:"keep_raw"`
	// Framing is how a journal arrives: lines (CR, LF or CR LF, the
	// default) or stx-etx (STX text ETX, with Checksum).
	Framing string `yaml:"framing"`
	// Checksum follows ETX in stx-etx framing: none (the default) or xor
	// (one byte, the XOR of the bytes after STX up to and including ETX).
	Checksum string `yaml:"checksum"`
}

// MaxKeepRaw bounds terminals[].keep_raw.
const MaxKeepRaw = 1000

// Problem is one mistake in the terminals section, its Path relative to
// it ("[0].listen").
type Problem struct {
	Path    string
	Message string
}

// Problems returns every mistake in the terminals section; printers maps
// the configured printer names. Listen URLs are checked by ParseListen.
func Problems(terminals []Config, printers map[string]int) []Problem {
	var ps []Problem
	bad := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	names := map[string]int{}
	listens := map[string]int{}
	for i, t := range terminals {
		base := fmt.Sprintf("[%d]", i)
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
			if _, err := ParseListen(t.Listen); err != nil {
				bad(base+".listen", "%v", err)
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
	return ps
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
