package escpos

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// decodeText decodes a stream made of text, LF, ESC @ and code page
// selections (ESC t n, ESC GS t n) with golang.org/x/text's tables for the
// page names of profile p, independently of the encoder's own tables. It
// also returns the number of page switches.
func decodeText(t *testing.T, stream []byte, p *Profile) (string, int) {
	t.Helper()
	names := map[int]string{}
	for _, cp := range p.CodePages {
		names[cp.N] = cp.Name
	}
	var cm *charmap.Charmap
	var out strings.Builder
	switches := 0
	for i := 0; i < len(stream); i++ {
		c := stream[i]
		switch {
		case c == esc && i+1 < len(stream) && stream[i+1] == '@':
			i++
		case c == esc && i+2 < len(stream) && stream[i+1] == 't':
			cm = charmaps[names[int(stream[i+2])]]
			switches++
			i += 2
		case c == esc && i+3 < len(stream) && stream[i+1] == gs && stream[i+2] == 't':
			cm = charmaps[names[int(stream[i+3])]]
			switches++
			i += 3
		case c == lf:
			out.WriteByte('\n')
		case c >= 0x20 && c < 0x7f:
			out.WriteByte(c)
		case c >= 0x80:
			if cm == nil {
				t.Fatalf("byte %#x at %d before any usable code page: % x", c, i, stream)
			}
			if c == 0x1a {
				t.Fatalf("SUB byte at %d", i)
			}
			out.WriteRune(cm.DecodeByte(c))
		default:
			t.Fatalf("unexpected byte %#x at %d in % x", c, i, stream)
		}
	}
	return out.String(), switches
}

func TestCodePagesRoundTrip(t *testing.T) {
	tests := []struct {
		profile string
		text    string
	}{
		{"TM-T88V", "Crème brûlée, Smørrebrød, Jalapeño, Straße: €12,50 £3 ¥500"},
		{"TM-T88V", "“Quoted” — dashes – and… ellipsis"},
		{"TM-T88V", "Zażółć gęślą jaźń"},
		{"TM-T88V", "Съешь же ещё этих мягких французских булок"},
		{"TM-T88V", "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία"},
		{"default", "Café € Привет Ωμέγα ü ñ ß £ ¥"},
		{"default", "Iğdır'da şoför, Příliš žluťoučký kůň"},
		{"TM-T20II", "Grüße aus Köln: 3,50 €"},
		{"CT-S651", "Señor Müller paga 10 €"},
		{"POS-5890", "Ёлка, ёж, €, £, ¥"},
		{"TM-m30III", "Καλημέρα κόσμε, €"},
		{"TSP600", "Café € ü ñ"},
		{"safe", "é ü ñ ß € £ ¥ Ж"},
		{"simple", "é ü ñ £ ¥ ½ ° α ß"}, // all in CP437
	}
	for _, tc := range tests {
		t.Run(tc.profile+"/"+tc.text, func(t *testing.T) {
			p := mustProfile(t, tc.profile)
			var out bytes.Buffer
			e := New(&out, p)
			e.Init()
			e.Text(tc.text)
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
			got, _ := decodeText(t, out.Bytes(), p)
			if got != tc.text {
				t.Errorf("decoded %q\nwant    %q\nstream  % x", got, tc.text, out.Bytes())
			}
			if e.Substitutions() != 0 {
				t.Errorf("%d substitutions for text the profile can print", e.Substitutions())
			}
			if pv := RenderPreview(out.Bytes(), p); strings.ReplaceAll(pv, "\n", "") != tc.text { // the preview wraps
				t.Errorf("preview %q, want %q", pv, tc.text)
			}
		})
	}
}

func TestCodePageFallback(t *testing.T) {
	tests := []struct {
		profile string
		text    string
		want    string
		subst   int
	}{
		{"simple", "Price: €5 – “Special”", `Price: EUR5 - "Special"`, 4},
		{"simple", "Zażółć", "Zazólc", 3}, // ó is in CP437
		{"simple", "Съешь", "Sesh", 5},
		{"simple", "Καλημέρα", "Kalimera", 8}, // α is in CP437 but the word is romanised whole
		{"simple", "Straße", "Straße", 0},     // ß is CP437 0xE1
		{"simple", "ﬁsh ＡＢＣ", "fish ABC", 4},
		{"simple", "日本 😀!", "__ _!", 3},
		{"simple", "a\u200bb\u00a0c\u2009d", "ab c d", 0}, // zero-width space dropped, NBSP and thin space are spaces
		{"TM-U220", "Œuvre №5 ™", "OEuvre No.5 (TM)", 3},
		{"TM-U220", "ĦĦ ŧ", "HH t", 3},
		{"TM-U220", "e\u0301", "é", 0}, // decomposed input is composed first
		{"TM-U220", "ǘ", "u", 1},
		{"TM-U220", "¿Qué?", "¿Qué?", 0},
		{"TM-U220", "ő", "o", 1},
		{"AF-240", "€ £", "EUR £", 1}, // Oxhoo table from the database
	}
	for _, tc := range tests {
		t.Run(tc.profile+"/"+tc.text, func(t *testing.T) {
			p := mustProfile(t, tc.profile)
			var out bytes.Buffer
			e := New(&out, p)
			e.Text(tc.text)
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(RenderPreview(out.Bytes(), p), "\n"); got != tc.want {
				t.Errorf("printed %q, want %q (stream % x)", got, tc.want, out.Bytes())
			}
			if got := p.Printable(tc.text); got != tc.want {
				t.Errorf("Printable = %q, want %q", got, tc.want)
			}
			if got, want := p.TextWidth(tc.text), len([]rune(tc.want)); got != want {
				t.Errorf("TextWidth = %d, want %d", got, want)
			}
			if e.Substitutions() != tc.subst {
				t.Errorf("Substitutions = %d, want %d", e.Substitutions(), tc.subst)
			}
			if bytes.IndexByte(out.Bytes(), 0x1a) >= 0 || (bytes.IndexByte(out.Bytes(), '?') >= 0) != strings.Contains(tc.text, "?") {
				t.Errorf("stream has SUB or an invented '?': % x", out.Bytes())
			}
		})
	}
}

