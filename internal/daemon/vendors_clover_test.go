package daemon

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
)

// The Clover stand-in driver of TestVendorsEndToEnd; its cases are in
// testdata/vendors/clover. Fixture placeholders: ${item:NAME} is the id of
// the Clover item named NAME (made by the first push).
func init() { registerStandIn("clover", cloverStandIn) }

// cloverOrder is a Clover fixture order: the order without payments, then
// a card payment of what is due less Cash, and a cash payment of Cash.
type cloverOrder struct {
	Order clovertest.Order
	Card  clovertest.Payment // its Amount is computed
	Cash  int64
}

func cloverStandIn(t *testing.T, _ string) *standIn {
	srv := clovertest.Start(t)
	mpath := "/v3/merchants/" + srv.Merchant()
	writes := func() []vendorRequest {
		var out []vendorRequest
		for _, r := range srv.Writes() {
			out = append(out, vendorRequest{r.Method, r.Path, r.Body})
		}
		return out
	}
	itemID := func(t *testing.T, name string) string {
		for _, it := range srv.Items() {
			if it.Name == name {
				return it.ID
			}
		}
		t.Fatalf("clover has no item %q", name)
		return ""
	}
	itemName := func(id string) string {
		for _, it := range srv.Items() {
			if it.ID == id {
				return it.Name
			}
		}
		return id
	}
	return &standIn{
		creds: srv.Credentials(), settings: srv.Settings(), writes: writes,
		// Keys are the merchant-relative path (an item's id as {NAME}); an
		// update of an item is its price.
		summarize: func(t *testing.T, w []vendorRequest) map[string][]string {
			got := map[string][]string{}
			for _, r := range w {
				var body map[string]any
				decodeNumbers(t, r.Body, &body)
				path := strings.TrimPrefix(r.Path, mpath)
				switch {
				case path == "/tax_rates":
					got[path] = append(got[path], fmt.Sprint(body["name"], " ", body["rate"]))
				case path == "/modifier_groups":
					got[path] = append(got[path], fmt.Sprint(body["name"], " min ", body["minRequired"], " max ", body["maxAllowed"]))
				case strings.HasSuffix(path, "/modifiers"):
					got["modifiers"] = append(got["modifiers"], fmt.Sprint(body["name"], " ", body["price"]))
				case path == "/items":
					got[path] = append(got[path], fmt.Sprint(body["name"], " ", body["price"], " ", body["priceType"], " ", body["sku"]))
				case path == "/item_modifier_groups", path == "/tax_rate_items":
					els, _ := body["elements"].([]any)
					got[path] = append(got[path], fmt.Sprint(len(els), " links"))
				case r.Method == "POST" && strings.HasPrefix(path, "/items/"):
					k := "/items/{" + itemName(strings.TrimPrefix(path, "/items/")) + "}"
					got[k] = append(got[k], fmt.Sprint("price ", body["price"]))
				default:
					t.Errorf("clover: unexpected write %s %s", r.Method, r.Path)
				}
			}
			return got
		},
		lookup: func(t *testing.T, kind, name string) string {
			if kind != "item" {
				t.Fatalf("clover fixture: unknown placeholder kind %q", kind)
			}
			return itemID(t, name)
		},
		seedOrder: func(t *testing.T, ref string, spec []byte) (string, int64) {
			var f cloverOrder
			mustJSON(t, spec, &f)
			o := f.Order
			o.Title = ref
			due := clovertest.ComputeTotals(&o).Total
			card := f.Card
			card.Amount = due - f.Cash
			o.Payments = []clovertest.Payment{card, clovertest.Cash(f.Cash)}
			o = srv.SeedOrder(o)
			// The vendor's figure, from the order as Clover serves it: total
			// (no tips) plus the tips on its payments.
			req, _ := http.NewRequest("GET", srv.URL()+mpath+"/orders/"+o.ID+"?expand=payments", nil)
			req.Header.Set("Authorization", "Bearer "+clovertest.DefaultAccessToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var js struct {
				Total    int64
				Payments struct {
					Elements []struct {
						TipAmount int64
						Result    string
					}
				}
			}
			mustJSON(t, raw, &js)
			want := js.Total
			for _, p := range js.Payments.Elements {
				if p.Result == "SUCCESS" {
					want += p.TipAmount
				}
			}
			return o.ID, want
		},
		fetches: func(id string) int {
			n := 0
			for _, r := range srv.Requests() {
				if r.Method == "GET" && r.Path == mpath+"/orders/"+id && r.Query.Get("expand") != "payments" {
					n++
				}
			}
			return n
		},
		webhook: func(t *testing.T, id string, sig sigMode) (http.Header, []byte) {
			h, body := srv.Webhook(clovertest.OrderEvent(id, time.Now().UnixMilli()))
			switch sig {
			case sigWrong:
				h.Set("X-Clover-Auth", "not-the-auth-code")
			case sigMissing:
				h.Del("X-Clover-Auth")
			}
			return h, body
		},
		failNext: func(t *testing.T, raw []byte) {
			var f clovertest.Fault
			mustJSON(t, raw, &f)
			srv.FailNext(1, f)
		},
	}
}
