package daemon

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
)

// The Lightspeed X-Series stand-in driver of TestVendorsEndToEnd; its cases
// are in testdata/vendors/lightspeed. Fixture placeholders:
// ${product:SOURCE_ID} and ${product:SOURCE_ID/VARIANT} are the ids of the
// products the first push made.
func init() { registerStandIn("lightspeed", lightspeedStandIn) }

func lightspeedStandIn(t *testing.T, _ string) *standIn {
	srv := lightspeedtest.Start(t)
	writes := func() []vendorRequest {
		var out []vendorRequest
		for _, r := range srv.Writes() {
			out = append(out, vendorRequest{r.Method, r.Path, r.Body})
		}
		return out
	}
	product := func(t *testing.T, sourceID, variant string) lightspeedtest.Product {
		for _, p := range srv.Products() {
			if p.SourceID == sourceID && (variant == "" || strings.HasSuffix(p.VariantName, " / "+variant)) {
				return p
			}
		}
		t.Fatalf("lightspeed has no product %s %s", sourceID, variant)
		return lightspeedtest.Product{}
	}
	return &standIn{
		creds: srv.Credentials(), settings: srv.Settings("USD"), writes: writes,
		// A created product is keyed by its name (its price, tax-exclusive
		// and inclusive, as sent), each variant by "NAME / VALUE" (its
		// tax-exclusive price and SKU); an update by "PUT PRODUCT VARIANT
		// NAME" (the price it sends).
		summarize: func(t *testing.T, w []vendorRequest) map[string][]string {
			got := map[string][]string{}
			add := func(k, v string) { got[k] = append(got[k], v) }
			for _, r := range w {
				switch {
				case r.Method == "POST" && r.Path == "/variant_attributes":
				case r.Method == "POST" && r.Path == "/products":
					var p struct {
						Name              string
						PriceExcludingTax json.Number `json:"price_excluding_tax"`
						PriceIncludingTax json.Number `json:"price_including_tax"`
						Variants          []struct {
							SKU                string
							PriceExcludingTax  json.Number              `json:"price_excluding_tax"`
							VariantDefinitions []struct{ Value string } `json:"variant_definitions"`
						}
					}
					decodeNumbers(t, r.Body, &p)
					add(p.Name, string(p.PriceExcludingTax)+string(p.PriceIncludingTax))
					for _, v := range p.Variants {
						if len(v.VariantDefinitions) == 1 {
							add(p.Name+" / "+v.VariantDefinitions[0].Value, string(v.PriceExcludingTax)+" "+v.SKU)
						}
					}
				case r.Method == "PUT" && strings.HasPrefix(r.Path, "/products/"):
					name := strings.TrimPrefix(r.Path, "/products/")
					for _, p := range srv.Products() {
						if p.ID == name {
							name = p.VariantName
						}
					}
					var body struct {
						Details struct {
							PriceExcludingTax json.Number `json:"price_excluding_tax"`
						}
					}
					decodeNumbers(t, r.Body, &body)
					add("PUT "+name, string(body.Details.PriceExcludingTax))
				default:
					t.Errorf("lightspeed: unexpected write %s %s", r.Method, r.Path)
				}
			}
			return got
		},
		lookup: func(t *testing.T, kind, name string) string {
			if kind != "product" {
				t.Fatalf("lightspeed fixture: unknown placeholder kind %q", kind)
			}
			src, variant, _ := strings.Cut(name, "/")
			return product(t, src, variant).ID
		},
		seedOrder: func(t *testing.T, ref string, spec []byte) (string, int64) {
			var ss lightspeedtest.SaleSpec
			mustJSON(t, spec, &ss)
			ss.ReceiptNumber = ref
			id := srv.SeedSale(ss)
			var js struct {
				Totals struct {
					PriceInclTax json.Number `json:"price_incl_tax"`
				}
				Adjustments []struct {
					AdjustmentType string      `json:"adjustment_type"`
					Total          json.Number `json:"total"`
				}
			}
			decodeNumbers(t, srv.SaleJSON(id), &js)
			want := cents(t, string(js.Totals.PriceInclTax))
			for _, a := range js.Adjustments {
				if a.AdjustmentType == "TIP" {
					want += cents(t, string(a.Total))
				}
			}
			return id, want
		},
		fetches: func(id string) int {
			n := 0
			for _, r := range srv.Requests() {
				if r.Method == "GET" && r.Path == "/sales/"+id {
					n++
				}
			}
			return n
		},
		webhook: func(t *testing.T, id string, sig sigMode) (http.Header, []byte) {
			var opts []lightspeedtest.WebhookOption
			switch sig {
			case sigWrong:
				opts = append(opts, lightspeedtest.SignWith("not-the-client-secret"))
			case sigMissing:
				opts = append(opts, lightspeedtest.SignatureHeader(""))
			}
			req := srv.Webhook(id, opts...)
			return req.Header, req.Body
		},
		failNext: func(t *testing.T, raw []byte) {
			var f lightspeedtest.Fault
			mustJSON(t, raw, &f)
			srv.FailNext(1, f)
		},
	}
}
