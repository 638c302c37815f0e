package file

import "testing"

func TestJobSeq(t *testing.T) {
	tests := []struct {
		name string
		seq  uint64
		ok   bool
	}{
		{"00000001.bin", 1, true},
		{"00000042-order-7.bin", 42, true},
		{"123456789-x.bin", 123456789, true},
		{"00000001-a.bin.tmp", 0, false},
		{"notes.bin", 0, false},
		{"-1.bin", 0, false},
		{".bin", 0, false},
	}
	for _, tt := range tests {
		if seq, ok := jobSeq(tt.name); seq != tt.seq || ok != tt.ok {
			t.Errorf("jobSeq(%q) = %d, %v; want %d, %v", tt.name, seq, ok, tt.seq, tt.ok)
		}
	}
}

func TestSanitizeJobID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"order-42_b.v2", "order-42_b.v2"},
		{"../../etc", "_._.._etc"},
		{"a/b\\c d", "a_b_c_d"},
		{"çafé", "_af_"},
		{string(make([]byte, 100)), "________________________________________________________________"},
	}
	for _, tt := range tests {
		if got := sanitizeJobID(tt.in); got != tt.want {
			t.Errorf("sanitizeJobID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
