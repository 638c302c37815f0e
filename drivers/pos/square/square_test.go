package square_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/auraconnect/aura-edge/drivers/pos"
	"github.com/auraconnect/aura-edge/drivers/pos/square"
	"github.com/auraconnect/aura-edge/drivers/pos/square/squaretest"
	"github.com/auraconnect/aura-edge/internal/model"
)

func TestRegistered(t *testing.T) {
	d, err := pos.Lookup("square")
	if err != nil {
		t.Fatal(err)
	}
	if missing := d.CheckConfig(map[string]string{}, map[string]string{}); strings.Join(missing, ",") != "credentials.access_token,settings.location_id" {
		t.Errorf("missing = %v", missing)
	}
	a, err := pos.Open("square", pos.Config{IntegrationID: "x",
		Credentials: map[string]string{"access_token": "t"}, Settings: map[string]string{"location_id": "L1"}})
	if err != nil || a == nil {
		t.Fatalf("Open: %v", err)
	}
	if _, ok := a.(pos.OrderFetcher); !ok {
		t.Error("adapter is not an OrderFetcher")
	}
}

func TestSettingsValidation(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"location_id", "", "location_id"},
		{"location_id", "1,2,3,4,5,6,7,8,9,10,11", "location_id"},
		{"overlap", "ten minutes", "overlap"},
		{"offline_lag", "-1h", "offline_lag"},
		{"order_page_size", "1001", "order_page_size"},
		{"payment_page_size", "0", "payment_page_size"},
		{"batch_size", "5000", "batch_size"},
		{"order_states", "OPEN,DONE", "order_states"},
		{"payments", "maybe", "payments"},
		{"base_url", "not a url", "base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			_, err := square.New(pos.Config{IntegrationID: "x", Credentials: map[string]string{"access_token": "t"},
				Settings: map[string]string{"location_id": "L1", tt.key: tt.value}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one naming %s", err, tt.want)
			}
		})
	}
	if _, err := square.New(pos.Config{Settings: map[string]string{"location_id": "L1"}}); err == nil {
		t.Error("no access token accepted")
	}
}

func TestSampleConfig(t *testing.T) {
	var c struct {
		Vendor      string            `yaml:"vendor"`
		Credentials map[string]string `yaml:"credentials"`
		Settings    map[string]string `yaml:"settings"`
	}
	dec := yaml.NewDecoder(strings.NewReader(square.SampleConfig()))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Vendor != "square" {
		t.Errorf("vendor %q", c.Vendor)
	}
	d, _ := pos.Lookup(c.Vendor)
	if missing := d.CheckConfig(c.Credentials, c.Settings); len(missing) > 0 {
		t.Errorf("sample lacks %v", missing)
	}
	if _, err := square.New(pos.Config{Credentials: c.Credentials, Settings: c.Settings}); err != nil {
		t.Errorf("sample settings rejected: %v", err)
	}
}

func TestTestConnection(t *testing.T) {
	e := newEnv(t)
	if err := e.a.TestConnection(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := e.srv.Requests()
	if len(r) != 1 || r[0].Method != "GET" || r[0].Path != "/v2/locations/"+squaretest.DefaultLocationID {
		t.Errorf("requests %+v", r)
	}
	bad := newEnv(t, withSettings("location_id", "NOPE"))
	if ve := vendorErr(t, bad.a.TestConnection(context.Background())); ve.Kind != pos.Invalid || ve.Status != 404 || ve.Code != "NOT_FOUND" {
		t.Errorf("unknown location: %+v", ve)
	}
	unauth := newEnv(t, withCredentials("access_token", "wrong", "refresh_token", ""))
	if ve := vendorErr(t, unauth.a.TestConnection(context.Background())); ve.Kind != pos.Auth {
		t.Errorf("bad token: %+v", ve)
	}
}

// Push and pull run at once on one adapter (the host allows one of each).
func TestConcurrentPushAndPull(t *testing.T) {
	e := newEnv(t)
	for range 5 {
		e.srv.SeedOrder(squaretest.OrderSpec{Lines: []squaretest.LineSpec{croissant}, Tenders: []squaretest.TenderSpec{{}}})
	}
	e.srv.ExpireAccessTokens()
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := e.a.PushMenu(context.Background(), sampleMenu(), pos.PushOptions{}); err != nil {
			t.Error(err)
		}
	})
	wg.Go(func() {
		if _, err := e.a.PullOrders(context.Background(), nil); err != nil {
			t.Error(err)
		}
	})
	wg.Go(func() {
		if _, err := e.a.VerifyWebhook(context.Background(), squaretest.SignedDelivery(squaretest.DefaultSignatureKey, notificationURL,
			squaretest.Event("order.updated", "e", e.clk.Now(), "order", "O1", map[string]any{}))); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
}

func BenchmarkVerifyWebhook(b *testing.B) {
	a, err := square.NewAdapter(pos.Config{Credentials: map[string]string{"access_token": "t", "webhook_signature_key": "k"},
		Settings: map[string]string{"location_id": "L1", "webhook_url": notificationURL, "webhook_max_age": "0s"}})
	if err != nil {
		b.Fatal(err)
	}
	body := squaretest.Event("order.updated", squaretest.NewEventID(), newClock().Now(), "order", "ORDER1",
		map[string]any{"order_updated": map[string]any{"order_id": "ORDER1", "version": 3, "state": "COMPLETED"}})
	req := squaretest.SignedDelivery("k", notificationURL, body)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.VerifyWebhook(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPushUnchanged is the cost of a no-op push of a 200-item menu
// (hashing and mapping reads only).
func BenchmarkPushUnchanged(b *testing.B) {
	srv := squaretest.New()
	srv.Listen()
	defer srv.Close()
	a, err := square.NewAdapter(pos.Config{IntegrationID: "bench",
		Credentials: map[string]string{"access_token": squaretest.DefaultAccessToken},
		Settings:    map[string]string{"location_id": squaretest.DefaultLocationID, "base_url": srv.URL()}})
	if err != nil {
		b.Fatal(err)
	}
	m := sampleMenu()
	base := m.Items[0]
	m.Items = nil
	for i := range 200 {
		it := base
		it.ID = "item-" + itoa(int64(i))
		it.Variations = []model.Variation{base.Variations[0], base.Variations[1]}
		it.Variations[0].ID, it.Variations[1].ID = it.ID+"-a", it.ID+"-b"
		m.Items = append(m.Items, it)
	}
	if _, err := a.PushMenu(context.Background(), m, pos.PushOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.PushMenu(context.Background(), m, pos.PushOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
