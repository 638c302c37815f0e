package parse

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.bin and *.json from the corpus generator")

// corpusOptions are the options every corpus receipt is read with.
func corpusOptions(t testing.TB, c corpusCase) Options {
	o := Options{CodePage: c.codePage, Currency: c.currency, Location: time.UTC,
		Received: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
	if c.rules != "" {
		r, err := LoadRules(filepath.Join("testdata", c.rules))
		if err != nil {
			t.Fatal(err)
		}
		o.Rules = r
	}
	return o
}

// cutCorpus runs a receipt through the Cutter as a till would send it: in
// small writes, with an idle-gap Flush at the end.
func cutCorpus(t testing.TB, raw []byte, noCut bool) []byte {
	var c Cutter
	var got [][]byte
	for i := 0; i < len(raw); i += 7 {
		got = append(got, c.Write(raw[i:min(i+7, len(raw))])...)
	}
	if noCut {
		if len(got) != 0 {
			t.Fatalf("a receipt without a cut was cut %d times", len(got))
		}
		f := c.Flush()
		if !bytes.Equal(f, raw) {
			t.Fatalf("Flush returned %d bytes, want the whole %d-byte receipt", len(f), len(raw))
		}
		return f
	}
	if len(got) != 1 || !bytes.Equal(got[0], raw) {
		t.Fatalf("cutter returned %d receipts, want the whole receipt once", len(got))
	}
	if f := c.Flush(); f != nil {
		t.Fatalf("Flush after the cut returned %q", f)
	}
	return got[0]
}

func TestCorpus(t *testing.T) {
	if len(corpus) < 12 {
		t.Fatalf("the corpus has %d receipts, want at least 12", len(corpus))
	}
	for _, c := range corpus {
		t.Run(c.name, func(t *testing.T) {
			raw := c.build()
			binPath := filepath.Join("testdata", c.name+".bin")
			jsonPath := filepath.Join("testdata", c.name+".json")
			if *update {
				if err := os.WriteFile(binPath, raw, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			onDisk, err := os.ReadFile(binPath)
			if err != nil {
				t.Fatalf("%v (run go test -run TestCorpus -update)", err)
			}
			if !bytes.Equal(onDisk, raw) {
				t.Fatalf("%s differs from the generator's output (run go test -run TestCorpus -update)", binPath)
			}
			raw = cutCorpus(t, raw, c.noCut)
			r := Parse(raw, corpusOptions(t, c))
			got, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			if *update {
				if err := os.WriteFile(jsonPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("parse differs from %s:\n%s", jsonPath, got)
			}

			// the expectations written with the receipt, independent of the .json
			if r.Kind != c.kind {
				t.Errorf("kind = %s, want %s; problems: %v", r.Kind, c.kind, r.Problems)
			}
			if r.Total.Amount != c.total || r.Total.Currency != c.currency {
				t.Errorf("total = %v, want %d %s", r.Total, c.total, c.currency)
			}
			if len(r.Tenders) != c.tenders {
				t.Errorf("tenders = %+v, want %d", r.Tenders, c.tenders)
			}
			if r.Number != c.number {
				t.Errorf("number = %q, want %q", r.Number, c.number)
			}
			if d := r.PrintedAt.Format("2006-01-02 15:04"); (c.date == "" && !r.PrintedAt.IsZero()) || (c.date != "" && d != c.date) {
				t.Errorf("printed at = %s, want %q", d, c.date)
			}
			if r.Order == nil {
				t.Fatalf("no order; problems: %v", r.Problems)
			}
			if len(r.Order.LineItems) != c.items {
				t.Errorf("%d line items, want %d: %+v", len(r.Order.LineItems), c.items, r.Order.LineItems)
			}
			checkOrder(t, r)
			if bytes.Contains([]byte(r.Text), []byte("4000 0566 5566 5556")) {
				t.Errorf("a card number is in the text")
			}
		})
	}
}

// checkOrder checks that the order passes the model's validation once the
// capture side has filled in its source, and that its total and payments
// match the receipt.
func checkOrder(t *testing.T, r Receipt) {
	t.Helper()
	o := *r.Order
	o.ID = "ord_test"
	o.Source = testSource()
	o.Payments = append(o.Payments[:0:0], o.Payments...)
	for i := range o.Payments {
		o.Payments[i].Source = testSource()
	}
	o.Refunds = append(o.Refunds[:0:0], o.Refunds...)
	for i := range o.Refunds {
		o.Refunds[i].Source = testSource()
	}
	if ps := o.Validate(); ps != nil {
		t.Errorf("order does not validate: %v", ps)
	}
	if o.Totals.Total.Amount != r.Total.Amount+o.Tip.Amount && o.Totals.Total.Amount != r.Total.Amount {
		t.Errorf("order total %v, printed total %v", o.Totals.Total, r.Total)
	}
	var paid int64
	for _, p := range o.Payments {
		paid += p.Amount.Amount + p.Tip.Amount
	}
	for _, p := range o.Refunds {
		paid += p.Amount.Amount
	}
	if len(r.Problems) == 0 && paid != o.Totals.Total.Amount {
		t.Errorf("payments add up to %d, order total %d", paid, o.Totals.Total.Amount)
	}
}
