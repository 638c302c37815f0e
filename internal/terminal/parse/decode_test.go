package parse

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name     string
		raw      []byte
		codePage string
		want     []Line
	}{
		{"plain", []byte("ab\ncd\n"), "", []Line{{"ab", 1, 1, false}, {"cd", 1, 1, false}}},
		{"cp858 euro by ESC t 19", []byte("\x1bt\x13\xd5 5\n"), "", []Line{{"€ 5", 1, 1, false}}},
		{"cp437 default", []byte("\x81ber\n"), "", []Line{{"über", 1, 1, false}}},
		{"initial cp1252", []byte("\x80 1\n"), "cp1252", []Line{{"€ 1", 1, 1, false}}},
		{"ESC @ restores the initial page", []byte("\x1bt\x10\x80\x1b@\x80\n"), "cp858", []Line{{"€", 1, 1, false}, {"Ç", 1, 1, false}}},
		{"double width and height by ESC !", []byte("\x1b!\x30TOTAL\x1b!\x00\n"), "", []Line{{"TOTAL", 2, 2, false}}},
		{"GS ! and bold", []byte("\x1d!\x11\x1bE\x01BIG\x1bE\x00\x1d!\x00\nsmall\n"), "", []Line{{"BIG", 2, 2, true}, {"small", 1, 1, false}}},
		{"raster image skipped", append(append([]byte("a\n\x1dv0\x00\x02\x00\x02\x00"), "\x1bi\nX"...), "\nb\n"...), "", []Line{{"a", 1, 1, false}, {"", 1, 1, false}, {"b", 1, 1, false}}},
		{"ESC * column image skipped", []byte("\x1b*\x21\x02\x00ABCDEF\nok\n"), "", []Line{{"", 1, 1, false}, {"ok", 1, 1, false}}},
		{"QR and barcode skipped", []byte("\x1d(k\x06\x001P0abc\x1d(k\x03\x001Q0\x1dkI\x05{Bxyz\x1dk\x02123456789012\x00t\n"), "", []Line{{"t", 1, 1, false}}},
		{"GS ( L and GS 8 L graphics skipped", []byte("\x1d(L\x04\x000pQR\x1d8L\x03\x00\x00\x00abc1\n"), "", []Line{{"1", 1, 1, false}}},
		{"status requests skipped", []byte("\x10\x04\x01\x1dr\x01\x1da\xffok\n"), "", []Line{{"ok", 1, 1, false}}},
		{"ESC d feeds blank lines", []byte("a\x1bd\x02b\n"), "", []Line{{"a", 1, 1, false}, {"", 1, 1, false}, {"b", 1, 1, false}}},
		{"tab", []byte("a\tb\n"), "", []Line{{"a       b", 1, 1, false}}},
		{"CR LF", []byte("a\r\nb\r\n"), "", []Line{{"a", 1, 1, false}, {"b", 1, 1, false}}},
		{"no final LF", []byte("a\nb"), "", []Line{{"a", 1, 1, false}, {"b", 1, 1, false}}},
		{"truncated command at the end", []byte("a\n\x1dv0\x00\xff\xff"), "", []Line{{"a", 1, 1, false}}},
		{"ESC R 2 German umlauts", []byte("\x1bR\x02Gr\x7d\x7ee M\x7dller\n\x1b@[x]\n"), "", []Line{{"Grüße Müller", 1, 1, false}, {"[x]", 1, 1, false}}},
		{"ESC $ absolute position", []byte("Latte\x1b$\xf8\x01 4.50\nTea\x1b$\x0c\x00X\n"), "", []Line{{"Latte" + strings.Repeat(" ", 38) + "4.50", 1, 1, false}, {"Tea X", 1, 1, false}}},
		{"ESC \\ relative position", []byte("a\x1b\\\x30\x00b\x1b\\\xf4\xffc\n"), "", []Line{{"a    bc", 1, 1, false}}},
		{"ESC R 1 French", []byte("\x1bR\x01caf\x7b\n"), "", []Line{{"café", 1, 1, false}}},
		{"Star code page ESC GS t", []byte("\x1b\x1dt\x13\xd5\n"), "", []Line{{"€", 1, 1, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decode(tt.raw, tt.codePage)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLookupCodePage(t *testing.T) {
	for in, want := range map[string]string{
		"": "CP437", "cp858": "CP858", "CP-850": "CP850", "windows-1252": "CP1252", "iso-8859-15": "ISO_8859-15",
		"latin1": "ISO_8859-1", "ibm437": "CP437", "ISO8859-2": "ISO_8859-2",
	} {
		if got, ok := LookupCodePage(in); !ok || got != want {
			t.Errorf("LookupCodePage(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := LookupCodePage("klingon"); ok {
		t.Error("an unknown code page was accepted")
	}
}

func TestCutter(t *testing.T) {
	r1 := []byte("\x1b@one\n\x1dV\x42\x00")
	// image data holding GS V and ESC i must not cut
	r2 := append([]byte("\x1b@\x1dv0\x00\x04\x00\x01\x00\x1dVA\x00two\n"), "\x1bi"...)
	r3 := []byte("three\n\x1bm")
	status := []byte("\x10\x04\x01")
	stream := bytes.Join([][]byte{r1, r2, status, r3, status, []byte("\x1dV\x00"), []byte("tail\n")}, nil)

	for _, chunk := range []int{1, 2, 3, 5, 64, len(stream)} {
		var c Cutter
		var got [][]byte
		for i := 0; i < len(stream); i += chunk {
			got = append(got, c.Write(stream[i:min(i+chunk, len(stream))])...)
		}
		want := [][]byte{r1, r2, append(append([]byte{}, status...), r3...)}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("chunk %d: receipts %q, want %q", chunk, got, want)
		}
		if f := c.Flush(); string(f) != "\x10\x04\x01\x1dV\x00tail\n" {
			t.Fatalf("chunk %d: Flush = %q", chunk, f)
		}
		if f := c.Flush(); f != nil {
			t.Fatalf("second Flush = %q", f)
		}
	}
}

func TestCutterDropsTextlessGaps(t *testing.T) {
	var c Cutter
	if got := c.Write([]byte("\x10\x04\x01\x10\x04\x02\x1b@")); got != nil {
		t.Fatalf("status polls made receipts: %q", got)
	}
	if f := c.Flush(); f != nil {
		t.Fatalf("Flush of status polls = %q, want nil", f)
	}
	// a second cut right after a receipt is not a receipt of its own
	got := c.Write([]byte("a\n\x1dVB\x00\x1dVB\x00b\n\x1dVB\x00"))
	if len(got) != 2 || string(got[0]) != "a\n\x1dVB\x00" || string(got[1]) != "\x1dVB\x00b\n\x1dVB\x00" {
		t.Fatalf("receipts = %q", got)
	}
}

// TestCutterCorruptLength: a command declaring a huge length does not
// swallow the rest of the stream.
func TestCutterCorruptLength(t *testing.T) {
	var c Cutter
	got := c.Write([]byte("\x1d8L\xff\xff\xff\x7fa\nb\n\x1dVB\x00"))
	if len(got) != 1 {
		t.Fatalf("receipts = %q", got)
	}
}

func TestCutterChunkingRandom(t *testing.T) {
	var stream []byte
	for _, c := range corpus {
		stream = append(stream, c.build()...)
	}
	var whole Cutter
	want := whole.Write(stream)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		var c Cutter
		var got [][]byte
		for i := 0; i < len(stream); {
			n := 1 + rng.IntN(300)
			got = append(got, c.Write(stream[i:min(i+n, len(stream))])...)
			i += n
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("chunked cutting differs: %d vs %d receipts", len(got), len(want))
		}
	}
	// every corpus receipt with a cut comes out whole; the no-cut one is
	// joined to the receipt after it
	if len(want) != len(corpus)-1 {
		t.Fatalf("%d receipts from %d corpus receipts (one without a cut)", len(want), len(corpus))
	}
	if !strings.Contains(string(bytes.Join(want, nil)), "BOULANGERIE") {
		t.Fatal("lost the receipt without a cut")
	}
}
