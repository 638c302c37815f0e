package escpos

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzProfiles = []string{"TM-T88V", "simple", "TSP600", "AF-240", "default", "KR-306", "POS-5890"}

func FuzzParseStatus(f *testing.F) {
	for _, b := range []byte{0x12, 0x16, 0x1a, 0x32, 0x52, 0x72, 0x7e, 0x00, 0xff, 0x93} {
		for k := byte(0); k <= 5; k++ {
			f.Add(k, b)
		}
	}
	f.Fuzz(func(t *testing.T, kind, reply byte) {
		s, err := ParseStatus(StatusKind(kind), reply)
		valid := kind >= 1 && kind <= 4 && reply&0x93 == 0x12
		if valid != (err == nil) {
			t.Fatalf("ParseStatus(%d, %#x) = %v", kind, reply, err)
		}
		if err != nil {
			if !errors.Is(err, ErrBadStatus) || s != (Status{}) {
				t.Fatalf("bad reply: %+v, %v", s, err)
			}
			return
		}
		if !s.Has(StatusKind(kind)) {
			t.Fatal("Has is false after a good parse")
		}
		if e := s.Err(); e != nil && e.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}

func FuzzText(f *testing.F) {
	for _, s := range []string{
		"", "hello", "Café € Привет Ωμέγα", "Grüße – “Straße” £2 ¥300", "日本語 😀",
		"e\u0301\u0301", "a\x1b@\x1d\x56\x00", "\xff\xfe invalid", "ﬁ ＡＢＣ ？", "ά ΐ Ё", "\u00a0\u200b\t\n",
		"ﾃｽﾄ", "Iğdır", "Zażółć", "¿Qué?",
	} {
		for i := range fuzzProfiles {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, s string, pi uint8) {
		p := mustProfile(t, fuzzProfiles[int(pi)%len(fuzzProfiles)])
		var out bytes.Buffer
		e := New(&out, p)
		e.Text(s)
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		stream := out.Bytes()
		cells, lines := 0, 0
		for i := 0; i < len(stream); i++ {
			c := stream[i]
			switch {
			case c == esc && i+2 < len(stream) && stream[i+1] == 't':
				i += 2
			case c == esc && i+3 < len(stream) && stream[i+1] == gs && stream[i+2] == 't':
				i += 3
			case c == lf:
				lines++
			case c == 0x1a:
				t.Fatalf("SUB byte in % x", stream)
			case c == '?' && !strings.Contains(s, "?"):
				t.Fatalf("invented '?' in % x for %q", stream, s)
			case c < 0x20 || c == 0x7f:
				t.Fatalf("control byte %#x leaked into % x", c, stream)
			default:
				cells++
			}
		}
		if lines != strings.Count(s, "\n") {
			t.Fatalf("%d LFs for %d newlines", lines, strings.Count(s, "\n"))
		}
		// Printable (used for layout) agrees with what Text prints.
		pr := p.Printable(s)
		if got := utf8.RuneCountInString(pr) - strings.Count(pr, "\n"); got != cells {
			t.Fatalf("Printable(%q) = %q has %d cells, Text printed %d", s, pr, got, cells)
		}
		if strings.ContainsRune(pr, 0x1a) || (strings.Contains(pr, "?") && !strings.Contains(s, "?")) {
			t.Fatalf("Printable(%q) = %q", s, pr)
		}
		// The preview decodes what was printed.
		pv := RenderPreview(stream, p)
		if strings.Contains(pv, "\uFFFD") && !strings.ContainsRune(pr, '\uFFFD') {
			t.Fatalf("preview cannot decode %q: %q", stream, pv)
		}
	})
}

func FuzzPreview(f *testing.F) {
	for _, tc := range goldenCases {
		stream, _ := encode(f, tc.profile, tc.fn)
		f.Add(stream, uint16(len(stream)/2))
	}
	f.Add([]byte{gs, 'v', '0', 0, 0xff, 0xff, 0xff, 0xff}, uint16(3))
	f.Add([]byte{gs, '8', 'L', 0xff, 0xff, 0xff, 0x7f, 1}, uint16(1))
	f.Add([]byte{gs, 'k', 73, 3, '{', 'C', 200}, uint16(0))
	f.Fuzz(func(t *testing.T, stream []byte, split uint16) {
		p := mustProfile(t, "TM-T88V")
		whole := RenderPreview(stream, p)
		at := int(split) % (len(stream) + 1)
		var b strings.Builder
		v := NewPreview(&b, p)
		v.Write(stream[:at])
		v.Write(stream[at:])
		if err := v.Close(); err != nil {
			t.Fatal(err)
		}
		if b.String() != whole {
			t.Fatalf("split at %d renders differently:\n%q\n%q", at, b.String(), whole)
		}
	})
}

func FuzzCode128(f *testing.F) {
	for _, s := range []string{"ORDER-1", "0001", "123", "{B}", "a{{b", "é", "\x00", strings.Repeat("9", 60)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		p := mustProfile(t, "TM-T88V")
		var out bytes.Buffer
		e := New(&out, p)
		err := e.Code128(data, BarcodeOptions{})
		if err != nil {
			if !errors.Is(err, ErrInvalidBarcode) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		want := "[BARCODE CODE128: " + readable([]byte(data)) + "]\n"
		if got := RenderPreview(out.Bytes(), p); got != want {
			t.Fatalf("preview %q, want %q", got, want)
		}
	})
}
