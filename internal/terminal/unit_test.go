package terminal

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/transport"
)

func TestScannerFindsRequestsOutsideImages(t *testing.T) {
	img := []byte{0x1d, 'v', '0', 0, 2, 0, 2, 0, 0x10, 0x04, 0x01, 0x1d} // 2x2 bytes of image data holding 10 04 01
	tests := []struct {
		name   string
		stream []byte
		want   []query
	}{
		{"eot", []byte("abc\x10\x04\x01\x10\x04\x04"), []query{{cmdEOT, 1}, {cmdEOT, 4}}},
		{"gs r and asb", []byte("\x1dr\x01\x1da\xff\x1da\x00"), []query{{cmdGSr, 1}, {cmdASB, 0xff}, {cmdASB, 0}}},
		{"inside raster", append(append([]byte(nil), img...), 0x10, 0x04, 0x02), []query{{cmdEOT, 2}}},
		{"esc param 0x10", []byte("\x1bt\x10\x04\x01"), nil}, // ESC t 16: code page 16, then EOT 01 as data
		{"gs ( length", []byte("\x1d(k\x03\x00\x10\x04\x01\x10\x04\x03"), []query{{cmdEOT, 3}}},
		{"eot 5 is not a request", []byte("\x10\x04\x05"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Whole, and split at every position.
			for split := 0; split <= len(tc.stream); split++ {
				var s scanner
				var got []query
				s.feed(tc.stream[:split], func(q query) { got = append(got, q) })
				s.feed(tc.stream[split:], func(q query) { got = append(got, q) })
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("split %d: got %v, want %v", split, got, tc.want)
				}
			}
		})
	}
}

func TestFramerLines(t *testing.T) {
	var f framer
	var got []string
	f.feed([]byte("a\r\nb\nc\rd\r"), func(l string, ok bool) { got = append(got, l) })
	f.feed([]byte("\ne"), func(l string, ok bool) { got = append(got, l) })
	if want := []string{"a", "b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
	if l, ok := f.flush(); !ok || l != "e" {
		t.Fatalf("flush %q %v", l, ok)
	}
}

func TestFramerSTXETX(t *testing.T) {
	f := framer{stxEtx: true, checksum: true}
	var lines []string
	var oks []bool
	stream := append(frame("one\r\ntwo", false), 0x06) // ACK between frames is not text
	stream = append(stream, frame("bad", true)...)
	for _, b := range stream { // byte by byte
		f.feed([]byte{b}, func(l string, ok bool) { lines = append(lines, l); oks = append(oks, ok) })
	}
	if want := []string{"one", "two", "bad"}; !reflect.DeepEqual(lines, want) {
		t.Fatalf("lines %q, want %q", lines, want)
	}
	if want := []bool{true, true, false}; !reflect.DeepEqual(oks, want) {
		t.Fatalf("checksums %v, want %v", oks, want)
	}
}

func TestParseListen(t *testing.T) {
	good := []string{"tcp://0.0.0.0:9100", "tcp://127.0.0.1:0", "serial:///dev/ttyS0?baud=9600&parity=none",
		"serial://usb/0403:6001?baud=19200", "serial://usb/067b:2303+A5XK3RJT"}
	for _, s := range good {
		if _, err := ParseListen(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	bad := map[string]string{
		"tcp://0.0.0.0":                 "tcp://HOST:PORT",
		"9100":                          "want tcp://",
		"http://x:1":                    "scheme must be tcp or serial",
		"serial://usb/0403":             "VID:PID",
		"serial://usb/0403:6001?baud=x": "baud must be",
		"serial:///dev/ttyS0?speed=9":   "unknown parameter",
	}
	for s, want := range bad {
		_, err := ParseListen(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to mention %q", s, err, want)
		}
	}
}

func TestUSBMatchFollowsTheAdapter(t *testing.T) {
	ports := []transport.PortInfo{
		{Name: "/dev/ttyS0"},
		{Name: "/dev/ttyUSB1", IsUSB: true, VID: "0403", PID: "6001", SerialNumber: "AAA"},
		{Name: "/dev/ttyUSB2", IsUSB: true, VID: "0403", PID: "6001", SerialNumber: "BBB"},
		{Name: "/dev/ttyUSB3", IsUSB: true, VID: "067B", PID: "2303"},
	}
	old := serialPorts
	serialPorts = func() ([]transport.PortInfo, error) { return ports, nil }
	t.Cleanup(func() { serialPorts = old })
	for listen, want := range map[string]string{
		"serial://usb/067b:2303?baud=9600": "serial:///dev/ttyUSB3?baud=9600",
		"serial://usb/0403:6001+BBB":       "serial:///dev/ttyUSB2",
	} {
		l, err := ParseListen(listen)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.resolve()
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", listen, got, err, want)
		}
	}
	l, _ := ParseListen("serial://usb/0403:6001")
	if _, err := l.resolve(); err == nil || !strings.Contains(err.Error(), "add +SERIAL") {
		t.Errorf("two alike adapters: %v", err)
	}
	l, _ = ParseListen("serial://usb/1a86:7523")
	if _, err := l.resolve(); err == nil || !strings.Contains(err.Error(), "no USB serial adapter 1A86:7523 is plugged in") {
		t.Errorf("missing adapter: %v", err)
	}
}

func TestMaskRawPANs(t *testing.T) {
	tests := map[string]string{
		"Card 4111 1111 1111 1111\n":      "Card **** **** **** 1111\n",
		"PAN:4111111111111111;":           "PAN:************1111;",
		"5500-0000-0000-0004 x":           "****-****-****-0004 x",
		"Order 1234567890123 not luhn":    "Order 1234567890123 not luhn",
		"\x1dv0\x00\x01\x00\x01\x004111 ": "\x1dv0\x00\x01\x00\x01\x004111 ",
	}
	for in, want := range tests {
		if got := MaskRawPANs([]byte(in)); string(got) != want {
			t.Errorf("MaskRawPANs(%q) = %q, want %q", in, got, want)
		}
	}
	raw := []byte("4111111111111111")
	MaskRawPANs(raw)
	if !bytes.Equal(raw, []byte("4111111111111111")) {
		t.Fatal("MaskRawPANs changed its input")
	}
}

// FuzzScanner: the status request scanner never panics and finds the same
// requests however the stream is split.
func FuzzScanner(f *testing.F) {
	f.Add([]byte("\x10\x04\x01\x1dv0\x00\x01\x00\x01\x00\x10\x1da\x01"), 3)
	f.Add([]byte("\x1d8L\xff\xff\xff\x7f\x00"), 1)
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		var a, b scanner
		var qa, qb []query
		a.feed(data, func(q query) { qa = append(qa, q) })
		if split < 0 {
			split = -split
		}
		split %= len(data) + 1
		b.feed(data[:split], func(q query) { qb = append(qb, q) })
		b.feed(data[split:], func(q query) { qb = append(qb, q) })
		if !reflect.DeepEqual(qa, qb) {
			t.Fatalf("split %d: %v vs %v", split, qa, qb)
		}
	})
}

// FuzzFramer: journal framing never panics on line noise.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("\x02a\r\nb\x03\x61\x02c"), true)
	f.Add([]byte("x\r\r\n\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, stx bool) {
		fr := framer{stxEtx: stx, checksum: stx}
		fr.feed(data, func(string, bool) {})
		fr.flush()
	})
}
