package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/custom/loyversetest"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/odootest"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/sumuptest"
)

// runCmd runs the CLI in-process and returns its output and error.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func manifestPath(name string) string { return filepath.Join("..", "..", "configs", "adapters", name) }

func TestAdapterCheck(t *testing.T) {
	for _, name := range []string{"loyverse.yaml", "sumup.yaml", "odoo-pos.yaml"} {
		out, err := runCmd(t, "adapter", "check", manifestPath(name))
		if err != nil || !strings.Contains(out, ": ok (vendor ") || !strings.Contains(out, "credentials it needs:") {
			t.Errorf("%s: %v\n%s", name, err, out)
		}
	}
	src, err := os.ReadFile(manifestPath("loyverse.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), "  records: .receipts", "  recrods: .receipts", 1)
	bad = strings.Replace(bad, "quantity: qty(.quantity),", "quantity: qty(.quantity)),", 1)
	path := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "adapter", "check", path)
	if err == nil || !strings.Contains(out, path+`:36:3: pull_orders.recrods: unknown key "recrods" in pull_orders (did you mean "records"?)`) {
		t.Errorf("misspelt key: %v\n%s", err, out)
	}
	// Shape problems come first; fix the key and the jq error shows.
	bad = strings.Replace(bad, "recrods", "records", 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, "adapter", "check", path)
	if err == nil || !strings.Contains(out, path+":50:33: pull_orders.map: jq syntax error") {
		t.Errorf("jq error: %v\n%s", err, out)
	}
	if _, err := runCmd(t, "adapter", "check", filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file accepted")
	}
	if out, err := runCmd(t, "adapter", "schema"); err != nil || !strings.Contains(out, `"$schema": "https://json-schema.org/draft/2020-12/schema"`) {
		t.Errorf("schema: %v %.200s", err, out)
	}
}

func TestAdapterTryLoyverse(t *testing.T) {
	srv := loyversetest.Start(t)
	srv.SeedReceipt(loyversetest.Sale{Number: "3-3001", At: time.Now().Add(-10 * time.Minute),
		Lines: []loyversetest.SaleLine{{Name: "Latte", Qty: "2", Price: "4.50",
			Modifiers: []loyversetest.SaleModifier{{Name: "Milk", Option: "Oat", Price: "0.75"}}}},
		Taxes: []loyversetest.SaleTax{{Name: "VAT", Rate: "7", Included: true}}})
	srv.SeedReceipt(loyversetest.Sale{Number: "3-2999", At: time.Now().Add(-3 * time.Hour),
		Lines: []loyversetest.SaleLine{{Name: "Old", Qty: "1", Price: "1.00"}}})
	credFile := filepath.Join(t.TempDir(), "creds.yaml")
	if err := os.WriteFile(credFile, []byte("access_token: "+loyversetest.DefaultToken+"\nwebhook_secret: whsec-123456\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "adapter", "try", manifestPath("loyverse.yaml"), "--since", "1h", "--cred-file", credFile,
		"--set", "base_url="+srv.URL(), "--set", "store_id="+srv.Store())
	if err != nil {
		t.Fatalf("try: %v\n%s", err, out)
	}
	for _, want := range []string{
		"loyverse: 1 request(s), 1 order(s) and 1 payment(s) mapped, 0 record(s) skipped",
		"request:  GET " + srv.URL() + "/v1.0/receipts?",
		"Authorization: Bearer ****",
		"response: 200 OK",
		`"receipt_number": "3-3001"`,
		"as an Aura order:",
		`"total": {`,
		`"amount": 1050,`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, loyversetest.DefaultToken) || strings.Contains(out, "3-2999") {
		t.Errorf("token shown or old receipt read:\n%s", out)
	}

	// A failing API: the request and the answer, masked.
	t.Setenv("AURA_CRED_ACCESS_TOKEN", "wrong-token-abcdef")
	t.Setenv("AURA_CRED_WEBHOOK_SECRET", "whsec-123456")
	out, err = runCmd(t, "adapter", "try", manifestPath("loyverse.yaml"), "--set", "base_url="+srv.URL(), "--set", "store_id=S")
	if err == nil {
		t.Fatalf("wrong token accepted:\n%s", out)
	}
	for _, want := range []string{"pull failed: loyverse list orders: http 401 UNAUTHORIZED", "Authorization: Bearer ****",
		"response: 401 Unauthorized", `"code": "UNAUTHORIZED"`, "what to do: the vendor refused the credentials"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "wrong-token-abcdef") {
		t.Errorf("secret shown:\n%s", out)
	}
	srv.FailNext(1, loyversetest.Fault{Status: 500})
	t.Setenv("AURA_CRED_ACCESS_TOKEN", loyversetest.DefaultToken)
	out, err = runCmd(t, "adapter", "try", manifestPath("loyverse.yaml"), "--set", "base_url="+srv.URL(), "--set", "store_id=S")
	if err == nil || !strings.Contains(out, "response: 500 Internal Server Error") || !strings.Contains(out, "vendor is busy") {
		t.Errorf("500: %v\n%s", err, out)
	}
}

func TestAdapterTryOdooMasksKeyInBody(t *testing.T) {
	srv := odootest.Start(t)
	srv.SeedOrder(time.Now().UTC().Add(-5*time.Minute), 0, []odootest.Line{{Product: "Soup", Qty: "1", Price: "6.50", TaxRate: "10"}},
		[]odootest.Pay{{Method: "Cash", Amount: "7.15"}})
	args := []string{"adapter", "try", manifestPath("odoo-pos.yaml"), "--cred", "api_key=" + odootest.DefaultAPIKey}
	for k, v := range srv.Settings() {
		args = append(args, "--set", k+"="+v)
	}
	out, err := runCmd(t, args...)
	if err != nil || !strings.Contains(out, "odoo: 3 request(s), 1 order(s) and 1 payment(s) mapped") || !strings.Contains(out, `"order_lines": [`) {
		t.Errorf("try: %v\n%s", err, out)
	}
	if strings.Contains(out, odootest.DefaultAPIKey) || !strings.Contains(out, `"****"`) {
		t.Errorf("API key inside the JSON-RPC body not masked:\n%s", out)
	}
}

func TestAdapterTrySumUpMasksOAuth(t *testing.T) {
	srv := sumuptest.Start(t)
	srv.Pay(time.Now().Add(-5*time.Minute), "7.90", "EUR", "POS", "VISA", "Breakfast")
	creds := srv.Credentials()
	args := []string{"adapter", "try", manifestPath("sumup.yaml"), "--since", "30m", "--set", "base_url=" + srv.URL(),
		"--set", "merchant_code=" + sumuptest.DefaultMerchant}
	out, err := runCmd(t, append(args, "--cred", "client_id="+creds["client_id"])...)
	if err == nil || !strings.Contains(out, "needs credentials.client_secret") || !strings.Contains(out, "--cred-file") {
		t.Errorf("missing client secret: %v\n%s", err, out)
	}
	out, err = runCmd(t, append(args, "--cred", "client_id="+creds["client_id"], "--cred", "client_secret="+creds["client_secret"])...)
	if err != nil || !strings.Contains(out, "sumup: 2 request(s), 1 order(s) and 1 payment(s) mapped") ||
		!strings.Contains(out, "  POST "+srv.URL()+"/token -> 200") || !strings.Contains(out, "Authorization: Bearer ****") {
		t.Errorf("try: %v\n%s", err, out)
	}
	if strings.Contains(out, creds["client_secret"]) || strings.Contains(out, "sumup-at-") {
		t.Errorf("client secret or access token shown:\n%s", out)
	}
}

func TestMasker(t *testing.T) {
	m := newMasker(map[string]string{"client_secret": "s3cr3t+/=", "short": "ab"})
	for in, want := range map[string]string{
		`{"access_token": "eyJhbGciOi", "token_type": "bearer"}`:      `{"access_token": "****", "token_type": "bearer"}`,
		"grant_type=client_credentials&client_secret=s3cr3t%2B%2F%3D": "grant_type=client_credentials&client_secret=****",
		`{"args": ["db", 7, "s3cr3t+/="]}`:                            `{"args": ["db", 7, "****"]}`,
		"ab stays":                                                    "ab stays",
	} {
		if got := m.text(in); got != want {
			t.Errorf("mask(%q) = %q, want %q", in, got, want)
		}
	}
}
