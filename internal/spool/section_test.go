package spool

import (
	"reflect"
	"strings"
	"testing"

	_ "github.com/auraconnect/aura-edge/drivers/transport/all"
)

func TestPrinterProblems(t *testing.T) {
	tests := []struct {
		name string
		ps   []Printer
		want []Problem
	}{
		{"ok", []Printer{{Name: "front", Connection: "tcp://10.0.0.5:9100", Profile: "TM-T88V", AutoPrint: "both", Backup: "back"},
			{Name: "back", Connection: "file:///tmp/x"}}, nil},
		{"missing", []Printer{{}}, []Problem{{"[0].name", "is required"},
			{"[0].connection", "is required (tcp://host:9100, serial:///dev/ttyUSB0?baud=19200, usb:///dev/usb/lp0 or file:///dir)"}}},
		{"bad values", []Printer{{Name: "a", Connection: "tcp://10.0.0.5:9100", Columns: 8, WidthDots: -1, AutoPrint: "always", Drawer: "pin3", Backup: "a", FailoverAfter: -1}},
			[]Problem{{"[0].columns", "must be between 16 and 80 (got 8)"}, {"[0].width_dots", "must not be negative"},
				{"[0].auto_print", `must be none, customer, kitchen or both (got "always")`}, {"[0].drawer", `must be none, pin2 or pin5 (got "pin3")`},
				{"[0].backup", `names no other printer (got "a")`}, {"[0].failover_after", "must not be negative"}}},
		{"duplicate", []Printer{{Name: "a", Connection: "file:///tmp/x"}, {Name: "a", Connection: "file:///tmp/y"}},
			[]Problem{{"[1].name", `duplicate printer name "a" (also printers[0])`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PrinterProblems(tt.ps); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
	// The owners' own checks: the transport refuses a URL without a port,
	// escpos an unknown profile, the logo loader a missing file.
	got := PrinterProblems([]Printer{{Name: "a", Connection: "tcp://10.0.0.5", Profile: "nosuch", Logo: "/nonexistent/logo.png"}})
	if len(got) != 3 || got[0].Path != "[0].connection" || got[1].Path != "[0].profile" || got[2].Path != "[0].logo" ||
		!strings.HasPrefix(got[2].Message, "/nonexistent/logo.png: ") {
		t.Errorf("owners' checks: %q", got)
	}
}
