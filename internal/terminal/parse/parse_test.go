package parse

import (
	"strings"
	"testing"
	"time"
)

func TestMoneyFormats(t *testing.T) {
	mf := moneyFormat{Digits: 2}
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1.234,56", 123456, true}, {"1,234.56", 123456, true}, {"4.50", 450, true}, {"4,50", 450, true},
		{"-4,50", -450, true}, {"4,50-", -450, true}, {"(3.00)", -300, true}, {"€12,50", 1250, true},
		{"12,50€", 1250, true}, {"-$2.69", -269, true}, {"£5.20", 520, true}, {"1'234.50", 123450, true},
		{"12.345.678,90", 1234567890, true}, {"1.234.56", 0, false}, {"12,5", 0, false}, {"1234", 0, false},
		{"19%", 0, false}, {"12.34.56", 0, false}, {"1,23,456.00", 0, false}, {"abc", 0, false}, {"", 0, false},
		// A symbol that ends in another ("US$", "C$" and "$") goes whole:
		// the longest first, every time.
		{"12.50US$", 1250, true}, {"4.20C$", 420, true}, {"US$-3.10", -310, true}, {"(A$7.00)", -700, true},
		{"12,50 zł", 0, false}, {"Fr.9.90", 990, true}, {"-", 0, false}, {"()", 0, false},
	}
	for _, tt := range tests {
		for range 20 { // the order of stripping once depended on a map's
			if got, ok := mf.parse(tt.in); ok != tt.ok || got != tt.want {
				t.Fatalf("parse(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		}
		got, ok := mf.parse(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parse(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := (moneyFormat{Digits: 2, Decimal: ','}).parse("4.50"); ok {
		t.Error(`decimal "," accepted 4.50`)
	}
	if v, ok := (moneyFormat{Digits: 0}).parse("1,200"); !ok || v != 1200 {
		t.Errorf("JPY 1,200 = %d %v", v, ok)
	}
}

func TestParseTextKinds(t *testing.T) {
	sale := "Coffee   3.00\nMuffin   2.50\nTOTAL   5.50\nCash   10.00\nChange   4.50\n"
	tests := []struct {
		name, text string
		kind       Kind
		problem    string
	}{
		{"sale", sale, KindSale, ""},
		{"copy banner", "*** COPY ***\n" + sale, KindCopy, ""},
		{"customer copy is a sale", "CUSTOMER COPY\n" + sale, KindSale, ""},
		{"duplicata", "- DUPLICATA -\n" + sale, KindReprint, ""},
		{"non fiscal", "NON-FISCAL RECEIPT\n" + sale, KindTraining, ""},
		{"void", "** VOID **\n" + sale, KindVoid, ""},
		{"storno", "STORNO\n" + sale, KindVoid, ""},
		{"return policy is a sale", sale + "Returns within 30 days with receipt\n", KindSale, ""},
		{"refund by negative total", "Coffee  -3.00\nTOTAL  -3.00\nCash  -3.00\n", KindRefund, ""},
		{"no total", "Coffee  3.00\nCash  3.00\n", KindUnparsed, "no total line was found"},
		{"does not add up", "Coffee  3.00\nMuffin  2.50\nTOTAL  6.50\nCash  6.50\n", KindUnparsed, "the item lines add up to 5.50, but the total says 6.50"},
		{"subtotal mismatch", "Coffee  3.00\nSubtotal  4.00\nTOTAL  4.00\n", KindUnparsed, "the subtotal says 4.00"},
		{"no items", "TOTAL  4.00\nCash  4.00\n", KindUnparsed, "no item lines were found"},
		{"empty", "", KindUnparsed, "no total line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ParseText(tt.text, Options{Currency: "USD", Location: time.UTC})
			if r.Kind != tt.kind {
				t.Errorf("kind = %s, want %s (problems %v)", r.Kind, tt.kind, r.Problems)
			}
			if tt.problem != "" && !strings.Contains(strings.Join(r.Problems, "; "), tt.problem) {
				t.Errorf("problems %q do not say %q", r.Problems, tt.problem)
			}
			if r.Kind == KindUnparsed && r.Order != nil {
				t.Error("unparsed receipt has an order")
			}
			if r.Kind != KindUnparsed {
				checkOrder(t, r)
			}
		})
	}
}

func TestParseCurrency(t *testing.T) {
	r := ParseText("Tea 2,00 €\nSUMME 2,00 €\nBar 2,00 €\n", Options{})
	if r.Kind != KindSale || r.Total.Currency != "EUR" {
		t.Fatalf("guessed currency: %s %v %v", r.Kind, r.Total, r.Problems)
	}
	r = ParseText("Tea 2,00\nSUMME 2,00\n", Options{})
	if r.Kind != KindUnparsed || !strings.Contains(r.Problems[0], "no currency is set") {
		t.Fatalf("no currency: %s %v", r.Kind, r.Problems)
	}
}

func TestParseMasksPANs(t *testing.T) {
	r := ParseText("Tea 2.00\nTOTAL 2.00\nVISA 4111 1111 1111 1111  2.00\n", Options{Currency: "USD"})
	if strings.Contains(r.Text, "4111 1111") || r.Order == nil || r.Order.Payments[0].Last4 != "" && r.Order.Payments[0].Last4 != "1111" {
		t.Fatalf("text %q", r.Text)
	}
}

func TestParsePaymentsMismatch(t *testing.T) {
	r := ParseText("Tea 2.00\nTOTAL 2.00\nCash 1.00\n", Options{Currency: "USD"})
	if r.Kind != KindSale || !strings.Contains(strings.Join(r.Problems, ";"), "the payments (1.00) less change (0.00) do not match the total (2.00)") {
		t.Fatalf("%s %v", r.Kind, r.Problems)
	}
	if r.Confidence >= 0.9 {
		t.Errorf("confidence %v for payments that do not add up", r.Confidence)
	}
}

func TestJournal(t *testing.T) {
	lines := strings.Split(`BON 1001   03.12.2026 09:00
Espresso          2,20
SUMME             2,20
BAR               5,00
RUECKGELD         2,80
BON 1002   03.12.2026 09:02
Cappuccino        3,20
Croissant         1,80
SUMME             5,00
EC-KARTE          5,00
----------------------
BON 1003   03.12.2026 09:05
Tee               2,00`, "\n")
	j := NewJournal(Options{Currency: "EUR"})
	var txns []string
	for _, l := range lines {
		if txn, done := j.Line(l + "\r"); done {
			txns = append(txns, txn)
		}
	}
	if len(txns) != 2 {
		t.Fatalf("transactions %q", txns)
	}
	if !strings.HasPrefix(txns[0], "BON 1001") || !strings.HasSuffix(txns[0], "2,80") || !strings.HasPrefix(txns[1], "BON 1002") || strings.Contains(txns[1], "---") {
		t.Errorf("transactions %q", txns)
	}
	for _, txn := range txns {
		if r := ParseText(txn, Options{Currency: "EUR"}); r.Kind != KindSale {
			t.Errorf("%q: %s %v", txn, r.Kind, r.Problems)
		}
	}
	if rest := j.Flush(); !strings.HasPrefix(rest, "BON 1003") {
		t.Errorf("Flush = %q", rest)
	}
	if rest := j.Flush(); rest != "" {
		t.Errorf("second Flush = %q", rest)
	}
}

func TestJournalRules(t *testing.T) {
	r, err := ParseRules([]byte("journal:\n  start: '^#\\d+'\n  end: '^END$'\n"), "j.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j := NewJournal(Options{Rules: r})
	var txns []string
	for _, l := range []string{"noise", "#1", "a", "END", "#2", "b", "#3", "c"} {
		if txn, done := j.Line(l); done {
			txns = append(txns, txn)
		}
	}
	want := []string{"noise", "#1\na\nEND", "#2\nb"} // lines before the first start are kept, not dropped
	if strings.Join(txns, "|") != strings.Join(want, "|") {
		t.Errorf("transactions %q, want %q", txns, want)
	}
	if rest := j.Flush(); rest != "#3\nc" {
		t.Errorf("Flush = %q", rest)
	}
}
