package custom_test

import (
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/custom"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/customtest"
)

// BenchmarkPullPage measures one PullOrders call reading and mapping a page
// of 100 orders from the stand-in over loopback HTTP.
func BenchmarkPullPage(b *testing.B) {
	srv := customtest.Start(b)
	for i := 0; i < 100; i++ {
		srv.SeedOrder(customtest.Order{
			Lines: []customtest.Line{{Name: "Latte", Quantity: "2", UnitPrice: "4.50",
				Options: []customtest.Modifier{{Name: "Oat", Price: "0.75", Quantity: 1}}}},
			Taxes: []customtest.Tax{{Name: "Sales", Rate: "8.875"}},
			Tip:   "1.00",
		})
	}
	settings := srv.Settings()
	settings["manifest_yaml"] = acmeManifest(b)
	settings["page_size"] = "100"
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
