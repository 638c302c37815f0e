package spool

import (
	"fmt"
	"time"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/drivers/transport"
)

// Printer is one ESC/POS printer: an entry of the config file's printers
// section. internal/config reads the section and reports PrinterProblems
// at FILE:LINE:COL; New turns it into the spool's printers.
type Printer struct {
	Name          string        `yaml:"name"`
	Connection    string        `yaml:"connection"`
	Profile       string        `yaml:"profile"`
	Columns       int           `yaml:"columns"`
	WidthDots     int           `yaml:"width_dots"`
	AutoPrint     string        `yaml:"auto_print"`
	Backup        string        `yaml:"backup"`
	FailoverAfter time.Duration `yaml:"failover_after"`
	Drawer        string        `yaml:"drawer"`
	// Logo is a PNG, JPEG or GIF printed at the top of customer receipts,
	// scaled to the paper and dithered.
	Logo string `yaml:"logo"`
}

// Problem is one mistake in the printers section, its Path relative to
// it ("[0].connection").
type Problem struct {
	Path    string
	Message string
}

// PrinterProblems returns every mistake in the printers section. The
// connection is checked by transport.ParseURL (no I/O), the profile by
// escpos; the logo file is read and decoded (a missing logo must fail
// `config check`, not the start).
func PrinterProblems(printers []Printer) []Problem {
	var ps []Problem
	bad := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	names := map[string]int{}
	for i, p := range printers {
		base := fmt.Sprintf("[%d]", i)
		if p.Name == "" {
			bad(base+".name", "is required")
		} else if j, dup := names[p.Name]; dup {
			bad(base+".name", "duplicate printer name %q (also printers[%d])", p.Name, j)
		} else {
			names[p.Name] = i
		}
		if p.Connection == "" {
			bad(base+".connection", "is required (tcp://host:9100, serial:///dev/ttyUSB0?baud=19200, usb:///dev/usb/lp0 or file:///dir)")
		} else if _, err := transport.ParseURL(p.Connection); err != nil {
			bad(base+".connection", "%v", err)
		}
		if p.Profile != "" {
			if _, err := escpos.LookupProfile(p.Profile); err != nil {
				bad(base+".profile", "%v", err)
			}
		}
		if p.Logo != "" {
			if err := CheckLogo(p.Logo); err != nil {
				bad(base+".logo", "%s: %v", p.Logo, err)
			}
		}
		if p.Columns != 0 && (p.Columns < 16 || p.Columns > 80) {
			bad(base+".columns", "must be between 16 and 80 (got %d)", p.Columns)
		}
		if p.WidthDots < 0 {
			bad(base+".width_dots", "must not be negative")
		}
		switch p.AutoPrint {
		case "", "none", "customer", "kitchen", "both":
		default:
			bad(base+".auto_print", "must be none, customer, kitchen or both (got %q)", p.AutoPrint)
		}
		switch p.Drawer {
		case "", "none", "pin2", "pin5":
		default:
			bad(base+".drawer", "must be none, pin2 or pin5 (got %q)", p.Drawer)
		}
	}
	for i, p := range printers {
		if p.Backup == "" {
			continue
		}
		base := fmt.Sprintf("[%d]", i)
		if _, ok := names[p.Backup]; !ok || p.Backup == p.Name {
			bad(base+".backup", "names no other printer (got %q)", p.Backup)
		}
		if p.FailoverAfter < 0 {
			bad(base+".failover_after", "must not be negative")
		}
	}
	return ps
}
