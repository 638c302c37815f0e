package receipt

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/escpos"
	"github.com/auraconnect/aura-edge/internal/model"
)

// benchOrder has 40 line items, a third of them with a modifier, and
// non-ASCII names, paid by card.
func benchOrder() *model.Order {
	o := &model.Order{ID: "ord_bench", Reference: "4711", State: model.OrderCompleted, Currency: "EUR"}
	names := []string{"Café crème", "Croissant", "Jalapeño bagel", "Espresso", "Grüße vom Chef", "Tarte Tatin"}
	for i := range 40 {
		li := model.LineItem{
			ID: fmt.Sprint("li", i), Name: names[i%len(names)], Quantity: model.Q(int64(1 + i%3)),
			UnitPrice: model.M(int64(250+i*10), "EUR"),
		}
		if i%3 == 0 {
			li.Modifiers = []model.LineModifier{{Name: "Hafermilch", Quantity: model.Q(1), UnitPrice: model.M(50, "EUR")}}
		}
		o.LineItems = append(o.LineItems, li)
	}
	o.Taxes = []model.AppliedTax{{Name: "MwSt", Percentage: "19", Inclusive: true, Amount: model.M(1234, "EUR")}}
	o.ComputeTotals()
	o.Payments = []model.Payment{{Method: model.MethodCard, CardBrand: "VISA", Last4: "4242", Amount: o.Totals.Total, Status: model.PaymentCompleted}}
	return o
}

// BenchmarkReceipt40Lines encodes a 40-line customer receipt with a QR
// code (native GS ( k) for an 80 mm printer.
func BenchmarkReceipt40Lines(b *testing.B) {
	l, err := New(deConfig)
	if err != nil {
		b.Fatal(err)
	}
	p := profile(b, "TM-T20III", 0)
	o := benchOrder()
	var buf bytes.Buffer
	e := escpos.New(&buf, p)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		e.Reset(&buf)
		if err := l.Receipt(e, o, Options{}); err != nil {
			b.Fatal(err)
		}
		if err := e.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/receipt")
}

// BenchmarkReceipt40LinesPreview is the same with the text preview
// rendered in the same pass, as the spool does at submit.
func BenchmarkReceipt40LinesPreview(b *testing.B) {
	l, err := New(deConfig)
	if err != nil {
		b.Fatal(err)
	}
	p := profile(b, "TM-T20III", 0)
	o := benchOrder()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(p, func(e *escpos.Encoder) error { return l.Receipt(e, o, Options{}) }); err != nil {
			b.Fatal(err)
		}
	}
}
