package receipt

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// FuzzReceiptText lays out receipts with arbitrary item, modifier and note
// text and checks that every amount still ends its line, flush right, and
// that no line is wider than the paper.
func FuzzReceiptText(f *testing.F) {
	for _, s := range []string{"Café crème", "Jalapeño", "Grüße", "", "   ", "a\nb\tc", "€€€€€€€€€€€€€€€€€€€€",
		"Καλημέρα κόσμε", "日本語のメニュー", "\xff\xfe", "x" + strings.Repeat("y", 200), "e\u0301\u0301"} {
		f.Add(s, "Oat milk", "no onions", 32)
	}
	l, err := New(Config{Locale: "en-US", Header: []string{"Fuzz"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, mod, note string, cols int) {
		if strings.Contains(name+mod+note, "7.7") || !utf8.ValidString(name+mod) {
			return
		}
		cols = 16 + (cols%48+48)%48 // 16..63
		p, err := escpos.ProfileConfig{Profile: "default", Columns: cols}.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		o := &model.Order{ID: "o", Currency: "USD", State: model.OrderCompleted, Note: note,
			LineItems: []model.LineItem{{ID: "l", Name: name, Quantity: model.Q(1), UnitPrice: model.M(777, "USD"),
				Modifiers: []model.LineModifier{{Name: mod, Quantity: model.Q(1), UnitPrice: model.M(0, "USD")}}}}}
		o.ComputeTotals()
		out, err := Render(p, func(e *escpos.Encoder) error { return l.Receipt(e, o, Options{}) })
		if err != nil {
			t.Fatal(err)
		}
		amounts := 0
		for line := range strings.SplitSeq(out.Preview, "\n") {
			if strings.HasPrefix(line, "[") || strings.HasPrefix(line, "----- ") {
				continue // preview markers, not printed text
			}
			if n := utf8.RuneCountInString(line); n > cols {
				t.Fatalf("line of %d columns on %d-column paper: %q", n, cols, line)
			}
			if strings.Contains(line, "$7.77") {
				amounts++
				if !strings.HasSuffix(line, "$7.77") || utf8.RuneCountInString(line) != cols {
					t.Fatalf("amount not flush right on %d columns: %q", cols, line)
				}
			}
		}
		if amounts != 3 { // the item, the subtotal, the total
			t.Fatalf("%d lines with the amount, want 3:\n%s", amounts, out.Preview)
		}
	})
}
