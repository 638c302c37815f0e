package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/custom/loyversetest"
	"github.com/auraconnect/aura-edge/internal/model"
)

// TestAdapterTryOrderLoyverse: `adapter try --order` runs the Loyverse
// manifest's order_create: --dry-run prints the create request and sends
// nothing; without it the receipt is created at the stand-in (after the
// lookup), and a second run finds it instead of creating another; a missing
// setting is named before any request.
func TestAdapterTryOrderLoyverse(t *testing.T) {
	srv := loyversetest.Start(t)
	// A Latte on the Loyverse menu (as a menu push would have created it).
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/v1.0/items", strings.NewReader(
		`{"item_name":"Latte","variants":[{"default_pricing_type":"FIXED","default_price":5.25}]}`))
	req.Header.Set("Authorization", "Bearer "+loyversetest.DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var item struct {
		Variants []struct {
			VariantID string `json:"variant_id"`
		} `json:"variants"`
	}
	json.NewDecoder(resp.Body).Decode(&item)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || len(item.Variants) != 1 {
		t.Fatalf("seed item: %d %+v", resp.StatusCode, item)
	}
	variant := item.Variants[0].VariantID

	order := model.Order{ID: "ord-try-1", Currency: "USD", State: model.OrderOpen,
		LineItems: []model.LineItem{{ID: "l1", ItemID: "item-latte", VariationID: "var-latte", Name: "Latte", Quantity: model.Q(2), UnitPrice: model.M(525, "USD")}},
		Totals:    model.Totals{Subtotal: model.M(1050, "USD"), Total: model.M(1050, "USD")}}
	pay := model.Payment{ID: "pay-try-1", Method: model.MethodCard, Amount: model.M(1050, "USD"), Status: model.PaymentCompleted}
	raw, _ := json.Marshal(map[string]any{"order": order, "payment": pay})
	file := filepath.Join(t.TempDir(), "order.json")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AURA_CRED_ACCESS_TOKEN", loyversetest.DefaultToken)
	t.Setenv("AURA_CRED_WEBHOOK_SECRET", "whsec-123456")
	args := func(extra ...string) []string {
		return append([]string{"adapter", "try", manifestPath("loyverse.yaml"), "--order", file, "--map", "var-latte=" + variant,
			"--set", "base_url=" + srv.URL(), "--set", "store_id=" + srv.Store()}, extra...)
	}

	// A missing setting is named, nothing is sent.
	out, err := runCmd(t, args()...)
	if err == nil || !strings.Contains(out, "missing setting payment_type_id") || !strings.Contains(out, "--set payment_type_id=VALUE") {
		t.Errorf("without payment_type_id: %v\n%s", err, out)
	}

	out, err = runCmd(t, args("--set", "payment_type_id="+loyversetest.PaymentTypeCard, "--dry-run")...)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	for _, want := range []string{"dry run, nothing sent", "POST " + srv.URL() + "/v1.0/receipts -> not sent",
		`"order": "ord-try-1"`, `"variant_id": "` + variant + `"`, `"payment_type_id": "` + loyversetest.PaymentTypeCard + `"`,
		"Authorization: Bearer ****"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if n := len(srv.ReceiptsForOrder("ord-try-1")); n != 0 || strings.Contains(out, loyversetest.DefaultToken) {
		t.Fatalf("dry run created %d receipts or showed the token:\n%s", n, out)
	}

	out, err = runCmd(t, args("--set", "payment_type_id="+loyversetest.PaymentTypeCard)...)
	rs := srv.ReceiptsForOrder("ord-try-1")
	if err != nil || len(rs) != 1 || !strings.Contains(out, "order created at the vendor: "+rs[0].ReceiptNumber) ||
		!strings.Contains(out, "GET "+srv.URL()+"/v1.0/receipts?") {
		t.Fatalf("create: %v %+v\n%s", err, rs, out)
	}
	out, err = runCmd(t, args("--set", "payment_type_id="+loyversetest.PaymentTypeCard)...)
	if err != nil || len(srv.ReceiptsForOrder("ord-try-1")) != 1 || !strings.Contains(out, "found (an earlier attempt created it)") {
		t.Errorf("second run: %v\n%s", err, out)
	}

	// A variant Loyverse does not have: the vendor's answer, and exit 1.
	bad := bytes.ReplaceAll(raw, []byte("ord-try-1"), []byte("ord-try-2"))
	if err := os.WriteFile(file, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, "adapter", "try", manifestPath("loyverse.yaml"), "--order", file, "--set", "base_url="+srv.URL(),
		"--set", "store_id="+srv.Store(), "--set", "payment_type_id="+loyversetest.PaymentTypeCard)
	if err == nil || !strings.Contains(out, "create failed") || !strings.Contains(out, "response: 404") {
		t.Errorf("unknown variant: %v\n%s", err, out)
	}
}
