package customtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestComputeTotals(t *testing.T) {
	for _, c := range []struct {
		o                          Order
		sub, disc, tax, tip, total string
	}{
		{Order{Currency: "USD", Lines: []Line{{Quantity: "2", UnitPrice: "4.50", Options: []Modifier{{Price: "0.75", Quantity: 1}}}},
			Taxes: []Tax{{Rate: "8.875"}}, Tip: "1"}, "10.50", "0.00", "0.93", "1.00", "12.43"},
		{Order{Currency: "USD", Lines: []Line{{Quantity: "0.375", UnitPrice: "31.99"}}, Discounts: []Discount{{Amount: "2.00"}},
			Taxes: []Tax{{Rate: "20", Included: true}}}, "12.00", "2.00", "1.67", "0.00", "10.00"},
		{Order{Currency: "JPY", Lines: []Line{{Quantity: "3", UnitPrice: "333"}}, Taxes: []Tax{{Rate: "10"}}}, "999", "0", "100", "0", "1099"},
	} {
		o := c.o
		if err := ComputeTotals(&o); err != nil {
			t.Fatal(err)
		}
		if o.Subtotal != c.sub || o.DiscountTotal != c.disc || o.TaxTotal != c.tax || o.Tip != c.tip || o.Total != c.total {
			t.Errorf("%+v: got %s %s %s %s %s", c.o, o.Subtotal, o.DiscountTotal, o.TaxTotal, o.Tip, o.Total)
		}
	}
}

func TestServerFlow(t *testing.T) {
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	s := Start(t, WithClock(func() time.Time { return now }))
	get := func(path, tok string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Acme-Version", APIVersion)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	if st, _ := get("/v1/locations/LOC-1", "nope"); st != http.StatusUnauthorized {
		t.Fatalf("unauthenticated: %d", st)
	}
	resp, err := http.PostForm(s.URL()+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	for i := 0; i < 5; i++ {
		s.SeedOrder(Order{Lines: []Line{{Name: "x", UnitPrice: "1.00"}}})
	}
	var seen []string
	path := "/v1/locations/LOC-1/orders?limit=2"
	for i := 0; i < 5; i++ {
		st, out := get(path, tok.AccessToken)
		if st != http.StatusOK {
			t.Fatalf("list: %d %v", st, out)
		}
		for _, o := range out["data"].(map[string]any)["orders"].([]any) {
			seen = append(seen, o.(map[string]any)["id"].(string))
		}
		next, _ := out["meta"].(map[string]any)["next_page_token"].(string)
		if next == "" {
			break
		}
		path = "/v1/locations/LOC-1/orders?limit=2&page_token=" + next
	}
	if strings.Join(seen, ",") != "A-1001,A-1002,A-1003,A-1004,A-1005" {
		t.Errorf("paged %v", seen)
	}
	s.FailNext(1, TooManyRequests("3"))
	if st, _ := get("/v1/orders/A-1001", tok.AccessToken); st != http.StatusTooManyRequests {
		t.Errorf("fault: %d", st)
	}
	h, body := s.Webhook(Event{ID: "evt", OrderID: "A-1001"})
	if h.Get(SignatureHeader) != Sign(DefaultWebhookSecret, h.Get(TimestampHeader), body) {
		t.Error("webhook signature")
	}
}
