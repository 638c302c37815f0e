package parse

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/auraconnect/aura-edge/internal/model"
)

func corpusSeeds(f *testing.F) [][]byte {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.bin"))
	var out [][]byte
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		f.Fatal("no corpus in testdata")
	}
	return out
}

// FuzzDecode: the stream decoder and the parser never panic, always give
// UTF-8 text, and whatever they call a sale or refund is a valid order.
func FuzzDecode(f *testing.F) {
	for _, b := range corpusSeeds(f) {
		f.Add(b, "cp858")
	}
	f.Add([]byte("\x1dv0\x00\xff\xff\xff\xff"), "")
	f.Add([]byte("\x1b&\x03\x20\x7e\x0c"), "cp437")
	f.Fuzz(func(t *testing.T, raw []byte, cp string) {
		for _, l := range Decode(raw, cp) {
			if !utf8.ValidString(l.Text) {
				t.Fatalf("invalid UTF-8 line %q", l.Text)
			}
		}
		r := Parse(raw, Options{CodePage: cp, Currency: "EUR"})
		checkFuzzReceipt(t, r)
	})
}

func checkFuzzReceipt(t *testing.T, r Receipt) {
	if !utf8.ValidString(r.Text) {
		t.Fatalf("invalid UTF-8 text")
	}
	if r.Confidence < 0 || r.Confidence > 1 {
		t.Fatalf("confidence %v", r.Confidence)
	}
	if (r.Kind == KindUnparsed) != (r.Order == nil) {
		t.Fatalf("kind %s with order %v", r.Kind, r.Order != nil)
	}
	if r.Order != nil {
		o := *r.Order
		o.Source = model.Source{Vendor: "terminal:fuzz", ExternalID: "1"}
		o.Payments = append(o.Payments[:0:0], o.Payments...)
		for i := range o.Payments {
			o.Payments[i].Source = o.Source
		}
		o.Refunds = append(o.Refunds[:0:0], o.Refunds...)
		for i := range o.Refunds {
			o.Refunds[i].Source = o.Source
		}
		if ps := o.Validate(); ps != nil {
			t.Fatalf("%s order does not validate: %v\n%s", r.Kind, ps, r.Text)
		}
	}
}

// FuzzParseText: text receipts and journals.
func FuzzParseText(f *testing.F) {
	for _, b := range corpusSeeds(f) {
		f.Add(Parse(b, Options{Currency: "EUR"}).Text)
	}
	f.Add("Tea 2.00\nTOTAL 2.00\nCash 2.00\n")
	f.Fuzz(func(t *testing.T, text string) {
		checkFuzzReceipt(t, ParseText(text, Options{Currency: "USD"}))
		j := NewJournal(Options{Currency: "USD"})
		for _, l := range strings.Split(text, "\n") {
			j.Line(l)
		}
		j.Flush()
	})
}

// FuzzCutter: cutting does not depend on how the stream is split into
// writes, and the receipts are the stream's bytes in order.
func FuzzCutter(f *testing.F) {
	for _, b := range corpusSeeds(f) {
		f.Add(b, uint16(7))
	}
	f.Add([]byte("a\n\x1dVB\x00b\n\x1bi"), uint16(1))
	f.Fuzz(func(t *testing.T, stream []byte, split uint16) {
		var whole Cutter
		want := whole.Write(stream)
		wantRest := whole.Flush()
		var c Cutter
		var got [][]byte
		step := int(split%512) + 1
		for i := 0; i < len(stream); i += step {
			got = append(got, c.Write(stream[i:min(i+step, len(stream))])...)
		}
		if len(got) != len(want) {
			t.Fatalf("%d receipts in writes of %d, %d in one write", len(got), step, len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("receipt %d differs", i)
			}
		}
		if rest := c.Flush(); !bytes.Equal(rest, wantRest) {
			t.Fatalf("Flush differs")
		}
		joined := bytes.Join(want, nil)
		if !bytes.HasSuffix(stream, wantRest) || !bytes.Contains(stream, joined) && len(joined) > 0 && !isSubsequence(joined, stream) {
			t.Fatalf("receipts are not the stream's bytes in order")
		}
	})
}

// isSubsequence reports whether a's bytes appear in b in order (text-less
// gaps between receipts are carried into the next receipt, so the receipts
// are contiguous pieces of b).
func isSubsequence(a, b []byte) bool {
	i := 0
	for j := 0; i < len(a) && j < len(b); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}

// FuzzRules: the rules loader never panics, and rules it accepts never make
// the parser panic or produce invalid orders.
func FuzzRules(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "fr-traiteur.rules.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, "NET A REGLER 3,00 EUR\n1 2 Pain 1,50 3,00")
	f.Add([]byte("lines:\n  - template: \"{qty} x {name} {unit} {amount}\"\n    as: item\ndate: DD.MM.YYYY HH:mm\n"), "2 x Tee 1,00 2,00\nSUMME 2,00\n03.12.2026 10:00")
	f.Add([]byte("journal: {start: '^#'}\nkinds: [{match: COPY, kind: copy}]\nmoney: {decimal: ',', thousands: '.'}\n"), "#1\nCOPY")
	f.Fuzz(func(t *testing.T, yml []byte, text string) {
		r, err := ParseRules(yml, "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml:") {
				t.Fatalf("error without FILE:LINE:COL: %v", err)
			}
			return
		}
		checkFuzzReceipt(t, ParseText(text, Options{Currency: "EUR", Rules: r}))
		j := NewJournal(Options{Rules: r})
		for _, l := range strings.Split(text, "\n") {
			j.Line(l)
		}
	})
}

func FuzzMaskPANs(f *testing.F) {
	f.Add("4111 1111 1111 1111")
	f.Add("5500-0000-0000-0004 12/28 37.10")
	f.Fuzz(func(t *testing.T, s string) {
		m := MaskPANs(s)
		if len(m) != len(s) {
			t.Fatalf("length changed")
		}
		for i := range len(s) {
			if m[i] != s[i] && (m[i] != '*' || !isDigit(s[i])) {
				t.Fatalf("byte %d changed from %q to %q", i, s[i], m[i])
			}
		}
	})
}
