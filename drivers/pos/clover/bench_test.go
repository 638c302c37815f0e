package clover

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
)

// BenchmarkConvertPage normalises one page of 100 listed Clover orders
// (decode, totals, validation), the per-page CPU cost of PullOrders.
func BenchmarkConvertPage(b *testing.B) {
	srv := clovertest.New()
	defer srv.Close()
	srv.SeedDemoOrders(100)
	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/v3/merchants/"+srv.Merchant()+"/orders?limit=100&expand="+listExpand, nil)
	req.Header.Set("Authorization", "Bearer "+clovertest.DefaultAccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var page elements[json.RawMessage]
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || len(page.Elements) != 100 {
		b.Fatalf("page: %v (%d)", err, len(page.Elements))
	}
	resp.Body.Close()
	a, err := NewAdapter(pos.Config{Credentials: srv.Credentials(), Settings: srv.Settings()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, _, err := a.convertWith(page.Elements, nil)
		if err != nil || len(res.Orders) != 100 {
			b.Fatalf("convert: %v (%d)", err, len(res.Orders))
		}
	}
}

func BenchmarkVerifyWebhook(b *testing.B) {
	srv := clovertest.NewHandler()
	a, err := NewAdapter(pos.Config{Credentials: srv.Credentials(), Settings: map[string]string{"merchant_id": srv.Merchant()}})
	if err != nil {
		b.Fatal(err)
	}
	h, body := srv.Webhook(clovertest.OrderEvent("ORD1", 1), clovertest.PaymentEvent("PAY1", 2))
	req := pos.WebhookRequest{Header: h, Body: body}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.VerifyWebhook(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}
