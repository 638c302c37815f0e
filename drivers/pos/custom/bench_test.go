package custom

import (
	"context"
	"testing"
	"time"
)

func TestSampleOrderMaps(t *testing.T) {
	a := acmeAdapter(t)
	rec, err := decodeJSON(sampleOrder(t))
	if err != nil {
		t.Fatal(err)
	}
	o, err := a.toOrder(context.Background(), rec, "v1", runVars{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Totals.InclusiveTax.Amount == 0 || len(o.Payments) != 1 {
		t.Errorf("order %+v", o)
	}
}

// BenchmarkMapOrder measures mapping one typical Acme order (two lines, a
// modifier, a discount, two taxes, a fee, a payment) to a validated Aura
// order.
func BenchmarkMapOrder(b *testing.B) {
	a := acmeAdapter(b)
	rec, err := decodeJSON(sampleOrder(b))
	if err != nil {
		b.Fatal(err)
	}
	vars := runVars{now: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.toOrder(context.Background(), rec, "v1", vars); err != nil {
			b.Fatal(err)
		}
	}
}
