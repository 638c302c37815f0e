package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
)

// The Square stand-in driver of TestVendorsEndToEnd; its cases are in
// testdata/vendors/square.
func init() { registerStandIn("square", squareStandIn) }

func squareStandIn(t *testing.T, integrationID string) *standIn {
	srv := squaretest.Start(t)
	conv := func(rs []squaretest.Request) []vendorRequest {
		var out []vendorRequest
		for _, r := range rs {
			out = append(out, vendorRequest{r.Method, r.Path, r.Body})
		}
		return out
	}
	// objects returns every catalog object of batch-upsert bodies, nested
	// variations and modifiers included.
	objects := func(t *testing.T, w []vendorRequest) []squaretest.CatalogObject {
		var out []squaretest.CatalogObject
		for _, r := range w {
			if r.Method != "POST" || r.Path != "/v2/catalog/batch-upsert" {
				t.Errorf("unexpected catalog write %s %s", r.Method, r.Path)
				continue
			}
			var req struct {
				IdempotencyKey string `json:"idempotency_key"`
				Batches        []struct {
					Objects []squaretest.CatalogObject `json:"objects"`
				} `json:"batches"`
			}
			mustJSON(t, r.Body, &req)
			if req.IdempotencyKey == "" {
				t.Errorf("batch-upsert without idempotency key")
			}
			for _, b := range req.Batches {
				for _, o := range b.Objects {
					out = append(out, o)
					if o.ItemData != nil {
						out = append(out, o.ItemData.Variations...)
					}
					if o.ModifierListData != nil {
						out = append(out, o.ModifierListData.Modifiers...)
					}
				}
			}
		}
		return out
	}
	price := func(m *squaretest.Money) string {
		if m == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%d %s", m.Amount, m.Currency)
	}
	return &standIn{
		creds: map[string]string{"access_token": squaretest.DefaultAccessToken, "webhook_signature_key": squaretest.DefaultSignatureKey},
		// config.json adds write_retries 0: the adapter leaves every retry
		// to the daemon's queue (by default it retries 429/5xx itself,
		// within the push).
		settings: map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": srv.URL()},
		writes:   func() []vendorRequest { return conv(srv.CatalogWrites()) },
		// One key per catalog object: its kind and name (a variation's with
		// its SKU); a variation updated on its own (not inside its item)
		// says whether it names its item and carries a version.
		summarize: func(t *testing.T, w []vendorRequest) map[string][]string {
			got := map[string][]string{}
			add := func(k, v string) { got[k] = append(got[k], v) }
			for _, o := range objects(t, w) {
				switch {
				case o.TaxData != nil:
					add("tax "+o.TaxData.Name, o.TaxData.Percentage+" "+o.TaxData.InclusionType)
				case o.ModifierListData != nil:
					l := o.ModifierListData
					add("list "+l.Name, fmt.Sprintf("min %d max %d, %d modifiers", orMinus1(l.MinSelectedModifiers), orMinus1(l.MaxSelectedModifiers), len(l.Modifiers)))
				case o.ModifierData != nil:
					add("modifier "+o.ModifierData.Name, price(o.ModifierData.PriceMoney))
				case o.ItemData != nil:
					add("item "+o.ItemData.Name, fmt.Sprintf("%d variations, %d taxes, %d lists", len(o.ItemData.Variations), len(o.ItemData.TaxIDs), len(o.ItemData.ModifierListInfo)))
				case o.ItemVariationData != nil:
					v := price(o.ItemVariationData.PriceMoney)
					if o.Version != 0 {
						v += fmt.Sprintf(", versioned, item_id set: %v", o.ItemVariationData.ItemID != "")
					}
					add("variation "+o.ItemVariationData.Name+" "+o.ItemVariationData.SKU, v)
				}
			}
			return got
		},
		seedOrder: func(t *testing.T, ref string, spec []byte) (string, int64) {
			var os squaretest.OrderSpec
			mustJSON(t, spec, &os)
			os.ReferenceID = ref
			o := srv.SeedOrder(os)
			raw, _ := json.Marshal(o) // as GET /v2/orders/{id} serves it
			var js struct {
				TotalMoney struct{ Amount int64 } `json:"total_money"`
			}
			mustJSON(t, raw, &js)
			return o.ID, js.TotalMoney.Amount
		},
		fetches: func(id string) int {
			n := 0
			for _, r := range srv.RequestsTo("POST", "/v2/orders/batch-retrieve") {
				if bytes.Contains(r.Body, []byte(id)) {
					n++
				}
			}
			return n
		},
		webhook: func(t *testing.T, id string, sig sigMode) (http.Header, []byte) {
			body, err := srv.OrderEvent("order.updated", id)
			if err != nil {
				t.Fatal(err)
			}
			url := e2ePublicURL + "/webhooks/" + integrationID // what Square signs
			h := http.Header{"Content-Type": {"application/json"}}
			switch sig {
			case sigValid:
				h.Set(squaretest.SignatureHeader, squaretest.Sign(squaretest.DefaultSignatureKey, url, body))
			case sigWrong:
				h.Set(squaretest.SignatureHeader, squaretest.Sign("not-the-signature-key", url, body))
			}
			return h, body
		},
		failNext: func(t *testing.T, raw []byte) {
			var f squaretest.Fault
			mustJSON(t, raw, &f)
			srv.FailNext(1, f)
		},
	}
}

func orMinus1(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}
