package transport_test

import (
	"errors"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport"
)

func TestParseURLGood(t *testing.T) {
	for _, raw := range []string{
		"tcp://192.168.1.50:9100",
		"tcp://printer.local:9100/",
		"TCP://Printer:9100",
		"tcp://[::1]:9100",
		"serial:///dev/ttyUSB0",
		"serial:///dev/ttyUSB0?baud=19200&databits=8&parity=none&stopbits=1",
		"serial:///dev/ttyS0?baud=115200&parity=even&stopbits=1.5&databits=7&chunk=0",
		"serial:///dev/serial/by-id/usb-Prolific_Technology_Inc._USB-Serial_Controller-if00-port0?baud=38400",
		"serial://COM3",
		"serial:///COM12?baud=9600&parity=N",
		"usb:///dev/usb/lp0",
		"file:///var/lib/aura-edge/printer-out",
		"file://localhost/tmp/out",
	} {
		u, err := transport.ParseURL(raw)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", raw, err)
			continue
		}
		if _, err := transport.ParseURL(u.String()); err != nil {
			t.Errorf("ParseURL(%q) round trip %q: %v", raw, u, err)
		}
	}
}

func TestParseURLBad(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", `invalid transport url "": empty`},
		{" tcp://h:9100", `invalid transport url " tcp://h:9100": leading or trailing space`},
		{"192.168.1.50:9100", `invalid transport url "192.168.1.50:9100": no scheme://, want e.g. tcp://192.168.1.50:9100 or serial:///dev/ttyUSB0`},
		{"tcp:192.168.1.50:9100", `invalid transport url "tcp:192.168.1.50:9100": no scheme://, want e.g. tcp://192.168.1.50:9100 or serial:///dev/ttyUSB0`},
		{"1tcp://x", `invalid transport url "1tcp://x": bad scheme "1tcp"`},
		{"lpt://x", `unknown transport "lpt" (forgotten import?)`},
		{"x://y", `unknown transport "x" (forgotten import?)`},
		{"tcp://u:p@printer:9100", `invalid transport url "tcp://u:p@printer:9100": user info is not allowed`},
		{"tcp://printer:9100#x", `invalid transport url "tcp://printer:9100#x": fragment (#...) is not allowed`},
		{"tcp://%zz:9100", `invalid transport url "tcp://%zz:9100": invalid URL escape "%zz"`},

		{"tcp://printer", `invalid transport url "tcp://printer": missing port, e.g. tcp://printer:9100`},
		{"tcp://[::1]", `invalid transport url "tcp://[::1]": missing port, e.g. tcp://[::1]:9100`},
		{"tcp://:9100", `invalid transport url "tcp://:9100": missing host, e.g. tcp://192.168.1.50:9100`},
		{"tcp://printer:0", `invalid transport url "tcp://printer:0": port must be 1 to 65535, got 0`},
		{"tcp://printer:70000", `invalid transport url "tcp://printer:70000": port must be 1 to 65535, got 70000`},
		{"tcp://printer:abc", `invalid transport url "tcp://printer:abc": invalid port ":abc" after host`},
		{"tcp://printer:9100/x", `invalid transport url "tcp://printer:9100/x": unexpected path "/x": tcp urls are tcp://host:port`},
		{"tcp://printer:9100?timeout=3s", `invalid transport url "tcp://printer:9100?timeout=3s": tcp takes no parameters`},
		{"tcp://printer:9100?", `invalid transport url "tcp://printer:9100?": tcp takes no parameters`},

		{"serial://", `invalid transport url "serial://": missing device path, e.g. serial:///dev/ttyUSB0?baud=19200`},
		{"serial://dev/ttyUSB0", `invalid transport url "serial://dev/ttyUSB0": unexpected host "dev": write the device path after three slashes, e.g. serial:///dev/ttyUSB0`},
		{"serial:///dev/ttyUSB0?baud=fast", `invalid transport url "serial:///dev/ttyUSB0?baud=fast": baud must be a number from 50 to 4000000, got "fast"`},
		{"serial:///dev/ttyUSB0?baud=10", `invalid transport url "serial:///dev/ttyUSB0?baud=10": baud must be a number from 50 to 4000000, got "10"`},
		{"serial:///dev/ttyUSB0?baud=", `invalid transport url "serial:///dev/ttyUSB0?baud=": baud must be a number from 50 to 4000000, got ""`},
		{"serial:///dev/ttyUSB0?baud=19200&baud=9600", `invalid transport url "serial:///dev/ttyUSB0?baud=19200&baud=9600": parameter baud given 2 times`},
		{"serial:///dev/ttyUSB0?databits=9", `invalid transport url "serial:///dev/ttyUSB0?databits=9": databits must be 5, 6, 7 or 8, got "9"`},
		{"serial:///dev/ttyUSB0?parity=x", `invalid transport url "serial:///dev/ttyUSB0?parity=x": parity must be none, odd, even, mark or space, got "x"`},
		{"serial:///dev/ttyUSB0?stopbits=3", `invalid transport url "serial:///dev/ttyUSB0?stopbits=3": stopbits must be 1, 1.5 or 2, got "3"`},
		{"serial:///dev/ttyUSB0?chunk=-1", `invalid transport url "serial:///dev/ttyUSB0?chunk=-1": chunk must be a number of bytes from 0 (no pacing) to 65536, got "-1"`},
		{"serial:///dev/ttyUSB0?flow=rtscts", `invalid transport url "serial:///dev/ttyUSB0?flow=rtscts": unknown parameter "flow" (serial takes baud, databits, parity, stopbits and chunk)`},
		{"serial:///dev/ttyUSB0?%zz", `invalid transport url "serial:///dev/ttyUSB0?%zz": bad query: invalid URL escape "%zz"`},

		{"usb://", `invalid transport url "usb://": missing device path, e.g. usb:///dev/usb/lp0`},
		{"usb://lp0", `invalid transport url "usb://lp0": unexpected host "lp0": write the device path after three slashes, e.g. usb:///dev/usb/lp0`},
		{"usb:///dev/usb/lp0?x=1", `invalid transport url "usb:///dev/usb/lp0?x=1": usb takes no parameters`},

		{"file:///", `invalid transport url "file:///": missing directory, e.g. file:///var/lib/aura-edge/printer-out`},
		{"file://./out", `invalid transport url "file://./out": unexpected host ".": write an absolute directory after three slashes, e.g. file:///var/lib/aura-edge/printer-out`},
		{"file:///tmp/out?x=1", `invalid transport url "file:///tmp/out?x=1": file takes no parameters`},
	}
	for _, tt := range tests {
		u, err := transport.ParseURL(tt.raw)
		if err == nil {
			t.Errorf("ParseURL(%q) = %v, want error %s", tt.raw, u, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseURL(%q) error\n got: %s\nwant: %s", tt.raw, err, tt.want)
		}
		if !errors.Is(err, transport.ErrBadURL) {
			t.Errorf("ParseURL(%q) error does not wrap ErrBadURL", tt.raw)
		}
		if transport.Retryable(err) {
			t.Errorf("ParseURL(%q) error is retryable", tt.raw)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, seed := range []string{
		"tcp://192.168.1.50:9100", "tcp://[::1]:9100/", "tcp://printer", "serial:///dev/ttyUSB0?baud=19200&databits=8&parity=none&stopbits=1",
		"serial://COM3", "serial:///dev/ttyS0?stopbits=1.5&chunk=0", "usb:///dev/usb/lp0", "file:///tmp/out", "file://localhost/x",
		"", "x://", "tcp://%zz", "serial:///a?baud=1e3", "tcp://a:9100#", "tcp://u@a:1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := transport.ParseURL(raw)
		if err != nil {
			if u != nil {
				t.Fatalf("ParseURL(%q) returned a URL and an error", raw)
			}
			if !errors.Is(err, transport.ErrBadURL) {
				t.Fatalf("ParseURL(%q) error does not wrap ErrBadURL: %v", raw, err)
			}
			return
		}
		if u.User != nil || u.Fragment != "" {
			t.Fatalf("ParseURL(%q) accepted user info or fragment", raw)
		}
		// What ParseURL accepts, it accepts again in canonical form.
		if _, err := transport.ParseURL(u.String()); err != nil {
			t.Fatalf("ParseURL(%q) ok, but its String %q fails: %v", raw, u, err)
		}
	})
}