func TestCodePageSwitchesAreMinimal(t *testing.T) {
	tests := []struct {
		profile  string
		text     string
		switches int
	}{
		{"TM-T88V", "hello world", 0},
		{"TM-T88V", "ü ü ü é", 1},
		{"TM-T88V", "€ ü € ü", 1},        // CP858 has both
		{"TM-T88V", "ü € ü", 1},          // look-ahead: not CP437 first
		{"TM-T88V", "“é” é é é", 1},      // CP1252: stays, no switch back to CP437
		{"TM-T88V", "é Ж é Ж", 4},        // no page has both
		{"TM-T88V", "Привет, мир", 1},    // CP866
		{"TM-T88V", "Ωμέγα ώρα", 1},      // ISO-8859-7
		{"simple", "€ € €", 0},           // fallback needs no page
		{"TM-T88V", "é\né\né", 1},        // LF keeps the page
		{"TM-T88V", "a€b€c€d€e€f€g€", 1}, // one page for the whole line
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			p := mustProfile(t, tc.profile)
			var out bytes.Buffer
			e := New(&out, p)
			e.Text(tc.text)
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
			got, n := decodeText(t, out.Bytes(), p)
			if n != tc.switches {
				t.Errorf("%d page switches, want %d: % x", n, tc.switches, out.Bytes())
			}
			if e.Substitutions() == 0 && got != tc.text {
				t.Errorf("decoded %q, want %q", got, tc.text)
			}
		})
	}
}

func TestEuroPrefersCommonPages(t *testing.T) {
	// Every profile that can print € must pick CP858, CP1252 or ISO-8859-15
	// when they are available, the pages printers implement most reliably.
	for _, id := range ProfileNames() {
		p := mustProfile(t, id)
		has := map[string]int{}
		for _, cp := range p.CodePages {
			if _, ok := has[cp.Name]; !ok {
				has[cp.Name] = cp.N
			}
		}
		_, a := has["CP858"]
		_, b := has["CP1252"]
		_, c := has["ISO_8859-15"]
		if !a && !b && !c {
			continue
		}
		var out bytes.Buffer
		e := New(&out, p)
		e.Text("€")
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		s := out.Bytes()
		var n int
		switch {
		case len(s) == 4 && s[0] == esc && s[1] == 't':
			n = int(s[2])
		case len(s) == 5 && s[0] == esc && s[1] == gs && s[2] == 't':
			n = int(s[3])
		default:
			t.Errorf("%s: unexpected stream % x", id, s)
			continue
		}
		if n != has["CP858"] && n != has["CP1252"] && n != has["ISO_8859-15"] {
			t.Errorf("%s: € selected page %d", id, n)
		}
	}
}

func TestCodecsMatchXText(t *testing.T) {
	d, err := database()
	if err != nil {
		t.Fatal(err)
	}
	for name, cm := range charmaps {
		c := d.codecs[name]
		if c == nil {
			t.Errorf("%s: not built", name)
			continue
		}
		for r, b := range c.enc {
			if got := cm.DecodeByte(b); got != r {
				t.Errorf("%s: %U encodes to %#x, which x/text decodes as %U", name, r, b, got)
			}
			if b < 0xa0 && b >= 0x80 && r < 0xa0 {
				t.Errorf("%s: C1 control %U used as text", name, r)
			}
		}
	}
	for _, name := range []string{"CP3012", "OXHOO-EUROPEAN", "KATAKANA", "TCVN-3-1"} {
		if d.codecs[name] == nil {
			t.Errorf("data table %s not built", name)
		}
	}
	for _, name := range []string{"CP932", "CP737", "Unknown", "CP3841"} {
		if d.codecs[name] != nil {
			t.Errorf("%s should not be usable", name)
		}
	}
}
