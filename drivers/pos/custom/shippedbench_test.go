package custom_test

import (
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/loyversetest"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/odootest"
)

// BenchmarkCheck measures `aura-edge adapter check` on each shipped
// manifest (YAML shape, then every program and template compiled).
func BenchmarkCheck(b *testing.B) {
	for _, name := range []string{"loyverse.yaml", "sumup.yaml", "odoo-pos.yaml"} {
		data := []byte(shipped(b, name))
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rep := custom.Check(data, nil); len(rep.Problems) > 0 {
					b.Fatal(rep.Problems)
				}
			}
		})
	}
}

// BenchmarkPullPageLoyverse measures one PullOrders call reading and
// mapping a page of 100 Loyverse receipts from the stand-in over loopback.
func BenchmarkPullPageLoyverse(b *testing.B) {
	srv := loyversetest.Start(b)
	at := time.Now().Add(-time.Hour)
	for i := range 100 {
		srv.SeedReceipt(loyversetest.Sale{Number: "1-" + itoa(1000+i), At: at.Add(time.Duration(i) * time.Second),
			Lines: []loyversetest.SaleLine{{Name: "Latte", Qty: "2", Price: "4.50",
				Modifiers: []loyversetest.SaleModifier{{Name: "Milk", Option: "Oat", Price: "0.75"}}}},
			Taxes: []loyversetest.SaleTax{{Name: "Sales", Rate: "8.875"}}, Tip: "1.00"})
	}
	settings := srv.Settings()
	settings["manifest_yaml"] = shipped(b, "loyverse.yaml")
	a, err := custom.NewAdapter(pos.Config{IntegrationID: "bench", Credentials: srv.Credentials(), Settings: settings})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := a.PullOrders(b.Context(), nil)
		if err != nil || len(res.Orders) != 100 {
			b.Fatalf("%v, %d orders", err, len(res.Orders))
		}
	}
}

// BenchmarkPullPageOdoo measures one PullOrders call on Odoo: a page of 80
// pos.order records plus the two page-level expand calls (lines and
// payments), three JSON-RPC requests in all.
func BenchmarkPullPageOdoo(b *testing.B) {
	srv := odootest.Start(b)
	at := time.Now().UTC().Add(-time.Hour)
	for i := range 80 {
		srv.SeedOrder(at.Add(time.Duration(i)*time.Second), 0, []odootest.Line{
			{Product: "Pasta", Qty: "2", Price: "11.50", Discount: "10", TaxRate: "10"},
			{Product: "Water", Qty: "1", Price: "2.40", TaxRate: "10"},
		}, []odootest.Pay{{Method: "Bank card", Amount: "25.41"}})
	}
	settings := srv.Settings()
	settings["manifest_yaml"] = shipped(b, "odoo-pos.yaml")
	a, err := custom.NewAdapter(pos.Config{IntegrationID: "bench", Credentials: srv.Credentials(), Settings: settings})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := a.PullOrders(b.Context(), nil)
		if err != nil || len(res.Orders) != 80 {
			b.Fatalf("%v, %d orders", err, len(res.Orders))
		}
	}
}
