package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auraconnect/aura-edge/drivers/pos/clover/clovertest"
	"github.com/auraconnect/aura-edge/drivers/pos/custom/sumuptest"
	"github.com/auraconnect/aura-edge/drivers/pos/lightspeed/lightspeedtest"
	"github.com/auraconnect/aura-edge/drivers/pos/toast/toasttest"
)

// stormVendor is one of the soak's other POS vendors (Clover, Lightspeed,
// Toast, and SumUp through the shipped custom manifest): a stand-in where
// orders are rung up all along, reached through stormHandler so that a
// storm answers its requests 429 (Retry-After: 1) and 500 in turn, login
// and token requests included.
type stormVendor struct {
	id       string // integration id
	vendor   string // Source.Vendor of its orders
	connect  func(baseURL string) map[string]any
	ring     func() string // rings up one order; returns its external id
	apiPath  string        // appended to the storm server's URL for base_url
	storm    *vendorStorm
	next     http.Handler
	srv      *httptest.Server
	mu       sync.Mutex
	ids      []string
	k        int
	n429     atomic.Int64
	n500     atomic.Int64
	requests atomic.Int64
}

// ServeHTTP answers in a storm with 429 + Retry-After: 1 or 500 in turn
// (a JSON body with a message, as these vendors send), else passes the
// request to the stand-in.
func (s *stormVendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.storm.mu.Lock()
	in := time.Now().Before(s.storm.until)
	s.storm.mu.Unlock()
	if in {
		s.mu.Lock()
		k := s.k
		s.k++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if k%2 == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"message":"Too Many Requests","error":"rate_limited"}`)
			s.n429.Add(1)
		} else {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"message":"Internal Server Error","error":"internal"}`)
			s.n500.Add(1)
		}
		return
	}
	s.next.ServeHTTP(w, r)
}

func (s *stormVendor) seeded() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ids...)
}

// otherVendors starts the four stand-ins behind their storm handlers.
func otherVendors(t *testing.T, storm *vendorStorm) []*stormVendor {
	t.Helper()
	cl := clovertest.Start(t)
	ls := lightspeedtest.Start(t)
	ts := toasttest.Start(t)
	su := sumuptest.Start(t)
	manifest, err := os.ReadFile(filepath.Join("..", "..", "configs", "adapters", "sumup.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	body := func(id, vendor string, creds, settings map[string]string, baseURL string) map[string]any {
		settings["base_url"] = baseURL
		return map[string]any{"id": id, "vendor": vendor, "name": "Soak " + id, "credentials": creds, "settings": settings}
	}
	n := 0
	vs := []*stormVendor{
		{id: "clover-1", vendor: "clover", next: cl,
			connect: func(u string) map[string]any { return body("clover-1", "clover", cl.Credentials(), cl.Settings(), u) },
			ring: func() string {
				o := clovertest.Order{LineItems: []clovertest.LineItem{{Name: "Latte", Price: 450}}, Payments: []clovertest.Payment{clovertest.Cash(450)}}
				return cl.SeedOrder(o).ID
			}},
		{id: "lightspeed-1", vendor: "lightspeed", next: ls, apiPath: lightspeedtest.APIPrefix,
			connect: func(u string) map[string]any {
				return body("lightspeed-1", "lightspeed", ls.Credentials(), ls.Settings("USD"), u)
			},
			ring: func() string {
				return ls.SeedSale(lightspeedtest.SaleSpec{Date: time.Now().UTC(),
					Lines:    []lightspeedtest.LineSpec{{ProductID: "p-latte", Quantity: "1", UnitPrice: "4.50"}},
					Payments: []lightspeedtest.PaymentSpec{{Type: "Cash"}}})
			}},
		{id: "toast-1", vendor: "toast", next: ts,
			connect: func(u string) map[string]any {
				return body("toast-1", "toast", ts.Credentials(), ts.Settings("USD"), u)
			},
			ring: func() string {
				return ts.SeedOrder(toasttest.OrderSpec{Checks: []toasttest.CheckSpec{{
					Selections: []toasttest.SelectionSpec{{Name: "Latte", Quantity: "1", UnitPrice: "4.50"}},
					Payments:   []toasttest.PaymentSpec{{Type: "CASH", Amount: "4.50"}}}}})
			}},
		{id: "custom-sumup", vendor: "sumup", next: su,
			connect: func(u string) map[string]any {
				settings := su.Settings()
				settings["manifest_yaml"] = string(manifest)
				return body("custom-sumup", "custom", su.Credentials(), settings, u)
			},
			ring: func() string {
				n++
				return su.Pay(time.Now().UTC().Add(-time.Second), "4.50", "EUR", "POS", "VISA", fmt.Sprintf("Soak %d", n)).ID
			}},
	}
	for _, v := range vs {
		v.storm = storm
		v.srv = httptest.NewServer(v)
		t.Cleanup(v.srv.Close)
	}
	return vs
}

// connectOthers hands the daemon each vendor's credentials.
func connectOthers(t *testing.T, addr, admin string, vs []*stormVendor) {
	t.Helper()
	for _, v := range vs {
		code, body := adminPost(addr, admin, "/integrations/pos/connect", "", v.connect(v.srv.URL+v.apiPath))
		if code != http.StatusCreated {
			t.Fatalf("connect %s: %d %s", v.id, code, body)
		}
	}
}

// ringUpOthers rings up an order at each vendor every 500 ms until the
// storm's done channel closes (vendorStorm.stop).
func ringUpOthers(storm *vendorStorm, vs []*stormVendor) {
	done := storm.done
	storm.wg.Go(func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			for _, v := range vs {
				id := v.ring()
				v.mu.Lock()
				v.ids = append(v.ids, id)
				v.mu.Unlock()
			}
		}
	})
}

// othersConfig is the integrations entries of the other vendors.
func othersConfig(vs []*stormVendor) string {
	s := ""
	for _, v := range vs {
		vendor := v.vendor
		if v.id == "custom-sumup" {
			vendor = "custom"
		}
		s += fmt.Sprintf("  - id: %s\n    vendor: %s\n    poll_interval: 5s\n    jitter: 1ns\n", v.id, vendor)
	}
	return s
}
