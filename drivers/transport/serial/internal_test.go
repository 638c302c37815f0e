package serial

import (
	"net/url"
	"testing"
	"time"
)

func TestSerialByteTime(t *testing.T) {
	tests := []struct {
		query string
		bits  float64
		want  time.Duration
	}{
		{"baud=9600", 10, 1041666 * time.Nanosecond}, // 8N1
		{"baud=19200&parity=even&stopbits=2", 12, 625 * time.Microsecond},
		{"baud=115200&databits=7&stopbits=1.5", 9.5, 82465 * time.Nanosecond},
	}
	for _, tt := range tests {
		cfg, err := parseSerial(&url.URL{Scheme: "serial", Path: "/dev/ttyS0", RawQuery: tt.query})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.bits != tt.bits || cfg.byteTime() != tt.want {
			t.Errorf("%s: %v bits, %v per byte; want %v, %v", tt.query, cfg.bits, cfg.byteTime(), tt.bits, tt.want)
		}
	}
}
