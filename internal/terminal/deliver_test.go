package terminal

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/internal/ingest"
	"github.com/auraconnect/aura-edge/internal/model"
	"github.com/auraconnect/aura-edge/internal/outbox"
	"github.com/auraconnect/aura-edge/internal/terminal/parse"
)

func sale(total int64) *model.Order {
	return &model.Order{
		State: model.OrderCompleted, Currency: "EUR",
		LineItems: []model.LineItem{{ID: "l1", Name: "Flat white", Quantity: 1000, UnitPrice: model.M(total, "EUR")}},
		Totals:    model.Totals{Subtotal: model.M(total, "EUR"), Total: model.M(total, "EUR")},
	}
}

// What each kind of receipt becomes in the outbox: a sale is an order plus
// its receipt event; a refund, a training receipt and an unparsed one are
// receipt events only; a reprint or copy of a captured receipt is nothing.
func TestDeliverKinds(t *testing.T) {
	f := newFixture(t, Config{Name: "till1"})
	tm := f.m.terms[0]
	at := time.Date(2026, 12, 3, 10, 15, 0, 0, time.UTC)
	tm.deliver([]byte("sale 1"), parse.Receipt{Kind: parse.KindSale, Text: "sale", Number: "1", PrintedAt: at, Order: sale(350), Confidence: 0.9})
	tm.deliver([]byte("copy of 1"), parse.Receipt{Kind: parse.KindCopy, Text: "copy", Number: "1", PrintedAt: at, Order: sale(350)})
	tm.deliver([]byte("reprint of 1"), parse.Receipt{Kind: parse.KindReprint, Text: "REPRINT", Number: "1", PrintedAt: at.Add(time.Hour)})
	refund := sale(350)
	tm.deliver([]byte("refund 2"), parse.Receipt{Kind: parse.KindRefund, Text: "refund", Number: "2", PrintedAt: at, Order: refund})
	tm.deliver([]byte("training"), parse.Receipt{Kind: parse.KindTraining, Text: "TRAINING"})
	tm.deliver([]byte("garbage 4111111111111111"), parse.Receipt{Kind: parse.KindUnparsed, Text: "garbage ************1111", Problems: []string{"no total"}})
	bad := sale(350)
	bad.Totals.Total = model.M(999, "EUR")
	tm.deliver([]byte("sale 3 wrong"), parse.Receipt{Kind: parse.KindSale, Text: "sale", Number: "3", PrintedAt: at, Order: bad})

	rows, err := f.ob.Peek(outbox.Orders, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	orders := 0
	for _, r := range rows {
		switch r.Type {
		case ingest.TypeOrder:
			orders++
			var o model.Order
			json.Unmarshal(r.Data, &o)
			if o.Source.Vendor != "terminal:till1" || o.Reference != "1" || o.Source.ExternalID != "receipt:1@2026-12-03" {
				t.Fatalf("order source %+v reference %q", o.Source, o.Reference)
			}
		case TypeReceipt:
			var c Capture
			json.Unmarshal(r.Data, &c)
			kinds = append(kinds, c.Kind)
			switch c.Kind {
			case "unparsed":
				if string(c.RawBase64) != "garbage ************1111" {
					t.Fatalf("unparsed raw %q", c.RawBase64)
				}
			case "sale":
				if c.Number == "1" && c.OrderID == "" {
					t.Fatal("the sale's receipt event does not name its order")
				}
				if c.Number == "3" && (c.OrderID != "" || c.Order == nil || len(c.Problems) == 0 || c.RawBase64 == nil) {
					t.Fatalf("a sale that does not add up: %+v", c)
				}
			case "refund":
				if c.OrderID != "" || c.Order == nil {
					t.Fatal("a refund went in as a sale")
				}
			}
		}
	}
	if orders != 1 {
		t.Fatalf("%d orders, want 1 (the sale)", orders)
	}
	if want := []string{"sale", "refund", "training", "unparsed", "sale"}; len(kinds) != len(want) {
		t.Fatalf("receipt events %v, want %v", kinds, want)
	}
	st := f.m.Status()[0]
	if st.Duplicates != 2 || st.Sales != 1 || st.Unparsed != 2 || st.Receipts != 5 {
		t.Fatalf("counts: %+v", st)
	}
}
