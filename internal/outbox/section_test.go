package outbox

import (
	"reflect"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"256MiB": 256 << 20, "1GB": 1e9, "0": 0, "": 0, "10 KiB": 10240} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("%q = %d, %v", in, got, err)
		}
	}
	if _, err := ParseBytes("lots"); err == nil {
		t.Error("want error")
	}
}

func TestSection(t *testing.T) {
	tests := []struct {
		name string
		s    Section
		want []Problem
		cfg  Config
	}{
		{"empty", Section{}, nil, Config{Streams: map[Stream]Limits{}}},
		{"limits and floor", Section{MaxOrders: 10, MaxPayments: 20, MinFreeBytes: "256MiB"}, nil,
			Config{Streams: map[Stream]Limits{Orders: {MaxRows: 10}, Payments: {MaxRows: 20}}, MinFreeBytes: 256 << 20, CriticalFreeBytes: 64 << 20}},
		{"small floor", Section{MinFreeBytes: "1MiB"}, nil,
			Config{Streams: map[Stream]Limits{}, MinFreeBytes: 1 << 20, CriticalFreeBytes: 1 << 20}},
		{"mistakes", Section{MaxOrders: -1, MaxPayments: -2, MinFreeBytes: "lots"},
			[]Problem{{"min_free_disk", `expected a size such as 256MiB (got "lots")`}, {"max_orders", "must not be negative"}, {"max_payments", "must not be negative"}},
			Config{Streams: map[Stream]Limits{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Problems(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems %v, want %v", got, tt.want)
			}
			if got := tt.s.Config(); !reflect.DeepEqual(got, tt.cfg) {
				t.Errorf("config %+v, want %+v", got, tt.cfg)
			}
		})
	}
}
